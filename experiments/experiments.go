// Package experiments embeds the experiment files shipped with nswasi, so
// that `nswasi run --quick` works from any directory.
package experiments

import "embed"

//go:embed *.yaml
var files embed.FS

// Shipped returns the named shipped experiment ("quick", "full").
func Shipped(name string) ([]byte, bool) {
	b, err := files.ReadFile(name + ".yaml")
	return b, err == nil
}
