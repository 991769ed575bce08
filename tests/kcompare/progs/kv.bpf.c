/* ARRAY, PERCPU_ARRAY, HASH (preallocated and not), PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH:
 * four element operations per packet (update with each flag, delete, lookup and write through
 * the value pointer) chosen by the payload; return codes go to the packet and into r0. */
#include "kc_bpf.h"
#include "kc_common.h"

#define KV_MAP(nm, t, maxe, fl)                                                                \
    struct {                                                                                   \
        __uint(type, t);                                                                       \
        __uint(max_entries, maxe);                                                             \
        __uint(map_flags, fl);                                                                 \
        __type(key, __u32);                                                                    \
        __type(value, __u64);                                                                  \
    } nm SEC(".maps")

KV_MAP(arr, BPF_MAP_TYPE_ARRAY, 8, 0);
KV_MAP(parr, BPF_MAP_TYPE_PERCPU_ARRAY, 8, 0);
KV_MAP(hash, BPF_MAP_TYPE_HASH, 16, 0);
KV_MAP(hash_np, BPF_MAP_TYPE_HASH, 16, BPF_F_NO_PREALLOC);
KV_MAP(phash, BPF_MAP_TYPE_PERCPU_HASH, 16, 0);
KV_MAP(lru, BPF_MAP_TYPE_LRU_HASH, 128, 0);
KV_MAP(plru, BPF_MAP_TYPE_LRU_PERCPU_HASH, 128, 0);

/* payload[0..3] keys, [4..7] operations, [8..11] values; results at [16..19] */
static __always_inline long kv_work(void *map, __u8 *p, __u32 kmask)
{
    long acc = 0;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        __u32 k = p[i] & kmask;
        __u64 v = (__u64)p[8 + i] << 8 | (__u64)i;
        __u8 op = p[4 + i] & 7;
        long rc;
        if (op < 4) {
            rc = bpf_map_update_elem(map, &k, &v, op); /* 3: invalid flags */
        } else if (op == 4) {
            rc = bpf_map_delete_elem(map, &k);
        } else {
            __u64 *pv = bpf_map_lookup_elem(map, &k);
            if (pv) {
                *pv += v;
                rc = 100 + (long)(*pv & 0xff);
            } else {
                rc = 99;
            }
        }
        p[16 + i] = (__u8)rc;
        acc = acc * 31 + rc;
    }
    return acc & 0x7fffffff;
}

#define KV_PROG(fn, map, kmask)                                                                \
    SEC("tc") int fn(struct __sk_buff *skb)                                                    \
    {                                                                                          \
        KC_PAYLOAD(skb, p);                                                                    \
        return (int)kv_work(&map, p, kmask);                                                   \
    }

KV_PROG(kv_array, arr, 15)
KV_PROG(kv_percpu_array, parr, 15)
KV_PROG(kv_hash, hash, 31)
KV_PROG(kv_hash_noprealloc, hash_np, 31)
KV_PROG(kv_percpu_hash, phash, 31)
KV_PROG(kv_lru_hash, lru, 7)
KV_PROG(kv_lru_percpu_hash, plru, 7)

/* the same on XDP */
SEC("xdp") int kv_hash_xdp(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    return (int)kv_work(&hash, p, 31);
}

char LICENSE[] SEC("license") = "GPL";
