/* ringbuf_events.bpf.c - libbpf-bootstrap style events through a BPF ring buffer: a
 * tracepoint on sched_process_exec (reserve, fill with pid and comm, submit), a tc program
 * that reserves a flow record and discards it when the packet is not IPv4, and an XDP
 * program that copies a header sample to the stack and sends it with bpf_ringbuf_output
 * (the helper does not take packet pointers). */
#include "vobj_bpf.h"

#define TASK_COMM_LEN 16

struct exec_event {
    __u32 pid;
    __u32 ppid;
    __u64 ts;
    char comm[TASK_COMM_LEN];
};

struct flow_event {
    __be32 saddr, daddr;
    __u32 len;
    __u8 proto;
    __u8 pad[3];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} rb SEC(".maps");

SEC("tp/sched/sched_process_exec")
int handle_exec(void *ctx)
{
    struct exec_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
    if (!e)
        return 0;
    e->pid = bpf_get_current_pid_tgid() >> 32;
    e->ppid = 0;
    e->ts = bpf_ktime_get_ns();
    bpf_get_current_comm(&e->comm, sizeof(e->comm));
    bpf_ringbuf_submit(e, 0);
    return 0;
}

SEC("tc")
int tc_flow_event(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    struct flow_event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
    if (!e)
        return TC_ACT_OK;
    struct ethhdr *eth = data;
    struct iphdr *iph = (void *)(eth + 1);
    if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP)) {
        bpf_ringbuf_discard(e, 0);
        return TC_ACT_OK;
    }
    e->saddr = iph->saddr;
    e->daddr = iph->daddr;
    e->len = skb->len;
    e->proto = iph->protocol;
    e->pad[0] = e->pad[1] = e->pad[2] = 0;
    bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
    return TC_ACT_OK;
}

SEC("xdp")
int xdp_sample_hdr(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 64 > data_end)
        return XDP_PASS;
    if ((bpf_get_prandom_u32() & 0xff) != 0)
        return XDP_PASS;
    __u8 sample[64];
    __builtin_memcpy(sample, data, sizeof(sample));
    bpf_ringbuf_output(&rb, sample, sizeof(sample), 0);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
