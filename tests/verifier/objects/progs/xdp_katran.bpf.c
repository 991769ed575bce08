/* xdp_katran.bpf.c - a katran-like L4 load balancer: a VIP table (hash of {daddr, port,
 * proto}) picks a real server; the packet is IPIP-encapsulated in place by growing the head
 * with bpf_xdp_adjust_head and writing a new Ethernet + outer IPv4 header, then XDP_TX. */
#include "vobj_bpf.h"

struct vip_key {
    __be32 vip;
    __be16 port;
    __u8 proto;
    __u8 pad;
};
struct real_def {
    __be32 dst;
    __be32 src;
    __u8 mac[ETH_ALEN];
    __u8 pad[2];
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 512);
    __type(key, struct vip_key);
    __type(value, struct real_def);
} vip_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} lb_stats SEC(".maps");

static __always_inline __u16 ipv4_csum(struct iphdr *iph)
{
    __u32 csum = 0;
    __u16 *next = (__u16 *)iph;
#pragma unroll
    for (int i = 0; i < (int)sizeof(*iph) >> 1; i++)
        csum += *next++;
    csum = (csum & 0xffff) + (csum >> 16);
    csum = (csum & 0xffff) + (csum >> 16);
    return ~csum;
}

SEC("xdp")
int balancer_ingress(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_DROP;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end)
        return XDP_DROP;
    if (iph->ihl != 5 || (iph->frag_off & bpf_htons(0x3fff)))
        return XDP_PASS;
    struct vip_key key = {.vip = iph->daddr, .proto = iph->protocol};
    if (iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP) {
        struct udphdr *uh = (void *)(iph + 1); /* ports are at the same place in TCP */
        if ((void *)(uh + 1) > data_end)
            return XDP_DROP;
        key.port = uh->dest;
    } else {
        return XDP_PASS;
    }
    struct real_def *real = bpf_map_lookup_elem(&vip_map, &key);
    if (!real)
        return XDP_PASS;
    __u16 inner_len = bpf_ntohs(iph->tot_len);
    __u8 tos = iph->tos;

    if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
        return XDP_DROP;
    data = (void *)(long)ctx->data;
    data_end = (void *)(long)ctx->data_end;
    struct ethhdr *new_eth = data;
    struct iphdr *outer = data + sizeof(struct ethhdr);
    struct ethhdr *old_eth = data + sizeof(struct iphdr);
    if ((void *)(new_eth + 1) > data_end || (void *)(old_eth + 1) > data_end ||
        (void *)(outer + 1) > data_end)
        return XDP_DROP;
    __builtin_memcpy(new_eth->h_source, old_eth->h_dest, ETH_ALEN);
    __builtin_memcpy(new_eth->h_dest, real->mac, ETH_ALEN);
    new_eth->h_proto = bpf_htons(ETH_P_IP);

    outer->version = 4;
    outer->ihl = 5;
    outer->tos = tos;
    outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
    outer->id = 0;
    outer->frag_off = 0;
    outer->ttl = 64;
    outer->protocol = IPPROTO_IPIP;
    outer->check = 0;
    outer->saddr = real->src;
    outer->daddr = real->dst;
    outer->check = ipv4_csum(outer);

    __u32 idx = 0;
    __u64 *tx = bpf_map_lookup_elem(&lb_stats, &idx);
    if (tx)
        *tx += 1;
    return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
