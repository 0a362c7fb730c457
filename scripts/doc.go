// Package scripts holds the built-in scripts, embedded in the binary:
//
//   - print.star, sort.star and pcap.star are `retis print`, `retis sort`
//     and `retis pcap`: the commands map their flags to --arg values and
//     run them; each hands its whole input to a process.* builtin;
//   - drop_report.star, ci_check.star and latency.star are examples to
//     run with `retis run NAME -i FILE` or to copy and adapt.
//
// A script's first docstring line is its summary. This package holds only
// the files; running them is package starlark/runner's job.
package scripts
