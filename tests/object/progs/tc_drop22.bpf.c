/* The seed's tc classifier: drop TCP port 22, direct packet access through struct __sk_buff. */
#include "bpf_helpers.h"

#define BLOCKED_TCP_PORT 22
#define ETH_P_IP 0x0800
#define IPPROTO_TCP 6

struct ethhdr { __u8 h_dest[6], h_source[6]; __u16 h_proto; } __attribute__((packed));
struct iphdr { __u8 ihl : 4, version : 4; __u8 tos; __u16 tot_len, id, frag_off; __u8 ttl, protocol; __u16 check; __u32 saddr, daddr; };
struct tcphdr { __u16 source, dest; __u32 seq, ack_seq; __u16 flags, window, check, urg_ptr; };

SEC("classifier") int handle_ingress(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    struct iphdr *iph = data + sizeof(*eth);
    struct tcphdr *tcp = data + sizeof(*eth) + sizeof(*iph);

    if (data + sizeof(*eth) + sizeof(*iph) + sizeof(*tcp) > data_end)
        return TC_ACT_OK;
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return TC_ACT_OK;
    if (iph->protocol != IPPROTO_TCP || iph->ihl != 5)
        return TC_ACT_OK;
    if (tcp->dest == bpf_htons(BLOCKED_TCP_PORT))
        return TC_ACT_SHOT;
    return TC_ACT_OK;
}

/* the same decision with LD_ABS loads (runs with any context) */
SEC("tc") int drop22_ldabs(struct __sk_buff *skb)
{
    if (load_half(skb, 12) != ETH_P_IP)
        return TC_ACT_OK;
    if (load_byte(skb, 14 + 9) != IPPROTO_TCP || (load_byte(skb, 14) & 0xf) != 5)
        return TC_ACT_OK;
    return load_half(skb, 14 + 20 + 2) == BLOCKED_TCP_PORT ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
