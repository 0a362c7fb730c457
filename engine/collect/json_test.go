package collect

import (
	"io"
	"math/rand/v2"
	"testing"

	"github.com/retis-go/retis/engine/events"
)

// appendEvent must write exactly what events.Event.AppendJSON writes.
func checkSameJSON(t *testing.T, e *events.Event) {
	t.Helper()
	want, err := e.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := appendEvent(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("appendEvent differs from AppendJSON:\n got %s\nwant %s", got, want)
	}
}

// Every event Retis wrote in the compat files encodes the same both ways.
func TestAppendEventCompat(t *testing.T) {
	for _, f := range []string{"test_events_packets.json", "test_events.json", "test_events_bench.json"} {
		rd, err := events.Open("../../../shared/retis-compat/"+f, events.Options{})
		if err != nil {
			t.Skipf("compat files not available: %v", err)
		}
		n := 0
		for {
			e, err := rd.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			checkSameJSON(t, e)
			n++
		}
		rd.Close()
		if n == 0 {
			t.Errorf("%s: no events", f)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Randomised events over every field this package writes, including
// strings that need escaping and absent optional members.
func TestAppendEventRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "ping", "veth-ns01", `a"b`, `back\slash`, "tab\there", "<html>&", "ünïcödé", "\x01\x7f", "\xff\xfe", "\u2028"}
	str := func() string { return strs[r.IntN(len(strs))] }
	maybe := func() bool { return r.IntN(2) == 0 }
	u64 := func() uint64 { return r.Uint64() >> uint(r.IntN(64)) }
	conn := func() events.CtConn {
		c := events.CtConn{
			ZoneID: uint16(u64()), ZoneDir: str(), CtStatus: u64(),
			Orig:  events.CtTuple{IP: events.CtIP{Src: str(), Dst: str(), Version: "v4"}},
			Reply: events.CtTuple{IP: events.CtIP{Src: str(), Dst: str(), Version: "v6"}},
		}
		for _, tu := range []*events.CtTuple{&c.Orig, &c.Reply} {
			switch r.IntN(5) {
			case 0:
				tu.Proto.TCP = &events.CtPorts{Sport: uint16(u64()), Dport: uint16(u64())}
			case 1:
				tu.Proto.UDP = &events.CtPorts{Sport: uint16(u64()), Dport: uint16(u64())}
			case 2:
				tu.Proto.ICMP = &events.CtICMP{Code: uint8(u64()), Type: uint8(u64()), ID: uint16(u64())}
			case 3:
				tu.Proto.SCTP = &events.CtSCTP{Sport: 1, Dport: 2, Vtag: uint32(u64())}
			}
		}
		if maybe() {
			c.ProtoState = ptr(str())
		}
		if maybe() {
			c.Mark = ptr(uint32(u64()))
		}
		if maybe() {
			c.Labels = &events.U128{Hi: u64(), Lo: u64()}
		}
		return c
	}
	for range 5000 {
		e := &events.Event{}
		if maybe() {
			e.Common = &events.Common{Timestamp: u64()}
			if maybe() {
				e.Common.SmpID = ptr(uint32(u64()))
			}
			if maybe() {
				e.Common.Task = &events.Task{Pid: int32(u64()), Tgid: -int32(u64() & 0xffff), Comm: str()}
			}
		}
		if maybe() {
			e.Kernel = &events.Kernel{Symbol: str(), ProbeType: str()}
			for range r.IntN(3) {
				e.Kernel.StackTrace = append(e.Kernel.StackTrace, str())
			}
		}
		if maybe() {
			e.SkbTracking = &events.SkbTracking{OrigHead: u64(), Timestamp: u64(), Skb: u64()}
		}
		if maybe() {
			e.SkbDrop = &events.SkbDrop{DropReason: str()}
			if maybe() {
				e.SkbDrop.Subsys = ptr(str())
			}
		}
		if maybe() {
			e.Packet = &events.Packet{Len: uint32(u64()), CaptureLen: uint32(u64())}
			if maybe() {
				e.Packet.Data = make([]byte, r.IntN(256))
				for i := range e.Packet.Data {
					e.Packet.Data[i] = byte(r.Uint32())
				}
			}
		}
		if maybe() {
			e.Skb = &events.Skb{}
			if maybe() {
				e.Skb.VlanAccel = &events.SkbVlanAccel{Proto: uint16(u64()), Pcp: uint8(u64()), Dei: maybe(), Vid: uint16(u64())}
			}
			if maybe() {
				e.Skb.Meta = &events.SkbMeta{Len: uint32(u64()), DataLen: 1, Hash: uint32(u64()), IPSummed: 3, Csum: uint32(u64()), CsumLevel: 1, Priority: 7}
			}
			if maybe() {
				e.Skb.DataRef = &events.SkbDataRef{Nohdr: maybe(), Cloned: maybe(), Fclone: 2, Users: uint8(u64()), Dataref: 1}
			}
			if maybe() {
				e.Skb.GSO = &events.SkbGSO{Flags: 1, Frags: 2, Size: uint32(u64()), Segs: 4, Type: uint32(u64())}
			}
		}
		if maybe() {
			e.Netns = &events.Netns{Inum: uint32(u64())}
			if maybe() {
				e.Netns.Cookie = ptr(u64())
			}
		}
		if maybe() {
			e.Dev = &events.Dev{Name: str(), Ifindex: uint32(u64())}
			if maybe() {
				e.Dev.RxIfindex = ptr(uint32(u64()))
			}
		}
		if maybe() {
			e.Ct = &events.Ct{State: str(), CtConn: conn()}
			if maybe() {
				p := conn()
				e.Ct.Parent = &p
			}
		}
		checkSameJSON(t, e)
	}
}

func BenchmarkAppendEvent(b *testing.B) {
	e := &events.Event{
		Common:      &events.Common{Timestamp: 1729756297649, SmpID: ptr(uint32(1)), Task: &events.Task{Pid: 13413, Tgid: 13413, Comm: "ping"}},
		Kernel:      &events.Kernel{Symbol: "net:net_dev_start_xmit", ProbeType: "raw_tracepoint"},
		SkbTracking: &events.SkbTracking{OrigHead: 18446612688257620736, Timestamp: 1729756297649, Skb: 18446612688367386624},
		Packet:      &events.Packet{Len: 98, CaptureLen: 98, Data: make([]byte, 98)},
		Netns:       &events.Netns{Cookie: ptr(uint64(3)), Inum: 4026531833},
		Dev:         &events.Dev{Name: "veth0", Ifindex: 3, RxIfindex: ptr(uint32(3))},
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendEvent(buf[:0], e)
	}
}
