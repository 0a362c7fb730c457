package collect

import (
	"github.com/retis-go/retis/vm/vmtest"

	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// bpfFds counts this process's BPF objects by kind.
func bpfFds(t *testing.T) map[string]int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue
		}
		if kind, ok := strings.CutPrefix(target, "anon_inode:bpf"); ok {
			out[kind]++
		}
	}
	return out
}

// collect runs a collection into a file and returns its events (startup
// excluded). It fails the test when BPF objects outlive the collection.
func collect(t *testing.T, cfg Config) ([]*events.Event, *Stats) {
	t.Helper()
	cfg.Output = filepath.Join(t.TempDir(), "retis.data")
	cfg.Log = testLogger(t)
	before := bpfFds(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	if after := bpfFds(t); !maps(before, after) {
		t.Errorf("BPF objects left after the collection: before %v, after %v", before, after)
	}
	evs, startup := readEvents(t, cfg.Output)
	if startup == nil || startup.RetisVersion != events.WriterVersion {
		t.Errorf("first event is not our startup event: %+v", startup)
	}
	if uint64(len(evs)) != st.Events {
		t.Errorf("file holds %d events, stats say %d", len(evs), st.Events)
	}
	return evs, st
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func readEvents(t *testing.T, path string) ([]*events.Event, *events.Startup) {
	t.Helper()
	rd, err := events.Open(path, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var evs []*events.Event
	var startup *events.Startup
	for {
		e, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Startup != nil {
			if len(evs) > 0 || startup != nil {
				t.Error("startup event is not first")
			}
			startup = e.Startup
			continue
		}
		evs = append(evs, e)
	}
	return evs, startup
}

// inNetns keeps the events of the given namespaces: the probes see every
// namespace's traffic.
func inNetns(evs []*events.Event, nss ...*testNetns) []*events.Event {
	var out []*events.Event
	for _, e := range evs {
		if e.Netns == nil {
			continue
		}
		for _, ns := range nss {
			if e.Netns.Inum == ns.inum {
				out = append(out, e)
			}
		}
	}
	return out
}

type pkt struct {
	ip   *layers.IPv4
	udp  *layers.UDP
	icmp *layers.ICMPv4
}

func decodePacket(e *events.Event) *pkt {
	if e.Packet == nil {
		return nil
	}
	p := gopacket.NewPacket(e.Packet.Data, layers.LayerTypeEthernet, gopacket.NoCopy)
	out := &pkt{}
	if l, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
		out.ip = l
	} else {
		return nil
	}
	out.udp, _ = p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	out.icmp, _ = p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	return out
}

func trackingID(e *events.Event) string {
	if e.SkbTracking == nil {
		return ""
	}
	return fmt.Sprintf("%x%016x", e.SkbTracking.Timestamp, e.SkbTracking.OrigHead)
}

func find(evs []*events.Event, symbol string, ns *testNetns, keep func(*events.Event, *pkt) bool) []*events.Event {
	var out []*events.Event
	for _, e := range evs {
		if e.Kernel == nil || e.Kernel.Symbol != symbol || e.Netns == nil || e.Netns.Inum != ns.inum {
			continue
		}
		if p := decodePacket(e); p != nil && keep(e, p) {
			out = append(out, e)
		}
	}
	return out
}

// Ping across a veth pair: echo requests show up leaving A and entering
// B, on the right devices and namespaces, with one tracking id and the
// same frame at both ends.
func TestPingVeth(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t), newNetns(t)
	aIdx, bIdx := veth(t, a, "va", "10.91.0.1/24", b, "vb", "10.91.0.2/24")

	evs, st := collect(t, Config{
		Cmd: fmt.Sprintf("ip netns exec %s ping -q -c 3 -i 0.2 -W 1 10.91.0.2 >/dev/null", a.name),
	})
	if want := []string{"tp:net:netif_receive_skb (tp_btf)", "tp:net:net_dev_start_xmit (tp_btf)"}; !slices.Equal(st.Probes[:2], want) {
		t.Errorf("probes %v, want %v first", st.Probes, want)
	}
	evs = inNetns(evs, a, b)
	echo := func(e *events.Event, p *pkt) bool {
		return p.icmp != nil && p.icmp.TypeCode.Type() == layers.ICMPv4TypeEchoRequest &&
			p.ip.SrcIP.String() == "10.91.0.1" && p.ip.DstIP.String() == "10.91.0.2"
	}
	out := find(evs, "net:net_dev_start_xmit", a, echo)
	in := find(evs, "net:netif_receive_skb", b, echo)
	if len(out) != 3 || len(in) != 3 {
		t.Fatalf("%d echo requests sent from A and %d received in B, want 3 and 3", len(out), len(in))
	}
	for i := range out {
		o, r := out[i], in[i]
		if o.Kernel.ProbeType != "raw_tracepoint" || r.Kernel.ProbeType != "raw_tracepoint" {
			t.Errorf("probe types %q, %q", o.Kernel.ProbeType, r.Kernel.ProbeType)
		}
		if o.Dev == nil || o.Dev.Name != "va" || o.Dev.Ifindex != uint32(aIdx) {
			t.Errorf("xmit dev %+v, want va/%d", o.Dev, aIdx)
		}
		if r.Dev == nil || r.Dev.Name != "vb" || r.Dev.Ifindex != uint32(bIdx) {
			t.Errorf("receive dev %+v, want vb/%d", r.Dev, bIdx)
		}
		// skb_iif is set after this tracepoint: like Retis, no rx_ifindex
		// yet (a wrong one would be a bug).
		if r.Dev != nil && r.Dev.RxIfindex != nil && *r.Dev.RxIfindex != uint32(bIdx) {
			t.Errorf("receive rx_ifindex %d, want %d", *r.Dev.RxIfindex, bIdx)
		}
		if id := trackingID(o); id == "" || id != trackingID(r) {
			t.Errorf("tracking ids differ across the veth: %s, %s", id, trackingID(r))
		}
		if o.Packet.Len != 98 || o.Packet.CaptureLen != 98 || string(o.Packet.Data) != string(r.Packet.Data) {
			t.Errorf("frames differ: sent %d/%d bytes %x, received %x", o.Packet.Len, o.Packet.CaptureLen, o.Packet.Data, r.Packet.Data)
		}
		if o.Common.Task == nil || o.Common.Task.Comm != "ping" {
			t.Errorf("xmit task %+v, want ping", o.Common.Task)
		}
		if r.Common.Timestamp < o.Common.Timestamp {
			t.Errorf("received before sent: %d < %d", r.Common.Timestamp, o.Common.Timestamp)
		}
	}
}

// The skb collector's optional sections, read from the probe's copy of
// the sk_buff (bitfields included), agree with what the kernel does to a
// UDP datagram leaving over a veth: linear, one user, checksum left to
// the device (CHECKSUM_PARTIAL) and skb->len the frame. (The first
// datagram waits for ARP and may leave as a clone.)
func TestSkbSections(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t), newNetns(t)
	veth(t, a, "va", "10.97.0.1/24", b, "vb", "10.97.0.2/24")
	evs, _ := collect(t, Config{
		Collectors:  []string{"skb", "ns"},
		Probes:      []string{"tp:net:net_dev_start_xmit"},
		SkbSections: []string{"all"},
		Cmd:         helperCmd(a, "10.97.0.2:9997", 40004, 2),
	})
	sent := find(evs, "net:net_dev_start_xmit", a, func(e *events.Event, p *pkt) bool {
		return p.udp != nil && p.udp.SrcPort == 40004
	})
	if len(sent) != 2 {
		t.Fatalf("%d datagrams seen leaving, want 2", len(sent))
	}
	const checksumPartial = 3
	for _, e := range sent {
		if e.Skb == nil || e.Skb.Meta == nil || e.Skb.DataRef == nil {
			t.Fatalf("skb sections missing: %+v", e.Skb)
		}
		m, d := e.Skb.Meta, e.Skb.DataRef
		if m.Len != e.Packet.Len || m.DataLen != 0 || m.IPSummed != checksumPartial {
			t.Errorf("meta %+v, want len %d, data_len 0, ip_summed %d", m, e.Packet.Len, checksumPartial)
		}
		if d.Users != 1 || d.Dataref == 0 || d.Nohdr {
			t.Errorf("data_ref %+v, want one user, a data reference, a header", d)
		}
		if e.Skb.GSO != nil {
			t.Errorf("gso section on a small datagram: %+v", e.Skb.GSO)
		}
	}
}

