// Package nft is the nft collector: it reports which nftables rule or chain
// policy gave a verdict on a packet, as the "nft" section Retis writes.
//
// The verdicts come from the nf_tables trace notifications (the netlink
// group `nft monitor trace` reads) of packets marked with meta nftrace by
// table inet Retis_Table, which the collector installs in each watched
// network namespace and removes on exit. Trace messages carry table and
// chain names, the rule handle, interfaces, mark and the first header bytes
// of the packet, but no skb address: a Joiner places each verdict in the
// series of the packet it belongs to by matching those headers against the
// packets of skb events collected at the same time.
//
// In a collection:
//
//	c, err := nft.New(nft.Config{AllowSystemChanges: allow, Verdicts: v, Netns: netns})
//	err = c.Start()      // before the probes attach
//	defer c.Close()      // every exit path: removes the tables
//	j := nft.NewJoiner(nft.JoinOptions{})
//	go j.Run(ctx, c.Traces(), 10*time.Millisecond, write)
//	// for each skb event read from the ring buffer: j.AddPacket(e)
//	// at the end: detach, drain the ring buffer, c.Close(), wait for Run.
//
// The package must not know how events are stored, printed or scripted, nor
// how the BPF side collects skb events: it takes and returns events.Event.
package nft
