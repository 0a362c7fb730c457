package events

import (
	"bufio"
	"os"
	"testing"
)

func packetLines(b *testing.B) [][]byte {
	f, err := os.Open(compat(b, "test_events_packets.json"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	return lines[1:]
}

// BenchmarkDecode measures decoding one Retis event with packet, skb, dev,
// netns and often ct sections (~900 bytes), the cost that dominates every
// post-processing command.
func BenchmarkDecode(b *testing.B) {
	lines := packetLines(b)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var e Event
		if err := e.UnmarshalJSON(lines[n%len(lines)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkEncode measures writing such an event back.
func BenchmarkEncode(b *testing.B) {
	lines := packetLines(b)
	evs := make([]*Event, len(lines))
	for i, l := range lines {
		evs[i] = new(Event)
		if err := evs[i].UnmarshalJSON(l); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	var buf []byte
	n := 0
	for b.Loop() {
		var err error
		buf, err = evs[n%len(evs)].AppendJSON(buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}
