/* kernel.c - raw bpf(2) wrappers for the kernel oracle: BPF_PROG_LOAD with a verifier log and
 * BPF_PROG_TEST_RUN, plus a probe that tells "kernel refuses bpf()" apart from real errors. */
#define _GNU_SOURCE
#include "kernel.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long kernel_bpf(int cmd, union bpf_attr *attr)
{
#ifdef __NR_bpf
    return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
#else
    (void)cmd;
    (void)attr;
    errno = ENOSYS;
    return -1;
#endif
}

int kdiff_kernel_load(enum kdiff_ptype type, const struct bpfvm_insn *insns, size_t cnt,
                      char *log, size_t loglen)
{
    return kdiff_kernel_load_type(type == KDIFF_XDP ? BPF_PROG_TYPE_XDP : BPF_PROG_TYPE_SOCKET_FILTER,
                                  insns, cnt, log, loglen);
}

int kdiff_kernel_load_type(uint32_t prog_type, const struct bpfvm_insn *insns, size_t cnt,
                           char *log, size_t loglen)
{
    union bpf_attr attr;
    static const char license[] = "GPL";

    memset(&attr, 0, sizeof(attr));
    attr.prog_type = prog_type;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = (uint32_t)cnt;
    attr.license = (uint64_t)(uintptr_t)license;
    if (log && loglen) {
        log[0] = 0;
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = (uint32_t)loglen;
        attr.log_level = 1;
    }
    long fd = kernel_bpf(BPF_PROG_LOAD, &attr);
    if (fd < 0 && errno == ENOSPC && log) {
        /* log too small: the program was rejected anyway; keep the truncated log */
        return -EINVAL;
    }
    return fd < 0 ? -errno : (int)fd;
}

int kdiff_kernel_run(int fd, const void *in, uint32_t in_len, void *out, uint32_t *out_len,
                     uint32_t *retval)
{
    return kdiff_kernel_run_ctx(fd, in, in_len, out, out_len, NULL, retval);
}

int kdiff_kernel_run_ctx(int fd, const void *in, uint32_t in_len, void *out, uint32_t *out_len,
                         struct kdiff_ctx *ctx, uint32_t *retval)
{
    union bpf_attr attr;

    memset(&attr, 0, sizeof(attr));
    if (ctx) {
        attr.test.ctx_in = (uint64_t)(uintptr_t)ctx->in;
        attr.test.ctx_size_in = ctx->in_len;
        attr.test.ctx_out = (uint64_t)(uintptr_t)ctx->out;
        attr.test.ctx_size_out = ctx->out ? ctx->out_len : 0;
    }
    attr.test.prog_fd = (uint32_t)fd;
    attr.test.data_in = (uint64_t)(uintptr_t)in;
    attr.test.data_size_in = in_len;
    attr.test.data_out = (uint64_t)(uintptr_t)out;
    attr.test.data_size_out = out ? *out_len : 0;
    attr.test.repeat = 1;
    if (kernel_bpf(BPF_PROG_TEST_RUN, &attr) < 0)
        return -errno;
    *retval = attr.test.retval;
    if (out_len)
        *out_len = attr.test.data_size_out;
    if (ctx)
        ctx->out_len = attr.test.ctx_size_out;
    return 0;
}

int kdiff_kernel_probe(char *why, size_t whylen)
{
    /* r0 = 0; exit */
    struct bpfvm_insn prog[2];
    memset(prog, 0, sizeof(prog));
    prog[0].code = 0xb7;
    prog[1].code = 0x95;
    char log[256];
    int fd = kdiff_kernel_load(KDIFF_SOCKET_FILTER, prog, 2, log, sizeof(log));
    if (fd < 0) {
        int err = -fd;
        const char *hint = "";
        if (err == EPERM || err == EACCES)
            hint = geteuid() != 0 ? " (not root)" : " (refused: container, seccomp or lockdown)";
        else if (err == ENOSYS)
            hint = " (kernel built without BPF syscall)";
        snprintf(why, whylen, "BPF_PROG_LOAD: %s%s", strerror(err), hint);
        return -err;
    }
    uint8_t pkt[64] = {0}, out[64];
    uint32_t out_len = sizeof(out), ret = 0;
    int rc = kdiff_kernel_run(fd, pkt, sizeof(pkt), out, &out_len, &ret);
    close(fd);
    if (rc < 0) {
        snprintf(why, whylen, "BPF_PROG_TEST_RUN: %s", strerror(-rc));
        return rc;
    }
    return 0;
}
