/* Filter placeholders. engine/filter replaces the instructions of these
 * subprograms, found by symbol name, with the compiled -f and -m filters
 * before loading; their names and signatures are a contract with it.
 *
 * Each returns non-zero when the packet matches. The default bodies match
 * everything. They must stay real subprograms: noinline so they keep their
 * symbol; static so the verifier checks them in their caller's context,
 * where data is a plain kernel address; their arguments consumed by an
 * empty asm so clang neither drops nor specialises them; and a result it
 * cannot see through, so no caller gets a constant folded in.
 */
#ifndef __RETIS_FILTER_H__
#define __RETIS_FILTER_H__

#include "common.h"

#define FILTER_MATCH_ALL(ret)				\
	asm volatile("%[r] = 0x40000" : [r] "=r"(ret))

/* data points to the packet from its Ethernet header (kernel memory, read
 * with bpf_probe_read_kernel), len is the number of readable bytes.
 */
static __attribute__((noinline))
unsigned int retis_filter_l2(void *data, unsigned int len)
{
	unsigned int ret;

	asm volatile("" :: "r"(data), "r"(len));
	FILTER_MATCH_ALL(ret);
	return ret;
}

/* Same as retis_filter_l2 for packets whose L2 header is not set yet:
 * data points to the network header.
 */
static __attribute__((noinline))
unsigned int retis_filter_l3(void *data, unsigned int len)
{
	unsigned int ret;

	asm volatile("" :: "r"(data), "r"(len));
	FILTER_MATCH_ALL(ret);
	return ret;
}

/* Metadata filter (-m) on the sk_buff. */
static __attribute__((noinline))
unsigned int retis_filter_meta(struct sk_buff *skb)
{
	unsigned int ret;

	asm volatile("" :: "r"(skb));
	FILTER_MATCH_ALL(ret);
	return ret;
}

#endif /* __RETIS_FILTER_H__ */
