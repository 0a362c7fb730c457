/* The probe core every hook front-end ends in: filters, core tracking,
 * then the sections of every enabled collector.
 */
#ifndef __RETIS_CORE_H__
#define __RETIS_CORE_H__

#include "common.h"
#include "events.h"
#include "filter.h"
#include "skbutil.h"
#include "tracking.h"
#include "skb.h"
#include "skb_drop.h"
#include "skb_tracking.h"
#include "dev.h"
#include "ns.h"
#include "ct.h"
#include "nft.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROBE_MAX);
	__type(key, u32);
	__type(value, struct probe_config);
} probe_configs SEC(".maps");

/* PERF_MAX_STACK_DEPTH (127) entries per stack. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(u32));
	__uint(value_size, 127 * sizeof(u64));
} stack_map SEC(".maps");

/* Does the packet match the -f and -m filters? (A packet already tracked
 * is not asked: it matched once, and its bytes may no longer, after NAT.)
 */
static __always_inline bool packet_matches(struct probe_ctx *ctx)
{
	struct sk_buff *s = ctx->s;
	unsigned char *head;
	long len;
	u16 off;

	head = s->head;
	if (skb_mac_valid(s)) {
		off = s->mac_header;
		len = skb_readable_from(s, off);
		if (len < 0)
			len = 0;
		if (!retis_filter_l2(head + off, len))
			return false;
	} else if (skb_net_valid(s)) {
		off = s->network_header;
		len = skb_readable_from(s, off);
		if (len < 0)
			len = 0;
		if (!retis_filter_l3(head + off, len))
			return false;
	} else {
		return false;
	}
	return retis_filter_meta(ctx->skb) != 0;
}

/* Set for programs that do not run on behalf of a task (the test_run
 * benchmark producer): no stack, pid or comm, whose helpers such programs
 * may not call on every kernel.
 */
const volatile u8 no_task = 0;

static __always_inline void fill_header(struct event_buf *buf,
					struct probe_ctx *ctx)
{
	struct event_hdr *h = (struct event_hdr *)buf->data;

	h->timestamp = ctx->timestamp;
	h->probe_id = ctx->probe_id;
	h->stack_id = -1;
	h->cpu = bpf_get_smp_processor_id();
	h->probe_type = ctx->type;
	h->pad[0] = h->pad[1] = h->pad[2] = 0;
	if (no_task) {
		h->pid_tgid = 0;
		__builtin_memset(h->comm, 0, sizeof(h->comm));
	} else {
		h->pid_tgid = bpf_get_current_pid_tgid();
		bpf_get_current_comm(h->comm, sizeof(h->comm));
		if (ctx->flags & PROBE_F_STACK)
			h->stack_id = bpf_get_stackid(ctx->orig_ctx, &stack_map,
						      BPF_F_FAST_STACK_CMP);
	}
	buf->size = sizeof(*h);
}

/* Runs after the front-end filled ctx (probe id, skb and other
 * arguments).
 */
static __always_inline int probe_core(struct probe_ctx *ctx)
{
	struct nft_state nft = {};
	struct probe_config *cfg;
	struct tracking_info *ti;
	struct event_buf *buf;
	bool nft_on = false;
	bool by_addr;

	cfg = bpf_map_lookup_elem(&probe_configs, &ctx->probe_id);
	if (!cfg)
		return 0;
	ctx->flags = cfg->flags;

	/* No skb, no packet to follow. */
	if (!ctx->skb)
		return 0;

	if (ctx->flags & PROBE_F_NO_EVENT) {
		tracking_only(ctx);
		return 0;
	}

	/* The scratch buffer first: it holds the copy of the skb every step
	 * below reads.
	 */
	buf = event_get();
	if (!buf) {
		count_lost(ctx->probe_id);
		return 0;
	}
	ctx->s = skb_copy_in(buf, ctx->skb);
	ctx->head = (u64)ctx->s->head;

	ti = tracking_lookup(ctx, &by_addr);
	if (!ti && !packet_matches(ctx))
		goto put;

	ti = tracking_start(ctx, ti, by_addr);

	/* The nft collector's own probe reports only the verdicts asked
	 * for: the others make no event at all.
	 */
	if ((collectors & COLLECTOR_NFT) && (cfg->owners & COLLECTOR_NFT)) {
		if (!nft_prepare(&nft, ctx))
			goto end;
		nft_on = true;
	}

	fill_header(buf, ctx);

	/* First, so that it always fits. */
	if (nft_on)
		collect_nft(buf, &nft);

	if (collectors & COLLECTOR_SKB_TRACKING)
		collect_skb_tracking(buf, ctx, ti);
	if (collectors & COLLECTOR_SKB_DROP)
		collect_skb_drop(buf, ctx);
	if (collectors & COLLECTOR_SKB)
		collect_skb(buf, ctx);
	if (collectors & COLLECTOR_NS)
		collect_ns(buf, ctx);
	if (collectors & COLLECTOR_DEV)
		collect_dev(buf, ctx);
	if (collectors & COLLECTOR_CT)
		collect_ct(buf, ctx);

	event_send(buf, ctx->probe_id);
end:
	/* Nothing to forget about a packet not tracked. */
	if (ti)
		tracking_end(ctx);
put:
	event_put();
	return 0;
}

#endif /* __RETIS_CORE_H__ */
