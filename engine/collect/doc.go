// Package collect runs a collection: it selects collectors, resolves and
// attaches probes, loads the BPF programs with the right switches, reads
// the ring buffer, decodes events and hands them to the events file and
// to sinks, then tears everything down.
//
// It knows nothing of Starlark or of how events are printed: callers give
// a Config and sinks.
package collect
