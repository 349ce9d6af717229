package main

import (
	"fmt"
	"os"
)

func init() { register("env", env) }

// env prints the guest's whole environment, one variable a line, leaving
// out the grant variables, which every runner sets.
func env(_ grants, _ []string) error {
	for _, kv := range os.Environ() {
		if len(kv) >= 7 && kv[:7] == "NSWASI_" {
			continue
		}
		fmt.Println(kv)
	}
	return nil
}
