/* lpm_firewall.bpf.c - an XDP firewall over LPM tries (BPF_F_NO_PREALLOC): IPv4 and IPv6
 * source prefixes map to an action; hits are counted in the value with an atomic add. */
#include "vobj_bpf.h"

struct lpm_v4_key {
    __u32 prefixlen;
    __be32 addr;
};
struct lpm_v6_key {
    __u32 prefixlen;
    __u8 addr[16];
};
struct fw_rule {
    __u32 action;
    __u32 pad;
    __u64 hits;
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 4096);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct lpm_v4_key);
    __type(value, struct fw_rule);
} fw_v4 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 4096);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct lpm_v6_key);
    __type(value, struct fw_rule);
} fw_v6 SEC(".maps");

SEC("xdp")
int xdp_lpm_firewall(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_DROP;
    struct fw_rule *rule = NULL;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *iph = (void *)(eth + 1);
        if ((void *)(iph + 1) > data_end)
            return XDP_DROP;
        struct lpm_v4_key key = {.prefixlen = 32, .addr = iph->saddr};
        rule = bpf_map_lookup_elem(&fw_v4, &key);
    } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6h = (void *)(eth + 1);
        if ((void *)(ip6h + 1) > data_end)
            return XDP_DROP;
        struct lpm_v6_key key = {.prefixlen = 128};
        __builtin_memcpy(key.addr, &ip6h->saddr, sizeof(key.addr));
        rule = bpf_map_lookup_elem(&fw_v6, &key);
    }
    if (!rule)
        return XDP_PASS;
    __sync_fetch_and_add(&rule->hits, 1);
    return rule->action == XDP_DROP ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
