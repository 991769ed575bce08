/* dis.c - a small kernel-style printer for the instructions the generator emits, so that
 * mismatch reports and docs/kernel-oracle.md carry readable minimal programs. */
#include <stdio.h>

#include "gen.h"
#include "isa/isa.h"

static const char *dis_alu_op(const struct bpfvm_insn *in)
{
    switch (ISA_OP(in->code)) {
    case BPF_ADD: return "+=";
    case BPF_SUB: return "-=";
    case BPF_MUL: return "*=";
    case BPF_DIV: return in->off ? "s/=" : "/=";
    case BPF_OR: return "|=";
    case BPF_AND: return "&=";
    case BPF_LSH: return "<<=";
    case BPF_RSH: return ">>=";
    case BPF_MOD: return in->off ? "s%=" : "%=";
    case BPF_XOR: return "^=";
    case BPF_MOV: return "=";
    case BPF_ARSH: return "s>>=";
    default: return "?=";
    }
}

static const char *dis_jmp_op(uint8_t op)
{
    switch (op) {
    case BPF_JEQ: return "==";
    case BPF_JGT: return ">";
    case BPF_JGE: return ">=";
    case BPF_JSET: return "&";
    case BPF_JNE: return "!=";
    case BPF_JSGT: return "s>";
    case BPF_JSGE: return "s>=";
    case BPF_JLT: return "<";
    case BPF_JLE: return "<=";
    case BPF_JSLT: return "s<";
    case BPF_JSLE: return "s<=";
    default: return "?";
    }
}

static const char *dis_size(uint8_t code)
{
    switch (ISA_SIZE(code)) {
    case BPF_B: return "u8";
    case BPF_H: return "u16";
    case BPF_W: return "u32";
    default: return "u64";
    }
}

int kdiff_disasm_insn(const struct bpfvm_insn *in, size_t avail, char *buf, size_t len)
{
    uint8_t cls = ISA_CLASS(in->code);
    char r = (cls == BPF_ALU || cls == BPF_JMP32) ? 'w' : 'r';
    int d = in->dst_reg, s = in->src_reg;
    const char *sgn = in->off < 0 ? "-" : "+";
    int aoff = in->off < 0 ? -in->off : in->off;

    if (in->code == ISA_LDDW && avail >= 2) {
        uint64_t v = (uint32_t)in->imm | ((uint64_t)(uint32_t)in[1].imm << 32);
        snprintf(buf, len, "r%d = 0x%llx ll", d, (unsigned long long)v);
        return 2;
    }
    switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
        if (ISA_OP(in->code) == BPF_NEG)
            snprintf(buf, len, "%c%d = -%c%d", r, d, r, d);
        else if (ISA_OP(in->code) == BPF_END)
            snprintf(buf, len, "r%d = %s%d r%d", d,
                     cls == BPF_ALU64 ? "bswap" : ISA_SRC(in->code) ? "be" : "le", in->imm, d);
        else if (ISA_OP(in->code) == BPF_MOV && ISA_SRC(in->code) && in->off)
            snprintf(buf, len, "%c%d = (s%d)%c%d", r, d, in->off, r, s);
        else if (ISA_SRC(in->code))
            snprintf(buf, len, "%c%d %s %c%d", r, d, dis_alu_op(in), r, s);
        else
            snprintf(buf, len, "%c%d %s %d", r, d, dis_alu_op(in), in->imm);
        return 1;
    case BPF_JMP:
    case BPF_JMP32:
        if (in->code == ISA_EXIT)
            snprintf(buf, len, "exit");
        else if (in->code == ISA_CALL)
            snprintf(buf, len, in->src_reg == BPF_PSEUDO_CALL ? "call pc%+d" : "call %d",
                     in->imm);
        else if (in->code == ISA_JA)
            snprintf(buf, len, "goto %+d", in->off);
        else if (in->code == ISA_JA32)
            snprintf(buf, len, "gotol %+d", in->imm);
        else if (ISA_SRC(in->code))
            snprintf(buf, len, "if %c%d %s %c%d goto %+d", r, d, dis_jmp_op(ISA_OP(in->code)), r,
                     s, in->off);
        else
            snprintf(buf, len, "if %c%d %s %d goto %+d", r, d, dis_jmp_op(ISA_OP(in->code)),
                     in->imm, in->off);
        return 1;
    case BPF_LDX:
        snprintf(buf, len, "r%d = *(%s%s *)(r%d %s %d)", d, ISA_MODE(in->code) == BPF_MEMSX ? "s" : "",
                 dis_size(in->code) + (ISA_MODE(in->code) == BPF_MEMSX), s, sgn, aoff);
        return 1;
    case BPF_ST:
        snprintf(buf, len, "*(%s *)(r%d %s %d) = %d", dis_size(in->code), d, sgn, aoff, in->imm);
        return 1;
    case BPF_STX:
        if (ISA_MODE(in->code) == BPF_ATOMIC) {
            const char *w = ISA_SIZE(in->code) == BPF_DW ? "u64" : "u32";
            char rr = ISA_SIZE(in->code) == BPF_DW ? 'r' : 'w';
            int op = in->imm;
            if (op == BPF_XCHG)
                snprintf(buf, len, "%c%d = xchg(*(%s *)(r%d %s %d), %c%d)", rr, s, w, d, sgn,
                         aoff, rr, s);
            else if (op == BPF_CMPXCHG)
                snprintf(buf, len, "%c0 = cmpxchg(*(%s *)(r%d %s %d), %c0, %c%d)", rr, w, d, sgn,
                         aoff, rr, rr, s);
            else {
                const char *o = (op & 0xf0) == BPF_ADD ? "+" : (op & 0xf0) == BPF_OR ? "|"
                              : (op & 0xf0) == BPF_AND ? "&" : "^";
                if (op & BPF_FETCH)
                    snprintf(buf, len, "%c%d = atomic_fetch_%s((%s *)(r%d %s %d), %c%d)", rr, s,
                             (op & 0xf0) == BPF_ADD ? "add" : (op & 0xf0) == BPF_OR ? "or"
                             : (op & 0xf0) == BPF_AND ? "and" : "xor",
                             w, d, sgn, aoff, rr, s);
                else
                    snprintf(buf, len, "lock *(%s *)(r%d %s %d) %s= %c%d", w, d, sgn, aoff, o, rr,
                             s);
            }
        } else {
            snprintf(buf, len, "*(%s *)(r%d %s %d) = r%d", dis_size(in->code), d, sgn, aoff, s);
        }
        return 1;
    case BPF_LD:
        if (ISA_MODE(in->code) == BPF_ABS)
            snprintf(buf, len, "r0 = *(%s *)skb[%d]", dis_size(in->code), in->imm);
        else if (ISA_MODE(in->code) == BPF_IND)
            snprintf(buf, len, "r0 = *(%s *)skb[r%d + %d]", dis_size(in->code), s, in->imm);
        else
            break;
        return 1;
    }
    snprintf(buf, len, ".insn 0x%02x %d %d %d %d", in->code, d, s, in->off, in->imm);
    return 1;
}

void kdiff_dump(FILE *f, const struct bpfvm_insn *insns, size_t cnt)
{
    char buf[128];
    for (size_t i = 0; i < cnt;) {
        int n = kdiff_disasm_insn(insns + i, cnt - i, buf, sizeof(buf));
        fprintf(f, "  %4zu: %s\n", i, buf);
        i += (size_t)n;
    }
}
