/* XDP: count packets by EtherType in a BTF-defined hash map; drop IPv6, pass the rest. */
#include "bpf_helpers.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, __u16);
    __type(value, __u64);
    __uint(max_entries, 64);
} proto_count SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(key_size, 4);
    __uint(value_size, 8);
    __uint(max_entries, 1);
    __uint(pinning, 1);
} pcpu SEC(".maps");

SEC("xdp") int xdp_count(struct xdp_md *ctx)
{
    __u8 *data = (void *)(long)ctx->data;
    __u8 *data_end = (void *)(long)ctx->data_end;
    if (data + 14 > data_end)
        return XDP_ABORTED;
    __u16 proto = (__u16)(data[12] << 8 | data[13]);
    __u64 one = 1, *v = bpf_map_lookup_elem(&proto_count, &proto);
    if (v)
        __sync_fetch_and_add(v, 1);
    else
        bpf_map_update_elem(&proto_count, &proto, &one, BPF_NOEXIST);
    return proto == 0x86dd ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "Dual BSD/GPL";
