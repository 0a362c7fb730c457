// Package format is the Starlark module `fmt`, rendering events as
// `retis print` and `retis sort` do:
//
//	fmt.event(e) -> str    the event in the text format (what str(e) gives)
//	fmt.series(s) -> str   a tracked series in the text format of sort
//
// The rendering is the Formatter stored with event.SetFormatter
// (engine/output plugs in there); this package only exposes it.
package format
