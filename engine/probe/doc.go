// Package probe turns probe specs (`[TYPE:]TARGET[/stack]`) into attach
// points of the running kernel: it parses specs, expands wildcards against
// the kernel's tracepoints and functions, finds where the sk_buff and other
// known arguments sit from BTF, probes which attach backends the kernel
// offers, and attaches programs through them in order of preference.
//
// It does not know what the programs do or how events look: the programs
// come from its caller through the Programs interface.
package probe
