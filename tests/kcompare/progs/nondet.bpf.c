/* Helpers whose values differ between runs: the clocks, jiffies, prandom, the CPU and NUMA
 * node, and the current task (pid/tgid, uid/gid, comm).  Values go to ARRAY maps named nd_*
 * which the driver checks for properties instead of comparing bytes. */
#include "kc_bpf.h"
#include "kc_common.h"

struct nd_time {
    __u64 mono0, mono1, boot, coarse, jiffies, rnd0, rnd1, cpu, numa;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct nd_time);
} nd_time SEC(".maps");

struct nd_task {
    __u64 pid_tgid, uid_gid;
    __s64 comm_rc, comm5_rc;
    char comm[16];
    char comm5[8];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct nd_task);
} task SEC(".maps");

SEC("tc") int nd_clocks(struct __sk_buff *skb)
{
    __u32 zero = 0;
    struct nd_time *t = bpf_map_lookup_elem(&nd_time, &zero);
    if (!t)
        return 1;
    t->mono0 = bpf_ktime_get_ns();
    t->boot = bpf_ktime_get_boot_ns();
    t->coarse = bpf_ktime_get_coarse_ns();
    t->jiffies = bpf_jiffies64();
    t->rnd0 = bpf_get_prandom_u32();
    t->rnd1 = bpf_get_prandom_u32();
    t->cpu = bpf_get_smp_processor_id();
    t->numa = bpf_get_numa_node_id();
    t->mono1 = bpf_ktime_get_ns();
    return 0;
}

SEC("tc") int nd_current_task(struct __sk_buff *skb)
{
    __u32 zero = 0;
    struct nd_task *t = bpf_map_lookup_elem(&task, &zero);
    if (!t)
        return 1;
    t->pid_tgid = bpf_get_current_pid_tgid();
    t->uid_gid = bpf_get_current_uid_gid();
    t->comm_rc = bpf_get_current_comm(t->comm, sizeof(t->comm));
    t->comm5_rc = bpf_get_current_comm(t->comm5, 5);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
