// Package skbtracking is the skb-tracking collector: it reports the core
// tracking id of each packet (bpf/skb_tracking.h), from which sort builds
// series.
package skbtracking

import (
	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Name is the collector's name.
const Name = "skb-tracking"

// Collector is the skb-tracking collector.
type Collector struct{}

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements collector.Collector.
func (*Collector) Name() string { return Name }

// Flag implements collector.Collector.
func (*Collector) Flag() uint32 { return uint32(bpf.ProbeCollectorBitCOLLECTOR_SKB_TRACKING) }

// Owner implements collector.Collector.
func (*Collector) Owner() uint8 { return uint8(bpf.ProbeSectionOwnerOWNER_SKB_TRACKING) }

// Init implements collector.Collector: core tracking runs on any kernel
// the probes run on.
func (*Collector) Init(probe.Kernel) error { return nil }

// Probes implements collector.Collector: the core installs the tracking
// probes.
func (*Collector) Probes() []string { return nil }

// Decode implements collector.Collector.
func (c *Collector) Decode(_ uint8, data []byte, e *events.Event, s *collector.Scratch) error {
	raw, err := collector.As[bpf.ProbeSkbTrackingEvent](data)
	if err != nil {
		return err
	}
	t := collector.Alloc[events.SkbTracking](s, c.Owner())
	*t = events.SkbTracking{OrigHead: raw.OrigHead, Timestamp: raw.Timestamp, Skb: raw.Skb}
	e.SkbTracking = t
	return nil
}
