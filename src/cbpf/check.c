/* check.c - the classic BPF checker: Linux's rules for socket filters (and seccomp's extra
 * restrictions), with a message naming the offending instruction. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cbpf/cbpf_int.h"

void cbpf_msg(char *msg, size_t len, const char *fmt, ...)
{
    if (!msg || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

int cbpf_opcode_valid(uint16_t code)
{
    switch (code) {
    /* A op= K / X, A = -A */
    case 0x04: case 0x0c: case 0x14: case 0x1c: case 0x24: case 0x2c: case 0x34: case 0x3c:
    case 0x44: case 0x4c: case 0x54: case 0x5c: case 0x64: case 0x6c: case 0x74: case 0x7c:
    case 0x84: case 0x94: case 0x9c: case 0xa4: case 0xac:
    /* ld: imm, abs w/h/b, ind w/h/b, mem, len */
    case 0x00: case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: case 0x60:
    case 0x80:
    /* ldx: imm, mem, len, msh */
    case 0x01: case 0x61: case 0x81: case 0xb1:
    /* st, stx, tax, txa */
    case 0x02: case 0x03: case 0x07: case 0x87:
    /* ret k, ret a */
    case 0x06: case 0x16:
    /* ja, jeq/jgt/jge/jset k and x */
    case 0x05: case 0x15: case 0x1d: case 0x25: case 0x2d: case 0x35: case 0x3d: case 0x45:
    case 0x4d:
        return 1;
    default:
        return 0;
    }
}

static int seccomp_opcode_ok(uint16_t code)
{
    switch (CBPF_CLASS(code)) {
    case CBPF_LD:
        return code == 0x00 || code == 0x20 || code == 0x60 || code == 0x80;
    case CBPF_LDX:
        return code == 0x01 || code == 0x61 || code == 0x81;
    default:
        return 1;
    }
}

static const char *flavor_name(enum bpfvm_cbpf_flavor f)
{
    return f == BPFVM_CBPF_SECCOMP ? "seccomp" : f == BPFVM_CBPF_LIBPCAP ? "libpcap" : "linux";
}

/* Scratch memory must be written before it is read on every path.  Jumps only go forward, so
 * one pass suffices: each instruction's "known written" set is the intersection of the sets
 * flowing into it from its predecessors. */
