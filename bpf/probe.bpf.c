//go:build ignore

// SPDX-License-Identifier: GPL-2.0
/* Hook front-ends: one program per attach backend, each filling a
 * probe_ctx from its own context layout before running the shared core.
 *
 * Programs attached to one target only (tp_btf, raw_tp, fentry, fexit)
 * are loaded once per target with their probe id and argument positions
 * as constants, which the verifier needs to check context accesses.
 * Programs attached to many targets at once (kprobe, kprobe-multi,
 * kretprobe) read their probe id from the attach cookie and argument
 * positions from probe_configs.
 */
#include "common.h"
#include "core.h"

char __license[] SEC("license") = "GPL";

/* Set per load. */
const volatile u32 probe_id = 0;
/* Set when the program is shared by several attachments. */
const volatile u8 use_cookie = 0;
/* Tracepoint or traced-function arguments: how many and where. */
const volatile u32 nargs = 0;
const volatile s32 arg_skb = -1;
const volatile s32 arg_drop_reason = -1;
const volatile s32 arg_dev = -1;
const volatile s32 arg_net = -1;
/* nf_tables' packet and trace state, for targets without an skb. */
const volatile s32 arg_nft_pkt = -1;
const volatile s32 arg_nft_info = -1;

/* Load a context slot at a fixed offset. Written in asm so clang cannot
 * merge the cases of a switch into one load at a computed offset, which
 * the verifier refuses on a context pointer.
 */
#define CTX_LOAD(ctx, off) ({						\
	u64 __v;							\
	asm volatile("%[v] = *(u64 *)(%[c] + %[o])"			\
		     : [v] "=r"(__v) : [c] "r"(ctx), [o] "i"(off));	\
	__v;								\
})
#define CTX_SLOT(ctx, n)	CTX_LOAD(ctx, (n) * 8)

/* The index is a load-time constant: every case but one is dead code and
 * the verifier sees one fixed context offset below nargs.
 */
static __always_inline u64 ctx_arg(u64 *ctx, s32 i)
{
	if (i < 0 || i >= nargs)
		return 0;
	switch (i) {
	case 0: return CTX_SLOT(ctx, 0);
	case 1: return CTX_SLOT(ctx, 1);
	case 2: return CTX_SLOT(ctx, 2);
	case 3: return CTX_SLOT(ctx, 3);
	case 4: return CTX_SLOT(ctx, 4);
	case 5: return CTX_SLOT(ctx, 5);
	case 6: return CTX_SLOT(ctx, 6);
	case 7: return CTX_SLOT(ctx, 7);
	case 8: return CTX_SLOT(ctx, 8);
	case 9: return CTX_SLOT(ctx, 9);
	case 10: return CTX_SLOT(ctx, 10);
	case 11: return CTX_SLOT(ctx, 11);
	}
	return 0;
}

static __always_inline int from_args(u64 *ctx, u8 type)
{
	struct probe_ctx p = {};

	p.timestamp = bpf_ktime_get_ns();
	p.orig_ctx = ctx;
	p.probe_id = probe_id;
	p.type = type;
#pragma unroll
	for (int i = 0; i < PROBE_ARGS; i++)
		p.args[i] = ctx_arg(ctx, i);
	if (arg_skb >= 0)
		p.skb = (struct sk_buff *)ctx_arg(ctx, arg_skb);
	else if (arg_nft_pkt >= 0 || arg_nft_info >= 0)
		p.skb = nft_skb(ctx_arg(ctx, arg_nft_pkt),
				ctx_arg(ctx, arg_nft_info));
	p.dev = (struct net_device *)ctx_arg(ctx, arg_dev);
	p.net = (struct net *)ctx_arg(ctx, arg_net);
	if (arg_drop_reason >= 0) {
		p.drop_reason = (s32)ctx_arg(ctx, arg_drop_reason);
		p.has_reason = 1;
	}
	return probe_core(&p);
}

SEC("tp_btf/placeholder")
int probe_tp_btf(u64 *ctx)
{
	return from_args(ctx, PROBE_TRACEPOINT);
}

SEC("raw_tp")
int probe_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	return from_args((u64 *)ctx->args, PROBE_TRACEPOINT);
}

SEC("fentry/placeholder")
int probe_fentry(u64 *ctx)
{
	return from_args(ctx, PROBE_KPROBE);
}

SEC("fexit/placeholder")
int probe_fexit(u64 *ctx)
{
	return from_args(ctx, PROBE_KRETPROBE);
}

#if defined(__TARGET_ARCH_x86)
static __always_inline u64 regs_arg(struct pt_regs *regs, s8 i)
{
	switch (i) {
	case 0: return CTX_LOAD(regs, __builtin_offsetof(struct pt_regs, di));
	case 1: return CTX_LOAD(regs, __builtin_offsetof(struct pt_regs, si));
	case 2: return CTX_LOAD(regs, __builtin_offsetof(struct pt_regs, dx));
	case 3: return CTX_LOAD(regs, __builtin_offsetof(struct pt_regs, cx));
	case 4: return CTX_LOAD(regs, __builtin_offsetof(struct pt_regs, r8));
	case 5: return CTX_LOAD(regs, __builtin_offsetof(struct pt_regs, r9));
	}
	return 0;
}
#else
#error "only x86_64 is supported: regenerate vmlinux.h and add the argument registers"
#endif

