package collect

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/ringbuf"

	"github.com/retis-go/retis/engine/collector"
	"github.com/retis-go/retis/engine/collector/skb"
	"github.com/retis-go/retis/engine/probe"
	"github.com/retis-go/retis/internal/testutils"
)

// The packet section of a record is sized to the capture (64, 128 or 255
// bytes of packet), and the packet decodes whole from it: records of
// small packets take less than half the ring buffer they used to.
func TestPacketSectionSized(t *testing.T) {
	testutils.RequireBPF(t)
	sk, _ := skb.New(nil)
	cols := []collector.Collector{sk}
	entry := &probeEntry{id: 0, target: &probe.Target{Kind: probe.Tracepoint, Name: "bench:test_run"}}
	consts := map[string]any{"collectors": collectorMask(cols), "no_task": uint8(1), "track_by_addr": uint8(0)}
	for n, v := range sk.Constants() {
		consts[n] = v
	}
	objs, err := newObjects(ringSize(0), consts, nil, []*probeEntry{entry}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	prog, err := objs.load("probe_bench", nil, map[string]any{"probe_id": uint32(0)})
	if err != nil {
		if testingSkippable(err) {
			t.Skipf("the test_run producer does not load on this kernel (bpf_cast_to_kern_ctx needs 6.2): %v", err)
		}
		t.Fatal(err)
	}
	rd, err := ringbuf.NewReader(objs.maps["events"])
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	dec := newDecoder([]*probeEntry{entry}, cols, nil)

	sizes := map[int]int{}
	for _, n := range []int{60, 64, 65, 128, 129, 300} {
		frame := bytes.Clone(benchFrame)
		for len(frame) < n {
			frame = append(frame, byte(len(frame)))
		}
		frame = frame[:n]
		if _, err := prog.Run(&ebpf.RunOptions{Data: frame, Repeat: 1}); err != nil {
			t.Fatal(err)
		}
		rd.SetDeadline(time.Now().Add(time.Second))
		rec, err := rd.Read()
		if err != nil {
			t.Fatalf("%d-byte frame: %v", n, err)
		}
		e, err := dec.decode(rec.RawSample)
		if err != nil {
			t.Fatal(err)
		}
		want := frame[:min(n, 255)]
		if e.Packet == nil || !bytes.Equal(e.Packet.Data, want) || int(e.Packet.Len) != n {
			t.Fatalf("%d-byte frame decoded as %+v", n, e.Packet)
		}
		sizes[n] = len(rec.RawSample)
	}
	t.Logf("record sizes by frame length: %v", sizes)
	if sizes[60] != sizes[64] || sizes[65] != sizes[128] || sizes[129] != sizes[300] {
		t.Errorf("frames in one size class got records of different sizes: %v", sizes)
	}
	// Sections are padded to 8 bytes after a 9-byte header: 80, 144 and
	// 264 bytes.
	if sizes[65]-sizes[64] != 64 || sizes[129]-sizes[128] != 120 {
		t.Errorf("size classes are not 64, 128 and 255 bytes of packet: %v", sizes)
	}
}
