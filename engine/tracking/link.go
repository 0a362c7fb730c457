package tracking

import "github.com/retis-go/retis/engine/events"

// join returns the series e belongs to, starting one when needed. The
// rules are Retis's (retis/src/process/tracking.rs):
//
//   - an event with skb tracking joins the series of its tracking id;
//   - an OvS upcall also records its series under (its timestamp, its
//     cpu), which upcall_enqueue events quote; upcall_return ends that;
//   - upcall_enqueue joins the upcall's series and records it under its
//     queue_id (a hash of the packet);
//   - recv_upcall and flow_operation (ovs-vswitchd) join the series of
//     their queue_id;
//   - action_execute with a queue_id (the datapath running actions
//     ovs-vswitchd sent back for an upcalled packet) joins that series,
//     and its own tracking id is mapped to it, so the re-injected packet's
//     later events follow the original packet;
//   - any other event is a series of its own.
//
// Where Retis fails the whole sort (an enqueue without its upcall, an
// unknown queue_id), the event falls back to its own skb tracking, or to
// a series of its own: the link may predate the file or a flushed series.
func (s *Sorter) join(e *events.Event, ts uint64) *series {
	if o := e.OVS; o != nil {
		switch {
		case o.Upcall != nil:
			sr := s.bySkb(e.SkbTracking)
			if sr == nil {
				break
			}
			k := upcallKey{ts, o.Upcall.CPU}
			if s.upcalls[k] != sr {
				s.upcalls[k] = sr
				sr.upcalls = append(sr.upcalls, k)
			}
			return sr
		case o.UpcallReturn != nil:
			delete(s.upcalls, upcallKey{o.UpcallReturn.UpcallTs, o.UpcallReturn.UpcallCPU})
		case o.UpcallEnqueue != nil:
			q := o.UpcallEnqueue
			if sr := s.upcalls[upcallKey{q.UpcallTs, q.UpcallCPU}]; sr != nil {
				if s.queues[q.QueueID] != sr {
					s.queues[q.QueueID] = sr
					sr.queues = append(sr.queues, q.QueueID)
				}
				return sr
			}
		case o.RecvUpcall != nil:
			if sr := s.queues[o.RecvUpcall.QueueID]; sr != nil {
				return sr
			}
		case o.FlowOperation != nil:
			if sr := s.queues[o.FlowOperation.QueueID]; sr != nil {
				return sr
			}
		case o.Action != nil && o.Action.QueueID != nil:
			if sr := s.queues[*o.Action.QueueID]; sr != nil {
				if t := e.SkbTracking; t != nil {
					if id := idOf(t); s.skb[id] != sr {
						s.skb[id] = sr
						sr.aliases = append(sr.aliases, id)
					}
				}
				return sr
			}
		}
	}
	if sr := s.bySkb(e.SkbTracking); sr != nil {
		return sr
	}
	// An event that already went through a sort keeps its series.
	if e.Tracking != nil {
		return s.bySkb(&e.Tracking.Skb)
	}
	return s.open(ts, false, 0)
}

// bySkb returns the series of a tracking id, starting it when new; nil
// when t is.
func (s *Sorter) bySkb(t *events.SkbTracking) *series {
	if t == nil {
		return nil
	}
	id := idOf(t)
	if sr := s.skb[id]; sr != nil {
		return sr
	}
	sr := s.open(t.Timestamp, true, t.OrigHead)
	sr.info = *t
	s.skb[id] = sr
	return sr
}
