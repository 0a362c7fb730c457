package collect

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"

	"github.com/retis-go/retis/bpf"
	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/collector/dev"
	"github.com/retis-go/retis/engine/collector/skb"
	"github.com/retis-go/retis/engine/collector/skbtracking"
	"github.com/retis-go/retis/engine/probe"
)

func bytesOf[T any](v *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))
}

// record builds a record as bpf/events.h lays it out.
type record struct{ b []byte }

func newRecord(h bpf.ProbeEventHdr) *record {
	r := &record{}
	r.b = append(r.b, bytesOf(&h)...)
	return r
}

func (r *record) section(owner, kind uint8, data []byte) *record {
	h := bpf.ProbeSectionHdr{Owner: owner, Kind: kind, Size: uint16(len(data))}
	r.b = append(r.b, bytesOf(&h)...)
	r.b = append(r.b, data...)
	for len(r.b)%8 != 0 {
		r.b = append(r.b, 0)
	}
	return r
}

// aligned copies b to an 8-byte aligned buffer, as the pipeline does.
func aligned(b []byte) []byte {
	words := make([]uint64, (len(b)+7)/8)
	out := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(b))
	copy(out, b)
	return out
}

func testDecoder() *decoder {
	entries := []*probeEntry{
		{id: 0, target: &probe.Target{Kind: probe.Tracepoint, Name: "net:netif_receive_skb"}},
		{id: 1, target: &probe.Target{Kind: probe.Kprobe, Name: "ip_rcv"}},
	}
	sk, _ := skb.New(nil)
	return newDecoder(entries, []collector.Collector{skbtracking.New(), sk, dev.New()}, nil)
}

func TestDecodeRecord(t *testing.T) {
	h := bpf.ProbeEventHdr{Timestamp: 123, PidTgid: 7<<32 | 9, ProbeId: 1, StackId: -1, Cpu: 1, ProbeType: 0}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&h.Comm[0])), 16), "swapper/1")
	tr := bpf.ProbeSkbTrackingEvent{OrigHead: 0xffff0000, Timestamp: 100, Skb: 0xffff1111}
	pkt := bpf.ProbeSkbPacketEvent{Len: 60, CaptureLen: 3}
	pkt.Packet[0], pkt.Packet[1], pkt.Packet[2] = 0xaa, 0xbb, 0xcc
	d := bpf.ProbeDevEvent{Ifindex: 4}
	d.Name[0], d.Name[1] = 'l', 'o'
	rec := newRecord(h).
		section(4, 1, bytesOf(&tr)).
		section(6, 1, bytesOf(&pkt)).
		section(10, 1, bytesOf(&d))

	e, err := testDecoder().decode(aligned(rec.b))
	if err != nil {
		t.Fatal(err)
	}
	if e.Common.Timestamp != 123 || *e.Common.SmpID != 1 || e.Common.Task.Pid != 9 || e.Common.Task.Tgid != 7 || e.Common.Task.Comm != "swapper/1" {
		t.Errorf("common %+v task %+v", e.Common, e.Common.Task)
	}
	if e.Kernel.Symbol != "ip_rcv" || e.Kernel.ProbeType != "kprobe" || e.Kernel.StackTrace != nil {
		t.Errorf("kernel %+v", e.Kernel)
	}
	if e.SkbTracking.OrigHead != 0xffff0000 || e.SkbTracking.Timestamp != 100 || e.SkbTracking.Skb != 0xffff1111 {
		t.Errorf("tracking %+v", e.SkbTracking)
	}
	if e.Packet.Len != 60 || string(e.Packet.Data) != "\xaa\xbb\xcc" {
		t.Errorf("packet %+v", e.Packet)
	}
	if e.Dev.Name != "lo" || e.Dev.Ifindex != 4 {
		t.Errorf("dev %+v", e.Dev)
	}
	if e.SkbDrop != nil || e.Netns != nil || e.Ct != nil || e.Skb != nil {
		t.Error("sections that were not in the record")
	}

	h.ProbeId, h.ProbeType = 0, 2
	e, err = testDecoder().decode(aligned(newRecord(h).b))
	if err != nil {
		t.Fatal(err)
	}
	if e.Kernel.Symbol != "net:netif_receive_skb" || e.Kernel.ProbeType != "raw_tracepoint" {
		t.Errorf("kernel %+v", e.Kernel)
	}
}

