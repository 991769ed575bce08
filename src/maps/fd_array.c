/* maps/fd_array.c - PROG_ARRAY and ARRAY_OF_MAPS: arrays of object pointers (programs for
 * tail calls, inner maps).  Where the kernel stores file descriptors, bpfvm stores the
 * objects themselves; lookups from programs return the object, host lookups of an
 * ARRAY_OF_MAPS give the inner map's id.  Replaced objects are retired, not released, so a
 * program still running with one stays safe. */
#include "maps/map.h"

#include <stdlib.h>

struct map_fd_array {
    struct bpfvm_map map;
    _Atomic(void *) *slots;
};

#define FD_ARRAY_FLAGS (BPFVM_F_NUMA_NODE | BPFVM_F_RDONLY | BPFVM_F_WRONLY | \
                        BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG)

static int fd_array_check(const struct map_attr *a)
{
    bool prog = a->type == BPFVM_MAP_TYPE_PROG_ARRAY;
    const char *n = prog ? "prog_array" : "array_of_maps";
    uint32_t allowed = FD_ARRAY_FLAGS & ~(prog ? BPFVM_F_RDONLY_PROG : 0);
    if (a->map_flags & ~allowed)
        return map_err(a, -EINVAL, "map create %s: flags 0x%x not allowed", n, a->map_flags);
    if (a->key_size != 4 || a->value_size != 4 || !a->max_entries)
        return map_err(a, -EINVAL, "map create %s: key_size and value_size must be 4, "
                       "max_entries > 0", n);
    if (!prog) {
        if (!a->inner)
            return map_err(a, -EINVAL, "map create %s: no inner map template", n);
        if (map_is_fd_type(a->inner->type))
            return map_err(a, -EINVAL, "map create %s: inner map of type %s not allowed", n,
                           a->inner->ops->name);
    }
    return 0;
}

static int fd_array_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct map_fd_array *fa = calloc(1, sizeof(*fa));
    if (!fa)
        return -ENOMEM;
    fa->slots = calloc(a->max_entries, sizeof(*fa->slots));
    if (!fa->slots) {
        free(fa);
        return -ENOMEM;
    }
    map_init_common(&fa->map, a, a->type == BPFVM_MAP_TYPE_PROG_ARRAY ? &map_prog_array_ops
                                                                     : &map_array_of_maps_ops);
    *out = &fa->map;
    return 0;
}

static void fd_array_free(struct bpfvm_map *map)
{
    struct map_fd_array *fa = (struct map_fd_array *)map;
    for (uint32_t i = 0; i < map->max_entries; i++)
        map_release_obj(map, atomic_load(&fa->slots[i]));
    free(fa->slots);
    free(fa);
}

static void *fd_array_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct map_fd_array *fa = (struct map_fd_array *)map;
    uint32_t idx;
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries)
        return NULL;
    return atomic_load_explicit(&fa->slots[idx], memory_order_acquire);
}

static int fd_array_update_obj(struct bpfvm_map *map, const void *key, void *obj,
                               uint64_t flags, void **old)
{
    struct map_fd_array *fa = (struct map_fd_array *)map;
    uint32_t idx;
    memcpy(&idx, key, 4);
    if (flags != BPFVM_ANY)
        return -EINVAL;
    if (idx >= map->max_entries)
        return -E2BIG;
    *old = atomic_exchange_explicit(&fa->slots[idx], obj, memory_order_acq_rel);
    return 0;
}

static long fd_array_delete(struct bpfvm_map *map, const void *key)
{
    struct map_fd_array *fa = (struct map_fd_array *)map;
    uint32_t idx;
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries)
        return -E2BIG;
    void *old = atomic_exchange_explicit(&fa->slots[idx], NULL, memory_order_acq_rel);
    if (!old)
        return -ENOENT;
    map_retire_obj(map, old);
    return 0;
}

static int fd_array_sys_lookup(struct bpfvm_map *map, const void *key, void *value,
                               uint64_t flags)
{
    if (flags)
        return -EINVAL;
    void *obj = fd_array_lookup(map, key, 0);
    if (!obj)
        return -ENOENT;
    uint32_t id;
    if (map->type == BPFVM_MAP_TYPE_PROG_ARRAY) {
        if (!map->obj_ops.id)
            return -EOPNOTSUPP;
        id = map->obj_ops.id(obj);
    } else {
        id = ((struct bpfvm_map *)obj)->id;
    }
    memcpy(value, &id, 4);
    return 0;
}

const struct map_ops map_prog_array_ops = {
    .name = "prog_array",
    .lookup_may_be_null = true,
    .lookup_returns_obj = true,
    .has_keys = true,
    .check = fd_array_check,
    .alloc = fd_array_alloc,
    .free = fd_array_free,
    .lookup = fd_array_lookup,
    .delete = fd_array_delete,
    .get_next_key = map_array_get_next_key,
    .sys_lookup = fd_array_sys_lookup,
    .update_obj = fd_array_update_obj,
};

const struct map_ops map_array_of_maps_ops = {
    .name = "array_of_maps",
    .lookup_may_be_null = true,
    .lookup_returns_obj = true,
    .has_keys = true,
    .check = fd_array_check,
    .alloc = fd_array_alloc,
    .free = fd_array_free,
    .lookup = fd_array_lookup,
    .delete = fd_array_delete,
    .get_next_key = map_array_get_next_key,
    .sys_lookup = fd_array_sys_lookup,
    .update_obj = fd_array_update_obj,
};