// A packet dropped by an nft rule gets NETFILTER_DROP, and its stack shows
// where: in the netfilter hook (nf_hook_slow frees it, or nft_do_chain
// below it, depending on the kernel).
func TestNftDrop(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t), newNetns(t)
	veth(t, a, "va", "10.92.0.1/24", b, "vb", "10.92.0.2/24")
	loadRuleset(t, b, `table inet retis_test {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport 9999 drop
	}
}`)
	evs, _ := collect(t, Config{
		Probes: append(slices.Clone(DefaultProbes), "tp:skb:kfree_skb/stack"),
		Cmd:    helperCmd(a, "10.92.0.2:9999", 40001, 3),
	})
	drops := find(inNetns(evs, b), "skb:kfree_skb", b, func(e *events.Event, p *pkt) bool {
		return p.udp != nil && p.udp.DstPort == 9999 && p.udp.SrcPort == 40001
	})
	if len(drops) != 3 {
		t.Fatalf("%d drops of the UDP packets, want 3", len(drops))
	}
	for _, d := range drops {
		if d.SkbDrop == nil || d.SkbDrop.DropReason != "NETFILTER_DROP" || d.SkbDrop.Subsys != nil {
			t.Errorf("drop %+v, want NETFILTER_DROP", d.SkbDrop)
		}
		if !slices.ContainsFunc(d.Kernel.StackTrace, func(s string) bool { return strings.HasPrefix(s, "nf_hook_slow+0x") }) {
			t.Errorf("stack does not go through nf_hook_slow: %v", d.Kernel.StackTrace)
		}
	}
}

