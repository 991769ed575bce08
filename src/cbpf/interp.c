/* interp.c - a direct interpreter of classic BPF, the reference the translation to eBPF is
 * tested against.  The program must have passed bpfvm_cbpf_check() for the same flavor. */
#include <string.h>
#include "cbpf/cbpf_int.h"

/* Load `size` bytes at `off`: 0 and *v, or -1 when out of bounds. */
static int load(const struct bpfvm_cbpf_run_ctx *rc, enum bpfvm_cbpf_flavor fl, uint32_t off,
                unsigned size, int neg_ok, uint32_t *v)
{
    if (fl == BPFVM_CBPF_LINUX && (int32_t)off < 0)
        return neg_ok ? cbpf_load_neg(rc, (int32_t)off, size, v) : -1;
    if (off > rc->caplen || size > rc->caplen - off)
        return -1;
    const uint8_t *p = rc->pkt + off;
    if (fl == BPFVM_CBPF_SECCOMP) {
        memcpy(v, p, 4); /* native order, checker allows only aligned words */
        return 0;
    }
    *v = size == 1 ? p[0]
                   : size == 2 ? (uint32_t)(p[0] << 8 | p[1])
                               : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                                     (uint32_t)p[2] << 8 | p[3];
    return 0;
}

static unsigned size_of(uint16_t code)
{
    return CBPF_SIZE(code) == CBPF_B ? 1 : CBPF_SIZE(code) == CBPF_H ? 2 : 4;
}

uint32_t bpfvm_cbpf_interp(const struct bpfvm_cbpf_insn *insns, size_t cnt,
                           enum bpfvm_cbpf_flavor fl, const uint8_t *pkt, uint32_t caplen,
                           uint32_t wirelen, const struct bpfvm_cbpf_meta *meta)
{
    struct bpfvm_cbpf_run_ctx rc = {pkt, caplen, wirelen, meta, 0};
    uint32_t A = 0, X = 0, M[BPFVM_CBPF_MEMWORDS] = {0}, v;
    uint32_t len = fl == BPFVM_CBPF_SECCOMP ? CBPF_SECCOMP_DATA_SIZE : wirelen;
    uint64_t budget = CBPF_LOOP_BUDGET;
    for (size_t pc = 0; pc < cnt; pc++) {
        const struct bpfvm_cbpf_insn *in = &insns[pc];
        if (!budget--)
            return 0; /* a looping (backward-jumping) libpcap program */
        uint16_t c = in->code;
        switch (CBPF_CLASS(c)) {
        case CBPF_LD:
            switch (CBPF_MODE(c)) {
            case CBPF_IMM: A = in->k; break;
            case CBPF_LEN: A = len; break;
            case CBPF_MEM: A = M[in->k & 15]; break;
            case CBPF_ABS:
                if (fl == BPFVM_CBPF_LINUX && cbpf_is_anc(in->k)) {
                    A = cbpf_anc_value(&rc, in->k - (uint32_t)BPFVM_SKF_AD_OFF, A, X);
                    break;
                }
                if (load(&rc, fl, in->k, size_of(c), 1, &v))
                    return 0;
                A = v;
                break;
            case CBPF_IND:
                /* libpcap: X + k must not wrap; Linux: 32-bit sum, negative = SKF_*_OFF */
                if (fl == BPFVM_CBPF_LIBPCAP && (uint64_t)X + in->k > 0xffffffffu)
                    return 0;
                if (load(&rc, fl, X + in->k, size_of(c), 1, &v))
                    return 0;
                A = v;
                break;
            default: return 0;
            }
            break;
        case CBPF_LDX:
            switch (CBPF_MODE(c)) {
            case CBPF_IMM: X = in->k; break;
            case CBPF_LEN: X = len; break;
            case CBPF_MEM: X = M[in->k & 15]; break;
            case CBPF_MSH:
                if (load(&rc, fl, in->k, 1, 1, &v))
                    return 0;
                X = (v & 0xf) << 2;
                break;
            default: return 0;
            }
            break;
        case CBPF_ST: M[in->k & 15] = A; break;
        case CBPF_STX: M[in->k & 15] = X; break;
        case CBPF_ALU: {
            uint32_t s = CBPF_SRC(c) == CBPF_X ? X : in->k;
            switch (CBPF_OP(c)) {
            case CBPF_ADD: A += s; break;
            case CBPF_SUB: A -= s; break;
            case CBPF_MUL: A *= s; break;
            case CBPF_DIV: if (!s) return 0; A /= s; break;
            case CBPF_MOD: if (!s) return 0; A %= s; break;
            case CBPF_AND: A &= s; break;
            case CBPF_OR: A |= s; break;
            case CBPF_XOR: A ^= s; break;
            case CBPF_NEG: A = (uint32_t)0 - A; break;
            case CBPF_LSH:
                if (fl == BPFVM_CBPF_LIBPCAP)
                    A = s < 32 ? A << s : 0;
                else
                    A <<= (s & 31);
                break;
            case CBPF_RSH:
                if (fl == BPFVM_CBPF_LIBPCAP)
                    A = s < 32 ? A >> s : 0;
                else
                    A >>= (s & 31);
                break;
            default: return 0;
            }
            break;
        }
        case CBPF_JMP: {
            if (CBPF_OP(c) == CBPF_JA) {
                pc = (uint32_t)(pc + in->k); /* wraps for libpcap's backward ja */
                break;
            }
            uint32_t s = CBPF_SRC(c) == CBPF_X ? X : in->k;
            int t;
            switch (CBPF_OP(c)) {
            case CBPF_JEQ: t = A == s; break;
            case CBPF_JGT: t = A > s; break;
            case CBPF_JGE: t = A >= s; break;
            case CBPF_JSET: t = (A & s) != 0; break;
            default: return 0;
            }
            pc += t ? in->jt : in->jf;
            break;
        }
        case CBPF_RET:
            return CBPF_RVAL(c) == CBPF_RA ? A : in->k;
        case CBPF_MISC:
            if (CBPF_MISCOP(c) == CBPF_TXA)
                A = X;
            else
                X = A;
            break;
        }
    }
    return 0;
}
