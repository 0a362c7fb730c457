/* skb collector: packet bytes and sk_buff metadata. */
#ifndef __RETIS_SKB_H__
#define __RETIS_SKB_H__

#include "common.h"
#include "events.h"
#include "skbutil.h"

/* Section kinds (Retis's numbering); also the bits of skb_sections. */
enum skb_section {
	SKB_SEC_PACKET = 1,
	SKB_SEC_VLAN = 2,
	SKB_SEC_META = 3,
	SKB_SEC_DATA_REF = 4,
	SKB_SEC_GSO = 5,
};

#define PACKET_CAPTURE_SIZE	255

struct skb_packet_event {
	u32 len;
	u32 capture_len;
	/* Set when the Ethernet header was made up (only an L3 header was
	 * available): zero addresses, ethertype from the skb.
	 */
	u8 fake_eth;
	u8 packet[PACKET_CAPTURE_SIZE];
};

struct skb_meta_event {
	u32 len;
	u32 data_len;
	u32 hash;
	u32 csum;
	u32 priority;
	u8 ip_summed;
	u8 csum_level;
};

struct skb_data_ref_event {
	u8 nohdr;
	u8 cloned;
	u8 fclone;
	u8 users;
	u8 dataref;
};

struct skb_gso_event {
	u32 size;
	u32 segs;
	u32 type;
	u8 flags;
	u8 frags;
};

struct skb_vlan_event {
	u16 proto;
	u16 tci;
};

struct sk_buff___old {
	u8 vlan_present:1;
} __attribute__((preserve_access_index));

#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

/* skb->protocol, or at tx before it is set, the IP version found at the
 * network header (only when the transport header confirms its length).
 * s is the copy of the skb (probe_ctx.s).
 */
static __always_inline u16 skb_l3_proto(struct sk_buff *s)
{
	u16 proto = s->protocol;
	unsigned char *head;
	u16 net, th;
	u8 ver;

	if (likely(proto))
		return proto;
	if (!skb_net_valid(s) || !skb_transport_valid(s))
		return 0;

	head = s->head;
	net = s->network_header;
	th = s->transport_header;
	if (bpf_probe_read_kernel(&ver, sizeof(ver), head + net))
		return 0;
	ver >>= 4;
	if (ver == 4 && th - net == sizeof(struct iphdr))
		return bpf_htons(ETH_P_IP);
	if (ver == 6 && th - net == sizeof(struct ipv6hdr))
		return bpf_htons(ETH_P_IPV6);
	return 0;
}

/* The packet section holds only as many bytes as the capture rounds up
 * to (64, 128 or 255): a flood's 60-byte frames then take 88 bytes of
 * ring buffer, not 272, and the ring holds twice the events.
 */
static __always_inline struct skb_packet_event *
packet_section(struct event_buf *buf, long size)
{
	const u32 base = offsetof(struct skb_packet_event, packet);

	if (size <= 64)
		return event_section(buf, OWNER_SKB, SKB_SEC_PACKET, base + 64);
	if (size <= 128)
		return event_section(buf, OWNER_SKB, SKB_SEC_PACKET, base + 128);
	return event_section(buf, OWNER_SKB, SKB_SEC_PACKET,
			     sizeof(struct skb_packet_event));
}

static __always_inline void skb_packet(struct event_buf *buf, struct sk_buff *s)
{
	struct skb_packet_event *e;
	unsigned char *head = s->head;
	u32 len = s->len;
	u32 headroom = s->data - head;
	long avail, size;
	u16 off;

	if (skb_mac_valid(s)) {
		off = s->mac_header;
		avail = skb_readable_from(s, off);
		if (avail <= 0)
			return;
		size = MIN(avail, PACKET_CAPTURE_SIZE);
		e = packet_section(buf, size);
		if (!e)
			return;
		/* skb->len counts from skb->data, which is past the mac
		 * header at receive.
		 */
		e->len = len + headroom - off;
		e->capture_len = size;
		e->fake_eth = 0;
		size &= 0xff;
		bpf_probe_read_kernel(e->packet, size, head + off);
		return;
	}

	if (skb_net_valid(s)) {
		u16 proto = skb_l3_proto(s);
		struct ethhdr *eth;

		if (!proto)
			return;
		off = s->network_header;
		avail = skb_readable_from(s, off);
		if (avail <= 0)
			return;
		size = MIN(avail, PACKET_CAPTURE_SIZE - ETH_HLEN);
		e = packet_section(buf, size + ETH_HLEN);
		if (!e)
			return;
		eth = (struct ethhdr *)e->packet;
		__builtin_memset(eth, 0, ETH_HLEN);
		eth->h_proto = proto;
		e->len = len + headroom - off + ETH_HLEN;
		e->capture_len = size + ETH_HLEN;
		e->fake_eth = 1;
		size &= 0xff;
		if (size > PACKET_CAPTURE_SIZE - ETH_HLEN)
			size = PACKET_CAPTURE_SIZE - ETH_HLEN;
		bpf_probe_read_kernel(e->packet + ETH_HLEN, size, head + off);
	}
}

