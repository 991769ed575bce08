/* translate.c - classic BPF to eBPF.  A is r7, X is r8, the packet pointer r6, the captured
 * length r9, the wire length and M[0..15] on the stack.  Every packet load carries its own
 * bounds check (out of bounds returns 0, like the kernel and libpcap), division by X == 0
 * returns 0, and shifts by X follow the flavor (libpcap: >= 32 gives 0; Linux: masked). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cbpf/cbpf_int.h"
#include "isa/isa.h"
#include "core/grow.h"

/* Register assignment.  Programs that call no helper (libpcap and seccomp programs, Linux ones
 * without ancillary or negative-offset loads) keep everything in caller-saved registers, where
 * the arguments arrive (r1 packet, r2 caplen, r3 wirelen; A r4, X r5): a JIT then saves
 * nothing.  Others keep their state in r6-r9 across helper calls, the wire length on the
 * stack.  r0 is the scratch register in both. */
#define R_A   (e->lean ? 4 : 7)
#define R_X   (e->lean ? 5 : 8)
#define R_PKT (e->lean ? 1 : 6)
#define R_LEN (e->lean ? 2 : 9)
#define R_WIRE 3 /* lean only */
#define R_FP  10
#define OFF_WIRELEN (-8)
#define OFF_MEM(i)  (-72 + 4 * (int)(i))

struct emit {
    bool lean;
    uint32_t known_len; /* caplen proven >= this on every path to the current instruction */
    struct bpfvm_insn *v;
    size_t n, cap;
    int oom;
};

struct fixup {
    size_t at;     /* eBPF index of the jump */
    size_t target; /* classic pc */
};

static void put(struct emit *e, struct bpfvm_insn in)
{
    if (core_grow((void **)&e->v, &e->cap, e->n, sizeof(*e->v), 256)) {
        e->oom = 1;
        return;
    }
    e->v[e->n++] = in;
}

#define I(code, dst, src, off, imm) put(e, isa_make((uint8_t)(code), dst, src, off, (int32_t)(imm)))

static void ret_const(struct emit *e, uint32_t k)
{
    I(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, k);
    I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* if the 64-bit value in register `r` >> 32 is not zero (an out-of-bounds helper result),
 * return 0; otherwise move it to `dst` */
static void neg_load_tail(struct emit *e, int dst)
{
    I(BPF_ALU64 | BPF_MOV | BPF_X, 1, 0, 0, 0);
    I(BPF_ALU64 | BPF_RSH | BPF_K, 1, 0, 0, 32);
    I(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2, 0);
    ret_const(e, 0);
    I(BPF_ALU | BPF_MOV | BPF_X, dst, 0, 0, 0);
}

static uint8_t ld_size(unsigned size)
{
    return size == 1 ? BPF_B : size == 2 ? BPF_H : BPF_W;
}

/* dst = packet[r0 .. r0+size) where r0 holds a zero-extended 32-bit offset; bounds-checked */
static void load_at_r0(struct emit *e, enum bpfvm_cbpf_flavor fl, int dst, unsigned size)
{
    I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, size); /* r0 = end of the load */
    I(BPF_JMP | BPF_JLE | BPF_X, 0, R_LEN, 2, 0);
    ret_const(e, 0);
    I(BPF_ALU64 | BPF_ADD | BPF_X, 0, R_PKT, 0, 0);
    I(BPF_LDX | BPF_MEM | ld_size(size), dst, 0, -(int)size, 0);
    if (size > 1 && fl != BPFVM_CBPF_SECCOMP)
        I(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
}

/* dst = packet[k .. k+size) for a constant offset */
static void load_abs(struct emit *e, enum bpfvm_cbpf_flavor fl, int dst, uint32_t k,
                     unsigned size)
{
    if (fl == BPFVM_CBPF_LINUX && (int32_t)k < 0) {
        I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, k);
        I(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, size);
        I(BPF_JMP | BPF_CALL, 0, 0, 0, BPFVM_CBPF_HELPER_LOADNEG);
        neg_load_tail(e, dst);
        return;
    }
    if ((uint64_t)k + size > 0x7fffffffu) {
        ret_const(e, 0); /* no packet is that long */
        return;
    }
    if (e->known_len < k + size) { /* else an earlier load on every path proved it */
        I(BPF_JMP | BPF_JGE | BPF_K, R_LEN, 0, 2, k + size);
        ret_const(e, 0);
    }
    if (k <= 0x7fff) {
        I(BPF_LDX | BPF_MEM | ld_size(size), dst, R_PKT, (int)k, 0);
    } else {
        I(BPF_ALU64 | BPF_MOV | BPF_X, 0, R_PKT, 0, 0);
        I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, k);
        I(BPF_LDX | BPF_MEM | ld_size(size), dst, 0, 0, 0);
    }
    if (size > 1 && fl != BPFVM_CBPF_SECCOMP)
        I(BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, size * 8);
}

