package filter

import (
	"testing"
	"time"

	"github.com/cilium/ebpf/asm"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// benchExpr is the typical filter of the benchmarks.
const benchExpr = "tcp port 443 and host 10.0.0.1"

func tcpFrame(tb testing.TB, dst string, port layers.TCPPort) []byte {
	tb.Helper()
	buf := gopacket.NewSerializeBuffer()
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: []byte{10, 0, 0, 2}, DstIP: []byte{10, 0, 0, 1}}
	if dst != "10.0.0.1" {
		ip.DstIP = []byte{192, 168, 1, 1}
	}
	tcp := &layers.TCP{SrcPort: 40000, DstPort: port, SYN: true, Window: 1024}
	_ = tcp.SetNetworkLayerForChecksum(ip)
	err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		&layers.Ethernet{SrcMAC: []byte{2, 0, 0, 0, 0, 1}, DstMAC: []byte{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4},
		ip, tcp, gopacket.Payload(make([]byte, 100)))
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkPacketFilter measures, in the kernel through BPF_PROG_TEST_RUN,
// one run of the harness calling retis_filter_l2 with its default body
// (no filter) and with "tcp port 443 and host 10.0.0.1", on a packet that
// matches (every test runs) and one that fails at the port. It reports
// both costs and their ratio.
func BenchmarkPacketFilter(b *testing.B) {
	requireTestRun(b)
	p, err := CompilePacket(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	none := loadPacketFilter(b, &Packet{Expr: "none", L2: defaultBody(), L3: defaultBody()}, FuncL2, 0)
	filter := loadPacketFilter(b, p, FuncL2, 0)
	for _, tc := range []struct {
		name  string
		frame []byte
		want  bool
	}{
		{"match", tcpFrame(b, "10.0.0.1", 443), true},
		{"other-port", tcpFrame(b, "10.0.0.1", 80), false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if got := run(b, filter, tc.frame) != 0; got != tc.want {
				b.Fatalf("filter says %v, want %v", got, tc.want)
			}
			const repeat = 200000
			var tNone, tFilter time.Duration
			var n int
			for b.Loop() {
				_, d0, err := none.Benchmark(tc.frame, repeat, nil)
				if err != nil {
					b.Fatal(err)
				}
				_, d1, err := filter.Benchmark(tc.frame, repeat, nil)
				if err != nil {
					b.Fatal(err)
				}
				tNone += d0
				tFilter += d1
				n++
			}
			b.ReportMetric(float64(tNone.Nanoseconds())/float64(n), "ns/run-nofilter")
			b.ReportMetric(float64(tFilter.Nanoseconds())/float64(n), "ns/run-filter")
			b.ReportMetric(float64(tFilter)/float64(tNone), "filter/nofilter")
		})
	}
}

// defaultBody is the placeholder's body: match everything.
func defaultBody() asm.Instructions {
	return asm.Instructions{asm.Mov.Imm(asm.R0, 1), asm.Return()}
}
