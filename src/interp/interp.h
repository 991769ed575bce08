/* interp.h - the interpreter: pre-decoding to threaded code and the run loops. */
#ifndef BPFVM_INTERP_H
#define BPFVM_INTERP_H

#include <stdint.h>
#include "core/vm_internal.h"
#include "isa/isa.h"
#include "core/exec.h"

/* One pre-decoded slot: the handler address (direct threading) and the operands.  The slot
 * after a lddw holds the 64-bit constant in imm64. */
struct interp_insn {
    const void *h;
    union {
        struct {
            uint8_t dst, src;
            int16_t off;
            int32_t imm;
        };
        uint64_t imm64;
    };
};

/* Run-loop variants: checked (memory checks) x counted (instruction budget). */
enum interp_variant { INTERP_FAST, INTERP_COUNTED, INTERP_CHECKED, INTERP_CHECKED_COUNTED,
                      INTERP_NVARIANTS };

struct interp_code {
    uint16_t *ops;                                 /* op per slot (cnt + 1 with the sentinel) */
    struct interp_insn *threaded[INTERP_NVARIANTS]; /* per variant, built at load */
};


/* Decode prog->insns (already checked by the loader) into prog->interp. */
int interp_prepare(struct bpfvm_prog *prog, char *err, size_t errlen);
void interp_free(struct interp_code *code);

/* Run st->prog once (st prepared by exec_init).  0, -errno, or EXEC_TAIL. */
int interp_run(struct bpfvm_exec *st, uint64_t *r0);

/* Label tables of the run-loop variants (index: enum interp_op). */
const void *const *interp_labels(enum interp_variant v);


#endif
