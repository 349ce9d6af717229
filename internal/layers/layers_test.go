package layers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/nswasi/nswasi/"

// order lists nswasi's packages in layers, the top first. A package may
// import only packages of the layers below its own: never one above it,
// nor a neighbour in its own layer (isolation, bench and conformance know
// nothing of each other). The pipeline reads down the middle:
//
//	cmd → pipeline → isolation | bench | conformance → runners → wasirun → nsrun → … → sandbox
//
// report sits below every runner: it reads result files and must not learn
// how they were made. A new package must be placed here, or the test fails.
var order = [][]string{
	{"cmd/nswasi", "scenarios/guest", "internal/reliability", "internal/layers", "scripts"}, // programs and test-only packages
	{"pipeline"}, // what nswasi run drives
	{"isolation", "bench", "conformance", "internal/doctor", "internal/testenv"}, // the suites
	{"runners"},      // wires the runners together
	{"wasirun"},      // its wasi+netns runs the host in an nsrun namespace
	{"nsrun"},        // native, netns, netns+fw
	{"scenarios"},    // the guest's catalogue and launch checks
	{"report"},       // result files in, figures and text out
	{"experiment"},   // experiment files
	{"internal/cli"}, // what users type: grants, lists, sizes; the command shape
	{"sandbox"},      // what every runner shares
	{"wasip1", "internal/results", "internal/progress", "internal/usage", "scenarios/wire", "internal/procmark", "internal/wasmtest", "experiments"},
	{"internal/runnerinfo"}, // the runner registry: names, kinds, styles, WASI hosts; imports nothing
}

// pending are edges that break the order today, each with the change that
// removes it. The test fails when one is gone, so that the list only
// shrinks.
var pending = map[[2]string]string{}

type pkg struct {
	ImportPath string
	Imports    []string
}

// goList returns the module's packages and their non-test imports.
func goList(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// violations lists each import of pkgs that does not point to a lower
// layer, and each package with no layer.
func violations(pkgs []pkg, order [][]string) (edges [][2]string, unplaced []string) {
	layer := map[string]int{}
	for i, l := range order {
		for _, p := range l {
			layer[p] = i
		}
	}
	for _, p := range pkgs {
		from := strings.TrimPrefix(p.ImportPath, module)
		lf, ok := layer[from]
		if !ok {
			unplaced = append(unplaced, from)
			continue
		}
		for _, imp := range p.Imports {
			to, ours := strings.CutPrefix(imp, module)
			if !ours {
				continue
			}
			if lt, ok := layer[to]; !ok || lt <= lf {
				edges = append(edges, [2]string{from, to})
			}
		}
	}
	return edges, unplaced
}

func TestImportsPointDown(t *testing.T) {
	pkgs := goList(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	edges, unplaced := violations(pkgs, order)
	for _, p := range unplaced {
		t.Errorf("package %s has no layer: place it in order (internal/layers)", p)
	}
	seen := map[[2]string]bool{}
	for _, e := range edges {
		if why, ok := pending[e]; ok {
			seen[e] = true
			t.Logf("pending: %s imports %s (%s)", e[0], e[1], why)
			continue
		}
		t.Errorf("%s imports %s, which is not below it", e[0], e[1])
	}
	for e := range pending {
		if !seen[e] {
			t.Errorf("%s no longer imports %s: remove it from pending", e[0], e[1])
		}
	}
}

// The check itself: an import upward, one sideways and an unplaced package
// are each caught.
func TestViolations(t *testing.T) {
	order := [][]string{{"cmd"}, {"bench", "isolation"}, {"runners"}, {"sandbox"}}
	pkgs := []pkg{
		{module + "cmd", []string{module + "bench", "fmt"}},
		{module + "bench", []string{module + "runners", module + "isolation"}},
		{module + "sandbox", []string{module + "runners"}},
		{module + "stray", nil},
	}
	edges, unplaced := violations(pkgs, order)
	if got, want := fmt.Sprint(edges), "[[bench isolation] [sandbox runners]]"; got != want {
		t.Errorf("violations %s, want %s", got, want)
	}
	if fmt.Sprint(unplaced) != "[stray]" {
		t.Errorf("unplaced %v, want [stray]", unplaced)
	}
}
