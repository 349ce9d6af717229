package report

import (
	"os"
	"path/filepath"
)

// writePlots writes every figure as plots/NAME.svg and plots/NAME.png and
// returns each figure's SVG for the HTML page.
func writePlots(figs []*Figure, outDir string) (map[string][]byte, error) {
	dir := filepath.Join(outDir, "plots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	svgs := map[string][]byte{}
	for _, f := range figs {
		svg, err := f.SVG()
		if err != nil {
			return nil, err
		}
		png, err := f.PNG()
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name+".svg"), svg, 0o644); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name+".png"), png, 0o644); err != nil {
			return nil, err
		}
		svgs[f.Name] = svg
	}
	return svgs, nil
}
