package collect

import (
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"strings"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/probe"
)

// Programs of bpf/probe.bpf.c by role.
var programNames = map[probe.Program]string{
	probe.ProgTpBTF:          "probe_tp_btf",
	probe.ProgRawTP:          "probe_raw_tp",
	probe.ProgFentry:         "probe_fentry",
	probe.ProgFexit:          "probe_fexit",
	probe.ProgKprobe:         "probe_kprobe",
	probe.ProgKprobeMulti:    "probe_kprobe_multi",
	probe.ProgKretprobeEntry: "probe_kretprobe_entry",
	probe.ProgKretprobe:      "probe_kretprobe",
}

// objects holds the maps every program shares and loads programs on
// demand. It implements probe.Programs.
type objects struct {
	spec    *ebpf.CollectionSpec
	maps    map[string]*ebpf.Map
	consts  map[string]any
	patches []func(*ebpf.ProgramSpec) error
	entries map[*probe.Target]*probeEntry
	log     *slog.Logger

	shared map[probe.Program]*ebpf.Program
	colls  []*ebpf.Collection
}

// ringSize rounds a requested ring buffer size up to a power of two of at
// least a page.
func ringSize(n int) int {
	if n <= 0 {
		n = DefaultRingSize
	}
	if n < 4096 {
		n = 4096
	}
	return 1 << bits.Len(uint(n-1))
}

// newObjects creates the shared maps. consts are the load-time constants
// every program gets.
func newObjects(ring int, consts map[string]any, patches []func(*ebpf.ProgramSpec) error, entries []*probeEntry, log *slog.Logger) (*objects, error) {
	spec, err := bpf.LoadProbe()
	if err != nil {
		return nil, fmt.Errorf("read BPF object: %w", err)
	}
	spec.Maps["events"].MaxEntries = uint32(ringSize(ring))
	o := &objects{
		spec:    spec,
		maps:    map[string]*ebpf.Map{},
		consts:  consts,
		patches: patches,
		entries: map[*probe.Target]*probeEntry{},
		log:     log,
		shared:  map[probe.Program]*ebpf.Program{},
	}
	for _, e := range entries {
		o.entries[e.target] = e
	}
	for name, ms := range spec.Maps {
		if strings.HasPrefix(name, ".") {
			continue
		}
		m, err := ebpf.NewMap(ms)
		if err != nil {
			o.Close()
			return nil, fmt.Errorf("create map %s: %w", name, err)
		}
		o.maps[name] = m
	}
	for _, e := range entries {
		cfg := bpf.ProbeProbeConfig{
			Skb:        int8(e.target.Args.Skb),
			DropReason: int8(e.target.Args.DropReason),
			Dev:        int8(e.target.Args.Dev),
			Net:        int8(e.target.Args.Net),
			NftPkt:     int8(e.target.Args.NftPktinfo),
			NftInfo:    int8(nftInfo(e.target.Args)),
			Flags:      e.flags,
			Type:       probeType(e.target.Kind),
			Owners:     e.owners,
		}
		if err := o.maps["probe_configs"].Put(e.id, &cfg); err != nil {
			o.Close()
			return nil, fmt.Errorf("configure probe %s: %w", e.target, err)
		}
	}
	return o, nil
}

// nftInfo is where the programs find the skb through nf_tables' trace
// state: only on kernels where it holds the packet.
func nftInfo(a probe.Args) int {
	if a.TraceinfoPkt {
		return a.NftTraceinfo
	}
	return -1
}

func probeType(k probe.Kind) uint8 {
	switch k {
	case probe.Kretprobe:
		return uint8(bpf.ProbeRetisProbeTypePROBE_KRETPROBE)
	case probe.Tracepoint:
		return uint8(bpf.ProbeRetisProbeTypePROBE_TRACEPOINT)
	}
	return uint8(bpf.ProbeRetisProbeTypePROBE_KPROBE)
}

// Program implements probe.Programs.
func (o *objects) Program(role probe.Program, t *probe.Target) (*ebpf.Program, error) {
	if t == nil {
		if p, ok := o.shared[role]; ok {
			return p, nil
		}
		p, err := o.load(programNames[role], nil, map[string]any{"use_cookie": uint8(1)})
		if err != nil {
			return nil, err
		}
		o.shared[role] = p
		return p, nil
	}
	e, ok := o.entries[t]
	if !ok {
		return nil, fmt.Errorf("no probe entry for %s", t)
	}
	vars := map[string]any{
		"probe_id":        e.id,
		"nargs":           uint32(t.Args.Count),
		"arg_skb":         int32(t.Args.Skb),
		"arg_drop_reason": int32(t.Args.DropReason),
		"arg_dev":         int32(t.Args.Dev),
		"arg_net":         int32(t.Args.Net),
		"arg_nft_pkt":     int32(t.Args.NftPktinfo),
		"arg_nft_info":    int32(nftInfo(t.Args)),
	}
	if role == probe.ProgTpBTF || role == probe.ProgFentry || role == probe.ProgFexit {
		vars[attachTo] = t.Func
	}
	return o.load(programNames[role], t, vars)
}

// attachTo is a pseudo-variable naming the function or tracepoint a
// program is loaded for.
const attachTo = "@attach_to"

// load loads one program with the shared maps, the global constants and
// vars.
func (o *objects) load(name string, t *probe.Target, vars map[string]any) (*ebpf.Program, error) {
	spec := o.spec.Copy()
	for n := range spec.Programs {
		if n != name {
			delete(spec.Programs, n)
		}
	}
	ps := spec.Programs[name]
	for _, set := range []map[string]any{o.consts, vars} {
		for n, v := range set {
			if n == attachTo {
				ps.AttachTo = v.(string)
				continue
			}
			if err := spec.Variables[n].Set(v); err != nil {
				return nil, fmt.Errorf("set %s: %w", n, err)
			}
		}
	}
	for _, patch := range o.patches {
		if err := patch(ps); err != nil {
			return nil, fmt.Errorf("patch %s: %w", name, err)
		}
	}
	coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{MapReplacements: o.maps})
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			o.log.Debug("verifier log", "program", name, "log", fmt.Sprintf("%+v", ve))
		}
		if t != nil {
			return nil, fmt.Errorf("load %s for %s: %w", name, t, err)
		}
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	o.colls = append(o.colls, coll)
	return coll.Programs[name], nil
}

// lost returns the events lost per probe id, summed over CPUs.
func (o *objects) lost(n int) (map[uint32]uint64, error) {
	out := map[uint32]uint64{}
	var perCPU []uint64
	for id := uint32(0); id < uint32(n); id++ {
		if err := o.maps["lost_events"].Lookup(id, &perCPU); err != nil {
			return nil, fmt.Errorf("read lost events: %w", err)
		}
		var sum uint64
		for _, v := range perCPU {
			sum += v
		}
		if sum > 0 {
			out[id] = sum
		}
	}
	return out, nil
}

// closePrograms unloads every program (links must be closed first).
func (o *objects) closePrograms() {
	for _, c := range o.colls {
		c.Close()
	}
	o.colls = nil
	o.shared = map[probe.Program]*ebpf.Program{}
}

// Close unloads programs and maps.
func (o *objects) Close() {
	o.closePrograms()
	for _, m := range o.maps {
		m.Close()
	}
	o.maps = nil
}
