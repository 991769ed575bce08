/* helpers/runstate.c - what helpers remember about a checked run: inner maps a lookup handed
 * out (usable as map arguments), ring buffer records reserved and not yet submitted, map
 * values holding a bpf_spin_lock, the lock held.  The records are thread-local and tagged
 * with the run; each one also names a map by pointer and id, and is honoured only while that
 * map is one of the running program's maps (which keeps it alive), so a stale record can
 * never point at freed memory.  Also: reading untrusted pointers without faulting, and the
 * callback hook. */
#define _GNU_SOURCE
#include "helpers/helpers.h"

#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/vm_internal.h"

#define RUN_MAX_INNER 16
#define RUN_MAX_RESV 32
#define RUN_MAX_LOCKV 16

struct run_ref {
    const struct bpfvm_exec *ex;
    void *ptr;              /* inner map / record / value */
    struct bpfvm_map *map;  /* outer map / ring buffer / map of the value */
    uint32_t map_id;
};

struct run_state {
    struct run_ref inner[RUN_MAX_INNER];
    uint32_t ninner;
    struct run_ref resv[RUN_MAX_RESV];
    struct run_ref lockv[RUN_MAX_LOCKV];
    uint32_t nlockv;
    const struct bpfvm_exec *lock_ex; /* the run holding `lock` */
    void *lock;
    struct bpfvm_map *lock_map;
    uint32_t lock_map_id;
};

static _Thread_local struct run_state run_tls;

/* The map is one of the running program's maps (and still the same map). */
static bool run_prog_has_map(const struct bpfvm_exec *ex, const struct bpfvm_map *map,
                             uint32_t id)
{
    const struct bpfvm_prog *p = ex->prog;
    for (size_t i = 0; i < p->map_cnt; i++)
        if (p->maps[i] == map)
            return map->id == id;
    return false;
}

static bool run_ref_live(const struct bpfvm_exec *ex, const struct run_ref *r)
{
    return r->ex == ex && r->ptr && run_prog_has_map(ex, r->map, r->map_id);
}

bool helpers_map_known(struct bpfvm_exec *ex, const struct bpfvm_map *map)
{
    const struct bpfvm_prog *p = ex->prog;
    for (size_t i = 0; i < p->map_cnt; i++)
        if (p->maps[i] == map)
            return true;
    for (uint32_t i = 0; i < RUN_MAX_INNER; i++)
        if (run_tls.inner[i].ptr == map && run_ref_live(ex, &run_tls.inner[i]))
            return true;
    return false;
}

void helpers_note_inner_map(struct bpfvm_exec *ex, struct bpfvm_map *inner,
                            struct bpfvm_map *outer)
{
    for (uint32_t i = 0; i < RUN_MAX_INNER; i++)
        if (run_tls.inner[i].ptr == inner && run_tls.inner[i].ex == ex &&
            run_tls.inner[i].map == outer)
            return;
    struct run_ref *r = &run_tls.inner[run_tls.ninner++ % RUN_MAX_INNER];
    *r = (struct run_ref){ex, inner, outer, outer->id};
    ex->at_end = helpers_exec_end;
}

int helpers_resv_add(struct bpfvm_exec *ex, void *rec, struct bpfvm_map *map)
{
    struct run_ref *free_slot = NULL;
    for (uint32_t i = 0; i < RUN_MAX_RESV; i++) {
        struct run_ref *r = &run_tls.resv[i];
        /* empty, or left behind by another run (that record stays unsubmitted) */
        if (!r->ptr || r->ex != ex) {
            free_slot = r;
            break;
        }
    }
    if (!free_slot)
        return -ENOSPC;
    *free_slot = (struct run_ref){ex, rec, map, map->id};
    ex->at_end = helpers_exec_end;
    return 0;
}

bool helpers_resv_take(struct bpfvm_exec *ex, void *rec)
{
    for (uint32_t i = 0; i < RUN_MAX_RESV; i++) {
        struct run_ref *r = &run_tls.resv[i];
        if (r->ptr == rec && run_ref_live(ex, r)) {
            r->ptr = NULL;
            return true;
        }
    }
    return false;
}

