package tracking

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	json "github.com/goccy/go-json"

	"github.com/retis-go/retis/engine/events"
)

// compatDir holds files written by Retis itself; they are read in place.
const compatDir = "../../../shared/retis-compat"

func compat(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(compatDir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Retis reference file missing: %v (the tests expect ../shared beside the clone)", err)
	}
	return p
}

func readEvents(t testing.TB, path string) []*events.Event {
	t.Helper()
	r, err := events.Open(path, events.Options{})
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
		out = append(out, e)
	}
}

func sortFile(t testing.TB, path string, opts Options) []Series {
	t.Helper()
	r, err := events.Open(path, events.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []Series
	if err := Sort(r, opts, func(s Series) error { out = append(out, s); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// readSeriesFile decodes a `retis sort -o` file: one JSON array of
// events per line, in the given layout.
func readSeriesFile(t testing.TB, path string, layout events.Layout) [][]*events.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	var out [][]*events.Event
	for sc.Scan() {
		out = append(out, decodeSeries(t, sc.Bytes(), layout))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeSeries(t testing.TB, line []byte, layout events.Layout) []*events.Event {
	t.Helper()
	var raws []json.RawMessage
	if err := json.Unmarshal(line, &raws); err != nil {
		t.Fatalf("series line is not a JSON array: %v", err)
	}
	var s []*events.Event
	for _, raw := range raws {
		e, err := events.Upgrade(raw, layout)
		if err != nil {
			t.Fatal(err)
		}
		s = append(s, e)
	}
	return s
}

// TestSortMatchesRetis sorts test_events.json and compares with what
// `retis sort -o` wrote for it, event by event, through our JSON
// encoding. The reference predates the dev and netns sections, which our
// reader lifts out of the old flat skb section; those are left out of the
// comparison.
func TestSortMatchesRetis(t *testing.T) {
	want := readSeriesFile(t, compat(t, "test_events_sorted.json"), events.Layout16)
	got := sortFile(t, compat(t, "test_events.json"), Options{})
	if len(got) != len(want) {
		t.Fatalf("got %d series, Retis wrote %d", len(got), len(want))
	}
	for i := range got {
		line, err := AppendSeriesJSON(nil, got[i])
		if err != nil {
			t.Fatal(err)
		}
		back := decodeSeries(t, line, events.LayoutLatest)
		if len(back) != len(want[i]) {
			t.Fatalf("series %d: %d events, Retis has %d", i, len(back), len(want[i]))
		}
		for j, e := range back {
			c := *e
			c.Dev, c.Netns = nil, nil
			if !reflect.DeepEqual(&c, want[i][j]) {
				gj, _ := c.MarshalJSON()
				wj, _ := want[i][j].MarshalJSON()
				t.Errorf("series %d event %d:\n got %s\nwant %s", i, j, gj, wj)
			}
		}
	}
	if got[0][0].Startup == nil || len(got[0]) != 1 || got[0][0].Tracking != nil {
		t.Errorf("the startup event must be a series of its own, without tracking")
	}
}

// groups returns, for each series, the indexes of its events in evs.
func groups(t testing.TB, evs []*events.Event, got []Series) [][]int {
	t.Helper()
	pos := make(map[*events.Event]int, len(evs))
	for i, e := range evs {
		pos[e] = i
	}
	var out [][]int
	for _, s := range got {
		var g []int
		for _, e := range s {
			i, ok := pos[e]
			if !ok {
				t.Fatalf("series holds an event that was not added")
			}
			g = append(g, i)
		}
		out = append(out, g)
	}
	return out
}

func sortEvents(t testing.TB, evs []*events.Event, opts Options) []Series {
	t.Helper()
	var out []Series
	s := NewSorter(opts, func(sr Series) error { out = append(out, sr); return nil })
	for _, e := range evs {
		if err := s.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkTracking asserts that every event of a tracked series carries the
// series' tracking (the first event's skb-tracking) and its position.
func checkTracking(t testing.TB, s Series, want events.SkbTracking) {
	t.Helper()
	for i, e := range s {
		if e.Tracking == nil {
			t.Fatalf("event %d of series has no tracking section", i)
		}
		if e.Tracking.Idx != uint32(i) || e.Tracking.Skb != want {
			t.Fatalf("event %d: tracking %+v, want idx %d skb %+v", i, *e.Tracking, i, want)
		}
	}
}

// TestSortPacketsFile sorts the OvS capture. Its action_execute events
// carry no queue_id (the capture has no ovs-vswitchd probes), so Retis
// links nothing across the upcall: the packet ovs-vswitchd re-injects has
// its own tracking id and its own series. Upcall and upcall_return share
// the original packet's tracking id and stay with it.
func TestSortPacketsFile(t *testing.T) {
	path := compat(t, "test_events_packets.json")
	evs := readEvents(t, path)
	got := sortEvents(t, evs, Options{})
	want := [][]int{{0}, {1, 2, 3, 4}, {5, 6, 7}, {8, 9, 10, 11}, {12, 13, 14, 15}, {16, 17, 18, 19, 20}, {21, 22, 23, 24, 25, 26}}
	if g := groups(t, evs, got); !reflect.DeepEqual(g, want) {
		t.Fatalf("series %v, want %v", g, want)
	}
	for _, s := range got[1:] {
		checkTracking(t, s, *s[0].SkbTracking)
	}
	// Sort through the Reader gives the same.
	if n := len(sortFile(t, path, Options{})); n != len(want) {
		t.Fatalf("Sort gave %d series", n)
	}
}

func u32(v uint32) *uint32 { return &v }

func ovsEvent(ts uint64, o *events.OVS) *events.Event {
	return &events.Event{Common: &events.Common{Timestamp: ts}, OVS: o}
}

// TestSortPacketsUpcallChain completes the OvS capture with the events
// the ovs-vswitchd probes and the queue_id of action_execute would have
// given (upcall_enqueue, recv_upcall, flow_operation): the re-injected
// packet then joins the series of the packet that was upcalled.
func TestSortPacketsUpcallChain(t *testing.T) {
	evs := readEvents(t, compat(t, "test_events_packets.json"))
	up1, up2 := evs[3], evs[10]
	if up1.OVS.Upcall == nil || up2.OVS.Upcall == nil || evs[5].OVS.Action == nil || evs[12].OVS.Action == nil {
		t.Fatal("unexpected test file content")
	}
	link := func(up *events.Event, q uint32, enqTs, recvTs, opTs uint64) []*events.Event {
		return []*events.Event{
			ovsEvent(enqTs, &events.OVS{EventType: events.OVSUpcallEnqueue, UpcallEnqueue: &events.OVSUpcallEnqueueEvent{
				UpcallTs: up.Timestamp(), UpcallCPU: up.OVS.Upcall.CPU, QueueID: q, Port: up.OVS.Upcall.Port, Cmd: 1}}),
			ovsEvent(recvTs, &events.OVS{EventType: events.OVSRecvUpcall, RecvUpcall: &events.OVSRecvUpcallEvent{QueueID: q, Type: 1}}),
			ovsEvent(opTs, &events.OVS{EventType: events.OVSFlowOperation, FlowOperation: &events.OVSOperationEvent{OpType: "exec", QueueID: q}}),
		}
	}
	evs[5].OVS.Action.QueueID = u32(7)
	evs[12].OVS.Action.QueueID = u32(9)
	l1 := link(up1, 7, evs[3].Timestamp()+1000, evs[4].Timestamp()+1000, evs[4].Timestamp()+2000)
	l2 := link(up2, 9, evs[10].Timestamp()+1000, evs[11].Timestamp()+1000, evs[11].Timestamp()+2000)
	// In file order, as Retis would have written them (ring-buffer order).
	all := append([]*events.Event{}, evs[:4]...)
	all = append(all, l1[0], evs[4], l1[1], l1[2])
	all = append(all, evs[5:11]...)
	all = append(all, l2[0], evs[11], l2[1], l2[2])
	all = append(all, evs[12:]...)
	got := sortEvents(t, all, Options{})
	g := groups(t, all, got)
	want := [][]int{
		{0},
		{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, // packet 1, its upcall, the re-injected packet
		{11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}, // packet 2 likewise, to its drop
		{22, 23, 24, 25, 26}, {27, 28, 29, 30, 31, 32},
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("series %v, want %v", g, want)
	}
	checkTracking(t, got[1], *evs[1].SkbTracking)
	checkTracking(t, got[2], *evs[8].SkbTracking)
}
