// Package pcap is the Starlark module `pcap`, writing packets of events to
// pcap-ng files:
//
//	pcap.writer(path) -> writer   open path (given on the command line or
//	                              declared with output()) from main(ctx)
//	writer.write(e) -> bool       write e's packet; False when e has none
//	writer.close()                flush and close (done anyway at the end)
//	writer.path                   the path
//	writer.count                  packets written so far
//
// The file format is not this package's business: the command stores an
// Opener (engine/output/pcapng plugs in there) with SetOpener.
package pcap
