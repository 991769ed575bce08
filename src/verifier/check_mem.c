/* check_mem.c - loads, stores and atomics: which memory each pointer type may reach (stack
 * per byte with spilled registers, context fields from the program type's table, packet
 * within the range learnt from comparisons, map values and ring buffer records within their
 * size), pointer leaks in unprivileged mode, lddw constants and map references, and the
 * legacy LD_ABS/LD_IND packet loads. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "maps/map.h"
#include "progtype/progtype.h"
#include "verifier/verifier.h"

#define U32MAX 0xffffffffULL

static void mark_loaded_scalar(struct vreg *r, int size, bool sx)
{
    reg_mark_unknown(r);
    if (size >= 8)
        return;
    if (sx) {
        r->smin = -(1LL << (size * 8 - 1));
        r->smax = (1LL << (size * 8 - 1)) - 1;
    } else {
        r->umax = (1ULL << (size * 8)) - 1;
    }
    reg_bounds_sync(r);
}

/* A scalar as `size` bytes of memory hold it (zero-extended when read back): unchanged when
 * it fits, truncated when constant, else any value of that size. */
static void scalar_coerce(struct vreg *r, int size)
{
    if (size >= 8 || r->type != VREG_SCALAR)
        return;
    uint64_t max = (1ULL << (size * 8)) - 1;
    if (r->umax <= max && r->smin >= 0)
        return;
    if (reg_is_const(r))
        reg_mark_const(r, r->var_off.value & max);
    else
        mark_loaded_scalar(r, size, false);
}

static bool is_leak(struct venv *env, const struct vreg *v)
{
    return !env->priv && v && reg_is_pointer(v);
}

static void note_depth(struct venv *env, const struct vframe *f, int64_t off)
{
    int depth = (int)((-off + 7) & ~7LL);
    if (depth > env->subprogs[f->subprog].stack_depth)
        env->subprogs[f->subprog].stack_depth = depth;
}

/* ---------------- stack ---------------- */

static inline int slot_of(int64_t off) { return (int)((-off - 1) / 8); }
static inline int byte_of(int64_t off) { return (int)(off + (slot_of(off) + 1) * 8); }

static int break_spill(struct venv *env, struct vslot *sl);

/* A stack pointer with a variable offset (privileged programs only, as in Linux): the bytes
 * [*lo, *end) it may touch with an access of `size` bytes at `base` (its fixed offset plus the
 * instruction's), which must all lie inside the frame. */
static int stack_var_range(struct venv *env, const struct vreg *r, int64_t base, int size, int regno,
                           const char *what, int64_t *lo, int64_t *end)
{
    char tn[64];
    tnum_str(tn, sizeof(tn), r->var_off);
    *lo = *end = 0;
    if (!env->priv)
        return verifier_err(env, EACCES, "R%d variable offset stack access prohibited for !root, var_off=%s off=%d",
                            regno, tn, (int)base);
    *lo = base + r->smin;
    *end = base + r->smax + size;
    if (r->smin < -VERIFIER_STACK_SIZE || r->smax > VERIFIER_STACK_SIZE || *lo < -VERIFIER_STACK_SIZE ||
        *end > 0 || size < 0)
        return verifier_err(env, EACCES, "invalid variable-offset%s stack R%d var_off=%s off=%d size=%d", what,
                            regno, tn, (int)base, size);
    return 0;
}

/* Every byte a variable-offset access of `size` bytes at `base` may touch: spills there are
 * lost, bytes never written make the loader zero the stack (they may be read later), and
 * stores leave the bytes unknown (zero stays zero for a zero store).  *all_zero tells
 * whether every byte was known zero before. */
static int stack_var_touch(struct venv *env, const struct vreg *ptr, int64_t base, int size, int regno,
                           const char *what, bool write, bool zero, bool *all_zero)
{
    struct vframe *f = env->cur->frame[ptr->frameno];
    int64_t lo, end;
    int rc = stack_var_range(env, ptr, base, size, regno, what, &lo, &end);
    if (rc || (rc = verifier_frame_grow(f, slot_of(lo) + 1)))
        return rc;
    note_depth(env, f, lo);
    *all_zero = true;
    for (int64_t o = lo; o < end; o++) {
        struct vslot *sl = &f->stack[slot_of(o)];
        uint8_t *t = &sl->type[byte_of(o)];
        if (*t == VSTACK_SPILL && (rc = break_spill(env, sl)))
            return rc;
        if (*t == VSTACK_INVALID)
            env->reads_uninit_stack = true;
        if (*t != VSTACK_ZERO)
            *all_zero = false;
        if (write)
            *t = zero && *t == VSTACK_ZERO ? VSTACK_ZERO : VSTACK_MISC;
    }
    return 0;
}

