/* decode.c - pre-decode checked instructions into the interpreter's threaded form: one op
 * per slot (specialised by operand form), then a handler-address array per run variant. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "interp/ops.h"

/* ALU op field (high nibble) -> op pair (K form; X form is K + 1) for 64 and 32 bits. */
static const int16_t alu_ops64[16] = {
    [BPF_ADD >> 4] = IOP_ADD64_K, [BPF_SUB >> 4] = IOP_SUB64_K, [BPF_MUL >> 4] = IOP_MUL64_K,
    [BPF_DIV >> 4] = IOP_DIV64_K, [BPF_OR >> 4] = IOP_OR64_K,   [BPF_AND >> 4] = IOP_AND64_K,
    [BPF_LSH >> 4] = IOP_LSH64_K, [BPF_RSH >> 4] = IOP_RSH64_K, [BPF_MOD >> 4] = IOP_MOD64_K,
    [BPF_XOR >> 4] = IOP_XOR64_K, [BPF_MOV >> 4] = IOP_MOV64_K, [BPF_ARSH >> 4] = IOP_ARSH64_K,
};
static const int16_t alu_ops32[16] = {
    [BPF_ADD >> 4] = IOP_ADD32_K, [BPF_SUB >> 4] = IOP_SUB32_K, [BPF_MUL >> 4] = IOP_MUL32_K,
    [BPF_DIV >> 4] = IOP_DIV32_K, [BPF_OR >> 4] = IOP_OR32_K,   [BPF_AND >> 4] = IOP_AND32_K,
    [BPF_LSH >> 4] = IOP_LSH32_K, [BPF_RSH >> 4] = IOP_RSH32_K, [BPF_MOD >> 4] = IOP_MOD32_K,
    [BPF_XOR >> 4] = IOP_XOR32_K, [BPF_MOV >> 4] = IOP_MOV32_K, [BPF_ARSH >> 4] = IOP_ARSH32_K,
};
/* Conditional jump op field -> K-form op (X form is K + 1). */
static const int16_t jmp_ops64[16] = {
    [BPF_JEQ >> 4] = IOP_JEQ64_K,   [BPF_JNE >> 4] = IOP_JNE64_K,   [BPF_JGT >> 4] = IOP_JGT64_K,
    [BPF_JGE >> 4] = IOP_JGE64_K,   [BPF_JLT >> 4] = IOP_JLT64_K,   [BPF_JLE >> 4] = IOP_JLE64_K,
    [BPF_JSGT >> 4] = IOP_JSGT64_K, [BPF_JSGE >> 4] = IOP_JSGE64_K, [BPF_JSLT >> 4] = IOP_JSLT64_K,
    [BPF_JSLE >> 4] = IOP_JSLE64_K, [BPF_JSET >> 4] = IOP_JSET64_K,
};
static const int16_t jmp_ops32[16] = {
    [BPF_JEQ >> 4] = IOP_JEQ32_K,   [BPF_JNE >> 4] = IOP_JNE32_K,   [BPF_JGT >> 4] = IOP_JGT32_K,
    [BPF_JGE >> 4] = IOP_JGE32_K,   [BPF_JLT >> 4] = IOP_JLT32_K,   [BPF_JLE >> 4] = IOP_JLE32_K,
    [BPF_JSGT >> 4] = IOP_JSGT32_K, [BPF_JSGE >> 4] = IOP_JSGE32_K, [BPF_JSLT >> 4] = IOP_JSLT32_K,
    [BPF_JSLE >> 4] = IOP_JSLE32_K, [BPF_JSET >> 4] = IOP_JSET32_K,
};
/* size field index (W, H, B, DW) -> op */
static const uint8_t ldx_ops[4] = {IOP_LDXW, IOP_LDXH, IOP_LDXB, IOP_LDXDW};
static const uint8_t ldxsx_ops[4] = {IOP_LDXSW, IOP_LDXSH, IOP_LDXSB, 0};
static const uint8_t st_ops[4] = {IOP_STW, IOP_STH, IOP_STB, IOP_STDW};
static const uint8_t stx_ops[4] = {IOP_STXW, IOP_STXH, IOP_STXB, IOP_STXDW};
static const uint8_t ldacq_ops[4] = {IOP_LDACQW, IOP_LDACQH, IOP_LDACQB, IOP_LDACQDW};
static const uint8_t strel_ops[4] = {IOP_STRELW, IOP_STRELH, IOP_STRELB, IOP_STRELDW};
static const uint8_t ldabs_ops[4] = {IOP_LDABSW, IOP_LDABSH, IOP_LDABSB, 0};
static const uint8_t ldind_ops[4] = {IOP_LDINDW, IOP_LDINDH, IOP_LDINDB, 0};

