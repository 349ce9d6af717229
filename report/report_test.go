package report

import (
	"bytes"
	"encoding/xml"
	"image"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/nswasi/nswasi/internal/results"
	"github.com/nswasi/nswasi/internal/usage"
)

// allFigures are the figures the two-host fixture must produce.
var allFigures = []string{"throughput", "wasi-hosts-vs-native", "latency-rr", "latency-http", "cpu-per-gb", "cpu-per-1k-requests", "idle-cpu",
	"hostcalls-per-message", "poll-oneoff-cost", "spurious-readiness", "isolation-matrix", "fidelity-iperf3"}

func TestReportFromFixtures(t *testing.T) {
	d, err := Load("testdata/hostA", "testdata/hostB")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	figs, err := Write(d, out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	if strings.Join(names, " ") != strings.Join(allFigures, " ") {
		t.Errorf("figures %v, want %v", names, allFigures)
	}
	md := read(t, filepath.Join(out, MarkdownFile))
	for _, n := range allFigures {
		checkSVG(t, filepath.Join(out, PlotsDir, n+".svg"))
		checkPNG(t, filepath.Join(out, PlotsDir, n+".png"))
		if !strings.Contains(md, "](plots/"+n+".svg)") {
			t.Errorf("report.md does not reference plots/%s.svg", n)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(out, PlotsDir))
	if len(entries) != 2*len(allFigures) {
		t.Errorf("plots/ holds %d files, want %d", len(entries), 2*len(allFigures))
	}
	svgs := checkSelfContained(t, read(t, filepath.Join(out, HTMLFile)))
	if svgs != len(allFigures) {
		t.Errorf("report.html inlines %d SVGs, want %d", svgs, len(allFigures))
	}
	// Merged hosts are both labelled, the partial one visibly.
	for _, want := range []string{"fixture-host-a", "fixture-host-b", "PARTIAL benchmark results from fixture-host-b",
		"escape-dotdot", "SYNTHETIC: host canary listener accepted", "read tcp: not pollable", "guest timed out after 5s"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(read(t, path)))
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("%s: not XML: %v", path, err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", path, root)
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader([]byte(read(t, path))))
	if err != nil || format != "png" {
		t.Errorf("%s: %v (format %q)", path, err, format)
		return
	}
	if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("%s: %v is too small to read", path, b)
	}
}

// checkSelfContained parses the page and fails on anything it would fetch:
// scripts, stylesheets, images, objects, or any src/href that is not a
// fragment of the page itself. It returns the number of inline SVGs.
func checkSelfContained(t *testing.T, page string) int {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("report.html does not parse: %v", err)
	}
	svgs := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "link", "img", "iframe", "object", "embed", "image", "use", "import":
				t.Errorf("report.html has a <%s> element", n.Data)
			case "svg":
				svgs++
			case "style":
				if n.FirstChild != nil && (strings.Contains(n.FirstChild.Data, "url(") || strings.Contains(n.FirstChild.Data, "@import")) {
					t.Errorf("report.html style loads a resource")
				}
			}
			for _, a := range n.Attr {
				k := strings.TrimPrefix(a.Key, "xlink:")
				if (k == "src" || k == "href" || k == "srcset" || k == "data") && !strings.HasPrefix(a.Val, "#") {
					t.Errorf("report.html <%s %s=%q> references an external resource", n.Data, a.Key, a.Val)
				}
				if k == "style" && strings.Contains(a.Val, "url(") {
					t.Errorf("report.html <%s style=%q> loads a resource", n.Data, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return svgs
}

func TestLabelsDistinguishHosts(t *testing.T) {
	d, err := Load("testdata/hostA", "testdata/hostB")
	if err != nil {
		t.Fatal(err)
	}
	if d.Sources[0].Label != "fixture-host-a" || d.Sources[1].Label != "fixture-host-b" {
		t.Errorf("labels %q, %q", d.Sources[0].Label, d.Sources[1].Label)
	}
	// Two directories from the same host get distinct labels.
	other := filepath.Join(t.TempDir(), "rerun")
	copyDir(t, "testdata/hostA", other)
	d, err = Load("testdata/hostA", other, other)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range d.Sources {
		if seen[s.Label] || !strings.Contains(s.Label, "fixture-host-a") {
			t.Errorf("labels not distinct or lost the host: %q", s.Label)
		}
		seen[s.Label] = true
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{results.BenchFile, results.IsolationFile} {
		if err := os.WriteFile(filepath.Join(to, f), []byte(read(t, filepath.Join(from, f))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAbsentDataIsSkippedNotDrawn(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, results.IsolationFile), []byte(read(t, "testdata/hostA/isolation.json")), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := Write(d, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 1 || figs[0].Name != "isolation-matrix" {
		t.Fatalf("isolation-only input drew %d figures", len(figs))
	}
	md := read(t, filepath.Join(dir, MarkdownFile))
	if !strings.Contains(md, "Stream throughput: not drawn: no successful stream runs in the results.") {
		t.Errorf("report.md does not say why the throughput figure is missing:\n%s", md)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, PlotsDir))
	if len(entries) != 2 {
		t.Errorf("plots/ holds %d files, want the isolation matrix as SVG and PNG", len(entries))
	}
}

func TestBadInput(t *testing.T) {
	empty := t.TempDir()
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, results.BenchFile), []byte(`{"schema_version": 7}`), 0o644)
	for _, dirs := range [][]string{nil, {filepath.Join(empty, "missing")}, {empty}, {bad}, {"testdata/hostA/results.json"}} {
		if _, err := Load(dirs...); !usage.IsBadInput(err) {
			t.Errorf("Load(%v): %v, want bad input", dirs, err)
		}
	}
}

func TestCompare(t *testing.T) {
	d, err := Load("testdata/hostA", "testdata/hostB")
	if err != nil {
		t.Fatal(err)
	}
	a, b := d.Sources[0], d.Sources[1]

	same := Compare(a, a)
	if len(same.Changes) == 0 {
		t.Fatal("no metric compared")
	}
	for _, ch := range same.Changes {
		if ch.Significant || ch.RelativeChange != 0 {
			t.Errorf("identical data: %s marked %s (%+v)", ch.Key, ch.Verdict(), ch.Test)
		}
	}

	// hostB's fixture is generated 30% slower with 4% noise: every stream
	// throughput with five repetitions on both sides must be significant.
	diff := Compare(a, b)
	n := 0
	for _, ch := range diff.Changes {
		if strings.HasPrefix(ch.Key, "stream ") && ch.NA == 5 && ch.NB == 5 {
			n++
			if !ch.Significant || ch.RelativeChange > -0.2 {
				t.Errorf("%s: %+.2f %s (p=%v), want a significant drop", ch.Key, ch.RelativeChange, ch.Verdict(), ch.Test.P)
			}
		}
	}
	if n == 0 {
		t.Fatal("no stream runs compared")
	}
	if len(diff.OnlyA) == 0 || !strings.HasPrefix(diff.OnlyA[0], "http ") {
		t.Errorf("http runs exist only in A, got OnlyA=%v", diff.OnlyA)
	}
	if len(diff.Isolation) == 0 {
		t.Error("the isolation verdict changes between the fixtures were not reported")
	}
	var out bytes.Buffer
	if err := diff.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"significant", "Mann-Whitney", "connect-host-loopback under netns: denied -> allowed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("compare output lacks %q", want)
		}
	}
	// With 2 vs 5 repetitions the smallest p is 2/21 ≈ 0.095: the verdict says
	// the test cannot tell, rather than implying no change.
	var keys []string
	for _, ch := range diff.Changes {
		if ch.NB == 2 {
			keys = append(keys, ch.Key+": "+ch.Verdict())
		}
	}
	sort.Strings(keys)
	// One truncated run and its traced repeat: two keys, never merged.
	if len(keys) != 2 || !strings.Contains(keys[0], "cannot reach") || !strings.Contains(keys[1], "cannot reach") ||
		!strings.Contains(keys[1], " traced ") {
		t.Errorf("2-repetition run verdicts: %v", keys)
	}
}
