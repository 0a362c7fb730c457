package pcapng

import (
	"fmt"
	"path"
	"strings"

	"github.com/retis-go/retis/engine/events"
)

// probeFilter selects the events of one probe, given as on the command
// line: [TYPE:]TARGET[/OPTIONS].
type probeFilter struct {
	spec      string
	probeType string // as in the kernel section: raw_tracepoint, kprobe, kretprobe
	target    string
	glob      bool
}

// parseProbe reads a probe as Retis does: TYPE is kprobe (k), kretprobe
// (kr) or raw_tracepoint (tp); without TYPE, a target with one ':' is a
// tracepoint and any other a kprobe. Options (e.g. /stack) change what is
// collected, not which events a probe produced, and are ignored.
//
// Beyond Retis: a tracepoint target without its group ("tp:kfree_skb")
// matches that event in any group, and '*', '?' and '[...]' are wildcards.
func parseProbe(spec string) (*probeFilter, error) {
	s, opts, hasOpts := strings.Cut(spec, "/")
	if hasOpts && (opts == "" || strings.HasSuffix(opts, "/")) {
		return nil, fmt.Errorf("probe %q: empty option after '/'", spec)
	}
	f := &probeFilter{spec: spec}
	typ, target, typed := strings.Cut(s, ":")
	switch {
	case !typed:
		f.probeType, f.target = events.ProbeKprobe, s
	case typ == "kprobe" || typ == "k":
		f.probeType, f.target = events.ProbeKprobe, target
	case typ == "kretprobe" || typ == "kr":
		f.probeType, f.target = events.ProbeKretprobe, target
	case typ == "raw_tracepoint" || typ == "tp":
		f.probeType, f.target = events.ProbeRawTracepoint, target
	case strings.Count(s, ":") == 1:
		// "net:netif_receive_skb": a tracepoint's group:event.
		f.probeType, f.target = events.ProbeRawTracepoint, s
	default:
		return nil, fmt.Errorf("probe %q: unknown type %q (use kprobe or k, kretprobe or kr, raw_tracepoint or tp)", spec, typ)
	}
	if f.target == "" {
		return nil, fmt.Errorf("probe %q: no target (e.g. tp:net:netif_receive_skb or k:ip_rcv)", spec)
	}
	if strings.ContainsAny(f.target, "*?[") {
		if _, err := path.Match(f.target, ""); err != nil {
			return nil, fmt.Errorf("probe %q: bad wildcard pattern: %w", spec, err)
		}
		f.glob = true
	}
	return f, nil
}

// match tells whether a kernel event comes from the probe.
func (f *probeFilter) match(k *events.Kernel) bool {
	if k.ProbeType != f.probeType {
		return false
	}
	sym := k.Symbol
	if f.probeType == events.ProbeRawTracepoint && !strings.Contains(f.target, ":") {
		// Group left out: match the event name alone.
		if i := strings.IndexByte(sym, ':'); i >= 0 {
			sym = sym[i+1:]
		}
	}
	if f.glob {
		ok, _ := path.Match(f.target, sym)
		return ok
	}
	return sym == f.target
}

// probeName is how a probe is listed to users: a spec that selects it.
func probeName(k *events.Kernel) string { return k.ProbeType + ":" + k.Symbol }

// interfaceName is the pcap-ng interface name of a probe, as Retis names it.
func interfaceName(k *events.Kernel) string { return k.ProbeType + "/" + k.Symbol }
