// Package pcapng writes the packets of stored events as a pcap-ng capture,
// as `retis pcap` does, so that tcpdump, tshark and Wireshark can read
// them: one interface per probe (named "probe_type/symbol"), packets
// timestamped in wall-clock nanoseconds, each carrying the event's text
// rendering as its comment and the rest of the event as JSON in a custom
// option, and the event schema in a custom block at the top.
//
// It must not know how events are rendered as text (the caller passes the
// renderer), nor about the kernel or Starlark.
package pcapng
