package collect

import (
	"log/slog"

	"github.com/cilium/ebpf"
)

// DefaultProbes are attached when a collection names no probe and leaves
// the collectors to -c auto (as Retis does: explicit collectors bring
// their own probes).
var DefaultProbes = []string{"tp:net:netif_receive_skb", "tp:net:net_dev_start_xmit"}

// DefaultRingSize is the default ring buffer size: about 40k events with
// packet data, enough to absorb bursts while the reader sleeps.
const DefaultRingSize = 16 << 20

// Config is one collection, one field per `retis collect` flag.
type Config struct {
	// Collectors to start: names, or "auto" (the default when empty)
	// for every collector whose requirements hold.
	Collectors []string
	// Probes as `[TYPE:]TARGET[/stack]` specs; DefaultProbes when empty
	// with auto collectors. Collectors add their own either way.
	Probes []string
	// Filter is the -f packet filter and Meta the -m metadata filter.
	// They take effect through Patches, which engine/filter provides.
	Filter string
	Meta   string
	// Patches rewrite every program spec before it is loaded (filters
	// replace the retis_filter_* placeholders).
	Patches []func(*ebpf.ProgramSpec) error
	// Stack adds kernel stacks to every probe.
	Stack bool
	// Output is the events file ("" for none); OutRotate > 0 rotates it
	// past that many bytes.
	Output    string
	OutRotate int64
	// Print, Format and UTC describe printing, which the caller does
	// with a sink; they are kept here so a Config is a whole collection.
	Print  bool
	Format string
	UTC    bool
	// Cmd is run through `sh -c` once probes are attached; the
	// collection stops when it exits.
	Cmd string
	// StopAfter stops the collection after that many events (0: never).
	StopAfter uint64
	// SkbSections selects the skb collector's optional sections.
	SkbSections []string
	// RingSize is the ring buffer size in bytes (DefaultRingSize if 0);
	// rounded up to a power of two.
	RingSize int
	// Backends forces one attach backend per probe kind, by name
	// (tp_btf, raw_tp, kprobe-multi, kprobe, fentry, kretprobe, fexit).
	Backends []string
	// AllowSystemChanges lets collectors change the system: the nft
	// collector adds (and removes) table inet Retis_Table.
	AllowSystemChanges bool
	// NftVerdicts selects the nft verdicts that become events (drop,
	// accept when empty; "all" for every one).
	NftVerdicts []string
	// NftNetns lists the namespaces whose nft verdicts are collected, by
	// name under /run/netns, path, or "all"; empty is retis's own.
	NftNetns []string
	// NftSource forces the nft collector's source: NftSourceKprobe or
	// NftSourceNetlink; empty or NftSourceAuto picks the best one.
	NftSource string
	// Cmdline is recorded in the startup event.
	Cmdline string
	// Log receives progress and warnings; slog.Default() when nil.
	Log *slog.Logger
}
