/* table.c - the registry of program types and their names. */
#include <string.h>

#include "progtype/progtype.h"

extern const struct progtype progtype_socket_filter, progtype_sched_cls, progtype_sched_act,
    progtype_cgroup_skb, progtype_xdp;

static const struct progtype *const progtypes[] = {
    &progtype_socket_filter, &progtype_sched_cls, &progtype_sched_act, &progtype_cgroup_skb,
    &progtype_xdp,
};

/* bpftool's names, by kernel number */
static const char *const type_names[] = {
    "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp",
    "perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops",
    "sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local",
    "lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable",
    "cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

const struct progtype *progtype_get(enum bpfvm_prog_type type)
{
    for (size_t i = 0; i < sizeof(progtypes) / sizeof(progtypes[0]); i++)
        if (progtypes[i]->type == type)
            return progtypes[i];
    return NULL;
}

const struct progtype_field *progtype_field_at(const struct progtype *pt, uint32_t off,
                                               uint32_t size)
{
    for (size_t i = 0; i < pt->nfields; i++) {
        const struct progtype_field *f = &pt->fields[i];
        if (off >= f->off && off + size <= (uint32_t)f->off + f->size)
            return f;
    }
    return NULL;
}

const char *bpfvm_prog_type_name(enum bpfvm_prog_type type)
{
    return (unsigned)type < NTYPES ? type_names[type] : NULL;
}

int bpfvm_prog_type_from_name(const char *name)
{
    if (!name)
        return -1;
    if (!strcmp(name, "tc") || !strcmp(name, "classifier"))
        return BPFVM_PROG_TYPE_SCHED_CLS;
    if (!strcmp(name, "action"))
        return BPFVM_PROG_TYPE_SCHED_ACT;
    if (!strcmp(name, "socket"))
        return BPFVM_PROG_TYPE_SOCKET_FILTER;
    if (!strcmp(name, "raw") || !strcmp(name, "none"))
        return BPFVM_PROG_TYPE_UNSPEC;
    for (size_t i = 0; i < NTYPES; i++)
        if (!strcmp(name, type_names[i]))
            return (int)i;
    return -1;
}

int bpfvm_prog_type_supported(enum bpfvm_prog_type type)
{
    return type == BPFVM_PROG_TYPE_UNSPEC || progtype_get(type) != NULL;
}
