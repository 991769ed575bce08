/* sections.c - what a program section's name says about the program: libbpf's conventions
 * ("xdp", "tc", "socket", "kprobe/...", "cgroup_skb/ingress", ...) and iproute2's ("classifier",
 * "action", numbered tail-call sections "X/Y").  Types are the kernel's BPF_PROG_TYPE_* and
 * attach types the kernel's enum bpf_attach_type numbers. */
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

/* EXACT: "name"; PREFIX: "name" or "name/anything"; SLOPPY: any name starting with "name"
 * (the old libbpf rule samples/bpf relies on: "socket1", "socket_xyz") */
enum { SEC_EXACT = 1, SEC_PREFIX = 2, SEC_SLOPPY = 3 };

struct sec_def {
    const char *name;
    uint32_t type, attach;
    int match;
};

/* Program types and attach types newer than the build host's <linux/bpf.h> may be (Debian
 * 12 has Linux 6.1's): the kernel's numbers. */
enum {
    SEC_PROG_TYPE_NETFILTER = 32,
    SEC_ATTACH_NETFILTER = 45,
    SEC_ATTACH_TCX_INGRESS = 46,
    SEC_ATTACH_TCX_EGRESS = 47,
    SEC_ATTACH_UPROBE_MULTI = 48,
    SEC_ATTACH_UNIX_CONNECT = 49,
    SEC_ATTACH_UNIX_SENDMSG = 50,
    SEC_ATTACH_UNIX_RECVMSG = 51,
    SEC_ATTACH_UNIX_GETPEERNAME = 52,
    SEC_ATTACH_UNIX_GETSOCKNAME = 53,
    SEC_ATTACH_NETKIT_PRIMARY = 54,
    SEC_ATTACH_NETKIT_PEER = 55,
    SEC_ATTACH_KPROBE_SESSION = 56,
    SEC_ATTACH_UPROBE_SESSION = 57,
};

