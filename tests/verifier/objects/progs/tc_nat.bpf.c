/* tc_nat.bpf.c - a Cilium-like tc SNAT: rewrites the IPv4 source address and the TCP/UDP
 * source port with bpf_skb_store_bytes, fixing the checksums with bpf_l3_csum_replace and
 * bpf_l4_csum_replace (BPF_F_PSEUDO_HDR for the address); and a policy program that
 * bpf_redirect()s packets for a service to another interface. */
#include "vobj_bpf.h"

#define IP_SRC_OFF (ETH_HLEN + __builtin_offsetof(struct iphdr, saddr))
#define IP_CSUM_OFF (ETH_HLEN + __builtin_offsetof(struct iphdr, check))
#define TCP_CSUM_OFF (ETH_HLEN + sizeof(struct iphdr) + __builtin_offsetof(struct tcphdr, check))
#define UDP_CSUM_OFF (ETH_HLEN + sizeof(struct iphdr) + __builtin_offsetof(struct udphdr, check))
#define L4_SPORT_OFF (ETH_HLEN + sizeof(struct iphdr))

struct nat_entry {
    __be32 to_addr;
    __be16 to_port;
    __u16 pad;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __be32);
    __type(value, struct nat_entry);
} snat_map SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} redirect_ifindex SEC(".maps");

SEC("tc")
int tc_snat(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || iph->ihl != 5)
        return TC_ACT_OK;
    __u8 proto = iph->protocol;
    if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
        return TC_ACT_OK;
    __be32 old_addr = iph->saddr;
    struct nat_entry *nat = bpf_map_lookup_elem(&snat_map, &old_addr);
    if (!nat)
        return TC_ACT_OK;
    struct udphdr *uh = (void *)(iph + 1);
    if ((void *)(uh + 1) > data_end)
        return TC_ACT_SHOT;
    __be16 old_port = uh->source;
    __be32 new_addr = nat->to_addr;
    __be16 new_port = nat->to_port;
    __u32 l4_csum = proto == IPPROTO_TCP ? TCP_CSUM_OFF : UDP_CSUM_OFF;

    if (bpf_l4_csum_replace(skb, l4_csum, old_addr, new_addr, BPF_F_PSEUDO_HDR | sizeof(new_addr)))
        return TC_ACT_SHOT;
    if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_addr, new_addr, sizeof(new_addr)))
        return TC_ACT_SHOT;
    if (bpf_skb_store_bytes(skb, IP_SRC_OFF, &new_addr, sizeof(new_addr), 0))
        return TC_ACT_SHOT;
    if (bpf_l4_csum_replace(skb, l4_csum, old_port, new_port, sizeof(new_port)))
        return TC_ACT_SHOT;
    if (bpf_skb_store_bytes(skb, L4_SPORT_OFF, &new_port, sizeof(new_port), 0))
        return TC_ACT_SHOT;
    return TC_ACT_OK;
}

SEC("tc")
int tc_redirect_service(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return TC_ACT_OK;
    if (iph->daddr != bpf_htonl(0x0a000001))
        return TC_ACT_OK;
    __u32 zero = 0;
    __u32 *ifindex = bpf_map_lookup_elem(&redirect_ifindex, &zero);
    if (!ifindex || !*ifindex)
        return TC_ACT_OK;
    return bpf_redirect(*ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
