package main

import (
	"fmt"
	"io"
	"os"
)

func init() { register("cat", cat) }

// cat copies each named file to stdout: the simplest way to see whether a
// path is reachable from inside a sandbox.
func cat(_ grants, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: cat PATH [PATH]")
	}
	for _, p := range args {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(os.Stdout, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
