// Package cbpf turns pcap-filter expressions into classic BPF programs with
// libpcap, and runs them in userspace over the packets of stored events.
//
// The kernel side (translation to eBPF, injection into probes) lives in the
// parent package; this one must not know about it, so post-processing code
// (print, sort, pcap) can filter events without importing cilium/ebpf.
// Compiling needs cgo and libpcap.
package cbpf
