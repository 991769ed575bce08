/* samples/bpf sockex1: count packets per IP protocol in an array map (legacy "maps"). */
#include "bpf_helpers.h"

struct bpf_map_def SEC("maps") my_map = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(long),
    .max_entries = 256,
};

SEC("socket1") int bpf_prog1(struct __sk_buff *skb)
{
    int index = load_byte(skb, 14 + 9);
    long *value;

    value = bpf_map_lookup_elem(&my_map, &index);
    if (value)
        __sync_fetch_and_add(value, skb->len ? 1 : 1);
    return 0;
}
char _license[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x060100;