void helpers_note_lock_value(struct bpfvm_exec *ex, void *value, struct bpfvm_map *map)
{
    for (uint32_t i = 0; i < RUN_MAX_LOCKV; i++)
        if (run_tls.lockv[i].ptr == value && run_tls.lockv[i].ex == ex)
            return;
    struct run_ref *r = &run_tls.lockv[run_tls.nlockv++ % RUN_MAX_LOCKV];
    *r = (struct run_ref){ex, value, map, map->id};
    ex->at_end = helpers_exec_end;
}

bool helpers_lock_known(struct bpfvm_exec *ex, void *lock)
{
    for (uint32_t i = 0; i < RUN_MAX_LOCKV; i++) {
        struct run_ref *r = &run_tls.lockv[i];
        if (r->ptr && run_ref_live(ex, r) && r->map->spin_lock_off >= 0 &&
            (char *)r->ptr + r->map->spin_lock_off == (char *)lock)
            return true;
    }
    return false;
}

void *helpers_held_lock(struct bpfvm_exec *ex)
{
    return run_tls.lock_ex == ex ? run_tls.lock : NULL;
}

void helpers_set_held_lock(struct bpfvm_exec *ex, void *lock)
{
    run_tls.lock_ex = lock ? ex : NULL;
    run_tls.lock = lock;
    if (lock)
        ex->at_end = helpers_exec_end;
}

void helpers_revoke(struct bpfvm_exec *ex, const void *p)
{
    uint32_t n = ex->ngrants < EXEC_MAX_GRANTS ? ex->ngrants : EXEC_MAX_GRANTS;
    for (uint32_t i = 0; i < n; i++)
        if (ex->grants[i].base == (uintptr_t)p)
            ex->grants[i].size = 0;
}

void helpers_exec_end(struct bpfvm_exec *ex)
{
    if (run_tls.lock_ex == ex && run_tls.lock) {
        map_value_spin_unlock(run_tls.lock);
        run_tls.lock = NULL;
        run_tls.lock_ex = NULL;
    }
    for (uint32_t i = 0; i < RUN_MAX_RESV; i++) {
        struct run_ref *r = &run_tls.resv[i];
        if (r->ex != ex)
            continue;
        if (r->ptr && run_ref_live(ex, r))
            map_ringbuf_discard(r->ptr, 0);
        r->ptr = NULL;
        r->ex = NULL;
    }
    for (uint32_t i = 0; i < RUN_MAX_INNER; i++)
        if (run_tls.inner[i].ex == ex)
            run_tls.inner[i].ptr = NULL;
    for (uint32_t i = 0; i < RUN_MAX_LOCKV; i++)
        if (run_tls.lockv[i].ex == ex)
            run_tls.lockv[i].ptr = NULL;
}

/* ---------------------------------------------------------------- untrusted reads */

size_t helpers_read_nofault(const struct bpfvm_exec *ex, uint64_t addr, void *dst, size_t n)
{
    if (!n)
        return 0;
    if (ex->checked) {
        if (exec_mem_ok(ex, addr, n, false)) {
            memcpy(dst, (const void *)(uintptr_t)addr, n);
            return n;
        }
        size_t i = 0;
        while (i < n && exec_mem_ok(ex, addr + i, 1, false)) {
            ((char *)dst)[i] = *(const char *)(uintptr_t)(addr + i);
            i++;
        }
        return i;
    }
    /* page by page, so an unmapped page only cuts the read short */
    size_t done = 0;
    while (done < n) {
        uint64_t a = addr + done;
        size_t chunk = 4096 - (size_t)(a & 4095);
        if (chunk > n - done)
            chunk = n - done;
        struct iovec local = {(char *)dst + done, chunk};
        struct iovec remote = {(void *)(uintptr_t)a, chunk};
        ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        if (got <= 0)
            break;
        done += (size_t)got;
        if ((size_t)got < chunk)
            break;
    }
    return done;
}

/* ---------------------------------------------------------------- callbacks */

int helpers_call_function(struct bpfvm_exec *ex, uint64_t func_ptr, uint64_t r1, uint64_t r2,
                          uint64_t r3, uint64_t r4, uint64_t r5, uint64_t *r0)
{
    const struct bpfvm_prog *p = ex->prog;
    uintptr_t base = (uintptr_t)p->insns;
    if (func_ptr < base || func_ptr >= base + p->cnt * sizeof(*p->insns) ||
        (func_ptr - base) % sizeof(*p->insns))
        return -EINVAL; /* not an instruction of the running program */
    return exec_call_function(ex, func_ptr, r1, r2, r3, r4, r5, r0);
}
