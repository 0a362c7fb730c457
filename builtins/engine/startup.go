package engine

import (
	"errors"
	"io"

	"github.com/retis-go/retis/engine/events"
)

// ReadStartup returns the startup event of the event set at path, or nil
// when it has none (a file from an old Retis, or an empty one). It reads
// only the first event.
func ReadStartup(path string) (*events.Startup, error) {
	r, err := events.Open(path, events.Options{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if _, err := r.Next(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return r.Startup(), nil
}
