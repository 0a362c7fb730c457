/* ct collector: the conntrack entry attached to the skb, and its parent
 * (master) connection for related flows.
 */
#ifndef __RETIS_CT_H__
#define __RETIS_CT_H__

#include "common.h"
#include "events.h"

/* Section kinds (Retis's numbering). */
enum ct_section {
	CT_SEC_META = 0,
	CT_SEC_BASE = 1,
	CT_SEC_PARENT = 2,
};

#define NFCT_INFOMASK	7UL
#define NFCT_PTRMASK	(~NFCT_INFOMASK)

/* nf_conntrack_zones_common.h */
#define NF_CT_ZONE_DIR_ORIG	(1 << 0)
#define NF_CT_ZONE_DIR_REPL	(1 << 1)

#define IPPROTO_ICMPV6_	58

struct ct_meta_event {
	u8 state;
};

/* One direction of a connection; addresses and ports in network order. */
struct ct_tuple {
	u8 src[16];
	u8 dst[16];
	u16 sport;
	u16 dport;
	u16 icmp_id;
	u8 icmp_type;
	u8 icmp_code;
};

struct ct_conn_event {
	struct ct_tuple orig;
	struct ct_tuple reply;
	u64 status;
	u8 labels[16];
	u32 mark;
	u16 zone_id;
	/* NF_CT_ZONE_DIR_* bits */
	u8 zone_dir;
	/* 4 or 6 */
	u8 l3;
	/* IPPROTO_* */
	u8 l4;
	u8 tcp_state;
	u8 has_mark;
	u8 has_labels;
};

struct nf_conn___mark {
	u32 mark;
} __attribute__((preserve_access_index));

static __always_inline bool ct_supported(u16 l3num, u8 l4)
{
	if (l3num != NFPROTO_IPV4 && l3num != NFPROTO_IPV6)
		return false;
	return l4 == IPPROTO_TCP || l4 == IPPROTO_UDP ||
	       l4 == IPPROTO_ICMP || l4 == IPPROTO_ICMPV6_;
}

static __always_inline void ct_read_tuple(struct ct_tuple *t,
					  struct nf_conntrack_tuple *kt,
					  u16 l3num, u8 l4)
{
	if (l3num == NFPROTO_IPV4) {
		bpf_core_read(t->src, 4, &kt->src.u3.ip);
		bpf_core_read(t->dst, 4, &kt->dst.u3.ip);
	} else {
		bpf_core_read(t->src, 16, &kt->src.u3.ip6);
		bpf_core_read(t->dst, 16, &kt->dst.u3.ip6);
	}

	switch (l4) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		/* tcp and udp share the layout of the union's "all". */
		bpf_core_read(&t->sport, 2, &kt->src.u.all);
		bpf_core_read(&t->dport, 2, &kt->dst.u.all);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_:
		bpf_core_read(&t->icmp_id, 2, &kt->src.u.icmp.id);
		bpf_core_read(&t->icmp_type, 1, &kt->dst.u.icmp.type);
		bpf_core_read(&t->icmp_code, 1, &kt->dst.u.icmp.code);
		break;
	}
}

/* Labels live in a conntrack extension, present with
 * CONFIG_NF_CONNTRACK_LABELS only.
 */
static __always_inline void ct_read_labels(struct ct_conn_event *e,
					   struct nf_conn *ct)
{
	struct nf_ct_ext *ext;
	u8 off;
	int id;

	if (!bpf_core_enum_value_exists(enum nf_ct_ext_id, NF_CT_EXT_LABELS))
		return;
	e->has_labels = 1;
	ext = BPF_CORE_READ(ct, ext);
	if (!ext)
		return;
	id = bpf_core_enum_value(enum nf_ct_ext_id, NF_CT_EXT_LABELS);
	if (bpf_core_read(&off, 1, &ext->offset[id & 0xf]) || !off)
		return;
	bpf_probe_read_kernel(e->labels, sizeof(e->labels), (void *)ext + off);
}

static __always_inline void ct_read_conn(struct ct_conn_event *e,
					 struct nf_conn *ct, u16 l3num, u8 l4)
{
	struct nf_conn___mark *cm = (void *)ct;

	e->l3 = l3num == NFPROTO_IPV4 ? 4 : 6;
	e->l4 = l4;
	if (bpf_core_field_exists(ct->zone)) {
		e->zone_id = BPF_CORE_READ(ct, zone.id);
		e->zone_dir = BPF_CORE_READ(ct, zone.dir);
	}
	if (bpf_core_field_exists(cm->mark)) {
		e->mark = BPF_CORE_READ(cm, mark);
		e->has_mark = 1;
	}
	e->status = BPF_CORE_READ(ct, status);
	ct_read_tuple(&e->orig, &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple, l3num, l4);
	ct_read_tuple(&e->reply, &ct->tuplehash[IP_CT_DIR_REPLY].tuple, l3num, l4);
	if (l4 == IPPROTO_TCP)
		e->tcp_state = BPF_CORE_READ(ct, proto.tcp.state);
	ct_read_labels(e, ct);
}

static __always_inline void collect_ct(struct event_buf *buf, struct probe_ctx *ctx)
{
	struct sk_buff *s = ctx->s;
	struct ct_conn_event *e;
	struct ct_meta_event *m;
	struct nf_conn *ct;
	unsigned long nfct;
	u16 l3num;
	u8 l4;

	if (!bpf_core_field_exists(s->_nfct))
		return;
	nfct = s->_nfct;
	ct = (struct nf_conn *)(nfct & NFCT_PTRMASK);
	if (!ct)
		return;

	l3num = BPF_CORE_READ(ct, tuplehash[IP_CT_DIR_ORIGINAL].tuple.src.l3num);
	l4 = BPF_CORE_READ(ct, tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.protonum);
	if (!ct_supported(l3num, l4))
		return;

	/* The connection first: a state alone would be no use. */
	e = event_zsection(buf, OWNER_CT, CT_SEC_BASE, sizeof(*e));
	if (!e)
		return;
	ct_read_conn(e, ct, l3num, l4);
	m = event_section(buf, OWNER_CT, CT_SEC_META, sizeof(*m));
	if (m)
		m->state = nfct & NFCT_INFOMASK;

	ct = BPF_CORE_READ(ct, master);
	if (!ct)
		return;
	l3num = BPF_CORE_READ(ct, tuplehash[IP_CT_DIR_ORIGINAL].tuple.src.l3num);
	l4 = BPF_CORE_READ(ct, tuplehash[IP_CT_DIR_ORIGINAL].tuple.dst.protonum);
	if (!ct_supported(l3num, l4))
		return;
	e = event_zsection(buf, OWNER_CT, CT_SEC_PARENT, sizeof(*e));
	if (e)
		ct_read_conn(e, ct, l3num, l4);
}

#endif /* __RETIS_CT_H__ */