/* A direct load or store through a variable stack offset: naturally aligned for every
 * offset it may have; loads give an unknown value (zero when every byte is zero). */
static int stack_var_access(struct venv *env, int regno, const struct vreg *ptr, int64_t base, int size,
                            bool write, const struct vreg *val, struct vreg *out, bool sx)
{
    struct tnum at = tnum_add(ptr->var_off, tnum_const((uint64_t)base));
    if ((at.value | at.mask) & (uint64_t)(size - 1)) {
        char tn[64];
        tnum_str(tn, sizeof(tn), ptr->var_off);
        return verifier_err(env, EACCES, "misaligned stack access off %s+%d+%d size %d", tn, ptr->off,
                            (int)(base - ptr->off), size);
    }
    bool zero = val && reg_is_const(val) && !val->var_off.value, all_zero;
    int rc = stack_var_touch(env, ptr, base, size, regno, write ? " write to" : " read from", write, zero,
                             &all_zero);
    if (rc || write)
        return rc;
    if (all_zero)
        reg_mark_const(out, 0);
    else
        mark_loaded_scalar(out, size, sx);
    return 0;
}

/* A constant-offset access of `size` bytes at off: inside the frame. */
static int stack_access_ok(struct venv *env, int64_t off, int size, int regno, bool write)
{
    if (off < -VERIFIER_STACK_SIZE || off + size > 0 || size <= 0)
        return verifier_err(env, EACCES, "invalid %s stack R%d off=%d size=%d",
                            write ? "write to" : "read from", regno, (int)off, size);
    return 0;
}

static int stack_read(struct venv *env, int ptr_regno, const struct vreg *ptr, int64_t off, int size,
                      struct vreg *out, bool sx)
{
    struct vframe *f = env->cur->frame[ptr->frameno];
    int slot = slot_of(off);
    if (off % 8 == 0 && slot < f->nslots && f->stack[slot].type[0] == VSTACK_SPILL) {
        /* a fill from the start of a spill: the register, as `size` bytes of it read back */
        const struct vslot *sl = &f->stack[slot];
        int spill = 0;
        while (spill < 8 && sl->type[spill] == VSTACK_SPILL)
            spill++;
        if (size == 8 && spill == 8) {
            *out = sl->spilled;
            return 0;
        }
        if (size <= spill && sl->spilled.type == VREG_SCALAR && !sx) {
            *out = sl->spilled;
            scalar_coerce(out, size);
            if (out->umax != sl->spilled.umax)
                out->id = 0;
            return 0;
        }
    }
    bool all_zero = true;
    for (int i = 0; i < size; i++) {
        int64_t o = off + i;
        int s = slot_of(o);
        uint8_t t = s < f->nslots ? f->stack[s].type[byte_of(o)] : VSTACK_INVALID;
        if (t == VSTACK_SPILL && f->stack[s].spilled.type != VREG_SCALAR)
            return verifier_err(env, EACCES, "invalid size of register fill");
        if (t == VSTACK_INVALID) {
            if (!env->priv)
                return verifier_err(env, EACCES, "invalid read from stack R%d off %d+%d size %d",
                                    ptr_regno, (int)off, i, size);
            env->reads_uninit_stack = true;
        }
        if (t != VSTACK_ZERO)
            all_zero = false;
    }
    if (all_zero)
        reg_mark_const(out, 0);
    else
        mark_loaded_scalar(out, size, sx);
    return 0;
}

