package collect

import (
	"github.com/retis-go/retis/vm/vmtest"

	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/retis-go/retis/engine/collector/nft"
	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/probe"
)

// nftVerdict is an nft event as both sources must report it, for one
// packet (its source and destination ports).
func nftVerdict(e *events.Event, p *pkt) string {
	n := e.Nft
	s := fmt.Sprintf("%s %s (%d) %s (%d)", packetKey(p), n.TableName, n.TableHandle, n.ChainName, n.ChainHandle)
	if n.RuleHandle != nil {
		s += fmt.Sprintf(" handle %d", *n.RuleHandle)
	}
	s += " " + n.Verdict
	if n.Policy {
		s += " (policy)"
	}
	if n.VerdictChainName != nil {
		s += " chain " + *n.VerdictChainName
	}
	return s
}

// packetKey tells the test's packets apart.
func packetKey(p *pkt) string {
	if p.udp != nil {
		return fmt.Sprintf("%d>%d", p.udp.SrcPort, p.udp.DstPort)
	}
	return "icmp"
}

// The kprobe source reports the verdicts the netlink source reports, for
// an accept rule, a jump, a drop rule and a chain policy, with every
// function backend
// this kernel has; its events are in the series of their packet (the drop
// verdict shares the tracking id of the packet's skb-drop event).
func TestNftKprobeSource(t *testing.T) {
	requireRoot(t)
	in := nft.Inspect()
	if in.Sources[1].Err != nil {
		t.Skipf("no nft trace: %v", in.Sources[1].Err)
	}
	// The VM tier's kernels all have it; the host has no kprobes.
	vmtest.SkipIfNotSupported(t, "kprobe", in.Sources[0].Err)

	a, b := newNetns(t), newNetns(t)
	veth(t, a, "va", "10.98.0.1/24", b, "vb", "10.98.0.2/24")
	loadRuleset(t, b, `table inet retis_test {
	chain udp_in {
		udp dport 9998 accept
		udp dport 9999 drop
	}
	chain input {
		type filter hook input priority 0; policy accept;
		meta l4proto udp jump udp_in
	}
}`)
	// One datagram per source port: two dropped, two accepted (then
	// dropped for want of a socket).
	var cmds []string
	sent := map[uint16]uint16{41001: 9999, 41002: 9999, 41003: 9998, 41004: 9998}
	for _, sport := range []int{41001, 41002, 41003, 41004} {
		cmds = append(cmds, helperCmd(a, fmt.Sprintf("10.98.0.2:%d", sent[uint16(sport)]), sport, 1))
	}
	// And one echo request, accepted by the input chain's policy.
	cmds = append(cmds, fmt.Sprintf("ip netns exec %s ping -q -c 1 -W 1 10.98.0.2 >/dev/null", a.name))
	ours := func(e *events.Event, p *pkt) bool {
		if p.icmp != nil {
			return p.icmp.TypeCode.Type() == layers.ICMPv4TypeEchoRequest && p.ip.DstIP.String() == "10.98.0.2"
		}
		return p.udp != nil && sent[uint16(p.udp.SrcPort)] == uint16(p.udp.DstPort)
	}
	collectVerdicts := func(t *testing.T, source string, backends ...string) ([]*events.Event, []string) {
		t.Helper()
		evs, st := collect(t, Config{
			Collectors:         []string{"skb-tracking", "skb", "skb-drop", "ns", "nft"},
			Probes:             []string{"tp:net:netif_receive_skb"},
			Backends:           backends,
			AllowSystemChanges: true,
			NftNetns:           []string{b.name},
			NftSource:          source,
			NftVerdicts:        []string{"drop", "accept", "jump"},
			Cmd:                strings.Join(cmds, "; "),
		})
		var verdicts []string
		for _, e := range inNetns(evs, b) {
			if e.Nft == nil {
				continue
			}
			if e.Nft.TableName == nft.TableName {
				t.Errorf("%s: verdict of our own table: %+v", source, e.Nft)
			}
			if p := decodePacket(e); p != nil && ours(e, p) {
				verdicts = append(verdicts, nftVerdict(e, p))
			}
		}
		slices.Sort(verdicts)
		t.Logf("%s source, probes %v: %d events, verdicts:\n%s", source, st.Probes, len(evs), strings.Join(verdicts, "\n"))
		return evs, verdicts
	}

	_, want := collectVerdicts(t, NftSourceNetlink)
	if len(want) != 9 || !strings.HasPrefix(want[8], "icmp retis_test") || !strings.HasSuffix(want[8], "accept (policy)") {
		t.Fatalf("netlink source: %d verdicts, want a jump and an accept or a drop for each of the 4 datagrams, and a policy accept", len(want))
	}
	for _, w := range want {
		if !strings.Contains(w, "retis_test") || !strings.Contains(w, " input ") && !strings.Contains(w, " udp_in ") {
			t.Errorf("netlink source: unexpected verdict %s", w)
		}
	}

	for _, be := range []probe.Backend{probe.KprobeMulti, probe.KprobeSingle, probe.Fentry} {
		t.Run(be.String(), func(t *testing.T) {
			vmtest.SkipIfNotSupported(t, be.String(), be.Supported())
			evs, got := collectVerdicts(t, NftSourceKprobe, be.String())
			if !slices.Equal(got, want) {
				t.Errorf("kprobe source verdicts differ from the netlink source's:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// Each packet's verdicts are in its series: the tracking id
			// of its reception in B and of its skb-drop event.
			series := func(symbol string) map[string]*events.Event {
				m := map[string]*events.Event{}
				for _, e := range find(evs, symbol, b, ours) {
					m[packetKey(decodePacket(e))] = e
				}
				return m
			}
			received, drops := series("net:netif_receive_skb"), series("skb:kfree_skb")
			verdicts := map[string]int{}
			for _, e := range find(evs, nft.SymbolKprobe, b, ours) {
				if e.Nft == nil {
					t.Errorf("kprobe event without an nft section: %+v", e.Kernel)
					continue
				}
				if e.Kernel.ProbeType != "kprobe" {
					t.Errorf("probe type %q, want kprobe", e.Kernel.ProbeType)
				}
				key := packetKey(decodePacket(e))
				verdicts[key]++
				for _, other := range []*events.Event{received[key], drops[key]} {
					if other == nil {
						continue
					}
					if id := trackingID(e); id == "" || id != trackingID(other) {
						t.Errorf("%s: %s verdict's tracking id %q, the packet's %s event's %q", key, e.Nft.Verdict, id, other.Kernel.Symbol, trackingID(other))
					}
				}
				if received[key] == nil {
					t.Errorf("%s: not seen received in B", key)
				}
			}
			for sport, dport := range sent {
				key := fmt.Sprintf("%d>%d", sport, dport)
				if verdicts[key] != 2 {
					t.Errorf("%s: %d verdict events, want 2", key, verdicts[key])
				}
				reason := map[uint16]string{9999: "NETFILTER_DROP", 9998: "NO_SOCKET"}[dport]
				if d := drops[key]; d == nil || d.SkbDrop == nil || d.SkbDrop.DropReason != reason {
					t.Errorf("%s: drop %v, want one with reason %s", key, d, reason)
				}
			}
		})
	}
}