static void load_ind(struct emit *e, enum bpfvm_cbpf_flavor fl, uint32_t k, unsigned size)
{
    I(BPF_ALU | BPF_MOV | BPF_X, 0, R_X, 0, 0);
    if (fl != BPFVM_CBPF_LINUX) {
        /* libpcap checks X + k without wrapping: a 64-bit sum of the two 32-bit values; no
         * packet reaches 2^31 bytes, so a larger k always misses */
        if (k > 0x7fffffffu) {
            ret_const(e, 0);
            return;
        }
        I(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, k);
        load_at_r0(e, fl, R_A, size);
        return;
    }
    I(BPF_ALU | BPF_ADD | BPF_K, 0, 0, 0, k);
    /* negative (as s32) offsets go to the SKF_NET_OFF/SKF_LL_OFF helper */
    size_t jneg = e->n;
    I(BPF_JMP32 | BPF_JSLT | BPF_K, 0, 0, 0, 0);
    load_at_r0(e, fl, R_A, size);
    size_t jdone = e->n;
    I(BPF_JMP | BPF_JA, 0, 0, 0, 0);
    if (!e->oom)
        e->v[jneg].off = (int16_t)(e->n - jneg - 1);
    I(BPF_ALU64 | BPF_MOV | BPF_X, 1, 0, 0, 0);
    I(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, size);
    I(BPF_JMP | BPF_CALL, 0, 0, 0, BPFVM_CBPF_HELPER_LOADNEG);
    neg_load_tail(e, R_A);
    if (!e->oom)
        e->v[jdone].off = (int16_t)(e->n - jdone - 1);
}

static unsigned size_of(uint16_t code)
{
    return CBPF_SIZE(code) == CBPF_B ? 1 : CBPF_SIZE(code) == CBPF_H ? 2 : 4;
}