/* Forget a spilled register whose slot is partly overwritten. */
static int break_spill(struct venv *env, struct vslot *sl)
{
    if (sl->type[0] != VSTACK_SPILL)
        return 0;
    if (!env->priv && sl->spilled.type != VREG_SCALAR)
        return verifier_err(env, EACCES, "attempt to corrupt spilled pointer on stack");
    for (int b = 0; b < 8; b++) /* only the spill's bytes: a narrow spill left others unwritten */
        if (sl->type[b] == VSTACK_SPILL)
            sl->type[b] = VSTACK_MISC;
    return 0;
}

/* Store `val` (NULL: an unknown scalar; zero: bytes known zero) of size bytes at off. */
static int stack_write(struct venv *env, const struct vreg *ptr, int64_t off, int size,
                       const struct vreg *val)
{
    struct vframe *f = env->cur->frame[ptr->frameno];
    int slot = slot_of(off);
    int rc = verifier_frame_grow(f, slot_of(off) + 1);
    if (rc)
        return rc;
    note_depth(env, f, off);
    if (val && reg_is_pointer(val)) {
        if (size != 8)
            return verifier_err(env, EACCES, "invalid size of register spill");
        if (val->type == VREG_PTR_TO_STACK && val->frameno > ptr->frameno)
            return verifier_err(env, EACCES, "cannot spill pointers to stack into stack frame of the caller");
    }
    bool zero = val && reg_is_const(val) && val->var_off.value == 0;
    if (size == 8 && off % 8 == 0 && val && !zero) {
        struct vslot *sl = &f->stack[slot];
        memset(sl->type, VSTACK_SPILL, 8);
        sl->spilled = *val;
        return 0;
    }
    if (size < 8 && off % 8 == 0 && val && !zero && val->type == VREG_SCALAR && env->priv) {
        /* a narrow spill of a scalar (Linux tracks them with CAP_BPF): the first `size`
         * bytes of the slot hold the value, the rest keep what they were unless they were
         * part of an older spill */
        struct vslot *sl = &f->stack[slot];
        if ((rc = break_spill(env, sl)))
            return rc;
        memset(sl->type, VSTACK_SPILL, (size_t)size);
        sl->spilled = *val;
        scalar_coerce(&sl->spilled, size);
        return 0;
    }
    for (int i = 0; i < size; i++) {
        int64_t o = off + i;
        struct vslot *sl = &f->stack[slot_of(o)];
        if ((rc = break_spill(env, sl)))
            return rc;
        sl->type[byte_of(o)] = zero ? VSTACK_ZERO : VSTACK_MISC;
    }
    return 0;
}

/* Helper memory on the stack: [off, off+size) must be inside; reads need initialised bytes;
 * writes make the bytes unknown scalars. */
static int stack_helper_range(struct venv *env, int regno, const struct vreg *ptr, int64_t off,
                              int size, bool write)
{
    struct vframe *f = env->cur->frame[ptr->frameno];
    if (!tnum_is_const(ptr->var_off)) {
        /* the helper may touch any byte of the range: reads see them as they are, writes
         * make them all unknown */
        bool all_zero;
        return stack_var_touch(env, ptr, off - (int64_t)ptr->var_off.value, size, regno, " indirect access to",
                               write, false, &all_zero);
    }
    if (off < -VERIFIER_STACK_SIZE || off + size > 0 || (size > 0 && off >= 0))
        return verifier_err(env, EACCES, "invalid indirect access to stack R%d off=%d size=%d", regno,
                            (int)off, size);
    if (!size)
        return 0;
    int rc = verifier_frame_grow(f, slot_of(off) + 1);
    if (rc)
        return rc;
    note_depth(env, f, off);
    for (int i = 0; i < size; i++) {
        int64_t o = off + i;
        struct vslot *sl = &f->stack[slot_of(o)];
        uint8_t *t = &sl->type[byte_of(o)];
        if (write) {
            if ((rc = break_spill(env, sl)))
                return rc;
            *t = VSTACK_MISC;
            continue;
        }
        if (*t == VSTACK_INVALID) {
            if (!env->priv)
                return verifier_err(env, EACCES, "invalid read from stack R%d off %d+%d size %d",
                                    regno, (int)off, i, size);
            env->reads_uninit_stack = true;
        } else if (*t == VSTACK_SPILL && sl->spilled.type != VREG_SCALAR && !env->priv) {
            return verifier_err(env, EACCES, "invalid read from stack R%d off %d+%d size %d", regno,
                                (int)off, i, size);
        }
    }
    return 0;
}

