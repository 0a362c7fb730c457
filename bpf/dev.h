/* dev collector: the net device the skb is on and where it came in. */
#ifndef __RETIS_DEV_H__
#define __RETIS_DEV_H__

#include "common.h"
#include "events.h"

#define IFNAMSIZ	16

struct dev_event {
	char name[IFNAMSIZ];
	u32 ifindex;
	u32 rx_ifindex;
};

/* The skb's device when there is an skb, else a net_device argument. */
static __always_inline void collect_dev(struct event_buf *buf,
					struct probe_ctx *ctx)
{
	struct net_device *dev = ctx->dev;
	struct sk_buff *skb = ctx->skb;
	struct dev_event *e;
	u32 ifindex;

	if (skb)
		dev = ctx->s->dev;
	if (!dev)
		return;
	ifindex = BPF_CORE_READ(dev, ifindex);
	if (!ifindex)
		return;
	e = event_section(buf, OWNER_DEV, 1, sizeof(*e));
	if (!e)
		return;
	bpf_probe_read_kernel_str(e->name, sizeof(e->name), dev->name);
	e->ifindex = ifindex;
	e->rx_ifindex = skb ? ctx->s->skb_iif : 0;
}

#endif /* __RETIS_DEV_H__ */
