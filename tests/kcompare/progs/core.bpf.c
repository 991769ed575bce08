/* CO-RE: every struct with preserve_access_index, as programs built against vmlinux.h have
 * them, so each context and header access below carries a .BTF.ext field relocation.  libbpf
 * resolves them against the kernel's BTF (where iphdr's addresses sit in an anonymous union);
 * bpfvm keeps the offsets clang compiled.  Both must read the same bytes: context fields,
 * header bitfields (ihl/version), field sizes and existence, written into the payload. */
#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)
#include "kc_bpf.h"
#include "kc_common.h"

struct ethhdr {
    __u8 h_dest[6], h_source[6];
    __u16 h_proto;
};
struct iphdr {
    __u8 ihl : 4, version : 4;
    __u8 tos;
    __u16 tot_len, id, frag_off;
    __u8 ttl, protocol;
    __u16 check;
    __u32 saddr, daddr;
};
struct udphdr {
    __u16 source, dest, len, check;
};
#pragma clang attribute pop

struct core_out {
    __u64 v[8];
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct core_out);
} core_res SEC(".maps");

SEC("tc") int core_fields(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    void *d = (void *)(long)skb->data, *e = (void *)(long)skb->data_end;
    struct ethhdr *eth = d;
    struct iphdr *ip = (void *)(eth + 1);
    struct udphdr *udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > e)
        return 1;
    __u32 zero = 0;
    struct core_out *o = bpf_map_lookup_elem(&core_res, &zero);
    if (!o)
        return 2;
    o->v[0] = skb->len | (__u64)skb->protocol << 32;
    o->v[1] = ip->version | ip->ihl << 4 | ip->ttl << 8 | (__u64)ip->protocol << 16 |
              (__u64)bpf_ntohs(ip->tot_len) << 32;
    o->v[2] = ip->saddr | (__u64)ip->daddr << 32;
    o->v[3] = udp->source | udp->dest << 16 | (__u64)udp->len << 32;
    o->v[4] = __builtin_preserve_field_info(ip->saddr, 1 /* BYTE_SIZE */) |
              __builtin_preserve_field_info(ip->daddr, 0 /* BYTE_OFFSET */) << 8 |
              __builtin_preserve_field_info(skb->data_end, 0) << 16 |
              (__u64)__builtin_preserve_field_info(ip->ttl, 2 /* EXISTS */) << 32;
    o->v[5] = skb->mark | (__u64)skb->cb[2] << 32;
    /* payload bytes steer a write: mark and cb[] from the packet */
    skb->mark = p[0] | p[1] << 8;
    skb->cb[2] = p[2];
    p[4] = ip->ttl;
    p[5] = ip->ihl;
    return p[3] & 3;
}

char LICENSE[] SEC("license") = "GPL";
