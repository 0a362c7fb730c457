// Package collector defines what a collector is: a named source of event
// sections with its kernel requirements, the probes it installs, its
// switch in the BPF programs and the decoding of the sections it writes.
// Each collector lives in a sub-package (skb, skbdrop, skbtracking, dev,
// ns, ct, nft) with its C part in bpf/<name>.h.
//
// Collectors do not load or attach anything and do not know where events
// go: engine/collect drives them.
package collector
