/* bpf-to-bpf calls: static and global .text functions, nested, shared by two programs,
 * one of them touching a map; and a static function in a program section. */
#include "bpf_helpers.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, __u32);
    __type(value, __u64);
    __uint(max_entries, 4);
} acc SEC(".maps");

static __noinline int square(int x) { return x * x; }

static __noinline int add_acc(__u32 k, int v)
{
    __u64 *p = bpf_map_lookup_elem(&acc, &k);
    if (!p)
        return -1;
    *p += v;
    return (int)*p;
}

__noinline int sum_squares(int a, int b) { return square(a) + square(b); }

__noinline int fact(int n) { return n <= 1 ? 1 : n * (n - 1 <= 1 ? 1 : (n - 1) * (n - 2 <= 1 ? 1 : n - 2)); }

SEC("socket") int prog_a(void *ctx)
{
    int s = sum_squares(3, 4);      /* 25 */
    return add_acc(0, s) + fact(4); /* 25 + 24 */
}

SEC("socket") int prog_b(void *ctx)
{
    return square(7) + add_acc(1, 5); /* 49 + 5 */
}
char _license[] SEC("license") = "GPL";
