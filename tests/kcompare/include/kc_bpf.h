/* kc_bpf.h - declarations the kernel-comparison BPF programs need (clang -target bpf): types,
 * libbpf-style SEC/__uint/__type/__array macros, map type and flag numbers, the contexts used
 * (struct __sk_buff, struct xdp_md) and every helper the programs call, by kernel id. */
#ifndef KC_BPF_H
#define KC_BPF_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#define __always_inline inline __attribute__((always_inline))
#define __noinline __attribute__((noinline))

enum {
    BPF_MAP_TYPE_HASH = 1, BPF_MAP_TYPE_ARRAY = 2, BPF_MAP_TYPE_PROG_ARRAY = 3,
    BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4, BPF_MAP_TYPE_PERCPU_HASH = 5,
    BPF_MAP_TYPE_PERCPU_ARRAY = 6, BPF_MAP_TYPE_LRU_HASH = 9, BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
    BPF_MAP_TYPE_LPM_TRIE = 11, BPF_MAP_TYPE_ARRAY_OF_MAPS = 12, BPF_MAP_TYPE_HASH_OF_MAPS = 13,
    BPF_MAP_TYPE_QUEUE = 22, BPF_MAP_TYPE_STACK = 23, BPF_MAP_TYPE_RINGBUF = 27,
    BPF_MAP_TYPE_BLOOM_FILTER = 30,
};
enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2 };
#define BPF_F_NO_PREALLOC (1U << 0)
#define BPF_F_ZERO_SEED (1U << 6)
#define BPF_F_CURRENT_CPU 0xffffffffULL
#define BPF_RB_NO_WAKEUP 1ULL
#define BPF_RB_AVAIL_DATA 0
#define BPF_RB_RING_SIZE 1
#define BPF_RB_CONS_POS 2
#define BPF_RB_PROD_POS 3
enum { TC_ACT_OK = 0, TC_ACT_SHOT = 2, TC_ACT_REDIRECT = 7 };
enum { XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, XDP_REDIRECT = 4 };
/* packet helper flags */
#define BPF_F_RECOMPUTE_CSUM (1ULL << 0)
#define BPF_F_INVALIDATE_HASH (1ULL << 1)
#define BPF_F_HDR_FIELD_MASK 0xfULL
#define BPF_F_PSEUDO_HDR (1ULL << 4)
#define BPF_F_MARK_MANGLED_0 (1ULL << 5)
#define BPF_F_MARK_ENFORCE (1ULL << 6)
#define BPF_F_IPV6 (1ULL << 7)
#define BPF_F_INGRESS (1ULL << 0)
enum { BPF_HDR_START_MAC = 0, BPF_HDR_START_NET = 1 };

struct bpf_spin_lock {
    __u32 val;
};

struct __sk_buff {
    __u32 len, pkt_type, mark, queue_mapping, protocol, vlan_present, vlan_tci, vlan_proto,
        priority, ingress_ifindex, ifindex, tc_index, cb[5], hash, tc_classid, data, data_end;
};
struct xdp_md {
    __u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex;
};