static __always_inline bool skb_vlan_tag(struct sk_buff *s, u16 *tci)
{
	struct sk_buff___old *old = (void *)s;
	bool present = false;

	if (bpf_core_field_exists(old->vlan_present))
		present = BPF_CORE_READ_BITFIELD(old, vlan_present);
	else if (bpf_core_field_exists(s->vlan_all))
		present = s->vlan_all != 0;
	if (!present)
		return false;
	*tci = s->vlan_tci;
	return true;
}

/* Fields come from the copy of the skb; what lies behind its pointers
 * (packet bytes, shared info) is read from the kernel.
 */
static __always_inline void collect_skb(struct event_buf *buf, struct probe_ctx *ctx)
{
	struct sk_buff *s = ctx->s;
	unsigned char *head = s->head;
	struct skb_shared_info *shinfo;
	u16 tci;

	shinfo = (struct skb_shared_info *)(head + s->end);

	if (skb_sections & (1 << SKB_SEC_PACKET))
		skb_packet(buf, s);

	if (skb_sections & (1 << SKB_SEC_META)) {
		struct skb_meta_event *e =
			event_section(buf, OWNER_SKB, SKB_SEC_META, sizeof(*e));

		if (e) {
			e->len = s->len;
			e->data_len = s->data_len;
			e->hash = s->hash;
			e->csum = s->csum;
			e->priority = s->priority;
			e->ip_summed = BPF_CORE_READ_BITFIELD(s, ip_summed);
			e->csum_level = BPF_CORE_READ_BITFIELD(s, csum_level);
		}
	}

	if (skb_sections & (1 << SKB_SEC_DATA_REF)) {
		struct skb_data_ref_event *e =
			event_section(buf, OWNER_SKB, SKB_SEC_DATA_REF, sizeof(*e));

		if (e) {
			e->nohdr = BPF_CORE_READ_BITFIELD(s, nohdr);
			e->cloned = BPF_CORE_READ_BITFIELD(s, cloned);
			e->fclone = BPF_CORE_READ_BITFIELD(s, fclone);
			e->users = s->users.refs.counter;
			e->dataref = BPF_CORE_READ(shinfo, dataref.counter);
		}
	}

	if ((skb_sections & (1 << SKB_SEC_VLAN)) && skb_vlan_tag(s, &tci)) {
		struct skb_vlan_event *e =
			event_section(buf, OWNER_SKB, SKB_SEC_VLAN, sizeof(*e));

		if (e) {
			e->proto = bpf_ntohs(s->vlan_proto);
			e->tci = tci;
		}
	}

	if ((skb_sections & (1 << SKB_SEC_GSO)) && BPF_CORE_READ(shinfo, gso_size)) {
		struct skb_gso_event *e =
			event_section(buf, OWNER_SKB, SKB_SEC_GSO, sizeof(*e));

		if (e) {
			e->flags = bpf_core_field_exists(shinfo->flags) ?
				   BPF_CORE_READ(shinfo, flags) : 0;
			e->frags = BPF_CORE_READ(shinfo, nr_frags);
			e->size = BPF_CORE_READ(shinfo, gso_size);
			e->segs = BPF_CORE_READ(shinfo, gso_segs);
			e->type = BPF_CORE_READ(shinfo, gso_type);
		}
	}
}

#endif /* __RETIS_SKB_H__ */