func TestDecodeBadRecords(t *testing.T) {
	h := bpf.ProbeEventHdr{ProbeId: 0, StackId: -1}
	tr := bpf.ProbeSkbTrackingEvent{}
	overrun := newRecord(h).section(4, 1, bytesOf(&tr))
	overrun.b = overrun.b[:len(overrun.b)-8]
	unknownProbe := h
	unknownProbe.ProbeId = 5
	for name, rec := range map[string][]byte{
		"short header":  make([]byte, 10),
		"unknown probe": newRecord(unknownProbe).b,
		"unknown owner": newRecord(h).section(11, 0, make([]byte, 16)).b,
		"overrun":       overrun.b,
		"short section": newRecord(h).section(4, 1, make([]byte, 8)).b,
	} {
		if _, err := testDecoder().decode(aligned(rec)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// Stacks are read once per id and symbolized as Retis writes them.
func TestStacks(t *testing.T) {
	syms, err := probe.ParseKallsyms(strings.NewReader("ffffffff81000000 T kfree_skb_reason\nffffffff81000100 T nft_do_chain\n"))
	if err != nil {
		t.Fatal(err)
	}
	lookups, reloads := 0, 0
	reload := func() (*probe.Symbols, error) { reloads++; return syms, nil }
	st := &stacks{reload: reload, cache: map[int32][]string{}, lookup: func(id int32, ips *[perfMaxStackDepth]uint64) error {
		lookups++
		if id != 2 {
			return errors.New("no such stack")
		}
		ips[0], ips[1], ips[2] = 0xffffffff81000010, 0xffffffff81000123, 0x10
		return nil
	}}
	want := "kfree_skb_reason+0x10 nft_do_chain+0x23 0x10"
	for range 2 {
		if got := strings.Join(st.resolve(2), " "); got != want {
			t.Errorf("stack %q, want %q", got, want)
		}
	}
	if lookups != 1 {
		t.Errorf("%d lookups for one stack id", lookups)
	}
	if got := st.resolve(3); got != nil {
		t.Errorf("missing stack %v", got)
	}
	if reloads != 1 {
		t.Errorf("%d kallsyms reads, want 1", reloads)
	}
}

// A frame in a module loaded after kallsyms was read gets the table read
// again, once it is older than symbolsMaxAge.
func TestStacksReloadForModules(t *testing.T) {
	before, _ := probe.ParseKallsyms(strings.NewReader("ffffffff81000000 T nf_hook_slow\nffffffffc0000000 t cleanup_module\t[other]\n"))
	after, _ := probe.ParseKallsyms(strings.NewReader("ffffffff81000000 T nf_hook_slow\nffffffffc0000000 t cleanup_module\t[other]\nffffffffc0010000 t nft_do_chain\t[nf_tables]\n"))
	next := before
	reloads := 0
	st := &stacks{
		reload: func() (*probe.Symbols, error) { reloads++; return next, nil },
		cache:  map[int32][]string{},
		lookup: func(id int32, ips *[perfMaxStackDepth]uint64) error {
			ips[0], ips[1] = 0xffffffffc0010010+uint64(id), 0xffffffff81000020
			return nil
		},
	}
	if got := strings.Join(st.resolve(0), " "); got != "cleanup_module+0x10010 nf_hook_slow+0x20" {
		t.Errorf("first read: %s", got)
	}
	next = after
	if got := strings.Join(st.resolve(1), " "); got != "cleanup_module+0x10011 nf_hook_slow+0x20" || reloads != 1 {
		t.Errorf("fresh table reread (%d reads): %s", reloads, got)
	}
	st.read = st.read.Add(-2 * symbolsMaxAge)
	if got := strings.Join(st.resolve(2), " "); got != "nft_do_chain+0x12 nf_hook_slow+0x20" || reloads != 2 {
		t.Errorf("stale table (%d reads): %s", reloads, got)
	}
}

// Stacks from tracepoint programs start in our program and the code
// calling it: those frames are dropped, and being BPF frames (dynamic)
// they do not make kallsyms stale.
func TestStacksSkipProbeFrames(t *testing.T) {
	syms, _ := probe.ParseKallsyms(strings.NewReader("ffffffff81000000 T bpf_trace_run4\nffffffff81000100 T sk_skb_reason_drop\n" +
		"ffffffff81000200 T nft_do_chain\nffffffffa0000000 t bpf_prog_ed44cad1a8aac662_probe_tp_btf\t[bpf]\n"))
	reloads := 0
	st := &stacks{
		reload: func() (*probe.Symbols, error) { reloads++; return syms, nil },
		cache:  map[int32][]string{},
		lookup: func(id int32, ips *[perfMaxStackDepth]uint64) error {
			ips[0], ips[1], ips[2], ips[3] = 0xffffffffa0000852, 0xffffffff8100010d-0x100, 0xffffffff81000190, 0xffffffff8100026f
			return nil
		},
	}
	st.preload()
	st.read = st.read.Add(-2 * symbolsMaxAge)
	want := "sk_skb_reason_drop+0x90 nft_do_chain+0x6f"
	if got := strings.Join(st.resolve(0), " "); got != want || reloads != 1 {
		t.Errorf("stack %q after %d reads, want %q after 1", got, reloads, want)
	}
}

func requireRootOnly(t *testing.T) {
	t.Helper()
	if !isRoot() {
		t.Skip("needs root to create BPF maps")
	}
}

// Entries not seen for the age limit go; fresh ones stay.
func TestCollectGarbage(t *testing.T) {
	requireRootOnly(t)
	spec, err := bpf.LoadProbe()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ebpf.NewMap(spec.Maps["tracking_map"])
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	now := uint64(1000 * time.Second)
	for key, lastSeen := range map[uint64]uint64{1: now - uint64(61*time.Second), 2: now - uint64(59*time.Second), 3: now} {
		if err := m.Put(key, bpf.ProbeTrackingInfo{Timestamp: 1, LastSeen: lastSeen, OrigHead: key}); err != nil {
			t.Fatal(err)
		}
	}
	if n := collectGarbage(m, now, gcAge); n != 1 {
		t.Errorf("removed %d entries, want 1", n)
	}
	var info bpf.ProbeTrackingInfo
	if err := m.Lookup(uint64(1), &info); err == nil {
		t.Error("stale entry kept")
	}
	for _, k := range []uint64{2, 3} {
		if err := m.Lookup(k, &info); err != nil {
			t.Errorf("fresh entry %d removed", k)
		}
	}
}

func TestRingSize(t *testing.T) {
	for in, want := range map[int]int{0: DefaultRingSize, 1: 4096, 4096: 4096, 5000: 8192, 16 << 20: 16 << 20, 10 << 20: 16 << 20} {
		if got := ringSize(in); got != want {
			t.Errorf("ringSize(%d) = %d, want %d", in, got, want)
		}
	}
}

// Records decoded one after another into one slab (the file-only path)
// encode exactly as when each is decoded on its own: nothing of an
// event's sections leaks into the next, whichever sections each has; and
// that path allocates nothing.
func TestDecodeIntoReusedSlab(t *testing.T) {
	dec := testDecoder()
	h := bpf.ProbeEventHdr{Timestamp: 1, PidTgid: 7<<32 | 9, ProbeId: 1, StackId: -1}
	tr := bpf.ProbeSkbTrackingEvent{OrigHead: 0xffff0000, Timestamp: 100, Skb: 0xffff1111}
	long := bpf.ProbeSkbPacketEvent{Len: 98, CaptureLen: 98}
	copy(long.Packet[:], benchFrame)
	short := bpf.ProbeSkbPacketEvent{Len: 60, CaptureLen: 3}
	short.Packet[0], short.Packet[1], short.Packet[2] = 0xaa, 0xbb, 0xcc
	meta := bpf.ProbeSkbMetaEvent{Len: 98, Hash: 0x1234, Priority: 6}
	gso := bpf.ProbeSkbGsoEvent{Size: 1448, Segs: 2}
	d := bpf.ProbeDevEvent{Ifindex: 4, RxIfindex: 4}
	d.Name[0], d.Name[1] = 'l', 'o'
	recs := [][]byte{
		aligned(newRecord(h).section(4, 1, bytesOf(&tr)).section(6, 1, bytesOf(&long)).section(6, 3, bytesOf(&meta)).section(6, 5, bytesOf(&gso)).section(10, 1, bytesOf(&d)).b),
		aligned(newRecord(h).section(6, 1, bytesOf(&short)).b),
		aligned(newRecord(h).section(6, 3, bytesOf(&meta)).section(10, 1, bytesOf(&bpf.ProbeDevEvent{Ifindex: 2})).b),
		aligned(newRecord(h).b),
		aligned(newRecord(h).section(4, 1, bytesOf(&tr)).section(6, 5, bytesOf(&gso)).b),
	}
	var slab eventSlab
	for round := range 2 {
		for i, rec := range recs {
			want, err := dec.decode(rec)
			if err != nil {
				t.Fatal(err)
			}
			wantJSON, _ := want.AppendJSON(nil)
			got, err := dec.decodeInto(rec, &slab)
			if err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := got.AppendJSON(nil)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("round %d record %d in a reused slab:\n got %s\nwant %s", round, i, gotJSON, wantJSON)
			}
		}
	}
	var buf []byte
	allocs := testing.AllocsPerRun(200, func() {
		for _, rec := range recs {
			e, _ := dec.decodeInto(rec, &slab)
			buf, _ = e.AppendJSON(buf[:0])
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations decoding and encoding %d records into a reused slab, want 0", allocs, len(recs))
	}
}
