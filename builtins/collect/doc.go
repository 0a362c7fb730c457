// Package collect holds the declarations a profile or script makes about
// what to collect. They are predeclared names, callable only while the
// script loads (at top level or from functions it calls):
//
//	collect(collectors=[], probes=[], filter=None, meta=None, stack=None,
//	        probe_stack=None, out=None, out_rotate=None, print=None,
//	        print_ll=None, format=None, utc=None, cmd=None, stop_after=None,
//	        skb_sections=[], ring_size=None, allow_system_changes=None,
//	        nft_verdicts=[], ovs_track=None, ovs_enrich_flows=None,
//	        ovs_enrich_rate=None, kconf=None)
//	    Declares collection options; each keyword is the `retis collect`
//	    flag of the same name (-c, -p, -f, -m, --stack, ...). Lists merge
//	    across calls; a scalar declared twice must agree. Returns None.
//	probe(spec, stack=False) -> probe
//	    Declares one probe, "[TYPE:]TARGET[/stack]" as on the command line
//	    (TYPE kprobe|k|kretprobe|kr|raw_tracepoint|tp), and returns it.
//	output(path) -> str
//	    Declares a file main(ctx) may write (e.g. with pcap.writer) and
//	    returns the path.
//
// Declarations accumulate into one *Config that the runner stores with
// SetDeclared and reads back with Declared after loading; the command then
// extends it with its own flags (Config.Extend) and hands it to the engine.
// This package checks syntax only (names, units, probe spec shape): what
// the kernel offers is the engine's business, and it must not import it.
package collect
