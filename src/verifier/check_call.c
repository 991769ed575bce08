/* check_call.c - helper calls checked against their prototypes (map pointers, key and value
 * memory, sized memory, context, ring buffer records as acquired references, bpf_loop
 * callbacks), bpf-to-bpf calls with their own frames, and exits (return values, leaks,
 * unreleased references). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps/map.h"
#include "verifier/verifier.h"
#include "helpers/helpers.h"

#define BPF_FUNC_TAIL_CALL 12
#define BPF_FUNC_SPIN_LOCK 93
#define BPF_FUNC_SPIN_UNLOCK 94
#define VERIFIER_KERNEL_HELPERS 212 /* Linux 6.18's __BPF_FUNC_MAX_ID */

struct call_meta {
    const struct bpfvm_map *map;
    uint64_t alloc_size;
    int callback;          /* first insn of a callback subprogram, or -1 */
    uint32_t release_ref;
    bool key_const;        /* the key is a known constant (array lookups cannot fail) */
    uint64_t key;
};

static int expect(struct venv *env, int regno, const char *want)
{
    return verifier_err(env, EACCES, "R%d type=%s expected=%s", regno,
                        verifier_reg_type_str(&cur_regs(env)[regno]), want);
}

/* The map argument; whether the helper takes its type is checked after all the arguments
 * (check_map_type), as the kernel does: a bloom filter passed to bpf_map_lookup_elem fails on
 * its zero-sized key first. */
static int check_map_arg(struct venv *env, int regno, struct call_meta *meta)
{
    const struct vreg *r = &cur_regs(env)[regno];
    if (r->type != VREG_CONST_PTR_TO_MAP || r->maybe_null)
        return expect(env, regno, "map_ptr");
    meta->map = r->map;
    return 0;
}