// UDP to a port nobody listens on is dropped with NO_SOCKET.
func TestClosedPortDrop(t *testing.T) {
	requireRoot(t)
	a, b := newNetns(t), newNetns(t)
	veth(t, a, "va", "10.95.0.1/24", b, "vb", "10.95.0.2/24")
	evs, _ := collect(t, Config{
		Collectors: []string{"skb-drop", "skb", "ns", "skb-tracking"},
		Cmd:        helperCmd(a, "10.95.0.2:9998", 40002, 2),
	})
	drops := find(evs, "skb:kfree_skb", b, func(e *events.Event, p *pkt) bool {
		return p.udp != nil && p.udp.DstPort == 9998
	})
	if len(drops) != 2 {
		t.Fatalf("%d drops, want 2", len(drops))
	}
	for _, d := range drops {
		if d.SkbDrop == nil || d.SkbDrop.DropReason != "NO_SOCKET" {
			t.Errorf("drop %+v, want NO_SOCKET", d.SkbDrop)
		}
		if d.Dev != nil {
			t.Errorf("dev section from a collector not asked for: %+v", d.Dev)
		}
	}
}

// DNAT in a router namespace: the packet keeps one tracking id from the
// client to the server while its destination changes, and the router's
// events carry the conntrack entry with the translation.
func TestDNATTracking(t *testing.T) {
	requireRoot(t)
	a, r, b := dnatSetup(t)
	evs, _ := collect(t, Config{
		Cmd: helperCmd(a, "10.93.0.2:7777", 40003, 3),
	})
	ours := func(e *events.Event, p *pkt) bool { return p.udp != nil && p.udp.SrcPort == 40003 }
	sent := find(evs, "net:net_dev_start_xmit", a, ours)
	if len(sent) == 0 {
		t.Fatal("no packet left the client")
	}
	series := map[string][]*events.Event{}
	for _, e := range inNetns(evs, a, r, b) {
		if p := decodePacket(e); p != nil && ours(e, p) {
			series[trackingID(e)] = append(series[trackingID(e)], e)
		}
	}
	complete := 0
	for _, s := range sent {
		id := trackingID(s)
		where := map[string]string{}
		for _, e := range series[id] {
			ns := map[uint32]string{a.inum: "A", r.inum: "R", b.inum: "B"}[e.Netns.Inum]
			where[ns+" "+e.Kernel.Symbol] = decodePacket(e).ip.DstIP.String()
		}
		want := map[string]string{
			"A net:net_dev_start_xmit": "10.93.0.2",
			"R net:netif_receive_skb":  "10.93.0.2",
			"R net:net_dev_start_xmit": "10.94.0.2",
			"B net:netif_receive_skb":  "10.94.0.2",
		}
		ok := true
		for k, v := range want {
			if where[k] != v {
				ok = false
			}
		}
		if ok {
			complete++
		} else {
			t.Logf("series %s: %v", id, where)
		}
	}
	if complete == 0 {
		t.Fatalf("no packet was followed through the DNAT with one tracking id (%d sent)", len(sent))
	}

	var ct *events.Ct
	for _, e := range series[trackingID(sent[len(sent)-1])] {
		if e.Netns.Inum == r.inum && e.Kernel.Symbol == "net:net_dev_start_xmit" {
			ct = e.Ct
		}
	}
	if ct == nil {
		t.Fatal("the router's forwarded packet has no ct section")
	}
	if ct.State != "new" && ct.State != "established" {
		t.Errorf("ct state %q", ct.State)
	}
	if ct.Orig.IP.Dst != "10.93.0.2" || ct.Reply.IP.Src != "10.94.0.2" || ct.Orig.IP.Version != "v4" {
		t.Errorf("ct tuples do not show the DNAT: orig %+v reply %+v", ct.Orig.IP, ct.Reply.IP)
	}
	if ct.Orig.Proto.UDP == nil || ct.Orig.Proto.UDP.Sport != 40003 || ct.Orig.Proto.UDP.Dport != 7777 {
		t.Errorf("ct orig ports %+v", ct.Orig.Proto.UDP)
	}
}

