/* perf_sample.bpf.c - xdp_sample_pkts style: a metadata header plus the first bytes of the
 * packet through bpf_perf_event_output (BPF_F_CURRENT_CPU, the packet length in the upper
 * 32 bits of the flags), and a tc program emitting a stack record. */
#include "vobj_bpf.h"

#define SAMPLE_SIZE 64ul

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(int));
    __uint(value_size, sizeof(__u32));
} samples SEC(".maps");

struct sample_meta {
    __u16 cookie;
    __u16 pkt_len;
};

SEC("xdp")
int xdp_sample_prog(struct xdp_md *ctx)
{
    void *data_end = (void *)(long)ctx->data_end;
    void *data = (void *)(long)ctx->data;
    if (data < data_end) {
        __u64 flags = BPF_F_CURRENT_CPU;
        __u16 sample_size = (__u16)(data_end - data);
        struct sample_meta meta = {.cookie = 0xdead, .pkt_len = sample_size};
        if (sample_size > SAMPLE_SIZE)
            sample_size = SAMPLE_SIZE;
        flags |= (__u64)sample_size << 32;
        bpf_perf_event_output(ctx, &samples, flags, &meta, sizeof(meta));
    }
    return XDP_PASS;
}

struct tc_record {
    __u32 ifindex;
    __u32 len;
    __u32 mark;
    __u32 hash;
};

SEC("tc")
int tc_perf_record(struct __sk_buff *skb)
{
    struct tc_record r = {
        .ifindex = skb->ifindex, .len = skb->len, .mark = skb->mark, .hash = skb->hash,
    };
    bpf_perf_event_output(skb, &samples, BPF_F_CURRENT_CPU, &r, sizeof(r));
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
