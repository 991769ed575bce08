/* globals.bpf.c - libbpf skeleton style global variables: `const volatile` configuration in
 * .rodata (set before load), counters in .bss and a table in .data; a tc port filter and an
 * XDP program indexing the .data table with a masked index. */
#include "vobj_bpf.h"

const volatile __u16 blocked_port = 22;
const volatile __u8 verbose = 0;
__u64 pkts_seen = 0;
__u64 pkts_blocked = 0;
__u32 weights[8] = {1, 2, 3, 5, 8, 13, 21, 34};

SEC("tc")
int tc_port_filter(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    __sync_fetch_and_add(&pkts_seen, 1);
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    struct tcphdr *th = (void *)(iph + 1);
    if ((void *)(th + 1) > data_end)
        return TC_ACT_OK;
    if (eth->h_proto != bpf_htons(ETH_P_IP) || iph->protocol != IPPROTO_TCP || iph->ihl != 5)
        return TC_ACT_OK;
    if (th->dest != bpf_htons(blocked_port))
        return TC_ACT_OK;
    __sync_fetch_and_add(&pkts_blocked, 1);
    if (verbose) {
        static const char fmt[] = "blocked port %d\n";
        bpf_trace_printk(fmt, sizeof(fmt), blocked_port);
    }
    return TC_ACT_SHOT;
}

SEC("xdp")
int xdp_weighted(struct xdp_md *ctx)
{
    __u32 idx = ctx->rx_queue_index & 7;
    pkts_seen += weights[idx];
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
