package cbpf

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/retis-go/retis/engine/events"
	"github.com/retis-go/retis/engine/filter/internal/pktgen"
)

const benchExpr = "tcp port 443 and host 10.0.0.1"

func benchEvents(n int) []*events.Event {
	g := pktgen.New(3)
	evs := make([]*events.Event, n)
	for i := range evs {
		f := g.Frame()
		evs[i] = &events.Event{Packet: &events.Packet{Len: uint32(len(f)), CaptureLen: uint32(len(f)), Data: f}}
	}
	return evs
}

// BenchmarkPacketMatcher measures Match over events with packets, in
// packets per second.
func BenchmarkPacketMatcher(b *testing.B) {
	m, err := NewPacketMatcher(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	evs := benchEvents(10000)
	var n, matched int
	start := time.Now()
	for b.Loop() {
		if m.Match(evs[n%len(evs)]) {
			matched++
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "pkts/s")
	if n >= len(evs) && matched == 0 {
		b.Fatal("no packet matched")
	}
}

// BenchmarkMatcherVsTcpdump filters the same packets stored in a pcap file
// with tcpdump -r and with the matcher (reading the file with pcapgo), and
// reports both rates and their ratio.
func BenchmarkMatcherVsTcpdump(b *testing.B) {
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		b.Skip("tcpdump not installed: no peer to compare with")
	}
	const n = 200000
	path := filepath.Join(b.TempDir(), "bench.pcap")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		b.Fatal(err)
	}
	for i, e := range benchEvents(n) {
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(e.Packet.Data), Length: len(e.Packet.Data)}
		if err := w.WritePacket(ci, e.Packet.Data); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	m, err := NewPacketMatcher(benchExpr)
	if err != nil {
		b.Fatal(err)
	}

	var tOurs, tPeer time.Duration
	var rounds int
	for b.Loop() {
		start := time.Now()
		out, err := exec.Command(tcpdump, "-n", "-r", path, "-w", "/dev/null", benchExpr).CombinedOutput()
		if err != nil {
			b.Fatalf("tcpdump: %v: %s", err, out)
		}
		tPeer += time.Since(start)

		start = time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := pcapgo.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		var read, matched int
		for {
			data, ci, err := r.ZeroCopyReadPacketData()
			if err != nil {
				break
			}
			read++
			if m.MatchData(data, uint32(ci.Length)) {
				matched++
			}
		}
		f.Close()
		tOurs += time.Since(start)
		if read != n || matched == 0 {
			b.Fatalf("read %d packets, %d matched", read, matched)
		}
		rounds++
	}
	b.ReportMetric(float64(n*rounds)/tOurs.Seconds(), "pkts/s-ours")
	b.ReportMetric(float64(n*rounds)/tPeer.Seconds(), "pkts/s-tcpdump")
	b.ReportMetric(float64(tPeer)/float64(tOurs), "ours/tcpdump-speed")
}
