/* check_call.c - helper calls checked against their prototypes (map pointers, key and value
 * memory, sized memory, context, ring buffer records as acquired references, bpf_loop
 * callbacks), bpf-to-bpf calls with their own frames, and exits (return values, leaks,
 * unreleased references). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps/map.h"
#include "verifier/verifier.h"
#include "helpers/helpers.h"

#define BPF_FUNC_TAIL_CALL 12
#define BPF_FUNC_PERF_EVENT_OUTPUT 25
#define BPF_FUNC_LOOP 181

struct call_meta {
    const struct bpfvm_map *map;
    uint64_t alloc_size;
    int callback;          /* first insn of a callback subprogram, or -1 */
    uint32_t release_ref;
    bool key_is_zero;      /* the key is known to be 0 (array lookups cannot fail) */
};

/* Which helpers may take which maps (the kernel's check_map_func_compatibility). */
static int map_func_compat(struct venv *env, const struct bpfvm_map *m, const struct vhelper_proto *p)
{
    uint32_t id = p->id;
    bool ok = true;
    switch (m->type) {
    case BPFVM_MAP_TYPE_PROG_ARRAY:
        ok = id == BPF_FUNC_TAIL_CALL;
        break;
    case BPFVM_MAP_TYPE_PERF_EVENT_ARRAY:
        ok = id == BPF_FUNC_PERF_EVENT_OUTPUT;
        break;
    case BPFVM_MAP_TYPE_RINGBUF:
        ok = id >= 130 && id <= 134;
        break;
    case BPFVM_MAP_TYPE_QUEUE:
    case BPFVM_MAP_TYPE_STACK:
        ok = id == 87 || id == 88 || id == 89;
        break;
    case BPFVM_MAP_TYPE_ARRAY_OF_MAPS:
    case BPFVM_MAP_TYPE_HASH_OF_MAPS:
        if (id == 1)
            return verifier_err(env, EOPNOTSUPP, "map-in-map lookups are not supported by bpfvm's verifier yet");
        ok = id == 3 || id == 2;
        break;
    default:
        ok = !(id == BPF_FUNC_TAIL_CALL || id == BPF_FUNC_PERF_EVENT_OUTPUT || (id >= 130 && id <= 134) ||
               id == 87 || id == 88 || id == 89);
        break;
    }
    if (!ok)
        return verifier_err(env, EINVAL, "cannot pass map_type %d into func %s#%u", m->type, p->name, id);
    return 0;
}

static int expect(struct venv *env, int regno, const char *want)
{
    return verifier_err(env, EACCES, "R%d type=%s expected=%s", regno,
                        verifier_reg_type_str(&cur_regs(env)[regno]), want);
}

/* A constant-size argument (regno) describing the memory in regno - 1. */
static int check_size_arg(struct venv *env, int regno, bool zero_ok, bool write)
{
    const struct vreg *r = &cur_regs(env)[regno];
    if (r->type != VREG_SCALAR)
        return expect(env, regno, "scalar");
    if (r->smin < 0)
        return verifier_err(env, EACCES, "R%d min value is negative, either use unsigned or 'var &= const'",
                            regno);
    if (r->umin == 0 && !zero_ok)
        return verifier_err(env, EACCES, "R%d invalid zero-sized read", regno);
    if (r->umax >= (1ULL << 29))
        return verifier_err(env, EACCES, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'",
                            regno);
    return verifier_check_helper_mem(env, regno - 1, (int64_t)r->umin, r->umax, write, zero_ok);
}

static bool stack_key_is_zero(struct venv *env, const struct vreg *r, uint32_t size)
{
    if (r->type != VREG_PTR_TO_STACK || !tnum_is_const(r->var_off))
        return false;
    const struct vframe *f = env->cur->frame[r->frameno];
    int64_t off = r->off + (int64_t)r->var_off.value;
    for (uint32_t i = 0; i < size; i++) {
        int64_t o = off + i;
        int s = (int)((-o - 1) / 8), b = (int)(o + (s + 1) * 8);
        if (s >= f->nslots)
            return false;
        const struct vslot *sl = &f->stack[s];
        if (sl->type[b] == VSTACK_ZERO)
            continue;
        if (sl->type[b] == VSTACK_SPILL && reg_is_const(&sl->spilled) && !sl->spilled.var_off.value)
            continue;
        return false;
    }
    return true;
}