/* ---------------- bounded regions: map values, records, packets ---------------- */

static int region_check(struct venv *env, int regno, const struct vreg *r, int64_t off, int64_t size,
                        uint64_t size_max, uint32_t limit, const char *what)
{
    if (r->smin < 0)
        return verifier_err(env, EACCES,
                            "R%d min value is negative, either use unsigned index or do a if (index >=0) check.",
                            regno);
    if (r->umax >= (1ULL << 29))
        return verifier_err(env, EACCES,
                            "R%d unbounded memory access, make sure to bounds check any such access",
                            regno);
    int64_t lo = off + r->smin, hi = off + (int64_t)r->umax + (int64_t)size_max;
    if (lo < 0 || hi > (int64_t)limit || size < 0) {
        int64_t bad = lo < 0 ? lo : off + (int64_t)r->umax;
        if (!strcmp(what, "map value"))
            return verifier_err(env, EACCES, "invalid access to map value, value_size=%u off=%lld size=%llu",
                                limit, (long long)bad, (unsigned long long)size_max);
        if (!strcmp(what, "map key"))
            return verifier_err(env, EACCES, "invalid access to map key, key_size=%u off=%lld size=%llu",
                                limit, (long long)bad, (unsigned long long)size_max);
        return verifier_err(env, EACCES, "invalid access to memory, mem_size=%u off=%lld size=%llu", limit,
                            (long long)bad, (unsigned long long)size_max);
    }
    return 0;
}

static int packet_check(struct venv *env, int regno, const struct vreg *r, int64_t off, uint64_t size,
                        bool zero_ok)
{
    if (r->smin < 0)
        return verifier_err(env, EACCES,
                            "R%d min value is negative, either use unsigned index or do a if (index >=0) check.",
                            regno);
    if (off < 0 || (size == 0 && !zero_ok) || (uint64_t)off + size > r->range) {
        verifier_log(env, "invalid access to packet, off=%lld size=%llu, R%d(id=%u,off=%d,r=%u)\n",
                     (long long)off, (unsigned long long)size, regno, r->id, r->off, r->range);
        return verifier_err(env, EACCES, "invalid access to packet, off=%lld size=%llu, R%d(id=%u,off=%d,r=%u)",
                            (long long)off, (unsigned long long)size, regno, r->id, r->off, r->range);
    }
    if (r->umax + (uint64_t)off > VERIFIER_MAX_PACKET_OFF)
        return verifier_err(env, EACCES, "R%d offset is outside of the packet", regno);
    return 0;
}

static int map_value_rights(struct venv *env, const struct bpfvm_map *m, int64_t off, int size, bool write)
{
    if (write && !map_prog_may_write(m))
        return verifier_err(env, EACCES, "write into map forbidden, value_size=%u off=%lld size=%d",
                            m->value_size, (long long)off, size);
    if (!write && !map_prog_may_read(m))
        return verifier_err(env, EACCES, "read from map forbidden, value_size=%u off=%lld size=%d",
                            m->value_size, (long long)off, size);
    return 0;
}

static int spin_lock_overlap(struct venv *env, const struct vreg *r, int64_t off, int size)
{
    const struct bpfvm_map *m = r->map;
    if (!m || m->spin_lock_off < 0)
        return 0;
    int64_t lo = off + r->smin, hi = off + (int64_t)r->umax + size;
    if (lo < m->spin_lock_off + 4 && hi > m->spin_lock_off)
        return verifier_err(env, EACCES, "bpf_spin_lock cannot be accessed directly by load/store");
    return 0;
}

/* ---------------- context ---------------- */

