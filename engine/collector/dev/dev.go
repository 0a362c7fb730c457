// Package dev is the dev collector: the net device a packet is on and the
// one it was received on (bpf/dev.h).
package dev

import (
	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Name is the collector's name.
const Name = "dev"

// Collector is the dev collector.
type Collector struct{}

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
func (*Collector) Decode(_ uint8, data []byte, e *events.Event) error {
	raw, err := collector.As[bpf.ProbeDevEvent](data)
	if err != nil {
		return err
	}
	name := make([]byte, 0, len(raw.Name))
	for _, c := range raw.Name {
		if c == 0 {
			break
		}
		name = append(name, byte(c))
	}
	d := &events.Dev{Name: string(name), Ifindex: raw.Ifindex}
	if raw.RxIfindex != 0 {
		rx := raw.RxIfindex
		d.RxIfindex = &rx
	}
	e.Dev = d
	return nil
}
