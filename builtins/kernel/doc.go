// Package kernel holds the kernel facts profiles branch on, as the
// Starlark module `kernel`:
//
//	kernel.release() -> str                  uname -r, e.g. "6.18.44"
//	kernel.version() -> (major, minor, patch) compare with tuples:
//	                                          kernel.version() >= (5, 8)
//	kernel.has_symbol(name) -> bool          a function or variable in
//	                                          kallsyms ("ip_rcv"; also
//	                                          matches "name.constprop.0")
//	kernel.has_tracepoint(name) -> bool      "skb:kfree_skb" (a "tp:"
//	                                          prefix is accepted)
//	kernel.has_btf_type(name) -> bool        "sk_buff", "struct sk_buff",
//	                                          "enum skb_drop_reason"
//	kernel.can_kprobe() -> bool              kprobes can be attached
//
// The facts come from a Facts stored in the thread (SetFacts): Host reads
// the running kernel, Snapshot is a fixed set for tests and for profiles
// checked against another machine. A fact that cannot be established (an
// unreadable file, say) is an error, not False, so a profile never quietly
// takes the wrong branch. This package must not attach or load anything.
package kernel