static int ctx_access(struct venv *env, int idx, int regno, const struct vreg *r, int off, int size,
                      bool write, uint8_t *kind)
{
    const struct bpfvm_ctx_desc *d = env->ctx;
    if (r->off) {
        return verifier_err(env, EACCES, "dereference of modified ctx ptr R%d off=%d disallowed", regno,
                            r->off);
    }
    if (!tnum_is_const(r->var_off) || r->var_off.value) {
        char tn[64];
        tnum_str(tn, sizeof(tn), r->var_off);
        return verifier_err(env, EACCES, "variable ctx access var_off=%s disallowed", tn);
    }
    if (d && off >= 0) {
        for (size_t i = 0; i < d->nfields; i++) {
            const struct bpfvm_ctx_field *f = &d->fields[i];
            if ((uint32_t)off < f->off || (uint32_t)off + (uint32_t)size > f->off + f->size)
                continue;
            if (!progtype_access_allowed(f->off, f->size, f->kind == BPFVM_CTX_SCALAR, f->narrow, f->readable,
                                         f->writable, (uint32_t)off, (uint32_t)size, write))
                break;
            *kind = f->kind;
            if (env->aux) {
                struct bpfvm_verify_aux *a = &env->aux[idx];
                if ((a->flags & (BPFVM_VAUX_CTX_LOAD | BPFVM_VAUX_CTX_STORE)) &&
                    (a->ctx_off != off || a->ctx_size != size))
                    return verifier_err(env, EINVAL, "same insn cannot be used with different pointers");
                a->ctx_off = off;
                a->ctx_size = (uint8_t)size;
                a->ctx_field = (uint16_t)i;
                a->flags |= write ? BPFVM_VAUX_CTX_STORE : BPFVM_VAUX_CTX_LOAD;
            }
            return 0;
        }
    }
    return verifier_err(env, EACCES, "invalid bpf_context access off=%d size=%d", off, size);
}

/* ---------------- one access ---------------- */

enum access_kind { ACC_READ, ACC_WRITE, ACC_ATOMIC };

/* The kernel rejects one instruction that meets two kinds of pointer on different paths
 * (the fixup pass rewrites context accesses by instruction). */
static int same_ptr_type(struct venv *env, int idx, const struct vreg *r)
{
    uint8_t t = r->type == VREG_PTR_TO_CTX ? 1 : 2;
    if (!env->insn_ptr_type[idx])
        env->insn_ptr_type[idx] = t;
    else if (env->insn_ptr_type[idx] != t)
        return verifier_err(env, EINVAL, "same insn cannot be used with different pointers");
    return 0;
}

/* Check access [regs[regno] + off, +size).  For reads the result goes to *out (may be NULL).
 * `val` is the stored register (NULL for an immediate: imm_val then). */
