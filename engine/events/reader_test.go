package events

import (
	"bufio"
	"bytes"
	"errors"
	json "github.com/goccy/go-json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// compatDir holds files written by Retis itself; they are read in place.
const compatDir = "../../../shared/retis-compat"

func compat(t testing.TB, name string) string {
	p := filepath.Join(compatDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Retis reference file missing: %v (the tests expect ../shared beside the clone)", err)
	}
	return p
}

func readAll(t testing.TB, path string) []*Event {
	t.Helper()
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []*Event
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

// TestRoundTripLatestLayout checks that a 1.6 file without layout changes
// (no ct status missing, nothing moved) is written back byte for byte,
// apart from the startup event which gains the 1.7 members.
func TestRoundTripPackets(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	evs := readAll(t, path)
	f, _ := os.Open(path)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	i := 0
	for sc.Scan() {
		got, err := evs[i].MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if evs[0].Startup == nil || evs[0].Startup.Cmdline != "unknown" || evs[0].Startup.Machine.KernelRelease != "unknown" {
				t.Fatalf("startup not upgraded: %s", got)
			}
		} else if !bytes.Equal(got, sc.Bytes()) {
			t.Fatalf("line %d differs:\n got %s\nwant %s", i+1, got, sc.Bytes())
		}
		i++
	}
	if i != len(evs) || i != 27 {
		t.Fatalf("read %d events, file has %d lines", len(evs), i)
	}
}

func TestUnknownSectionKept(t *testing.T) {
	line := `{"common":{"timestamp":1},"future-thing":{"a":[1,{"b":"}"}]},"kernel":{"symbol":"x","probe_type":"kprobe"}}`
	var e Event
	if err := e.UnmarshalJSON([]byte(line)); err != nil {
		t.Fatal(err)
	}
	if len(e.Extra) != 1 || e.Extra[0].Name != "future-thing" {
		t.Fatalf("extra = %+v", e.Extra)
	}
	got, _ := e.MarshalJSON()
	want := `{"common":{"timestamp":1},"kernel":{"symbol":"x","probe_type":"kprobe"},"future-thing":{"a":[1,{"b":"}"}]}}`
	if string(got) != want {
		t.Fatalf("got %s", got)
	}
}

func TestUpgradeOldLayout(t *testing.T) {
	evs := readAll(t, compat(t, "test_events.json"))
	if len(evs) != 5 {
		t.Fatalf("got %d events", len(evs))
	}
	e := evs[1]
	if e.Dev == nil || e.Dev.Name != "wlp0s20f3" || e.Dev.Ifindex != 3 || e.Netns == nil || e.Netns.Inum != 4026531840 {
		t.Fatalf("flat skb not lifted: dev=%+v netns=%+v", e.Dev, e.Netns)
	}
	if e.Skb == nil || e.Skb.Meta != nil {
		t.Fatalf("skb = %+v", e.Skb)
	}
	if evs[2].OVS == nil || evs[2].OVS.Upcall == nil || evs[2].OVS.Upcall.Port != 3366920467 {
		t.Fatalf("ovs = %+v", evs[2].OVS)
	}
	if evs[4].SkbDrop == nil || evs[4].SkbDrop.DropReason != "NO_SOCKET" {
		t.Fatalf("drop = %+v", evs[4].SkbDrop)
	}
}

func TestUpgrade15(t *testing.T) {
	line := `{"common":{"timestamp":5},"skb":{"packet":{"len":3,"capture_len":3,"packet":"AQID"},"dev":{"name":"eth0","ifindex":2},"ns":{"netns":42}},"ct":{"state":"new","zone_id":0,"zone_dir":"Default","orig":{"ip":{"src":"1.1.1.1","dst":"2.2.2.2","version":"v4"},"proto":{"tcp":{"sport":1,"dport":2}}},"reply":{"ip":{"src":"2.2.2.2","dst":"1.1.1.1","version":"v4"},"proto":{"tcp":{"sport":2,"dport":1}}},"tcp_state":"SYN_SENT"}}`
	e, err := Upgrade([]byte(line), Layout15)
	if err != nil {
		t.Fatal(err)
	}
	if e.Packet == nil || !bytes.Equal(e.Packet.Data, []byte{1, 2, 3}) {
		t.Fatalf("packet = %+v", e.Packet)
	}
	if e.Dev == nil || e.Dev.Name != "eth0" || e.Netns == nil || e.Netns.Inum != 42 {
		t.Fatalf("dev=%+v netns=%+v", e.Dev, e.Netns)
	}
	if e.Ct == nil || e.Ct.ProtoState == nil || *e.Ct.ProtoState != "SYN_SENT" || e.Ct.MissingStatus() {
		t.Fatalf("ct = %+v", e.Ct)
	}
}

func TestInvalidCtTolerated(t *testing.T) {
	var warnings []string
	r, err := Open(compat(t, "test_events_packets_invalid_ct.json"), Options{Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 17 {
		t.Fatalf("read %d events", n)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "ct_status") || !strings.Contains(warnings[0], "invalid_ct.json:") {
		t.Fatalf("warnings = %q", warnings)
	}
}

func TestMalformedLineNamesFileAndLine(t *testing.T) {
	in := "{\"common\":{\"timestamp\":1}}\n{\"common\":{\"timestamp\":2}}\n{\"common\":{\"timestamp\":\n"
	r, _ := NewReader(strings.NewReader(in), "x.data", Options{})
	defer r.Close()
	var err error
	n := 0
	for err == nil {
		_, err = r.Next()
		n++
	}
	if errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "x.data:3:") {
		t.Fatalf("err = %v", err)
	}
	if n != 3 {
		t.Fatalf("events before the error: %d", n-1)
	}
}

func TestLongLine(t *testing.T) {
	big := strings.Repeat("a", 5<<20)
	in := `{"common":{"timestamp":1},"kernel":{"symbol":"` + big + `","probe_type":"kprobe"}}` + "\n"
	r, _ := NewReader(strings.NewReader(in), "x", Options{})
	defer r.Close()
	e, err := r.Next()
	if err != nil || len(e.Kernel.Symbol) != len(big) {
		t.Fatalf("err=%v", err)
	}
}

func TestRotatedSetReadInOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "retis.data")
	w, err := Create(path, 300)
	if err != nil {
		t.Fatal(err)
	}
	st := &Event{Common: &Common{Timestamp: 1}, Startup: &Startup{RetisVersion: WriterVersion, Cmdline: "test"}}
	if err := w.Write(st); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		w.Write(&Event{Common: &Common{Timestamp: uint64(10 + i)}, Kernel: &Kernel{Symbol: "s", ProbeType: ProbeKprobe}})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	parts, _ := filepath.Glob(path + ".*")
	if len(parts) < 3 {
		t.Fatalf("expected rotation, got %v", parts)
	}
	for _, p := range parts {
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != FileMode {
			t.Fatalf("%s mode %v", p, fi.Mode())
		}
	}
	evs := readAll(t, path)
	if len(evs) != 51 || evs[0].Startup == nil {
		t.Fatalf("read %d events", len(evs))
	}
	for i, e := range evs[1:] {
		if e.Startup != nil || e.Timestamp() != uint64(10+i) {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
}

func TestSeriesFile(t *testing.T) {
	r, err := Open(compat(t, "test_events_sorted.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var sizes []int
	for {
		s, err := r.NextSeries()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(s))
	}
	if !r.IsSeries() || len(sizes) != 4 || sizes[0] != 1 || sizes[2] != 2 {
		t.Fatalf("series sizes %v (series file: %v)", sizes, r.IsSeries())
	}
	evs := readAll(t, compat(t, "test_events_sorted.json"))
	if len(evs) != 5 || evs[2].Tracking == nil || evs[3].Tracking.Idx != 1 {
		t.Fatalf("flattened %d events", len(evs))
	}
}

// TestUpgradeFastPathAgrees checks that lines the byte search lets through
// decode exactly as the generic upgrade would.
func TestUpgradeFastPathAgrees(t *testing.T) {
	for _, l := range compatLines(t) {
		if l[0] == '[' {
			continue
		}
		for _, from := range []Layout{Layout15, Layout16} {
			fast, err := Upgrade(l, from)
			if err != nil {
				t.Fatal(err)
			}
			var o obj
			dec := json.NewDecoder(bytes.NewReader(l))
			dec.UseNumber()
			dec.Decode(&o)
			upgradeObject(o, from)
			b, _ := marshalOrdered(o, l)
			slow := new(Event)
			if err := slow.UnmarshalJSON(b); err != nil {
				t.Fatal(err)
			}
			fb, _ := fast.MarshalJSON()
			sb, _ := slow.MarshalJSON()
			if !bytes.Equal(fb, sb) {
				t.Fatalf("layout %d:\nfast %s\nslow %s", from, fb, sb)
			}
		}
	}
}
