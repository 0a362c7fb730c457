// Package starlark runs retis scripts and profiles: it loads a file (from
// disk or an embedded set) with the dialect options scripts need, resolves
// load() of relative files and of the shared @retis// library, runs the top
// level under a step limit to collect declarations, then calls main(ctx)
// when asked. Errors come back with their file:line:col and Starlark
// backtrace (Report), and a script's fail()/exit() become the process exit
// status (ExitCode).
//
// The predeclared names are the builtins groups (package builtins) and
// go.starlark.net's json, time and math modules. This package must not
// know the engine: everything a script can reach goes through builtins,
// and what is per run (kernel facts, the event formatter, the pcap writer)
// comes from the command through Options. Sub-package runner fills those
// options with the engine's implementations and runs main(ctx) on a file
// or a live source; sub-package profile finds, loads and merges profiles.
package starlark
