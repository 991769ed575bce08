/* gen.c - the random program generator for the kernel differential test.
 *
 * Programs are built as structured code (straight-line groups, if / if-else, bounded loops,
 * packet accesses, calls) while tracking which registers hold initialised scalars, so that
 * the kernel's verifier accepts nearly all of them: every read register is initialised,
 * pointers never leak into arithmetic, jumps go forward except a loop's back-edge, stack
 * accesses stay in an initialised, aligned region. */
#include "gen.h"

#include <errno.h>
#include <string.h>

#include "isa/isa.h"

enum { K_UNINIT = 0, K_SCALAR = 1, K_RES = 2 };

#define GEN_FP 10 /* the frame pointer register */

struct gen_rst {
    uint8_t k[11];
};

#define GEN_MAX_SUBS 2

struct gen {
    uint64_t s;
    enum kdiff_ptype type;
    unsigned flags;
    struct bpfvm_insn *out;
    size_t n;
    int overflow;
    size_t target;     /* stop adding groups past this many slots */
    int in_sub;
    int loop_depth, nest;
    int stack_bytes;   /* initialised region of the current frame: [fp - stack_bytes, fp) */
    int nsubs;
    int sub_nargs[GEN_MAX_SUBS];
    size_t sub_start[GEN_MAX_SUBS];
    struct {
        size_t at;
        int sub;
    } calls[64];
    int ncalls;
};

uint64_t kdiff_mix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t gen_r(struct gen *g) { return kdiff_mix64(&g->s); }
static unsigned gen_n(struct gen *g, unsigned n) { return (unsigned)(gen_r(g) % n); }
static int gen_chance(struct gen *g, unsigned one_in) { return gen_n(g, one_in) == 0; }

static size_t gen_emit(struct gen *g, uint8_t code, int dst, int src, int off, int32_t imm)
{
    if (g->n >= KDIFF_MAX_INSNS - 4) {
        g->overflow = 1;
        return g->n;
    }
    g->out[g->n] = isa_make(code, dst, src, off, imm);
    return g->n++;
}

