/* harness.h - run one program on the kernel and in bpfvm and compare r0 (low 32 bits, what
 * the kernel's test_run reports) and the output packet. */
#ifndef KDIFF_HARNESS_H
#define KDIFF_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include "bpfvm/vm.h"
#include "gen.h"

enum kdiff_status {
    KDIFF_AGREE = 0,
    KDIFF_REJECTED,   /* the kernel's verifier refused the program: not compared */
    KDIFF_MISMATCH,   /* r0 or packet differ */
    KDIFF_VM_ERROR,   /* bpfvm refused to load or faulted: a harness or bpfvm bug */
    KDIFF_KERNEL_ERROR, /* test_run failed */
};

struct kdiff_outcome {
    enum kdiff_status status;
    uint32_t kernel_ret;
    uint64_t vm_ret;
    int first_diff;           /* first differing packet byte, or -1 */
    uint32_t pkt_len;
    uint8_t kernel_pkt[KDIFF_MAX_PKT];
    uint8_t vm_pkt[KDIFF_MAX_PKT];
    char msg[512];            /* verifier reason, bpfvm error or mismatch summary */
};

/* Run body (with the prologue of `type`) over pkt on both sides. */
enum kdiff_status kdiff_run(struct bpfvm_vm *vm, enum kdiff_ptype type,
                            const struct bpfvm_insn *body, size_t body_cnt, const uint8_t *pkt,
                            uint32_t pkt_len, enum bpfvm_engine engine,
                            struct kdiff_outcome *o);

/* The same, but the bpfvm side only (for hand-written cases with expected values). */
int kdiff_run_vm(struct bpfvm_vm *vm, enum kdiff_ptype type, const struct bpfvm_insn *body,
                 size_t body_cnt, const uint8_t *pkt, uint32_t pkt_len, enum bpfvm_engine engine,
                 uint64_t *r0, uint8_t *out_pkt, char *err, size_t errlen);

/* Shrink a mismatching body: replace instructions by no-ops (goto +0) while the kernel still
 * accepts it and the two sides still disagree, then drop the no-ops.  Returns the new count. */
size_t kdiff_minimise(struct bpfvm_vm *vm, enum kdiff_ptype type, struct bpfvm_insn *body,
                      size_t body_cnt, const uint8_t *pkt, uint32_t pkt_len,
                      enum bpfvm_engine engine);

/* The last lines of a verifier log that say why (for verbose output). */
const char *kdiff_log_reason(const char *log, char *buf, size_t len);

#endif
