// Package event turns engine events into Starlark values. Nothing is
// converted up front: an event is a thin wrapper and each attribute read
// builds only what it returns, so a loop that looks at one field of every
// event costs one field read.
//
// An event has one attribute per section, named as in the JSON file with
// '-' turned into '_', None when the section is absent:
//
//	e.common.timestamp, e.common.task.comm
//	e.kernel.symbol, e.kernel.probe_type, e.kernel.stack_trace
//	e.skb_drop.drop_reason, e.skb_tracking.orig_head, e.dev.name, ...
//	e.packet.decode() -> layers (see below)
//	e.json() -> str      the event's JSON line
//	str(e)               the event in the text format of `retis print`
//
// A section's attributes are its JSON members, with the same names and
// values (nested objects are values with attributes, arrays are tuples,
// packet data is bytes). Sections Retis writes that this version does not
// model are there too, decoded from their JSON.
//
// e.packet.decode() parses the packet with gopacket and returns a value
// with one attribute per layer, None when absent: eth, vlan (first tag),
// vlans, arp, ip, ip6, tcp, udp, icmp, icmp6, plus layers (the names, in
// order) and truncated.
//
// A series (from ctx.series()) is a sequence of events: len(s), s[i],
// for e in s, str(s) in the text format of `retis sort`.
//
// Rendering text is not this package's job: str() goes through the
// Formatter stored with SetFormatter (engine/output plugs in there). It
// must not know where events come from.
package event