static void gen_lddw(struct gen *g, int dst, uint64_t v)
{
    gen_emit(g, ISA_LDDW, dst, 0, 0, (int32_t)(uint32_t)v);
    gen_emit(g, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

static const int32_t gen_imm_table[] = {
    0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 255, 256, 0x7fff, 0x8000,
    0xffff, 0x10000, 0x7fffffff, (int32_t)0x80000000, (int32_t)0x80000001, (int32_t)0xffff0000,
    -2, -128, -32768, 0x12345678,
};

static const uint64_t gen_u64_table[] = {
    0, 1, ~0ull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0xffffffffull, 0x100000000ull,
    0x7fffffffull, 0x80000000ull, 0xffffffff80000000ull, 0xffffffff7fffffffull,
    0x00000000ffff0000ull, 0x8000000080000000ull, 0x0123456789abcdefull, 0xfedcba9876543210ull,
    0xff, 0x80, 0xffffffffffffff80ull, 0x8000, 0xffffffffffff8000ull, 63, 64, 32,
};

static int32_t gen_imm(struct gen *g)
{
    switch (gen_n(g, 4)) {
    case 0:
        return (int32_t)gen_n(g, 33) - 16;
    case 1:
    case 2:
        return gen_imm_table[gen_n(g, sizeof(gen_imm_table) / sizeof(gen_imm_table[0]))];
    default:
        return (int32_t)(uint32_t)gen_r(g);
    }
}

static uint64_t gen_u64(struct gen *g)
{
    switch (gen_n(g, 4)) {
    case 0:
        return gen_u64_table[gen_n(g, sizeof(gen_u64_table) / sizeof(gen_u64_table[0]))];
    case 1:
        return (uint64_t)(int64_t)gen_imm(g);
    case 2:
        return gen_r(g) >> gen_n(g, 64);
    default:
        return gen_r(g);
    }
}

/* A register the program may overwrite (not reserved), any kind. */
static int gen_pick_free(struct gen *g, const struct gen_rst *st)
{
    int regs[10], cnt = 0;
    for (int r = 0; r < 10; r++)
        if (st->k[r] != K_RES)
            regs[cnt++] = r;
    return cnt ? regs[gen_n(g, (unsigned)cnt)] : -1;
}

static int gen_pick_free_not(struct gen *g, const struct gen_rst *st, int not)
{
    int regs[10], cnt = 0;
    for (int r = 0; r < 10; r++)
        if (st->k[r] != K_RES && r != not)
            regs[cnt++] = r;
    return cnt ? regs[gen_n(g, (unsigned)cnt)] : -1;
}

/* Put a random constant into dst (mov, mov32 or lddw). */
static void gen_const(struct gen *g, struct gen_rst *st, int dst)
{
    switch (gen_n(g, 3)) {
    case 0:
        gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, gen_imm(g));
        break;
    case 1:
        gen_emit(g, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, gen_imm(g));
        break;
    default:
        gen_lddw(g, dst, gen_u64(g));
        break;
    }
    st->k[dst] = K_SCALAR;
}

/* An initialised scalar register; makes one when none exists. */
static int gen_pick_scalar(struct gen *g, struct gen_rst *st)
{
    int regs[10], cnt = 0;
    for (int r = 0; r < 10; r++)
        if (st->k[r] == K_SCALAR)
            regs[cnt++] = r;
    if (cnt && !gen_chance(g, 16))
        return regs[gen_n(g, (unsigned)cnt)];
    int r = gen_pick_free(g, st);
    if (r >= 0)
        gen_const(g, st, r);
    return r;
}

static void gen_meet(struct gen_rst *a, const struct gen_rst *b)
{
    for (int r = 0; r < 11; r++)
        if (a->k[r] != b->k[r])
            a->k[r] = K_UNINIT;
}

/* ---- groups ------------------------------------------------------------------------------ */

static void gen_alu(struct gen *g, struct gen_rst *st)
{
    static const uint8_t ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR,  BPF_AND, BPF_LSH,
                                  BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH};
    uint8_t op = ops[gen_n(g, sizeof(ops))];
    int is64 = gen_n(g, 2);
    uint8_t cls = is64 ? BPF_ALU64 : BPF_ALU;
    int width = is64 ? 64 : 32;
    int off = 0;
    if ((op == BPF_DIV || op == BPF_MOD) && gen_chance(g, 2))
        off = 1; /* sdiv / smod */

    if (op == BPF_NEG) {
        int d = gen_pick_scalar(g, st);
        if (d >= 0)
            gen_emit(g, cls | BPF_NEG | BPF_K, d, 0, 0, 0);
        return;
    }
    int dst = op == BPF_MOV ? gen_pick_free(g, st) : gen_pick_scalar(g, st);
    if (dst < 0)
        return;
    if (gen_n(g, 2)) { /* K */
        int32_t imm = gen_imm(g);
        if (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH)
            imm = (int32_t)gen_n(g, (unsigned)width);
        if ((op == BPF_DIV || op == BPF_MOD) && imm == 0)
            imm = gen_chance(g, 2) ? -1 : 3;
        if ((op == BPF_DIV || op == BPF_MOD) && gen_chance(g, 4))
            imm = -1;
        gen_emit(g, cls | op | BPF_K, dst, 0, off, imm);
    } else {
        int src = gen_pick_scalar(g, st);
        if (src < 0)
            return;
        if ((op == BPF_DIV || op == BPF_MOD) && src != dst && gen_chance(g, 3)) {
            /* edge divisors: 0 and -1 (as 32- and 64-bit) */
            static const int32_t edge[] = {0, -1, 1, (int32_t)0x80000000};
            uint8_t mc = gen_n(g, 2) ? BPF_ALU64 : BPF_ALU;
            gen_emit(g, mc | BPF_MOV | BPF_K, src, 0, 0, edge[gen_n(g, 4)]);
            if (gen_chance(g, 2)) { /* and a dividend of INT_MIN */
                if (is64)
                    gen_lddw(g, dst, 0x8000000000000000ull);
                else
                    gen_emit(g, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (int32_t)0x80000000);
            }
        }
        if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && src != dst && gen_chance(g, 3)) {
            static const int32_t amt[] = {31, 32, 33, 63, 64, 65, 127, -1};
            gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_K, src, 0, 0, amt[gen_n(g, 8)]);
        }
        gen_emit(g, cls | op | BPF_X, dst, src, off, 0);
    }
    st->k[dst] = K_SCALAR;
}

