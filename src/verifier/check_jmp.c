/* check_jmp.c - conditional jumps: which side can be taken (known values and ranges), the
 * bounds each side learns (64-bit, and 32-bit where the upper half is known), copies of a
 * scalar learning together, NULL checks after map lookups (every copy of the pointer becomes
 * the value or 0), and packet bounds learnt from `pkt + N > pkt_end` style comparisons. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps/map.h"
#include "verifier/verifier.h"

#define U32MAX 0xffffffffULL

int verifier_push_branch(struct venv *env, int insn_idx, int prev_idx, struct vstate **out)
{
    if (env->nstack == env->capstack) {
        size_t cap = env->capstack ? env->capstack * 2 : 64;
        struct vpending *p = realloc(env->stack, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        env->stack = p;
        env->capstack = cap;
    }
    if (env->nstack > 8192)
        return verifier_err(env, E2BIG, "The sequence of %zu jumps is too complex.", env->nstack);
    struct vstate *st = verifier_state_dup(env->cur);
    if (!st)
        return -ENOMEM;
    st->insn_idx = insn_idx;
    if (st->parent)
        st->parent->branches++;
    env->stack[env->nstack++] = (struct vpending){st, insn_idx, prev_idx, env->log.len};
    *out = st;
    return 0;
}

/* ---------------- range refinement ---------------- */

/* The abstract range of one operand in the comparison's width. */
struct rng {
    uint64_t umin, umax;
    int64_t smin, smax;
    struct tnum t;
};

static struct rng rng_of(const struct vreg *r, bool is32)
{
    struct rng g = {r->umin, r->umax, r->smin, r->smax, r->var_off};
    if (!is32)
        return g;
    g.t = tnum_subreg(r->var_off);
    if ((r->umin >> 32) == (r->umax >> 32)) {
        g.umin = r->umin & U32MAX;
        g.umax = r->umax & U32MAX;
    } else {
        g.umin = g.t.value;
        g.umax = g.t.value | g.t.mask;
    }
    if (g.umax <= 0x7fffffff) {
        g.smin = (int64_t)g.umin;
        g.smax = (int64_t)g.umax;
    } else if (g.umin > 0x7fffffff) {
        g.smin = (int32_t)(uint32_t)g.umin;
        g.smax = (int32_t)(uint32_t)g.umax;
    } else {
        g.smin = INT32_MIN;
        g.smax = INT32_MAX;
    }
    return g;
}

static uint64_t umax_all(bool is32) { return is32 ? U32MAX : UINT64_MAX; }
static int64_t smin_all(bool is32) { return is32 ? INT32_MIN : INT64_MIN; }
static int64_t smax_all(bool is32) { return is32 ? INT32_MAX : INT64_MAX; }

#define MAXU(a, b) ((a) > (b) ? (a) : (b))
#define MINU(a, b) ((a) < (b) ? (a) : (b))

/* Make "a op b" true.  Returns false when it cannot be (the side is dead). */
static bool refine(struct rng *a, struct rng *b, uint8_t op, bool is32)
{
    switch (op) {
    case BPF_JEQ: {
        uint64_t lo = MAXU(a->umin, b->umin), hi = MINU(a->umax, b->umax);
        int64_t slo = MAXU(a->smin, b->smin), shi = MINU(a->smax, b->smax);
        struct tnum t = tnum_intersect(a->t, b->t);
        if ((a->t.value ^ b->t.value) & ~(a->t.mask | b->t.mask))
            return false;
        a->umin = b->umin = lo;
        a->umax = b->umax = hi;
        a->smin = b->smin = slo;
        a->smax = b->smax = shi;
        a->t = b->t = t;
        break;
    }
    case BPF_JNE:
        if (tnum_is_const(a->t) && tnum_is_const(b->t) && a->t.value == b->t.value)
            return false;
        for (int k = 0; k < 2; k++) {
            struct rng *x = k ? b : a, *c = k ? a : b;
            if (!tnum_is_const(c->t))
                continue;
            uint64_t v = c->t.value;
            int64_t sv = is32 ? (int32_t)(uint32_t)v : (int64_t)v;
            if (x->umin == v && x->umin < x->umax) x->umin++;
            else if (x->umax == v && x->umax > x->umin) x->umax--;
            if (x->smin == sv && x->smin < x->smax) x->smin++;
            else if (x->smax == sv && x->smax > x->smin) x->smax--;
        }
        break;
    case BPF_JGT: /* a > b */
        if (b->umin == umax_all(is32) || a->umax == 0)
            return false;
        a->umin = MAXU(a->umin, b->umin + 1);
        b->umax = MINU(b->umax, a->umax - 1);
        break;
    case BPF_JGE:
        a->umin = MAXU(a->umin, b->umin);
        b->umax = MINU(b->umax, a->umax);
        break;
    case BPF_JLT:
        return refine(b, a, BPF_JGT, is32);
    case BPF_JLE:
        return refine(b, a, BPF_JGE, is32);
    case BPF_JSGT:
        if (b->smin == smax_all(is32) || a->smax == smin_all(is32))
            return false;
        a->smin = MAXU(a->smin, b->smin + 1);
        b->smax = MINU(b->smax, a->smax - 1);
        break;
    case BPF_JSGE:
        a->smin = MAXU(a->smin, b->smin);
        b->smax = MINU(b->smax, a->smax);
        break;
    case BPF_JSLT:
        return refine(b, a, BPF_JSGT, is32);
    case BPF_JSLE:
        return refine(b, a, BPF_JSGE, is32);
    case BPF_JSET: /* a & b != 0 */
        if (!((a->t.value | a->t.mask) & (b->t.value | b->t.mask)))
            return false;
        break;
    case 0xf0: /* !JSET: a & b == 0 */
        if (a->t.value & b->t.value)
            return false;
        if (tnum_is_const(b->t))
            a->t = tnum_and(a->t, tnum_const(~b->t.value));
        if (tnum_is_const(a->t))
            b->t = tnum_and(b->t, tnum_const(~a->t.value));
        break;
    }
    for (int k = 0; k < 2; k++) {
        struct rng *x = k ? b : a;
        if (x->umin > x->umax || x->smin > x->smax)
            return false;
    }
    return true;
}

