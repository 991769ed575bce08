/* BLOOM_FILTER: six push / peek operations per packet chosen by the payload, on filters with
 * BPF_F_ZERO_SEED (so the kernel's hashes are known and false positives must match) of value
 * sizes 4, 6 (not a multiple of 4: the byte-wise jhash) and 8, with 1, 2 and the default 5
 * hash functions (map_extra).  The filters have 64, 128 and 128 bits: false positives come
 * soon.
 * Return codes and the peek buffer after the call go to the packet; the driver then peeks
 * a fixed set of values on both sides (bloom filters cannot be iterated). */
#include "kc_bpf.h"
#include "kc_common.h"

struct {
    __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
    __uint(value_size, 4);
    __uint(max_entries, 1);
    __uint(map_extra, 1);
    __uint(map_flags, BPF_F_ZERO_SEED);
} bloom_tiny SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
    __uint(value_size, 6);
    __uint(max_entries, 40);
    __uint(map_extra, 2);
    __uint(map_flags, BPF_F_ZERO_SEED);
} bloom_odd SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
    __uint(value_size, 8);
    __uint(max_entries, 12); /* 12 * 5 / 5 * 7 = 84 bits, rounded up to 128 */
    __uint(map_flags, BPF_F_ZERO_SEED);
} bloom_default SEC(".maps");

/* payload[0..5] operations (bit 0: push / peek; bits 1-2 on a push: flags, nonzero is
 * -EINVAL), [8..13] values (low 7 bits); return codes at [16..21], the buffer's first byte
 * after the call at [24..29] (a failed peek leaves it alone, unlike QUEUE/STACK) */
static __always_inline long bloom_work(void *map, __u8 *p)
{
    long acc = 0;
#pragma unroll
    for (int i = 0; i < 6; i++) {
        __u8 v[8] = {0};
        v[0] = p[8 + i] & 0x7f;
        v[5] = 0x5a; /* in the value for sizes 6 and 8, past it for size 4 */
        long rc;
        if (p[i] & 1)
            rc = bpf_map_peek_elem(map, v);
        else
            rc = bpf_map_push_elem(map, v, (p[i] >> 1) & 3 ? (p[i] >> 1) & 3 : BPF_ANY);
        p[16 + i] = (__u8)rc;
        p[24 + i] = v[0] ^ v[5];
        acc = acc * 29 + rc + v[0];
    }
    return acc & 0x7fffffff;
}

SEC("tc") int bloom_tiny_ops(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    return (int)bloom_work(&bloom_tiny, p);
}

SEC("tc") int bloom_odd_ops(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    return (int)bloom_work(&bloom_odd, p);
}

SEC("xdp") int bloom_default_xdp(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    return bloom_work(&bloom_default, p) & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
