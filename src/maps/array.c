/* maps/array.c - BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY: a flat, zero-initialised block of
 * values indexed by a u32 key.  Lookups are lock-free pointer arithmetic; programs read and
 * write values in place.  Per-CPU arrays keep nr_slots copies of each value side by side. */
#include "maps/map.h"

#include <stdlib.h>

struct map_array {
    struct bpfvm_map map;
    size_t elem_size; /* stride, or nr_slots * stride for per-CPU */
    char *values;
};

#define ARRAY_FLAGS (BPFVM_F_NUMA_NODE | BPFVM_F_RDONLY | BPFVM_F_WRONLY | \
                     BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG)

static int array_check(const struct map_attr *a)
{
    bool percpu = a->type == BPFVM_MAP_TYPE_PERCPU_ARRAY;
    uint32_t allowed = ARRAY_FLAGS | (percpu ? 0 : BPFVM_F_MMAPABLE | BPFVM_F_INNER_MAP);
    const char *n = percpu ? "percpu_array" : "array";
    if (a->map_flags & ~allowed)
        return map_err(a, -EINVAL, "map create %s: flags 0x%x not allowed", n, a->map_flags);
    if (a->key_size != 4)
        return map_err(a, -EINVAL, "map create %s: key_size %u, must be 4", n, a->key_size);
    if (!a->value_size || !a->max_entries)
        return map_err(a, -EINVAL, "map create %s: value_size and max_entries must be > 0", n);
    if (percpu && a->value_size > MAP_PCPU_MAX_VALUE)
        return map_err(a, -E2BIG, "map create %s: value_size %u > %u", n, a->value_size,
                       MAP_PCPU_MAX_VALUE);
    if (a->value_size >= (1u << 30))
        return map_err(a, -E2BIG, "map create %s: value_size %u too big", n, a->value_size);
    return 0;
}

static int array_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    bool percpu = a->type == BPFVM_MAP_TYPE_PERCPU_ARRAY;
    struct map_array *ar = map_mem_calloc(a->arena, 1, sizeof(*ar));
    if (!ar)
        return -ENOMEM;
    ar->elem_size = percpu ? (size_t)a->nr_slots * a->value_stride : a->value_stride;
    if (ar->elem_size && a->max_entries > SIZE_MAX / 2 / ar->elem_size) {
        map_mem_free(a->arena, ar);
        return -ENOMEM;
    }
    size_t total = ar->elem_size * a->max_entries;
    ar->values = map_mem_calloc(a->arena, 1, total);
    if (!ar->values) {
        map_mem_free(a->arena, ar);
        return -ENOMEM;
    }
    map_init_common(&ar->map, a, percpu ? &map_percpu_array_ops : &map_array_ops);
    *out = &ar->map;
    return 0;
}

static void array_free(struct bpfvm_map *map)
{
    struct map_array *ar = (struct map_array *)map;
    map_mem_free(map->arena, ar->values);
    map_mem_free(map->arena, ar);
}

static size_t array_mem_size(const struct map_attr *a)
{
    bool percpu = a->type == BPFVM_MAP_TYPE_PERCPU_ARRAY;
    size_t elem = percpu ? (size_t)a->nr_slots * a->value_stride : a->value_stride;
    return map_mem_round(sizeof(struct map_array)) + map_mem_round(elem * a->max_entries);
}

static void *array_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct map_array *ar = (struct map_array *)map;
    uint32_t idx;
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries)
        return NULL;
    return ar->values + ar->elem_size * idx;
}

static void *percpu_array_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct map_array *ar = (struct map_array *)map;
    uint32_t idx;
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries)
        return NULL;
    return ar->values + ar->elem_size * idx + (size_t)slot * map->value_stride;
}

