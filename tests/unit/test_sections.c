/* test_sections.c - section names to program and attach types, as libbpf (1.5) and iproute2
 * name them: the numbers are the kernel's BPF_PROG_TYPE_* and enum bpf_attach_type. */
#include "testlib.h"
#include "object/object_int.h"

static const struct {
    const char *sec;
    uint32_t type, attach;
    const char *type_name;
} cases[] = {
    {"socket", 1, 0, "socket_filter"},
    {"socket1", 1, 0, "socket_filter"},        /* samples/bpf's sloppy names */
    {"kprobe/do_sys_open", 2, 0, "kprobe"},
    {"uprobe.multi/libc.so:malloc", 2, 48, "kprobe"},
    {"ksyscall/openat", 2, 0, "kprobe"},
    {"kprobe.session/f", 2, 56, "kprobe"},
    {"tc", 3, 0, "sched_cls"},
    {"classifier", 3, 0, "sched_cls"},
    {"tc/ingress", 3, 46, "sched_cls"},
    {"tc/egress", 3, 47, "sched_cls"},
    {"tcx/ingress", 3, 46, "sched_cls"},
    {"tcx/egress", 3, 47, "sched_cls"},
    {"netkit/primary", 3, 54, "sched_cls"},
    {"netkit/peer", 3, 55, "sched_cls"},
    {"action", 4, 0, "sched_act"},
    {"tracepoint/syscalls/sys_enter_execve", 5, 0, "tracepoint"},
    {"tp/sched/sched_switch", 5, 0, "tracepoint"},
    {"xdp", 6, 37, "xdp"},
    {"xdp.frags", 6, 37, "xdp"},
    {"xdp/devmap", 6, 33, "xdp"},
    {"xdp/cpumap", 6, 35, "xdp"},
    {"perf_event", 7, 0, "perf_event"},
    {"cgroup_skb/ingress", 8, 0, "cgroup_skb"},
    {"cgroup_skb/egress", 8, 1, "cgroup_skb"},
    {"sockops", 13, 3, "sock_ops"},
    {"sk_skb/stream_verdict", 14, 5, "sk_skb"},
    {"sk_skb/verdict", 14, 38, "sk_skb"},
    {"sk_msg", 16, 7, "sk_msg"},
    {"cgroup/connect4", 18, 10, "cgroup_sock_addr"},
    {"cgroup/connect_unix", 18, 49, "cgroup_sock_addr"},
    {"cgroup/getsockname_unix", 18, 53, "cgroup_sock_addr"},
    {"flow_dissector", 22, 17, "flow_dissector"},
    {"fentry/do_unlinkat", 26, 24, "tracing"},
    {"sk_lookup", 30, 36, "sk_lookup"},
    {"netfilter", 32, 45, "netfilter"},
};

int main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct obj_sec_type t;
        obj_section_type(cases[i].sec, &t);
        CHECKF(t.known && t.prog_type == cases[i].type && !strcmp(t.type_name, cases[i].type_name),
               "'%s': type %u (%s), want %u (%s)", cases[i].sec, t.prog_type, t.type_name,
               cases[i].type, cases[i].type_name);
        CHECKF(t.attach_type == cases[i].attach, "'%s': attach %u, want %u", cases[i].sec,
               t.attach_type, cases[i].attach);
    }
    static const char *const unknown[] = {"tcx", "tcx/ingress2", "xdp2", "netkit", ".text", "maps"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        struct obj_sec_type t;
        obj_section_type(unknown[i], &t);
        CHECKF(!t.known, "'%s' should not name a program type (got %s)", unknown[i], t.type_name);
    }
    return test_summary();
}
