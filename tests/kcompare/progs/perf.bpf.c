/* PERF_EVENT_ARRAY: bpf_perf_event_output to the current CPU, to index 0 (the CPU the test
 * pins itself to), past max_entries and with undefined flag bits; and with a context length
 * in the flags (BPF_F_CTXLEN_MASK: the kernel appends that many packet bytes). */
#include "kc_bpf.h"
#include "kc_common.h"

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, 4);
    __uint(value_size, 4);
} events SEC(".maps");

SEC("tc") int perf_output(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u8 buf[32];
    __builtin_memcpy(buf, p, 32);
    long rc1 = bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU, buf, buf[0] & 31);
    long rc2 = bpf_perf_event_output(skb, &events, 0, buf + 4, 8);
    long rc3 = bpf_perf_event_output(skb, &events, 5, buf, 4);
    long rc4 = bpf_perf_event_output(skb, &events, (1ULL << 60) | BPF_F_CURRENT_CPU, buf, 4);
    p[16] = (__u8)rc1;
    p[17] = (__u8)rc2;
    p[18] = (__u8)rc3;
    p[19] = (__u8)rc4;
    return (int)(rc1 + rc2 * 3 + rc3 * 5 + rc4 * 7);
}

SEC("tc") int perf_ctxlen(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u8 buf[8];
    __builtin_memcpy(buf, p, 8);
    return (int)bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU | (16ULL << 32), buf, 8);
}

/* the XDP flavour of the helper (bpf_xdp_event_output in the kernel) */
SEC("xdp") int perf_output_xdp(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    __u8 buf[16];
    __builtin_memcpy(buf, p + 8, 16);
    long rc1 = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, buf, (buf[0] & 15) + 1);
    long rc2 = bpf_perf_event_output(ctx, &events, 3, buf, 4);
    p[16] = (__u8)rc1;
    p[17] = (__u8)rc2;
    return rc1 == 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
