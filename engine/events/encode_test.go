package events

import (
	"io"
	"math/rand/v2"
	"testing"
)

// The hand-written encoding must write exactly what the codec writes.
func checkSameJSON(t *testing.T, e *Event) {
	t.Helper()
	want, err := e.appendJSONReflect(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.AppendJSON(nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("AppendJSON differs from the codec:\n got %s\nwant %s", got, want)
	}
}

// Every event Retis wrote in the compat files encodes the same both ways.
func TestAppendJSONCompat(t *testing.T) {
	for _, f := range []string{"test_events_packets.json", "test_events.json", "test_events_bench.json", "test_events_sorted.json"} {
		rd, err := Open(compat(t, f), Options{})
		if err != nil {
			t.Fatal(err)
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
func TestAppendJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	strs := []string{"", "ping", "veth-ns01", `a"b`, `back\slash`, "tab\there", "<html>&", "ünïcödé", "\x01\x7f", "\xff\xfe", "\u2028"}
	str := func() string { return strs[r.IntN(len(strs))] }
	maybe := func() bool { return r.IntN(2) == 0 }
	u64 := func() uint64 { return r.Uint64() >> uint(r.IntN(64)) }
	conn := func() CtConn {
		c := CtConn{
			ZoneID: uint16(u64()), ZoneDir: str(), CtStatus: u64(),
			Orig:  CtTuple{IP: CtIP{Src: str(), Dst: str(), Version: "v4"}},
			Reply: CtTuple{IP: CtIP{Src: str(), Dst: str(), Version: "v6"}},
		}
		for _, tu := range []*CtTuple{&c.Orig, &c.Reply} {
			switch r.IntN(5) {
			case 0:
				tu.Proto.TCP = &CtPorts{Sport: uint16(u64()), Dport: uint16(u64())}
			case 1:
				tu.Proto.UDP = &CtPorts{Sport: uint16(u64()), Dport: uint16(u64())}
			case 2:
				tu.Proto.ICMP = &CtICMP{Code: uint8(u64()), Type: uint8(u64()), ID: uint16(u64())}
			case 3:
				tu.Proto.SCTP = &CtSCTP{Sport: 1, Dport: 2, Vtag: uint32(u64())}
			}
		}
		if maybe() {
			c.ProtoState = ptr(str())
		}
		if maybe() {
			c.Mark = ptr(uint32(u64()))
		}
		if maybe() {
			c.Labels = &U128{Hi: u64(), Lo: u64()}
		}
		return c
	}
	for range 5000 {
		e := &Event{}
		if maybe() {
			e.Common = &Common{Timestamp: u64()}
			if maybe() {
				e.Common.SmpID = ptr(uint32(u64()))
			}
			if maybe() {
				e.Common.Task = &Task{Pid: int32(u64()), Tgid: -int32(u64() & 0xffff), Comm: str()}
			}
		}
		if maybe() {
			e.Kernel = &Kernel{Symbol: str(), ProbeType: str()}
			for range r.IntN(3) {
				e.Kernel.StackTrace = append(e.Kernel.StackTrace, str())
			}
		}
		if maybe() {
			e.SkbTracking = &SkbTracking{OrigHead: u64(), Timestamp: u64(), Skb: u64()}
		}
		if maybe() {
			e.SkbDrop = &SkbDrop{DropReason: str()}
			if maybe() {
				e.SkbDrop.Subsys = ptr(str())
			}
		}
		if maybe() {
			e.Packet = &Packet{Len: uint32(u64()), CaptureLen: uint32(u64())}
			if maybe() {
				e.Packet.Data = make([]byte, r.IntN(256))
				for i := range e.Packet.Data {
					e.Packet.Data[i] = byte(r.Uint32())
				}
			}
		}
		if maybe() {
			e.Skb = &Skb{}
			if maybe() {
				e.Skb.VlanAccel = &SkbVlanAccel{Proto: uint16(u64()), Pcp: uint8(u64()), Dei: maybe(), Vid: uint16(u64())}
			}
			if maybe() {
				e.Skb.Meta = &SkbMeta{Len: uint32(u64()), DataLen: 1, Hash: uint32(u64()), IPSummed: 3, Csum: uint32(u64()), CsumLevel: 1, Priority: 7}
			}
			if maybe() {
				e.Skb.DataRef = &SkbDataRef{Nohdr: maybe(), Cloned: maybe(), Fclone: 2, Users: uint8(u64()), Dataref: 1}
			}
			if maybe() {
				e.Skb.GSO = &SkbGSO{Flags: 1, Frags: 2, Size: uint32(u64()), Segs: 4, Type: uint32(u64())}
			}
		}
		if maybe() {
			e.Netns = &Netns{Inum: uint32(u64())}
			if maybe() {
				e.Netns.Cookie = ptr(u64())
			}
		}
		if maybe() {
			e.Dev = &Dev{Name: str(), Ifindex: uint32(u64())}
			if maybe() {
				e.Dev.RxIfindex = ptr(uint32(u64()))
			}
		}
		if maybe() {
			e.Ct = &Ct{State: str(), CtConn: conn()}
			if maybe() {
				p := conn()
				e.Ct.Parent = &p
			}
		}
		checkSameJSON(t, e)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	e := &Event{
		Common:      &Common{Timestamp: 1729756297649, SmpID: ptr(uint32(1)), Task: &Task{Pid: 13413, Tgid: 13413, Comm: "ping"}},
		Kernel:      &Kernel{Symbol: "net:net_dev_start_xmit", ProbeType: "raw_tracepoint"},
		SkbTracking: &SkbTracking{OrigHead: 18446612688257620736, Timestamp: 1729756297649, Skb: 18446612688367386624},
		Packet:      &Packet{Len: 98, CaptureLen: 98, Data: make([]byte, 98)},
		Netns:       &Netns{Cookie: ptr(uint64(3)), Inum: 4026531833},
		Dev:         &Dev{Name: "veth0", Ifindex: 3, RxIfindex: ptr(uint32(3))},
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = e.AppendJSON(buf[:0])
	}
}
