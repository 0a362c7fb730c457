// Package dev is the dev collector: the net device a packet is on and the
// one it was received on (bpf/dev.h).
package dev

import (
	"unsafe"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Name is the collector's name.
const Name = "dev"

// Collector is the dev collector.
type Collector struct {
	names collector.Names
}

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements collector.Collector.
func (*Collector) Name() string { return Name }

// Flag implements collector.Collector.
func (*Collector) Flag() uint32 { return uint32(bpf.ProbeCollectorBitCOLLECTOR_DEV) }

// Owner implements collector.Collector.
func (*Collector) Owner() uint8 { return uint8(bpf.ProbeSectionOwnerOWNER_DEV) }

// Init implements collector.Collector.
func (*Collector) Init(probe.Kernel) error { return nil }

// Probes implements collector.Collector.
func (*Collector) Probes() []string { return nil }

// Decode implements collector.Collector. rx_ifindex is left out when the
// skb has not been received on any device yet (skb_iif 0), as Retis does.
func (c *Collector) Decode(_ uint8, data []byte, e *events.Event, s *collector.Scratch) error {
	raw, err := collector.As[bpf.ProbeDevEvent](data)
	if err != nil {
		return err
	}
	d := collector.Alloc[struct {
		events.Dev
		rx uint32
	}](s, c.Owner())
	d.Dev = events.Dev{Name: c.names.Get((*[16]byte)(unsafe.Pointer(&raw.Name))), Ifindex: raw.Ifindex}
	d.rx = raw.RxIfindex
	if d.rx != 0 {
		d.RxIfindex = &d.rx
	}
	e.Dev = &d.Dev
	return nil
}