/* The kernel's check_map_func_compatibility, both directions: the table's map_types mask. */
static int check_map_type(struct venv *env, const struct helper_proto *p, const struct call_meta *meta)
{
    if (meta->map && !((p->map_types >> (meta->map->type & 63)) & 1))
        return verifier_err(env, EINVAL, "cannot pass map_type %d into func %s#%u", meta->map->type,
                            p->name, p->id);
    return 0;
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

/* The constant a map key on the stack holds, as the kernel finds it: all bytes known zero,
 * or a scalar spilled with exactly the key's size at the start of a slot. */
static bool stack_const_key(struct venv *env, const struct vreg *r, uint32_t size, uint64_t *key)
{
    if (r->type != VREG_PTR_TO_STACK || !tnum_is_const(r->var_off) || !env->priv)
        return false;
    const struct vframe *f = env->cur->frame[r->frameno];
    int64_t off = r->off + (int64_t)r->var_off.value;
    if (off >= 0 || off + size > 0 || size > 8)
        return false;
    int s = (int)((-off - 1) / 8), b = (int)(off + (s + 1) * 8);
    if (s >= f->nslots)
        return false;
    const struct vslot *sl = &f->stack[s];
    bool zero = b + size <= 8;
    for (uint32_t i = 0; zero && i < size; i++)
        zero = sl->type[b + i] == VSTACK_ZERO ||
               (sl->type[b + i] == VSTACK_SPILL && reg_is_const(&sl->spilled) && !sl->spilled.var_off.value);
    if (zero) {
        *key = 0;
        return true;
    }
    uint32_t spill = 0;
    while (spill < 8 && sl->type[spill] == VSTACK_SPILL)
        spill++;
    if (b != 0 || spill != size || sl->spilled.type != VREG_SCALAR || !reg_is_const(&sl->spilled))
        return false;
    *key = sl->spilled.var_off.value;
    return true;
}

/* bpf_spin_lock / bpf_spin_unlock: the map value's struct bpf_spin_lock, one lock at a time. */
static int check_spin_lock_arg(struct venv *env, const struct helper_proto *p, int regno)
{
    const struct vreg *r = &cur_regs(env)[regno];
    struct vstate *st = env->cur;
    if (r->type != VREG_PTR_TO_MAP_VALUE || r->maybe_null)
        return expect(env, regno, "map_value");
    if (!tnum_is_const(r->var_off))
        return verifier_err(env, EINVAL,
                            "R%d doesn't have constant offset. bpf_spin_lock has to be at the constant offset",
                            regno);
    const struct bpfvm_map *m = r->map;
    if (m->spin_lock_off < 0)
        return verifier_err(env, EINVAL, "map '%s' has to have BTF in order to use bpf_spin_lock", m->name);
    int64_t off = r->off + (int64_t)r->var_off.value;
    if (off != m->spin_lock_off)
        return verifier_err(env, EINVAL, "off %lld doesn't point to 'struct bpf_spin_lock' that is at %d",
                            (long long)off, m->spin_lock_off);
    if (p->id == BPF_FUNC_SPIN_LOCK) {
        if (st->lock_map)
            return verifier_err(env, EINVAL, "Locking two bpf_spin_locks are not allowed");
        st->lock_map = m;
        st->lock_id = r->id;
        return 0;
    }
    if (!st->lock_map)
        return verifier_err(env, EINVAL, "bpf_spin_unlock without taking a lock");
    if (st->lock_map != m || st->lock_id != r->id)
        return verifier_err(env, EINVAL, "bpf_spin_unlock of different lock");
    st->lock_map = NULL;
    st->lock_id = 0;
    return 0;
}

/* A NUL-terminated string at a constant offset in a frozen read-only map value. */
static int check_const_str_arg(struct venv *env, int regno)
{
    const struct vreg *r = &cur_regs(env)[regno];
    if (r->type != VREG_PTR_TO_MAP_VALUE || r->maybe_null)
        return expect(env, regno, "map_value");
    struct bpfvm_map *m = (struct bpfvm_map *)r->map;
    if (map_prog_may_write(m) || !atomic_load(&m->frozen))
        return verifier_err(env, EACCES, "R%d does not point to a readonly map'", regno);
    if (!tnum_is_const(r->var_off))
        return verifier_err(env, EACCES, "R%d is not a constant address'", regno);
    int64_t off = r->off + (int64_t)r->var_off.value;
    uint32_t key = 0;
    const char *v = m->type == BPFVM_MAP_TYPE_ARRAY && m->max_entries == 1 ? map_lookup_fast(m, &key, 0) : NULL;
    if (!v)
        return verifier_err(env, EINVAL, "no direct value access support for this map type");
    if (off < 0 || off >= m->value_size)
        return verifier_err(env, EACCES, "invalid access to map value, value_size=%u off=%lld size=%lld",
                            m->value_size, (long long)off, (long long)m->value_size - off);
    if (!memchr(v + off, 0, m->value_size - (size_t)off))
        return verifier_err(env, EINVAL, "string is not zero-terminated");
    return 0;
}

/* Memory sized by the next argument (or fixed by the prototype): pointer kinds accepted. */
static int check_mem_ptr_arg(struct venv *env, const struct helper_proto *p, int arg)
{
    int regno = arg + 1;
    const struct vreg *r = &cur_regs(env)[regno];
    uint16_t t = p->arg[arg];
    if (r->type == VREG_SCALAR && reg_is_const(r) && !r->var_off.value && (t & HELPER_ARG_MAYBE_NULL))
        return 0; /* NULL: its size must then be 0 (checked with the size) */
    switch (r->type) {
    case VREG_PTR_TO_STACK:
    case VREG_PTR_TO_PACKET:
    case VREG_PTR_TO_PACKET_META:
    case VREG_PTR_TO_MAP_KEY:
    case VREG_PTR_TO_MAP_VALUE:
    case VREG_PTR_TO_MEM:
        if (!r->maybe_null)
            break;
        /* fall through */
    default:
        return expect(env, regno, "fp, pkt, pkt_meta, map_key, map_value, mem");
    }
    if (HELPER_ARG_BASE(t) == HELPER_ARG_PTR_TO_FIXED_SIZE_MEM) {
        uint32_t size = p->arg_size[arg];
        if ((t & HELPER_ARG_ALIGNED) && r->type == VREG_PTR_TO_STACK &&
            (r->off + (int64_t)r->var_off.value) % (int64_t)size)
            return verifier_err(env, EACCES, "misaligned stack access off %d+%d size %u", r->off,
                                (int)r->var_off.value, size);
        return verifier_check_helper_mem(env, regno, size, size, (t & HELPER_ARG_UNINIT) != 0, false);
    }
    return 0; /* checked with its size argument */
}

static int check_arg(struct venv *env, const struct helper_proto *p, int arg, struct call_meta *meta)
{
    int regno = arg + 1, rc;
    struct vreg *r = &cur_regs(env)[regno];
    uint16_t t = p->arg[arg];
    if (t == HELPER_ARG_DONTCARE)
        return 0;
    if ((rc = verifier_check_reg_read(env, regno)))
        return rc;
    uint16_t base = HELPER_ARG_BASE(t);
    if (reg_is_pkt_pointer(r) && !(p->flags & HELPER_F_PKT_ACCESS) &&
        (base == HELPER_ARG_PTR_TO_MAP_KEY || base == HELPER_ARG_PTR_TO_MAP_VALUE ||
         base == HELPER_ARG_PTR_TO_MEM || base == HELPER_ARG_PTR_TO_FIXED_SIZE_MEM))
        return verifier_err(env, EACCES, "helper access to the packet is not allowed");
    switch (base) {
    case HELPER_ARG_ANYTHING:
        if (!env->priv && reg_is_pointer(r))
            return verifier_err(env, EACCES, "R%d leaks addr into helper function", regno);
        return 0;
    case HELPER_ARG_CONST_MAP_PTR:
        return check_map_arg(env, regno, meta);
    case HELPER_ARG_PTR_TO_MAP_KEY:
        if (!meta->map)
            return verifier_err(env, EACCES, "invalid map_ptr to access map->key");
        if (r->type == VREG_SCALAR)
            return expect(env, regno, "fp, pkt, pkt_meta, map_key, map_value");
        meta->key_const = stack_const_key(env, r, meta->map->key_size, &meta->key);
        return verifier_check_helper_mem(env, regno, meta->map->key_size, meta->map->key_size, false, false);
    case HELPER_ARG_PTR_TO_MAP_VALUE:
        if (!meta->map)
            return verifier_err(env, EACCES, "invalid map_ptr to access map->value");
        if (r->type == VREG_SCALAR)
            return expect(env, regno, "fp, pkt, pkt_meta, map_key, map_value");
        return verifier_check_helper_mem(env, regno, meta->map->value_size, meta->map->value_size,
                                         (t & HELPER_ARG_UNINIT) != 0, false);
    case HELPER_ARG_PTR_TO_MEM:
    case HELPER_ARG_PTR_TO_FIXED_SIZE_MEM:
        return check_mem_ptr_arg(env, p, arg);
    case HELPER_ARG_CONST_SIZE:
    case HELPER_ARG_CONST_SIZE_OR_ZERO:
        return check_size_arg(env, regno, HELPER_ARG_BASE(t) == HELPER_ARG_CONST_SIZE_OR_ZERO,
                              arg > 0 && (p->arg[arg - 1] & HELPER_ARG_UNINIT));
    case HELPER_ARG_PTR_TO_CTX:
        if (r->type != VREG_PTR_TO_CTX)
            return expect(env, regno, "ctx");
        if (r->off || !tnum_is_const(r->var_off) || r->var_off.value)
            return verifier_err(env, EACCES, "dereference of modified ctx ptr R%d off=%d disallowed", regno, r->off);
        return 0;
    case HELPER_ARG_CONST_ALLOC_SIZE_OR_ZERO:
        if (!reg_is_const(r))
            return verifier_err(env, EACCES, "R%d is not a known constant'", regno);
        meta->alloc_size = r->var_off.value;
        return 0;
    case HELPER_ARG_PTR_TO_RINGBUF_MEM:
        if (r->type != VREG_PTR_TO_MEM || !r->mem_ringbuf || r->maybe_null)
            return expect(env, regno, "ringbuf_mem");
        if (r->off || !tnum_is_const(r->var_off) || r->var_off.value)
            return verifier_err(env, EACCES, "R%d must have zero offset when passed to release func", regno);
        if (!r->ref_obj_id)
            return verifier_err(env, EINVAL, "R%d must be referenced when passed to release function", regno);
        meta->release_ref = r->ref_obj_id;
        return 0;
    case HELPER_ARG_PTR_TO_FUNC:
        if (r->type != VREG_PTR_TO_FUNC)
            return expect(env, regno, "func");
        meta->callback = r->subprog;
        return 0;
    case HELPER_ARG_PTR_TO_STACK:
        if ((t & HELPER_ARG_MAYBE_NULL) && reg_is_const(r) && !r->var_off.value)
            return 0;
        if (r->type != VREG_PTR_TO_STACK)
            return expect(env, regno, "fp");
        return 0;
    case HELPER_ARG_PTR_TO_SPIN_LOCK:
        return check_spin_lock_arg(env, p, regno);
    case HELPER_ARG_PTR_TO_CONST_STR:
        return check_const_str_arg(env, regno);
    default:
        return verifier_err(env, EOPNOTSUPP, "helper %s#%u: argument %d type not supported", p->name, p->id, regno);
    }
}

bool verifier_is_callback_call(const struct bpfvm_insn *in)
{
    if (in->code != ISA_CALL || in->src_reg != 0)
        return false;
    const struct helper_proto *p = helper_proto_get((uint32_t)in->imm);
    return p && p->callback != HELPER_CB_NONE;
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

/* Enter a callback subprogram from helper call `idx`: bpf_loop's cb(index, ctx) or
 * for_each_map_elem's cb(map, key, value, ctx). */
static int enter_callback(struct venv *env, int idx, const struct helper_proto *p,
                          const struct call_meta *meta, int *next)
{
    struct vstate *st = env->cur;
    if (st->curframe + 1 >= VERIFIER_MAX_FRAMES)
        return verifier_err(env, E2BIG, "the call stack of %d frames is too deep !", st->curframe + 2);
    int cb_insn = meta->callback;
    int sp = env->insn_subprog[cb_insn];
    struct vframe *f = verifier_frame_new(idx, sp, st->curframe + 1);
    if (!f)
        return -ENOMEM;
    struct vreg *caller = st->frame[st->curframe]->regs;
    if (p->callback == HELPER_CB_FOR_EACH_ELEM) {
        reg_mark_ptr(&f->regs[1], VREG_CONST_PTR_TO_MAP);
        f->regs[1].map = meta->map;
        reg_mark_ptr(&f->regs[2], VREG_PTR_TO_MAP_KEY);
        f->regs[2].map = meta->map;
        reg_mark_ptr(&f->regs[3], VREG_PTR_TO_MAP_VALUE);
        f->regs[3].map = meta->map;
        f->regs[4] = caller[3];
    } else {
        reg_mark_unknown(&f->regs[1]);
        f->regs[1].umax = 0xffffffff;
        reg_bounds_sync(&f->regs[1]);
        f->regs[2] = caller[3];
    }
    f->in_callback = true;
    f->cb_callsite = idx;
    f->cb_run = ++env->cb_runs;
    st->frame[++st->curframe] = f;
    env->subprogs[sp].is_callback = true;
    *next = cb_insn;
    return 0;
}

/* A map-in-map lookup returns the inner map: a template with the facts every inner map
 * shares (kept for the verification's lifetime). */
static const struct bpfvm_map *inner_map_template(struct venv *env, const struct bpfvm_map *outer)
{
    for (size_t i = 0; i < env->ninner; i++)
        if (env->inner[i].outer == outer)
            return env->inner[i].tmpl;
    struct bpfvm_map *t = calloc(1, sizeof(*t));
    void *n = t ? realloc(env->inner, (env->ninner + 1) * sizeof(*env->inner)) : NULL;
    if (!n) {
        free(t);
        return NULL;
    }
    env->inner = n;
    t->type = outer->inner_type;
    t->key_size = outer->inner_key_size;
    t->value_size = outer->inner_value_size;
    t->max_entries = outer->inner_max_entries;
    t->map_flags = outer->inner_flags;
    t->spin_lock_off = -1;
    snprintf(t->name, sizeof(t->name), "inner");
    env->inner[env->ninner].outer = outer;
    env->inner[env->ninner++].tmpl = t;
    return t;
}

/* Check the arguments of helper call `in` and apply their effects (locks, releases). */
static int check_helper_args(struct venv *env, const struct bpfvm_insn *in, const struct helper_proto **pp,
                             struct call_meta *meta)
{
    uint32_t id = (uint32_t)in->imm;
    const struct helper_proto *p = helper_proto_get(id);
    int rc;
    if (!p && id < VERIFIER_KERNEL_HELPERS)
        return verifier_err(env, EOPNOTSUPP, "helper #%u is a kernel helper bpfvm does not implement", id);
    if (!p)
        return verifier_err(env, EINVAL, "invalid func unknown#%u", id);
    *pp = p;
    bool allowed = helper_allowed_in(p, env->prog_type);
    if (!env->priv && (p->flags & (HELPER_F_CAP_BPF | HELPER_F_CAP_PERFMON)))
        allowed = false;
    if (allowed && env->ctx && env->ctx->helpers) {
        allowed = false;
        for (size_t i = 0; i < env->ctx->nhelpers; i++)
            allowed |= env->ctx->helpers[i] == id;
    }
    if (!allowed)
        return verifier_err(env, EINVAL, "program of this type cannot use helper %s#%u", p->name, id);
    if ((p->flags & HELPER_F_GPL_ONLY) && !env->gpl)
        return verifier_err(env, EINVAL, "cannot call GPL-restricted function from non-GPL compatible program");
    if (env->cur->lock_map && id != BPF_FUNC_SPIN_UNLOCK)
        return verifier_err(env, EINVAL, "function calls are not allowed while holding a lock");
    for (int a = 0; a < 5; a++) {
        if (p->arg[a] == HELPER_ARG_DONTCARE)
            break;
        if ((rc = check_arg(env, p, a, meta)))
            return rc;
    }
    if ((rc = check_map_type(env, p, meta)))
        return rc;
    if (id == BPF_FUNC_TAIL_CALL && env->cur->nrefs)
        return verifier_err(env, EINVAL, "tail_call would lead to reference leak");
    if (meta->release_ref) {
        verifier_release_ref(env, meta->release_ref);
        verifier_for_each_reg(env->cur, invalidate_ref, &meta->release_ref);
    }
    if (p->flags & HELPER_F_CHANGES_PKT)
        verifier_for_each_reg(env->cur, invalidate_pkt, NULL);
    return 0;
}

/* After the helper's arguments are checked: clobber r1-r5 and set r0. */
static int helper_result(struct venv *env, int idx, const struct helper_proto *p, const struct call_meta *meta)
{
    struct vreg *regs = cur_regs(env);
    for (int r = 1; r <= 5; r++)
        reg_mark_not_init(&regs[r]);
    struct vreg *r0 = &regs[0];
    switch (p->ret) {
    case HELPER_RET_VOID:
        reg_mark_not_init(r0);
        break;
    case HELPER_RET_PTR_TO_MAP_VALUE_OR_NULL: {
        const struct bpfvm_map *m = meta->map;
        if (m->type == BPFVM_MAP_TYPE_ARRAY_OF_MAPS || m->type == BPFVM_MAP_TYPE_HASH_OF_MAPS) {
            const struct bpfvm_map *inner = inner_map_template(env, m);
            if (!inner)
                return -ENOMEM;
            reg_mark_ptr(r0, VREG_CONST_PTR_TO_MAP);
            r0->map = inner;
            r0->maybe_null = true;
            r0->id = ++env->id_gen;
            break;
        }
        reg_mark_ptr(r0, VREG_PTR_TO_MAP_VALUE);
        r0->map = m;
        /* array lookups of a constant key in range cannot fail (Linux 6.14+) */
        bool elide = p->id == 1 && meta->key_const && meta->key < m->max_entries &&
                     (m->type == BPFVM_MAP_TYPE_ARRAY || m->type == BPFVM_MAP_TYPE_PERCPU_ARRAY);
        if (!elide)
            r0->maybe_null = true;
        if (!elide || m->spin_lock_off >= 0)
            r0->id = ++env->id_gen;
        break;
    }
    case HELPER_RET_PTR_TO_RINGBUF_MEM_OR_NULL: {
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

/* A helper or bpf-to-bpf call.  *next is the insn to go on with. */
int verifier_check_pseudo_call(struct venv *env, int idx, const struct bpfvm_insn *in, int *next)
{
    struct vstate *st = env->cur;
    int rc;
    if (in->src_reg != BPF_PSEUDO_CALL) {
        const struct helper_proto *p = NULL;
        struct call_meta meta = {.callback = -1};
        if ((rc = check_helper_args(env, in, &p, &meta)))
            return rc;
        if (meta.callback >= 0) {
            /* path 1: the callback is not called at all (pushed), path 2: it is called */
            struct vstate *br;
            if ((rc = verifier_push_branch(env, idx + 1, idx, &br)))
                return rc;
            struct vstate *save = env->cur;
            env->cur = br;
            rc = helper_result(env, idx, p, &meta);
            env->cur = save;
            if (rc)
                return rc;
            return enter_callback(env, idx, p, &meta, next);
        }
        *next = idx + 1;
        return helper_result(env, idx, p, &meta);
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
    if (st->lock_map)
        return verifier_err(env, EINVAL,
                            "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region");
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