static int atomic_op(int32_t imm, int is64)
{
    int base = is64 ? IOP_AADD64 : IOP_AADD32;
    switch (imm) {
    case BPF_ADD: return base + 0;
    case BPF_OR: return base + 1;
    case BPF_AND: return base + 2;
    case BPF_XOR: return base + 3;
    case BPF_ADD | BPF_FETCH: return base + 4;
    case BPF_OR | BPF_FETCH: return base + 5;
    case BPF_AND | BPF_FETCH: return base + 6;
    case BPF_XOR | BPF_FETCH: return base + 7;
    case BPF_XCHG: return base + 8;
    case BPF_CMPXCHG: return base + 9;
    }
    return -1;
}

static int end_op(const struct bpfvm_insn *in)
{
    int swap, w = in->imm;
    if (ISA_CLASS(in->code) == BPF_ALU64) {
        swap = 1; /* bswap */
    } else {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        swap = ISA_SRC(in->code) == BPF_TO_BE;
#else
        swap = ISA_SRC(in->code) == BPF_TO_LE;
#endif
    }
    if (swap)
        return w == 16 ? IOP_SWAP16 : w == 32 ? IOP_SWAP32 : IOP_SWAP64;
    return w == 16 ? IOP_TRUNC16 : w == 32 ? IOP_TRUNC32 : IOP_NOP;
}

static int alu_op(const struct bpfvm_insn *in)
{
    int is64 = ISA_CLASS(in->code) == BPF_ALU64, x = ISA_SRC(in->code) == BPF_X;
    uint8_t op = ISA_OP(in->code);
    switch (op) {
    case BPF_END: return end_op(in);
    case BPF_NEG: return is64 ? IOP_NEG64 : IOP_NEG32;
    case BPF_MOV:
        if (in->off == 8) return is64 ? IOP_MOVSX8_64 : IOP_MOVSX8_32;
        if (in->off == 16) return is64 ? IOP_MOVSX16_64 : IOP_MOVSX16_32;
        if (in->off == 32) return IOP_MOVSX32_64;
        break;
    case BPF_DIV:
        if (in->off == 1) return (is64 ? IOP_SDIV64_K : IOP_SDIV32_K) + x;
        break;
    case BPF_MOD:
        if (in->off == 1) return (is64 ? IOP_SMOD64_K : IOP_SMOD32_K) + x;
        break;
    }
    return (is64 ? alu_ops64 : alu_ops32)[op >> 4] + x;
}

/* The op for one (already validated) instruction. */
static int decode_op(const struct bpfvm_insn *in)
{
    int size = ISA_SIZE(in->code) >> 3;
    switch (ISA_CLASS(in->code)) {
    case BPF_ALU:
    case BPF_ALU64:
        return alu_op(in);
    case BPF_JMP:
    case BPF_JMP32: {
        uint8_t op = ISA_OP(in->code);
        int x = ISA_SRC(in->code) == BPF_X;
        if (op == BPF_JA) return IOP_JA;
        if (op == BPF_CALL) return x ? IOP_CALLX : in->src_reg == BPF_PSEUDO_CALL ? IOP_CALL_LOCAL : IOP_CALL;
        if (op == BPF_EXIT) return IOP_EXIT;
        if (op == BPF_JCOND) return IOP_MAY_GOTO;
        return (ISA_CLASS(in->code) == BPF_JMP ? jmp_ops64 : jmp_ops32)[op >> 4] + x;
    }
    case BPF_LDX:
        return ISA_MODE(in->code) == BPF_MEMSX ? ldxsx_ops[size] : ldx_ops[size];
    case BPF_ST:
        return st_ops[size];
    case BPF_STX:
        if (ISA_MODE(in->code) == BPF_ATOMIC) {
            if (in->imm == BPF_LOAD_ACQ) return ldacq_ops[size];
            if (in->imm == BPF_STORE_REL) return strel_ops[size];
            return atomic_op(in->imm, ISA_SIZE(in->code) == BPF_DW);
        }
        return stx_ops[size];
    case BPF_LD:
        if (in->code == ISA_LDDW) return IOP_LDDW;
        return (ISA_MODE(in->code) == BPF_ABS ? ldabs_ops : ldind_ops)[size];
    }
    return -1;
}

