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
    return vkernel_map_create_ex(type, key, value, max, -1, -1);
}

/* BTF for "int key; struct val { ...; struct bpf_spin_lock l at lock_off; ... }":
 * type 1 int, 2 struct bpf_spin_lock { int val; }, 3 struct val of `value` bytes. */
static int btf_spin_lock_value(uint32_t value, int lock_off)
{
    static const char strs[] = "\0int\0bpf_spin_lock\0val\0l";
    enum { S_INT = 1, S_LOCK = 5, S_VAL = 19, S_L = 23 };
    uint32_t types[] = {
        S_INT, 1u << 24, 4, (1u << 24) | 32,       /* int: signed, 32 bits */
        S_LOCK, (4u << 24) | 1, 4, S_VAL, 1, 0,    /* struct bpf_spin_lock { int val; } */
        S_VAL, (4u << 24) | 1, value, S_L, 2, (uint32_t)lock_off * 8,
    };
    struct {
        uint16_t magic;
        uint8_t version, flags;
        uint32_t hdr_len, type_off, type_len, str_off, str_len;
    } hdr = {0xeb9f, 1, 0, 24, 0, sizeof(types), sizeof(types), sizeof(strs)};
    uint8_t blob[24 + sizeof(types) + sizeof(strs)];
    memcpy(blob, &hdr, 24);
    memcpy(blob + 24, types, sizeof(types));
    memcpy(blob + 24 + sizeof(types), strs, sizeof(strs));
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.btf = (uint64_t)(uintptr_t)blob;
    a.btf_size = sizeof(blob);
    long fd = vk_bpf(BPF_BTF_LOAD, &a);
    return fd < 0 ? -errno : (int)fd;
}

int vkernel_map_create_ex(uint32_t type, uint32_t key, uint32_t value, uint32_t max, int lock_off,
                          int inner_fd)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = type;
    a.key_size = key;
    a.value_size = value;
    a.max_entries = max;
    int btf = -1;
    if (lock_off >= 0) {
        if ((btf = btf_spin_lock_value(value, lock_off)) < 0)
            return btf;
        a.btf_fd = (uint32_t)btf;
        a.btf_key_type_id = 1;
        a.btf_value_type_id = 3;
    }
    if (inner_fd >= 0)
        a.inner_map_fd = (uint32_t)inner_fd;
    long fd = vk_bpf(BPF_MAP_CREATE, &a);
    int err = errno;
    if (btf >= 0)
        close(btf);
    return fd < 0 ? -err : (int)fd;
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