static void gen_misc_alu(struct gen *g, struct gen_rst *st)
{
    switch (gen_n(g, 4)) {
    case 0: { /* le / be */
        static const int32_t w[] = {16, 32, 64};
        int d = gen_pick_scalar(g, st);
        if (d >= 0)
            gen_emit(g, BPF_ALU | BPF_END | (gen_n(g, 2) ? BPF_TO_BE : BPF_TO_LE), d, 0, 0,
                     w[gen_n(g, 3)]);
        break;
    }
    case 1: { /* bswap */
        static const int32_t w[] = {16, 32, 64};
        int d = gen_pick_scalar(g, st);
        if (d >= 0)
            gen_emit(g, BPF_ALU64 | BPF_END | BPF_TO_LE, d, 0, 0, w[gen_n(g, 3)]);
        break;
    }
    case 2: { /* movsx */
        int s = gen_pick_scalar(g, st);
        int d = gen_pick_free(g, st);
        if (s < 0 || d < 0)
            break;
        if (gen_n(g, 2)) {
            static const int o64[] = {8, 16, 32};
            gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, d, s, o64[gen_n(g, 3)], 0);
        } else {
            gen_emit(g, BPF_ALU | BPF_MOV | BPF_X, d, s, gen_n(g, 2) ? 8 : 16, 0);
        }
        st->k[d] = K_SCALAR;
        break;
    }
    default: { /* constants */
        int d = gen_pick_free(g, st);
        if (d >= 0)
            gen_const(g, st, d);
        break;
    }
    }
}

static const uint8_t gen_sizes[4] = {BPF_B, BPF_H, BPF_W, BPF_DW};

/* A stack offset aligned to `bytes` inside the current frame's initialised region. */
static int gen_stack_off(struct gen *g, int bytes)
{
    int slots = g->stack_bytes / bytes;
    return -g->stack_bytes + bytes * (int)gen_n(g, (unsigned)slots);
}

static void gen_stack(struct gen *g, struct gen_rst *st)
{
    int si = (int)gen_n(g, 4), bytes = 1 << si;
    int off = gen_stack_off(g, bytes);
    switch (gen_n(g, 4)) {
    case 0: { /* load */
        int d = gen_pick_free(g, st);
        if (d < 0)
            return;
        gen_emit(g, BPF_LDX | BPF_MEM | gen_sizes[si], d, GEN_FP, off, 0);
        st->k[d] = K_SCALAR;
        break;
    }
    case 1: { /* sign-extending load */
        int d = gen_pick_free(g, st);
        if (d < 0)
            return;
        if (si == 3) {
            si = 2;
            bytes = 4;
            off = gen_stack_off(g, 4);
        }
        gen_emit(g, BPF_LDX | BPF_MEMSX | gen_sizes[si], d, GEN_FP, off, 0);
        st->k[d] = K_SCALAR;
        break;
    }
    case 2: { /* store register */
        int s = gen_pick_scalar(g, st);
        if (s >= 0)
            gen_emit(g, BPF_STX | BPF_MEM | gen_sizes[si], GEN_FP, s, off, 0);
        break;
    }
    default: /* store immediate */
        gen_emit(g, BPF_ST | BPF_MEM | gen_sizes[si], GEN_FP, 0, off, gen_imm(g));
        break;
    }
}

static void gen_atomic(struct gen *g, struct gen_rst *st)
{
    static const int32_t ops[] = {BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_XCHG, BPF_CMPXCHG};
    int is64 = gen_n(g, 2);
    int bytes = is64 ? 8 : 4;
    int off = gen_stack_off(g, bytes);
    int32_t op = ops[gen_n(g, 6)];
    if (op <= BPF_XOR && gen_n(g, 2))
        op |= BPF_FETCH;
    if (op == BPF_CMPXCHG && st->k[0] != K_SCALAR) {
        if (st->k[0] == K_RES)
            return;
        gen_const(g, st, 0);
    }
    int s = gen_pick_scalar(g, st);
    if (s < 0)
        return;
    if (op == BPF_CMPXCHG && s == 0) {
        s = gen_pick_free_not(g, st, 0);
        if (s < 0)
            return;
        gen_const(g, st, s);
    }
    if (op == BPF_CMPXCHG && gen_chance(g, 2)) {
        /* make success likely: compare value = current slot contents */
        gen_emit(g, BPF_LDX | BPF_MEM | (is64 ? BPF_DW : BPF_W), 0, GEN_FP, off, 0);
        if (gen_chance(g, 2) && !is64) { /* dirty the upper half of r0, keep the low half */
            gen_emit(g, BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, (int32_t)0x80000000);
            gen_emit(g, BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, (int32_t)0x80000000);
        }
    }
    gen_emit(g, BPF_STX | BPF_ATOMIC | (is64 ? BPF_DW : BPF_W), GEN_FP, s, off, op);
    if (op == BPF_CMPXCHG) {
        st->k[0] = K_SCALAR;
        if (!is64 && (g->flags & KDIFF_GEN_CMPXCHG32_ZEXT))
            gen_emit(g, BPF_ALU | BPF_MOV | BPF_X, 0, 0, 0, 0);
    } else if (op & BPF_FETCH) {
        st->k[s] = K_SCALAR;
    }
}