static int check_mem_init(const struct bpfvm_cbpf_insn *p, size_t cnt, char *msg, size_t len)
{
    uint16_t *in = malloc(cnt * sizeof(*in));
    if (!in) {
        cbpf_msg(msg, len, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < cnt; i++)
        in[i] = 0xffff;
    uint16_t cur = 0; /* set flowing from the previous instruction (fall-through) */
    int err = 0;
    for (size_t pc = 0; pc < cnt; pc++) {
        cur &= in[pc];
        uint16_t c = p[pc].code;
        switch (CBPF_CLASS(c)) {
        case CBPF_ST:
        case CBPF_STX:
            cur |= (uint16_t)(1u << p[pc].k);
            break;
        case CBPF_LD:
        case CBPF_LDX:
            if (CBPF_MODE(c) == CBPF_MEM && !(cur & (1u << p[pc].k))) {
                cbpf_msg(msg, len, "insn %zu: M[%u] may be read before it is written", pc,
                         p[pc].k);
                err = -EINVAL;
                goto out;
            }
            break;
        case CBPF_JMP:
            if (CBPF_OP(c) == CBPF_JA) {
                in[pc + 1 + p[pc].k] &= cur;
            } else {
                in[pc + 1 + p[pc].jt] &= cur;
                in[pc + 1 + p[pc].jf] &= cur;
            }
            cur = 0xffff;
            break;
        case CBPF_RET:
            cur = 0xffff;
            break;
        }
    }
out:
    free(in);
    return err;
}

int bpfvm_cbpf_check(const struct bpfvm_cbpf_insn *p, size_t cnt,
                     enum bpfvm_cbpf_flavor flavor, char *msg, size_t len)
{
    if (!p || cnt == 0) {
        cbpf_msg(msg, len, "empty program");
        return -EINVAL;
    }
    if (cnt > BPFVM_CBPF_MAXINSNS) {
        cbpf_msg(msg, len, "program has %zu insns, more than the limit of %d", cnt,
                 BPFVM_CBPF_MAXINSNS);
        return -EINVAL;
    }
    for (size_t pc = 0; pc < cnt; pc++) {
        const struct bpfvm_cbpf_insn *in = &p[pc];
        uint16_t c = in->code;
        if (!cbpf_opcode_valid(c)) {
            cbpf_msg(msg, len, "insn %zu: invalid opcode 0x%x", pc, c);
            return -EINVAL;
        }
        if (flavor == BPFVM_CBPF_SECCOMP && !seccomp_opcode_ok(c)) {
            cbpf_msg(msg, len, "insn %zu: opcode 0x%x not allowed in a seccomp filter", pc, c);
            return -EINVAL;
        }
        switch (CBPF_CLASS(c)) {
        case CBPF_ALU:
            if (CBPF_SRC(c) == CBPF_K && (CBPF_OP(c) == CBPF_DIV || CBPF_OP(c) == CBPF_MOD) &&
                in->k == 0) {
                cbpf_msg(msg, len, "insn %zu: %s by constant zero", pc,
                         CBPF_OP(c) == CBPF_DIV ? "division" : "modulo");
                return -EINVAL;
            }
            if (CBPF_SRC(c) == CBPF_K && (CBPF_OP(c) == CBPF_LSH || CBPF_OP(c) == CBPF_RSH) &&
                in->k >= 32) {
                cbpf_msg(msg, len, "insn %zu: shift by constant %u (must be below 32)", pc,
                         in->k);
                return -EINVAL;
            }
            break;
        case CBPF_LD:
        case CBPF_LDX:
            if (CBPF_MODE(c) == CBPF_MEM && in->k >= BPFVM_CBPF_MEMWORDS) {
                cbpf_msg(msg, len, "insn %zu: scratch memory index M[%u] out of range (0..15)",
                         pc, in->k);
                return -EINVAL;
            }
            if (c == 0x20 && flavor == BPFVM_CBPF_SECCOMP &&
                (in->k >= CBPF_SECCOMP_DATA_SIZE || (in->k & 3))) {
                cbpf_msg(msg, len,
                         "insn %zu: seccomp load at offset %u outside struct seccomp_data or "
                         "unaligned", pc, in->k);
                return -EINVAL;
            }
            if (flavor == BPFVM_CBPF_LINUX && CBPF_CLASS(c) == CBPF_LD &&
                CBPF_MODE(c) == CBPF_ABS && cbpf_is_anc(in->k)) {
                uint32_t ad = in->k - (uint32_t)BPFVM_SKF_AD_OFF;
                if (ad >= BPFVM_SKF_AD_MAX || (ad & 3)) {
                    cbpf_msg(msg, len, "insn %zu: unknown ancillary load SKF_AD_OFF+%u", pc, ad);
                    return -EINVAL;
                }
            }
            break;
        case CBPF_ST:
        case CBPF_STX:
            if (in->k >= BPFVM_CBPF_MEMWORDS) {
                cbpf_msg(msg, len, "insn %zu: scratch memory index M[%u] out of range (0..15)",
                         pc, in->k);
                return -EINVAL;
            }
            break;
        case CBPF_JMP:
            if (CBPF_OP(c) == CBPF_JA) {
                /* libpcap's protochain code jumps backwards (k wraps around); bpf_filter runs
                 * it, so the libpcap flavor accepts a target anywhere inside the program */
                if (flavor == BPFVM_CBPF_LIBPCAP && (uint32_t)(pc + 1 + in->k) < cnt)
                    break;
                if (in->k >= cnt - pc - 1) {
                    cbpf_msg(msg, len, "insn %zu: ja +%u jumps past the end (%zu insns)", pc,
                             in->k, cnt);
                    return -EINVAL;
                }
            } else if (pc + 1 + in->jt >= cnt || pc + 1 + in->jf >= cnt) {
                cbpf_msg(msg, len, "insn %zu: conditional jump (jt %u, jf %u) past the end (%zu "
                         "insns)", pc, in->jt, in->jf, cnt);
                return -EINVAL;
            }
            break;
        }
    }
    uint16_t last = p[cnt - 1].code;
    if (last != 0x06 && last != 0x16) {
        cbpf_msg(msg, len, "insn %zu: last instruction is not a return (%s rules)", cnt - 1,
                 flavor_name(flavor));
        return -EINVAL;
    }
    if (cbpf_has_backjump(p, cnt))
        return 0; /* libpcap flavor only: no scratch-memory rule (M[] starts zeroed) */
    return check_mem_init(p, cnt, msg, len);
}

int cbpf_has_backjump(const struct bpfvm_cbpf_insn *p, size_t cnt)
{
    for (size_t pc = 0; pc < cnt; pc++)
        if (p[pc].code == (CBPF_JMP | CBPF_JA) && p[pc].k >= cnt - pc - 1)
            return 1;
    return 0;
}
