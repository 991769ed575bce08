/* The skb helpers that change a packet's size: bpf_skb_change_tail, bpf_skb_change_head and
 * bpf_skb_adjust_room (tc), with the lengths, modes and flags kcompare.c puts into
 * payload[0..31], errors included.  Return codes, skb->len, skb->protocol and bytes read
 * back through the MAC and network headers go to rs_res; data_out (up to 16064 bytes) and
 * ctx_out are compared as they come out. */
#include "kc_bpf.h"
#include "kc_common.h"

struct rs_out {
    __s64 rc[8];
    __u8 b[16];
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct rs_out);
} rs_res SEC(".maps");

static __always_inline struct rs_out *rs_out(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&rs_res, &zero);
}

static __always_inline __u32 rd32(const __u8 *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (__u32)p[3] << 24;
}

static __always_inline __u64 rd64(const __u8 *p)
{
    return rd32(p) | (__u64)rd32(p + 4) << 32;
}

/* what the packet looks like now: len, protocol, 4 bytes at the MAC and network headers,
 * and a direct read and write (packet pointers reloaded after the helpers) */
static __always_inline void rs_after(struct __sk_buff *skb, struct rs_out *o)
{
    o->rc[4] = skb->len;
    o->rc[5] = skb->protocol;
    o->rc[6] = bpf_skb_load_bytes_relative(skb, 0, o->b, 4, BPF_HDR_START_MAC);
    o->rc[7] = bpf_skb_load_bytes_relative(skb, 0, o->b + 4, 4, BPF_HDR_START_NET);
    __u8 *d = (void *)(long)skb->data, *e = (void *)(long)skb->data_end;
    if (d + 14 <= e) {
        d[13] ^= 0x5a;
        o->b[8] = d[1];
    }
}

/* change_tail(payload[0..3], flags [4..7]), then change_tail([8..11], 0) */
SEC("tc") int rs_tail(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 l1 = rd32(p), l2 = rd32(p + 8);
    __u64 flags = rd32(p + 4);
    struct rs_out *o = rs_out();
    if (!o)
        return TC_ACT_SHOT;
    o->rc[0] = bpf_skb_change_tail(skb, l1, flags);
    o->rc[1] = bpf_skb_change_tail(skb, l2, 0);
    o->rc[2] = o->rc[3] = 0;
    rs_after(skb, o);
    return TC_ACT_OK;
}

/* change_head(payload[0..3], flags [4..7]), then change_head([8..11], 0) */
SEC("tc") int rs_head(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 h1 = rd32(p), h2 = rd32(p + 8);
    __u64 flags = rd32(p + 4);
    struct rs_out *o = rs_out();
    if (!o)
        return TC_ACT_SHOT;
    o->rc[0] = bpf_skb_change_head(skb, h1, flags);
    o->rc[1] = bpf_skb_change_head(skb, h2, 0);
    o->rc[2] = o->rc[3] = 0;
    rs_after(skb, o);
    return TC_ACT_OK;
}

/* adjust_room(payload[0..3], mode [4..7], flags [8..15]), then again with [16..19],
 * [20..23], [24..31] */
SEC("tc") int rs_room(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __s32 d1 = (__s32)rd32(p), d2 = (__s32)rd32(p + 16);
    __u32 m1 = rd32(p + 4), m2 = rd32(p + 20);
    __u64 f1 = rd64(p + 8), f2 = rd64(p + 24);
    struct rs_out *o = rs_out();
    if (!o)
        return TC_ACT_SHOT;
    o->rc[0] = bpf_skb_adjust_room(skb, d1, m1, f1);
    o->rc[1] = bpf_skb_adjust_room(skb, d2, m2, f2);
    o->rc[2] = o->rc[3] = 0;
    rs_after(skb, o);
    return TC_ACT_OK;
}

/* change_head([0..3]), change_tail([4..7]), adjust_room([8..11], mode [12..15], flags
 * [16..23]), change_tail([24..27]): the headers' offsets after each other's moves */
SEC("tc") int rs_mix(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 h = rd32(p), t1 = rd32(p + 4), m = rd32(p + 12), t2 = rd32(p + 24);
    __s32 d = (__s32)rd32(p + 8);
    __u64 f = rd64(p + 16);
    struct rs_out *o = rs_out();
    if (!o)
        return TC_ACT_SHOT;
    o->rc[0] = bpf_skb_change_head(skb, h, 0);
    o->rc[1] = bpf_skb_change_tail(skb, t1, 0);
    o->rc[2] = bpf_skb_adjust_room(skb, d, m, f);
    o->rc[3] = t2 ? bpf_skb_change_tail(skb, t2, 0) : 0;
    rs_after(skb, o);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