/* XDP: a bounds-checked run of packet loads and stores. */
static void gen_pkt(struct gen *g, struct gen_rst *st)
{
    int p = gen_pick_free(g, st);
    if (p < 0)
        return;
    if (gen_chance(g, 4)) { /* direct: [r6, r6 + 64) is known to be in the packet */
        int si = (int)gen_n(g, 4), bytes = 1 << si;
        int off = (int)gen_n(g, (unsigned)(65 - bytes));
        if (gen_n(g, 2)) {
            gen_emit(g, BPF_LDX | (si < 3 && gen_chance(g, 3) ? BPF_MEMSX : BPF_MEM) | gen_sizes[si],
                     p, 6, off, 0);
            st->k[p] = K_SCALAR;
        } else if (gen_n(g, 2)) {
            int s = gen_pick_scalar(g, st);
            if (s >= 0)
                gen_emit(g, BPF_STX | BPF_MEM | gen_sizes[si], 6, s, off, 0);
        } else {
            gen_emit(g, BPF_ST | BPF_MEM | gen_sizes[si], 6, 0, off, gen_imm(g));
        }
        return;
    }
    int span = 1 << gen_n(g, 5); /* 1..16 */
    int base = gen_chance(g, 4) ? (int)gen_n(g, 300) : (int)gen_n(g, (unsigned)(65 - span));
    int q = -1;
    if (gen_chance(g, 4)) { /* variable offset: p = (q & 0x3f) + r6 */
        for (int r = 0; r < 10; r++)
            if (st->k[r] == K_SCALAR && r != p && gen_n(g, 2)) {
                q = r;
                break;
            }
    }
    if (q >= 0) {
        gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, p, q, 0, 0);
        gen_emit(g, BPF_ALU64 | BPF_AND | BPF_K, p, 0, 0, 0x3f);
        gen_emit(g, BPF_ALU64 | BPF_ADD | BPF_X, p, 6, 0, 0);
    } else {
        gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, p, 6, 0, 0);
    }
    gen_emit(g, BPF_ALU64 | BPF_ADD | BPF_K, p, 0, 0, base + span);
    st->k[p] = K_UNINIT; /* a packet pointer: never used as a scalar */
    size_t j = gen_emit(g, BPF_JMP | BPF_JGT | BPF_X, p, 7, 0, 0);
    struct gen_rst in = *st;
    int m = 1 + (int)gen_n(g, 3);
    for (int i = 0; i < m; i++) {
        int si = (int)gen_n(g, 4), bytes = 1 << si;
        while (bytes > span)
            bytes >>= 1, si--;
        int off = -span + (int)gen_n(g, (unsigned)(span - bytes + 1));
        switch (gen_n(g, 4)) {
        case 0: {
            int d = gen_pick_free_not(g, &in, p);
            if (d < 0)
                break;
            gen_emit(g, BPF_LDX | BPF_MEM | gen_sizes[si], d, p, off, 0);
            in.k[d] = K_SCALAR;
            break;
        }
        case 1: {
            int d = gen_pick_free_not(g, &in, p);
            if (d < 0 || si == 3)
                break;
            gen_emit(g, BPF_LDX | BPF_MEMSX | gen_sizes[si], d, p, off, 0);
            in.k[d] = K_SCALAR;
            break;
        }
        case 2: {
            int s = -1;
            for (int r = 0; r < 10; r++)
                if (in.k[r] == K_SCALAR && (s < 0 || gen_n(g, 2)))
                    s = r;
            if (s >= 0)
                gen_emit(g, BPF_STX | BPF_MEM | gen_sizes[si], p, s, off, 0);
            break;
        }
        default:
            gen_emit(g, BPF_ST | BPF_MEM | gen_sizes[si], p, 0, off, gen_imm(g));
            break;
        }
    }
    g->out[j].off = (int16_t)(g->n - j - 1);
    gen_meet(st, &in);
}

