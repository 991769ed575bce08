/* progtype.h - BPF program types (the kernel's BPF_PROG_TYPE_* numbers). */
#ifndef BPFVM_PROGTYPE_H
#define BPFVM_PROGTYPE_H

#ifdef __cplusplus
extern "C" {
#endif

enum bpfvm_prog_type {
    BPFVM_PROG_TYPE_UNSPEC = 0,        /* raw bytecode: r1 = data, r2 = its length */
    BPFVM_PROG_TYPE_SOCKET_FILTER = 1,
    BPFVM_PROG_TYPE_KPROBE = 2,
    BPFVM_PROG_TYPE_SCHED_CLS = 3,
    BPFVM_PROG_TYPE_SCHED_ACT = 4,
    BPFVM_PROG_TYPE_TRACEPOINT = 5,
    BPFVM_PROG_TYPE_XDP = 6,
    BPFVM_PROG_TYPE_PERF_EVENT = 7,
    BPFVM_PROG_TYPE_CGROUP_SKB = 8,
    BPFVM_PROG_TYPE_CGROUP_SOCK = 9,
    BPFVM_PROG_TYPE_LWT_IN = 10,
    BPFVM_PROG_TYPE_LWT_OUT = 11,
    BPFVM_PROG_TYPE_LWT_XMIT = 12,
    BPFVM_PROG_TYPE_SOCK_OPS = 13,
    BPFVM_PROG_TYPE_SK_SKB = 14,
    BPFVM_PROG_TYPE_CGROUP_DEVICE = 15,
    BPFVM_PROG_TYPE_SK_MSG = 16,
    BPFVM_PROG_TYPE_RAW_TRACEPOINT = 17,
    BPFVM_PROG_TYPE_CGROUP_SOCK_ADDR = 18,
    BPFVM_PROG_TYPE_LWT_SEG6LOCAL = 19,
    BPFVM_PROG_TYPE_LIRC_MODE2 = 20,
    BPFVM_PROG_TYPE_SK_REUSEPORT = 21,
    BPFVM_PROG_TYPE_FLOW_DISSECTOR = 22,
    BPFVM_PROG_TYPE_CGROUP_SYSCTL = 23,
    BPFVM_PROG_TYPE_RAW_TRACEPOINT_WRITABLE = 24,
    BPFVM_PROG_TYPE_CGROUP_SOCKOPT = 25,
    BPFVM_PROG_TYPE_TRACING = 26,
    BPFVM_PROG_TYPE_STRUCT_OPS = 27,
    BPFVM_PROG_TYPE_EXT = 28,
    BPFVM_PROG_TYPE_LSM = 29,
    BPFVM_PROG_TYPE_SK_LOOKUP = 30,
    BPFVM_PROG_TYPE_SYSCALL = 31,
    BPFVM_PROG_TYPE_NETFILTER = 32,
};

/* "xdp", "sched_cls", "socket_filter"... (bpftool's names); NULL when unknown. */
const char *bpfvm_prog_type_name(enum bpfvm_prog_type type);
/* The type for a name as above (also "tc" and "socket"); -1 when unknown. */
int bpfvm_prog_type_from_name(const char *name);
/* Whether bpfvm can run programs of this type with their context (test runs). */
int bpfvm_prog_type_supported(enum bpfvm_prog_type type);

#ifdef __cplusplus
}
#endif
#endif
