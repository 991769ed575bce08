/* stats_conntrack.bpf.c - xdp_stats_map style per-CPU record counting (packets and bytes per
 * XDP action), and a tc connection tracker over an LRU hash keyed by the 5-tuple: new flows
 * inserted with BPF_NOEXIST, known ones updated in place with atomic adds. */
#include "vobj_bpf.h"

struct datarec {
    __u64 rx_packets;
    __u64 rx_bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, XDP_REDIRECT + 1);
    __type(key, __u32);
    __type(value, struct datarec);
} xdp_stats_map SEC(".maps");

static __always_inline __u32 xdp_stats_record_action(struct xdp_md *ctx, __u32 action)
{
    if (action > XDP_REDIRECT)
        return XDP_ABORTED;
    struct datarec *rec = bpf_map_lookup_elem(&xdp_stats_map, &action);
    if (!rec)
        return XDP_ABORTED;
    rec->rx_packets++;
    rec->rx_bytes += ctx->data_end - ctx->data;
    return action;
}

SEC("xdp")
int xdp_stats_pass(struct xdp_md *ctx)
{
    __u32 action = XDP_PASS;
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + ETH_HLEN > data_end)
        action = XDP_DROP;
    return xdp_stats_record_action(ctx, action);
}

struct ct_key {
    __be32 saddr, daddr;
    __be16 sport, dport;
    __u8 proto;
    __u8 pad[3];
};
struct ct_val {
    __u64 first_seen, last_seen;
    __u64 packets, bytes;
    __u32 flags;
    __u32 pad;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 65536);
    __type(key, struct ct_key);
    __type(value, struct ct_val);
} conntrack SEC(".maps");

SEC("tc")
int tc_conntrack(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return TC_ACT_OK;
    struct ct_key key = {};
    key.saddr = iph->saddr;
    key.daddr = iph->daddr;
    key.proto = iph->protocol;
    __u32 tcp_flags = 0;
    if (iph->protocol == IPPROTO_TCP) {
        struct tcphdr *th = (void *)iph + iph->ihl * 4;
        if ((void *)(th + 1) > data_end)
            return TC_ACT_OK;
        key.sport = th->source;
        key.dport = th->dest;
        tcp_flags = ((__u8 *)th)[13];
    } else if (iph->protocol == IPPROTO_UDP) {
        struct udphdr *uh = (void *)iph + iph->ihl * 4;
        if ((void *)(uh + 1) > data_end)
            return TC_ACT_OK;
        key.sport = uh->source;
        key.dport = uh->dest;
    }
    __u64 now = bpf_ktime_get_ns();
    struct ct_val *v = bpf_map_lookup_elem(&conntrack, &key);
    if (v) {
        __sync_fetch_and_add(&v->packets, 1);
        __sync_fetch_and_add(&v->bytes, skb->len);
        v->last_seen = now;
        v->flags |= tcp_flags;
        return TC_ACT_OK;
    }
    struct ct_val nv = {.first_seen = now, .last_seen = now, .packets = 1, .bytes = skb->len,
                        .flags = tcp_flags};
    bpf_map_update_elem(&conntrack, &key, &nv, BPF_NOEXIST);
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