/* SOCKET_FILTER: LD_ABS / LD_IND (r0 = packet bytes, r1-r5 clobbered). */
static void gen_ldabs(struct gen *g, struct gen_rst *st)
{
    static const uint8_t sz[3] = {BPF_B, BPF_H, BPF_W};
    int si = (int)gen_n(g, 3);
    /* mostly inside the 50 bytes every packet has: an out-of-bounds read ends the program */
    int32_t off = gen_chance(g, 40) ? (int32_t)gen_n(g, 300) : (int32_t)gen_n(g, 47);
    if (gen_n(g, 2)) {
        gen_emit(g, BPF_LD | BPF_ABS | sz[si], 0, 0, 0, off);
    } else {
        int s = gen_pick_scalar(g, st);
        if (s < 0)
            return;
        switch (gen_n(g, 3)) {
        case 0:
            gen_emit(g, BPF_ALU | BPF_AND | BPF_K, s, 0, 0, 0x1f);
            break;
        case 1:
            gen_emit(g, BPF_ALU | BPF_AND | BPF_K, s, 0, 0,
                     gen_chance(g, 20) ? 0xffff : gen_chance(g, 10) ? 0xff : 0x1f);
            break;
        default:
            gen_emit(g, BPF_ALU | BPF_MOV | BPF_K, s, 0, 0, (int32_t)gen_n(g, gen_chance(g, 20) ? 300 : 40));
            break;
        }
        gen_emit(g, BPF_LD | BPF_IND | sz[si], 0, s, 0, (int32_t)gen_n(g, 12));
    }
    st->k[0] = K_SCALAR;
    for (int r = 1; r <= 5; r++)
        if (st->k[r] != K_RES)
            st->k[r] = K_UNINIT;
    if (gen_n(g, 2)) {
        int d = 6 + (int)gen_n(g, 4);
        if (st->k[d] != K_RES) {
            gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, d, 0, 0, 0);
            st->k[d] = K_SCALAR;
        }
    }
}

static void gen_call(struct gen *g, struct gen_rst *st)
{
    int sub = (int)gen_n(g, (unsigned)g->nsubs);
    for (int r = 1; r <= g->sub_nargs[sub]; r++)
        if (st->k[r] == K_UNINIT || gen_chance(g, 4)) {
            if (st->k[r] == K_RES)
                return;
            gen_const(g, st, r);
        }
    for (int r = 1; r <= g->sub_nargs[sub]; r++)
        if (st->k[r] != K_SCALAR)
            return;
    if (g->ncalls >= 64)
        return;
    g->calls[g->ncalls].at = gen_emit(g, BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, -1);
    g->calls[g->ncalls++].sub = sub;
    st->k[0] = K_SCALAR;
    for (int r = 1; r <= 5; r++)
        st->k[r] = K_UNINIT;
}

static void gen_block(struct gen *g, struct gen_rst *st, int groups);

static void gen_cond(struct gen *g, struct gen_rst *st, size_t *at)
{
    static const uint8_t ops[] = {BPF_JEQ, BPF_JGT,  BPF_JGE,  BPF_JSET, BPF_JNE, BPF_JSGT,
                                  BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};
    uint8_t cls = gen_n(g, 2) ? BPF_JMP : BPF_JMP32;
    uint8_t op = ops[gen_n(g, sizeof(ops))];
    int d = gen_pick_scalar(g, st);
    if (d < 0) {
        *at = (size_t)-1;
        return;
    }
    if (gen_n(g, 2)) {
        int s = gen_pick_scalar(g, st);
        *at = gen_emit(g, cls | op | BPF_X, d, s, 0, 0);
    } else {
        *at = gen_emit(g, cls | op | BPF_K, d, 0, 0, gen_imm(g));
    }
}

static void gen_patch(struct gen *g, size_t at)
{
    if (at == (size_t)-1 || at >= g->n)
        return;
    int64_t rel = (int64_t)g->n - (int64_t)at - 1;
    if (g->out[at].code == (BPF_JMP32 | BPF_JA))
        g->out[at].imm = (int32_t)rel;
    else
        g->out[at].off = (int16_t)rel;
}

static void gen_if(struct gen *g, struct gen_rst *st)
{
    size_t j;
    gen_cond(g, st, &j);
    if (j == (size_t)-1)
        return;
    g->nest++;
    struct gen_rst a = *st;
    gen_block(g, &a, 1 + (int)gen_n(g, 4));
    if (gen_n(g, 2)) { /* if-else */
        size_t ja = gen_n(g, 2) ? gen_emit(g, BPF_JMP | BPF_JA, 0, 0, 0, 0)
                                : gen_emit(g, BPF_JMP32 | BPF_JA, 0, 0, 0, 0);
        gen_patch(g, j);
        struct gen_rst b = *st;
        gen_block(g, &b, 1 + (int)gen_n(g, 4));
        gen_patch(g, ja);
        *st = a;
        gen_meet(st, &b);
    } else {
        gen_patch(g, j);
        gen_meet(st, &a);
    }
    g->nest--;
}

