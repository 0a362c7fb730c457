// Package engine plugs the engine into the seams the builtins leave open,
// for the commands to store in a run:
//
//   - Text renders str(e), str(s) and fmt.* with engine/output's text
//     format (what `retis print` shows);
//   - NewPcapOpener creates the files of pcap.writer with
//     engine/output/pcapng (what `retis pcap` writes);
//   - Series turns an event source into ctx.series() with
//     engine/tracking's sorter (what `retis sort` groups), or hands over
//     the stored series of a file written by `sort -o`;
//   - ReadStartup reads the startup event of a file, which carries the
//     clock offset both text and pcap-ng need for wall-clock times.
//
// It holds no builtin of its own and must not know how scripts are loaded
// or where events come from.
package engine
