// Package skbdrop is the skb-drop collector: why the kernel dropped a
// packet, from the reason skb:kfree_skb carries (bpf/skb_drop.h). Reason
// names come from the kernel's own enums, so they match the running
// kernel whatever its version.
package skbdrop

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cilium/ebpf/btf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// Name is the collector's name.
const Name = "skb-drop"

// Probe is the probe the collector installs.
const Probe = "tp:skb:kfree_skb"

// A drop reason's upper 16 bits select its subsystem
// (SKB_DROP_REASON_SUBSYS_SHIFT).
const subsysShift = 16

// Collector is the skb-drop collector.
type Collector struct {
	subsystems map[uint16]subsystem
}

type subsystem struct {
	// name is empty for the core subsystem.
	name    string
	reasons map[uint32]string
}

// New returns the collector.
func New() *Collector { return &Collector{} }

// Name implements collector.Collector.
func (*Collector) Name() string { return Name }

// Flag implements collector.Collector.
func (*Collector) Flag() uint32 { return uint32(bpf.ProbeCollectorBitCOLLECTOR_SKB_DROP) }

// Owner implements collector.Collector.
func (*Collector) Owner() uint8 { return uint8(bpf.ProbeSectionOwnerOWNER_SKB_DROP) }

// Probes implements collector.Collector.
func (*Collector) Probes() []string { return []string{Probe} }

// Init implements collector.Collector: skb:kfree_skb must carry a drop
// reason (Linux >= 5.17), whose names it reads from BTF.
func (c *Collector) Init(k probe.Kernel) error {
	spec, _ := probe.Parse(Probe)
	targets, err := probe.Resolve(k, spec)
	if err != nil {
		return err
	}
	if targets[0].Args.DropReason < 0 {
		return fmt.Errorf("%s has no drop reason on this kernel (Linux < 5.17)", Probe)
	}
	types, err := k.Types()
	if err != nil {
		return err
	}
	c.subsystems, err = reasons(types, k.ModuleTypes)
	return err
}

// reasons reads the drop reason names of every subsystem from kernel BTF;
// modules gives the BTF of modules whose subsystems have their own enum
// (mac80211, openvswitch), when loaded.
func reasons(types *btf.Spec, modules func(string) (*btf.Spec, error)) (map[uint16]subsystem, error) {
	core, err := enumValues(types, "skb_drop_reason", "SKB_", "DROP_REASON_")
	if err != nil {
		return nil, fmt.Errorf("drop reasons: %w", err)
	}
	subs := map[uint16]subsystem{0: {reasons: core}}
	ids, err := enumValues(types, "skb_drop_reason_subsys", "SKB_DROP_REASON_SUBSYS_")
	if err != nil {
		// Kernels before drop reason subsystems (< 6.4) only have core
		// reasons.
		return subs, nil
	}
	for id, name := range ids {
		var enum, module string
		switch name {
		case "CORE", "NUM":
			continue
		case "MAC80211_UNUSABLE", "MAC80211_MONITOR":
			enum, module = "mac80211_drop_reason", "mac80211"
		case "OPENVSWITCH":
			enum, module = "ovs_drop_reason", "openvswitch"
		}
		s := subsystem{name: strings.ToLower(name)}
		if enum != "" {
			s.reasons, _ = enumValues(types, enum)
			if s.reasons == nil && modules != nil {
				if mt, err := modules(module); err == nil {
					s.reasons, _ = enumValues(mt, enum)
				}
			}
		}
		subs[uint16(id)] = s
	}
	return subs, nil
}

// enumValues maps an enum's values to its names, each stripped of the
// given prefixes in turn.
func enumValues(types *btf.Spec, name string, trim ...string) (map[uint32]string, error) {
	var enum *btf.Enum
	if err := types.TypeByName(name, &enum); err != nil {
		return nil, err
	}
	out := make(map[uint32]string, len(enum.Values))
	for _, v := range enum.Values {
		n := v.Name
		for _, p := range trim {
			for strings.HasPrefix(n, p) {
				n = n[len(p):]
			}
		}
		out[uint32(v.Value)] = n
	}
	return out, nil
}

// Reason names a raw drop reason: its subsystem (empty for core) and its
// name, or the number when this kernel does not name it.
func (c *Collector) Reason(raw int32) (subsys, reason string) {
	if raw < 0 {
		return "", "NOT_SPECIFIED"
	}
	id := uint16(uint32(raw) >> subsysShift)
	s, ok := c.subsystems[id]
	if !ok {
		return strconv.Itoa(int(id)), strconv.Itoa(int(raw))
	}
	if name, ok := s.reasons[uint32(raw)]; ok {
		return s.name, name
	}
	return s.name, strconv.Itoa(int(raw))
}

// Decode implements collector.Collector.
func (c *Collector) Decode(_ uint8, data []byte, e *events.Event, _ *collector.Scratch) error {
	raw, err := collector.As[bpf.ProbeSkbDropEvent](data)
	if err != nil {
		return err
	}
	subsys, reason := c.Reason(raw.DropReason)
	d := &events.SkbDrop{DropReason: reason}
	if subsys != "" {
		d.Subsys = &subsys
	}
	e.SkbDrop = d
	return nil
}
