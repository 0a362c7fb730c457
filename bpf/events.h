/* Event records: built in a per-CPU scratch buffer, then copied into the
 * ring buffer with the exact size used, so the ring holds events, not
 * reservations of the largest possible event.
 */
#ifndef __RETIS_EVENTS_H__
#define __RETIS_EVENTS_H__

#include "common.h"

/* Size set by userspace (--ring-size) before loading. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* Scratch records. A hook can be interrupted by another hook on the same
 * CPU (a softirq running on irq exit, for instance), so each nesting level
 * gets its own buffer.
 */
#define NEST_MAX	4

/* Room for a copy of the running kernel's struct sk_buff (232 bytes on
 * 6.x kernels).
 */
#define SKB_COPY_MAX	512

/* Sections sized to their contents (the packet's) end where the verifier
 * cannot tell: the slack keeps a largest-size write after the last one
 * that fits inside the buffer.
 */
#define EVENT_SLACK	256

struct event_buf {
	u32 size;
	u32 pad;
	u8 skb[SKB_COPY_MAX];
	u8 data[EVENT_MAX + EVENT_SLACK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NEST_MAX);
	__type(key, u32);
	__type(value, struct event_buf);
} event_bufs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} event_nest SEC(".maps");

/* Events that could not be written, per probe and per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROBE_MAX);
	__type(key, u32);
	__type(value, u64);
} lost_events SEC(".maps");

/* Pending bytes past which a producer wakes the reader up. Below it the
 * reader is not woken per event (that halves a flood's throughput) and
 * finds the data on its own short deadline instead.
 */
const volatile u64 wakeup_bytes = 1 << 20;

static __always_inline void count_lost(u32 probe_id)
{
	u64 *lost = bpf_map_lookup_elem(&lost_events, &probe_id);

	if (lost)
		*lost += 1;
}

static __always_inline struct event_buf *event_get(void)
{
	struct event_buf *buf;
	u32 zero = 0, level;
	u32 *nest;

	nest = bpf_map_lookup_elem(&event_nest, &zero);
	if (!nest)
		return NULL;
	level = *nest;
	if (level >= NEST_MAX)
		return NULL;
	buf = bpf_map_lookup_elem(&event_bufs, &level);
	if (!buf)
		return NULL;
	*nest = level + 1;
	buf->size = 0;
	return buf;
}

static __always_inline void event_put(void)
{
	u32 zero = 0;
	u32 *nest;

	nest = bpf_map_lookup_elem(&event_nest, &zero);
	if (nest && *nest > 0)
		*nest -= 1;
}

/* Copy *skb into buf once, so that collectors read its fields with plain
 * loads (CO-RE relocated) instead of one bpf_probe_read_kernel each, the
 * bulk of a probe's cost. A failed read leaves zeroes: no head, no
 * packet.
 */
static __always_inline struct sk_buff *skb_copy_in(struct event_buf *buf,
						   struct sk_buff *skb)
{
	u32 size = bpf_core_type_size(struct sk_buff);

	if (size > SKB_COPY_MAX)
		size = SKB_COPY_MAX;
	bpf_probe_read_kernel(buf->skb, size, skb);
	return (struct sk_buff *)buf->skb;
}

/* Reserve room for a section of a constant size; NULL when it does not
 * fit (the event is still sent, without the section).
 */
static __always_inline void *event_section(struct event_buf *buf, u8 owner,
					   u8 kind, const u32 size)
{
	const u32 padded = (size + 7) & ~7;
	struct section_hdr *hdr;
	u32 off = buf->size;

	if (off > EVENT_MAX - sizeof(*hdr) - padded)
		return NULL;

	hdr = (struct section_hdr *)(buf->data + off);
	hdr->owner = owner;
	hdr->kind = kind;
	hdr->size = size;
	hdr->pad = 0;
	buf->size = off + sizeof(*hdr) + padded;
	return (void *)hdr + sizeof(*hdr);
}

static __always_inline void *event_zsection(struct event_buf *buf, u8 owner,
					    u8 kind, const u32 size)
{
	void *s = event_section(buf, owner, kind, size);

	if (s)
		__builtin_memset(s, 0, size);
	return s;
}

/* Copy the record into the ring buffer. The reader is woken only when
 * this record makes the pending data cross wakeup_bytes: once per batch,
 * not once per event past the threshold.
 */
static __always_inline void event_send(struct event_buf *buf, u32 probe_id)
{
	u32 size = buf->size;
	u64 avail, flags = BPF_RB_NO_WAKEUP;

	if (size > EVENT_MAX) {
		count_lost(probe_id);
		return;
	}
	avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (avail < wakeup_bytes && avail + size >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&events, buf->data, size, flags))
		count_lost(probe_id);
}

#endif /* __RETIS_EVENTS_H__ */
