/* QUEUE and STACK: six push (BPF_ANY / BPF_EXIST, and the invalid BPF_NOEXIST) / pop / peek
 * operations per packet chosen by the payload; return codes and popped values go to the
 * packet. */
#include "kc_bpf.h"
#include "kc_common.h"

struct {
    __uint(type, BPF_MAP_TYPE_QUEUE);
    __uint(max_entries, 4);
    __uint(value_size, 4);
} queue SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_STACK);
    __uint(max_entries, 4);
    __uint(value_size, 4);
} stack SEC(".maps");

/* payload[0..5] operations, [8..13] values; return codes at [16..21], values at [24..29] */
static __always_inline long qs_work(void *map, __u8 *p)
{
    long acc = 0;
#pragma unroll
    for (int i = 0; i < 6; i++) {
        __u32 v = p[8 + i] | 0x100;
        __u8 op = p[i] & 3;
        __u64 fl = (op == 1 ? BPF_EXIST : 0) | ((p[i] & 4) ? BPF_NOEXIST : 0);
        long rc;
        if (op <= 1)
            rc = bpf_map_push_elem(map, &v, fl);
        else if (op == 2)
            rc = bpf_map_pop_elem(map, &v);
        else
            rc = bpf_map_peek_elem(map, &v);
        if (rc)
            v = 0xcc; /* the value after a failed pop/peek: see qs_pop_empty */
        p[16 + i] = (__u8)rc;
        p[24 + i] = (__u8)v;
        acc = acc * 29 + rc + v;
    }
    return acc & 0x7fffffff;
}

SEC("tc") int qs_queue(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    return (int)qs_work(&queue, p);
}

SEC("tc") int qs_stack(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    return (int)qs_work(&stack, p);
}

/* the value buffer after pop/peek on an empty queue (the kernel zeroes it) */
struct {
    __uint(type, BPF_MAP_TYPE_QUEUE);
    __uint(max_entries, 2);
    __uint(value_size, 8);
} empty_q SEC(".maps");

SEC("tc") int qs_pop_empty(struct __sk_buff *skb)
{
    __u64 a = 0x1122334455667788ULL, b = 0x99aabbccddeeff00ULL;
    long r1 = bpf_map_pop_elem(&empty_q, &a);
    long r2 = bpf_map_peek_elem(&empty_q, &b);
    return (int)((a ^ (a >> 32)) * 7 + (b ^ (b >> 17)) + r1 + r2);
}

char LICENSE[] SEC("license") = "GPL";
