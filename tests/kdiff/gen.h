/* gen.h - random valid eBPF programs for kernel differential testing.
 *
 * A program is a type-specific PROLOGUE followed by a shared BODY.  The body never jumps
 * into the prologue, so the kernel version and the bpfvm version run the same body:
 *   XDP kernel:  r6 = ctx->data; r7 = ctx->data_end
 *   XDP bpfvm:   r6 = r1; r7 = r1 + r2         (r1 = packet, r2 = length)
 *   SOCKET_FILTER, both: r6 = r1                (LD_ABS/LD_IND use r6 = ctx implicitly)
 * Everything is derived from one 64-bit seed, so a seed reproduces program and packet. */
#ifndef KDIFF_GEN_H
#define KDIFF_GEN_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "bpfvm/insn.h"
#include "kernel.h"

#define KDIFF_MAX_INSNS 1024
#define KDIFF_MAX_PKT 256

/* generator flags */
#define KDIFF_GEN_NO_ATOMIC_FETCH_BRANCH (1u << 0) /* avoid known kernel bug 1 (see docs) */
#define KDIFF_GEN_CMPXCHG32_ZEXT (1u << 1)        /* w0 = w0 after cmpxchg32 (known bug 2) */
#define KDIFF_GEN_FORCE_XDP (1u << 2)
#define KDIFF_GEN_FORCE_SKF (1u << 3)

struct kdiff_prog {
    uint64_t seed;
    enum kdiff_ptype type;
    struct bpfvm_insn body[KDIFF_MAX_INSNS];
    size_t body_cnt;
    uint8_t pkt[KDIFF_MAX_PKT]; /* the packet as given to the kernel's data_in */
    uint32_t pkt_len;
};

/* Generate the program and packet of `seed`.  0, or -E2BIG when the program did not fit
 * (caller moves on to the next seed). */
int kdiff_gen(uint64_t seed, unsigned flags, struct kdiff_prog *p);

/* Assemble prologue + body for the kernel (`for_kernel`) or for bpfvm into out (capacity
 * KDIFF_MAX_INSNS + 8); returns the slot count. */
size_t kdiff_assemble(enum kdiff_ptype type, int for_kernel, const struct bpfvm_insn *body,
                      size_t body_cnt, struct bpfvm_insn *out);

/* A tiny splitmix64 generator (also used by the harness for seeds). */
uint64_t kdiff_mix64(uint64_t *state);

/* Print a whole program in kernel-style text (bpfvm's disassembler). */
void kdiff_dump(FILE *f, const struct bpfvm_insn *insns, size_t cnt);

#endif
