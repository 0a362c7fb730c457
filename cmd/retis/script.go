package main

import (
	"io"
	"os"

	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/scripts"
	"github.com/retis-go/retis/starlark"
	"github.com/retis-go/retis/starlark/runner"
)

// runBuiltin runs the built-in script name on the events file input: what
// print, sort and pcap do, their flags mapped to args. paths are the
// other files the user named (outputs).
func runBuiltin(name, input string, args map[string]string, text output.Format, stdout io.Writer, paths ...string) error {
	l, err := runner.Load(runner.Options{
		Files:  starlark.FS(scripts.FS()),
		Script: name + ".star",
		Args:   args,
		Paths:  append([]string{input}, paths...),
		Text:   text,
		Stdout: stdout,
	})
	if err == nil {
		err = l.OnFile(input)
	}
	// The user did not write this script: a builtin's error (a missing
	// input, a full disk) is the command's own.
	if be := starlark.BuiltinError(err); be != nil {
		return be
	}
	return reportScript(err)
}

// reportScript writes how a script ended, as a script's author needs to
// read it (file:line:col and backtrace; fail()'s message alone), and
// returns the exit status to leave with. Errors around the script (an
// input that does not open) are returned as they are.
func reportScript(err error) error {
	if err == nil || !starlark.InScript(err) {
		return err
	}
	starlark.Report(os.Stderr, err)
	return &exitError{code: starlark.ExitCode(err), err: err, reported: true}
}
