// Package process is the Starlark module `process`: the post-processing
// commands as builtins that consume a run's whole input in Go, so that the
// built-in scripts behind `retis print`, `retis sort` and `retis pcap`
// cost what the Go path costs (no Starlark value per event):
//
//	process.print(ctx, format=None, utc=None, print_ll=None)
//	    Prints every event of ctx's input as text to the script's output,
//	    as `retis print`; a file written by sort -o prints as series.
//	    format is "multi-line" or "single-line"; None keeps the run's
//	    text format.
//	process.sort(ctx, out=None, print=False, window=None, max_events=None,
//	             format=None, utc=None, print_ll=None)
//	    Groups ctx's input into series as `retis sort`: printed as text
//	    when out is None, else written as JSON (one series per line) to
//	    out ("-" for the script's output), and also printed with
//	    print=True. window is a duration ("3s"), max_events an int.
//	process.pcap(ctx, out="-", probe=None) -> int
//	    Writes the packets of ctx's input as pcap-ng, as `retis pcap`,
//	    to out ("-" for the script's output); probe keeps one probe's
//	    ("tp:net:netif_receive_skb"). Returns the number of packets. A
//	    failed export removes its file.
//
// sort and pcap read an events file (-i); print also reads a live
// collection. Files are opened through package files: out must be a path
// given on the command line or declared with output(). The work itself is
// engine/process's; this package maps arguments to it.
package process
