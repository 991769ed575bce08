/* map_in_map.bpf.c - per-tenant maps selected at run time: an ARRAY_OF_MAPS of per-queue
 * counters and a HASH_OF_MAPS of per-tenant allow lists, both declared with BTF
 * `__array(values, ...)` and statically initialised with their inner maps. */
#include "vobj_bpf.h"

struct counters {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} q0_counters SEC(".maps"), q1_counters SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, struct counters);
} per_queue SEC(".maps") = {
    .values = {&q0_counters, &q1_counters},
};

struct allow_list {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 128);
    __type(key, __be32);
    __type(value, __u8);
} tenant_a SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __uint(max_entries, 16);
    __type(key, __u32);
    __array(values, struct allow_list);
} tenants SEC(".maps") = {
    .values = {[7] = &tenant_a},
};

SEC("xdp")
int xdp_queue_counters(struct xdp_md *ctx)
{
    __u32 q = ctx->rx_queue_index;
    void *inner = bpf_map_lookup_elem(&per_queue, &q);
    if (!inner)
        return XDP_PASS;
    __u32 slot = 0;
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) <= data_end)
        slot = eth->h_proto == bpf_htons(ETH_P_IP) ? 1 : 2;
    __u64 *cnt = bpf_map_lookup_elem(inner, &slot);
    if (cnt)
        __sync_fetch_and_add(cnt, 1);
    return XDP_PASS;
}

SEC("tc")
int tc_tenant_allow(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return TC_ACT_OK;
    __u32 tenant = skb->mark & 0xf;
    void *allow = bpf_map_lookup_elem(&tenants, &tenant);
    if (!allow)
        return TC_ACT_OK;
    __be32 saddr = iph->saddr;
    return bpf_map_lookup_elem(allow, &saddr) ? TC_ACT_OK : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
