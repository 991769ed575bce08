/* xdp_redirect_maps.bpf.c - the XDP redirect maps as real programs use them, with BTF-typed
 * map definitions: libxdp's AF_XDP default program (an XSKMAP lookup on the receive queue,
 * then bpf_redirect_map with XDP_PASS as the miss action) and its modern one-call form, an
 * xdp_fwd-style DEVMAP_HASH forwarder that reads the egress ifindex back, a broadcast to a
 * DEVMAP and a CPUMAP spread by a hash of the IPv4 addresses. */
#include "vobj_bpf.h"

BPF_HELPER(long, redirect_map, (void *map, __u64 key, __u64 flags));

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u32);
} xsks_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, struct bpf_devmap_val);
} fwd_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u32);
} bcast_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_CPUMAP);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, struct bpf_cpumap_val);
} cpu_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} fwd_count SEC(".maps");

SEC("xdp")
int xsk_def_prog(struct xdp_md *ctx)
{
    int index = ctx->rx_queue_index;
    /* a socket on this queue: redirect, else let the stack have the packet */
    if (bpf_map_lookup_elem(&xsks_map, &index))
        return bpf_redirect_map(&xsks_map, index, XDP_PASS);
    return XDP_PASS;
}

SEC("xdp")
int xsk_def_prog_modern(struct xdp_md *ctx)
{
    return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

SEC("xdp")
int xdp_fwd_port(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_DROP;
    __u32 port = eth->h_dest[5];
    struct bpf_devmap_val *out = bpf_map_lookup_elem(&fwd_ports, &port);
    if (!out || out->ifindex == ctx->ingress_ifindex)
        return XDP_PASS;
    __u32 zero = 0;
    __u64 *cnt = bpf_map_lookup_elem(&fwd_count, &zero);
    if (cnt)
        *cnt += 1;
    return bpf_redirect_map(&fwd_ports, port, XDP_DROP);
}

SEC("xdp")
int xdp_bcast(struct xdp_md *ctx)
{
    return bpf_redirect_map(&bcast_ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
}

SEC("xdp")
int xdp_cpu_spread(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    __u32 h = ip->saddr ^ ip->daddr;
    h ^= h >> 16;
    return bpf_redirect_map(&cpu_map, h & 7, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
