/* sockfilter.bpf.c - socket filters as in samples/bpf and tcpdump-like tools: read
 * __sk_buff fields (len, protocol, pkt_type, ifindex), pull headers with bpf_skb_load_bytes
 * (socket filters have no direct packet access) and with LD_ABS (load_byte), and return the
 * number of bytes to keep. */
#include "vobj_bpf.h"

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u64);
} proto_bytes SEC(".maps");

SEC("socket")
int sock_count_proto(struct __sk_buff *skb)
{
    __u32 proto = load_byte(skb, ETH_HLEN + __builtin_offsetof(struct iphdr, protocol));
    if (skb->pkt_type != 0 /* PACKET_HOST */)
        return 0;
    __u64 *v = bpf_map_lookup_elem(&proto_bytes, &proto);
    if (v)
        __sync_fetch_and_add(v, skb->len);
    return 0;
}

SEC("socket")
int sock_tcp_headers(struct __sk_buff *skb)
{
    struct iphdr iph;
    struct tcphdr th;
    if (skb->protocol != bpf_htons(ETH_P_IP))
        return 0;
    if (bpf_skb_load_bytes(skb, ETH_HLEN, &iph, sizeof(iph)) < 0)
        return 0;
    if (iph.protocol != IPPROTO_TCP)
        return 0;
    __u32 off = ETH_HLEN + (iph.ihl & 0xf) * 4;
    if (bpf_skb_load_bytes(skb, off, &th, sizeof(th)) < 0)
        return 0;
    /* keep headers only: eth + ip + tcp with options */
    return off + th.doff * 4;
}

SEC("socket")
int sock_dns_only(struct __sk_buff *skb)
{
    if (load_half(skb, 12) != ETH_P_IP)
        return 0;
    if (load_byte(skb, ETH_HLEN + 9) != IPPROTO_UDP)
        return 0;
    __u32 ihl = (load_byte(skb, ETH_HLEN) & 0xf) << 2;
    __u16 dport = load_half(skb, ETH_HLEN + ihl + 2);
    return dport == 53 ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
