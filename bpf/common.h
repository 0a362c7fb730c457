/* Definitions shared by the probe core and every collector: the probe
 * context the hook front-ends fill, load-time switches and the binary
 * event layout read by engine/collect.
 */
#ifndef __RETIS_COMMON_H__
#define __RETIS_COMMON_H__

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#define MIN(a, b)	((a) < (b) ? (a) : (b))

/* Number of probes one collection can hold: the size of the per-probe
 * config and loss arrays.
 */
#define PROBE_MAX	1024

/* How probes are attached, as written in the kernel section. The values
 * are Retis's.
 */
enum retis_probe_type {
	PROBE_KPROBE = 0,
	PROBE_KRETPROBE = 1,
	PROBE_TRACEPOINT = 2,
};

/* Collectors, one bit each in the collectors load-time constant. */
enum collector_bit {
	COLLECTOR_SKB_TRACKING	= 1 << 0,
	COLLECTOR_SKB		= 1 << 1,
	COLLECTOR_SKB_DROP	= 1 << 2,
	COLLECTOR_DEV		= 1 << 3,
	COLLECTOR_NS		= 1 << 4,
	COLLECTOR_CT		= 1 << 5,
	COLLECTOR_NFT		= 1 << 6,
};

/* Per-probe flags. */
enum probe_flag {
	/* Report the kernel stack. */
	PROBE_F_STACK		= 1 << 0,
	/* Tracking-only probe: update the tracking map, emit nothing. */
	PROBE_F_NO_EVENT	= 1 << 1,
	/* The target frees the skb: forget its head afterwards. */
	PROBE_F_FREE		= 1 << 2,
	/* The target may reallocate the skb head (e.g. pskb_expand_head):
	 * remember the packet by skb address until the next hook re-keys it.
	 */
	PROBE_F_INV_HEAD	= 1 << 3,
	/* Never start tracking a packet here. */
	PROBE_F_NO_TRACKING	= 1 << 4,
};

/* Per-probe configuration, indexed by probe id. Argument positions are -1
 * when the target has no such argument.
 */
struct probe_config {
	s8 skb;
	s8 drop_reason;
	s8 dev;
	s8 net;
	/* nf_tables' packet and trace state, through which a target without
	 * an skb argument reaches its packet.
	 */
	s8 nft_pkt;
	s8 nft_info;
	u8 flags;
	u8 type;
	/* Collectors that installed the probe for their own data
	 * (collector_bit): only there do they read the target's arguments.
	 */
	u32 owners;
};

/* Section owners: Retis's event factory ids, so a section means the same
 * thing in both projects.
 */
enum section_owner {
	OWNER_SKB_TRACKING	= 4,
	OWNER_SKB_DROP		= 5,
	OWNER_SKB		= 6,
	OWNER_NFT		= 8,
	OWNER_CT		= 9,
	OWNER_DEV		= 10,
	OWNER_NS		= 11,
};

/* Every record starts with this header; sections follow, each behind a
 * section_hdr and padded to 8 bytes so every section is 8-byte aligned.
 */
struct event_hdr {
	u64 timestamp;
	u64 pid_tgid;
	u32 probe_id;
	s32 stack_id;
	u32 cpu;
	u8 probe_type;
	u8 pad[3];
	char comm[16];
};

struct section_hdr {
	u8 owner;
	u8 kind;
	u16 size;
	u32 pad;
};

/* The largest record: header plus every section at its largest. */
#define EVENT_MAX	2048

/* Arguments of the target kept for collectors that read their own (the
 * ones passed in registers on x86-64).
 */
#define PROBE_ARGS	6

/* What one hook invocation knows, filled by the probe front-end. */
struct probe_ctx {
	void *orig_ctx;
	struct sk_buff *skb;
	/* A copy of *skb taken once per hook (skb_copy_in): its fields cost
	 * a load, where each read of the kernel's costs a helper call.
	 */
	struct sk_buff *s;
	/* skb->head, read before the copy is (tracking-only hooks make none). */
	u64 head;
	struct net_device *dev;
	struct net *net;
	u64 timestamp;
	s64 drop_reason;
	u64 args[PROBE_ARGS];
	u32 probe_id;
	u8 type;
	u8 flags;
	u8 has_reason;
	u8 pad;
};

/* The target's argument i, 0 past the ones kept. A switch, so that the
 * stack slot read is a constant offset whatever i is.
 */
static __always_inline u64 probe_arg(const struct probe_ctx *p, s32 i)
{
	switch (i) {
	case 0: return p->args[0];
	case 1: return p->args[1];
	case 2: return p->args[2];
	case 3: return p->args[3];
	case 4: return p->args[4];
	case 5: return p->args[5];
	}
	return 0;
}

/* Load-time switches, rewritten by engine/collect before loading so the
 * verifier prunes the code of collectors that are off.
 */
const volatile u32 collectors = 0;
const volatile u32 skb_sections = 0;

#endif /* __RETIS_COMMON_H__ */
