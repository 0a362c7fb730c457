package cbpf

import (
	"errors"
	"io"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/filter/internal/pktgen"
)

const compatDir = "../../../../shared/retis-compat"

// TestMatcherCompat filters the events Retis wrote and checks each verdict
// against gopacket's decoding of the same bytes.
func TestMatcherCompat(t *testing.T) {
	r, err := events.Open(compatDir+"/test_events_packets.json", events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	icmp, err := NewPacketMatcher("icmp")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := NewPacketMatcher("tcp")
	if err != nil {
		t.Fatal(err)
	}
	var matched, total int
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Packet == nil {
			if icmp.Match(e) {
				t.Fatal("an event without packet matched")
			}
			continue
		}
		total++
		p := gopacket.NewPacket(e.Packet.Data, layers.LayerTypeEthernet, gopacket.Default)
		wantICMP := p.Layer(layers.LayerTypeICMPv4) != nil
		wantTCP := p.Layer(layers.LayerTypeTCP) != nil
		if got := icmp.Match(e); got != wantICMP {
			t.Errorf("icmp on %s: got %v, want %v", p, got, wantICMP)
		}
		if got := tcp.Match(e); got != wantTCP {
			t.Errorf("tcp on %s: got %v, want %v", p, got, wantTCP)
		}
		if wantICMP {
			matched++
		}
	}
	if total == 0 || matched == 0 {
		t.Fatalf("%d events with packets, %d ICMP: the file should have both", total, matched)
	}
}

func udpFrame(t *testing.T, ttl uint8, size int) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	ip := &layers.IPv4{Version: 4, TTL: ttl, Protocol: layers.IPProtocolUDP, SrcIP: []byte{10, 0, 0, 1}, DstIP: []byte{10, 0, 0, 2}}
	udp := &layers.UDP{SrcPort: 1234, DstPort: 53}
	_ = udp.SetNetworkLayerForChecksum(ip)
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: make([]byte, 6), DstMAC: make([]byte, 6), EthernetType: layers.EthernetTypeIPv4},
		ip, udp, gopacket.Payload(make([]byte, size-42)))
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestMatcherWireLength checks that len, greater and less see the length on
// the wire when events hold only the first bytes of a packet, as tcpdump
// does reading a pcap file with a short snaplen.
func TestMatcherWireLength(t *testing.T) {
	frame := udpFrame(t, 64, 300)
	short := &events.Event{Packet: &events.Packet{Len: 300, CaptureLen: 100, Data: frame[:100]}}
	full := &events.Event{Packet: &events.Packet{Len: 300, CaptureLen: 300, Data: frame}}
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"greater 200", true},
		{"less 200", false},
		{"len == 300", true},
		{"greater 200 and udp dst port 53 and src host 10.0.0.1", true},
		{"greater 200 and udp dst port 54", false},
		{"len - 200 == ip[8] + 36", true},
		// Past the captured bytes: no match, like libpcap.
		{"greater 200 and udp[150] == 0", false},
	} {
		m, err := NewPacketMatcher(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Match(short); got != tc.want {
			t.Errorf("%q on a 100-byte capture of 300: got %v, want %v", tc.expr, got, tc.want)
		}
		if tc.expr == "greater 200 and udp[150] == 0" {
			continue
		}
		if got := m.Match(full); got != tc.want {
			t.Errorf("%q on the full packet: got %v, want %v", tc.expr, got, tc.want)
		}
	}
}

// TestMatcherNegation covers libpcap's unary minus, which x/net/bpf's VM
// does not implement.
func TestMatcherNegation(t *testing.T) {
	m, err := NewPacketMatcher("(-ip[8]) & 0xff == 192")
	if err != nil {
		t.Fatal(err)
	}
	if !m.MatchData(udpFrame(t, 64, 60), 0) {
		t.Error("ttl 64: -64 & 0xff is 192, want a match")
	}
	if m.MatchData(udpFrame(t, 63, 60), 0) {
		t.Error("ttl 63: want no match")
	}
}

// TestMatcherAgreesWithVM runs the plain x/net/bpf VM on libpcap's program
// for whole packets: the matcher must agree whenever the VM can run it.
func TestMatcherAgreesWithVM(t *testing.T) {
	g := pktgen.New(1)
	frames := make([][]byte, 2000)
	for i := range frames {
		frames[i] = g.Frame()
	}
	for _, expr := range []string{"tcp port 443 and host 10.0.0.1", "vlan and udp", "ip6 and icmp6", "arp", "ether[0] & 1 != 0", "greater 100"} {
		m, err := NewPacketMatcher(expr)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := Compile(expr, Ethernet)
		insns, ok := bpf.Disassemble(raw)
		if !ok {
			t.Fatalf("%q: x/net/bpf cannot disassemble libpcap's program", expr)
		}
		vm, err := bpf.NewVM(insns)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		for _, f := range frames {
			want, err := vm.Run(f)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.MatchData(f, uint32(len(f))); got != (want != 0) {
				t.Fatalf("%q on % x: got %v, VM says %d", expr, f, got, want)
			}
			if want != 0 {
				n++
			}
		}
		if n == 0 || n == len(frames) {
			t.Errorf("%q matched %d of %d frames: the sample does not tell", expr, n, len(frames))
		}
	}
}
