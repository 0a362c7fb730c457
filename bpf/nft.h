/* nft collector: which nf_tables rule or chain policy gave a packet its
 * verdict, read where the kernel traces verdicts (__nft_trace_packet), as
 * Retis reads it.
 *
 * Once any ruleset sets meta nftrace (a static key), nf_tables calls the
 * function for the verdicts of every packet, marked for tracing or not, in
 * every namespace; the collector needs a table that sets it somewhere, not
 * marked packets.
 *
 * The function's arguments moved across kernels:
 *   6.1:   (info, chain, type); packet, rule and verdict in info
 *   6.4:   (info, type); the chain comes from the rule: the end marker of
 *          a chain's rules points to the chain
 *   6.12:  (pkt, verdict, rule, info, type)
 * Userspace finds the positions in BTF (nft_arg_*, -1 when absent); CO-RE
 * field checks read the rest from info where it is there.
 */
#ifndef __RETIS_NFT_H__
#define __RETIS_NFT_H__

#include "common.h"
#include "events.h"

/* Retis's name length: longer nf_tables names (up to 255) are cut. */
#define NFT_NAME_LEN	128

struct nft_event {
	s64 table_handle;
	s64 chain_handle;
	/* -1 when the verdict is not a rule's. */
	s64 rule_handle;
	/* The verdict code as the kernel has it (NF_* or NFT_*). */
	u32 verdict;
	u8 policy;
	u8 pad[3];
	char table_name[NFT_NAME_LEN];
	char chain_name[NFT_NAME_LEN];
	/* The target of jump and goto, empty otherwise. */
	char verdict_chain_name[NFT_NAME_LEN];
};

/* Set by the nft collector. Verdicts to report: bit (code + 5), code the
 * verdict with its netfilter argument masked off (NFT_RETURN, -5, is bit
 * 0; NF_REPEAT, 4, bit 9).
 */
const volatile u32 nft_verdicts = 0;
/* Positions of __nft_trace_packet's arguments. */
const volatile s32 nft_arg_info = -1;
const volatile s32 nft_arg_chain = -1;
const volatile s32 nft_arg_rule = -1;
const volatile s32 nft_arg_verdict = -1;
const volatile s32 nft_arg_type = -1;

#define NF_VERDICT_MASK	0x000000ff
#define NFPROTO_INET_	1
#define NFT_VERDICT_BITS	10

/* Before 6.3 the trace state held the packet, the rule and the verdict. */
struct nft_traceinfo___pkt {
	const struct nft_pktinfo *pkt;
	const void *rule;
	const struct nft_verdict *verdict;
} __attribute__((preserve_access_index));

/* Before 5.17 rules were struct nft_rule, without an end marker. */
struct nft_rule___old {
	u64 handle:42;
} __attribute__((preserve_access_index));

/* The sk_buff of an nf_tables function's packet state: pkt, or the trace
 * state's packet on kernels where it holds one. Every nf_tables access is
 * behind a type check, so programs still load where nf_tables is a module
 * not loaded.
 */
static __always_inline struct sk_buff *nft_skb(u64 pkt, u64 info)
{
	const struct nft_traceinfo___pkt *ti = (void *)info;
	const struct nft_pktinfo *p = (void *)pkt;

	if (!bpf_core_type_exists(struct nft_pktinfo) ||
	    !bpf_core_type_exists(struct nft_traceinfo))
		return NULL;
	if (!p && ti && bpf_core_field_exists(ti->pkt)) {
		/* The trace state is set up only when trace is. */
		if (!BPF_CORE_READ((struct nft_traceinfo *)info, trace))
			return NULL;
		p = BPF_CORE_READ(ti, pkt);
	}
	if (!p)
		return NULL;
	return BPF_CORE_READ(p, skb);
}

/* What one trace call is about. */
struct nft_state {
	const struct nft_chain *chain;
	const void *rule;
	const struct nft_verdict *verdict;
	u32 code;
	u8 type;
	u8 policy;
};

static __always_inline bool nft_verdict_selected(u32 code)
{
	s32 v = (s32)code;

	if (v >= 0)
		v &= NF_VERDICT_MASK;
	v -= NFT_RETURN;
	if (v < 0 || v >= NFT_VERDICT_BITS)
		return false;
	return nft_verdicts & (1U << v);
}

/* Rules are laid out one after the other, each followed by its
 * expressions (dlen bytes), and closed by an end marker that points to the
 * chain. Chains that long are not followed to their end (Retis's bound).
 *
 * A plain bounded loop, verified once per iteration (some 50k
 * instructions in all): bpf_loop would be verified once, but its callback
 * makes the whole object unloadable before Linux 5.13.
 */
#define NFT_RULES_MAX	1024

/* The chain of a rule, or of a policy (no rule), where the trace function
 * is not given it (6.4 and later).
 */
static __always_inline const struct nft_chain *
nft_chain_of(const struct nft_rule_dp *rule, const struct nft_traceinfo *info)
{
	const struct nft_base_chain *base;
	const struct nft_rule_dp_last *last;
	int i;

	if (!rule) {
		base = BPF_CORE_READ(info, basechain);
		if (!base)
			return NULL;
		return (void *)base + bpf_core_field_offset(base->chain);
	}
	if (!bpf_core_type_exists(struct nft_rule_dp_last))
		return NULL;
	for (i = 0; i < NFT_RULES_MAX; i++) {
		if (BPF_CORE_READ_BITFIELD_PROBED(rule, is_last)) {
			last = (void *)rule;
			return BPF_CORE_READ(last, chain);
		}
		rule = (void *)rule + bpf_core_type_size(struct nft_rule_dp) +
		       BPF_CORE_READ_BITFIELD_PROBED(rule, dlen);
	}
	return NULL;
}

