package events

import (
	"errors"
	"fmt"

	json "github.com/goccy/go-json"
)

// Section names as they appear in the JSON object of an event.
const (
	SecCommon      = "common"
	SecKernel      = "kernel"
	SecUserspace   = "userspace"
	SecTracking    = "tracking"
	SecSkbTracking = "skb-tracking"
	SecSkbDrop     = "skb-drop"
	SecPacket      = "packet"
	SecSkb         = "skb"
	SecNetns       = "netns"
	SecDev         = "dev"
	SecOVS         = "ovs"
	SecOVSDetrace  = "ovs-detrace"
	SecNft         = "nft"
	SecCt          = "ct"
	SecStartup     = "startup"
)

// SectionNames lists the known sections in the order Retis writes them.
var SectionNames = []string{
	SecCommon, SecKernel, SecUserspace, SecTracking, SecSkbTracking, SecSkbDrop,
	SecPacket, SecSkb, SecNetns, SecDev, SecOVS, SecOVSDetrace, SecNft, SecCt, SecStartup,
}

// Event is one event: a set of optional sections.
type Event struct {
	Common      *Common
	Kernel      *Kernel
	Userspace   *User
	Tracking    *Tracking
	SkbTracking *SkbTracking
	SkbDrop     *SkbDrop
	Packet      *Packet
	Skb         *Skb
	Netns       *Netns
	Dev         *Dev
	OVS         *OVS
	OVSDetrace  *OVSFlowInfo
	Nft         *Nft
	Ct          *Ct
	Startup     *Startup

	// Extra holds sections this version does not know, in file order, so
	// that they are written back unchanged.
	Extra []RawSection
}

// RawSection is a section kept as raw JSON.
type RawSection struct {
	Name string
	Raw  json.RawMessage
}

// Timestamp returns the event's monotonic timestamp, 0 without common.
func (e *Event) Timestamp() uint64 {
	if e.Common == nil {
		return 0
	}
	return e.Common.Timestamp
}

// ProbeName returns "probe_type/symbol" for kernel and userspace events
// (e.g. "raw_tracepoint/skb:kfree_skb"), "" otherwise.
func (e *Event) ProbeName() string {
	switch {
	case e.Kernel != nil:
		return e.Kernel.ProbeType + "/" + e.Kernel.Symbol
	case e.Userspace != nil:
		return e.Userspace.ProbeType + "/" + e.Userspace.Symbol
	}
	return ""
}

// field returns a pointer to the section field for a name, as an any
// holding a pointer to the pointer (so decoding can allocate).
func (e *Event) field(name string) any {
	switch name {
	case SecCommon:
		return &e.Common
	case SecKernel:
		return &e.Kernel
	case SecUserspace:
		return &e.Userspace
	case SecTracking:
		return &e.Tracking
	case SecSkbTracking:
		return &e.SkbTracking
	case SecSkbDrop:
		return &e.SkbDrop
	case SecPacket:
		return &e.Packet
	case SecSkb:
		return &e.Skb
	case SecNetns:
		return &e.Netns
	case SecDev:
		return &e.Dev
	case SecOVS:
		return &e.OVS
	case SecOVSDetrace:
		return &e.OVSDetrace
	case SecNft:
		return &e.Nft
	case SecCt:
		return &e.Ct
	case SecStartup:
		return &e.Startup
	}
	return nil
}

// present returns the section value for a name, or nil when absent.
func (e *Event) present(name string) any {
	switch name {
	case SecCommon:
		return nilOr(e.Common)
	case SecKernel:
		return nilOr(e.Kernel)
	case SecUserspace:
		return nilOr(e.Userspace)
	case SecTracking:
		return nilOr(e.Tracking)
	case SecSkbTracking:
		return nilOr(e.SkbTracking)
	case SecSkbDrop:
		return nilOr(e.SkbDrop)
	case SecPacket:
		return nilOr(e.Packet)
	case SecSkb:
		return nilOr(e.Skb)
	case SecNetns:
		return nilOr(e.Netns)
	case SecDev:
		return nilOr(e.Dev)
	case SecOVS:
		return nilOr(e.OVS)
	case SecOVSDetrace:
		return nilOr(e.OVSDetrace)
	case SecNft:
		return nilOr(e.Nft)
	case SecCt:
		return nilOr(e.Ct)
	case SecStartup:
		return nilOr(e.Startup)
	}
	return nil
}

func nilOr[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// MarshalJSON writes the known sections in Retis's order, then the
// unknown ones.
func (e *Event) MarshalJSON() ([]byte, error) {
	return e.AppendJSON(make([]byte, 0, 1024))
}

// appendJSONReflect encodes every section through the codec. AppendJSON
// encodes the frequent sections by hand and uses this for the others; it
// is also the reference the hand-written encoding is tested against.
func (e *Event) appendJSONReflect(b []byte) ([]byte, error) {
	b = append(b, '{')
	first := true
	sep := func() {
		if !first {
			b = append(b, ',')
		}
		first = false
	}
	for _, name := range SectionNames {
		v := e.present(name)
		if v == nil {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode section %s: %w", name, err)
		}
		sep()
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = append(b, raw...)
	}
	for _, x := range e.Extra {
		sep()
		kb, _ := json.Marshal(x.Name)
		b = append(b, kb...)
		b = append(b, ':')
		b = append(b, x.Raw...)
	}
	return append(b, '}'), nil
}

// ErrNotObject is returned for a JSON value that is not an object.
var ErrNotObject = errors.New("event is not a JSON object")

// UnmarshalJSON decodes an event in the current layout. Files of older
// layouts go through Upgrade first (the Reader does this).
func (e *Event) UnmarshalJSON(b []byte) error {
	*e = Event{}
	return splitObject(b, func(key string, val []byte) error {
		dst := e.field(key)
		if dst == nil {
			e.Extra = append(e.Extra, RawSection{Name: key, Raw: append(json.RawMessage(nil), val...)})
			return nil
		}
		if err := json.Unmarshal(val, dst); err != nil {
			return fmt.Errorf("section %s: %w", key, err)
		}
		return nil
	})
}
