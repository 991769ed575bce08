/* RINGBUF: output of a payload-sized record, reserve+submit, reserve+discard, a reservation
 * too large for the ring, up to four 1000-byte reservations (the ring fills), and the four
 * ringbuf_query values, stored in an ARRAY. */
#include "kc_bpf.h"
#include "kc_common.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} rb SEC(".maps");

struct rb_result {
    __s64 out_rc;
    __u64 big_ok;
    __u64 huge_null;
    __u64 avail, size, cons, prod;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct rb_result);
} rb_res SEC(".maps");

SEC("tc") int ringbuf_ops(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u8 buf[32];
    __builtin_memcpy(buf, p, 32);
    __u32 zero = 0;
    struct rb_result *r = bpf_map_lookup_elem(&rb_res, &zero);
    if (!r)
        return 2;
    __u32 n = buf[0] & 31;
    r->out_rc = bpf_ringbuf_output(&rb, buf, n, 0);

    __u8 *rec = bpf_ringbuf_reserve(&rb, 16, 0);
    if (rec) {
        __builtin_memcpy(rec, buf + 8, 16);
        bpf_ringbuf_submit(rec, BPF_RB_NO_WAKEUP);
    }
    rec = bpf_ringbuf_reserve(&rb, 24, 0);
    if (rec) {
        __builtin_memset(rec, 0x5a, 24);
        bpf_ringbuf_discard(rec, 0);
    }
    rec = bpf_ringbuf_reserve(&rb, 8192, 0);
    r->huge_null = rec == 0;
    if (rec)
        bpf_ringbuf_discard(rec, 0);

    __u64 big = 0;
    if (buf[1] & 1) {
#pragma unroll
        for (int i = 0; i < 4; i++) {
            __u8 *b = bpf_ringbuf_reserve(&rb, 1000, 0);
            if (b) {
                __builtin_memset(b, 0, 1000); /* reserved memory is not cleared */
                b[0] = (__u8)i;
                b[999] = buf[2];
                bpf_ringbuf_submit(b, 0);
                big++;
            }
        }
    }
    r->big_ok = big;
    r->avail = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA);
    r->size = bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE);
    r->cons = bpf_ringbuf_query(&rb, BPF_RB_CONS_POS);
    r->prod = bpf_ringbuf_query(&rb, BPF_RB_PROD_POS);
    return (int)(r->prod - r->cons);
}

char LICENSE[] SEC("license") = "GPL";
