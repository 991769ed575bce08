/* spin_lock.bpf.c - a token-bucket policer: a hash value holding a struct bpf_spin_lock
 * (needs BTF), refilled and drained under the lock by a tc program. */
#include "vobj_bpf.h"

struct bucket {
    struct bpf_spin_lock lock;
    __u32 tokens;
    __u64 last_ns;
    __u64 dropped;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, struct bucket);
} buckets SEC(".maps");

#define RATE_PER_MS 100
#define BURST 10000

SEC("tc")
int tc_police(struct __sk_buff *skb)
{
    __u32 key = skb->mark;
    struct bucket *b = bpf_map_lookup_elem(&buckets, &key);
    if (!b) {
        struct bucket nb = {.tokens = BURST, .last_ns = bpf_ktime_get_ns()};
        bpf_map_update_elem(&buckets, &key, &nb, BPF_NOEXIST);
        return TC_ACT_OK;
    }
    __u64 now = bpf_ktime_get_ns();
    __u32 len = skb->len;
    int verdict = TC_ACT_OK;
    bpf_spin_lock(&b->lock);
    __u64 elapsed_ms = (now - b->last_ns) / 1000000;
    if (elapsed_ms) {
        __u64 t = b->tokens + elapsed_ms * RATE_PER_MS;
        b->tokens = t > BURST ? BURST : t;
        b->last_ns = now;
    }
    if (b->tokens >= len) {
        b->tokens -= len;
    } else {
        b->dropped++;
        verdict = TC_ACT_SHOT;
    }
    bpf_spin_unlock(&b->lock);
    return verdict;
}

char LICENSE[] SEC("license") = "GPL";