static __always_inline u32 shared_probe_id(void *ctx)
{
	return use_cookie ? (u32)bpf_get_attach_cookie(ctx) : probe_id;
}

/* Fill skb and friends from registers, positions from the probe config. */
static __always_inline bool from_regs(struct probe_ctx *p, struct pt_regs *regs)
{
	struct probe_config *cfg;

	cfg = bpf_map_lookup_elem(&probe_configs, &p->probe_id);
	if (!cfg)
		return false;
#pragma unroll
	for (int i = 0; i < PROBE_ARGS; i++)
		p->args[i] = regs_arg(regs, i);
	if (cfg->skb >= 0)
		p->skb = (struct sk_buff *)regs_arg(regs, cfg->skb);
	else if (cfg->nft_pkt >= 0 || cfg->nft_info >= 0)
		p->skb = nft_skb(regs_arg(regs, cfg->nft_pkt),
				 regs_arg(regs, cfg->nft_info));
	if (cfg->dev >= 0)
		p->dev = (struct net_device *)regs_arg(regs, cfg->dev);
	if (cfg->net >= 0)
		p->net = (struct net *)regs_arg(regs, cfg->net);
	if (cfg->drop_reason >= 0) {
		p->drop_reason = (s32)regs_arg(regs, cfg->drop_reason);
		p->has_reason = 1;
	}
	return true;
}

static __always_inline int kprobe_entry(struct pt_regs *regs)
{
	struct probe_ctx p = {};

	p.timestamp = bpf_ktime_get_ns();
	p.orig_ctx = regs;
	p.probe_id = shared_probe_id(regs);
	p.type = PROBE_KPROBE;
	if (!from_regs(&p, regs))
		return 0;
	return probe_core(&p);
}

SEC("kprobe")
int probe_kprobe(struct pt_regs *regs)
{
	return kprobe_entry(regs);
}

SEC("kprobe.multi")
int probe_kprobe_multi(struct pt_regs *regs)
{
	return kprobe_entry(regs);
}

/* A kretprobe sees no arguments: the entry half keeps them per task and
 * probe until the return half runs.
 */
struct kret_key {
	u64 pid_tgid;
	u32 probe_id;
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct kret_key);
	__type(value, struct probe_ctx);
} kret_args SEC(".maps");

SEC("kprobe")
int probe_kretprobe_entry(struct pt_regs *regs)
{
	struct kret_key key = {};
	struct probe_ctx p = {};

	p.probe_id = shared_probe_id(regs);
	p.type = PROBE_KRETPROBE;
	if (!from_regs(&p, regs))
		return 0;
	key.pid_tgid = bpf_get_current_pid_tgid();
	key.probe_id = p.probe_id;
	bpf_map_update_elem(&kret_args, &key, &p, BPF_ANY);
	return 0;
}

SEC("kretprobe")
int probe_kretprobe(struct pt_regs *regs)
{
	struct kret_key key = {};
	struct probe_ctx p, *saved;

	key.pid_tgid = bpf_get_current_pid_tgid();
	key.probe_id = shared_probe_id(regs);
	saved = bpf_map_lookup_elem(&kret_args, &key);
	if (!saved)
		return 0;
	p = *saved;
	bpf_map_delete_elem(&kret_args, &key);
	p.timestamp = bpf_ktime_get_ns();
	p.orig_ctx = regs;
	return probe_core(&p);
}

/* Benchmark producer: a tc program run by BPF_PROG_TEST_RUN, emitting the
 * very events a probe emits for the test packet.
 */
extern void *bpf_cast_to_kern_ctx(void *) __ksym;

SEC("tc")
int probe_bench(struct __sk_buff *skb)
{
	struct probe_ctx p = {};

	p.timestamp = bpf_ktime_get_ns();
	p.orig_ctx = skb;
	p.probe_id = probe_id;
	p.type = PROBE_TRACEPOINT;
	p.skb = bpf_cast_to_kern_ctx(skb);
	probe_core(&p);
	return 0; /* TC_ACT_OK */
}

/* Types engine/collect decodes, kept in BTF for bpf2go -type. */
const struct event_hdr *unused_event_hdr __attribute__((unused));
const struct section_hdr *unused_section_hdr __attribute__((unused));
const struct skb_packet_event *unused_skb_packet __attribute__((unused));
const struct skb_meta_event *unused_skb_meta __attribute__((unused));
const struct skb_data_ref_event *unused_skb_data_ref __attribute__((unused));
const struct skb_gso_event *unused_skb_gso __attribute__((unused));
const struct skb_vlan_event *unused_skb_vlan __attribute__((unused));
const struct skb_drop_event *unused_skb_drop __attribute__((unused));
const struct skb_tracking_event *unused_skb_tracking __attribute__((unused));
const struct dev_event *unused_dev __attribute__((unused));
const struct ns_event *unused_ns __attribute__((unused));
const struct ct_meta_event *unused_ct_meta __attribute__((unused));
const struct ct_conn_event *unused_ct_conn __attribute__((unused));
const struct nft_event *unused_nft __attribute__((unused));
const enum collector_bit *unused_collector_bit __attribute__((unused));
const enum probe_flag *unused_probe_flag __attribute__((unused));
const enum section_owner *unused_section_owner __attribute__((unused));
const enum skb_section *unused_skb_section __attribute__((unused));
const enum ct_section *unused_ct_section __attribute__((unused));
const enum retis_probe_type *unused_probe_type __attribute__((unused));