// Every function backend attaches and reports the packet: ip_rcv at
// entry (the receiving side), __ip_local_out at return (the sending side,
// where the skb is still alive; its skb is the third argument). Backends
// this kernel lacks are skipped.
func TestFunctionBackends(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		backend probe.Backend
		spec    string
		symbol  string
		side    string
	}{
		{probe.KprobeMulti, "kprobe:ip_rcv", "ip_rcv", "B"},
		{probe.KprobeSingle, "kprobe:ip_rcv", "ip_rcv", "B"},
		{probe.Fentry, "kprobe:ip_rcv", "ip_rcv", "B"},
		{probe.KretprobeSingle, "kretprobe:__ip_local_out", "__ip_local_out", "A"},
		{probe.Fexit, "kretprobe:__ip_local_out", "__ip_local_out", "A"},
	} {
		t.Run(tc.backend.String(), func(t *testing.T) {
			// On the VM tier's kernels a missing backend fails the test
			// unless vm/kernels.lock says the kernel lacks it.
			vmtest.SkipIfNotSupported(t, tc.backend.String(), tc.backend.Supported())
			a, b := newNetns(t), newNetns(t)
			_, bIdx := veth(t, a, "va", "10.96.0.1/24", b, "vb", "10.96.0.2/24")
			evs, st := collect(t, Config{
				Probes:   []string{tc.spec},
				Backends: []string{tc.backend.String()},
				Cmd:      fmt.Sprintf("ip netns exec %s ping -q -c 3 -i 0.2 -W 1 10.96.0.2 >/dev/null", a.name),
			})
			if want := tc.spec + " (" + tc.backend.String() + ")"; !slices.Contains(st.Probes, want) {
				t.Fatalf("probes %v, want %s", st.Probes, want)
			}
			ns := map[string]*testNetns{"A": a, "B": b}[tc.side]
			got := find(evs, tc.symbol, ns, func(e *events.Event, p *pkt) bool {
				return p.icmp != nil && p.icmp.TypeCode.Type() == layers.ICMPv4TypeEchoRequest && p.ip.DstIP.String() == "10.96.0.2"
			})
			if len(got) < 3 {
				t.Fatalf("%d echo requests seen at %s, want at least 3", len(got), tc.symbol)
			}
			for _, e := range got {
				if want := tc.backend.Kind().ProbeType(); e.Kernel.ProbeType != want {
					t.Errorf("probe type %q, want %q", e.Kernel.ProbeType, want)
				}
				if tc.side == "B" && (e.Dev == nil || e.Dev.Ifindex != uint32(bIdx)) {
					t.Errorf("dev %+v, want ifindex %d", e.Dev, bIdx)
				}
			}
		})
	}
}

// dnatSetup makes client A (10.93.0.1), router R translating 10.93.0.2:7777
// to server B (10.94.0.2:7777).
func dnatSetup(t *testing.T) (a, r, b *testNetns) {
	t.Helper()
	a, r, b = newNetns(t), newNetns(t), newNetns(t)
	veth(t, a, "va", "10.93.0.1/24", r, "ra", "10.93.0.2/24")
	veth(t, r, "rb", "10.94.0.1/24", b, "vb", "10.94.0.2/24")
	addRoute(t, b, "10.93.0.0/24", "10.94.0.1")
	sysctl(t, r, "net.ipv4.ip_forward", "1")
	loadRuleset(t, r, `table ip retis_test {
	chain pre {
		type nat hook prerouting priority -100; policy accept;
		ip daddr 10.93.0.2 udp dport 7777 dnat to 10.94.0.2:7777
	}
}`)
	return a, r, b
}

// A packet the filter matched before DNAT is followed after it, though
// its new destination no longer matches: tracked packets skip the
// filters. Untracked traffic to the new destination is not collected.
func TestDNATFilterFollows(t *testing.T) {
	requireRoot(t)
	a, r, b := dnatSetup(t)
	evs, _ := collect(t, Config{
		Filter: "dst host 10.93.0.2 and udp port 7777",
		Cmd:    helperCmd(a, "10.93.0.2:7777", 40004, 3),
	})
	ours := func(e *events.Event, p *pkt) bool { return p.udp != nil && p.udp.SrcPort == 40004 }
	after := find(evs, "net:netif_receive_skb", b, ours)
	if len(after) == 0 {
		t.Fatal("the packet was not followed after DNAT (no event in the server's namespace)")
	}
	for _, e := range after {
		if dst := decodePacket(e).ip.DstIP.String(); dst != "10.94.0.2" {
			t.Errorf("server-side event with destination %s", dst)
		}
	}
	for _, e := range inNetns(evs, a, r, b) {
		p := decodePacket(e)
		if p == nil || p.ip == nil {
			continue
		}
		if !ours(e, p) {
			t.Errorf("event outside the filter and not tracked: %s > %s", p.ip.SrcIP, p.ip.DstIP)
		}
	}
}
