// Package filter builds the in-kernel filters of a collection and injects
// them into the probe programs.
//
// A pcap-filter expression (-f) is compiled by libpcap to classic BPF for
// Ethernet frames and, when libpcap can, for raw IP packets, then
// translated here to eBPF; a meta filter (-m, package meta) is resolved
// against kernel BTF. Either replaces the body of a placeholder subprogram
// of the probe programs (see FuncL2, FuncL3, FuncMeta and Filters.Patch).
//
// It must not know how probes are built, attached or what they collect:
// the contract is the placeholders' names and signatures. Userspace
// filtering of stored events is in package cbpf, which does not depend on
// cilium/ebpf.
package filter
