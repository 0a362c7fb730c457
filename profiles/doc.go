// Package profiles holds the built-in profiles, embedded in the binary:
// Starlark files that declare what to collect for a topic, each choosing
// its probes from what the running kernel offers.
//
//   - generic: a broad view, the start of a debugging session;
//   - ifdump: packets at the device boundaries, like tcpdump;
//   - dropmon: dropped packets with reason, device and stack;
//   - nft-dropmon: packets nftables dropped, with the rule;
//   - pcap: what `retis pcap` needs, to combine with another profile.
//
// A profile's first docstring line is its summary. This package holds only
// the files; finding, loading and merging profiles is package
// starlark/profile's job.
package profiles
