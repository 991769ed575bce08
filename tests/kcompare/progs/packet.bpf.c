/* Packet helpers: bpf_xdp_adjust_head/meta/tail, bpf_xdp_load_bytes/store_bytes, bpf_redirect
 * (XDP and tc), bpf_skb_load_bytes(_relative) (tc and socket filters), bpf_skb_store_bytes,
 * bpf_l3/l4_csum_replace and bpf_skb_pull_data, called with the offsets, deltas and flags
 * kcompare.c puts into payload[0..31] (errors included).  Return codes go to pkt_res; the
 * packet (data_out) and ctx_out are compared as they come out. */
#include "kc_bpf.h"
#include "kc_common.h"

struct pkt_out {
    __s64 rc[6];
    __u8 b[16];
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct pkt_out);
} pkt_res SEC(".maps");

static __always_inline struct pkt_out *pkt_out(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&pkt_res, &zero);
}

static __always_inline __u32 rd32(const __u8 *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (__u32)p[3] << 24;
}

/* ---- XDP ---- */

/* two head moves: payload[0..3], [4..7] */
SEC("xdp") int xdp_head(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    int d1 = (int)rd32(p), d2 = (int)rd32(p + 4);
    struct pkt_out *o = pkt_out();
    if (!o)
        return XDP_ABORTED;
    o->rc[0] = bpf_xdp_adjust_head(ctx, d1);
    o->rc[1] = bpf_xdp_adjust_head(ctx, d2);
    __u8 *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;
    if (d + 2 <= e) {
        d[0] = 0xee;
        d[1] = (__u8)o->rc[0];
    }
    o->rc[2] = e - d;
    return XDP_TX;
}

/* metadata: adjust_meta payload[0..3], write it, adjust_head [4..7], adjust_meta [8..11] */
SEC("xdp") int xdp_meta(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    int m1 = (int)rd32(p), h = (int)rd32(p + 4), m2 = (int)rd32(p + 8);
    struct pkt_out *o = pkt_out();
    if (!o)
        return XDP_ABORTED;
    o->rc[0] = bpf_xdp_adjust_meta(ctx, m1);
    __u8 *m = (void *)(long)ctx->data_meta, *d = (void *)(long)ctx->data;
    if (m + 4 <= d)
        *(__u32 *)m = 0x11223344;
    o->rc[1] = bpf_xdp_adjust_head(ctx, h);
    o->rc[2] = bpf_xdp_adjust_meta(ctx, m2);
    m = (void *)(long)ctx->data_meta;
    d = (void *)(long)ctx->data;
    o->rc[3] = d - m;
    if (m + 4 <= d)
        o->rc[4] = *(__u32 *)m;
    return XDP_PASS;
}

/* tail, head, tail again: payload[0..3], [4..7], [8..11] */
SEC("xdp") int xdp_tail(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    int t1 = (int)rd32(p), h = (int)rd32(p + 4), t2 = (int)rd32(p + 8);
    struct pkt_out *o = pkt_out();
    if (!o)
        return XDP_ABORTED;
    o->rc[0] = bpf_xdp_adjust_tail(ctx, t1);
    o->rc[1] = bpf_xdp_adjust_head(ctx, h);
    o->rc[2] = bpf_xdp_adjust_tail(ctx, t2);
    o->rc[3] = (long)ctx->data_end - (long)ctx->data;
    return XDP_PASS;
}

/* load 8 bytes at payload[0..3], store payload[8..15] at [4..7], load 1 byte at [0..3] */
SEC("xdp") int xdp_bytes(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    __u32 off = rd32(p), off2 = rd32(p + 4);
    __u8 src[8], got[8], one[1] = {0x5a};
    for (int i = 0; i < 8; i++) {
        src[i] = p[8 + i];
        got[i] = 0xa5;
    }
    struct pkt_out *o = pkt_out();
    if (!o)
        return XDP_ABORTED;
    o->rc[0] = bpf_xdp_load_bytes(ctx, off, got, 8);
    o->rc[1] = bpf_xdp_store_bytes(ctx, off2, src, 8);
    o->rc[2] = bpf_xdp_load_bytes(ctx, off, one, 1);
    for (int i = 0; i < 8; i++)
        o->b[i] = got[i];
    o->b[8] = one[0];
    return XDP_PASS;
}

