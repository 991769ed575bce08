/* bugs_packet.bpf.c - realistic mistakes the kernel's verifier rejects, around the packet
 * and the context: a header read with no data_end check, a check one header short (the
 * check covers the IP header, the read is the TCP port), a variable-length header read
 * without re-checking, direct packet access in a socket filter, and writes to read-only
 * context fields (tc's skb->protocol, XDP's ingress_ifindex), and a packet pointer handed
 * to bpf_ringbuf_output, which only takes stack or map memory. */
#include "vobj_bpf.h"

SEC("xdp")
int bug_no_bounds_check(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    /* forgot: if ((void *)(iph + 1) > data_end) */
    return iph->protocol == IPPROTO_UDP ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int bug_short_check(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end)
        return XDP_PASS;
    struct tcphdr *th = (void *)(iph + 1);
    return th->dest == bpf_htons(22) ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int bug_ihl_unchecked(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) + sizeof(struct udphdr) > data_end)
        return TC_ACT_OK;
    /* options make the UDP header start later than the check assumed */
    struct udphdr *uh = (void *)iph + iph->ihl * 4;
    return uh->dest == bpf_htons(53) ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("socket")
int bug_sockfilter_direct(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return 0;
    return eth->h_proto == bpf_htons(ETH_P_IP) ? skb->len : 0;
}

SEC("tc")
int bug_write_protocol(struct __sk_buff *skb)
{
    if (skb->protocol == bpf_htons(ETH_P_8021Q))
        skb->protocol = bpf_htons(ETH_P_IP);
    return TC_ACT_OK;
}

SEC("xdp")
int bug_write_ifindex(struct xdp_md *ctx)
{
    ctx->ingress_ifindex = 1;
    return XDP_PASS;
}

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} samples SEC(".maps");

SEC("xdp")
int bug_ringbuf_output_pkt(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 64 > data_end)
        return XDP_PASS;
    bpf_ringbuf_output(&samples, data, 64, 0);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
