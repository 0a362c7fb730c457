// Package process holds the post-processing commands as plain Go
// functions (print, sort, pcap, stats): each opens an event set, applies
// the options and writes its result. The cobra commands in cmd/retis only
// map flags to these options, and the Starlark built-in scripts call the
// same functions, so there is one implementation of each.
//
// It must not know about the kernel (no cilium/ebpf) or Starlark.
package process
