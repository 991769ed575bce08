/* helpers/tail_call.c - bpf_tail_call(ctx, prog_array, index) and how a PROG_ARRAY holds
 * programs.  Programs have no reference count yet, so storing one takes no reference (the
 * host must keep a program alive while a map holds it) and program ids come from a small
 * table filled the first time a program is stored. */
#include "helpers/helpers.h"
#include "core/grow.h"

#include <pthread.h>
#include <stdlib.h>

/* bpf_tail_call: as in the kernel, an index outside the map or the chain limit (33) makes
 * the call fail and the program go on; a failed call to an empty slot still counts against
 * the limit (the kernel's interpreter and x86 JIT count before looking at the slot).
 * Returns 0 when the next program will run, -E2BIG (limit), -ENOENT (index or empty slot),
 * -EINVAL (not a PROG_ARRAY). */
HELPER_DECL(helper_tail_call)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r2;
    if (!helpers_map_arg(ex, m, HELPER_MAPT(BPFVM_MAP_TYPE_PROG_ARRAY)))
        return (uint64_t)-EINVAL;
    uint32_t idx = (uint32_t)r3;
    if (idx >= m->max_entries)
        return (uint64_t)-ENOENT;
    if (ex->tail_calls >= EXEC_MAX_TAIL_CALLS)
        return (uint64_t)-E2BIG;
    const struct bpfvm_prog *next = map_lookup_fast(m, &idx, 0);
    if (!next) {
        ex->tail_calls++;
        return (uint64_t)-ENOENT;
    }
    return (uint64_t)(int64_t)bpfvm_exec_tail_call(ex, next);
}

/* ---------------------------------------------------------------- program ids */

static pthread_mutex_t prog_ids_mu = PTHREAD_MUTEX_INITIALIZER;
static struct prog_id {
    const void *prog;
    uint32_t id;
} *prog_ids;
static size_t prog_ids_cnt, prog_ids_cap;
static uint32_t prog_next_id = 1;

static uint32_t prog_id_of(const void *prog, bool assign)
{
    uint32_t id = 0;
    pthread_mutex_lock(&prog_ids_mu);
    for (size_t i = 0; i < prog_ids_cnt; i++)
        if (prog_ids[i].prog == prog) {
            id = prog_ids[i].id;
            goto out;
        }
    if (!assign)
        goto out;
    if (core_grow((void **)&prog_ids, &prog_ids_cap, prog_ids_cnt, sizeof(*prog_ids), 16))
        goto out;
    id = prog_next_id++;
    prog_ids[prog_ids_cnt++] = (struct prog_id){prog, id};
out:
    pthread_mutex_unlock(&prog_ids_mu);
    return id;
}

static void prog_obj_get(void *prog) { prog_id_of(prog, true); } /* no refcount: id only */
static void prog_obj_put(void *prog) { (void)prog; }              /* no refcount yet */
static uint32_t prog_obj_id(const void *prog) { return prog_id_of(prog, true); }

static const struct map_obj_ops prog_obj_ops = {
    .get = prog_obj_get,
    .put = prog_obj_put,
    .id = prog_obj_id,
};

int bpfvm_prog_array_init(struct bpfvm_map *map)
{
    if (!map || map->type != BPFVM_MAP_TYPE_PROG_ARRAY)
        return -EINVAL;
    map_set_obj_ops(map, &prog_obj_ops);
    return 0;
}