static void gen_loop(struct gen *g, struct gen_rst *st)
{
    int c = gen_pick_free(g, st);
    if (c < 0)
        return;
    gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_K, c, 0, 0, 1 + (int32_t)gen_n(g, 4));
    st->k[c] = K_RES;
    struct gen_rst entry = *st;
    size_t head = g->n;
    g->loop_depth++;
    g->nest++;
    gen_block(g, st, 1 + (int)gen_n(g, 4));
    g->nest--;
    g->loop_depth--;
    for (int r = 0; r < 10; r++) /* the next iteration expects the entry state */
        if (entry.k[r] == K_SCALAR && st->k[r] != K_SCALAR)
            gen_const(g, st, r);
    gen_emit(g, BPF_ALU64 | BPF_ADD | BPF_K, c, 0, 0, -1);
    int64_t rel = (int64_t)head - (int64_t)g->n - 1;
    if (gen_n(g, 2))
        gen_emit(g, BPF_JMP | BPF_JNE | BPF_K, c, 0, (int)rel, 0);
    else
        gen_emit(g, BPF_JMP32 | BPF_JSGT | BPF_K, c, 0, (int)rel, 0);
    st->k[c] = K_SCALAR;
}

static void gen_group(struct gen *g, struct gen_rst *st)
{
    unsigned w = gen_n(g, 100);
    int main_straight = !g->in_sub && g->loop_depth == 0;
    if (w < 30)
        gen_alu(g, st);
    else if (w < 40)
        gen_misc_alu(g, st);
    else if (w < 52)
        gen_stack(g, st);
    else if (w < 59)
        gen_atomic(g, st);
    else if (w < 70) {
        if (g->nest < 3)
            gen_if(g, st);
        else
            gen_alu(g, st);
    } else if (w < 74) {
        if (g->nest < 3 && g->loop_depth < 2)
            gen_loop(g, st);
        else
            gen_alu(g, st);
    } else if (w < 88) {
        if (!g->in_sub && g->type == KDIFF_XDP)
            gen_pkt(g, st);
        else if (main_straight && g->type == KDIFF_SOCKET_FILTER)
            gen_ldabs(g, st);
        else
            gen_stack(g, st);
    } else if (w < 92) {
        if (main_straight && g->nsubs)
            gen_call(g, st);
        else
            gen_alu(g, st);
    } else {
        gen_alu(g, st);
    }
}

static void gen_block(struct gen *g, struct gen_rst *st, int groups)
{
    for (int i = 0; i < groups && g->n < g->target && !g->overflow; i++)
        gen_group(g, st);
}

/* Initialise the frame's stack region [fp - bytes, fp). */
static void gen_stack_init(struct gen *g, struct gen_rst *st, int bytes)
{
    g->stack_bytes = bytes;
    for (int off = -bytes; off < 0; off += 8) {
        switch (gen_n(g, 4)) {
        case 0: {
            int s = gen_pick_scalar(g, st);
            if (s >= 0) {
                gen_emit(g, BPF_STX | BPF_MEM | BPF_DW, GEN_FP, s, off, 0);
                break;
            }
        }
        /* fall through */
        case 1:
            gen_emit(g, BPF_ST | BPF_MEM | BPF_DW, GEN_FP, 0, off, gen_imm(g));
            break;
        case 2:
            gen_emit(g, BPF_ST | BPF_MEM | BPF_W, GEN_FP, 0, off, gen_imm(g));
            gen_emit(g, BPF_ST | BPF_MEM | BPF_W, GEN_FP, 0, off + 4, gen_imm(g));
            break;
        default: {
            int s = gen_pick_scalar(g, st);
            for (int i = 0; i < 8; i += 2)
                if (s >= 0 && gen_n(g, 2))
                    gen_emit(g, BPF_STX | BPF_MEM | BPF_H, GEN_FP, s, off + i, 0);
                else
                    gen_emit(g, BPF_ST | BPF_MEM | BPF_H, GEN_FP, 0, off + i, gen_imm(g));
            break;
        }
        }
    }
}

