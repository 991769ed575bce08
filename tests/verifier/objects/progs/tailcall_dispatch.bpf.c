/* tailcall_dispatch.bpf.c - tail-call dispatch through a PROG_ARRAY (filled by the user,
 * like most loaders do): an XDP entry parses up to the IP protocol, leaves the L4 offset in
 * a per-CPU scratch map and jumps to the per-protocol program, which re-checks that offset
 * before using it; a failed tail call falls through to XDP_PASS. */
#include "vobj_bpf.h"

enum { SLOT_TCP = 0, SLOT_UDP = 1, SLOT_OTHER = 2 };

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u32);
} jmp_table SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} scratch SEC(".maps");

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    __u32 zero = 0;
    __u32 *off = bpf_map_lookup_elem(&scratch, &zero);
    if (off)
        *off = sizeof(*eth) + iph->ihl * 4;
    switch (iph->protocol) {
    case IPPROTO_TCP:
        bpf_tail_call(ctx, &jmp_table, SLOT_TCP);
        break;
    case IPPROTO_UDP:
        bpf_tail_call(ctx, &jmp_table, SLOT_UDP);
        break;
    default:
        bpf_tail_call(ctx, &jmp_table, SLOT_OTHER);
    }
    return XDP_PASS;
}

SEC("xdp")
int xdp_handle_tcp(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u32 zero = 0;
    __u32 *off = bpf_map_lookup_elem(&scratch, &zero);
    if (!off || *off > 64)
        return XDP_PASS;
    struct tcphdr *th = data + *off;
    if ((void *)(th + 1) > data_end)
        return XDP_DROP;
    if (th->dest == bpf_htons(23))
        return XDP_DROP;
    return XDP_PASS;
}

SEC("xdp")
int xdp_handle_udp(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u32 zero = 0;
    __u32 *off = bpf_map_lookup_elem(&scratch, &zero);
    if (!off)
        return XDP_PASS;
    __u32 o = *off & 0x7f;
    struct udphdr *uh = data + o;
    if ((void *)(uh + 1) > data_end)
        return XDP_DROP;
    /* chain on: a DNS-specific stage may sit in the "other" slot */
    if (uh->dest == bpf_htons(53))
        bpf_tail_call(ctx, &jmp_table, SLOT_OTHER);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
