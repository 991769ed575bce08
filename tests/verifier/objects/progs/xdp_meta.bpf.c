/* xdp_meta.bpf.c - XDP metadata: the XDP program grows data_meta with bpf_xdp_adjust_meta
 * and stores a mark there; the tc program on the same device reads it back from
 * __sk_buff->data_meta (both behind data_meta + size > data checks). */
#include "vobj_bpf.h"

struct meta_info {
    __u32 mark;
};

SEC("xdp")
int xdp_store_meta(struct xdp_md *ctx)
{
    if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct meta_info)))
        return XDP_PASS;
    void *data = (void *)(long)ctx->data;
    struct meta_info *meta = (void *)(long)ctx->data_meta;
    if ((void *)(meta + 1) > data)
        return XDP_PASS;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    meta->mark = 0;
    if ((void *)(eth + 1) <= data_end && eth->h_proto == bpf_htons(ETH_P_IPV6))
        meta->mark = 0x42;
    return XDP_PASS;
}

SEC("tc")
int tc_read_meta(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    struct meta_info *meta = (void *)(long)skb->data_meta;
    if ((void *)(meta + 1) > data)
        return TC_ACT_OK;
    skb->mark = meta->mark;
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