/* Fold every scalar register and every stack slot into the low 32 bits of r0. */
static void gen_fold(struct gen *g, struct gen_rst *st, int with_stack)
{
    if (st->k[0] != K_SCALAR)
        gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
    st->k[0] = K_SCALAR;
    int t = -1;
    for (int r = 1; r < 10; r++) {
        if (st->k[r] != K_SCALAR)
            continue;
        gen_emit(g, BPF_ALU64 | BPF_MUL | BPF_K, 0, 0, 0, 0x2545f491);
        gen_emit(g, BPF_ALU64 | BPF_XOR | BPF_X, 0, r, 0, 0);
        gen_emit(g, BPF_ALU64 | BPF_RSH | BPF_K, r, 0, 0, 32);
        gen_emit(g, BPF_ALU64 | BPF_ADD | BPF_X, 0, r, 0, 0);
        t = r;
    }
    if (t < 0) {
        t = 1;
        st->k[1] = K_SCALAR;
    }
    for (int off = with_stack ? -g->stack_bytes : 0; off < 0; off += 8) {
        gen_emit(g, BPF_LDX | BPF_MEM | BPF_DW, t, GEN_FP, off, 0);
        gen_emit(g, BPF_ALU64 | BPF_MUL | BPF_K, 0, 0, 0, 0x2545f491);
        gen_emit(g, BPF_ALU64 | BPF_XOR | BPF_X, 0, t, 0, 0);
        gen_emit(g, BPF_ALU64 | BPF_RSH | BPF_K, t, 0, 0, 32);
        gen_emit(g, BPF_ALU64 | BPF_ADD | BPF_X, 0, t, 0, 0);
    }
    gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, t, 0, 0, 0);
    gen_emit(g, BPF_ALU64 | BPF_RSH | BPF_K, t, 0, 0, 32);
    gen_emit(g, BPF_ALU64 | BPF_XOR | BPF_X, 0, t, 0, 0);
}

static void gen_main(struct gen *g)
{
    struct gen_rst st;
    memset(&st, 0, sizeof(st));
    st.k[6] = K_RES;
    st.k[10] = K_RES;
    if (g->type == KDIFF_XDP) {
        st.k[7] = K_RES;
        /* establish [r6, r6 + 64) as readable packet */
        gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, 8, 6, 0, 0);
        gen_emit(g, BPF_ALU64 | BPF_ADD | BPF_K, 8, 0, 0, 64);
        gen_emit(g, BPF_JMP | BPF_JLE | BPF_X, 8, 7, 2, 0);
        gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
        gen_emit(g, ISA_EXIT, 0, 0, 0, 0);
        static const int regs[] = {0, 1, 2, 3, 4, 5, 8, 9};
        for (int i = 0; i < 8; i++) {
            int r = regs[i];
            if (gen_n(g, 3)) {
                int si = (int)gen_n(g, 4), bytes = 1 << si;
                int off = (int)gen_n(g, (unsigned)(65 - bytes));
                gen_emit(g, BPF_LDX | (si < 3 && gen_chance(g, 4) ? BPF_MEMSX : BPF_MEM) |
                                gen_sizes[si], r, 6, off, 0);
                st.k[r] = K_SCALAR;
            } else {
                gen_const(g, &st, r);
            }
        }
    } else {
        static const uint8_t sz[3] = {BPF_B, BPF_H, BPF_W};
        for (int r = 7; r <= 9; r++) {
            gen_emit(g, BPF_LD | BPF_ABS | sz[gen_n(g, 3)], 0, 0, 0, (int32_t)gen_n(g, 47));
            gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, r, 0, 0, 0);
            st.k[r] = K_SCALAR;
        }
        gen_emit(g, BPF_LD | BPF_ABS | sz[gen_n(g, 3)], 0, 0, 0, (int32_t)gen_n(g, 47));
        st.k[0] = K_SCALAR;
        for (int r = 1; r <= 5; r++) {
            if (gen_n(g, 2)) {
                gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_X, r, 7 + (int)gen_n(g, 3), 0, 0);
                if (gen_n(g, 2))
                    gen_emit(g, BPF_ALU64 | BPF_XOR | BPF_K, r, 0, 0, gen_imm(g));
                st.k[r] = K_SCALAR;
            } else {
                gen_const(g, &st, r);
            }
        }
    }
    gen_stack_init(g, &st, 8 * (4 + (int)gen_n(g, 9)));
    gen_block(g, &st, 1000);
    if (g->type == KDIFF_XDP) { /* expose the full registers in the packet */
        static const int regs[] = {0, 1, 2, 3, 4, 5, 8, 9};
        for (int i = 0; i < 8; i++)
            if (st.k[regs[i]] == K_SCALAR && gen_n(g, 4))
                gen_emit(g, BPF_STX | BPF_MEM | BPF_DW, 6, regs[i], 8 * i, 0);
    }
    if (gen_n(g, 8))
        gen_fold(g, &st, 1);
    else if (st.k[0] != K_SCALAR)
        gen_emit(g, BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
    gen_emit(g, ISA_EXIT, 0, 0, 0, 0);
}