static uint8_t negate(uint8_t op)
{
    switch (op) {
    case BPF_JEQ: return BPF_JNE;
    case BPF_JNE: return BPF_JEQ;
    case BPF_JGT: return BPF_JLE;
    case BPF_JGE: return BPF_JLT;
    case BPF_JLT: return BPF_JGE;
    case BPF_JLE: return BPF_JGT;
    case BPF_JSGT: return BPF_JSLE;
    case BPF_JSGE: return BPF_JSLT;
    case BPF_JSLT: return BPF_JSGE;
    case BPF_JSLE: return BPF_JSGT;
    case BPF_JSET: return 0xf0;
    default: return BPF_JSET;
    }
}

/* Write a refined range back into the register; false when the result is impossible. */
static bool apply(struct vreg *r, const struct rng *g, bool is32)
{
    if (!is32) {
        r->umin = g->umin;
        r->umax = g->umax;
        r->smin = g->smin;
        r->smax = g->smax;
        r->var_off = tnum_intersect(r->var_off, g->t);
    } else {
        /* the low half's known bits always carry over */
        struct tnum low = g->t;
        if (g->smin >= 0)
            low = tnum_intersect(low, tnum_range(MAXU(g->umin, (uint64_t)g->smin), MINU(g->umax, (uint64_t)g->smax)));
        else
            low = tnum_intersect(low, tnum_range(g->umin, g->umax));
        r->var_off = tnum_intersect(r->var_off, TNUM(low.value, low.mask | (~0ULL << 32)));
        if ((r->umin >> 32) == (r->umax >> 32)) {
            uint64_t base = r->umin & ~U32MAX;
            uint64_t lo = g->umin, hi = g->umax;
            if (g->smin >= 0) {
                lo = MAXU(lo, (uint64_t)g->smin);
                hi = MINU(hi, (uint64_t)g->smax);
            } else if (g->smax < 0) {
                lo = MAXU(lo, (uint64_t)(uint32_t)g->smin);
                hi = MINU(hi, (uint64_t)(uint32_t)g->smax);
            }
            if (lo > hi)
                return false;
            r->umin = MAXU(r->umin, base + lo);
            r->umax = MINU(r->umax, base + hi);
        }
    }
    reg_bounds_sync(r);
    return reg_bounds_sane(r);
}

struct copy_arg {
    uint32_t id;
    const struct vreg *src;
};

static void copy_bounds(struct vreg *r, void *arg)
{
    struct copy_arg *c = arg;
    if (r->type == VREG_SCALAR && r->id == c->id)
        *r = *c->src;
}

