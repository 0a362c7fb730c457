package pcapng

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/retis-go/retis/engine/events"
)

// compatDir holds files written by Retis itself; they are read in place.
const compatDir = "../../../../shared/retis-compat"

func compat(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(compatDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Retis reference file missing: %v (the tests expect ../shared beside the clone)", err)
	}
	return p
}

func export(t testing.TB, input string, opts Options) ([]byte, int, error) {
	t.Helper()
	r, err := events.Open(compat(t, input), events.Options{Warn: func(string) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out bytes.Buffer
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	n, err := Export(r, &out, opts)
	return out.Bytes(), n, err
}

// reference returns the blocks of the pcap-ng Retis wrote from
// test_events_packets.json.
func reference(t *testing.T) []rawBlock {
	b, err := os.ReadFile(compat(t, "test_events_packets.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	return splitBlocks(t, b)
}

// marker is the comment the golden tests put on packets, one per event.
func marker(e *events.Event) string {
	return fmt.Sprintf("MARK %s %d\n", e.ProbeName(), e.Common.Timestamp)
}

// TestGoldenAgainstRetis compares our export with Retis's block by block:
// section header and interfaces byte for byte; packets field by field,
// with their event JSON option byte for byte; the comment is ours (the
// text rendering lives elsewhere), so a marker stands in for it.
func TestGoldenAgainstRetis(t *testing.T) {
	out, n, err := export(t, "test_events_packets.json", Options{Comment: marker})
	if err != nil {
		t.Fatal(err)
	}
	got, want := splitBlocks(t, out), reference(t)
	if n != 26 {
		t.Errorf("Export wrote %d packets, Retis 26", n)
	}
	if len(got) != len(want) {
		t.Fatalf("%d blocks, Retis wrote %d", len(got), len(want))
	}
	schema := customPayload(t, got[1])
	var kinds = map[uint32]int{}
	for i := range want {
		g, w := got[i], want[i]
		kinds[w.typ]++
		if g.typ != w.typ {
			t.Fatalf("block %d: type %#x, Retis %#x", i, g.typ, w.typ)
		}
		switch w.typ {
		case blockSectionHeader, blockInterface:
			if !bytes.Equal(g.raw, w.raw) {
				t.Errorf("block %d (%#x) differs:\n got %x\nwant %x", i, w.typ, g.raw, w.raw)
			}
		case blockCustomCopiable:
			checkSchemaBlock(t, g, w)
		case blockEnhancedPacket:
			gp, wp := parseEPB(t, g), parseEPB(t, w)
			if gp.String() != wp.String() || !bytes.Equal(gp.data, wp.data) {
				t.Errorf("block %d: packet %v, Retis %v", i, gp, wp)
			}
			if len(gp.opts) != 2 || len(wp.opts) != 2 {
				t.Fatalf("block %d: %d options, Retis %d (want comment + custom)", i, len(gp.opts), len(wp.opts))
			}
			if gp.opts[0].code != optComment || !strings.HasPrefix(string(gp.opts[0].val), "MARK ") {
				t.Errorf("block %d: first option %d %q, want the comment marker", i, gp.opts[0].code, gp.opts[0].val)
			}
			if strings.HasSuffix(string(gp.opts[0].val), "\n") {
				t.Errorf("block %d: comment keeps its trailing newline", i)
			}
			// Retis's comment names the same event.
			if f := strings.Fields(string(gp.opts[0].val)); !strings.HasPrefix(string(wp.opts[0].val), f[2]+" ") {
				t.Errorf("block %d: comment for event %s, Retis's is for %.20q", i, f[2], wp.opts[0].val)
			}
			if gp.opts[1].code != optCustomUTF8Copiable || !bytes.Equal(gp.opts[1].val, wp.opts[1].val) {
				t.Errorf("block %d: event option differs:\n got %q\nwant %q", i, gp.opts[1].val, wp.opts[1].val)
			}
		default:
			t.Errorf("block %d: unexpected type %#x", i, w.typ)
		}
	}
	if kinds[blockInterface] != 6 || kinds[blockEnhancedPacket] != 26 || kinds[blockCustomCopiable] != 1 {
		t.Errorf("reference holds %v blocks by type; the test expects 6 interfaces, 26 packets, 1 custom", kinds)
	}
	t.Logf("%d blocks compared; schema block %d bytes", len(got), len(schema))
}

// customPayload returns a custom block's data without the PEN and the
// zero padding.
func customPayload(t *testing.T, b rawBlock) []byte {
	t.Helper()
	if pen := binary.LittleEndian.Uint32(b.body); pen != RetisPEN {
		t.Fatalf("custom block PEN %d, want %d", pen, RetisPEN)
	}
	return bytes.TrimRight(b.body[4:], "\x00")
}

// checkSchemaBlock: both blocks hold a draft 2020-12 schema of an event
// with the same sections; ours is the one events.Schema gives.
func checkSchemaBlock(t *testing.T, got, want rawBlock) {
	t.Helper()
	g, w := customPayload(t, got), customPayload(t, want)
	ours, err := events.Schema()
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, ours); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, compact.Bytes()) {
		t.Errorf("custom block does not hold events.Schema()")
	}
	type doc struct {
		Schema     string                     `json:"$schema"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var gd, wd doc
	if err := json.Unmarshal(g, &gd); err != nil {
		t.Fatalf("our schema block: %v", err)
	}
	if err := json.Unmarshal(w, &wd); err != nil {
		t.Fatalf("Retis's schema block: %v", err)
	}
	if gd.Schema != wd.Schema {
		t.Errorf("$schema %q, Retis %q", gd.Schema, wd.Schema)
	}
	for sec := range wd.Properties {
		if _, ok := gd.Properties[sec]; !ok {
			t.Errorf("Retis's schema has section %s, ours does not", sec)
		}
	}
}

// TestByteIdenticalWithRetisComments gives the writer Retis's own comment
// for each event: then every block but the schema is Retis's, byte for
// byte.
func TestByteIdenticalWithRetisComments(t *testing.T) {
	want := reference(t)
	comments := map[string]string{}
	for _, b := range want {
		if b.typ == blockEnhancedPacket {
			p := parseEPB(t, b)
			c := string(p.opts[0].val)
			ts, _, _ := strings.Cut(c, " ")
			comments[ts] = c
		}
	}
	out, _, err := export(t, "test_events_packets.json", Options{
		Comment: func(e *events.Event) string { return comments[fmt.Sprint(e.Common.Timestamp)] },
	})
	if err != nil {
		t.Fatal(err)
	}
	got := splitBlocks(t, out)
	if len(got) != len(want) {
		t.Fatalf("%d blocks, Retis wrote %d", len(got), len(want))
	}
	same := 0
	for i := range want {
		if want[i].typ == blockCustomCopiable {
			continue
		}
		if !bytes.Equal(got[i].raw, want[i].raw) {
			t.Errorf("block %d (%#x) differs:\n got %q\nwant %q", i, want[i].typ, got[i].raw, want[i].raw)
		}
		same++
	}
	t.Logf("%d of %d blocks byte-identical (the other is the schema)", same, len(want))
}

// TestReadBackWithPcapgo reads our output with gopacket's reader: the
// timestamps are wall-clock (monotonic + startup offset) nanoseconds, the
// interfaces are the probes, and the comments are there.
func TestReadBackWithPcapgo(t *testing.T) {
	out, _, err := export(t, "test_events_packets.json", Options{Comment: marker})
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(bytes.NewReader(out), pcapgo.NgReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	evs := packetEvents(t, "test_events_packets.json")
	for i := 0; ; i++ {
		data, ci, opts, err := r.ReadPacketDataWithOptions()
		if errors.Is(err, io.EOF) {
			if i != len(evs) {
				t.Fatalf("read %d packets, want %d", i, len(evs))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e := evs[i]
		// 1742309146.691042000 is the file's clock_monotonic_offset.
		wantTs := int64(e.Common.Timestamp) + 1742309146_691042000
		if ci.Timestamp.UnixNano() != wantTs {
			t.Errorf("packet %d: timestamp %d, want %d", i, ci.Timestamp.UnixNano(), wantTs)
		}
		if ci.Length != int(e.Packet.Len) || !bytes.Equal(data, e.Packet.Data) {
			t.Errorf("packet %d: %d/%d bytes, want %d/%d", i, len(data), ci.Length, len(e.Packet.Data), e.Packet.Len)
		}
		intf, err := r.Interface(ci.InterfaceIndex)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.Kernel.ProbeType + "/" + e.Kernel.Symbol; intf.Name != want {
			t.Errorf("packet %d: interface %q, want %q", i, intf.Name, want)
		}
		if len(opts.Comments) != 1 || opts.Comments[0] != strings.TrimSuffix(marker(e), "\n") {
			t.Errorf("packet %d: comments %q", i, opts.Comments)
		}
	}
	if r.NInterfaces() != 6 {
		t.Errorf("%d interfaces, want 6", r.NInterfaces())
	}
}

func packetEvents(t *testing.T, name string) []*events.Event {
	t.Helper()
	r, err := events.Open(compat(t, name), events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []*events.Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Packet != nil {
			out = append(out, e)
		}
	}
}

func TestNoComment(t *testing.T) {
	out, _, err := export(t, "test_events_packets.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range splitBlocks(t, out) {
		if b.typ != blockEnhancedPacket {
			continue
		}
		p := parseEPB(t, b)
		if len(p.opts) != 1 || p.opts[0].code != optCustomUTF8Copiable {
			t.Fatalf("packet options %v, want only the event JSON", p.opts)
		}
	}
}

// BenchmarkWrite measures the per-packet cost of the writer alone (the
// comment renderer is a constant).
func BenchmarkWrite(b *testing.B) {
	r, err := events.Open(compat(b, "test_events_packets.json"), events.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var evs []*events.Event
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.Packet != nil {
			evs = append(evs, e)
		}
	}
	r.Close()
	w, err := NewWriter(io.Discard, nil, Options{Comment: func(*events.Event) string { return "comment" }})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := w.Write(evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
	}
}
