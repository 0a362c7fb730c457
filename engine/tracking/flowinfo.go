package tracking

import "github.com/retis-go/retis/engine/events"

// flowID identifies a datapath flow as both flow_lookup and ovs-detrace
// events name it: pointers are reused, so the UFID is part of the key.
type flowID struct {
	ufid         [4]uint32
	flow, sfActs uint64
}

// maxFlows bounds each generation of remembered flows. Flows are far
// fewer than events (one ovs-detrace event per datapath flow), so this is
// a safety net against unbounded growth on very long captures.
const maxFlows = 1 << 14

// flowInfos remembers the ovs-detrace events seen, to fill the OpenFlow
// and datapath flows of flow_lookup events when their series is emitted,
// as Retis's sort does. Two generations bound memory: when the current
// one is full it becomes the old one, and the old one is dropped.
type flowInfos struct {
	cur, old map[flowID]*events.OVSFlowInfo
}

func (f *flowInfos) add(fi *events.OVSFlowInfo) {
	if f.cur == nil {
		f.cur = make(map[flowID]*events.OVSFlowInfo)
	}
	if len(f.cur) >= maxFlows {
		f.old, f.cur = f.cur, make(map[flowID]*events.OVSFlowInfo)
	}
	f.cur[flowID{fi.Ufid, fi.Flow, fi.SfActs}] = fi
}

func (f *flowInfos) get(id flowID) *events.OVSFlowInfo {
	if fi := f.cur[id]; fi != nil {
		return fi
	}
	return f.old[id]
}

// enrich fills the flows of the series' flow lookups that an ovs-detrace
// event described.
func (f *flowInfos) enrich(s Series) {
	if f.cur == nil {
		return
	}
	for _, e := range s {
		if e.OVS == nil || e.OVS.FlowLookup == nil {
			continue
		}
		l := e.OVS.FlowLookup
		if fi := f.get(flowID{l.Ufid, l.Flow, l.SfActs}); fi != nil {
			l.Dpflow, l.Ofpflows = fi.Dpflow, fi.Ofpflows
		}
	}
}
