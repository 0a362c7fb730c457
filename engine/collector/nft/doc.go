// Package nft is the nft collector: it reports which nftables rule or chain
// policy gave a verdict on a packet, as the "nft" section Retis writes.
//
// It has two sources, best first:
//
//   - kprobe (KprobeCollector): a probe on the kernel's trace function,
//     __nft_trace_packet (bpf/nft.h), as Retis does. The function has the
//     packet's skb, so each verdict is written in an event of that skb,
//     with its tracking, packet, device and namespace. The kernel calls it
//     only while some ruleset sets meta nftrace, but then for the packets
//     of every namespace: the tables are needed, the mark on the packets
//     is not.
//   - netlink (Collector, Listener, Joiner): the nf_tables trace
//     notifications (what `nft monitor trace` reads) of packets marked by
//     table inet Retis_Table, in each watched namespace. Trace messages
//     carry table and chain names, the rule handle, interfaces, mark and
//     the first header bytes of the packet, but no skb address: a Joiner
//     places each verdict in the series of its packet by matching those
//     headers against the packets of skb events collected at the same
//     time.
//
// Inspect tells which source this kernel offers. Both install table inet
// Retis_Table (Collector, with Config.TablesOnly for the kprobe source) in
// each watched namespace and remove it on exit.
//
// In a collection with the netlink source:
//
//	c, err := nft.New(nft.Config{AllowSystemChanges: allow, Verdicts: v, Netns: netns})
//	err = c.Start()      // before the probes attach
//	defer c.Close()      // every exit path: removes the tables
//	j := nft.NewJoiner(nft.JoinOptions{})
//	go j.Run(ctx, c.Traces(), 10*time.Millisecond, write)
//	// for each skb event read from the ring buffer: j.AddPacket(e)
//	// at the end: detach, drain the ring buffer, c.Close(), wait for Run.
//
// With the kprobe source, NewKprobe(v) is a collector.Collector like the
// others, and New with TablesOnly installs the tables.
//
// The package must not know how events are stored, printed or scripted; it
// takes and returns events.Event.
package nft
