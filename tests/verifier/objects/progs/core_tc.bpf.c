/* core_tc.bpf.c - libbpf-bootstrap's tc.bpf.c style, built the way vmlinux.h builds: every
 * struct with preserve_access_index, so each context and header access is a CO-RE field
 * relocation (libbpf resolves them against the kernel's BTF; bpfvm keeps the compiled
 * offsets, which are the same UAPI layouts).  Also bitfields (iphdr ihl/version), field
 * existence and size queries, and an ingress/egress pair in tcx sections. */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "vobj_bpf.h"
#pragma clang attribute pop

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} ttl_sum SEC(".maps");

static __always_inline int account(struct __sk_buff *ctx, __u32 slot)
{
    void *data_end = (void *)(long)ctx->data_end;
    void *data = (void *)(long)ctx->data;
    if (ctx->protocol != bpf_htons(ETH_P_IP))
        return TC_ACT_OK;
    struct ethhdr *l2 = data;
    if ((void *)(l2 + 1) > data_end)
        return TC_ACT_OK;
    struct iphdr *l3 = (struct iphdr *)(l2 + 1);
    if ((void *)(l3 + 1) > data_end)
        return TC_ACT_OK;
    if (!__builtin_preserve_field_info(l3->ttl, 2 /* FIELD_EXISTS */))
        return TC_ACT_SHOT;
    __u64 *sum = bpf_map_lookup_elem(&ttl_sum, &slot);
    if (sum)
        __sync_fetch_and_add(sum, l3->ttl + l3->ihl * 256 +
                                      __builtin_preserve_field_info(l3->saddr, 1 /* SIZE */) * 65536);
    return l3->version == 4 ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tcx/ingress")
int core_ingress(struct __sk_buff *ctx)
{
    return account(ctx, 0);
}

SEC("tcx/egress")
int core_egress(struct __sk_buff *ctx)
{
    return account(ctx, 1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
