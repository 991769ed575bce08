/* disasm.c - eBPF disassembler: prints instructions in the kernel / llvm-objdump syntax or in
 * the bpf_conformance syntax, such that assembling the text gives back the identical bytes.
 *
 * Every field of every instruction that Linux 6.18 / RFC 9669 accepts is printed; any slot that
 * has a field no printed form can carry (unknown opcode, reserved field set, register above r10,
 * lddw without its second slot) is printed as `.8byte 0x<64-bit little-endian value>` (the
 * encoding of the conformance `-- raw` section: the low byte is the opcode), which the assembler
 * reads back as that exact slot, and the call returns -EINVAL. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/asm.h"
#include "isa/isa.h"
#include "isa/opnames.h"

enum disasm_kind {
    DISASM_BAD = -1,
    DISASM_ALU,      /* binary ALU op incl. mov and sdiv/smod (off=1) */
    DISASM_NEG,
    DISASM_MOVSX,
    DISASM_ASCAST,   /* addr_space_cast: ALU64 MOV X, off=1 */
    DISASM_END,
    DISASM_JA,
    DISASM_JA32,
    DISASM_MAY_GOTO,
    DISASM_JCC,
    DISASM_CALL,
    DISASM_CALL_LOCAL,
    DISASM_KFUNC,
    DISASM_CALLX,
    DISASM_EXIT,
    DISASM_LDX,
    DISASM_LDXSX,
    DISASM_ST,
    DISASM_STX,
    DISASM_ATOMIC,   /* add/or/and/xor, with or without fetch */
    DISASM_XCHG,
    DISASM_CMPXCHG,
    DISASM_LOAD_ACQ,
    DISASM_STORE_REL,
    DISASM_LDDW,
    DISASM_LDABS,
    DISASM_LDIND,
};

static int disasm_alu_kind(const struct bpfvm_insn *in)
{
    uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
    int x = ISA_SRC(in->code) != 0;

    if (op == BPF_END) {
        if (cls == BPF_ALU64 && x)
            return DISASM_BAD;
        if (in->src_reg || in->off || (in->imm != 16 && in->imm != 32 && in->imm != 64))
            return DISASM_BAD;
        return DISASM_END;
    }
    if (op == BPF_NEG)
        return (x || in->src_reg || in->off || in->imm) ? DISASM_BAD : DISASM_NEG;
    if (op > BPF_ARSH)
        return DISASM_BAD;
    if (op == BPF_MOV && x && cls == BPF_ALU64 && in->off == 1)
        return DISASM_ASCAST;
    if (x ? in->imm != 0 : in->src_reg != 0)
        return DISASM_BAD;
    if (in->off == 0)
        return DISASM_ALU;
    if ((op == BPF_DIV || op == BPF_MOD) && in->off == 1)
        return DISASM_ALU;
    if (op == BPF_MOV && x &&
        (in->off == 8 || in->off == 16 || (in->off == 32 && cls == BPF_ALU64)))
        return DISASM_MOVSX;
    return DISASM_BAD;
}

static int disasm_jmp_kind(const struct bpfvm_insn *in)
{
    uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
    int x = ISA_SRC(in->code) != 0;

    switch (op) {
    case BPF_JA:
        if (x || in->dst_reg || in->src_reg)
            return DISASM_BAD;
        if (cls == BPF_JMP)
            return in->imm ? DISASM_BAD : DISASM_JA;
        return in->off ? DISASM_BAD : DISASM_JA32;
    case BPF_CALL:
        if (cls == BPF_JMP32)
            return DISASM_BAD;
        if (x)
            return (in->src_reg || in->off || in->imm) ? DISASM_BAD : DISASM_CALLX;
        if (in->dst_reg)
            return DISASM_BAD;
        if (in->src_reg == 0 && in->off == 0)
            return DISASM_CALL;
        if (in->src_reg == BPF_PSEUDO_CALL && in->off == 0)
            return DISASM_CALL_LOCAL;
        if (in->src_reg == BPF_PSEUDO_KFUNC_CALL)
            return DISASM_KFUNC;
        return DISASM_BAD;
    case BPF_EXIT:
        if (cls == BPF_JMP32 || x || in->dst_reg || in->src_reg || in->off || in->imm)
            return DISASM_BAD;
        return DISASM_EXIT;
    case BPF_JCOND:
        if (cls == BPF_JMP32 || x || in->dst_reg || in->src_reg || in->imm)
            return DISASM_BAD;
        return DISASM_MAY_GOTO;
    case 0xf0:
        return DISASM_BAD;
    default:
        if (x ? in->imm != 0 : in->src_reg != 0)
            return DISASM_BAD;
        return DISASM_JCC;
    }
}

