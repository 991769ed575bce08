/* loops.bpf.c - loops as real programs write them: bpf_loop with a callback and a context
 * struct, a bounded (not unrolled) `for` walking IPv6 extension headers, and a bounded loop
 * summing packet words for a checksum with the bound re-checked each step. */
#include "vobj_bpf.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} hist SEC(".maps");

struct loop_ctx {
    __u64 sum;
    __u32 seed;
};

static long hist_step(__u32 index, void *arg)
{
    struct loop_ctx *lc = arg;
    __u32 key = (index ^ lc->seed) & 63;
    __u64 *v = bpf_map_lookup_elem(&hist, &key);
    if (v)
        lc->sum += *v;
    return lc->sum > 1000000 ? 1 : 0;
}

SEC("tc")
int tc_bpf_loop(struct __sk_buff *skb)
{
    struct loop_ctx lc = {.sum = 0, .seed = skb->hash};
    bpf_loop(64, hist_step, &lc, 0);
    skb->mark = (__u32)lc.sum;
    return TC_ACT_OK;
}

#define MAX_EXT_HDRS 8

SEC("xdp")
int xdp_ipv6_exthdrs(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct ipv6hdr *ip6h = (void *)(eth + 1);
    if ((void *)(ip6h + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6))
        return XDP_PASS;
    void *pos = ip6h + 1;
    __u8 next = ip6h->nexthdr;
#pragma clang loop unroll(disable)
    for (int i = 0; i < MAX_EXT_HDRS; i++) {
        if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS)
            break;
        struct ipv6_opt_hdr *oh = pos;
        if ((void *)(oh + 1) > data_end)
            return XDP_DROP;
        next = oh->nexthdr;
        pos += (oh->hdrlen + 1) * 8;
    }
    if (next == IPPROTO_TCP) {
        struct tcphdr *th = pos;
        if ((void *)(th + 1) > data_end)
            return XDP_DROP;
    }
    return next == IPPROTO_FRAGMENT ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_payload_sum(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u32 sum = 0;
    __u16 *p = data;
#pragma clang loop unroll(disable)
    for (int i = 0; i < 256; i++) {
        if ((void *)(p + 1) > data_end)
            break;
        sum += *p;
        p++;
    }
    sum = (sum & 0xffff) + (sum >> 16);
    __u32 key = sum & 63;
    __u64 *v = bpf_map_lookup_elem(&hist, &key);
    if (v)
        *v += 1;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
