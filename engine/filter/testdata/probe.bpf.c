// SPDX-License-Identifier: GPL-2.0
//
// A stand-in for the collector's probes, for the tests of package filter:
// a tp_btf program on netif_receive_skb calling the filter placeholders the
// way probes do, and counting what passes. Rebuild with `go generate`
// (clang-19); the object is committed so tests need no clang.

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __noinline __attribute__((noinline))

struct sk_buff {
	unsigned char *head;
	unsigned int tail;
	__u16 mac_header;
	__u16 network_header;
} __attribute__((preserve_access_index));

struct {
	int (*type)[2]; /* BPF_MAP_TYPE_ARRAY */
	int (*max_entries)[4];
	__u32 *key;
	__u64 *value;
} counts SEC(".maps");

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

/* The placeholders: the asm keeps the compiler from seeing the result
 * (no constant propagation) or dropping an argument. */
static __noinline int retis_filter_l2(void *data, unsigned int len)
{
	int ret;

	asm volatile("%0 = 1" : "=r"(ret) : "r"(data), "r"(len));
	return ret;
}

static __noinline int retis_filter_l3(void *data, unsigned int len)
{
	int ret;

	asm volatile("%0 = 1" : "=r"(ret) : "r"(data), "r"(len));
	return ret;
}

static __noinline int retis_filter_meta(struct sk_buff *skb)
{
	int ret;

	asm volatile("%0 = 1" : "=r"(ret) : "r"(skb));
	return ret;
}

static void count(__u32 key)
{
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* counts: [0] probe hits, [1] packet filter passes, [2] meta filter
 * passes, [3] both. */
SEC("tp_btf/netif_receive_skb")
int probe(__u64 *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx[0];
	unsigned char *head = skb->head;
	unsigned int tail = skb->tail;
	__u16 mac = skb->mac_header, net = skb->network_header;
	int packet = 0, meta;

	if (mac != (__u16)~0U && tail > mac)
		packet = retis_filter_l2(head + mac, tail - mac);
	else if (net != (__u16)~0U && tail > net)
		packet = retis_filter_l3(head + net, tail - net);
	meta = retis_filter_meta(skb);

	count(0);
	if (packet)
		count(1);
	if (meta)
		count(2);
	if (packet && meta)
		count(3);
	return 0;
}

char _license[] SEC("license") = "GPL";