static int disasm_atomic_kind(const struct bpfvm_insn *in)
{
    uint8_t size = ISA_SIZE(in->code);

    if (in->imm == BPF_LOAD_ACQ)
        return DISASM_LOAD_ACQ;
    if (in->imm == BPF_STORE_REL)
        return DISASM_STORE_REL;
    if (size != BPF_W && size != BPF_DW)
        return DISASM_BAD;
    switch (in->imm & ~BPF_FETCH) {
    case BPF_ADD: case BPF_OR: case BPF_AND: case BPF_XOR:
        return DISASM_ATOMIC;
    default:
        break;
    }
    if (in->imm == BPF_XCHG)
        return DISASM_XCHG;
    if (in->imm == BPF_CMPXCHG)
        return DISASM_CMPXCHG;
    return DISASM_BAD;
}

static int disasm_kind(const struct bpfvm_insn *in, size_t avail)
{
    uint8_t mode = ISA_MODE(in->code), size = ISA_SIZE(in->code);

    if (in->dst_reg > 10 || in->src_reg > 10)
        return DISASM_BAD;
    switch (ISA_CLASS(in->code)) {
    case BPF_ALU:
    case BPF_ALU64:
        return disasm_alu_kind(in);
    case BPF_JMP:
    case BPF_JMP32:
        return disasm_jmp_kind(in);
    case BPF_LDX:
        if (in->imm)
            return DISASM_BAD;
        if (mode == BPF_MEM)
            return DISASM_LDX;
        if (mode == BPF_MEMSX && size != BPF_DW)
            return DISASM_LDXSX;
        return DISASM_BAD;
    case BPF_ST:
        return (mode == BPF_MEM && in->src_reg == 0) ? DISASM_ST : DISASM_BAD;
    case BPF_STX:
        if (mode == BPF_MEM)
            return in->imm ? DISASM_BAD : DISASM_STX;
        if (mode == BPF_ATOMIC)
            return disasm_atomic_kind(in);
        return DISASM_BAD;
    default: /* BPF_LD */
        if (in->code == ISA_LDDW) {
            const struct bpfvm_insn *hi = in + 1;
            if (avail < 2 || in->off || in->src_reg > BPF_PSEUDO_MAP_IDX_VALUE)
                return DISASM_BAD;
            if (hi->code || hi->dst_reg || hi->src_reg || hi->off)
                return DISASM_BAD;
            if (hi->imm && (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_FUNC ||
                            in->src_reg == BPF_PSEUDO_MAP_IDX))
                return DISASM_BAD;
            return DISASM_LDDW;
        }
        if ((mode != BPF_ABS && mode != BPF_IND) || size == BPF_DW)
            return DISASM_BAD;
        if (in->dst_reg || in->off)
            return DISASM_BAD;
        if (mode == BPF_ABS)
            return in->src_reg ? DISASM_BAD : DISASM_LDABS;
        return DISASM_LDIND;
    }
}

/* Bounded append into a caller's buffer. */
struct disasm_out {
    char *buf;
    size_t len, cap;
};

