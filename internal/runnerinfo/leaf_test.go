package runnerinfo

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// The registry is a leaf, and the packages that read results ask it
// rather than the runners' implementations: report and results never
// import the sandboxes (RATIONALE.md, "One registry, in a leaf package").
func TestImportsStayBelow(t *testing.T) {
	const mod = "github.com/nswasi/nswasi/"
	forbidden := map[string][]string{
		".":                                 {mod},
		"../results":                        {mod + "nsrun", mod + "wasirun", mod + "sandbox"},
		filepath.Join("..", "..", "report"): {mod + "nsrun", mod + "wasirun", mod + "runners", mod + "isolation", mod + "bench"},
	}
	for dir, bad := range forbidden {
		p, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Imports) == 0 {
			t.Fatalf("%s: no imports read", dir)
		}
		for _, imp := range p.Imports {
			for _, b := range bad {
				if strings.HasPrefix(imp, b) && !(dir != "." && imp == mod+"internal/runnerinfo") {
					t.Errorf("%s imports %s", p.ImportPath, imp)
				}
			}
		}
	}
}
