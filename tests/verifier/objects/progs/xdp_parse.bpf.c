/* xdp_parse.bpf.c - xdp-tutorial style packet parsing: Ethernet, up to two VLAN tags,
 * IPv4/IPv6, then TCP/UDP/ICMP, every header behind a `data + sizeof(*h) > data_end` check;
 * counts packets per L4 protocol in a per-CPU array.  Also an ICMP echo responder (XDP_TX)
 * that swaps addresses and patches the checksum incrementally. */
#include "vobj_bpf.h"

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u64);
} l4_count SEC(".maps");

struct hdr_cursor {
    void *pos;
};

static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end, struct ethhdr **ethhdr)
{
    struct ethhdr *eth = nh->pos;
    if ((void *)(eth + 1) > data_end)
        return -1;
    nh->pos = eth + 1;
    *ethhdr = eth;
    __u16 h_proto = eth->h_proto;
#pragma unroll
    for (int i = 0; i < 2; i++) {
        struct vlan_hdr *vlh = nh->pos;
        if (h_proto != bpf_htons(ETH_P_8021Q) && h_proto != bpf_htons(ETH_P_8021AD))
            break;
        if ((void *)(vlh + 1) > data_end)
            break;
        h_proto = vlh->h_vlan_encapsulated_proto;
        nh->pos = vlh + 1;
    }
    return h_proto;
}

static __always_inline int parse_iphdr(struct hdr_cursor *nh, void *data_end, struct iphdr **iphdr)
{
    struct iphdr *iph = nh->pos;
    if ((void *)(iph + 1) > data_end)
        return -1;
    int hdrsize = iph->ihl * 4;
    if (hdrsize < (int)sizeof(*iph))
        return -1;
    if (nh->pos + hdrsize > data_end)
        return -1;
    nh->pos += hdrsize;
    *iphdr = iph;
    return iph->protocol;
}

static __always_inline int parse_ip6hdr(struct hdr_cursor *nh, void *data_end, struct ipv6hdr **ip6hdr)
{
    struct ipv6hdr *ip6h = nh->pos;
    if ((void *)(ip6h + 1) > data_end)
        return -1;
    nh->pos = ip6h + 1;
    *ip6hdr = ip6h;
    return ip6h->nexthdr;
}

SEC("xdp")
int xdp_parser_count(struct xdp_md *ctx)
{
    void *data_end = (void *)(long)ctx->data_end;
    void *data = (void *)(long)ctx->data;
    struct hdr_cursor nh = {.pos = data};
    struct ethhdr *eth;
    struct iphdr *iph;
    struct ipv6hdr *ip6h;
    int proto = parse_ethhdr(&nh, data_end, &eth);
    if (proto == bpf_htons(ETH_P_IP))
        proto = parse_iphdr(&nh, data_end, &iph);
    else if (proto == bpf_htons(ETH_P_IPV6))
        proto = parse_ip6hdr(&nh, data_end, &ip6h);
    else
        return XDP_PASS;
    if (proto < 0)
        return XDP_DROP;
    if (proto == IPPROTO_TCP) {
        struct tcphdr *th = nh.pos;
        if ((void *)(th + 1) > data_end)
            return XDP_DROP;
        if (th->syn && th->fin)
            return XDP_DROP;
    } else if (proto == IPPROTO_UDP) {
        struct udphdr *uh = nh.pos;
        if ((void *)(uh + 1) > data_end)
            return XDP_DROP;
        if (bpf_ntohs(uh->len) < sizeof(*uh))
            return XDP_DROP;
    }
    __u32 key = (__u32)proto & 0xff;
    __u64 *cnt = bpf_map_lookup_elem(&l4_count, &key);
    if (cnt)
        *cnt += 1;
    return XDP_PASS;
}

static __always_inline __u16 csum_fold_helper(__u32 csum)
{
    csum = (csum & 0xffff) + (csum >> 16);
    return ~((csum & 0xffff) + (csum >> 16));
}

SEC("xdp")
int xdp_icmp_echo(struct xdp_md *ctx)
{
    void *data_end = (void *)(long)ctx->data_end;
    void *data = (void *)(long)ctx->data;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end || iph->ihl != 5 || iph->protocol != IPPROTO_ICMP)
        return XDP_PASS;
    struct icmphdr *icmp = (void *)(iph + 1);
    if ((void *)(icmp + 1) > data_end || icmp->type != ICMP_ECHO)
        return XDP_PASS;

    __u8 mac[ETH_ALEN];
    __builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
    __builtin_memcpy(eth->h_source, mac, ETH_ALEN);
    __be32 addr = iph->daddr;
    iph->daddr = iph->saddr;
    iph->saddr = addr;
    iph->ttl = 64;
    /* RFC 1624 incremental update for type 8 -> 0 (the ttl is covered by a full recompute) */
    __u32 sum = (__u16)~icmp->checksum + (__u16)~bpf_htons(ICMP_ECHO << 8) + bpf_htons(ICMP_ECHOREPLY << 8);
    icmp->type = ICMP_ECHOREPLY;
    icmp->checksum = csum_fold_helper(sum);
    iph->check = 0;
    __u32 ipsum = 0;
    __u16 *w = (__u16 *)iph;
#pragma unroll
    for (int i = 0; i < (int)sizeof(*iph) / 2; i++)
        ipsum += w[i];
    iph->check = csum_fold_helper(ipsum);
    return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