static void disasm_put(struct disasm_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void disasm_put(struct disasm_out *o, const char *fmt, ...)
{
    va_list ap;
    if (!o->buf || o->cap == 0)
        return;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
    if (o->len >= o->cap)
        o->len = o->cap - 1;
}

/* "(r1 + 4)" / "(r10 - 8)" */
static void disasm_llvm_mem(struct disasm_out *o, int reg, int off)
{
    disasm_put(o, "(r%d %c %d)", reg, off < 0 ? '-' : '+', off < 0 ? -off : off);
}

/* "[%r1+4]" / "[%r10-8]" */
static void disasm_conf_mem(struct disasm_out *o, int reg, int off)
{
    disasm_put(o, "[%%r%d%+d]", reg, off);
}

static const char *disasm_end_name(const struct bpfvm_insn *in)
{
    if (ISA_CLASS(in->code) == BPF_ALU64)
        return "bswap";
    return ISA_SRC(in->code) == BPF_TO_BE ? "be" : "le";
}

static uint64_t disasm_lddw_value(const struct bpfvm_insn *in)
{
    return (uint64_t)(uint32_t)in[0].imm | ((uint64_t)(uint32_t)in[1].imm << 32);
}

static void disasm_print_llvm(struct disasm_out *o, const struct bpfvm_insn *in, int kind)
{
    uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
    char w = (cls == BPF_ALU || cls == BPF_JMP32) ? 'w' : 'r';
    const char *ty = opnames_size_type(ISA_SIZE(in->code));
    int d = in->dst_reg, s = in->src_reg;

    switch (kind) {
    case DISASM_ALU:
        disasm_put(o, "%c%d %s%s ", w, d, in->off == 1 ? "s" : "", opnames_alu_llvm(op));
        if (ISA_SRC(in->code))
            disasm_put(o, "%c%d", w, s);
        else
            disasm_put(o, "%" PRId32, in->imm);
        break;
    case DISASM_NEG:
        disasm_put(o, "%c%d = -%c%d", w, d, w, d);
        break;
    case DISASM_MOVSX:
        disasm_put(o, "%c%d = (s%d)%c%d", w, d, in->off, w, s);
        break;
    case DISASM_ASCAST:
        disasm_put(o, "r%d = addr_space_cast(r%d, %u, %u)", d, s,
                   (unsigned)((uint32_t)in->imm >> 16), (unsigned)((uint32_t)in->imm & 0xffff));
        break;
    case DISASM_END:
        disasm_put(o, "r%d = %s%" PRId32 " r%d", d, disasm_end_name(in), in->imm, d);
        break;
    case DISASM_JA:
        disasm_put(o, "goto %+d", in->off);
        break;
    case DISASM_JA32:
        disasm_put(o, "gotol %+" PRId32, in->imm);
        break;
    case DISASM_MAY_GOTO:
        disasm_put(o, "may_goto %+d", in->off);
        break;
    case DISASM_JCC:
        disasm_put(o, "if %c%d %s ", w, d, opnames_jmp_llvm(op));
        if (ISA_SRC(in->code))
            disasm_put(o, "%c%d", w, s);
        else
            disasm_put(o, "%" PRId32, in->imm);
        disasm_put(o, " goto %+d", in->off);
        break;
    case DISASM_CALL:
        disasm_put(o, "call %" PRId32, in->imm);
        break;
    case DISASM_CALL_LOCAL:
        disasm_put(o, "call pc%+" PRId32, in->imm);
        break;
    case DISASM_KFUNC:
        disasm_put(o, "call kfunc %" PRId32, in->imm);
        if (in->off)
            disasm_put(o, ", %d", in->off);
        break;
    case DISASM_CALLX:
        disasm_put(o, "callx r%d", d);
        break;
    case DISASM_EXIT:
        disasm_put(o, "exit");
        break;
    case DISASM_LDX:
    case DISASM_LDXSX:
        disasm_put(o, "r%d = *(%s%u *)", d, kind == DISASM_LDXSX ? "s" : "u",
                   opnames_size_bits(ISA_SIZE(in->code)));
        disasm_llvm_mem(o, s, in->off);
        break;
    case DISASM_ST:
        disasm_put(o, "*(%s *)", ty);
        disasm_llvm_mem(o, d, in->off);
        disasm_put(o, " = %" PRId32, in->imm);
        break;
    case DISASM_STX:
        disasm_put(o, "*(%s *)", ty);
        disasm_llvm_mem(o, d, in->off);
        disasm_put(o, " = r%d", s);
        break;
    case DISASM_ATOMIC: {
        char rw = ISA_SIZE(in->code) == BPF_DW ? 'r' : 'w';
        if (in->imm & BPF_FETCH) {
            disasm_put(o, "%c%d = atomic_fetch_%s((%s *)", rw, s,
                       opnames_atomic_conf(in->imm & ~BPF_FETCH), ty);
            disasm_llvm_mem(o, d, in->off);
            disasm_put(o, ", %c%d)", rw, s);
        } else {
            disasm_put(o, "lock *(%s *)", ty);
            disasm_llvm_mem(o, d, in->off);
            disasm_put(o, " %s %c%d", opnames_atomic_llvm(in->imm), rw, s);
        }
        break;
    }
    case DISASM_XCHG:
    case DISASM_CMPXCHG: {
        int dw = ISA_SIZE(in->code) == BPF_DW;
        char rw = dw ? 'r' : 'w';
        int off = in->off;
        if (kind == DISASM_XCHG)
            disasm_put(o, "%c%d = %s(r%d %c %d, %c%d)", rw, s, dw ? "xchg_64" : "xchg32_32", d,
                       off < 0 ? '-' : '+', off < 0 ? -off : off, rw, s);
        else
            disasm_put(o, "%c0 = %s(r%d %c %d, %c0, %c%d)", rw, dw ? "cmpxchg_64" : "cmpxchg32_32",
                       d, off < 0 ? '-' : '+', off < 0 ? -off : off, rw, rw, s);
        break;
    }
    case DISASM_LOAD_ACQ:
        disasm_put(o, "%c%d = load_acquire((%s *)", ISA_SIZE(in->code) == BPF_DW ? 'r' : 'w', d,
                   ty);
        disasm_llvm_mem(o, s, in->off);
        disasm_put(o, ")");
        break;
    case DISASM_STORE_REL:
        disasm_put(o, "store_release((%s *)", ty);
        disasm_llvm_mem(o, d, in->off);
        disasm_put(o, ", %c%d)", ISA_SIZE(in->code) == BPF_DW ? 'r' : 'w', s);
        break;
    case DISASM_LDDW:
        disasm_put(o, "r%d = ", d);
        switch (s) {
        case 0:
            disasm_put(o, "0x%" PRIx64, disasm_lddw_value(in));
            break;
        case BPF_PSEUDO_MAP_FD:
        case BPF_PSEUDO_MAP_IDX:
            disasm_put(o, "map[%s:%" PRId32 "]", s == BPF_PSEUDO_MAP_FD ? "fd" : "idx", in->imm);
            break;
        case BPF_PSEUDO_MAP_VALUE:
        case BPF_PSEUDO_MAP_IDX_VALUE:
            disasm_put(o, "map[%s:%" PRId32 "][0]+%" PRIu32,
                       s == BPF_PSEUDO_MAP_VALUE ? "fd" : "idx", in->imm, (uint32_t)in[1].imm);
            break;
        case BPF_PSEUDO_BTF_ID:
            disasm_put(o, "btf_id[%" PRId32 "]", in->imm);
            if (in[1].imm)
                disasm_put(o, "[fd:%" PRId32 "]", in[1].imm);
            break;
        default: /* BPF_PSEUDO_FUNC */
            disasm_put(o, "func[pc%+" PRId32 "]", in->imm);
            break;
        }
        disasm_put(o, " ll");
        break;
    case DISASM_LDABS:
        disasm_put(o, "r0 = *(%s *)skb[%" PRId32 "]", ty, in->imm);
        break;
    case DISASM_LDIND: {
        int64_t v = in->imm;
        disasm_put(o, "r0 = *(%s *)skb[r%d %c %" PRId64 "]", ty, s, v < 0 ? '-' : '+',
                   v < 0 ? -v : v);
        break;
    }
    default:
        break;
    }
}

static void disasm_print_conf(struct disasm_out *o, const struct bpfvm_insn *in, int kind)
{
    uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
    const char *sfx32 = (cls == BPF_ALU || cls == BPF_JMP32) ? "32" : "";
    const char *sz = opnames_size_suffix(ISA_SIZE(in->code));
    int d = in->dst_reg, s = in->src_reg;

    switch (kind) {
    case DISASM_ALU:
        disasm_put(o, "%s%s%s %%r%d, ", in->off == 1 ? "s" : "", opnames_alu_conf(op), sfx32, d);
        if (ISA_SRC(in->code))
            disasm_put(o, "%%r%d", s);
        else
            disasm_put(o, "%" PRId32, in->imm);
        break;
    case DISASM_NEG:
        disasm_put(o, "neg%s %%r%d", sfx32, d);
        break;
    case DISASM_MOVSX:
        disasm_put(o, "movsx%d%s %%r%d, %%r%d", in->off, cls == BPF_ALU ? "32" : "64", d, s);
        break;
    case DISASM_ASCAST:
        disasm_put(o, "addr_space_cast %%r%d, %%r%d, %u, %u", d, s,
                   (unsigned)((uint32_t)in->imm >> 16), (unsigned)((uint32_t)in->imm & 0xffff));
        break;
    case DISASM_END:
        disasm_put(o, "%s%" PRId32 " %%r%d", disasm_end_name(in), in->imm, d);
        break;
    case DISASM_JA:
        disasm_put(o, "ja %+d", in->off);
        break;
    case DISASM_JA32:
        disasm_put(o, "ja32 %+" PRId32, in->imm);
        break;
    case DISASM_MAY_GOTO:
        disasm_put(o, "may_goto %+d", in->off);
        break;
    case DISASM_JCC:
        disasm_put(o, "%s%s %%r%d, ", opnames_jmp_conf(op), sfx32, d);
        if (ISA_SRC(in->code))
            disasm_put(o, "%%r%d", s);
        else
            disasm_put(o, "%" PRId32, in->imm);
        disasm_put(o, ", %+d", in->off);
        break;
    case DISASM_CALL:
        disasm_put(o, "call %" PRId32, in->imm);
        break;
    case DISASM_CALL_LOCAL:
        disasm_put(o, "call local %+" PRId32, in->imm);
        break;
    case DISASM_KFUNC:
        disasm_put(o, "call runtime %" PRId32, in->imm);
        if (in->off)
            disasm_put(o, ", %d", in->off);
        break;
    case DISASM_CALLX:
        disasm_put(o, "call %%r%d", d);
        break;
    case DISASM_EXIT:
        disasm_put(o, "exit");
        break;
    case DISASM_LDX:
    case DISASM_LDXSX:
        disasm_put(o, "ldx%s%s %%r%d, ", kind == DISASM_LDXSX ? "s" : "", sz, d);
        disasm_conf_mem(o, s, in->off);
        break;
    case DISASM_ST:
        disasm_put(o, "st%s ", sz);
        disasm_conf_mem(o, d, in->off);
        disasm_put(o, ", %" PRId32, in->imm);
        break;
    case DISASM_STX:
        disasm_put(o, "stx%s ", sz);
        disasm_conf_mem(o, d, in->off);
        disasm_put(o, ", %%r%d", s);
        break;
    case DISASM_ATOMIC:
    case DISASM_XCHG:
    case DISASM_CMPXCHG: {
        const char *name = kind == DISASM_XCHG      ? "xchg"
                           : kind == DISASM_CMPXCHG ? "cmpxchg"
                                                    : opnames_atomic_conf(in->imm & ~BPF_FETCH);
        int fetch = kind == DISASM_ATOMIC && (in->imm & BPF_FETCH);
        disasm_put(o, "lock %s%s%s ", fetch ? "fetch " : "", name,
                   ISA_SIZE(in->code) == BPF_W ? "32" : "");
        disasm_conf_mem(o, d, in->off);
        disasm_put(o, ", %%r%d", s);
        break;
    }
    case DISASM_LOAD_ACQ:
        disasm_put(o, "ldacq%s %%r%d, ", sz, d);
        disasm_conf_mem(o, s, in->off);
        break;
    case DISASM_STORE_REL:
        disasm_put(o, "strel%s ", sz);
        disasm_conf_mem(o, d, in->off);
        disasm_put(o, ", %%r%d", s);
        break;
    case DISASM_LDDW:
        disasm_put(o, "lddw %%r%d, ", d);
        switch (s) {
        case 0:
            disasm_put(o, "0x%" PRIx64, disasm_lddw_value(in));
            break;
        case BPF_PSEUDO_FUNC:
            disasm_put(o, "func %+" PRId32, in->imm);
            break;
        case BPF_PSEUDO_MAP_VALUE:
        case BPF_PSEUDO_MAP_IDX_VALUE:
            disasm_put(o, "%s %" PRId32 ", %" PRIu32, opnames_pseudo_conf(s), in->imm,
                       (uint32_t)in[1].imm);
            break;
        default:
            disasm_put(o, "%s %" PRId32, opnames_pseudo_conf(s), in->imm);
            if (in[1].imm) /* only BPF_PSEUDO_BTF_ID may carry one: the BTF object fd */
                disasm_put(o, ", %" PRId32, in[1].imm);
            break;
        }
        break;
    case DISASM_LDABS:
        disasm_put(o, "ldabs%s %" PRId32, sz, in->imm);
        break;
    case DISASM_LDIND:
        disasm_put(o, "ldind%s %%r%d, %" PRId32, sz, s, in->imm);
        break;
    default:
        break;
    }
}

int bpfvm_disasm_insn(const struct bpfvm_insn *insns, size_t avail, enum bpfvm_syntax syntax,
                      char *buf, size_t buflen)
{
    struct disasm_out o = {buf, 0, buflen};

    if (buf && buflen)
        buf[0] = '\0';
    if (!insns || avail == 0)
        return -EINVAL;
    int kind = disasm_kind(insns, avail);
    if (kind == DISASM_BAD) {
        uint8_t b[8];
        uint64_t v = 0;
        isa_encode(insns, b);
        for (int i = 7; i >= 0; i--)
            v = (v << 8) | b[i];
        disasm_put(&o, ".8byte 0x%016" PRIx64, v);
        return -EINVAL;
    }
    if (syntax == BPFVM_SYNTAX_CONFORMANCE)
        disasm_print_conf(&o, insns, kind);
    else
        disasm_print_llvm(&o, insns, kind);
    return kind == DISASM_LDDW ? 2 : 1;
}

char *bpfvm_disasm(const struct bpfvm_insn *insns, size_t cnt, enum bpfvm_syntax syntax,
                   int numbered)
{
    size_t cap = 256 + cnt * 48, len = 0;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    text[0] = '\0';
    for (size_t i = 0; i < cnt;) {
        char line[160];
        int n = bpfvm_disasm_insn(insns + i, cnt - i, syntax, line, sizeof(line));
        size_t need = strlen(line) + 32;
        if (len + need > cap) {
            size_t ncap = cap * 2 + need;
            char *t = realloc(text, ncap);
            if (!t) {
                free(text);
                return NULL;
            }
            text = t;
            cap = ncap;
        }
        if (numbered)
            len += (size_t)snprintf(text + len, cap - len, "%4zu: %s\n", i, line);
        else
            len += (size_t)snprintf(text + len, cap - len, "%s\n", line);
        i += n > 0 ? (size_t)n : 1;
    }
    return text;
}
