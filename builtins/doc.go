// Package builtins is the bridge between Starlark scripts and the engine:
// every Go function a script can call lives in one of its sub-packages, one
// group per package (collect, kernel, event, run, format, pcap, process,
// files, exit), each exposing a starlarkstruct.Module or a few predeclared
// names. Package engine is not a group: it holds the engine's
// implementations of the seams the groups leave open (text, pcap-ng,
// series), for commands to store in a run.
//
// This package holds what the groups share: typed thread-local slots for
// per-run state. It must not know about any group, about loading scripts
// (that is the starlark runtime) or about the kernel.
//
// Per-run state never lives in package variables: the command that runs a
// script stores it in the Starlark thread with a group's SetX(thread, v)
// and the builtins read it back with X(thread), so two scripts can run in
// one process and tests can give each run its own fakes.
package builtins