SEC("xdp") int xdp_redirect(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    return bpf_redirect(rd32(p), p[4]);
}

/* ---- __sk_buff ---- */

/* load 8 bytes at payload[0..3]; relative loads at [4..7] from header [8] and from the
 * network header */
SEC("tc") int tc_load(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 off = rd32(p), off2 = rd32(p + 4), hdr = p[8];
    __u8 a[8], b[4];
    for (int i = 0; i < 8; i++)
        a[i] = 0xa5;
    struct pkt_out *o = pkt_out();
    if (!o)
        return TC_ACT_SHOT;
    o->rc[0] = bpf_skb_load_bytes(skb, off, a, 8);
    for (int i = 0; i < 8; i++)
        o->b[i] = a[i];
    o->rc[1] = bpf_skb_load_bytes_relative(skb, off2, a, 8, hdr);
    o->rc[2] = bpf_skb_load_bytes_relative(skb, off2, b, 4, BPF_HDR_START_NET);
    for (int i = 0; i < 4; i++)
        o->b[8 + i] = a[i] ^ b[i];
    return TC_ACT_OK;
}

/* socket filters: no direct packet access; the payload starts 28 bytes after the IP header */
SEC("socket") int sock_load(struct __sk_buff *skb)
{
    __u8 p[12], a[8], b[4];
    struct pkt_out *o = pkt_out();
    if (!o || bpf_skb_load_bytes(skb, 28, p, 12))
        return 0;
    __u32 off = rd32(p), off2 = rd32(p + 4), hdr = p[8];
    o->rc[0] = bpf_skb_load_bytes(skb, off, a, 8);
    for (int i = 0; i < 8; i++)
        o->b[i] = a[i];
    o->rc[1] = bpf_skb_load_bytes_relative(skb, off2, a, 8, hdr);
    o->rc[2] = bpf_skb_load_bytes_relative(skb, off2, b, 4, BPF_HDR_START_NET);
    for (int i = 0; i < 4; i++)
        o->b[8 + i] = a[i] ^ b[i];
    o->rc[3] = skb->len;
    return skb->len;
}

/* store payload[8..11] at [0..3] with flags [4..7], then read skb->hash and len */
SEC("tc") int tc_store(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 off = rd32(p);
    __u64 flags = rd32(p + 4);
    __u8 src[4] = {p[8], p[9], p[10], p[11]};
    struct pkt_out *o = pkt_out();
    if (!o)
        return TC_ACT_SHOT;
    o->rc[0] = bpf_skb_store_bytes(skb, off, src, 4, flags);
    o->rc[1] = skb->hash;
    o->rc[2] = skb->len;
    return TC_ACT_OK;
}

/* write payload[16..17] into the field at payload[0..3] (when it fits), then l3 and l4
 * replace there: from [4..7], to [8..11], l3 flags [12], l4 flags [13..14] */
SEC("tc") int tc_csum(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 off = rd32(p), from = rd32(p + 4), to = rd32(p + 8);
    __u64 l3 = p[12], l4 = p[13] | (__u32)p[14] << 8;
    __u8 init[2] = {p[16], p[17]};
    struct pkt_out *o = pkt_out();
    if (!o)
        return TC_ACT_SHOT;
    if (p[18] & 1)
        o->rc[0] = bpf_skb_store_bytes(skb, off, init, 2, 0);
    o->rc[1] = bpf_l3_csum_replace(skb, off, from, to, l3);
    o->rc[2] = bpf_l4_csum_replace(skb, off, from, to, l4);
    o->rc[3] = bpf_l4_csum_replace(skb, off, 0, to, l4 & ~BPF_F_HDR_FIELD_MASK);
    return TC_ACT_OK;
}

SEC("tc") int tc_pull(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 len = rd32(p);
    struct pkt_out *o = pkt_out();
    if (!o)
        return TC_ACT_SHOT;
    o->rc[0] = bpf_skb_pull_data(skb, len);
    o->rc[1] = skb->len;
    void *d = (void *)(long)skb->data, *e = (void *)(long)skb->data_end;
    o->rc[2] = e - d;
    return TC_ACT_OK;
}

SEC("tc") int tc_redirect(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    return bpf_redirect(rd32(p), rd32(p + 4));
}

char LICENSE[] SEC("license") = "GPL";
