// Package benchgen writes large synthetic event files shaped like real
// collections (packets followed across several probes, drops, conntrack),
// for the post-processing benchmarks of `make bench`.
package benchgen

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/retis-go/retis/engine/events"
)

// probes a synthetic packet goes through, in order.
var path = []struct{ symbol, probeType string }{
	{"net:net_dev_start_xmit", events.ProbeRawTracepoint},
	{"net:netif_receive_skb", events.ProbeRawTracepoint},
	{"ip_rcv", events.ProbeKprobe},
	{"skb:kfree_skb", events.ProbeRawTracepoint},
}

// inflight is how many packets are interleaved at once, so that sort has
// to hold several open series like on a busy host.
const inflight = 16

// Generate writes a startup event then n events to w.
func Generate(w *events.Writer, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	start := uint64(30_000_000_000_000)
	err := w.Write(&events.Event{
		Common: &events.Common{Timestamp: start},
		Startup: &events.Startup{
			RetisVersion:         events.WriterVersion,
			Cmdline:              "retis collect -o (synthetic benchmark data)",
			ClockMonotonicOffset: events.TimeSpec{Sec: 1742309146, Nsec: 691042000},
			Machine:              events.Machine{KernelRelease: "6.18.0", KernelVersion: "#1 SMP", HardwareName: "x86_64"},
		},
	})
	if err != nil {
		return err
	}
	type pkt struct {
		head, skb, ts uint64
		step          int
		data          []byte
		drop          bool
	}
	var live [inflight]*pkt
	ts := start
	var nextID uint64
	for i := 0; i < n; i++ {
		slot := rng.IntN(inflight)
		p := live[slot]
		if p == nil || p.step >= len(path) || (p.step == len(path)-1 && !p.drop) {
			nextID++
			ts += 50
			p = &pkt{
				head: 0xffff8e95c3b60000 + nextID*0x1000,
				skb:  0xffff8e95d3000000 + nextID*0x100,
				ts:   ts,
				data: packet(rng, uint16(nextID)),
				drop: rng.IntN(10) == 0,
			}
			live[slot] = p
		}
		ts += 100 + uint64(rng.IntN(200))
		pr := path[p.step]
		smp := uint32(rng.IntN(4))
		ev := &events.Event{
			Common:      &events.Common{Timestamp: ts, SmpID: &smp, Task: &events.Task{Pid: 11330, Tgid: 11330, Comm: "ping"}},
			Kernel:      &events.Kernel{Symbol: pr.symbol, ProbeType: pr.probeType},
			SkbTracking: &events.SkbTracking{OrigHead: p.head, Timestamp: p.ts, Skb: p.skb},
			Packet:      &events.Packet{Len: uint32(len(p.data)), CaptureLen: uint32(len(p.data)), Data: p.data},
			Skb: &events.Skb{
				Meta:    &events.SkbMeta{Len: uint32(len(p.data)), Hash: rng.Uint32(), Csum: rng.Uint32()},
				DataRef: &events.SkbDataRef{Users: 1, Dataref: 1},
			},
			Netns: &events.Netns{Cookie: ptr(uint64(3)), Inum: 4026532741},
			Dev:   &events.Dev{Name: "veth-ns01", Ifindex: 11},
		}
		if pr.symbol == "skb:kfree_skb" {
			ev.SkbDrop = &events.SkbDrop{DropReason: "NETFILTER_DROP"}
		}
		if p.step == 0 {
			ev.Ct = conntrack(p.data)
		}
		p.step++
		if err := w.Write(ev); err != nil {
			return err
		}
	}
	return w.Flush()
}

func ptr[T any](v T) *T { return &v }

// packet returns an Ethernet/IPv4/UDP frame with a 56-byte payload.
func packet(rng *rand.Rand, id uint16) []byte {
	b := make([]byte, 14+20+8+56)
	copy(b[0:6], []byte{0xfa, 0x5c, 0xbd, 0x8e, 0xcc, 0x01})
	copy(b[6:12], []byte{0xa6, 0xc2, 0x11, 0x71, 0x59, 0x45})
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], uint16(len(b)-14))
	binary.BigEndian.PutUint16(ip[4:], id)
	copy(ip[12:16], []byte{192, 168, 125, 10})
	copy(ip[16:20], []byte{192, 168, 125, 11})
	udp := ip[20:]
	binary.BigEndian.PutUint16(udp[0:], uint16(32768+rng.IntN(28000)))
	binary.BigEndian.PutUint16(udp[2:], 9999)
	binary.BigEndian.PutUint16(udp[4:], 8+56)
	for i := range udp[8:] {
		udp[8+i] = byte(i)
	}
	return b
}

func conntrack(data []byte) *events.Ct {
	sport := binary.BigEndian.Uint16(data[34:])
	return &events.Ct{
		State: "new",
		CtConn: events.CtConn{
			ZoneDir: "Default",
			Orig: events.CtTuple{
				IP:    events.CtIP{Src: "192.168.125.10", Dst: "192.168.125.11", Version: "v4"},
				Proto: events.CtProto{UDP: &events.CtPorts{Sport: sport, Dport: 9999}},
			},
			Reply: events.CtTuple{
				IP:    events.CtIP{Src: "192.168.125.11", Dst: "192.168.125.10", Version: "v4"},
				Proto: events.CtProto{UDP: &events.CtPorts{Sport: 9999, Dport: sport}},
			},
			Mark:     ptr(uint32(0)),
			CtStatus: 8,
		},
	}
}
