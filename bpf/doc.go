// Package bpf holds the eBPF programs of retis collect: C sources compiled
// by bpf2go into the committed object and Go bindings, so that building
// Go needs no clang. Regenerate with generate.sh.
//
// It knows the kernel and the binary event layout; it must not know how
// events are decoded or written (engine/collect and the collectors do).
package bpf

//go:generate go tool bpf2go -cc clang-19 -strip llvm-strip-19 -target amd64 -output-stem probe -no-global-types -type event_hdr -type section_hdr -type probe_config -type tracking_info -type skb_packet_event -type skb_meta_event -type skb_data_ref_event -type skb_gso_event -type skb_vlan_event -type skb_drop_event -type skb_tracking_event -type dev_event -type ns_event -type ct_meta_event -type ct_conn_event -type ct_tuple -type nft_event -type collector_bit -type probe_flag -type section_owner -type skb_section -type ct_section -type retis_probe_type Probe probe.bpf.c -- -I. -O2 -g -Wall -Werror
