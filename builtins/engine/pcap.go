package engine

import (
	"errors"
	"fmt"
	"os"

	"github.com/retis-go/retis/builtins/pcap"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/output"
	"github.com/retis-go/retis/engine/output/pcapng"
)

// NewPcapOpener returns the opener of pcap.writer files: pcap-ng as
// `retis pcap` writes it, each packet commented with its event's text.
// startup gives the clock offset for wall-clock timestamps; nil keeps them
// monotonic.
func NewPcapOpener(startup *events.Startup) pcap.Opener {
	comment := func(e *events.Event) string {
		return string(output.AppendEvent(nil, e, &output.Format{Multiline: true}))
	}
	return func(path string) (pcap.Writer, error) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, events.FileMode)
		if err != nil {
			return nil, err
		}
		w, err := pcapng.NewWriter(f, startup, pcapng.Options{Comment: comment})
		if err != nil {
			f.Close()
			return nil, err
		}
		return &pcapFile{f: f, w: w}, nil
	}
}

// pcapFile is a pcap-ng writer and the file under it.
type pcapFile struct {
	f *os.File
	w *pcapng.Writer
}

func (p *pcapFile) Write(e *events.Event) error { return p.w.Write(e) }

// Close flushes and closes the file. A script that found no packet to
// write leaves an empty file rather than failing: pcap.writer's count
// tells it so, and it decides.
func (p *pcapFile) Close() error {
	err := p.w.Close()
	if errors.Is(err, pcapng.ErrNoPacket) {
		err = nil
	}
	if cerr := p.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close pcap-ng file: %w", cerr)
	}
	return err
}
