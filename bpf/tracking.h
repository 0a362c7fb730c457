/* Core skb tracking: a packet is identified by the address of its data
 * area (skb->head) when first seen plus that time, which survives clones,
 * NAT and netns crossings. Userspace removes entries not seen for a while
 * (frees we could not observe).
 */
#ifndef __RETIS_TRACKING_H__
#define __RETIS_TRACKING_H__

#include "common.h"

struct tracking_info {
	u64 timestamp;
	u64 last_seen;
	u64 orig_head;
};

/* Keyed by skb->head, or for a moment by the skb address while a hook
 * that reallocates the head runs.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, u64);
	__type(value, struct tracking_info);
} tracking_map SEC(".maps");

/* Set when a hook that reallocates heads (PROBE_F_INV_HEAD) is loaded:
 * only then can an entry be keyed by skb address, and only then is it
 * worth a second lookup for every packet not (yet) tracked, the common
 * case under a filter.
 */
const volatile u8 track_by_addr = 1;

/* The packet's tracking info, by head, else by skb address (*by_addr
 * set): a hook that reallocates the head left it there.
 */
static __always_inline struct tracking_info *tracking_lookup(struct probe_ctx *ctx,
							     bool *by_addr)
{
	u64 head = ctx->head;
	u64 addr = (u64)ctx->skb;
	struct tracking_info *ti;

	*by_addr = false;
	if (!head)
		return NULL;
	ti = bpf_map_lookup_elem(&tracking_map, &head);
	if (!ti && track_by_addr) {
		ti = bpf_map_lookup_elem(&tracking_map, &addr);
		*by_addr = ti != NULL;
	}
	return ti;
}

/* Start or refresh tracking of a packet that passed the filters (or is
 * already tracked); ti and by_addr are what tracking_lookup found. Returns
 * the packet's info, keyed by head, or NULL when it is not tracked.
 */
static __always_inline struct tracking_info *
tracking_start(struct probe_ctx *ctx, struct tracking_info *ti, bool by_addr)
{
	u64 head, addr = (u64)ctx->skb;
	struct tracking_info new;

	head = ctx->head;
	if (!head)
		return NULL;

	if (ti && by_addr) {
		/* Known by skb address: its head was reallocated since. */
		new = *ti;
		bpf_map_delete_elem(&tracking_map, &addr);
		bpf_map_update_elem(&tracking_map, &head, &new, BPF_NOEXIST);
		ti = bpf_map_lookup_elem(&tracking_map, &head);
	}

	if (!ti) {
		/* At a function's return the skb may be gone already; a
		 * packet first seen there is not worth an id. (Tracking-only
		 * hooks never get here: tracking_only stops at a packet not
		 * followed.)
		 */
		if (ctx->type == PROBE_KRETPROBE ||
		    (ctx->flags & PROBE_F_NO_TRACKING))
			return NULL;
		new.timestamp = ctx->timestamp;
		new.last_seen = ctx->timestamp;
		new.orig_head = head;
		bpf_map_update_elem(&tracking_map, &head, &new, BPF_NOEXIST);
		ti = bpf_map_lookup_elem(&tracking_map, &head);
		if (!ti)
			return NULL;
	}

	ti->last_seen = ctx->timestamp;

	/* The head is about to change under us: keep the info reachable by
	 * skb address until the next hook sees the new head.
	 */
	if (ctx->flags & PROBE_F_INV_HEAD)
		bpf_map_update_elem(&tracking_map, &addr, ti, BPF_ANY);
	return ti;
}

/* After a hook on a function or tracepoint that frees the skb. The head
 * outlives the skb while a clone still references it. Reads the kernel's
 * skb: tracking-only hooks have no copy of it.
 */
static __always_inline void tracking_end(struct probe_ctx *ctx)
{
	struct sk_buff *skb = ctx->skb;
	struct skb_shared_info *shinfo;
	u64 key = ctx->head;

	if (!(ctx->flags & PROBE_F_FREE) || !key)
		return;

	if (BPF_CORE_READ_BITFIELD_PROBED(skb, cloned)) {
		shinfo = (struct skb_shared_info *)(key + BPF_CORE_READ(skb, end));
		if (BPF_CORE_READ(shinfo, dataref.counter) > 1)
			return;
	}

	bpf_map_delete_elem(&tracking_map, &key);
}

/* The whole of a tracking-only hook (head frees and reallocations): these
 * see every skb the system frees, most of them not followed, which one
 * lookup tells before anything is copied.
 */
static __always_inline void tracking_only(struct probe_ctx *ctx)
{
	/* A local: inside BPF_CORE_READ, ctx->skb would be relocated too,
	 * against a probe_ctx the kernel does not have.
	 */
	struct sk_buff *skb = ctx->skb;
	struct tracking_info *ti;
	bool by_addr;

	ctx->head = (u64)BPF_CORE_READ(skb, head);
	ti = tracking_lookup(ctx, &by_addr);
	if (!ti)
		return;
	tracking_start(ctx, ti, by_addr);
	tracking_end(ctx);
}

#endif /* __RETIS_TRACKING_H__ */
