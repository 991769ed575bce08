/* vobj_bpf.h - what the verifier corpus (tests/verifier/objects/progs) needs on top of the
 * system's UAPI headers: libbpf-style SEC/__uint/__type/__array macros, byte order, a few
 * protocol headers the UAPI only has behind libc includes (VLAN, ICMP), and every helper the
 * programs call, declared by its kernel id like libbpf's bpf_helper_defs.h. */
#ifndef VOBJ_BPF_H
#define VOBJ_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/types.h>
#include <linux/udp.h>

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline __attribute__((noinline))
#ifndef NULL
#define NULL ((void *)0)
#endif

/* bpfel: network order is the other one */
#define bpf_htons(x) ((__u16)__builtin_bswap16(x))
#define bpf_ntohs(x) ((__u16)__builtin_bswap16(x))
#define bpf_htonl(x) ((__u32)__builtin_bswap32(x))
#define bpf_ntohl(x) ((__u32)__builtin_bswap32(x))

struct vlan_hdr {
    __be16 h_vlan_TCI;
    __be16 h_vlan_encapsulated_proto;
};

struct icmphdr {
    __u8 type, code;
    __sum16 checksum;
    __be16 id, sequence;
};
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

#define BPF_HELPER(ret, name, args) static ret(*const bpf_##name) args = (void *)BPF_FUNC_##name
BPF_HELPER(void *, map_lookup_elem, (void *map, const void *key));
BPF_HELPER(long, map_update_elem, (void *map, const void *key, const void *value, __u64 flags));
BPF_HELPER(long, map_delete_elem, (void *map, const void *key));
BPF_HELPER(__u64, ktime_get_ns, (void));
BPF_HELPER(long, trace_printk, (const char *fmt, __u32 fmt_size, ...));
BPF_HELPER(__u32, get_prandom_u32, (void));
BPF_HELPER(__u32, get_smp_processor_id, (void));
BPF_HELPER(long, skb_store_bytes, (struct __sk_buff *skb, __u32 off, const void *from, __u32 len, __u64 flags));
BPF_HELPER(long, l3_csum_replace, (struct __sk_buff *skb, __u32 off, __u64 from, __u64 to, __u64 size));
BPF_HELPER(long, l4_csum_replace, (struct __sk_buff *skb, __u32 off, __u64 from, __u64 to, __u64 flags));
BPF_HELPER(long, tail_call, (void *ctx, void *map, __u32 index));
BPF_HELPER(__u64, get_current_pid_tgid, (void));
BPF_HELPER(long, get_current_comm, (void *buf, __u32 size));
BPF_HELPER(long, redirect, (__u32 ifindex, __u64 flags));
BPF_HELPER(long, perf_event_output, (void *ctx, void *map, __u64 flags, void *data, __u64 size));
BPF_HELPER(long, skb_load_bytes, (const void *skb, __u32 off, void *to, __u32 len));
BPF_HELPER(__s64, csum_diff, (__be32 *from, __u32 from_size, __be32 *to, __u32 to_size, __wsum seed));
BPF_HELPER(long, xdp_adjust_head, (struct xdp_md *xdp, int delta));
BPF_HELPER(long, xdp_adjust_meta, (struct xdp_md *xdp, int delta));
BPF_HELPER(long, spin_lock, (struct bpf_spin_lock *lock));
BPF_HELPER(long, spin_unlock, (struct bpf_spin_lock *lock));
BPF_HELPER(long, ringbuf_output, (void *ringbuf, void *data, __u64 size, __u64 flags));
BPF_HELPER(void *, ringbuf_reserve, (void *ringbuf, __u64 size, __u64 flags));
BPF_HELPER(void, ringbuf_submit, (void *data, __u64 flags));
BPF_HELPER(void, ringbuf_discard, (void *data, __u64 flags));
BPF_HELPER(long, loop, (__u32 nr_loops, void *callback_fn, void *callback_ctx, __u64 flags));

#endif