#define X(n, t, a, m) {n, BPF_PROG_TYPE_##t, a, m}
static const struct sec_def sec_defs[] = {
    X("socket", SOCKET_FILTER, 0, SEC_SLOPPY),
    X("sk_reuseport/migrate", SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, SEC_EXACT),
    X("sk_reuseport", SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, SEC_EXACT),
    X("kprobe", KPROBE, 0, SEC_PREFIX),
    X("uprobe", KPROBE, 0, SEC_PREFIX),
    X("uprobe.s", KPROBE, 0, SEC_PREFIX),
    X("kretprobe", KPROBE, 0, SEC_PREFIX),
    X("uretprobe", KPROBE, 0, SEC_PREFIX),
    X("uretprobe.s", KPROBE, 0, SEC_PREFIX),
    X("kprobe.multi", KPROBE, BPF_TRACE_KPROBE_MULTI, SEC_PREFIX),
    X("kretprobe.multi", KPROBE, BPF_TRACE_KPROBE_MULTI, SEC_PREFIX),
    X("usdt", KPROBE, 0, SEC_PREFIX),
    X("uprobe.multi", KPROBE, SEC_ATTACH_UPROBE_MULTI, SEC_PREFIX),
    X("uretprobe.multi", KPROBE, SEC_ATTACH_UPROBE_MULTI, SEC_PREFIX),
    X("uprobe.multi.s", KPROBE, SEC_ATTACH_UPROBE_MULTI, SEC_PREFIX),
    X("uretprobe.multi.s", KPROBE, SEC_ATTACH_UPROBE_MULTI, SEC_PREFIX),
    X("kprobe.session", KPROBE, SEC_ATTACH_KPROBE_SESSION, SEC_PREFIX),
    X("uprobe.session", KPROBE, SEC_ATTACH_UPROBE_SESSION, SEC_PREFIX),
    X("ksyscall", KPROBE, 0, SEC_PREFIX),
    X("kretsyscall", KPROBE, 0, SEC_PREFIX),
    X("tc/ingress", SCHED_CLS, SEC_ATTACH_TCX_INGRESS, SEC_EXACT),
    X("tc/egress", SCHED_CLS, SEC_ATTACH_TCX_EGRESS, SEC_EXACT),
    X("tcx/ingress", SCHED_CLS, SEC_ATTACH_TCX_INGRESS, SEC_EXACT),
    X("tcx/egress", SCHED_CLS, SEC_ATTACH_TCX_EGRESS, SEC_EXACT),
    X("netkit/primary", SCHED_CLS, SEC_ATTACH_NETKIT_PRIMARY, SEC_EXACT),
    X("netkit/peer", SCHED_CLS, SEC_ATTACH_NETKIT_PEER, SEC_EXACT),
    X("tc", SCHED_CLS, 0, SEC_PREFIX),
    X("classifier", SCHED_CLS, 0, SEC_PREFIX),
    X("action", SCHED_ACT, 0, SEC_PREFIX),
    X("tracepoint", TRACEPOINT, 0, SEC_PREFIX),
    X("tp", TRACEPOINT, 0, SEC_PREFIX),
    X("raw_tracepoint", RAW_TRACEPOINT, 0, SEC_PREFIX),
    X("raw_tp", RAW_TRACEPOINT, 0, SEC_PREFIX),
    X("raw_tracepoint.w", RAW_TRACEPOINT_WRITABLE, 0, SEC_PREFIX),
    X("raw_tp.w", RAW_TRACEPOINT_WRITABLE, 0, SEC_PREFIX),
    X("tp_btf", TRACING, BPF_TRACE_RAW_TP, SEC_PREFIX),
    X("fentry", TRACING, BPF_TRACE_FENTRY, SEC_PREFIX),
    X("fmod_ret", TRACING, BPF_MODIFY_RETURN, SEC_PREFIX),
    X("fexit", TRACING, BPF_TRACE_FEXIT, SEC_PREFIX),
    X("fentry.s", TRACING, BPF_TRACE_FENTRY, SEC_PREFIX),
    X("fmod_ret.s", TRACING, BPF_MODIFY_RETURN, SEC_PREFIX),
    X("fexit.s", TRACING, BPF_TRACE_FEXIT, SEC_PREFIX),
    X("freplace", EXT, 0, SEC_PREFIX),
    X("lsm", LSM, BPF_LSM_MAC, SEC_PREFIX),
    X("lsm.s", LSM, BPF_LSM_MAC, SEC_PREFIX),
    X("lsm_cgroup", LSM, BPF_LSM_CGROUP, SEC_PREFIX),
    X("iter", TRACING, BPF_TRACE_ITER, SEC_PREFIX),
    X("iter.s", TRACING, BPF_TRACE_ITER, SEC_PREFIX),
    X("syscall", SYSCALL, 0, SEC_EXACT),
    X("xdp.frags/devmap", XDP, BPF_XDP_DEVMAP, SEC_EXACT),
    X("xdp/devmap", XDP, BPF_XDP_DEVMAP, SEC_EXACT),
    X("xdp.frags/cpumap", XDP, BPF_XDP_CPUMAP, SEC_EXACT),
    X("xdp/cpumap", XDP, BPF_XDP_CPUMAP, SEC_EXACT),
    X("xdp.frags", XDP, BPF_XDP, SEC_EXACT),
    X("xdp", XDP, BPF_XDP, SEC_PREFIX),
    X("perf_event", PERF_EVENT, 0, SEC_EXACT),
    X("lwt_in", LWT_IN, 0, SEC_EXACT),
    X("lwt_out", LWT_OUT, 0, SEC_EXACT),
    X("lwt_xmit", LWT_XMIT, 0, SEC_EXACT),
    X("lwt_seg6local", LWT_SEG6LOCAL, 0, SEC_EXACT),
    X("sockops", SOCK_OPS, BPF_CGROUP_SOCK_OPS, SEC_EXACT),
    X("sk_skb/stream_parser", SK_SKB, BPF_SK_SKB_STREAM_PARSER, SEC_EXACT),
    X("sk_skb/stream_verdict", SK_SKB, BPF_SK_SKB_STREAM_VERDICT, SEC_EXACT),
    X("sk_skb/verdict", SK_SKB, BPF_SK_SKB_VERDICT, SEC_EXACT),
    X("sk_skb", SK_SKB, 0, SEC_PREFIX),
    X("sk_msg", SK_MSG, BPF_SK_MSG_VERDICT, SEC_EXACT),
    X("lirc_mode2", LIRC_MODE2, BPF_LIRC_MODE2, SEC_EXACT),
    X("flow_dissector", FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, SEC_EXACT),
    X("cgroup_skb/ingress", CGROUP_SKB, BPF_CGROUP_INET_INGRESS, SEC_EXACT),
    X("cgroup_skb/egress", CGROUP_SKB, BPF_CGROUP_INET_EGRESS, SEC_EXACT),
    X("cgroup/skb", CGROUP_SKB, 0, SEC_EXACT),
    X("cgroup/sock_create", CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, SEC_EXACT),
    X("cgroup/sock_release", CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE, SEC_EXACT),
    X("cgroup/sock", CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, SEC_EXACT),
    X("cgroup/post_bind4", CGROUP_SOCK, BPF_CGROUP_INET4_POST_BIND, SEC_EXACT),
    X("cgroup/post_bind6", CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND, SEC_EXACT),
    X("cgroup/bind4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND, SEC_EXACT),
    X("cgroup/bind6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND, SEC_EXACT),
    X("cgroup/connect4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, SEC_EXACT),
    X("cgroup/connect6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT, SEC_EXACT),
    X("cgroup/sendmsg4", CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG, SEC_EXACT),
    X("cgroup/sendmsg6", CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG, SEC_EXACT),
    X("cgroup/recvmsg4", CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG, SEC_EXACT),
    X("cgroup/recvmsg6", CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, SEC_EXACT),
    X("cgroup/getpeername4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME, SEC_EXACT),
    X("cgroup/getpeername6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETPEERNAME, SEC_EXACT),
    X("cgroup/getsockname4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETSOCKNAME, SEC_EXACT),
    X("cgroup/getsockname6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETSOCKNAME, SEC_EXACT),
    X("cgroup/connect_unix", CGROUP_SOCK_ADDR, SEC_ATTACH_UNIX_CONNECT, SEC_EXACT),
    X("cgroup/sendmsg_unix", CGROUP_SOCK_ADDR, SEC_ATTACH_UNIX_SENDMSG, SEC_EXACT),
    X("cgroup/recvmsg_unix", CGROUP_SOCK_ADDR, SEC_ATTACH_UNIX_RECVMSG, SEC_EXACT),
    X("cgroup/getpeername_unix", CGROUP_SOCK_ADDR, SEC_ATTACH_UNIX_GETPEERNAME, SEC_EXACT),
    X("cgroup/getsockname_unix", CGROUP_SOCK_ADDR, SEC_ATTACH_UNIX_GETSOCKNAME, SEC_EXACT),
    X("cgroup/sysctl", CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, SEC_EXACT),
    X("cgroup/getsockopt", CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, SEC_EXACT),
    X("cgroup/setsockopt", CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT, SEC_EXACT),
    X("cgroup/dev", CGROUP_DEVICE, BPF_CGROUP_DEVICE, SEC_EXACT),
    X("struct_ops", STRUCT_OPS, 0, SEC_PREFIX),
    X("struct_ops.s", STRUCT_OPS, 0, SEC_PREFIX),
    X("sk_lookup", SK_LOOKUP, BPF_SK_LOOKUP, SEC_EXACT),
    {"netfilter", SEC_PROG_TYPE_NETFILTER, SEC_ATTACH_NETFILTER, SEC_EXACT},
};
#undef X

static const char *const type_names[] = {
    "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
    "perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops",
    "sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr",
    "lwt_seg6local", "lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl",
    "raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm",
    "sk_lookup", "syscall", "netfilter",
};

const char *obj_prog_type_name(uint32_t t)
{
    return t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "unknown";
}

bool obj_section_tail_call(const char *sec, uint32_t *map_id, uint32_t *key)
{
    char *end;
    if (*sec < '0' || *sec > '9')
        return false;
    unsigned long a = strtoul(sec, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9' || a > UINT32_MAX)
        return false;
    unsigned long b = strtoul(end + 1, &end, 10);
    if (*end || b > UINT32_MAX)
        return false;
    *map_id = (uint32_t)a;
    *key = (uint32_t)b;
    return true;
}

void obj_section_type(const char *sec, struct obj_sec_type *out)
{
    memset(out, 0, sizeof(*out));
    out->type_name = "unspec";
    for (size_t i = 0; i < sizeof(sec_defs) / sizeof(sec_defs[0]); i++) {
        const struct sec_def *d = &sec_defs[i];
        size_t n = strlen(d->name);
        if (strncmp(sec, d->name, n))
            continue;
        if (sec[n] && d->match != SEC_SLOPPY && !(d->match == SEC_PREFIX && sec[n] == '/'))
            continue;
        out->prog_type = d->type;
        out->attach_type = d->attach;
        out->type_name = obj_prog_type_name(d->type);
        out->known = true;
        return;
    }
    uint32_t a, b;
    if (obj_section_tail_call(sec, &a, &b)) {
        /* iproute2 loads tail-call sections with the type of the object's main program;
         * object.c replaces this with that type when there is one */
        out->prog_type = BPF_PROG_TYPE_SCHED_CLS;
        out->type_name = obj_prog_type_name(out->prog_type);
        out->known = true;
    }
}
