/* helpers/maps.c - map helpers for programs: bpf_map_lookup_elem / update / delete,
 * push / pop / peek (QUEUE, STACK; push / peek on BLOOM_FILTER), map_lookup_percpu_elem and for_each_map_elem, on the
 * maps module's fast path.  Per-CPU maps give the run's worker slot copy.  Checked runs get
 * their key/value pointers tested and the returned values granted. */
#include "helpers/helpers.h"

#include <stdlib.h>
#include <string.h>

#define MAP_ARG(r) ((struct bpfvm_map *)(uintptr_t)(r))

/* A value pointer handed to the program: let a checked run use it, remember inner maps and
 * values that hold a spin lock. */
static uint64_t map_hand_out(struct bpfvm_exec *ex, struct bpfvm_map *m, void *v)
{
    if (v && ex->checked) {
        if (m->ops->lookup_returns_obj) {
            helpers_note_inner_map(ex, v, m);
        } else {
            bpfvm_exec_grant(ex, v, m->value_size, map_prog_may_write(m));
            if (m->spin_lock_off >= 0)
                helpers_note_lock_value(ex, v, m);
        }
    }
    return (uint64_t)(uintptr_t)v;
}

HELPER_DECL(helper_map_lookup_elem)
{
    struct bpfvm_map *m = MAP_ARG(r1);
    if (!helpers_map_arg(ex, m, HELPERS_MAPS_LOOKUP) || !helpers_mem_ok(ex, r2, m->key_size, false))
        return 0;
    void *v = map_lookup_fast(m, (const void *)(uintptr_t)r2, helpers_slot(ex, m));
    return map_hand_out(ex, m, v);
}

HELPER_DECL(helper_map_lookup_percpu_elem)
{
    struct bpfvm_map *m = MAP_ARG(r1);
    uint64_t types = HELPER_MAPT(BPFVM_MAP_TYPE_PERCPU_HASH) |
                     HELPER_MAPT(BPFVM_MAP_TYPE_PERCPU_ARRAY) |
                     HELPER_MAPT(BPFVM_MAP_TYPE_LRU_PERCPU_HASH);
    if (!helpers_map_arg(ex, m, types) || !helpers_mem_ok(ex, r2, m->key_size, false))
        return 0;
    if (r3 >= m->nr_slots)
        return 0; /* the kernel: cpu >= nr_cpu_ids gives NULL */
    void *v = map_lookup_fast(m, (const void *)(uintptr_t)r2, (unsigned)r3);
    return map_hand_out(ex, m, v);
}

HELPER_DECL(helper_map_update_elem)
{
    struct bpfvm_map *m = MAP_ARG(r1);
    if (!helpers_map_arg(ex, m, HELPERS_MAPS_KV))
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r2, m->key_size, false) ||
        !helpers_mem_ok(ex, r3, m->value_size, false))
        return (uint64_t)-EFAULT;
    return (uint64_t)map_update_fast(m, (const void *)(uintptr_t)r2, (const void *)(uintptr_t)r3,
                                     r4, ex->opts->slot);
}

HELPER_DECL(helper_map_delete_elem)
{
    struct bpfvm_map *m = MAP_ARG(r1);
    if (!helpers_map_arg(ex, m, HELPERS_MAPS_KV))
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r2, m->key_size, false))
        return (uint64_t)-EFAULT;
    return (uint64_t)map_delete_fast(m, (const void *)(uintptr_t)r2);
}

HELPER_DECL(helper_map_push_elem)
{
    struct bpfvm_map *m = MAP_ARG(r1);
    if (!helpers_map_arg(ex, m, HELPERS_MAPS_PUSH_PEEK) || !map_prog_may_write(m))
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r2, m->value_size, false))
        return (uint64_t)-EFAULT;
    return (uint64_t)map_push_fast(m, (const void *)(uintptr_t)r2, r3);
}

HELPER_DECL(helper_map_pop_elem)
{
    struct bpfvm_map *m = MAP_ARG(r1);
    if (!helpers_map_arg(ex, m, HELPERS_MAPS_QS) || !map_prog_may_write(m))
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r2, m->value_size, true))
        return (uint64_t)-EFAULT;
    long rc = map_pop_fast(m, (void *)(uintptr_t)r2);
    if (rc) /* the kernel clears the program's buffer when there is nothing to take */
        memset((void *)(uintptr_t)r2, 0, m->value_size);
    return (uint64_t)rc;
}

HELPER_DECL(helper_map_peek_elem)
{
    struct bpfvm_map *m = MAP_ARG(r1);
    if (!helpers_map_arg(ex, m, HELPERS_MAPS_PUSH_PEEK) || !map_prog_may_read(m))
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r2, m->value_size, true))
        return (uint64_t)-EFAULT;
    long rc = map_peek_fast(m, (void *)(uintptr_t)r2);
    if (rc && !m->ops->peek_reads_value) /* a bloom filter's buffer is its question */
        memset((void *)(uintptr_t)r2, 0, m->value_size);
    return (uint64_t)rc;
}

/* bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, &key, value, ctx) for each
 * element, in the map's order, until it returns nonzero.  Returns the number of elements
 * visited (the stopping one included) or -EINVAL for flags.  The next key is fetched before
 * the callback runs, so the callback may delete the current element; at most max_entries
 * elements are visited (a walk that restarts after concurrent deletes cannot loop). */
HELPER_DECL(helper_for_each_map_elem)
{
    struct bpfvm_map *m = MAP_ARG(r1);
    if (!helpers_map_arg(ex, m, HELPERS_MAPS_FOR_EACH))
        return (uint64_t)-EINVAL;
    if (r4)
        return (uint64_t)-EINVAL;
    uint32_t ks = m->key_size;
    char small[2][256];
    char *cur = small[0], *next = small[1];
    char *heap = NULL;
    if (ks > sizeof(small[0])) {
        if (!(heap = malloc(2 * (size_t)ks)))
            return (uint64_t)-ENOMEM;
        cur = heap;
        next = heap + ks;
    }
    unsigned slot = helpers_slot(ex, m);
    uint64_t n = 0;
    int has = m->ops->get_next_key(m, NULL, cur) == 0;
    while (has && n < m->max_entries) {
        has = m->ops->get_next_key(m, cur, next) == 0;
        void *v = map_lookup_fast(m, cur, slot);
        if (v) {
            n++;
            if (ex->checked) {
                bpfvm_exec_grant(ex, cur, ks, false);
                map_hand_out(ex, m, v);
            }
            uint64_t ret = 0;
            int err = helpers_call_function(ex, r2, r1, (uintptr_t)cur, (uintptr_t)v, r3, 0,
                                            &ret);
            if (ex->checked)
                helpers_revoke(ex, cur);
            if (err) {
                free(heap);
                return (uint64_t)(int64_t)err;
            }
            if (ret)
                break;
        }
        char *t = cur;
        cur = next;
        next = t;
    }
    free(heap);
    return n;
}
