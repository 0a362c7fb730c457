/* skb-tracking collector: reports the core tracking id of the packet. */
#ifndef __RETIS_SKB_TRACKING_H__
#define __RETIS_SKB_TRACKING_H__

#include "common.h"
#include "events.h"
#include "tracking.h"

struct skb_tracking_event {
	u64 orig_head;
	u64 timestamp;
	u64 skb;
};

/* ti is what tracking_start returned. */
static __always_inline void collect_skb_tracking(struct event_buf *buf,
						 struct probe_ctx *ctx,
						 struct tracking_info *ti)
{
	struct skb_tracking_event *e;

	if (!ti)
		return;
	e = event_section(buf, OWNER_SKB_TRACKING, 1, sizeof(*e));
	if (!e)
		return;
	e->orig_head = ti->orig_head;
	e->timestamp = ti->timestamp;
	e->skb = (u64)ctx->skb;
}

#endif /* __RETIS_SKB_TRACKING_H__ */
