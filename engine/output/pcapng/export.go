package pcapng

import (
	"errors"
	"io"

	"github.com/retis-go/retis/engine/events"
)

// Export writes the packets of the events read from r to w as pcap-ng and
// returns how many it wrote. It streams: memory does not grow with the
// input. See Writer for what is written and when it fails.
func Export(r *events.Reader, w io.Writer, opts Options) (n int, err error) {
	// The reader knows the startup event once the first event is read.
	first, err := r.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	pw, werr := NewWriter(w, r.Startup(), opts)
	if werr != nil {
		return 0, werr
	}
	for e := first; err == nil; e, err = r.Next() {
		if err = pw.Write(e); err != nil {
			break
		}
	}
	if errors.Is(err, io.EOF) {
		return pw.Stats().Packets, pw.Close()
	}
	// The blocks written so far are whole: let them out.
	_ = pw.Flush()
	return pw.Stats().Packets, err
}
