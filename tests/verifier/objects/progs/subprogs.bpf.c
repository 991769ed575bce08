/* subprogs.bpf.c - bpf-to-bpf calls: static __noinline parsers that take packet pointers
 * (verified in the caller's context), a global (non-static) function verified on its own
 * from its BTF prototype, and a call chain three frames deep. */
#include "vobj_bpf.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} sub_counts SEC(".maps");

static __noinline int parse_l4_port(void *data, void *data_end, __u8 proto)
{
    if (proto == IPPROTO_TCP) {
        struct tcphdr *th = data;
        if ((void *)(th + 1) > data_end)
            return -1;
        return bpf_ntohs(th->dest);
    }
    if (proto == IPPROTO_UDP) {
        struct udphdr *uh = data;
        if ((void *)(uh + 1) > data_end)
            return -1;
        return bpf_ntohs(uh->dest);
    }
    return 0;
}

static __noinline int parse_ipv4_port(void *data, void *data_end)
{
    struct iphdr *iph = data;
    if ((void *)(iph + 1) > data_end)
        return -1;
    if (iph->ihl != 5)
        return 0;
    return parse_l4_port(iph + 1, data_end, iph->protocol);
}

static __noinline void count(__u32 slot)
{
    __u64 *v = bpf_map_lookup_elem(&sub_counts, &slot);
    if (v)
        __sync_fetch_and_add(v, 1);
}

__noinline int classify_port(int port)
{
    if (port < 0)
        return 3;
    if (port == 80 || port == 443)
        return 1;
    return port < 1024 ? 2 : 0;
}

SEC("xdp")
int xdp_subprog_chain(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    int port = parse_ipv4_port(eth + 1, data_end);
    int cls = classify_port(port);
    count(cls & 3);
    return cls == 3 ? XDP_DROP : XDP_PASS;
}

__noinline int skb_is_big(struct __sk_buff *skb)
{
    return skb->len > 1000;
}

SEC("tc")
int tc_global_func(struct __sk_buff *skb)
{
    if (skb_is_big(skb))
        count(0);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
