/* ctx_access.c - find and rewrite context accesses without the verifier.  A forward
 * data-flow pass over the control-flow graph computes, per instruction, the set of
 * registers that hold the context pointer on every path (r1 at entry, copies, across
 * bpf-to-bpf calls); loads and stores through them are context accesses.  The rewrite then
 * maps each UAPI field to bpfvm's layout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm_internal.h"
#include "isa/isa.h"
#include "progtype/progtype.h"

#define ALL_REGS 0x7ffu
#define UNVISITED 0xffffu

/* The set of registers holding ctx after executing `in` with `set` before it. */
static uint16_t transfer(const struct bpfvm_insn *in, uint16_t set)
{
    uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
    uint16_t d = (uint16_t)(1u << in->dst_reg);
    switch (cls) {
    case BPF_ALU64:
        if (op == BPF_MOV && ISA_SRC(in->code) == BPF_X && in->off == 0)
            return (uint16_t)((set & ~d) | ((set >> in->src_reg) & 1u) << in->dst_reg);
        return (uint16_t)(set & ~d);
    case BPF_ALU:
    case BPF_LDX:
        return (uint16_t)(set & ~d);
    case BPF_LD:
        if (in->code == ISA_LDDW)
            return (uint16_t)(set & ~d);
        return (uint16_t)(set & ~0x3fu); /* LD_ABS/IND: r0-r5 clobbered */
    case BPF_STX:
        if (ISA_MODE(in->code) == BPF_ATOMIC) {
            if (in->imm == BPF_CMPXCHG)
                return (uint16_t)(set & ~1u);
            if (in->imm & BPF_FETCH)
                return (uint16_t)(set & ~(1u << in->src_reg));
            if (in->imm == BPF_LOAD_ACQ)
                return (uint16_t)(set & ~d);
        }
        return set;
    case BPF_JMP:
        if (op == BPF_CALL)
            return (uint16_t)(set & ~0x3fu); /* r0-r5 clobbered by any call */
        return set;
    default:
        return set;
    }
}

int progtype_find_ctx_accesses(const struct bpfvm_insn *insns, size_t cnt, bool *ctx_access)
{
    uint16_t *in_set = malloc(cnt * sizeof(uint16_t));
    size_t *work = malloc(cnt * sizeof(size_t));
    bool *queued = calloc(cnt, sizeof(bool));
    if (!in_set || !work || !queued) {
        free(in_set);
        free(work);
        free(queued);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cnt; i++)
        in_set[i] = UNVISITED;
    size_t nwork = 0;
#define MEET(t, s)                                                                            \
    do {                                                                                      \
        size_t t_ = (t);                                                                      \
        uint16_t old_ = in_set[t_], new_ = old_ == UNVISITED ? (uint16_t)(s) : (uint16_t)(old_ & (s)); \
        if (t_ < cnt && new_ != old_) {                                                       \
            in_set[t_] = new_;                                                                \
            if (!queued[t_]) {                                                                \
                queued[t_] = true;                                                            \
                work[nwork++] = t_;                                                           \
            }                                                                                 \
        }                                                                                     \
    } while (0)
    MEET(0, 1u << 1);
    while (nwork) {
        size_t pc = work[--nwork];
        queued[pc] = false;
        const struct bpfvm_insn *in = &insns[pc];
        uint16_t set = in_set[pc], out = transfer(in, set);
        uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
        size_t next = pc + (in->code == ISA_LDDW ? 2 : 1);
        if (cls == BPF_JMP || cls == BPF_JMP32) {
            if (op == BPF_EXIT)
                continue;
            if (op == BPF_CALL && in->src_reg == BPF_PSEUDO_CALL && ISA_SRC(in->code) == BPF_K) {
                /* the callee starts with the caller's argument registers (r1-r5) */
                MEET(pc + 1 + (size_t)(int64_t)in->imm, set & 0x3eu);
                MEET(next, out);
                continue;
            }
            if (op == BPF_JA) {
                int64_t rel = cls == BPF_JMP32 ? in->imm : in->off;
                MEET((size_t)((int64_t)pc + 1 + rel), out);
                continue;
            }
            if (op != BPF_CALL)
                MEET((size_t)((int64_t)pc + 1 + in->off), out);
        }
        if (next < cnt)
            MEET(next, out);
    }
#undef MEET
    for (size_t pc = 0; pc < cnt; pc++) {
        const struct bpfvm_insn *in = &insns[pc];
        uint8_t cls = ISA_CLASS(in->code);
        uint16_t set = in_set[pc] == UNVISITED ? 0 : in_set[pc];
        int base = cls == BPF_LDX ? in->src_reg : (cls == BPF_ST || cls == BPF_STX) ? in->dst_reg : -1;
        ctx_access[pc] = base >= 0 && (set >> base) & 1u;
        if (in->code == ISA_LDDW)
            ctx_access[++pc] = false;
    }
    free(in_set);
    free(work);
    free(queued);
    return 0;
}

int progtype_rewrite_ctx(const struct progtype *pt, struct bpfvm_insn *insns, size_t cnt,
                         const bool *ctx_access, char *err, size_t errlen)
{
    for (size_t pc = 0; pc < cnt; pc++) {
        if (!ctx_access[pc])
            continue;
        struct bpfvm_insn *in = &insns[pc];
        uint8_t cls = ISA_CLASS(in->code);
        int size = isa_size_bytes(in->code);
        bool write = cls != BPF_LDX;
        if (in->off < 0)
            return vm_errorf(err, errlen, EACCES, "pc %zu: invalid bpf_context access off=%d size=%d",
                             pc, in->off, size);
        const struct progtype_field *f = progtype_field_at(pt, (uint32_t)in->off, (uint32_t)size);
        bool ok = f && ISA_MODE(in->code) != BPF_ATOMIC && ISA_MODE(in->code) != BPF_MEMSX &&
                  progtype_access_allowed(f->off, f->size, f->kind == PT_FIELD_SCALAR, f->narrow,
                                          f->access & PT_READ, f->access & PT_WRITE,
                                          (uint32_t)in->off, (uint32_t)size, write);
        if (!ok)
            return vm_errorf(err, errlen, EACCES, "pc %zu: invalid bpf_context access off=%d size=%d%s%s%s",
                             pc, in->off, size, f ? " (field " : "", f ? f->name : "", f ? ")" : "");
        if (f->kind != PT_FIELD_SCALAR) { /* a packet pointer: 8 bytes in bpfvm's context */
            in->code = (uint8_t)(BPF_LDX | BPF_MEM | BPF_DW);
            in->off = (int16_t)f->native_off;
        } else {
            in->off = (int16_t)(f->native_off + (in->off - f->off));
        }
    }
    return 0;
}