static long array_update(struct bpfvm_map *map, const void *key, const void *value,
                         uint64_t flags, unsigned slot)
{
    struct map_array *ar = (struct map_array *)map;
    int err = map_check_update_flags(map, flags);
    if (err)
        return err;
    uint32_t idx;
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries)
        return -E2BIG;
    if ((flags & ~BPFVM_F_LOCK) == BPFVM_NOEXIST)
        return -EEXIST; /* every element of an array always exists */
    char *p = ar->values + ar->elem_size * idx;
    if (map->ops->percpu) {
        if (slot == MAP_SLOT_ALL) {
            for (uint32_t s = 0; s < map->nr_slots; s++)
                memcpy(p + (size_t)s * map->value_stride,
                       (const char *)value + (size_t)s * map->value_stride, map->value_size);
        } else {
            memcpy(p + (size_t)slot * map->value_stride, value, map->value_size);
        }
    } else if (flags & BPFVM_F_LOCK) {
        map_copy_value_locked(map, p, value, true);
    } else {
        map_copy_value(map, p, value);
    }
    return 0;
}

static long array_delete(struct bpfvm_map *map, const void *key) { return -EINVAL; }

/* Shared by every array-like map: NULL or out-of-range key gives index 0. */
int map_array_get_next_key(struct bpfvm_map *map, const void *key, void *next_key)
{
    uint32_t idx = 0, next = 0;
    if (key)
        memcpy(&idx, key, 4);
    if (key && idx < map->max_entries) {
        if (idx == map->max_entries - 1)
            return -ENOENT;
        next = idx + 1;
    }
    memcpy(next_key, &next, 4);
    return 0;
}

/* Batch: *pos is the next index to visit. */
static int array_batch(struct bpfvm_map *map, uint64_t *pos, void *keys, void *values,
                       uint32_t *count, uint64_t elem_flags, bool do_delete)
{
    struct map_array *ar = (struct map_array *)map;
    if (do_delete)
        return -EOPNOTSUPP;
    uint32_t want = *count, done = 0;
    size_t vsz = bpfvm_map_value_buf_size(map);
    uint64_t i = *pos;
    for (; done < want && i < map->max_entries; i++, done++) {
        uint32_t k = (uint32_t)i;
        memcpy((char *)keys + (size_t)done * 4, &k, 4);
        char *dst = (char *)values + (size_t)done * vsz;
        const char *src = ar->values + ar->elem_size * i;
        if (map->ops->percpu) {
            memcpy(dst, src, vsz);
        } else {
            if (elem_flags & BPFVM_F_LOCK)
                map_copy_value_locked(map, dst, src, false);
            else
                map_copy_value(map, dst, src);
            if (map->spin_lock_off >= 0)
                memset(dst + map->spin_lock_off, 0, 4);
        }
    }
    *pos = i;
    *count = done;
    return (done < want && i >= map->max_entries) ? -ENOENT : 0;
}

const struct map_ops map_array_ops = {
    .name = "array",
    .lookup_may_be_null = true,
    .has_keys = true,
    .check = array_check,
    .alloc = array_alloc,
    .free = array_free,
    .mem_size = array_mem_size,
    .lookup = array_lookup,
    .update = array_update,
    .delete = array_delete,
    .get_next_key = map_array_get_next_key,
    .batch = array_batch,
};

const struct map_ops map_percpu_array_ops = {
    .name = "percpu_array",
    .lookup_may_be_null = true,
    .has_keys = true,
    .percpu = true,
    .check = array_check,
    .alloc = array_alloc,
    .free = array_free,
    .mem_size = array_mem_size,
    .lookup = percpu_array_lookup,
    .update = array_update,
    .delete = array_delete,
    .get_next_key = map_array_get_next_key,
    .batch = array_batch,
};

bool map_array_layout(const struct bpfvm_map *map, char **values, size_t *stride)
{
    if (!map || map->type != BPFVM_MAP_TYPE_ARRAY)
        return false;
    const struct map_array *ar = (const struct map_array *)map;
    *values = ar->values;
    *stride = ar->elem_size;
    return true;
}
