/* ns collector: the network namespace of the packet. */
#ifndef __RETIS_NS_H__
#define __RETIS_NS_H__

#include "common.h"
#include "events.h"

struct ns_event {
	u64 cookie;
	u32 inum;
	u32 pad;
};

struct net___cookie {
	u64 net_cookie;
} __attribute__((preserve_access_index));

/* The namespace of the skb's device, else of its socket, else of a
 * net or net_device argument.
 */
static __always_inline struct net *ns_of(struct probe_ctx *ctx)
{
	struct net_device *dev;
	struct sock *sk;

	if (ctx->skb) {
		dev = ctx->s->dev;
		if (dev)
			return BPF_CORE_READ(dev, nd_net.net);
		sk = ctx->s->sk;
		if (sk)
			return BPF_CORE_READ(sk, __sk_common.skc_net.net);
	}
	if (ctx->net)
		return ctx->net;
	dev = ctx->dev;
	if (dev)
		return BPF_CORE_READ(dev, nd_net.net);
	return NULL;
}

static __always_inline void collect_ns(struct event_buf *buf,
				       struct probe_ctx *ctx)
{
	struct net___cookie *nc;
	struct ns_event *e;
	struct net *net;

	net = ns_of(ctx);
	if (!net)
		return;
	e = event_section(buf, OWNER_NS, 0, sizeof(*e));
	if (!e)
		return;
	nc = (void *)net;
	e->cookie = bpf_core_field_exists(nc->net_cookie) ?
		    BPF_CORE_READ(nc, net_cookie) : 0;
	e->inum = BPF_CORE_READ(net, ns.inum);
	e->pad = 0;
}

#endif /* __RETIS_NS_H__ */