#define BPF_HELPER(ret, name, args, id) static ret(*const name) args = (void *)id
BPF_HELPER(void *, bpf_map_lookup_elem, (void *map, const void *key), 1);
BPF_HELPER(long, bpf_map_update_elem, (void *map, const void *key, const void *value, __u64 flags), 2);
BPF_HELPER(long, bpf_map_delete_elem, (void *map, const void *key), 3);
BPF_HELPER(__u64, bpf_ktime_get_ns, (void), 5);
BPF_HELPER(long, bpf_trace_printk, (const char *fmt, __u32 fmt_size, ...), 6);
BPF_HELPER(__u32, bpf_get_prandom_u32, (void), 7);
BPF_HELPER(__u32, bpf_get_smp_processor_id, (void), 8);
BPF_HELPER(long, bpf_skb_store_bytes, (struct __sk_buff *skb, __u32 offset, const void *from, __u32 len, __u64 flags), 9);
BPF_HELPER(long, bpf_l3_csum_replace, (struct __sk_buff *skb, __u32 offset, __u64 from, __u64 to, __u64 size), 10);
BPF_HELPER(long, bpf_l4_csum_replace, (struct __sk_buff *skb, __u32 offset, __u64 from, __u64 to, __u64 flags), 11);
BPF_HELPER(long, bpf_tail_call, (void *ctx, void *map, __u32 index), 12);
BPF_HELPER(__u64, bpf_get_current_pid_tgid, (void), 14);
BPF_HELPER(__u64, bpf_get_current_uid_gid, (void), 15);
BPF_HELPER(long, bpf_get_current_comm, (void *buf, __u32 size), 16);
BPF_HELPER(long, bpf_redirect, (__u32 ifindex, __u64 flags), 23);
BPF_HELPER(long, bpf_perf_event_output, (void *ctx, void *map, __u64 flags, void *data, __u64 size), 25);
BPF_HELPER(__s64, bpf_csum_diff, (__u32 *from, __u32 from_size, __u32 *to, __u32 to_size, __u32 seed), 28);
BPF_HELPER(long, bpf_skb_load_bytes, (const void *skb, __u32 offset, void *to, __u32 len), 26);
BPF_HELPER(long, bpf_skb_pull_data, (struct __sk_buff *skb, __u32 len), 39);
BPF_HELPER(long, bpf_skb_change_tail, (struct __sk_buff *skb, __u32 len, __u64 flags), 38);
BPF_HELPER(long, bpf_skb_change_head, (struct __sk_buff *skb, __u32 len, __u64 flags), 43);
BPF_HELPER(long, bpf_skb_adjust_room, (struct __sk_buff *skb, __s32 len_diff, __u32 mode, __u64 flags), 50);
BPF_HELPER(long, bpf_get_numa_node_id, (void), 42);
BPF_HELPER(long, bpf_xdp_adjust_head, (struct xdp_md *xdp_md, int delta), 44);
BPF_HELPER(long, bpf_xdp_adjust_meta, (struct xdp_md *xdp_md, int delta), 54);
BPF_HELPER(long, bpf_xdp_adjust_tail, (struct xdp_md *xdp_md, int delta), 65);
BPF_HELPER(long, bpf_skb_load_bytes_relative, (const void *skb, __u32 offset, void *to, __u32 len, __u32 start_header), 68);
BPF_HELPER(long, bpf_map_push_elem, (void *map, const void *value, __u64 flags), 87);
BPF_HELPER(long, bpf_map_pop_elem, (void *map, void *value), 88);
BPF_HELPER(long, bpf_map_peek_elem, (void *map, void *value), 89);
BPF_HELPER(long, bpf_spin_lock, (struct bpf_spin_lock *lock), 93);
BPF_HELPER(long, bpf_spin_unlock, (struct bpf_spin_lock *lock), 94);
BPF_HELPER(long, bpf_strtol, (const char *buf, unsigned long buf_len, __u64 flags, long *res), 105);
BPF_HELPER(long, bpf_strtoul, (const char *buf, unsigned long buf_len, __u64 flags, unsigned long *res), 106);
BPF_HELPER(__u64, bpf_jiffies64, (void), 118);
BPF_HELPER(__u64, bpf_ktime_get_boot_ns, (void), 125);
BPF_HELPER(long, bpf_ringbuf_output, (void *ringbuf, void *data, __u64 size, __u64 flags), 130);
BPF_HELPER(void *, bpf_ringbuf_reserve, (void *ringbuf, __u64 size, __u64 flags), 131);
BPF_HELPER(void, bpf_ringbuf_submit, (void *data, __u64 flags), 132);
BPF_HELPER(void, bpf_ringbuf_discard, (void *data, __u64 flags), 133);
BPF_HELPER(__u64, bpf_ringbuf_query, (void *ringbuf, __u64 flags), 134);
BPF_HELPER(__u64, bpf_ktime_get_coarse_ns, (void), 160);
BPF_HELPER(long, bpf_for_each_map_elem, (void *map, void *callback_fn, void *callback_ctx, __u64 flags), 164);
BPF_HELPER(long, bpf_snprintf, (char *str, __u32 str_size, const char *fmt, __u64 *data, __u32 data_len), 165);
BPF_HELPER(long, bpf_loop, (__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags), 181);
BPF_HELPER(long, bpf_xdp_load_bytes, (struct xdp_md *xdp_md, __u32 offset, void *buf, __u32 len), 189);
BPF_HELPER(long, bpf_xdp_store_bytes, (struct xdp_md *xdp_md, __u32 offset, void *buf, __u32 len), 190);

#define bpf_htons(x) __builtin_bswap16(x)
#define bpf_ntohs(x) __builtin_bswap16(x)
#define bpf_htonl(x) __builtin_bswap32(x)

#endif