static int check_mem_access(struct venv *env, int idx, int regno, int off, int size,
                            enum access_kind kind, const struct vreg *val, struct vreg *out, bool sx,
                            bool is_st)
{
    struct vreg *regs = cur_regs(env);
    const struct vreg r = regs[regno];
    bool write = kind != ACC_READ;
    int rc;
    (void)is_st; /* Linux 6.18 allows BPF_ST into the context like BPF_STX */
    if (r.type == VREG_NOT_INIT)
        return verifier_err(env, EACCES, "R%d !read_ok", regno);
    if (r.maybe_null || r.type == VREG_SCALAR || r.type == VREG_PTR_TO_PACKET_END ||
        r.type == VREG_CONST_PTR_TO_MAP || r.type == VREG_PTR_TO_FUNC)
        return verifier_err(env, EACCES, "R%d invalid mem access '%s'", regno, verifier_reg_type_str(&r));
    if ((rc = same_ptr_type(env, idx, &r)))
        return rc;
    int64_t total = (int64_t)r.off + off;
    switch (r.type) {
    case VREG_PTR_TO_STACK: {
        if (!tnum_is_const(r.var_off)) {
            if (kind == ACC_ATOMIC) {
                struct vreg old;
                if ((rc = stack_var_access(env, regno, &r, total, size, false, NULL, &old, false)))
                    return rc;
                if (out)
                    *out = old;
                return stack_var_access(env, regno, &r, total, size, true, NULL, NULL, false);
            }
            return stack_var_access(env, regno, &r, total, size, write, val, out, sx);
        }
        total += (int64_t)r.var_off.value;
        if (total % size) {
            char tn[64];
            tnum_str(tn, sizeof(tn), r.var_off);
            return verifier_err(env, EACCES, "misaligned stack access off %s+%d+%d size %d", tn, r.off,
                                off, size);
        }
        if ((rc = stack_access_ok(env, total, size, regno, write)))
            return rc;
        if (kind == ACC_ATOMIC) {
            struct vreg old;
            if ((rc = stack_read(env, regno, &r, total, size, &old, false)))
                return rc;
            if (reg_is_pointer(&old))
                return verifier_err(env, EACCES, "BPF_ATOMIC stores into R%d %s is not allowed", regno,
                                    verifier_reg_type_str(&old));
            if (out)
                *out = old;
            return stack_write(env, &r, total, size, NULL);
        }
        if (write)
            return stack_write(env, &r, total, size, val);
        return stack_read(env, regno, &r, total, size, out, sx);
    }
    case VREG_PTR_TO_CTX: {
        if (kind == ACC_ATOMIC)
            return verifier_err(env, EACCES, "BPF_ATOMIC stores into R%d %s is not allowed", regno, "ctx");
        if (write && is_leak(env, val))
            return verifier_err(env, EACCES, "R%d leaks addr into ctx", regno);
        uint8_t fk = 0;
        if ((rc = ctx_access(env, idx, regno, &r, off, size, write, &fk)))
            return rc;
        if (!write && out) {
            if (fk == BPFVM_CTX_SCALAR) {
                mark_loaded_scalar(out, size, sx);
            } else {
                reg_mark_ptr(out, fk == BPFVM_CTX_PKT ? VREG_PTR_TO_PACKET
                                  : fk == BPFVM_CTX_PKT_END ? VREG_PTR_TO_PACKET_END
                                                            : VREG_PTR_TO_PACKET_META);
            }
        }
        return 0;
    }
    case VREG_PTR_TO_PACKET:
    case VREG_PTR_TO_PACKET_META:
        if (kind == ACC_ATOMIC)
            return verifier_err(env, EACCES, "BPF_ATOMIC stores into R%d %s is not allowed", regno,
                                verifier_reg_type_str(&r));
        if (write && !(env->ctx && env->ctx->pkt_write))
            return verifier_err(env, EACCES, "cannot write into packet");
        if (write && is_leak(env, val))
            return verifier_err(env, EACCES, "R%d leaks addr into packet", regno);
        if ((rc = packet_check(env, regno, &r, total, (uint64_t)size, false)))
            return rc;
        if (env->aux)
            env->aux[idx].flags |= BPFVM_VAUX_PKT;
        break;
    case VREG_PTR_TO_MAP_VALUE:
        if (write && is_leak(env, val))
            return verifier_err(env, EACCES, "R%d leaks addr into map", regno);
        if ((rc = map_value_rights(env, r.map, total, size, write)) ||
            (rc = region_check(env, regno, &r, total, size, (uint64_t)size, r.map->value_size, "map value")) ||
            (rc = spin_lock_overlap(env, &r, total, size)))
            return rc;
        break;
    case VREG_PTR_TO_MAP_KEY:
        if (write)
            return verifier_err(env, EACCES, "R%d cannot write into map_key", regno);
        if ((rc = region_check(env, regno, &r, total, size, (uint64_t)size, r.map->key_size, "map key")))
            return rc;
        break;
    case VREG_PTR_TO_MEM:
        if (write && is_leak(env, val))
            return verifier_err(env, EACCES, "R%d leaks addr into mem", regno);
        if ((rc = region_check(env, regno, &r, total, size, (uint64_t)size, r.mem_size, "mem")))
            return rc;
        break;
    default:
        return verifier_err(env, EACCES, "R%d invalid mem access '%s'", regno, verifier_reg_type_str(&r));
    }
    if (out)
        mark_loaded_scalar(out, size, sx);
    return 0;
}

int verifier_check_load(struct venv *env, int idx, const struct bpfvm_insn *in)
{
    int rc;
    if ((rc = verifier_check_reg_read(env, in->src_reg)))
        return rc;
    struct vreg out;
    reg_mark_unknown(&out);
    bool sx = ISA_MODE(in->code) == BPF_MEMSX;
    rc = check_mem_access(env, idx, in->src_reg, in->off, isa_size_bytes(in->code), ACC_READ, NULL,
                          &out, sx, false);
    if (rc)
        return rc;
    cur_regs(env)[in->dst_reg] = out;
    return 0;
}

