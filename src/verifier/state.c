/* state.c - abstract register and stack state: register constructors, scalar bounds
 * synchronisation, copying states, and pruning (a state that is covered by one already fully
 * explored at the same instruction needs no further work; an in-progress state seen again
 * unchanged is an infinite loop). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/verifier.h"

/* ---------------- registers ---------------- */

void reg_mark_not_init(struct vreg *r)
{
    memset(r, 0, sizeof(*r));
    r->type = VREG_NOT_INIT;
}

void reg_mark_unknown(struct vreg *r)
{
    memset(r, 0, sizeof(*r));
    r->type = VREG_SCALAR;
    r->var_off = tnum_unknown();
    r->smin = INT64_MIN;
    r->smax = INT64_MAX;
    r->umin = 0;
    r->umax = UINT64_MAX;
}

void reg_mark_const(struct vreg *r, uint64_t v)
{
    memset(r, 0, sizeof(*r));
    r->type = VREG_SCALAR;
    r->var_off = tnum_const(v);
    r->smin = r->smax = (int64_t)v;
    r->umin = r->umax = v;
}

/* A pointer with a zero offset (fixed and variable). */
void reg_mark_ptr(struct vreg *r, enum vreg_type t)
{
    reg_mark_const(r, 0);
    r->type = (uint8_t)t;
}

bool reg_is_pointer(const struct vreg *r) { return r->type != VREG_SCALAR && r->type != VREG_NOT_INIT; }

bool reg_is_pkt_pointer(const struct vreg *r)
{
    return r->type == VREG_PTR_TO_PACKET || r->type == VREG_PTR_TO_PACKET_META;
}

bool reg_is_const(const struct vreg *r) { return r->type == VREG_SCALAR && tnum_is_const(r->var_off); }