/* Refine dst (and src) in state st as "dst op src" being true.  False when impossible. */
static bool refine_state(struct vstate *st, const struct bpfvm_insn *in, uint8_t op, bool is32)
{
    struct vreg *regs = st->frame[st->curframe]->regs;
    struct vreg *d = &regs[in->dst_reg];
    struct vreg kreg, *s;
    if (ISA_SRC(in->code) == BPF_X) {
        s = &regs[in->src_reg];
    } else {
        reg_mark_const(&kreg, is32 ? (uint64_t)(uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
        s = &kreg;
    }
    struct rng a = rng_of(d, is32), b = rng_of(s, is32);
    if (is32 && ISA_SRC(in->code) == BPF_K) {
        b.smin = b.smax = in->imm;
        b.umin = b.umax = (uint32_t)in->imm;
    }
    if (!refine(&a, &b, op, is32))
        return false;
    bool same = s == d;
    if (!apply(d, &a, is32))
        return false;
    if (!same && s != &kreg && s->type == VREG_SCALAR && !apply(s, &b, is32))
        return false;
    if (d->id) {
        struct copy_arg c = {d->id, d};
        struct vreg tmp = *d;
        c.src = &tmp;
        verifier_for_each_reg(st, copy_bounds, &c);
    }
    if (s != &kreg && s->id && s->type == VREG_SCALAR) {
        struct vreg tmp = *s;
        struct copy_arg c = {s->id, &tmp};
        verifier_for_each_reg(st, copy_bounds, &c);
    }
    return true;
}

/* ---------------- NULL checks ---------------- */

struct null_arg {
    uint32_t id;
    bool is_null;
};

static void mark_null(struct vreg *r, void *arg)
{
    struct null_arg *a = arg;
    if (!r->maybe_null || r->id != a->id)
        return;
    if (a->is_null) {
        reg_mark_const(r, 0);
        return;
    }
    r->maybe_null = false;
    /* packet pointers keep their range's id; map values with a spin lock keep theirs, which
     * names the lock bpf_spin_unlock must release */
    bool lock_value = r->type == VREG_PTR_TO_MAP_VALUE && r->map && r->map->spin_lock_off >= 0;
    if (r->type != VREG_PTR_TO_PACKET && r->type != VREG_PTR_TO_PACKET_META && !lock_value)
        r->id = 0;
}

static void mark_ptr_or_null(struct venv *env, struct vstate *st, uint32_t id, bool is_null)
{
    struct null_arg a = {id, is_null};
    verifier_for_each_reg(st, mark_null, &a);
    if (is_null) {
        /* a NULL reference needs no release */
        for (int i = 0; i < st->nrefs; i++)
            if (st->refs[i].id == id) {
                st->refs[i] = st->refs[--st->nrefs];
                break;
            }
    }
    (void)env;
}

/* ---------------- packet ranges ---------------- */

struct pkt_arg {
    uint8_t type;
    uint32_t id;
    uint32_t range;
};

static void mark_pkt_range(struct vreg *r, void *arg)
{
    struct pkt_arg *a = arg;
    if (r->type == a->type && r->id == a->id && r->range < a->range)
        r->range = a->range;
}

static void find_good_pkt_pointers(struct vstate *st, const struct vreg *pkt, bool right_open)
{
    if (pkt->off < 0 || (pkt->off == 0 && right_open))
        return;
    if (pkt->umax > VERIFIER_MAX_PACKET_OFF || pkt->umax + (uint64_t)pkt->off > VERIFIER_MAX_PACKET_OFF)
        return;
    struct pkt_arg a = {pkt->type, pkt->id, (uint32_t)pkt->off + (right_open ? 1u : 0u)};
    verifier_for_each_reg(st, mark_pkt_range, &a);
}

/* pkt-vs-end comparisons: `taken` / `fall` states learn in-bounds ranges.  True when the
 * comparison was such a pair. */
static bool try_pkt_pointers(const struct bpfvm_insn *in, const struct vreg *d, const struct vreg *s,
                             struct vstate *taken, struct vstate *fall)
{
    if (ISA_CLASS(in->code) == BPF_JMP32 || ISA_SRC(in->code) != BPF_X)
        return false;
    uint8_t op = ISA_OP(in->code);
    const struct vreg *pkt;
    bool pkt_left;
    if (reg_is_pkt_pointer(d) &&
        (s->type == VREG_PTR_TO_PACKET_END || (d->type == VREG_PTR_TO_PACKET_META && s->type == VREG_PTR_TO_PACKET))) {
        pkt = d;
        pkt_left = true;
    } else if (reg_is_pkt_pointer(s) &&
               (d->type == VREG_PTR_TO_PACKET_END || (s->type == VREG_PTR_TO_PACKET_META && d->type == VREG_PTR_TO_PACKET))) {
        pkt = s;
        pkt_left = false;
    } else {
        return false;
    }
    /* normalise to "pkt OP end" */
    if (!pkt_left) {
        switch (op) {
        case BPF_JGT: op = BPF_JLT; break;
        case BPF_JLT: op = BPF_JGT; break;
        case BPF_JGE: op = BPF_JLE; break;
        case BPF_JLE: op = BPF_JGE; break;
        default: return false;
        }
    }
    struct vreg p = *pkt;
    switch (op) {
    case BPF_JGT: /* pkt > end: the fall-through has pkt <= end */
        if (fall) find_good_pkt_pointers(fall, &p, false);
        return true;
    case BPF_JLT: /* pkt < end on the taken side */
        if (taken) find_good_pkt_pointers(taken, &p, true);
        return true;
    case BPF_JGE: /* pkt >= end: the fall-through has pkt < end */
        if (fall) find_good_pkt_pointers(fall, &p, true);
        return true;
    case BPF_JLE:
        if (taken) find_good_pkt_pointers(taken, &p, false);
        return true;
    default:
        return false;
    }
}

/* ---------------- the jump ---------------- */

int verifier_check_cond_jmp(struct venv *env, int idx, const struct bpfvm_insn *in, int *next)
{
    struct vreg *regs = cur_regs(env);
    uint8_t op = ISA_OP(in->code);
    bool is32 = ISA_CLASS(in->code) == BPF_JMP32;
    bool x = ISA_SRC(in->code) == BPF_X;
    int target = idx + 1 + in->off;
    int rc;

    if (op == BPF_JCOND) { /* may_goto: both ways, the run-time counter ends loops */
        struct vstate *br;
        if ((rc = verifier_push_branch(env, target, idx, &br)))
            return rc;
        br->may_goto_depth++;
        *next = idx + 1;
        return 0;
    }
    if ((rc = verifier_check_reg_read(env, in->dst_reg)))
        return rc;
    if (x && (rc = verifier_check_reg_read(env, in->src_reg)))
        return rc;
    struct vreg d = regs[in->dst_reg];
    struct vreg kreg;
    if (x)
        kreg = regs[in->src_reg];
    else
        reg_mark_const(&kreg, is32 ? (uint64_t)(uint32_t)in->imm : (uint64_t)(int64_t)in->imm);
    const struct vreg *s = &kreg;
    bool dptr = reg_is_pointer(&d), sptr = reg_is_pointer(s);

    if (!env->priv && x && sptr && !(reg_is_pkt_pointer(s) || s->type == VREG_PTR_TO_PACKET_END))
        return verifier_err(env, EACCES, "R%d pointer comparison prohibited", in->src_reg);

    /* NULL checks */
    if (!is32 && d.maybe_null && (op == BPF_JEQ || op == BPF_JNE) && reg_is_const(s) &&
        s->var_off.value == 0) {
        struct vstate *br;
        if ((rc = verifier_push_branch(env, target, idx, &br)))
            return rc;
        mark_ptr_or_null(env, br, d.id, op == BPF_JEQ);
        mark_ptr_or_null(env, env->cur, d.id, op != BPF_JEQ);
        *next = idx + 1;
        return 0;
    }
    if (dptr || sptr) {
        /* a non-NULL pointer against 0 decides the branch */
        if (!is32 && (op == BPF_JEQ || op == BPF_JNE) && ((dptr && !d.maybe_null && reg_is_const(s) && !s->var_off.value) ||
                                                          (sptr && !s->maybe_null && reg_is_const(&d) && !d.var_off.value))) {
            if (!env->priv && !(dptr && sptr))
                return verifier_err(env, EACCES, "R%d pointer comparison prohibited", in->dst_reg);
            *next = op == BPF_JNE ? target : idx + 1;
            return 0;
        }
        struct vstate *br;
        if ((rc = verifier_push_branch(env, target, idx, &br)))
            return rc;
        if (!try_pkt_pointers(in, &d, s, br, env->cur) && !env->priv)
            return verifier_err(env, EACCES, "R%d pointer comparison prohibited", in->dst_reg);
        *next = idx + 1;
        return 0;
    }

    /* scalars: refine both sides on copies; a side that cannot happen is not explored */
    struct vstate *taken = verifier_state_dup(env->cur);
    if (!taken)
        return -ENOMEM;
    bool t_ok = refine_state(taken, in, op, is32);
    bool f_ok = refine_state(env->cur, in, negate(op), is32);
    if (!t_ok && !f_ok) {
        /* cannot happen for sound inputs; keep the unrefined fall-through */
        verifier_state_free(taken);
        return verifier_err(env, EFAULT, "insn %d: verifier bug: both branches impossible", idx);
    }
    if (!f_ok) {
        /* only the jump: continue on the refined taken state */
        struct vcheckpoint *parent = env->cur->parent;
        verifier_state_copy(env->cur, taken);
        env->cur->parent = parent;
        verifier_state_free(taken);
        *next = target;
        return 0;
    }
    if (t_ok) {
        struct vstate *br;
        if ((rc = verifier_push_branch(env, target, idx, &br))) {
            verifier_state_free(taken);
            return rc;
        }
        /* the pushed copy is of the refined fall-through: replace it with the taken state */
        struct vcheckpoint *parent = br->parent;
        if ((rc = verifier_state_copy(br, taken))) {
            verifier_state_free(taken);
            return rc;
        }
        br->parent = parent;
        br->insn_idx = target;
    }
    verifier_state_free(taken);
    *next = idx + 1;
    return 0;
}
