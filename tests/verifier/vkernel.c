/* vkernel.c - the running kernel's verifier as oracle for tests/verifier: BPF_MAP_CREATE and
 * BPF_PROG_LOAD (any program type, log level 1) through the raw bpf() syscall. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vkernel.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long vk_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

int vkernel_map_create(uint32_t type, uint32_t key, uint32_t value, uint32_t max)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = type;
    a.key_size = key;
    a.value_size = value;
    a.max_entries = max;
    long fd = vk_bpf(BPF_MAP_CREATE, &a);
    return fd < 0 ? -errno : (int)fd;
}

int vkernel_prog_load(uint32_t type, const struct bpfvm_insn *insns, size_t cnt, char *log,
                      size_t loglen, uint32_t log_level)
{
    union bpf_attr a;
    static const char license[] = "GPL";
    memset(&a, 0, sizeof(a));
    a.prog_type = type;
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = (uint32_t)cnt;
    a.license = (uint64_t)(uintptr_t)license;
    if (log && loglen) {
        log[0] = 0;
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = (uint32_t)loglen;
        a.log_level = log_level;
    }
    long fd = vk_bpf(BPF_PROG_LOAD, &a);
    return fd < 0 ? -errno : (int)fd;
}
