package main

import "strconv"

// args maps the text flags to the --arg values of the built-in scripts.
func (t *textFlags) args() map[string]string {
	return map[string]string{
		"format":   t.format,
		"utc":      strconv.FormatBool(t.utc),
		"print_ll": strconv.FormatBool(t.ll),
	}
}