static void gen_sub(struct gen *g, int idx)
{
    struct gen_rst st;
    memset(&st, 0, sizeof(st));
    st.k[10] = K_RES;
    for (int r = 1; r <= g->sub_nargs[idx]; r++)
        st.k[r] = K_SCALAR;
    g->sub_start[idx] = g->n;
    g->in_sub = 1;
    for (int r = 6; r <= 9; r++)
        if (gen_n(g, 2))
            gen_const(g, &st, r);
    gen_stack_init(g, &st, 8 * (1 + (int)gen_n(g, 4)));
    size_t save = g->target;
    g->target = g->n + 10 + gen_n(g, 40);
    gen_block(g, &st, 1000);
    g->target = save;
    gen_fold(g, &st, gen_n(g, 2));
    gen_emit(g, ISA_EXIT, 0, 0, 0, 0);
    g->in_sub = 0;
}

int kdiff_gen(uint64_t seed, unsigned flags, struct kdiff_prog *p)
{
    struct gen g;
    memset(&g, 0, sizeof(g));
    g.s = seed;
    g.flags = flags;
    g.out = p->body;
    p->seed = seed;
    if (flags & KDIFF_GEN_FORCE_XDP)
        g.type = KDIFF_XDP;
    else if (flags & KDIFF_GEN_FORCE_SKF)
        g.type = KDIFF_SOCKET_FILTER;
    else
        g.type = gen_n(&g, 2) ? KDIFF_XDP : KDIFF_SOCKET_FILTER;
    p->type = g.type;

    p->pkt_len = 64 + gen_n(&g, KDIFF_MAX_PKT - 64 + 1);
    for (uint32_t i = 0; i < p->pkt_len; i++)
        p->pkt[i] = (uint8_t)(gen_chance(&g, 4) ? (gen_n(&g, 2) ? 0 : 0xff) : gen_r(&g));

    g.nsubs = gen_chance(&g, 3) ? 1 + (int)gen_n(&g, GEN_MAX_SUBS) : 0;
    for (int i = 0; i < g.nsubs; i++)
        g.sub_nargs[i] = (int)gen_n(&g, 6);
    g.target = 20 + gen_n(&g, 150);
    gen_main(&g);
    for (int i = 0; i < g.nsubs; i++) { /* an uncalled subprogram is unreachable code */
        int called = 0;
        for (int c = 0; c < g.ncalls; c++)
            called |= g.calls[c].sub == i;
        if (called)
            gen_sub(&g, i);
    }
    if (g.overflow)
        return -E2BIG;
    for (int i = 0; i < g.ncalls; i++)
        p->body[g.calls[i].at].imm = (int32_t)(g.sub_start[g.calls[i].sub] - g.calls[i].at - 1);
    p->body_cnt = g.n;
    return 0;
}

size_t kdiff_assemble(enum kdiff_ptype type, int for_kernel, const struct bpfvm_insn *body,
                      size_t body_cnt, struct bpfvm_insn *out)
{
    size_t n = 0;
    if (type == KDIFF_XDP && for_kernel) {
        out[n++] = isa_make(BPF_LDX | BPF_MEM | BPF_W, 6, 1, 0, 0); /* xdp_md.data */
        out[n++] = isa_make(BPF_LDX | BPF_MEM | BPF_W, 7, 1, 4, 0); /* xdp_md.data_end */
    } else if (type == KDIFF_XDP) {
        out[n++] = isa_make(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);
        out[n++] = isa_make(BPF_ALU64 | BPF_MOV | BPF_X, 7, 1, 0, 0);
        out[n++] = isa_make(BPF_ALU64 | BPF_ADD | BPF_X, 7, 2, 0, 0);
    } else {
        out[n++] = isa_make(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);
    }
    memcpy(out + n, body, body_cnt * sizeof(*body));
    return n + body_cnt;
}