static void alu(struct emit *e, enum bpfvm_cbpf_flavor fl, const struct bpfvm_cbpf_insn *in)
{
    uint16_t c = in->code;
    uint8_t op = (uint8_t)CBPF_OP(c); /* classic and eBPF ALU op values coincide */
    if (op == CBPF_NEG) {
        I(BPF_ALU | BPF_NEG, R_A, 0, 0, 0);
        return;
    }
    if (CBPF_SRC(c) == CBPF_K) {
        I(BPF_ALU | op | BPF_K, R_A, 0, 0, in->k);
        return;
    }
    switch (op) {
    case CBPF_DIV:
    case CBPF_MOD:
        I(BPF_JMP | BPF_JNE | BPF_K, R_X, 0, 2, 0);
        ret_const(e, 0);
        I(BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
        break;
    case CBPF_LSH:
    case CBPF_RSH:
        if (fl == BPFVM_CBPF_LIBPCAP) {
            I(BPF_JMP | BPF_JLT | BPF_K, R_X, 0, 2, 32);
            I(BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0);
            I(BPF_JMP | BPF_JA, 0, 0, 1, 0);
            I(BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
        } else {
            I(BPF_ALU | BPF_MOV | BPF_X, 0, R_X, 0, 0);
            I(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0, 31);
            I(BPF_ALU | op | BPF_X, R_A, 0, 0, 0);
        }
        break;
    default:
        I(BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
        break;
    }
}

/* For each instruction, the packet length every path to it has proven: a constant-offset load
 * that succeeded proves caplen >= k + size (a failed one returned).  Classic programs only
 * jump forward, so one pass in order sees every predecessor first.  All zero when the program
 * loops (libpcap's protochain) or for seccomp (its data has a fixed size anyway). */
static uint32_t *cbpf_known_lengths(const struct bpfvm_cbpf_insn *p, size_t cnt,
                                    enum bpfvm_cbpf_flavor fl)
{
    uint32_t *known = calloc(cnt + 1, sizeof(uint32_t));
    if (!known || fl == BPFVM_CBPF_SECCOMP || cbpf_has_backjump(p, cnt))
        return known;
    for (size_t i = 1; i <= cnt; i++)
        known[i] = UINT32_MAX; /* not reached yet */
    for (size_t pc = 0; pc < cnt; pc++) {
        uint16_t c = p[pc].code;
        uint32_t k = p[pc].k, out = known[pc];
        bool abs_ld = (CBPF_CLASS(c) == CBPF_LD && CBPF_MODE(c) == CBPF_ABS) ||
                      (CBPF_CLASS(c) == CBPF_LDX && CBPF_MODE(c) == CBPF_MSH);
        if (abs_ld && (int32_t)k >= 0 && k <= 0x7fffffffu - 4) {
            uint32_t size = CBPF_MODE(c) == CBPF_MSH ? 1 : size_of(c);
            if (out < k + size)
                out = k + size;
        }
        size_t succ[2];
        int nsucc = 0;
        if (CBPF_CLASS(c) == CBPF_RET) {
            nsucc = 0;
        } else if (CBPF_CLASS(c) == CBPF_JMP && CBPF_OP(c) == CBPF_JA) {
            succ[nsucc++] = pc + 1 + k;
        } else if (CBPF_CLASS(c) == CBPF_JMP) {
            succ[nsucc++] = pc + 1 + p[pc].jt;
            succ[nsucc++] = pc + 1 + p[pc].jf;
        } else {
            succ[nsucc++] = pc + 1;
        }
        for (int i = 0; i < nsucc; i++)
            if (succ[i] <= cnt && known[succ[i]] > out)
                known[succ[i]] = out;
    }
    for (size_t i = 0; i <= cnt; i++)
        if (known[i] == UINT32_MAX)
            known[i] = 0; /* unreachable: keep every check */
    return known;
}

/* Whether the translation will call a helper: Linux ancillary loads, negative offsets, and
 * Linux indirect loads (which may go negative at run time). */
static bool cbpf_needs_helpers(const struct bpfvm_cbpf_insn *p, size_t cnt,
                               enum bpfvm_cbpf_flavor fl)
{
    if (fl != BPFVM_CBPF_LINUX)
        return false;
    for (size_t i = 0; i < cnt; i++) {
        uint16_t c = p[i].code;
        if ((CBPF_CLASS(c) == CBPF_LD || CBPF_CLASS(c) == CBPF_LDX) &&
            ((CBPF_MODE(c) == CBPF_ABS && (int32_t)p[i].k < 0) || CBPF_MODE(c) == CBPF_IND))
            return true;
        if (CBPF_CLASS(c) == CBPF_LDX && CBPF_MODE(c) == CBPF_MSH && (int32_t)p[i].k < 0)
            return true;
    }
    return false;
}

int bpfvm_cbpf_translate(const struct bpfvm_cbpf_insn *p, size_t cnt,
                         enum bpfvm_cbpf_flavor fl, struct bpfvm_insn **out, size_t *out_cnt,
                         char *msg, size_t len)
{
    int err = bpfvm_cbpf_check(p, cnt, fl, msg, len);
    if (err)
        return err;
    struct emit em = {0}, *e = &em;
    size_t *start = calloc(cnt + 1, sizeof(*start));
    struct fixup *fx = calloc(2 * cnt + 1, sizeof(*fx));
    uint32_t *known = cbpf_known_lengths(p, cnt, fl);
    size_t nfx = 0;
    if (!start || !fx || !known) {
        free(start);
        free(fx);
        free(known);
        cbpf_msg(msg, len, "out of memory");
        return -ENOMEM;
    }

    /* prologue: r1 = packet, r2 = caplen, r3 = wirelen (32-bit values) */
    e->lean = !cbpf_needs_helpers(p, cnt, fl);
    if (e->lean) {
        I(BPF_ALU | BPF_MOV | BPF_X, R_LEN, R_LEN, 0, 0);
        I(BPF_ALU | BPF_MOV | BPF_X, R_WIRE, R_WIRE, 0, 0);
    } else {
        I(BPF_ALU64 | BPF_MOV | BPF_X, R_PKT, 1, 0, 0);
        I(BPF_ALU | BPF_MOV | BPF_X, R_LEN, 2, 0, 0);
        I(BPF_ALU | BPF_MOV | BPF_X, 3, 3, 0, 0);
        I(BPF_STX | BPF_MEM | BPF_W, R_FP, 3, OFF_WIRELEN, 0);
    }
    I(BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0);
    I(BPF_ALU | BPF_MOV | BPF_K, R_X, 0, 0, 0);
    if (cbpf_has_backjump(p, cnt)) /* no scratch-memory rule then: start from zeroes */
        for (int i = 0; i < BPFVM_CBPF_MEMWORDS; i += 2)
            I(BPF_ST | BPF_MEM | BPF_DW, R_FP, 0, OFF_MEM(i), 0);

    for (size_t pc = 0; pc < cnt; pc++) {
        const struct bpfvm_cbpf_insn *in = &p[pc];
        uint16_t c = in->code;
        start[pc] = e->n;
        e->known_len = known[pc];
        switch (CBPF_CLASS(c)) {
        case CBPF_LD:
        case CBPF_LDX: {
            int dst = CBPF_CLASS(c) == CBPF_LD ? R_A : R_X;
            switch (CBPF_MODE(c)) {
            case CBPF_IMM:
                I(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, in->k);
                break;
            case CBPF_LEN:
                if (fl == BPFVM_CBPF_SECCOMP)
                    I(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, CBPF_SECCOMP_DATA_SIZE);
                else if (e->lean)
                    I(BPF_ALU | BPF_MOV | BPF_X, dst, R_WIRE, 0, 0);
                else
                    I(BPF_LDX | BPF_MEM | BPF_W, dst, R_FP, OFF_WIRELEN, 0);
                break;
            case CBPF_MEM:
                I(BPF_LDX | BPF_MEM | BPF_W, dst, R_FP, OFF_MEM(in->k), 0);
                break;
            case CBPF_ABS:
                if (fl == BPFVM_CBPF_LINUX && cbpf_is_anc(in->k)) {
                    uint32_t ad = in->k - (uint32_t)BPFVM_SKF_AD_OFF;
                    if (ad == BPFVM_SKF_AD_ALU_XOR_X) {
                        I(BPF_ALU | BPF_XOR | BPF_X, R_A, R_X, 0, 0);
                    } else {
                        I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, ad);
                        I(BPF_ALU64 | BPF_MOV | BPF_X, 2, R_A, 0, 0);
                        I(BPF_ALU64 | BPF_MOV | BPF_X, 3, R_X, 0, 0);
                        I(BPF_JMP | BPF_CALL, 0, 0, 0, BPFVM_CBPF_HELPER_ANC);
                        I(BPF_ALU | BPF_MOV | BPF_X, R_A, 0, 0, 0);
                    }
                } else {
                    load_abs(e, fl, R_A, in->k, size_of(c));
                }
                break;
            case CBPF_IND:
                load_ind(e, fl, in->k, size_of(c));
                break;
            case CBPF_MSH:
                load_abs(e, fl, R_X, in->k, 1);
                I(BPF_ALU | BPF_AND | BPF_K, R_X, 0, 0, 0xf);
                I(BPF_ALU | BPF_LSH | BPF_K, R_X, 0, 0, 2);
                break;
            }
            break;
        }
        case CBPF_ST:
        case CBPF_STX:
            I(BPF_STX | BPF_MEM | BPF_W, R_FP, CBPF_CLASS(c) == CBPF_ST ? R_A : R_X,
              OFF_MEM(in->k), 0);
            break;
        case CBPF_ALU:
            alu(e, fl, in);
            break;
        case CBPF_JMP:
            if (CBPF_OP(c) == CBPF_JA) {
                if (in->k) {
                    fx[nfx++] = (struct fixup){e->n, (uint32_t)(pc + 1 + in->k)};
                    I(BPF_JMP | BPF_JA, 0, 0, 0, 0);
                }
                break;
            }
            if (in->jt == in->jf) {
                if (in->jt) {
                    fx[nfx++] = (struct fixup){e->n, pc + 1 + in->jt};
                    I(BPF_JMP | BPF_JA, 0, 0, 0, 0);
                }
                break;
            }
            if (in->jt) {
                fx[nfx++] = (struct fixup){e->n, pc + 1 + in->jt};
                if (CBPF_SRC(c) == CBPF_X)
                    I(BPF_JMP32 | CBPF_OP(c) | BPF_X, R_A, R_X, 0, 0);
                else
                    I(BPF_JMP32 | CBPF_OP(c) | BPF_K, R_A, 0, 0, in->k);
                if (in->jf) {
                    fx[nfx++] = (struct fixup){e->n, pc + 1 + in->jf};
                    I(BPF_JMP | BPF_JA, 0, 0, 0, 0);
                }
            } else if (CBPF_OP(c) != CBPF_JSET) {
                /* true falls through: jump to the false target on the inverse condition */
                static const uint8_t inverse[16] = {[BPF_JEQ >> 4] = BPF_JNE, [BPF_JGT >> 4] = BPF_JLE,
                                                    [BPF_JGE >> 4] = BPF_JLT};
                uint8_t inv = inverse[CBPF_OP(c) >> 4];
                fx[nfx++] = (struct fixup){e->n, pc + 1 + in->jf};
                if (CBPF_SRC(c) == CBPF_X)
                    I(BPF_JMP32 | inv | BPF_X, R_A, R_X, 0, 0);
                else
                    I(BPF_JMP32 | inv | BPF_K, R_A, 0, 0, in->k);
            } else {
                /* jset with true falling through: skip over the jump to the false target */
                if (CBPF_SRC(c) == CBPF_X)
                    I(BPF_JMP32 | CBPF_OP(c) | BPF_X, R_A, R_X, 1, 0);
                else
                    I(BPF_JMP32 | CBPF_OP(c) | BPF_K, R_A, 0, 1, in->k);
                fx[nfx++] = (struct fixup){e->n, pc + 1 + in->jf};
                I(BPF_JMP | BPF_JA, 0, 0, 0, 0);
            }
            break;
        case CBPF_RET:
            if (CBPF_RVAL(c) == CBPF_RA)
                I(BPF_ALU | BPF_MOV | BPF_X, 0, R_A, 0, 0);
            else
                I(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, in->k);
            I(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
            break;
        case CBPF_MISC:
            if (CBPF_MISCOP(c) == CBPF_TXA)
                I(BPF_ALU | BPF_MOV | BPF_X, R_A, R_X, 0, 0);
            else
                I(BPF_ALU | BPF_MOV | BPF_X, R_X, R_A, 0, 0);
            break;
        }
    }
    start[cnt] = e->n;
    if (e->oom) {
        err = -ENOMEM;
        cbpf_msg(msg, len, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < nfx; i++) {
        struct bpfvm_insn *j = &e->v[fx[i].at];
        long off = (long)start[fx[i].target] - (long)fx[i].at - 1;
        if (off >= -32768 && off <= 32767) {
            j->off = (int16_t)off;
        } else if (j->code == (BPF_JMP | BPF_JA)) {
            j->code = BPF_JMP32 | BPF_JA; /* gotol: 32-bit offset in imm */
            j->off = 0;
            j->imm = (int32_t)off;
        } else {
            err = -E2BIG;
            cbpf_msg(msg, len, "insn %zu: translated jump too long", fx[i].target);
            goto fail;
        }
    }
    free(start);
    free(fx);
    free(known);
    *out = e->v;
    *out_cnt = e->n;
    return 0;
fail:
    free(start);
    free(fx);
    free(known);
    free(e->v);
    return err;
}
