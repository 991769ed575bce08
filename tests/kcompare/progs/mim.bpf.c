/* ARRAY_OF_MAPS and HASH_OF_MAPS: inner arrays set in the object (.values) and by the host;
 * the program looks an inner map up by a payload key, then reads, updates and writes through
 * an inner value. */
#include "kc_bpf.h"
#include "kc_common.h"

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, struct inner);
} outer_arr SEC(".maps") = {
    .values = {[0] = &inner_a},
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __uint(max_entries, 8);
    __type(key, __u32);
    __array(values, struct inner);
} outer_hash SEC(".maps") = {
    .values = {[1] = &inner_b},
};

static __always_inline long mim_work(void *outer, __u32 ok, __u8 *p)
{
    void *in = bpf_map_lookup_elem(outer, &ok);
    if (!in)
        return 900;
    __u32 k = p[1] & 7, v = p[2];
    long acc = 0;
    __u32 *pv = bpf_map_lookup_elem(in, &k);
    if (pv) {
        *pv += v;
        acc = *pv;
    }
    __u32 k2 = p[3] & 3;
    long rc = bpf_map_update_elem(in, &k2, &v, p[4] & 3);
    p[16] = (__u8)rc;
    return acc * 10 + rc + 50;
}

SEC("tc") int mim_array(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    return (int)mim_work(&outer_arr, p[0] & 3, p);
}

SEC("tc") int mim_hash(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    return (int)mim_work(&outer_hash, p[0] & 7, p);
}

char LICENSE[] SEC("license") = "GPL";