/* Is this our own table, whose chains only mark packets? */
static __always_inline bool nft_own_table(const struct nft_table *table)
{
	static const char own[] = "Retis_Table";
	char name[sizeof(own)];
	int i;

	if (BPF_CORE_READ_BITFIELD_PROBED(table, family) != NFPROTO_INET_)
		return false;
	if (bpf_probe_read_kernel_str(name, sizeof(name),
				      BPF_CORE_READ(table, name)) != sizeof(own))
		return false;
#pragma unroll
	for (i = 0; i < sizeof(own) - 1; i++)
		if (name[i] != own[i])
			return false;
	return true;
}

/* Reads the trace call's arguments; false when it is not to be reported:
 * a verdict not asked for, our own table's, or a trace state the kernel
 * has not set up.
 */
static __always_inline bool nft_prepare(struct nft_state *s,
					struct probe_ctx *ctx)
{
	const struct nft_traceinfo *info;
	const struct nft_traceinfo___pkt *ti;
	const struct nft_base_chain *base;
	/* Copies of s's members: CO-RE must not relocate accesses to s. */
	const struct nft_verdict *verdict;
	const struct nft_chain *chain;

	if (!bpf_core_type_exists(struct nft_traceinfo))
		return false;
	info = (void *)probe_arg(ctx, nft_arg_info);
	if (!info || !BPF_CORE_READ(info, trace))
		return false;
	ti = (void *)info;

	if (nft_arg_type >= 0)
		s->type = (u8)probe_arg(ctx, nft_arg_type);
	else
		s->type = BPF_CORE_READ_BITFIELD_PROBED(info, type);
	s->policy = s->type == NFT_TRACETYPE_POLICY;

	if (nft_arg_verdict >= 0)
		s->verdict = (void *)probe_arg(ctx, nft_arg_verdict);
	else if (bpf_core_field_exists(ti->verdict))
		s->verdict = BPF_CORE_READ(ti, verdict);
	if (nft_arg_rule >= 0)
		s->rule = (void *)probe_arg(ctx, nft_arg_rule);
	else if (bpf_core_field_exists(ti->rule))
		s->rule = BPF_CORE_READ(ti, rule);

	if (s->policy) {
		base = BPF_CORE_READ(info, basechain);
		if (!base)
			return false;
		s->code = BPF_CORE_READ(base, policy);
		/* A policy is no rule's, whatever the state still says. */
		s->rule = NULL;
	} else {
		verdict = s->verdict;
		if (!verdict)
			return false;
		s->code = BPF_CORE_READ(verdict, code);
	}
	if (!nft_verdict_selected(s->code))
		return false;

	if (nft_arg_chain >= 0)
		s->chain = (void *)probe_arg(ctx, nft_arg_chain);
	else if (bpf_core_type_exists(struct nft_rule_dp))
		s->chain = nft_chain_of(s->rule, info);
	chain = s->chain;
	if (chain && nft_own_table(BPF_CORE_READ(chain, table)))
		return false;
	return true;
}

/* The rule's handle, -1 for verdicts that are no rule's: a policy, and
 * the end of a chain's rules (the end marker, or on older kernels a
 * return event with verdict continue).
 */
static __always_inline s64 nft_rule_handle(const struct nft_state *s)
{
	const struct nft_rule___old *old = s->rule;
	const struct nft_rule_dp *rule = s->rule;

	if (!rule)
		return -1;
	if (s->type == NFT_TRACETYPE_RETURN && (s32)s->code == NFT_CONTINUE)
		return -1;
	if (bpf_core_type_exists(struct nft_rule_dp)) {
		if (BPF_CORE_READ_BITFIELD_PROBED(rule, is_last))
			return -1;
		return BPF_CORE_READ_BITFIELD_PROBED(rule, handle);
	}
	return BPF_CORE_READ_BITFIELD_PROBED(old, handle);
}

/* Like Retis, no section when the chain is unknown (its rules too many to
 * follow to their end).
 */
static __always_inline void collect_nft(struct event_buf *buf,
					const struct nft_state *s)
{
	const struct nft_verdict *verdict = s->verdict;
	const struct nft_chain *chain = s->chain;
	const struct nft_table *table;
	struct nft_event *e;
	s32 code = s->code;

	if (!chain)
		return;
	e = event_section(buf, OWNER_NFT, 1, sizeof(*e));
	if (!e)
		return;
	table = BPF_CORE_READ(chain, table);
	e->table_handle = BPF_CORE_READ(table, handle);
	e->chain_handle = BPF_CORE_READ(chain, handle);
	e->rule_handle = nft_rule_handle(s);
	e->verdict = s->code;
	e->policy = s->policy;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_probe_read_kernel_str(e->table_name, sizeof(e->table_name),
				  BPF_CORE_READ(table, name));
	bpf_probe_read_kernel_str(e->chain_name, sizeof(e->chain_name),
				  BPF_CORE_READ(chain, name));
	e->verdict_chain_name[0] = 0;
	if (code == NFT_JUMP || code == NFT_GOTO)
		bpf_probe_read_kernel_str(e->verdict_chain_name,
					  sizeof(e->verdict_chain_name),
					  BPF_CORE_READ(verdict, chain, name));
}

#endif /* __RETIS_NFT_H__ */
