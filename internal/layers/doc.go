// Package layers holds the test that keeps nswasi's import graph pointing
// one way: from the command down through the experiment pipeline, the
// suites, the runner registry and the runners to sandbox. The order is
// written once, in layers_test.go.
package layers
