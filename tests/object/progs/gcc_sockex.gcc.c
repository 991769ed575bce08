/* sockex1 in gcc-bpf's dialect (kernel_helper attribute, legacy maps, static .text call). */
#include "bpf_helpers.h"

struct bpf_map_def SEC("maps") counts = {
    .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 256,
};
int bonus = 40;

static __noinline int adjust(int x) { return x + bonus; }

SEC("socket") int gcc_prog(void *ctx)
{
    __u32 k = __builtin_bpf_load_byte(14 + 9);
    __u64 *v = bpf_map_lookup_elem(&counts, &k);
    if (v)
        __sync_fetch_and_add(v, 1);
    return adjust(2);
}
char _license[] SEC("license") = "GPL";
