/* PROG_ARRAY and bpf_tail_call: the host fills slots 0-3; slot from the payload (empty
 * slots and out-of-range indexes fall through), a chain 2 -> 1, and slot 3 calling itself
 * until the 33-tail-call limit stops it (counted in .bss). */
#include "kc_bpf.h"
#include "kc_common.h"

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 8);
    __uint(key_size, 4);
    __uint(value_size, 4);
} jt SEC(".maps");

__u32 entries;
__u32 self_calls;

SEC("tc") int tail_0(struct __sk_buff *skb)
{
    return 1000 + (int)entries;
}

SEC("tc") int tail_1(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    p[16] = 0x11;
    return 1001;
}

SEC("tc") int tail_2(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    p[17] = 0x22;
    bpf_tail_call(skb, &jt, 1);
    return 1002;
}

SEC("tc") int tail_3(struct __sk_buff *skb)
{
    self_calls++;
    bpf_tail_call(skb, &jt, 3);
    return 3000 + (int)self_calls;
}

SEC("tc") int tail_entry(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    entries++;
    self_calls = 0;
    bpf_tail_call(skb, &jt, p[0] % 12);
    p[18] = 0x33;
    return 7;
}

char LICENSE[] SEC("license") = "GPL";
