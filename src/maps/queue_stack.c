/* maps/queue_stack.c - BPF_MAP_TYPE_QUEUE (FIFO) and STACK (LIFO): a ring of max_entries
 * values under one spinlock.  No keys.  Pushing to a full map fails with -E2BIG unless
 * BPF_EXIST, which drops the oldest value (for both types, like the kernel). */
#include "maps/map.h"

#include <stdlib.h>

struct map_qs {
    struct bpfvm_map map;
    map_lock_t lock;
    uint32_t head, tail, size; /* size = max_entries + 1; empty when head == tail */
    bool stack;
    char *elems;
};

static int qs_check(const struct map_attr *a)
{
    const char *n = a->type == BPFVM_MAP_TYPE_STACK ? "stack" : "queue";
    uint32_t allowed = BPFVM_F_NUMA_NODE | BPFVM_F_RDONLY | BPFVM_F_WRONLY |
                       BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG;
    if (a->map_flags & ~allowed)
        return map_err(a, -EINVAL, "map create %s: flags 0x%x not allowed", n, a->map_flags);
    if (a->key_size != 0 || !a->value_size || !a->max_entries)
        return map_err(a, -EINVAL, "map create %s: key_size must be 0, value_size and "
                       "max_entries > 0", n);
    if (a->value_size > MAP_KMALLOC_MAX)
        return map_err(a, -E2BIG, "map create %s: value_size %u too big", n, a->value_size);
    return 0;
}

static int qs_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct map_qs *q = map_mem_calloc(a->arena, 1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->size = a->max_entries + 1;
    if (!q->size || (size_t)q->size > SIZE_MAX / 2 / a->value_size ||
        !(q->elems = map_mem_calloc(a->arena, q->size, a->value_size))) {
        map_mem_free(a->arena, q);
        return -ENOMEM;
    }
    q->stack = a->type == BPFVM_MAP_TYPE_STACK;
    map_init_common(&q->map, a, q->stack ? &map_stack_ops : &map_queue_ops);
    *out = &q->map;
    return 0;
}

static void qs_free(struct bpfvm_map *map)
{
    struct map_qs *q = (struct map_qs *)map;
    map_mem_free(map->arena, q->elems);
    map_mem_free(map->arena, q);
}

static size_t qs_mem_size(const struct map_attr *a)
{
    return map_mem_round(sizeof(struct map_qs)) +
           map_mem_round(((size_t)a->max_entries + 1) * a->value_size);
}

static long qs_push(struct bpfvm_map *map, const void *value, uint64_t flags)
{
    struct map_qs *q = (struct map_qs *)map;
    if ((flags & BPFVM_NOEXIST) || flags > BPFVM_EXIST)
        return -EINVAL;
    map_lock(&q->lock);
    if ((q->head + 1) % q->size == q->tail) {
        if (!(flags & BPFVM_EXIST)) {
            map_unlock(&q->lock);
            return -E2BIG;
        }
        q->tail = (q->tail + 1) % q->size; /* overwrite the oldest */
    }
    memcpy(q->elems + (size_t)q->head * map->value_size, value, map->value_size);
    q->head = (q->head + 1) % q->size;
    map_unlock(&q->lock);
    return 0;
}

static long qs_take(struct bpfvm_map *map, void *value, bool remove)
{
    struct map_qs *q = (struct map_qs *)map;
    map_lock(&q->lock);
    if (q->head == q->tail) {
        map_unlock(&q->lock);
        return -ENOENT;
    }
    uint32_t idx;
    if (q->stack) {
        idx = (q->head + q->size - 1) % q->size;
        if (remove)
            q->head = idx;
    } else {
        idx = q->tail;
        if (remove)
            q->tail = (q->tail + 1) % q->size;
    }
    memcpy(value, q->elems + (size_t)idx * map->value_size, map->value_size);
    map_unlock(&q->lock);
    return 0;
}

static long qs_pop(struct bpfvm_map *map, void *value) { return qs_take(map, value, true); }
static long qs_peek(struct bpfvm_map *map, void *value) { return qs_take(map, value, false); }

static int qs_sys_lookup(struct bpfvm_map *map, const void *key, void *value, uint64_t flags)
{
    return flags ? -EINVAL : (int)qs_peek(map, value);
}

static void *qs_lookup(struct bpfvm_map *map, const void *key, unsigned slot) { return NULL; }

const struct map_ops map_queue_ops = {
    .name = "queue",
    .check = qs_check,
    .alloc = qs_alloc,
    .free = qs_free,
    .mem_size = qs_mem_size,
    .lookup = qs_lookup,
    .sys_lookup = qs_sys_lookup,
    .push = qs_push,
    .pop = qs_pop,
    .peek = qs_peek,
};

const struct map_ops map_stack_ops = {
    .name = "stack",
    .check = qs_check,
    .alloc = qs_alloc,
    .free = qs_free,
    .mem_size = qs_mem_size,
    .lookup = qs_lookup,
    .sys_lookup = qs_sys_lookup,
    .push = qs_push,
    .pop = qs_pop,
    .peek = qs_peek,
};
