// Package meta compiles meta filters, conditions on the fields of the
// sk_buff a probe sees, into the eBPF body of the retis_filter_meta
// placeholder.
//
// A filter names a field from sk_buff, following pointers and nested
// structs, and compares it to a number or a quoted string:
//
//	sk_buff.dev.name == "eth0"
//	sk_buff.dev.nd_net.net.ns.inum == 4026531840
//	sk_buff.mark:0xff != 0 and (sk_buff.pkt_type == 0 or not sk_buff.len < 100)
//	sk_buff._nfct:~0x7:nf_conn.mark == 1
//
// Fields are resolved against kernel BTF (see Types): integers of any width
// and signedness, bitfields, enums (by value or enumerator name), pointers
// (compared as addresses) and char arrays or char pointers (compared as
// strings, == and != only). A member may carry a mask (:MASK, or :~MASK
// for its complement, in decimal, 0x hex or 0b binary), applied before the
// comparison or, on a pointer, before following it; a pointer-sized member
// with a mask may be cast to a struct (:MASK:TYPE) to follow it. A field
// alone means "!= 0". Conditions combine with and (&&), or (||), not (!)
// and parentheses.
//
// Reading a field fails (null pointer, unmapped memory) makes its condition
// false, whatever the operator.
//
// The package must not know about probes or how the body is injected; it
// only knows the placeholder's signature, int retis_filter_meta(struct
// sk_buff *skb), returning non-zero on match.
package meta
