/* known.c - recognising known kernel-oracle bugs by rerunning a neutral variant.
 *
 * cmpxchg32-r0: after a successful 32-bit cmpxchg the x86-64 JIT can leave the upper half of
 * r0 as it was (the CPU's cmpxchg does not write eax on success, so nothing zero-extends
 * rax).  RFC 9669 says r0 receives the zero-extended old value.  The variant adds `w0 = w0`
 * after every 32-bit cmpxchg (a no-op under the ISA); when the variant agrees, the mismatch
 * is this bug. */
#include "known.h"

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "isa/isa.h"

static int known_is_cmpxchg32(const struct bpfvm_insn *in)
{
    return in->code == (BPF_STX | BPF_ATOMIC | BPF_W) && in->imm == BPF_CMPXCHG;
}

size_t kdiff_zext_cmpxchg32(const struct bpfvm_insn *body, size_t cnt, struct bpfvm_insn *out,
                            size_t cap)
{
    size_t *map = malloc((cnt + 1) * sizeof(size_t));
    size_t n = 0;
    if (!map)
        return 0;
    for (size_t i = 0; i < cnt; i++) {
        map[i] = n++;
        if (known_is_cmpxchg32(&body[i]))
            n++;
    }
    map[cnt] = n;
    if (n > cap) {
        free(map);
        return 0;
    }
    for (size_t i = 0; i < cnt; i++) {
        struct bpfvm_insn in = body[i];
        uint8_t cls = ISA_CLASS(in.code), op = ISA_OP(in.code);
        int64_t here = (int64_t)map[i] + 1;
        int prev_lddw = i > 0 && isa_is_lddw(&body[i - 1]);
        if (!prev_lddw && (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_EXIT) {
            if (op == BPF_CALL) {
                if (in.src_reg == BPF_PSEUDO_CALL)
                    in.imm = (int32_t)((int64_t)map[(int64_t)i + 1 + in.imm] - here);
            } else if (in.code == ISA_JA32) {
                in.imm = (int32_t)((int64_t)map[(int64_t)i + 1 + in.imm] - here);
            } else {
                in.off = (int16_t)((int64_t)map[(int64_t)i + 1 + in.off] - here);
            }
        }
        out[map[i]] = in;
        if (known_is_cmpxchg32(&body[i]))
            out[map[i] + 1] = isa_make(BPF_ALU | BPF_MOV | BPF_X, 0, 0, 0, 0);
    }
    free(map);
    return n;
}

/* An atomic that writes its result to a register (fetch ops, xchg, cmpxchg) on a stack slot:
 * the shape of kernel bug 1 (stale slot constant after the atomic, a branch pruned). */
static int known_is_stack_fetch(const struct bpfvm_insn *in)
{
    return ISA_CLASS(in->code) == BPF_STX && ISA_MODE(in->code) == BPF_ATOMIC &&
           in->dst_reg == 10 && (in->imm & BPF_FETCH);
}

/* Kernel bug 1 has no rewrite that sidesteps it without changing the program, so the check
 * is weaker: the program has that shape, and bpfvm's interpreter and JIT (independent
 * implementations) agree with each other.  Counted apart from real failures, and documented
 * with two minimised cases in docs/kernel-oracle.md. */
static const char *known_stack_fetch(struct bpfvm_vm *vm, enum kdiff_ptype type,
                                     const struct bpfvm_insn *body, size_t body_cnt,
                                     const uint8_t *pkt, uint32_t pkt_len)
{
    int has = 0;
    for (size_t i = 0; i < body_cnt && !has; i++)
        has = known_is_stack_fetch(&body[i]);
    struct kdiff_outcome *a = has ? malloc(sizeof(*a)) : NULL, *b = a ? malloc(sizeof(*b)) : NULL;
    const char *name = NULL;
    if (b && kdiff_run(vm, type, body, body_cnt, pkt, pkt_len, BPFVM_ENGINE_INTERP, a) == KDIFF_MISMATCH &&
        kdiff_run(vm, type, body, body_cnt, pkt, pkt_len, BPFVM_ENGINE_JIT, b) == KDIFF_MISMATCH &&
        a->vm_ret == b->vm_ret && !memcmp(a->vm_pkt, b->vm_pkt, a->pkt_len))
        name = "stack-atomic-precision";
    free(a);
    free(b);
    return name;
}

const char *kdiff_known_bug(struct bpfvm_vm *vm, enum kdiff_ptype type,
                            const struct bpfvm_insn *body, size_t body_cnt, const uint8_t *pkt,
                            uint32_t pkt_len, enum bpfvm_engine engine)
{
    const char *name = NULL;
    int has = 0;
    for (size_t i = 0; i < body_cnt && !has; i++)
        has = known_is_cmpxchg32(&body[i]);
    if (!has)
        return known_stack_fetch(vm, type, body, body_cnt, pkt, pkt_len);
    struct bpfvm_insn *v = malloc(KDIFF_MAX_INSNS * sizeof(*v));
    struct kdiff_outcome *o = malloc(sizeof(*o));
    size_t n = v && o ? kdiff_zext_cmpxchg32(body, body_cnt, v, KDIFF_MAX_INSNS) : 0;
    if (n && kdiff_run(vm, type, body, body_cnt, pkt, pkt_len, engine, o) == KDIFF_MISMATCH &&
        kdiff_run(vm, type, v, n, pkt, pkt_len, engine, o) == KDIFF_AGREE)
        name = "cmpxchg32-r0";
    free(v);
    free(o);
    return name ? name : known_stack_fetch(vm, type, body, body_cnt, pkt, pkt_len);
}
