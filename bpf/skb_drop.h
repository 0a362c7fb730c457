/* skb-drop collector: the drop reason given to the probe. */
#ifndef __RETIS_SKB_DROP_H__
#define __RETIS_SKB_DROP_H__

#include "common.h"
#include "events.h"

struct skb_drop_event {
	s32 drop_reason;
};

/* Only probes with a drop reason argument (skb:kfree_skb) report one;
 * userspace names it from the kernel's own enum.
 */
static __always_inline void collect_skb_drop(struct event_buf *buf,
					     struct probe_ctx *ctx)
{
	struct skb_drop_event *e;

	if (!ctx->has_reason)
		return;
	e = event_section(buf, OWNER_SKB_DROP, 1, sizeof(*e));
	if (e)
		e->drop_reason = (s32)ctx->drop_reason;
}

#endif /* __RETIS_SKB_DROP_H__ */
