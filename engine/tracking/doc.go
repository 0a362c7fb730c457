// Package tracking groups events into series, as `retis sort` does: the
// events of one packet, joined by their skb tracking id and by the OvS
// upcall links (upcall, enqueue, handler receive, flow operation, and the
// packet the datapath re-injects), each series ordered by time and each
// event given its tracking section {skb, idx}. Like Retis's sort, it also
// fills the flows of OvS flow lookups from the ovs-detrace events seen.
//
// The Sorter streams: a series is emitted once no event has joined it for
// a time window, so memory holds only the series that can still grow.
//
// It must not know where events come from or where series go (files,
// text, Starlark): callers feed events and receive series through a
// callback. It knows nothing of the kernel.
package tracking
