// Package files decides which files a script may open and closes them when
// the script ends. It has no Starlark module of its own: builtins that
// open files (pcap.writer) go through it.
//
// A script touches the file system only through builtins, only from
// main(ctx), and only on paths the user wrote on the command line (-i, -o,
// --arg values) or that the script declared with output(path), which the
// command shows before running. Loading a profile therefore never reads or
// writes anything but the script files themselves. This package must not
// know what the files contain.
package files