static int check_arg(struct venv *env, const struct vhelper_proto *p, int arg, struct call_meta *meta)
{
    int regno = arg + 1, rc;
    struct vreg *r = &cur_regs(env)[regno];
    uint8_t t = p->args[arg];
    if (t == VARG_DONTCARE)
        return 0;
    if ((rc = verifier_check_reg_read(env, regno)))
        return rc;
    switch (t) {
    case VARG_ANYTHING:
        if (!env->priv && reg_is_pointer(r))
            return verifier_err(env, EACCES, "R%d leaks addr into helper function", regno);
        return 0;
    case VARG_CONST_MAP_PTR:
        if (r->type != VREG_CONST_PTR_TO_MAP || r->maybe_null)
            return expect(env, regno, "map_ptr");
        meta->map = r->map;
        return map_func_compat(env, r->map, p);
    case VARG_PTR_TO_MAP_KEY:
        if (!meta->map)
            return verifier_err(env, EACCES, "invalid map_ptr to access map->key");
        if (r->type == VREG_SCALAR)
            return expect(env, regno, "fp, pkt, pkt_meta, map_key, map_value");
        meta->key_is_zero = stack_key_is_zero(env, r, meta->map->key_size);
        return verifier_check_helper_mem(env, regno, meta->map->key_size, meta->map->key_size, false, false);
    case VARG_PTR_TO_MAP_VALUE:
        if (!meta->map)
            return verifier_err(env, EACCES, "invalid map_ptr to access map->value");
        if (r->type == VREG_SCALAR)
            return expect(env, regno, "fp, pkt, pkt_meta, map_key, map_value");
        return verifier_check_helper_mem(env, regno, meta->map->value_size, meta->map->value_size, false, false);
    case VARG_PTR_TO_UNINIT_MEM:
        if (meta->map && (p->id == 88 || p->id == 89))
            return verifier_check_helper_mem(env, regno, meta->map->value_size, meta->map->value_size, true, false);
        /* sized by the next argument */
        /* fall through */
    case VARG_PTR_TO_MEM:
        if (r->type == VREG_SCALAR && !(reg_is_const(r) && !r->var_off.value && p->args[arg + 1] == VARG_CONST_SIZE_OR_ZERO))
            return expect(env, regno, "fp, pkt, pkt_meta, map_key, map_value, mem");
        return 0; /* checked with its size */
    case VARG_CONST_SIZE:
    case VARG_CONST_SIZE_OR_ZERO:
        return check_size_arg(env, regno, t == VARG_CONST_SIZE_OR_ZERO,
                              p->args[arg - 1] == VARG_PTR_TO_UNINIT_MEM);
    case VARG_PTR_TO_CTX:
        if (r->type != VREG_PTR_TO_CTX)
            return expect(env, regno, "ctx");
        if (r->off || !tnum_is_const(r->var_off) || r->var_off.value)
            return verifier_err(env, EACCES, "dereference of modified ctx ptr R%d off=%d disallowed", regno, r->off);
        return 0;
    case VARG_CONST_ALLOC_SIZE_OR_ZERO:
        if (!reg_is_const(r))
            return verifier_err(env, EACCES, "R%d is not a known constant'", regno);
        meta->alloc_size = r->var_off.value;
        return 0;
    case VARG_PTR_TO_RINGBUF_MEM:
        if (r->type != VREG_PTR_TO_MEM || !r->mem_ringbuf || r->maybe_null)
            return expect(env, regno, "ringbuf_mem");
        if (r->off || !tnum_is_const(r->var_off) || r->var_off.value)
            return verifier_err(env, EACCES, "R%d must have zero offset when passed to release func", regno);
        if (!r->ref_obj_id)
            return verifier_err(env, EINVAL, "R%d must be referenced when passed to release function", regno);
        meta->release_ref = r->ref_obj_id;
        return 0;
    case VARG_PTR_TO_FUNC:
        if (r->type != VREG_PTR_TO_FUNC)
            return expect(env, regno, "func");
        meta->callback = r->subprog;
        return 0;
    case VARG_PTR_TO_STACK_OR_NULL:
        if (reg_is_const(r) && !r->var_off.value)
            return 0;
        if (r->type != VREG_PTR_TO_STACK)
            return expect(env, regno, "fp");
        return 0;
    default:
        return verifier_err(env, EOPNOTSUPP, "helper %s#%u: argument %d type not supported", p->name, p->id, regno);
    }
}

