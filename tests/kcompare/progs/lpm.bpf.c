/* LPM_TRIE: three updates/deletes of IPv4 prefixes taken from the payload (prefix lengths
 * past 32 included), then longest-prefix lookups of the packet's destination address and of
 * an address from the payload. */
#include "kc_bpf.h"
#include "kc_common.h"

struct lpm_key {
    __u32 prefixlen;
    __u8 addr[4];
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 8);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct lpm_key);
    __type(value, __u32);
} lpm SEC(".maps");

/* payload[5i] prefix length, [5i+1..5i+4] address, [12+i] value, [15] operations (2 bits each) */
SEC("tc") int lpm_trie(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    long acc = 0;
#pragma unroll
    for (int i = 0; i < 3; i++) {
        struct lpm_key k = {.prefixlen = p[5 * i] % 40};
        k.addr[0] = p[5 * i + 1];
        k.addr[1] = p[5 * i + 2];
        k.addr[2] = p[5 * i + 3];
        k.addr[3] = p[5 * i + 4];
        __u32 v = p[12 + i];
        __u32 op = (p[15] >> (2 * i)) & 3;
        long rc = op == 3 ? bpf_map_delete_elem(&lpm, &k) : bpf_map_update_elem(&lpm, &k, &v, op);
        p[16 + i] = (__u8)rc;
        acc = acc * 37 + rc;
    }
    struct lpm_key q = {.prefixlen = 32};
    __builtin_memcpy(q.addr, p - 12, 4); /* IPv4 destination (offset 30) */
    __u32 *v = bpf_map_lookup_elem(&lpm, &q);
    p[20] = v ? (__u8)*v : 0xee;
    q.addr[0] = p[1];
    q.addr[1] = p[2];
    q.addr[2] = p[3];
    q.addr[3] = p[4] ^ 1;
    v = bpf_map_lookup_elem(&lpm, &q);
    p[21] = v ? (__u8)*v : 0xee;
    return (int)(acc & 0xffffff) | (p[20] << 24);
}

char LICENSE[] SEC("license") = "GPL";
