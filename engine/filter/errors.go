package filter

import "errors"

var (
	// ErrNoPlaceholder is returned when a program lacks a placeholder
	// subprogram for a filter that is set.
	ErrNoPlaceholder = errors.New("no placeholder subprogram")
)