void verifier_release_ref(struct venv *env, uint32_t ref_obj_id)
{
    struct vstate *st = env->cur;
    for (int i = 0; i < st->nrefs; i++)
        if (st->refs[i].id == ref_obj_id) {
            st->refs[i] = st->refs[--st->nrefs];
            break;
        }
}

static void invalidate_ref(struct vreg *r, void *arg)
{
    uint32_t id = *(uint32_t *)arg;
    if (r->ref_obj_id == id)
        reg_mark_unknown(r);
}

static void invalidate_pkt(struct vreg *r, void *arg)
{
    (void)arg;
    if (reg_is_pkt_pointer(r) || r->type == VREG_PTR_TO_PACKET_END)
        reg_mark_unknown(r);
}

static int acquire_ref(struct venv *env, uint32_t id, int insn)
{
    struct vstate *st = env->cur;
    struct vref *n = realloc(st->refs, (size_t)(st->nrefs + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    st->refs = n;
    st->refs[st->nrefs++] = (struct vref){id, insn};
    return 0;
}

/* Enter a callback subprogram from helper call `idx` (bpf_loop): r1 = index, r2 = ctx. */
static int enter_callback(struct venv *env, int idx, int cb_insn, int *next)
{
    struct vstate *st = env->cur;
    if (st->curframe + 1 >= VERIFIER_MAX_FRAMES)
        return verifier_err(env, E2BIG, "the call stack of %d frames is too deep !", st->curframe + 2);
    int sp = env->insn_subprog[cb_insn];
    struct vframe *f = verifier_frame_new(idx, sp, st->curframe + 1);
    if (!f)
        return -ENOMEM;
    struct vreg *caller = st->frame[st->curframe]->regs;
    reg_mark_unknown(&f->regs[1]);
    f->regs[1].umax = 0xffffffff;
    reg_bounds_sync(&f->regs[1]);
    f->regs[2] = caller[3];
    f->in_callback = true;
    f->cb_callsite = idx;
    st->frame[++st->curframe] = f;
    env->subprogs[sp].is_callback = true;
    *next = cb_insn;
    return 0;
}

int verifier_check_helper_call(struct venv *env, int idx, const struct bpfvm_insn *in)
{
    (void)idx;
    uint32_t id = (uint32_t)in->imm;
    const struct vhelper_proto *p = verifier_helper_proto(id);
    int rc;
    if (!p && helper_proto_get(id)) /* a kernel helper this verifier's table lacks: undecided */
        return verifier_err(env, EOPNOTSUPP, "helper #%u is not known to bpfvm's verifier yet", id);
    if (!p)
        return verifier_err(env, EINVAL, "invalid func unknown#%u", id);
    bool allowed = !p->needs_priv || env->priv;
    if (allowed && env->ctx && env->ctx->helpers) {
        allowed = false;
        for (size_t i = 0; i < env->ctx->nhelpers; i++)
            allowed |= env->ctx->helpers[i] == id;
    }
    if (!allowed)
        return verifier_err(env, EINVAL, "program of this type cannot use helper %s#%u", p->name, id);
    struct call_meta meta = {.callback = -1};
    for (int a = 0; a < 5; a++) {
        if (p->args[a] == VARG_DONTCARE)
            break;
        if ((rc = check_arg(env, p, a, &meta)))
            return rc;
    }
    if (id == BPF_FUNC_TAIL_CALL && env->cur->nrefs)
        return verifier_err(env, EINVAL, "tail_call would lead to reference leak");
    if (meta.release_ref) {
        verifier_release_ref(env, meta.release_ref);
        verifier_for_each_reg(env->cur, invalidate_ref, &meta.release_ref);
    }
    if (p->changes_pkt_data)
        verifier_for_each_reg(env->cur, invalidate_pkt, NULL);
    return 0;
}

/* After the helper's arguments are checked: clobber r1-r5 and set r0 (or enter a callback). */
static int helper_result(struct venv *env, int idx, const struct bpfvm_insn *in, struct call_meta *meta)
{
    const struct vhelper_proto *p = verifier_helper_proto((uint32_t)in->imm);
    struct vreg *regs = cur_regs(env);
    for (int r = 1; r <= 5; r++)
        reg_mark_not_init(&regs[r]);
    struct vreg *r0 = &regs[0];
    switch (p->ret) {
    case VRET_VOID:
        reg_mark_not_init(r0);
        break;
    case VRET_PTR_TO_MAP_VALUE_OR_NULL:
        reg_mark_ptr(r0, VREG_PTR_TO_MAP_VALUE);
        r0->map = meta->map;
        if (!(meta->key_is_zero && meta->map->max_entries > 0 &&
              (meta->map->type == BPFVM_MAP_TYPE_ARRAY || meta->map->type == BPFVM_MAP_TYPE_PERCPU_ARRAY))) {
            r0->maybe_null = true;
            r0->id = ++env->id_gen;
        }
        break;
    case VRET_PTR_TO_RINGBUF_MEM_OR_NULL: {
        reg_mark_ptr(r0, VREG_PTR_TO_MEM);
        r0->mem_ringbuf = 1;
        r0->maybe_null = true;
        r0->mem_size = (uint32_t)meta->alloc_size;
        r0->id = ++env->id_gen;
        r0->ref_obj_id = r0->id;
        int rc = acquire_ref(env, r0->id, idx);
        if (rc)
            return rc;
        break;
    }
    default:
        reg_mark_unknown(r0);
        break;
    }
    return 0;
}

/* The whole helper call: arguments, then result or callback entry.  *next is the insn to go on. */
int verifier_check_pseudo_call(struct venv *env, int idx, const struct bpfvm_insn *in, int *next)
{
    struct vstate *st = env->cur;
    if (in->src_reg != BPF_PSEUDO_CALL) {
        /* a helper */
        int rc = verifier_check_helper_call(env, idx, in);
        if (rc)
            return rc;
        const struct vhelper_proto *p = verifier_helper_proto((uint32_t)in->imm);
        struct call_meta meta = {.callback = -1};
        /* recompute the facts helper_result needs (cheap, no side effects) */
        struct vreg *regs = cur_regs(env);
        for (int a = 0; a < 5 && p->args[a] != VARG_DONTCARE; a++) {
            const struct vreg *r = &regs[a + 1];
            if (p->args[a] == VARG_CONST_MAP_PTR)
                meta.map = r->map;
            else if (p->args[a] == VARG_PTR_TO_MAP_KEY && meta.map)
                meta.key_is_zero = stack_key_is_zero(env, r, meta.map->key_size);
            else if (p->args[a] == VARG_CONST_ALLOC_SIZE_OR_ZERO)
                meta.alloc_size = r->var_off.value;
            else if (p->args[a] == VARG_PTR_TO_FUNC)
                meta.callback = r->subprog;
        }
        if (meta.callback >= 0) {
            /* path 1: the callback is not called at all (pushed), path 2: it is called */
            struct vstate *br;
            if ((rc = verifier_push_branch(env, idx + 1, idx, &br)))
                return rc;
            struct vstate *save = env->cur;
            env->cur = br;
            rc = helper_result(env, idx, in, &meta);
            env->cur = save;
            if (rc)
                return rc;
            return enter_callback(env, idx, meta.callback, next);
        }
        *next = idx + 1;
        return helper_result(env, idx, in, &meta);
    }
    if (st->curframe + 1 >= VERIFIER_MAX_FRAMES)
        return verifier_err(env, E2BIG, "the call stack of %d frames is too deep !", st->curframe + 2);
    int target = idx + 1 + in->imm;
    struct vframe *f = verifier_frame_new(idx, env->insn_subprog[target], st->curframe + 1);
    if (!f)
        return -ENOMEM;
    struct vreg *caller = st->frame[st->curframe]->regs;
    for (int r = 1; r <= 5; r++)
        f->regs[r] = caller[r];
    st->frame[++st->curframe] = f;
    verifier_log(env, "caller:\n");
    verifier_log_state(env, st, st->curframe - 1);
    verifier_log(env, "callee:\n");
    verifier_log_state(env, st, st->curframe);
    *next = target;
    return 0;
}

static int check_return_range(struct venv *env)
{
    const struct bpfvm_ctx_desc *d = env->ctx;
    const struct vreg *r0 = &cur_regs(env)[0];
    if (!d || !d->ret_check)
        return 0;
    if (r0->type != VREG_SCALAR)
        return verifier_err(env, EINVAL, "At program exit the register R0 is not a known value (%s)",
                            verifier_reg_type_str(r0));
    if (r0->smin < d->ret_min || r0->smax > d->ret_max)
        return verifier_err(env, EINVAL,
                            "At program exit the register R0 has smin=%lld smax=%lld should have been in [%lld, %lld]",
                            (long long)r0->smin, (long long)r0->smax, (long long)d->ret_min,
                            (long long)d->ret_max);
    return 0;
}

int verifier_check_exit(struct venv *env, int idx, int *next, bool *path_done)
{
    struct vstate *st = env->cur;
    struct vreg *r0 = &cur_regs(env)[0];
    int rc;
    (void)idx;
    *path_done = false;
    if (r0->type == VREG_NOT_INIT)
        return verifier_err(env, EACCES, "R0 !read_ok");
    if (st->curframe > 0) {
        struct vframe *callee = st->frame[st->curframe];
        struct vframe *caller = st->frame[st->curframe - 1];
        if (r0->type == VREG_PTR_TO_STACK && r0->frameno == callee->frameno)
            return verifier_err(env, EINVAL, "cannot return stack pointer to the caller frame");
        if (callee->in_callback) {
            if (r0->type != VREG_SCALAR || r0->smin < 0 || r0->smax > 1)
                return verifier_err(env, EINVAL,
                                    "At callback return the register R0 has smin=%lld smax=%lld should have been in [0, 1]",
                                    (long long)r0->smin, (long long)r0->smax);
            int callsite = callee->cb_callsite;
            free(callee->stack);
            free(callee);
            st->frame[st->curframe--] = NULL;
            /* another iteration starts from the helper call again */
            struct vstate *br;
            if ((rc = verifier_push_branch(env, callsite, idx, &br)))
                return rc;
            struct vreg *regs = caller->regs;
            for (int r = 1; r <= 5; r++)
                reg_mark_not_init(&regs[r]);
            reg_mark_unknown(&regs[0]);
            *next = callsite + 1;
            return 0;
        }
        struct vreg ret = *r0;
        int callsite = callee->callsite;
        free(callee->stack);
        free(callee);
        st->frame[st->curframe--] = NULL;
        for (int r = 1; r <= 5; r++)
            reg_mark_not_init(&caller->regs[r]);
        caller->regs[0] = ret;
        verifier_log(env, "returning from callee:\n");
        verifier_log_state(env, st, st->curframe);
        *next = callsite + 1;
        return 0;
    }
    if (st->nrefs)
        return verifier_err(env, EINVAL, "Unreleased reference id=%u alloc_insn=%d", st->refs[0].id,
                            st->refs[0].insn);
    if (!env->priv && reg_is_pointer(r0))
        return verifier_err(env, EACCES, "R0 leaks addr as return value");
    if ((rc = check_return_range(env)))
        return rc;
    *path_done = true;
    return 0;
}
