package collect

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/probe"
)

// maxProbes is PROBE_MAX in bpf/common.h.
const maxProbes = 1024

const (
	flagStack      = uint8(bpf.ProbeProbeFlagPROBE_F_STACK)
	flagNoEvent    = uint8(bpf.ProbeProbeFlagPROBE_F_NO_EVENT)
	flagFree       = uint8(bpf.ProbeProbeFlagPROBE_F_FREE)
	flagInvHead    = uint8(bpf.ProbeProbeFlagPROBE_F_INV_HEAD)
	flagNoTracking = uint8(bpf.ProbeProbeFlagPROBE_F_NO_TRACKING)
)

// probeEntry is one attach point of a collection.
type probeEntry struct {
	id     uint32
	target *probe.Target
	flags  uint8
	// owners are the collectors (their flags) that asked for the probe:
	// only there do they read the target's arguments.
	owners uint32
	// optional probes (core tracking helpers) only warn when they
	// cannot be attached.
	optional bool
}

// trackByAddr is the BPF constant track_by_addr: whether any probe
// reallocates heads, so that tracking must also look entries up by skb
// address.
func trackByAddr(entries []*probeEntry) uint8 {
	for _, e := range entries {
		if e.flags&flagInvHead != 0 {
			return 1
		}
	}
	return 0
}

// Events reports whether the probe emits events.
func (p *probeEntry) events() bool { return p.flags&flagNoEvent == 0 }

// trackingProbes are what the core installs to keep the tracking map
// right: where heads are freed, and where they are reallocated. The
// kprobe ones need a kernel with kprobes or fentry; without them a packet
// whose head is reallocated gets a new id from there on.
var trackingProbes = []struct {
	spec  string
	flags uint8
}{
	{"tp:skb:kfree_skb", flagFree},
	{"tp:skb:consume_skb", flagFree},
	// Every head is freed here, including the old one of
	// pskb_expand_head, which no tracepoint sees.
	{"kprobe:skb_free_head", flagFree},
	// A head merged into another skb (TCP coalescing) is never freed
	// through skb_free_head: forget it when its skb goes. Without the
	// head stolen the skb is freed through skb_free_head anyway, and a
	// clone still holding the head keeps the entry (see tracking_end).
	{"kprobe:kfree_skb_partial", flagFree},
	// Allocates a new head for the skb and frees the old one.
	{"kprobe:pskb_expand_head", flagInvHead},
}

// noTracking lists targets where an skb or its head may already be freed:
// tracking is not started there, or a freed head would get an entry. After
// skb_free_head the skb struct still goes through skb_release_head_state
// (kfree_skb_partial) or kfree_skbmem.
var noTracking = map[string]bool{
	"net:net_dev_xmit":       true,
	"skb_release_head_state": true,
	"kfree_skbmem":           true,
}

// buildProbes resolves the requested probes, those of the collectors and
// the core tracking ones into one list without duplicates.
func buildProbes(cfg *Config, k probe.Kernel, cols []collector.Collector, log *slog.Logger) ([]*probeEntry, error) {
	// owners[i] are the collectors that asked for specs[i].
	specs := cfg.Probes
	if len(specs) == 0 && autoCollectors(cfg) {
		specs = DefaultProbes
	}
	owners := make([]uint32, len(specs))
	for _, c := range cols {
		for _, s := range c.Probes() {
			specs = append(specs, s)
			owners = append(owners, c.Flag())
		}
	}

	var entries []*probeEntry
	byName := map[string]*probeEntry{}
	add := func(t *probe.Target, flags uint8, owners uint32, optional bool) {
		key := t.String()
		if e, ok := byName[key]; ok {
			e.flags |= flags &^ flagNoEvent
			if flags&flagNoEvent == 0 {
				e.flags &^= flagNoEvent
			}
			e.owners |= owners
			e.optional = e.optional && optional
			return
		}
		if noTracking[t.Name] {
			flags |= flagNoTracking
		}
		e := &probeEntry{id: uint32(len(entries)), target: t, flags: flags, owners: owners, optional: optional}
		entries = append(entries, e)
		byName[key] = e
	}

	for i, s := range specs {
		spec, err := probe.Parse(s)
		if err != nil {
			return nil, err
		}
		if cfg.Stack {
			spec.Stack = true
		}
		targets, err := probe.Resolve(k, spec)
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			var flags uint8
			if t.Stack {
				flags |= flagStack
			}
			add(t, flags, owners[i], false)
		}
	}

	kprobes := probe.HaveKprobe() == nil || probe.HaveKprobeMulti() == nil || probe.HaveFentry() == nil
	for _, tp := range trackingProbes {
		spec, _ := probe.Parse(tp.spec)
		if spec.Kind != probe.Tracepoint && !kprobes {
			log.Debug("core tracking works without head reallocation and free hooks: no kprobe backend", "probe", tp.spec)
			continue
		}
		targets, err := probe.Resolve(k, spec)
		if err != nil {
			log.Warn(fmt.Sprintf("core tracking: %v", err))
			continue
		}
		add(targets[0], tp.flags|flagNoEvent, 0, true)
	}

	if len(entries) > maxProbes {
		return nil, fmt.Errorf("%d probes asked, at most %d fit (narrow the patterns)", len(entries), maxProbes)
	}
	if !slices.ContainsFunc(entries, (*probeEntry).events) && !slices.ContainsFunc(cols, func(c collector.Collector) bool { return c.Name() == NftName }) {
		// Explicit collectors get no default probes, and these
		// install none that reports.
		log.Warn("No probe reports events: give some with -p (e.g. -p tp:net:netif_receive_skb), or leave -c to auto for the default ones")
	}
	return entries, nil
}
