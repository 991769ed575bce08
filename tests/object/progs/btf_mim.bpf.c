/* BTF map-in-map with initial values, a program array initialised with programs, and the
 * legacy 28-byte struct bpf_map_def in "maps" next to BTF maps. */
#include "bpf_helpers.h"

struct inner_map {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, struct inner_map);
} outer SEC(".maps") = {
    .values = { [0] = &inner_a, [2] = &inner_b },
};

int tail_target(void *ctx);
struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, int(void *));
} jmp SEC(".maps") = {
    .values = { [1] = (void *)&tail_target },
};

struct bpf_map_def_28 SEC("maps") legacy28 = {
    .type = BPF_MAP_TYPE_HASH, .key_size = 8, .value_size = 16, .max_entries = 10,
};

SEC("socket") int tail_target(void *ctx) { return 77; }

SEC("socket") int mim_main(void *ctx)
{
    __u32 k = 2, one = 1;
    void *in = bpf_map_lookup_elem(&outer, &k);
    if (!in)
        return 1;
    __u32 *v = bpf_map_lookup_elem(in, &one);
    if (!v)
        return 2;
    bpf_tail_call(ctx, &jmp, *v);
    return 3;
}
char _license[] SEC("license") = "GPL";
