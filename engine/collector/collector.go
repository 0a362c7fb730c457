package collector

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Collector is one source of event sections.
type Collector interface {
	// Name is the collector's name as -c takes it, e.g. "skb-drop".
	Name() string
	// Flag is the collector's bit in the BPF programs' collectors
	// switch.
	Flag() uint32
	// Owner is the owner id of the sections it writes (Retis's event
	// factory ids).
	Owner() uint8
	// Init checks the collector can run on kernel k and reads what
	// decoding needs from it. Its error says why the collector cannot
	// run.
	Init(k probe.Kernel) error
	// Probes lists the probe specs the collector installs itself.
	Probes() []string
	// Decode fills e from one of the collector's sections, with memory
	// from s (see Alloc; s may be nil). data is only valid during the
	// call.
	Decode(kind uint8, data []byte, e *events.Event, s *Scratch) error
}

// Constants is implemented by collectors that set load-time constants of
// the BPF programs (by variable name).
type Constants interface {
	Constants() map[string]any
}

// ErrShortSection is returned for a section smaller than its layout.
var ErrShortSection = errors.New("section too short")

// As views a section as its C layout T. Sections are 8-byte aligned in
// records (see bpf/common.h), so the view is aligned.
func As[T any](data []byte) (*T, error) {
	var zero T
	if len(data) < int(unsafe.Sizeof(zero)) {
		return nil, fmt.Errorf("%w: %d bytes for a %d-byte %T", ErrShortSection, len(data), unsafe.Sizeof(zero), zero)
	}
	return (*T)(unsafe.Pointer(unsafe.SliceData(data))), nil
}
