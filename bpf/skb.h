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
 */
static __always_inline u16 skb_l3_proto(struct sk_buff *skb)
{
	u16 proto = BPF_CORE_READ(skb, protocol);
	unsigned char *head;
	u16 net, th;
	u8 ver;

	if (likely(proto))
		return proto;
	if (!skb_net_valid(skb) || !skb_transport_valid(skb))
		return 0;

	head = BPF_CORE_READ(skb, head);
	net = BPF_CORE_READ(skb, network_header);
	th = BPF_CORE_READ(skb, transport_header);
	if (bpf_probe_read_kernel(&ver, sizeof(ver), head + net))
		return 0;
	ver >>= 4;
	if (ver == 4 && th - net == sizeof(struct iphdr))
		return bpf_htons(ETH_P_IP);
	if (ver == 6 && th - net == sizeof(struct ipv6hdr))
		return bpf_htons(ETH_P_IPV6);
	return 0;
}

static __always_inline void skb_packet(struct event_buf *buf, struct sk_buff *skb)
{
	struct skb_packet_event *e;
	unsigned char *head = BPF_CORE_READ(skb, head);
	u32 len = BPF_CORE_READ(skb, len);
	u32 headroom = BPF_CORE_READ(skb, data) - head;
	long avail, size;
	u16 off;

	if (skb_mac_valid(skb)) {
		off = BPF_CORE_READ(skb, mac_header);
		avail = skb_readable_from(skb, off);
		if (avail <= 0)
			return;
		size = MIN(avail, PACKET_CAPTURE_SIZE);
		e = event_section(buf, OWNER_SKB, SKB_SEC_PACKET, sizeof(*e));
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

	if (skb_net_valid(skb)) {
		u16 proto = skb_l3_proto(skb);
		struct ethhdr *eth;

		if (!proto)
			return;
		off = BPF_CORE_READ(skb, network_header);
		avail = skb_readable_from(skb, off);
		if (avail <= 0)
			return;
		size = MIN(avail, PACKET_CAPTURE_SIZE - ETH_HLEN);
		e = event_section(buf, OWNER_SKB, SKB_SEC_PACKET, sizeof(*e));
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

static __always_inline bool skb_vlan_tag(struct sk_buff *skb, u16 *tci)
{
	struct sk_buff___old *old = (void *)skb;
	bool present = false;

	if (bpf_core_field_exists(old->vlan_present))
		present = BPF_CORE_READ_BITFIELD_PROBED(old, vlan_present);
	else if (bpf_core_field_exists(skb->vlan_all))
		present = BPF_CORE_READ(skb, vlan_all) != 0;
	if (!present)
		return false;
	*tci = BPF_CORE_READ(skb, vlan_tci);
	return true;
}

static __always_inline void collect_skb(struct event_buf *buf, struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	struct skb_shared_info *shinfo;
	u16 tci;

	shinfo = (struct skb_shared_info *)(head + BPF_CORE_READ(skb, end));

	if (skb_sections & (1 << SKB_SEC_PACKET))
		skb_packet(buf, skb);

	if (skb_sections & (1 << SKB_SEC_META)) {
		struct skb_meta_event *e =
			event_section(buf, OWNER_SKB, SKB_SEC_META, sizeof(*e));

		if (e) {
			e->len = BPF_CORE_READ(skb, len);
			e->data_len = BPF_CORE_READ(skb, data_len);
			e->hash = BPF_CORE_READ(skb, hash);
			e->csum = BPF_CORE_READ(skb, csum);
			e->priority = BPF_CORE_READ(skb, priority);
			e->ip_summed = BPF_CORE_READ_BITFIELD_PROBED(skb, ip_summed);
			e->csum_level = BPF_CORE_READ_BITFIELD_PROBED(skb, csum_level);
		}
	}

	if (skb_sections & (1 << SKB_SEC_DATA_REF)) {
		struct skb_data_ref_event *e =
			event_section(buf, OWNER_SKB, SKB_SEC_DATA_REF, sizeof(*e));

		if (e) {
			e->nohdr = BPF_CORE_READ_BITFIELD_PROBED(skb, nohdr);
			e->cloned = BPF_CORE_READ_BITFIELD_PROBED(skb, cloned);
			e->fclone = BPF_CORE_READ_BITFIELD_PROBED(skb, fclone);
			e->users = BPF_CORE_READ(skb, users.refs.counter);
			e->dataref = BPF_CORE_READ(shinfo, dataref.counter);
		}
	}

	if ((skb_sections & (1 << SKB_SEC_VLAN)) && skb_vlan_tag(skb, &tci)) {
		struct skb_vlan_event *e =
			event_section(buf, OWNER_SKB, SKB_SEC_VLAN, sizeof(*e));

		if (e) {
			e->proto = bpf_ntohs(BPF_CORE_READ(skb, vlan_proto));
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