int verifier_check_store(struct venv *env, int idx, const struct bpfvm_insn *in)
{
    int rc;
    bool is_st = ISA_CLASS(in->code) == BPF_ST;
    struct vreg val;
    if ((rc = verifier_check_reg_read(env, in->dst_reg)))
        return rc;
    if (is_st) {
        reg_mark_const(&val, (uint64_t)(int64_t)in->imm);
    } else {
        if ((rc = verifier_check_reg_read(env, in->src_reg)))
            return rc;
        val = cur_regs(env)[in->src_reg];
    }
    int size = isa_size_bytes(in->code);
    if (!reg_is_pointer(&val) && size < 8) {
        /* what lands in memory is the low `size` bytes */
        scalar_coerce(&val, size);
    }
    return check_mem_access(env, idx, in->dst_reg, in->off, size, ACC_WRITE, &val, NULL, false, is_st);
}

int verifier_check_atomic(struct venv *env, int idx, const struct bpfvm_insn *in)
{
    int rc;
    int size = isa_size_bytes(in->code);
    struct vreg *regs = cur_regs(env);
    if (in->imm == BPF_LOAD_ACQ) {
        struct bpfvm_insn ld = *in;
        ld.code = (uint8_t)(BPF_LDX | BPF_MEM | ISA_SIZE(in->code));
        return verifier_check_load(env, idx, &ld);
    }
    if (in->imm == BPF_STORE_REL) {
        struct bpfvm_insn st = *in;
        st.code = (uint8_t)(BPF_STX | BPF_MEM | ISA_SIZE(in->code));
        return verifier_check_store(env, idx, &st);
    }
    if ((rc = verifier_check_reg_read(env, in->src_reg)) || (rc = verifier_check_reg_read(env, in->dst_reg)))
        return rc;
    if (in->imm == BPF_CMPXCHG && (rc = verifier_check_reg_read(env, 0)))
        return rc;
    if (reg_is_pointer(&regs[in->src_reg]))
        return verifier_err(env, EACCES, "R%d leaks addr into mem", in->src_reg);
    if (in->imm == BPF_CMPXCHG && reg_is_pointer(&regs[0]))
        return verifier_err(env, EACCES, "R0 leaks addr into mem");
    struct vreg old;
    reg_mark_unknown(&old);
    rc = check_mem_access(env, idx, in->dst_reg, in->off, size, ACC_ATOMIC, NULL, &old, false, false);
    if (rc)
        return rc;
    int load_reg = in->imm == BPF_CMPXCHG ? 0 : (in->imm & BPF_FETCH) ? in->src_reg : -1;
    if (load_reg >= 0) {
        struct vreg *lr = &cur_regs(env)[load_reg];
        mark_loaded_scalar(lr, size, false);
    }
    return 0;
}

/* ---------------- helper memory arguments ---------------- */

int verifier_check_helper_mem(struct venv *env, int regno, int64_t size_min, uint64_t size_max,
                              bool write, bool zero_ok)
{
    const struct vreg r = cur_regs(env)[regno];
    int64_t off = r.off;
    if (size_max == 0 && zero_ok && r.type == VREG_SCALAR && reg_is_const(&r) && r.var_off.value == 0)
        return 0; /* NULL with size 0 */
    if (r.maybe_null)
        return verifier_err(env, EACCES, "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem",
                            regno, verifier_reg_type_str(&r));
    switch (r.type) {
    case VREG_PTR_TO_STACK:
        if (size_max == 0 && !zero_ok) /* e.g. the key of a map without keys */
            return verifier_err(env, EACCES, "invalid zero-sized read");
        if (size_max > VERIFIER_STACK_SIZE)
            return verifier_err(env, EACCES, "invalid indirect access to stack R%d off=%d size=%llu", regno,
                                (int)(off + (int64_t)r.var_off.value), (unsigned long long)size_max);
        return stack_helper_range(env, regno, &r, off + (int64_t)r.var_off.value, (int)size_max, write);
    case VREG_PTR_TO_PACKET:
    case VREG_PTR_TO_PACKET_META:
        if (write && !(env->ctx && env->ctx->pkt_write))
            return verifier_err(env, EACCES, "cannot write into packet");
        return packet_check(env, regno, &r, off, size_max, zero_ok);
    case VREG_PTR_TO_MAP_VALUE: {
        int rc = map_value_rights(env, r.map, off, (int)size_max, write);
        if (!rc)
            rc = region_check(env, regno, &r, off, size_min, size_max, r.map->value_size, "map value");
        return rc;
    }
    case VREG_PTR_TO_MAP_KEY:
        if (write)
            return verifier_err(env, EACCES, "R%d cannot write into map_key", regno);
        return region_check(env, regno, &r, off, size_min, size_max, r.map->key_size, "map key");
    case VREG_PTR_TO_MEM:
        return region_check(env, regno, &r, off, size_min, size_max, r.mem_size, "mem");
    default:
        return verifier_err(env, EACCES, "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem",
                            regno, verifier_reg_type_str(&r));
    }
}

