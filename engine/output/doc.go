// Package output renders events as text, byte for byte as Retis prints
// them (`retis print`, `retis sort`), and holds the terminal helpers that
// go with it: the pager and the colour decision.
//
// The text of an event is a header line (time, cpu, task, probe, tracking
// id, drop reason) followed by one line per section in multi-line mode, or
// everything on one line in single-line mode. Packets are decoded with
// gopacket layers and printed tcpdump-like, following Retis's rules for
// what is shown and for truncated or unsupported packets.
//
// It must not know where events come from (files, the ring buffer) nor
// about Starlark; it only reads engine/events values. The pcap-ng writer
// lives in the pcapng sub-package.
package output
