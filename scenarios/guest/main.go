// Command guest is nswasi's guest program. The same source is built as a
// native Linux executable and as a WASI (wasip1) module; the scenario is
// chosen by the first argument. The guest learns its granted listeners from
// NSWASI_LISTEN_FDS and its granted directories from NSWASI_DIRS, which mean
// the same under every runner.
package main

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

type scenario func(g grants, args []string) error

// scenarios is filled by register calls in each scenario's file, so that a
// new scenario is one new file.
var scenarios = map[string]scenario{}

func register(name string, s scenario) {
	if scenarios[name] != nil {
		panic("guest: scenario registered twice: " + name)
	}
	scenarios[name] = s
}

// grants is what the harness gave this guest.
type grants struct {
	listenFDs []int
	dirs      []string
}

func readGrants() (grants, error) {
	var g grants
	if v := os.Getenv("NSWASI_LISTEN_FDS"); v != "" {
		for _, s := range strings.Split(v, ",") {
			fd, err := strconv.Atoi(s)
			if err != nil || fd < 0 {
				return g, fmt.Errorf("NSWASI_LISTEN_FDS: bad fd %q", s)
			}
			g.listenFDs = append(g.listenFDs, fd)
		}
	}
	if v := os.Getenv("NSWASI_DIRS"); v != "" {
		g.dirs = strings.Split(v, ",")
	}
	return g, nil
}

func (g grants) listener() (int, error) {
	if len(g.listenFDs) == 0 {
		return -1, fmt.Errorf("no listener granted (NSWASI_LISTEN_FDS is empty)")
	}
	return g.listenFDs[0], nil
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--scenarios" {
		// nswasi asks, to tell a guest built from older source.
		fmt.Println(strings.ReplaceAll(names(), ", ", "\n"))
		return
	}
	if len(os.Args) < 2 || scenarios[os.Args[1]] == nil {
		fmt.Fprintf(os.Stderr, "usage: guest SCENARIO [ARGS...]; scenarios: %s\n", names())
		os.Exit(2)
	}
	g, err := readGrants()
	if err == nil {
		err = scenarios[os.Args[1]](g, os.Args[2:])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "guest %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func names() string {
	var n []string
	for k := range scenarios {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}