static inline int64_t max_s(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t min_s(int64_t a, int64_t b) { return a < b ? a : b; }
static inline uint64_t max_u(uint64_t a, uint64_t b) { return a > b ? a : b; }
static inline uint64_t min_u(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Narrow the four bounds with what the known bits say. */
void reg_bounds_from_tnum(struct vreg *r)
{
    const uint64_t sign = 1ULL << 63;
    struct tnum t = r->var_off;
    r->umin = max_u(r->umin, t.value);
    r->umax = min_u(r->umax, t.value | t.mask);
    r->smin = max_s(r->smin, (int64_t)(t.value | (t.mask & sign)));
    r->smax = min_s(r->smax, (int64_t)(t.value | (t.mask & ~sign)));
}

/* Make the signed and unsigned bounds and the tnum agree as far as each allows. */
void reg_bounds_sync(struct vreg *r)
{
    for (int round = 0; round < 2; round++) {
        reg_bounds_from_tnum(r);
        /* a signed range that does not cross zero is also an unsigned one, and back */
        if ((r->smin >= 0) == (r->smax >= 0)) {
            r->umin = max_u(r->umin, (uint64_t)r->smin);
            r->umax = min_u(r->umax, (uint64_t)r->smax);
        }
        if ((int64_t)r->umin >= 0 || (int64_t)r->umax < 0) {
            if (((r->umin ^ r->umax) >> 63) == 0) {
                r->smin = max_s(r->smin, (int64_t)r->umin);
                r->smax = min_s(r->smax, (int64_t)r->umax);
            }
        }
        if (r->umin <= r->umax)
            r->var_off = tnum_intersect(r->var_off, tnum_range(r->umin, r->umax));
        if (r->smin <= r->smax && (r->smin >= 0) == (r->smax >= 0))
            r->var_off = tnum_intersect(r->var_off, tnum_range((uint64_t)r->smin, (uint64_t)r->smax));
    }
}

/* False when no concrete value satisfies the bounds (a branch that cannot be taken). */
bool reg_bounds_sane(const struct vreg *r)
{
    if (r->umin > r->umax || r->smin > r->smax)
        return false;
    if (r->var_off.value & r->var_off.mask)
        return false;
    if (r->var_off.value > r->umax || (r->var_off.value | r->var_off.mask) < r->umin)
        return false;
    return true;
}

void verifier_for_each_reg(struct vstate *st, vreg_visit_fn fn, void *arg)
{
    for (int f = 0; f <= st->curframe; f++) {
        struct vframe *fr = st->frame[f];
        for (int i = 0; i < ISA_NREGS; i++)
            fn(&fr->regs[i], arg);
        for (int s = 0; s < fr->nslots; s++)
            if (fr->stack[s].type[0] == VSTACK_SPILL)
                fn(&fr->stack[s].spilled, arg);
    }
}

/* ---------------- frames and states ---------------- */

struct vframe *verifier_frame_new(int callsite, int subprog, int frameno)
{
    struct vframe *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    for (int i = 0; i < ISA_NREGS; i++)
        reg_mark_not_init(&f->regs[i]);
    f->callsite = callsite;
    f->subprog = subprog;
    f->frameno = frameno;
    reg_mark_ptr(&f->regs[10], VREG_PTR_TO_STACK);
    f->regs[10].frameno = (uint8_t)frameno;
    return f;
}

int verifier_frame_grow(struct vframe *f, int nslots)
{
    if (nslots <= f->nslots)
        return 0;
    struct vslot *s = realloc(f->stack, (size_t)nslots * sizeof(*s));
    if (!s)
        return -ENOMEM;
    memset(s + f->nslots, 0, (size_t)(nslots - f->nslots) * sizeof(*s));
    f->stack = s;
    f->nslots = nslots;
    return 0;
}

static void frame_free(struct vframe *f)
{
    if (f) {
        free(f->stack);
        free(f);
    }
}

struct vstate *verifier_state_new(void) { return calloc(1, sizeof(struct vstate)); }

static void state_clear(struct vstate *st)
{
    for (int i = 0; i < VERIFIER_MAX_FRAMES; i++) {
        frame_free(st->frame[i]);
        st->frame[i] = NULL;
    }
    free(st->refs);
    st->refs = NULL;
    st->nrefs = 0;
}

void verifier_state_free(struct vstate *st)
{
    if (st) {
        state_clear(st);
        free(st);
    }
}

static struct vframe *frame_dup(const struct vframe *src)
{
    struct vframe *f = malloc(sizeof(*f));
    if (!f)
        return NULL;
    *f = *src;
    f->stack = NULL;
    if (src->nslots) {
        f->stack = malloc((size_t)src->nslots * sizeof(*f->stack));
        if (!f->stack) {
            free(f);
            return NULL;
        }
        memcpy(f->stack, src->stack, (size_t)src->nslots * sizeof(*f->stack));
    }
    return f;
}

int verifier_state_copy(struct vstate *dst, const struct vstate *src)
{
    state_clear(dst);
    dst->curframe = src->curframe;
    dst->insn_idx = src->insn_idx;
    dst->parent = src->parent;
    dst->may_goto_depth = src->may_goto_depth;
    dst->lock_map = src->lock_map;
    dst->lock_id = src->lock_id;
    for (int i = 0; i <= src->curframe; i++)
        if (!(dst->frame[i] = frame_dup(src->frame[i])))
            return -ENOMEM;
    if (src->nrefs) {
        dst->refs = malloc((size_t)src->nrefs * sizeof(*dst->refs));
        if (!dst->refs)
            return -ENOMEM;
        memcpy(dst->refs, src->refs, (size_t)src->nrefs * sizeof(*dst->refs));
        dst->nrefs = src->nrefs;
    }
    return 0;
}

struct vstate *verifier_state_dup(const struct vstate *src)
{
    struct vstate *st = verifier_state_new();
    if (!st)
        return NULL;
    if (verifier_state_copy(st, src)) {
        verifier_state_free(st);
        return NULL;
    }
    return st;
}

/* ---------------- comparing states ---------------- */

#define IDMAP_MAX 64
struct idmap {
    uint32_t old[IDMAP_MAX], cur[IDMAP_MAX];
    int n;
};

/* ids in the old state must map consistently onto ids of the current one */
static bool id_match(struct idmap *m, uint32_t old, uint32_t cur)
{
    if (!old)
        return true;
    if (!cur)
        return false;
    for (int i = 0; i < m->n; i++) {
        if (m->old[i] == old)
            return m->cur[i] == cur;
        if (m->cur[i] == cur)
            return false; /* two old ids onto one: the old state kept them apart */
    }
    if (m->n == IDMAP_MAX)
        return false;
    m->old[m->n] = old;
    m->cur[m->n++] = cur;
    return true;
}

static bool range_within(const struct vreg *o, const struct vreg *c)
{
    return o->umin <= c->umin && o->umax >= c->umax && o->smin <= c->smin && o->smax >= c->smax &&
           tnum_in(o->var_off, c->var_off);
}

static bool range_equal(const struct vreg *o, const struct vreg *c)
{
    return o->umin == c->umin && o->umax == c->umax && o->smin == c->smin && o->smax == c->smax &&
           o->var_off.value == c->var_off.value && o->var_off.mask == c->var_off.mask;
}

static bool regsafe(const struct vreg *o, const struct vreg *c, struct idmap *m, bool exact)
{
    if (o->type == VREG_NOT_INIT)
        return exact ? c->type == VREG_NOT_INIT : true;
    if (o->type != c->type || o->maybe_null != c->maybe_null)
        return false;
    bool in = exact ? range_equal(o, c) : range_within(o, c);
    switch (o->type) {
    case VREG_SCALAR:
        return in && id_match(m, o->id, c->id);
    case VREG_PTR_TO_PACKET:
    case VREG_PTR_TO_PACKET_META:
        if (exact ? o->range != c->range : o->range > c->range)
            return false;
        /* fall through */
    default:
        return in && o->off == c->off && o->map == c->map && o->frameno == c->frameno &&
               o->mem_size == c->mem_size && o->subprog == c->subprog &&
               o->mem_ringbuf == c->mem_ringbuf && id_match(m, o->id, c->id) &&
               id_match(m, o->ref_obj_id, c->ref_obj_id);
    }
}

static bool stacksafe(const struct vframe *o, const struct vframe *c, struct idmap *m, bool exact)
{
    int n = o->nslots > c->nslots ? o->nslots : c->nslots;
    for (int s = 0; s < n; s++) {
        static const struct vslot empty;
        const struct vslot *os = s < o->nslots ? &o->stack[s] : &empty;
        const struct vslot *cs = s < c->nslots ? &c->stack[s] : &empty;
        if (exact) {
            if (memcmp(os->type, cs->type, 8))
                return false;
            if (os->type[0] == VSTACK_SPILL && !regsafe(&os->spilled, &cs->spilled, m, true))
                return false;
            continue;
        }
        for (int b = 0; b < 8; b++) {
            switch (os->type[b]) {
            case VSTACK_INVALID:
                break;
            case VSTACK_MISC:
                if (cs->type[b] == VSTACK_SPILL && cs->spilled.type != VREG_SCALAR)
                    return false;
                if (cs->type[b] == VSTACK_INVALID)
                    return false;
                break;
            case VSTACK_ZERO:
                if (cs->type[b] != VSTACK_ZERO)
                    return false;
                break;
            case VSTACK_SPILL:
                if (cs->type[b] != VSTACK_SPILL)
                    return false;
                break;
            }
        }
        if (os->type[0] == VSTACK_SPILL && !regsafe(&os->spilled, &cs->spilled, m, false))
            return false;
    }
    return true;
}

/* Registers live at frame f's current instruction: for the innermost frame the insn itself,
 * for callers the instruction after their call (r0-r5 are rewritten by the return). */
static uint16_t frame_live(struct venv *env, const struct vstate *st, int f, int insn)
{
    if (f == st->curframe)
        return env->live_in[insn];
    int ret_to = st->frame[f + 1]->callsite + 1;
    if (st->frame[f + 1]->in_callback)
        return 0x7ff; /* a callback returns into its helper call: keep everything */
    if (ret_to >= (int)env->cnt)
        return 0x7ff;
    return env->live_in[ret_to] & (uint16_t)~0x3f;
}

static bool states_equal(struct venv *env, const struct vstate *o, const struct vstate *c, int insn,
                         bool exact)
{
    struct idmap m = {.n = 0};
    if (o->curframe != c->curframe || o->nrefs != c->nrefs || o->lock_map != c->lock_map)
        return false;
    if (o->lock_map && !id_match(&m, o->lock_id, c->lock_id))
        return false;
    for (int i = 0; i < o->nrefs; i++)
        if (!id_match(&m, o->refs[i].id, c->refs[i].id))
            return false;
    for (int f = 0; f <= o->curframe; f++) {
        const struct vframe *of = o->frame[f], *cf = c->frame[f];
        if (of->callsite != cf->callsite || of->in_callback != cf->in_callback)
            return false;
        uint16_t live = frame_live(env, o, f, insn);
        for (int r = 0; r < ISA_NREGS; r++) {
            if (!(live & (1u << r)) && r != 10)
                continue;
            if (!regsafe(&of->regs[r], &cf->regs[r], &m, exact))
                return false;
        }
        if (!stacksafe(of, cf, &m, exact))
            return false;
    }
    return true;
}

/* ---------------- pruning ---------------- */

void verifier_update_branch_counts(struct venv *env, struct vcheckpoint *ck)
{
    (void)env;
    while (ck) {
        if (--ck->branches > 0)
            break;
        ck = ck->parent;
    }
}

/* Loops the run time bounds by itself (may_goto's counter, bpf_loop's count): a state
 * covered by one still being explored needs no further work there. */
static bool is_may_goto(const struct bpfvm_insn *in)
{
    return in->code == (BPF_JMP | BPF_JCOND) || verifier_is_callback_call(in);
}

/* Widening at loops the run time bounds (may_goto, bpf_loop): scalars that changed since
 * the in-progress state become unknown, so the next round is covered and exploration ends.
 * Over-approximating is always sound. */
static void widen(const struct vstate *o, struct vstate *c)
{
    if (o->curframe != c->curframe)
        return;
    for (int f = 0; f <= c->curframe; f++) {
        const struct vframe *of = o->frame[f];
        struct vframe *cf = c->frame[f];
        for (int r = 0; r < ISA_NREGS; r++) {
            const struct vreg *a = &of->regs[r];
            struct vreg *b = &cf->regs[r];
            if (a->type == VREG_SCALAR && b->type == VREG_SCALAR && !range_within(a, b))
                reg_mark_unknown(b);
        }
        int n = of->nslots < cf->nslots ? of->nslots : cf->nslots;
        for (int s = 0; s < n; s++) {
            const struct vslot *a = &of->stack[s];
            struct vslot *b = &cf->stack[s];
            if (a->type[0] == VSTACK_SPILL && b->type[0] == VSTACK_SPILL &&
                a->spilled.type == VREG_SCALAR && b->spilled.type == VREG_SCALAR &&
                !range_within(&a->spilled, &b->spilled))
                reg_mark_unknown(&b->spilled);
            for (int k = 0; k < 8; k++)
                if (a->type[k] == VSTACK_MISC && b->type[k] == VSTACK_ZERO)
                    b->type[k] = VSTACK_MISC;
        }
    }
}

/* Whether cur is in another run of a callback than old (the path went around the helper
 * call that runs it, a loop the run time bounds) rather than around a loop of its own. */
static bool in_later_callback_run(const struct vstate *old, const struct vstate *cur)
{
    for (int f = 1; f <= cur->curframe && f <= old->curframe; f++)
        if (cur->frame[f]->in_callback && cur->frame[f]->cb_run != old->frame[f]->cb_run)
            return true;
    return false;
}

static void checkpoint_free(struct vcheckpoint *ck)
{
    state_clear(&ck->st);
    free(ck);
}

int verifier_is_state_visited(struct venv *env, int insn, bool force)
{
    struct vstate *cur = env->cur;
    int nstates = 0;
    struct vcheckpoint **link = &env->explored[insn];
    bool looping = false, widened = false;
    bool runtime_bounded = is_may_goto(&env->insns[insn]);
    while (*link) {
        struct vcheckpoint *ck = *link;
        if (++nstates > 64)
            break; /* comparing with the newest states is enough (and keeps long loops linear) */
        if (ck->branches > 0) {
            /* still being explored: this path came back to it */
            if (runtime_bounded) {
                if (states_equal(env, &ck->st, cur, insn, false)) {
                    /* the run-time bound ends the loop: the in-progress state covers us */
                    ck->hits++;
                    return 1;
                }
                widen(&ck->st, cur);
                widened = true;
            }
            if (states_equal(env, &ck->st, cur, insn, true)) {
                /* back in the same state in a later run of a callback: the helper bounds
                 * the runs, so the state still being explored covers this one */
                if (in_later_callback_run(&ck->st, cur)) {
                    ck->hits++;
                    return 1;
                }
                return verifier_err(env, EINVAL, "infinite loop detected at insn %d", insn);
            }
            looping = true;
            link = &ck->next;
            continue;
        }
        if (states_equal(env, &ck->st, cur, insn, false)) {
            ck->hits++;
            return 1;
        }
        /* a state that keeps missing only costs time: forget it (like Linux) */
        if (++ck->miss > ck->hits * 3 + 3) {
            *link = ck->next;
            checkpoint_free(ck);
            env->cur_states--;
            continue;
        }
        link = &ck->next;
    }
    /* remember this state, but not at every prune point of a long straight path */
    uint64_t since = env->insn_processed - env->prev_insn_processed;
    if (widened)
        since = 64;
    if (env->explored[insn] && (since < 8 || (looping && since < 64)) && !(force && since >= 8))
        return 0;
    if (looping && force && since < 64 && env->explored[insn])
        return 0;
    env->prev_insn_processed = env->insn_processed;
    /* remember this state */
    struct vcheckpoint *ck = calloc(1, sizeof(*ck));
    if (!ck)
        return -ENOMEM;
    if (verifier_state_copy(&ck->st, cur)) {
        state_clear(&ck->st);
        free(ck);
        return -ENOMEM;
    }
    ck->st.insn_idx = insn;
    ck->parent = cur->parent;
    ck->branches = 1;
    ck->next = env->explored[insn];
    env->explored[insn] = ck;
    cur->parent = ck;
    env->total_states++;
    env->cur_states++;
    if (env->cur_states > env->peak_states)
        env->peak_states = env->cur_states;
    if ((uint32_t)nstates + 1 > env->max_states_per_insn)
        env->max_states_per_insn = (uint32_t)nstates + 1;
    return 0;
}

void verifier_free_checkpoints(struct venv *env)
{
    if (!env->explored)
        return;
    for (size_t i = 0; i < env->cnt; i++) {
        struct vcheckpoint *ck = env->explored[i];
        while (ck) {
            struct vcheckpoint *next = ck->next;
            checkpoint_free(ck);
            ck = next;
        }
    }
}