/* ---------------- lddw and legacy packet loads ---------------- */

int verifier_check_lddw(struct venv *env, int idx, const struct bpfvm_insn *in)
{
    struct vreg *dst = &cur_regs(env)[in->dst_reg];
    const struct bpfvm_verify_opts *o = env->opts;
    switch (in->src_reg) {
    case 0:
        reg_mark_const(dst, (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32);
        return 0;
    case BPF_PSEUDO_FUNC:
        reg_mark_ptr(dst, VREG_PTR_TO_FUNC);
        dst->subprog = idx + 1 + in->imm;
        return 0;
    case BPF_PSEUDO_MAP_FD:
    case BPF_PSEUDO_MAP_IDX:
    case BPF_PSEUDO_MAP_VALUE:
    case BPF_PSEUDO_MAP_IDX_VALUE: {
        uint32_t mi = (uint32_t)in->imm;
        if (!o->maps || mi >= o->map_cnt || !o->maps[mi])
            return verifier_err(env, EINVAL, "fd %u is not pointing to valid bpf_map", mi);
        const struct bpfvm_map *m = o->maps[mi];
        if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX) {
            reg_mark_ptr(dst, VREG_CONST_PTR_TO_MAP);
            dst->map = m;
            return 0;
        }
        uint32_t off = (uint32_t)in[1].imm;
        if (m->type != BPFVM_MAP_TYPE_ARRAY || m->max_entries != 1)
            return verifier_err(env, EINVAL, "map '%s' does not support direct value access", m->name);
        if (off >= m->value_size)
            return verifier_err(env, EACCES, "invalid access to map value pointer, value_size=%u off=%u",
                                m->value_size, off);
        reg_mark_ptr(dst, VREG_PTR_TO_MAP_VALUE);
        dst->map = m;
        dst->off = (int32_t)off;
        return 0;
    }
    default:
        return verifier_err(env, EOPNOTSUPP, "insn %d: lddw with pseudo source %d is not supported", idx,
                            in->src_reg);
    }
}

int verifier_check_ld_abs(struct venv *env, const struct bpfvm_insn *in)
{
    struct vreg *regs = cur_regs(env);
    int rc;
    if (!env->ctx || !env->ctx->ld_abs)
        return verifier_err(env, EINVAL, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
    if ((rc = verifier_check_reg_read(env, 6)))
        return rc;
    if (ISA_MODE(in->code) == BPF_IND && (rc = verifier_check_reg_read(env, in->src_reg)))
        return rc;
    if (env->cur->nrefs)
        return verifier_err(env, EINVAL, "BPF_LD_[ABS|IND] cannot be mixed with socket references");
    if (env->cur->lock_map)
        return verifier_err(env, EINVAL, "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region");
    if (regs[6].type != VREG_PTR_TO_CTX || regs[6].off)
        return verifier_err(env, EINVAL, "at the time of BPF_LD_ABS|IND R6 != pointer to skb");
    if (ISA_MODE(in->code) == BPF_IND && reg_is_pointer(&regs[in->src_reg]) && !env->priv)
        return verifier_err(env, EACCES, "R%d leaks addr into packet", in->src_reg);
    for (int r = 1; r <= 5; r++)
        reg_mark_not_init(&regs[r]);
    mark_loaded_scalar(&regs[0], isa_size_bytes(in->code), false);
    return 0;
}
