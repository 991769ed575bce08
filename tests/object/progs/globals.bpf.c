/* Global data: .data, .rodata (const volatile, frozen), .bss, a string in .rodata.str1.1,
 * a static variable, and a larger array in .data.big. */
#include "bpf_helpers.h"

int counter = 100;
const volatile __u32 factor = 3;
__u64 hits;
static int calls;
__u32 table[8] SEC(".data.big") = {1, 2, 3, 4, 5, 6, 7, 8};
const char greeting[] = "hello";

SEC("socket") int use_globals(void *ctx)
{
    hits++;
    calls += 2;
    counter += factor;
    return counter + table[hits & 7] + greeting[1] + calls;
}
char _license[] SEC("license") = "GPL";
