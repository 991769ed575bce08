/* bugs_refs.bpf.c - realistic mistakes around pointers the kernel tracks: a map lookup used
 * without the NULL check, a ring-buffer record leaked on an early return, a record used
 * after submit, a spin lock still held at exit, and a cgroup_skb program returning a value
 * outside [0, 1].  One sloppy-but-legal program too: a hash key struct with padding never
 * zeroed (privileged programs may read uninitialised stack). */
#include "vobj_bpf.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct locked {
    struct bpf_spin_lock lock;
    __u64 value;
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct locked);
} locked_map SEC(".maps");

struct padded_key {
    __u8 proto;
    /* 3 bytes of padding */
    __u32 addr;
};
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, struct padded_key);
    __type(value, __u64);
} padded SEC(".maps");

SEC("tc")
int bug_null_deref(struct __sk_buff *skb)
{
    __u32 key = skb->mark;
    __u64 *v = bpf_map_lookup_elem(&counts, &key);
    *v += 1; /* missing: if (!v) */
    return TC_ACT_OK;
}

SEC("tc")
int bug_ringbuf_leak(struct __sk_buff *skb)
{
    __u32 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return TC_ACT_OK;
    if (skb->len < 64)
        return TC_ACT_OK; /* leaks the reservation */
    *e = skb->len;
    bpf_ringbuf_submit(e, 0);
    return TC_ACT_OK;
}

SEC("tc")
int bug_ringbuf_use_after_submit(struct __sk_buff *skb)
{
    __u32 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return TC_ACT_OK;
    *e = skb->len;
    bpf_ringbuf_submit(e, 0);
    return *e > 100 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc")
int bug_lock_held_at_exit(struct __sk_buff *skb)
{
    __u32 zero = 0;
    struct locked *l = bpf_map_lookup_elem(&locked_map, &zero);
    if (!l)
        return TC_ACT_OK;
    bpf_spin_lock(&l->lock);
    l->value += skb->len;
    if (l->value > 1000000)
        return TC_ACT_SHOT; /* returns with the lock held */
    bpf_spin_unlock(&l->lock);
    return TC_ACT_OK;
}

SEC("cgroup_skb/ingress")
int bug_cgroup_retval(struct __sk_buff *skb)
{
    if (skb->len > 1500)
        return 2; /* cgroup_skb ingress must return 0 or 1 */
    return 1;
}

SEC("tc")
int sloppy_padded_key(struct __sk_buff *skb)
{
    struct padded_key k;
    k.proto = skb->protocol & 0xff;
    k.addr = skb->mark;
    __u64 *v = bpf_map_lookup_elem(&padded, &k);
    return v ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