/* The fused op for slots pc, pc+1 (`rX = rY; rX op= K`), or -1.  Only slot pc's handler
 * changes: code that jumps straight to pc+1 still finds that slot's own handler. */
static int fused_op(const struct bpfvm_prog *prog, const uint16_t *ops, size_t pc)
{
    static const int16_t fused[IOP__COUNT] = {
        [IOP_ADD64_K] = IOP_MOVX_ADDK + 1, [IOP_SUB64_K] = IOP_MOVX_SUBK + 1,
        [IOP_AND64_K] = IOP_MOVX_ANDK + 1, [IOP_OR64_K] = IOP_MOVX_ORK + 1,
        [IOP_XOR64_K] = IOP_MOVX_XORK + 1, [IOP_LSH64_K] = IOP_MOVX_LSHK + 1,
        [IOP_RSH64_K] = IOP_MOVX_RSHK + 1, [IOP_ARSH64_K] = IOP_MOVX_ARSHK + 1,
        [IOP_MUL64_K] = IOP_MOVX_MULK + 1,
    }; /* + 1 so that 0 means "none" */
    if (pc + 1 >= prog->cnt || ops[pc] != IOP_MOV64_X)
        return -1;
    const struct bpfvm_insn *a = &prog->insns[pc], *b = &prog->insns[pc + 1];
    if (a->dst_reg != b->dst_reg || !fused[ops[pc + 1]])
        return -1;
    return fused[ops[pc + 1]] - 1;
}

static struct interp_insn *thread_variant(const struct bpfvm_prog *prog, const uint16_t *ops,
                                          enum interp_variant v)
{
    bool fuse = v == INTERP_FAST || v == INTERP_CHECKED; /* counted runs count every slot */
    const void *const *labels = interp_labels(v);
    struct interp_insn *t = calloc(prog->cnt + 1, sizeof(*t));
    if (!t)
        return NULL;
    for (size_t i = 0; i <= prog->cnt; i++) {
        if (i < prog->cnt && i > 0 && prog->insns[i - 1].code == ISA_LDDW && ops[i - 1] == IOP_LDDW) {
            /* second slot of lddw: the full 64-bit constant */
            t[i].imm64 = prog->lddw_value[i - 1];
            t[i].h = labels[IOP_FALLOFF];
            continue;
        }
        const struct bpfvm_insn *in = &prog->insns[i];
        int f = fuse && i < prog->cnt ? fused_op(prog, ops, i) : -1;
        t[i].h = labels[f >= 0 ? f : ops[i]];
        if (i == prog->cnt)
            continue;
        t[i].dst = in->dst_reg;
        t[i].src = in->src_reg;
        t[i].off = in->off;
        t[i].imm = in->imm;
        if (in->code == ISA_JA) /* unify ja and gotol: the target offset lives in imm */
            t[i].imm = in->off;
    }
    return t;
}

int interp_prepare(struct bpfvm_prog *prog, char *err, size_t errlen)
{
    struct interp_code *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->ops = calloc(prog->cnt + 1, sizeof(uint16_t));
    if (!c->ops)
        goto nomem;
    for (size_t i = 0; i < prog->cnt; i++) {
        int op = decode_op(&prog->insns[i]);
        if (op < 0) {
            interp_free(c);
            return vm_errorf(err, errlen, EINVAL, "pc %zu: cannot decode opcode 0x%02x", i,
                             prog->insns[i].code);
        }
        c->ops[i] = (uint16_t)op;
        if (op == IOP_LDDW)
            c->ops[++i] = IOP_FALLOFF;
    }
    c->ops[prog->cnt] = IOP_FALLOFF;
    enum interp_variant base = (prog->flags & BPFVM_LOAD_CHECKED) ? INTERP_CHECKED : INTERP_FAST;
    for (int v = base; v <= (int)base + 1; v++)
        if (!(c->threaded[v] = thread_variant(prog, c->ops, (enum interp_variant)v)))
            goto nomem;
    prog->interp = c;
    return 0;
nomem:
    interp_free(c);
    return vm_errorf(err, errlen, ENOMEM, "out of memory decoding the program");
}

void interp_free(struct interp_code *c)
{
    if (!c)
        return;
    for (int v = 0; v < INTERP_NVARIANTS; v++)
        free(c->threaded[v]);
    free(c->ops);
    free(c);
}
