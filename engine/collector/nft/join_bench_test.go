package nft

import (
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

// BenchmarkJoinerAddPacket is the cost the nft collector adds to every
// skb event of a collection: key extraction, indexing and pruning.
func BenchmarkJoinerAddPacket(b *testing.B) {
	const distinct = 4096
	evs := make([]*events.Event, distinct)
	for i := range evs {
		f, _, _ := testPacket{id: uint16(i), sport: 40000, dport: 9999, payload: "payload"}.frame(b)
		evs[i] = skbEvent(f, 0, testNetns, "tp", false)
	}
	j := NewJoiner(JoinOptions{Window: time.Millisecond})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := evs[i%distinct]
		e.Common.Timestamp = uint64(i) * 1000 // 1 µs apart: ~2000 events kept
		j.AddPacket(e)
		if i%1024 == 0 {
			j.Flush(uint64(i) * 1000)
		}
	}
}
