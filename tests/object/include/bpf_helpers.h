/* bpf_helpers.h - the few declarations bpfvm's object tests need, written for both clang
 * (-target bpf) and gcc-bpf: section and map-definition macros in libbpf's conventions,
 * legacy struct bpf_map_def, iproute2's struct bpf_elf_map, helpers by kernel id, and the
 * LD_ABS packet loads (load_byte/half/word). */
#ifndef BPFVM_TEST_BPF_HELPERS_H
#define BPFVM_TEST_BPF_HELPERS_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef long long __s64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline __attribute__((noinline))

enum {
    BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_PROG_ARRAY = 3,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6, BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
    BPF_MAP_TYPE_HASH_OF_MAPS = 13,
};
enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2 };
enum { TC_ACT_OK = 0, TC_ACT_SHOT = 2 };
enum { XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3 };

/* legacy "maps" section (20 bytes; 28 with inner_map_idx and numa_node) */
struct bpf_map_def {
    unsigned int type, key_size, value_size, max_entries, map_flags;
};
struct bpf_map_def_28 {
    unsigned int type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node;
};
/* iproute2 */
struct bpf_elf_map {
    __u32 type, size_key, size_value, max_elem, flags, id, pinning, inner_id, inner_idx;
};
#define PIN_NONE 0
#define PIN_OBJECT_NS 1
#define PIN_GLOBAL_NS 2

/* the kernel's context layouts, only the fields used */
struct __sk_buff {
    __u32 len, pkt_type, mark, queue_mapping, protocol, vlan_present, vlan_tci, vlan_proto,
        priority, ingress_ifindex, ifindex, tc_index, cb[5], hash, tc_classid, data, data_end;
};
struct xdp_md {
    __u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex;
};

#if defined(__clang__)
#define BPF_HELPER(ret, name, args, id) static ret(*const name) args = (void *)id
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");
#else
#define BPF_HELPER(ret, name, args, id) ret name args __attribute__((kernel_helper(id)))
#endif

BPF_HELPER(void *, bpf_map_lookup_elem, (void *map, const void *key), 1);
BPF_HELPER(long, bpf_map_update_elem, (void *map, const void *key, const void *value, __u64 flags), 2);
BPF_HELPER(long, bpf_map_delete_elem, (void *map, const void *key), 3);
BPF_HELPER(long, bpf_tail_call, (void *ctx, void *map, __u32 index), 12);

#define bpf_htons(x) __builtin_bswap16(x)
#define bpf_ntohs(x) __builtin_bswap16(x)

#endif
