// Command benchgen writes a synthetic events file for `make bench`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/internal/benchgen"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of events")
	out := flag.String("o", "bench.data", "output file")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	w, err := events.Create(*out, 0)
	if err == nil {
		err = benchgen.Generate(w, *n, *seed)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}
