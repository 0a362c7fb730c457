/* Reading sk_buff header offsets, which can be unset (~0) or stale. The
 * skb given is the copy of probe_ctx.s: plain loads.
 */
#ifndef __RETIS_SKBUTIL_H__
#define __RETIS_SKBUTIL_H__

#include "common.h"

#define OFF_UNSET(x)	((x) == (typeof(x))~0U)

/* The mac offset may legitimately be 0, the network one may not. */
static __always_inline bool mac_off_valid(u16 mac)
{
	return !OFF_UNSET(mac);
}

static __always_inline bool net_off_valid(u16 net)
{
	return net && !OFF_UNSET(net);
}

/* A mac header equal to the network header with mac_len 0 means "no L2
 * header" (e.g. after skb_reset_mac_header on a tunnel or at tx before
 * the device adds one).
 */
static __always_inline bool skb_mac_valid(struct sk_buff *s)
{
	u16 mac = s->mac_header;
	u16 net = s->network_header;

	return mac_off_valid(mac) &&
	       !(net_off_valid(net) && net == mac && s->mac_len == 0);
}

static __always_inline bool skb_net_valid(struct sk_buff *s)
{
	u16 mac = s->mac_header;
	u16 net = s->network_header;

	return net_off_valid(net) &&
	       !(mac_off_valid(mac) && mac == net && s->mac_len != 0);
}

static __always_inline bool skb_transport_valid(struct sk_buff *s)
{
	u16 net = s->network_header;
	u16 th = s->transport_header;

	return net_off_valid(th) && !(net_off_valid(net) && net == th);
}

/* Bytes of linear data from head + off up to the tail. */
static __always_inline long skb_readable_from(struct sk_buff *s, u16 off)
{
	return (long)s->tail - (long)off;
}

#endif /* __RETIS_SKBUTIL_H__ */
