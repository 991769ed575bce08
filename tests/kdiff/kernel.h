/* kernel.h - the running Linux kernel as a BPF oracle: load a program through the raw bpf()
 * syscall (no libbpf) and test-run it once over a packet. */
#ifndef KDIFF_KERNEL_H
#define KDIFF_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include "bpfvm/insn.h"

enum kdiff_ptype {
    KDIFF_SOCKET_FILTER = 0,
    KDIFF_XDP = 1,
};

/* 0 when bpf() can load and run programs here; otherwise a negative errno and a reason in
 * `why` (not root, seccomp/container refusal, no BPF in the kernel). */
int kdiff_kernel_probe(char *why, size_t whylen);

/* Load: returns a program fd (>= 0) or a negative errno; on rejection the verifier log (when
 * `log` is given) holds the kernel's reasons. */
int kdiff_kernel_load(enum kdiff_ptype type, const struct bpfvm_insn *insns, size_t cnt,
                      char *log, size_t loglen);

/* One test run (repeat = 1).  `out` receives up to *out_len bytes of data_out; *out_len then
 * holds the kernel's data_size_out.  *retval is the kernel's 32-bit retval.  0 or -errno. */
int kdiff_kernel_run(int fd, const void *in, uint32_t in_len, void *out, uint32_t *out_len,
                     uint32_t *retval);

/* Any program type (the kernel's BPF_PROG_TYPE_* number). */
int kdiff_kernel_load_type(uint32_t prog_type, const struct bpfvm_insn *insns, size_t cnt,
                           char *log, size_t loglen);

/* A test run with a context in and out (out_len: capacity in, size out). */
struct kdiff_ctx {
    const void *in;
    uint32_t in_len;
    void *out;
    uint32_t out_len;
};
int kdiff_kernel_run_ctx(int fd, const void *in, uint32_t in_len, void *out, uint32_t *out_len,
                         struct kdiff_ctx *ctx, uint32_t *retval);

#endif
