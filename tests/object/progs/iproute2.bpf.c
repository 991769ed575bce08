/* iproute2 conventions: struct bpf_elf_map in "maps", a program array with id 1 filled from
 * tail-call sections "1/0" and "1/1", map-in-map through inner_id/inner_idx. */
#include "bpf_helpers.h"

#define JMP_MAP_ID 1
#define INNER_ID 7

struct bpf_elf_map SEC("maps") jmp_tc = {
    .type = BPF_MAP_TYPE_PROG_ARRAY, .size_key = 4, .size_value = 4, .max_elem = 2,
    .id = JMP_MAP_ID, .pinning = PIN_GLOBAL_NS,
};
struct bpf_elf_map SEC("maps") map_inner = {
    .type = BPF_MAP_TYPE_ARRAY, .size_key = 4, .size_value = 4, .max_elem = 1,
    .id = INNER_ID, .inner_idx = 0,
};
struct bpf_elf_map SEC("maps") map_outer = {
    .type = BPF_MAP_TYPE_ARRAY_OF_MAPS, .size_key = 4, .size_value = 4, .max_elem = 1,
    .inner_id = INNER_ID,
};

SEC("1/0") int tail_zero(struct __sk_buff *skb) { return 100; }
SEC("1/1") int tail_one(struct __sk_buff *skb) { return 101; }

SEC("classifier") int cls_main(struct __sk_buff *skb)
{
    int key = 0;
    void *inner = bpf_map_lookup_elem(&map_outer, &key);
    if (!inner)
        return 1;
    __u32 *v = bpf_map_lookup_elem(inner, &key);
    if (!v)
        return 2;
    bpf_tail_call(skb, &jmp_tc, *v);
    return 3; /* no such tail call */
}
char __license[] SEC("license") = "GPL";
