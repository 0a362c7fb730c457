// Package ns is the ns collector: the network namespace a packet is in
// (bpf/ns.h).
package ns

import (
	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Name is the collector's name.
const Name = "ns"

// Collector is the ns collector.
type Collector struct {
	// cookie tells whether struct net has net_cookie (Linux >= 5.14).
	cookie bool
}

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements collector.Collector.
func (*Collector) Name() string { return Name }

// Flag implements collector.Collector.
func (*Collector) Flag() uint32 { return uint32(bpf.ProbeCollectorBitCOLLECTOR_NS) }

// Owner implements collector.Collector.
func (*Collector) Owner() uint8 { return uint8(bpf.ProbeSectionOwnerOWNER_NS) }

// Init implements collector.Collector.
func (c *Collector) Init(k probe.Kernel) error {
	types, err := k.Types()
	if err != nil {
		return err
	}
	var net *btf.Struct
	if err := types.TypeByName("net", &net); err != nil {
		return err
	}
	for _, m := range net.Members {
		if m.Name == "net_cookie" {
			c.cookie = true
		}
	}
	return nil
}

// Probes implements collector.Collector.
func (*Collector) Probes() []string { return nil }

// Decode implements collector.Collector.
func (c *Collector) Decode(_ uint8, data []byte, e *events.Event, s *collector.Scratch) error {
	raw, err := collector.As[bpf.ProbeNsEvent](data)
	if err != nil {
		return err
	}
	n := collector.Alloc[struct {
		events.Netns
		cookie uint64
	}](s, c.Owner())
	n.Netns = events.Netns{Inum: raw.Inum}
	n.cookie = raw.Cookie
	if c.cookie {
		n.Cookie = &n.cookie
	}
	e.Netns = &n.Netns
	return nil
}
