package collect

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

const (
	hdrSize        = int(unsafe.Sizeof(bpf.ProbeEventHdr{}))
	sectionHdrSize = int(unsafe.Sizeof(bpf.ProbeSectionHdr{}))
	// perfMaxStackDepth is the number of entries of a stack_map value.
	perfMaxStackDepth = 127
)

// probeInfo is what events say about the probe that produced them.
type probeInfo struct {
	symbol    string
	probeType string
}

// decoder turns records into events. It is safe for concurrent use.
type decoder struct {
	probes []probeInfo
	owners [256]collector.Collector
	stacks *stacks
	comms  collector.Names
}

// eventSlab holds the parts of an event every record has, allocated at
// once.
type eventSlab struct {
	event  events.Event
	common events.Common
	task   events.Task
	kernel events.Kernel
	cpu    uint32
	// scratch is the collectors' memory, kept when the slab is reused.
	scratch collector.Scratch
}

func newDecoder(entries []*probeEntry, cols []collector.Collector, st *stacks) *decoder {
	d := &decoder{probes: make([]probeInfo, len(entries)), stacks: st}
	for _, e := range entries {
		d.probes[e.id] = probeInfo{symbol: e.target.Name, probeType: e.target.Kind.ProbeType()}
	}
	for _, c := range cols {
		d.owners[c.Owner()] = c
	}
	return d
}

var errBadRecord = errors.New("malformed record")

// decode decodes one record. The record must be 8-byte aligned.
func (d *decoder) decode(rec []byte) (*events.Event, error) {
	return d.decodeInto(rec, new(eventSlab))
}

// decodeInto decodes one record into sl, which it overwrites: a caller
// done with the event before the next record may pass the same one again
// and save an allocation per event.
func (d *decoder) decodeInto(rec []byte, sl *eventSlab) (*events.Event, error) {
	hdr, err := collector.As[bpf.ProbeEventHdr](rec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadRecord, err)
	}
	if int(hdr.ProbeId) >= len(d.probes) {
		return nil, fmt.Errorf("%w: unknown probe id %d", errBadRecord, hdr.ProbeId)
	}
	p := &d.probes[hdr.ProbeId]
	scratch := sl.scratch
	*sl = eventSlab{
		common: events.Common{Timestamp: hdr.Timestamp},
		task: events.Task{
			Pid:  int32(uint32(hdr.PidTgid)),
			Tgid: int32(hdr.PidTgid >> 32),
			Comm: d.comms.Get((*[16]byte)(unsafe.Pointer(&hdr.Comm))),
		},
		kernel:  events.Kernel{Symbol: p.symbol, ProbeType: p.probeType},
		cpu:     hdr.Cpu,
		scratch: scratch,
	}
	sl.scratch.Next()
	sl.common.SmpID, sl.common.Task = &sl.cpu, &sl.task
	e := &sl.event
	e.Common, e.Kernel = &sl.common, &sl.kernel
	if hdr.StackId >= 0 && d.stacks != nil {
		e.Kernel.StackTrace = d.stacks.resolve(hdr.StackId)
	}

	for off := hdrSize; off+sectionHdrSize <= len(rec); {
		sh, _ := collector.As[bpf.ProbeSectionHdr](rec[off:])
		start := off + sectionHdrSize
		end := start + int(sh.Size)
		if end > len(rec) {
			return nil, fmt.Errorf("%w: section of owner %d overruns the record", errBadRecord, sh.Owner)
		}
		c := d.owners[sh.Owner]
		if c == nil {
			return nil, fmt.Errorf("%w: section of unknown owner %d", errBadRecord, sh.Owner)
		}
		if err := c.Decode(sh.Kind, rec[start:end], e, &sl.scratch); err != nil {
			return nil, fmt.Errorf("decode %s section: %w", c.Name(), err)
		}
		off = start + (int(sh.Size)+7)&^7
	}
	return e, nil
}

// stacks resolves stack ids to symbolized frames, once per id: a stack id
// always names the same stack (the map never evicts).
type stacks struct {
	lookup func(id int32, ips *[perfMaxStackDepth]uint64) error
	// reload reads kallsyms again: modules and BPF programs loaded after
	// the last read (nf_tables autoloaded by a rule, our own programs)
	// would otherwise be named after their neighbours.
	reload func() (*probe.Symbols, error)
	mu     sync.Mutex
	syms   *probe.Symbols
	read   time.Time
	cache  map[int32][]string
}

// symbolsMaxAge is how stale kallsyms may be when a stack has frames in
// modules or BPF programs.
const symbolsMaxAge = time.Second

func newStacks(m *ebpf.Map) *stacks {
	return &stacks{
		lookup: func(id int32, ips *[perfMaxStackDepth]uint64) error { return m.Lookup(uint32(id), ips) },
		reload: probe.ReadHostSymbols,
		cache:  map[int32][]string{},
	}
}

// preload reads kallsyms now, once our programs are loaded: the first
// stack then costs no read, and our programs' frames are named.
func (s *stacks) preload() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if syms, err := s.reload(); err == nil {
		s.syms, s.read = syms, time.Now()
	}
}

// probeMachinery prefixes the symbols of the frames a stack taken from a
// tracepoint or trampoline program starts with: our program and the
// kernel code calling it, not the packet's path.
var probeMachinery = []string{"bpf_prog_", "bpf_trampoline_", "bpf_trace_run", "__bpf_trace_", "__traceiter_"}

// probeFrames counts the leading frames of ips inside the probe machinery.
func (s *stacks) probeFrames(ips []uint64) int {
	if s.syms == nil {
		return 0
	}
	n := 0
	for n < len(ips) && isProbeMachinery(s.syms.Format(ips[n])) {
		n++
	}
	return n
}

func isProbeMachinery(sym string) bool {
	for _, p := range probeMachinery {
		if strings.HasPrefix(sym, p) {
			return true
		}
	}
	return false
}

func (s *stacks) resolve(id int32) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.cache[id]; ok {
		return st
	}
	var ips [perfMaxStackDepth]uint64
	if err := s.lookup(id, &ips); err != nil {
		return nil
	}
	n := 0
	for n < len(ips) && ips[n] != 0 {
		n++
	}
	lead := s.probeFrames(ips[:n])
	stale := s.syms == nil
	for _, ip := range ips[lead:n] {
		if s.syms != nil && s.syms.Dynamic(ip) && time.Since(s.read) > symbolsMaxAge {
			stale = true
		}
	}
	if stale {
		if syms, err := s.reload(); err == nil {
			s.syms, s.read = syms, time.Now()
			lead = s.probeFrames(ips[:n])
		}
	}
	out := make([]string, 0, n-lead)
	for _, ip := range ips[lead:n] {
		if s.syms != nil {
			out = append(out, s.syms.Format(ip))
		} else {
			out = append(out, fmt.Sprintf("%#x", ip))
		}
	}
	s.cache[id] = out
	return out
}
