// Package runner runs a script the way the commands do: it loads it with
// the engine's implementations of the runtime's seams (engine/output's
// text for str(e) and fmt.*, engine/output/pcapng for pcap.writer,
// engine/tracking's sorter for ctx.series()), then calls main(ctx) on an
// events file or on a live source the caller feeds.
//
// Loading and running are two steps because a live run needs the
// declarations (what to collect) before it has events, and the clock
// offset of the collection (for wall-clock times) only once it started.
//
// It must not know how a collection is run: the caller starts it and
// hands over a source (run.Pipe).
package runner
