package tracking

import (
	"reflect"
	"testing"
	"time"

	"github.com/retis-go/retis/engine/events"
)

func lookup(ts, tts, head uint64, ufid [4]uint32, flow uint64) *events.Event {
	e := pkt(ts, tts, head)
	e.OVS = &events.OVS{EventType: events.OVSFlowLookup, FlowLookup: &events.OVSLookupEvent{Ufid: ufid, Flow: flow, SfActs: flow + 1}}
	return e
}

func detrace(ts uint64, ufid [4]uint32, flow uint64, dp string) *events.Event {
	e := plain(ts)
	e.OVSDetrace = &events.OVSFlowInfo{Ufid: ufid, Flow: flow, SfActs: flow + 1, Dpflow: dp, Ofpflows: []string{"table=0 " + dp}}
	return e
}

// TestFlowLookupEnriched checks that, as in Retis, a flow lookup gets the
// datapath and OpenFlow flows of an ovs-detrace event that came before its
// series was emitted, and only of the same flow.
func TestFlowLookupEnriched(t *testing.T) {
	u1, u2 := [4]uint32{1, 2, 3, 4}, [4]uint32{5, 6, 7, 8}
	hit := lookup(1000, 1000, 1, u1, 0xaa)
	other := lookup(1010, 1000, 1, u2, 0xaa) // same pointers, another flow
	late := lookup(1020, 1020, 2, u2, 0xbb)
	evs := []*events.Event{hit, other, late, detrace(1500, u1, 0xaa, "in_port(1) actions:2"), plain(5000), detrace(9000, u2, 0xbb, "in_port(2) actions:1")}
	got := sortEvents(t, evs, Options{Window: time.Microsecond})
	if g := groups(t, evs, got); !reflect.DeepEqual(g, [][]int{{0, 1}, {2}, {3}, {4}, {5}}) {
		t.Fatalf("series %v", g)
	}
	if l := hit.OVS.FlowLookup; l.Dpflow != "in_port(1) actions:2" || !reflect.DeepEqual(l.Ofpflows, []string{"table=0 in_port(1) actions:2"}) {
		t.Fatalf("lookup not enriched: %+v", l)
	}
	if l := other.OVS.FlowLookup; l.Dpflow != "" || l.Ofpflows != nil {
		t.Fatalf("lookup of another flow enriched: %+v", l)
	}
	// Its series was emitted (at 5000) before its detrace came.
	if l := late.OVS.FlowLookup; l.Dpflow != "" {
		t.Fatalf("lookup enriched after its series was emitted: %+v", l)
	}
}

func TestFlowInfosBounded(t *testing.T) {
	var f flowInfos
	for i := range uint64(3*maxFlows + 5) {
		f.add(&events.OVSFlowInfo{Flow: i})
	}
	if len(f.cur)+len(f.old) > 2*maxFlows {
		t.Fatalf("%d flows remembered", len(f.cur)+len(f.old))
	}
	if f.get(flowID{flow: 3*maxFlows + 4}) == nil || f.get(flowID{flow: 2*maxFlows + 1}) == nil {
		t.Fatal("recent flows forgotten")
	}
	if f.get(flowID{flow: 0}) != nil {
		t.Fatal("oldest flows kept")
	}
}
