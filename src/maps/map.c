/* maps/map.c - what every map type shares: the type table, creation with the common checks,
 * reference counting and retired objects, the host-side element API with the kernel's
 * permission and flag rules, batch operations, freezing, and value copies that respect a
 * bpf_spin_lock inside the value. */
#include "maps/map.h"
#include "core/grow.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAP_ACCESS_FLAGS                                                                  \
    (BPFVM_F_RDONLY | BPFVM_F_WRONLY | BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG)
#define MAP_KNOWN_FLAGS                                                                   \
    (BPFVM_F_NO_PREALLOC | BPFVM_F_NO_COMMON_LRU | BPFVM_F_NUMA_NODE | MAP_ACCESS_FLAGS |   \
     BPFVM_F_ZERO_SEED | BPFVM_F_MMAPABLE | BPFVM_F_PRESERVE_ELEMS | BPFVM_F_INNER_MAP)

static atomic_uint map_next_id = 1; /* ids like the kernel's map ids; harmless if shared */

/* ---------------------------------------------------------------- type table */

const struct map_ops *map_ops_for(enum bpfvm_map_type type)
{
    switch (type) {
    case BPFVM_MAP_TYPE_HASH: return &map_hash_ops;
    case BPFVM_MAP_TYPE_ARRAY: return &map_array_ops;
    case BPFVM_MAP_TYPE_PROG_ARRAY: return &map_prog_array_ops;
    case BPFVM_MAP_TYPE_PERF_EVENT_ARRAY: return &map_perf_event_array_ops;
    case BPFVM_MAP_TYPE_PERCPU_HASH: return &map_percpu_hash_ops;
    case BPFVM_MAP_TYPE_PERCPU_ARRAY: return &map_percpu_array_ops;
    case BPFVM_MAP_TYPE_LRU_HASH: return &map_lru_hash_ops;
    case BPFVM_MAP_TYPE_LRU_PERCPU_HASH: return &map_lru_percpu_hash_ops;
    case BPFVM_MAP_TYPE_LPM_TRIE: return &map_lpm_trie_ops;
    case BPFVM_MAP_TYPE_ARRAY_OF_MAPS: return &map_array_of_maps_ops;
    case BPFVM_MAP_TYPE_HASH_OF_MAPS: return &map_hash_of_maps_ops;
    case BPFVM_MAP_TYPE_DEVMAP: return &map_devmap_ops;
    case BPFVM_MAP_TYPE_CPUMAP: return &map_cpumap_ops;
    case BPFVM_MAP_TYPE_XSKMAP: return &map_xskmap_ops;
    case BPFVM_MAP_TYPE_DEVMAP_HASH: return &map_devmap_hash_ops;
    case BPFVM_MAP_TYPE_QUEUE: return &map_queue_ops;
    case BPFVM_MAP_TYPE_STACK: return &map_stack_ops;
    case BPFVM_MAP_TYPE_RINGBUF: return &map_ringbuf_ops;
    case BPFVM_MAP_TYPE_BLOOM_FILTER: return &map_bloom_filter_ops;
    default: return NULL;
    }
}

const char *bpfvm_map_type_name(enum bpfvm_map_type type)
{
    const struct map_ops *ops = map_ops_for(type);
    return ops ? ops->name : "unknown";
}

/* ---------------------------------------------------------------- locks */

void map_lock_slow(map_lock_t *l)
{
    unsigned spins = 0;
    for (;;) {
        while (atomic_load_explicit(&l->v, memory_order_relaxed)) {
            if (++spins > 64) {
                sched_yield(); /* more threads than cores: let the holder run */
                spins = 0;
            }
        }
        if (!atomic_exchange_explicit(&l->v, 1, memory_order_acquire))
            return;
    }
}

void map_value_spin_lock(void *lock) { map_lock((map_lock_t *)lock); }
void map_value_spin_unlock(void *lock) { map_unlock((map_lock_t *)lock); }

/* ---------------------------------------------------------------- memory */

void *map_mem_calloc(struct map_arena *arena, size_t n, size_t size)
{
    if (!arena)
        return calloc(n, size);
    if (size && n > SIZE_MAX / 2 / size)
        return NULL;
    size_t bytes = map_mem_round(n * size);
    if (!bytes)
        bytes = MAP_MEM_ALIGN;
    void *p = NULL;
    map_lock(&arena->lock);
    if (bytes <= arena->size - arena->used) {
        p = arena->start + arena->used;
        arena->used += bytes;
    }
    map_unlock(&arena->lock);
    return p; /* fresh file pages: already zero */
}

void map_mem_free(struct map_arena *arena, void *p)
{
    if (!arena)
        free(p);
}

/* ---------------------------------------------------------------- values */

void map_copy_value(const struct bpfvm_map *map, void *dst, const void *src)
{
    if (map->spin_lock_off < 0) {
        memcpy(dst, src, map->value_size);
        return;
    }
    uint32_t off = (uint32_t)map->spin_lock_off;
    memcpy(dst, src, off);
    memcpy((char *)dst + off + 4, (const char *)src + off + 4, map->value_size - off - 4);
}

void map_copy_value_locked(const struct bpfvm_map *map, void *dst, const void *src, bool to_map)
{
    void *lock = (char *)(to_map ? dst : (void *)src) + map->spin_lock_off;
    map_value_spin_lock(lock);
    map_copy_value(map, dst, src);
    map_value_spin_unlock(lock);
}

int map_check_update_flags(const struct bpfvm_map *map, uint64_t flags)
{
    if ((flags & ~BPFVM_F_LOCK) > BPFVM_EXIST)
        return -EINVAL;
    if ((flags & BPFVM_F_LOCK) && map->spin_lock_off < 0)
        return -EINVAL;
    return 0;
}

int map_check_lookup_flags(const struct bpfvm_map *map, uint64_t flags)
{
    if (flags & ~BPFVM_F_LOCK)
        return -EINVAL;
    if ((flags & BPFVM_F_LOCK) && map->spin_lock_off < 0)
        return -EINVAL;
    return 0;
}

/* Copy one stored value out to the host, the lock word zeroed. */
static void map_copy_out(const struct bpfvm_map *map, void *dst, const void *src, uint64_t flags)
{
    if (flags & BPFVM_F_LOCK)
        map_copy_value_locked(map, dst, src, false);
    else
        map_copy_value(map, dst, src);
    if (map->spin_lock_off >= 0)
        memset((char *)dst + map->spin_lock_off, 0, 4);
}

/* ---------------------------------------------------------------- create / free */

int map_err(const struct map_attr *a, int err, const char *fmt, ...)
{
    if (a->errbuf && a->errbuf_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->errbuf, a->errbuf_len, fmt, ap);
        va_end(ap);
    }
    return err;
}

void map_init_common(struct bpfvm_map *map, const struct map_attr *a, const struct map_ops *ops)
{
    map->ops = ops;
    map->type = a->type;
    map->key_size = a->key_size;
    map->value_size = a->value_size;
    map->max_entries = a->max_entries;
    map->map_flags = a->map_flags;
    map->nr_slots = a->nr_slots;
    map->value_stride = a->value_stride;
    map->spin_lock_off = a->spin_lock_off;
    map->id = atomic_fetch_add(&map_next_id, 1);
    atomic_init(&map->refcnt, 1);
    atomic_init(&map->frozen, false);
    atomic_init(&map->retired_lock.v, 0);
    map->arena = a->arena;
    if (a->inner) {
        map->inner_type = a->inner->type;
        map->inner_key_size = a->inner->key_size;
        map->inner_value_size = a->inner->value_size;
        map->inner_max_entries = a->inner->max_entries;
        map->inner_flags = a->inner->map_flags;
    }
}

static unsigned map_default_slots(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (unsigned)n;
}

/* The checks every map type shares, then the type's own. */
int map_create_common(struct map_attr *a, const struct map_ops **ops_out)
{
    const struct map_ops *ops = map_ops_for(a->type);
    if (!ops)
        return map_err(a, -EINVAL, "map create: unknown map type %d", (int)a->type);
    if (a->map_flags & ~MAP_KNOWN_FLAGS)
        return map_err(a, -EINVAL, "map create %s: unknown map flags 0x%x", ops->name,
                       a->map_flags & ~MAP_KNOWN_FLAGS);
    if ((a->map_flags & BPFVM_F_RDONLY) && (a->map_flags & BPFVM_F_WRONLY))
        return map_err(a, -EINVAL, "map create %s: BPF_F_RDONLY with BPF_F_WRONLY", ops->name);
    if ((a->map_flags & BPFVM_F_RDONLY_PROG) && (a->map_flags & BPFVM_F_WRONLY_PROG))
        return map_err(a, -EINVAL, "map create %s: BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG",
                       ops->name);
    if (a->map_extra && a->type != BPFVM_MAP_TYPE_BLOOM_FILTER)
        return map_err(a, -EINVAL, "map create %s: map_extra 0x%llx is for bloom filters only",
                       ops->name, (unsigned long long)a->map_extra);
    if (a->nr_slots > 65536)
        return map_err(a, -EINVAL, "map create %s: %u worker slots is too many", ops->name,
                       a->nr_slots);
    if (a->spin_lock_off >= 0) {
        bool ok_type = a->type == BPFVM_MAP_TYPE_ARRAY || a->type == BPFVM_MAP_TYPE_HASH ||
                       a->type == BPFVM_MAP_TYPE_LRU_HASH;
        if (!ok_type)
            return map_err(a, -EOPNOTSUPP, "map create %s: bpf_spin_lock not supported",
                           ops->name);
        if ((a->spin_lock_off & 3) || (uint64_t)a->spin_lock_off + 4 > a->value_size)
            return map_err(a, -EINVAL, "map create %s: spin lock offset %d outside value",
                           ops->name, a->spin_lock_off);
    }
    int err = ops->check(a);
    if (err)
        return err;
    *ops_out = ops;
    return 0;
}

int bpfvm_map_create(enum bpfvm_map_type type, const char *name, uint32_t key_size,
                     uint32_t value_size, uint32_t max_entries,
                     const struct bpfvm_map_create_opts *opts, struct bpfvm_map **out)
{
    struct bpfvm_map_create_opts o = {0};
    if (opts)
        memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
    struct map_attr a = {
        .type = type, .key_size = key_size, .value_size = value_size,
        .max_entries = max_entries, .map_flags = o.map_flags,
        .nr_slots = o.nr_slots ? o.nr_slots : map_default_slots(),
        .value_stride = map_round8(value_size),
        .spin_lock_off = (o.has_spin_lock || o.spin_lock_off > 0) ? o.spin_lock_off : -1,
        .map_extra = o.map_extra,
        .inner = o.inner_map, .errbuf = o.errbuf, .errbuf_len = o.errbuf_len,
    };
    if (!out)
        return map_err(&a, -EINVAL, "map create: no output pointer");
    *out = NULL;
    const struct map_ops *ops = NULL;
    if (o.pin_path)
        return map_pin_create(&a, map_ops_for(type), name, o.pin_path, o.pin_reuse,
                              o.nr_slots, out);
    int err = map_create_common(&a, &ops);
    if (err)
        return err;
    struct bpfvm_map *map = NULL;
    err = ops->alloc(&a, &map);
    if (err)
        return map_err(&a, err, "map create %s: out of memory", ops->name);
    if (name) {
        strncpy(map->name, name, sizeof(map->name) - 1);
        map->name[sizeof(map->name) - 1] = 0;
    }
    *out = map;
    return 0;
}

void map_get(struct bpfvm_map *map)
{
    if (map->shared)
        map_pin_get(map);
    else
        atomic_fetch_add(&map->refcnt, 1);
}

void map_put(struct bpfvm_map *map)
{
    if (map && map->shared) {
        map_pin_put(map);
        return;
    }
    if (!map || atomic_fetch_sub(&map->refcnt, 1) != 1)
        return;
    for (size_t i = 0; i < map->retired_cnt; i++)
        map_release_obj(map, map->retired[i]);
    free(map->retired);
    map->ops->free(map);
}

void bpfvm_map_free(struct bpfvm_map *map) { map_put(map); }

void map_set_obj_ops(struct bpfvm_map *map, const struct map_obj_ops *ops)
{
    map->obj_ops = *ops;
}

void map_release_obj(struct bpfvm_map *map, void *obj)
{
    if (!obj)
        return;
    if (map->type == BPFVM_MAP_TYPE_PROG_ARRAY) {
        if (map->obj_ops.put)
            map->obj_ops.put(obj);
    } else {
        map_put(obj);
    }
}

int map_retire_obj(struct bpfvm_map *map, void *obj)
{
    if (!obj)
        return 0;
    int err = 0;
    map_lock(&map->retired_lock);
    err = core_grow((void **)&map->retired, &map->retired_cap, map->retired_cnt,
                    sizeof(*map->retired), 8);
    if (err)
        goto out;
    map->retired[map->retired_cnt++] = obj;
out:
    map_unlock(&map->retired_lock);
    return err;
}

/* ---------------------------------------------------------------- accessors */

enum bpfvm_map_type bpfvm_map_type(const struct bpfvm_map *m) { return m->type; }
const char *bpfvm_map_name(const struct bpfvm_map *m) { return m->name; }
uint32_t bpfvm_map_key_size(const struct bpfvm_map *m) { return m->key_size; }
uint32_t bpfvm_map_value_size(const struct bpfvm_map *m) { return m->value_size; }
uint32_t bpfvm_map_max_entries(const struct bpfvm_map *m) { return m->max_entries; }
uint32_t bpfvm_map_flags(const struct bpfvm_map *m) { return m->map_flags; }
uint32_t bpfvm_map_id(const struct bpfvm_map *m) { return m->id; }
uint32_t bpfvm_map_nr_slots(const struct bpfvm_map *m) { return m->nr_slots; }
size_t bpfvm_map_value_buf_size(const struct bpfvm_map *m)
{
    return m->ops->percpu ? (size_t)m->nr_slots * m->value_stride : m->value_size;
}

/* ---------------------------------------------------------------- host element API */

static int map_host_may_read(const struct bpfvm_map *m)
{
    return (m->map_flags & BPFVM_F_WRONLY) ? -EPERM : 0;
}

static int map_host_may_write(const struct bpfvm_map *m)
{
    if ((m->map_flags & BPFVM_F_RDONLY) || atomic_load(&m->frozen))
        return -EPERM;
    return 0;
}

int bpfvm_map_lookup_elem_flags(struct bpfvm_map *map, const void *key, void *value,
                                uint64_t flags)
{
    if (!map || !value || (map->key_size && !key))
        return -EINVAL;
    int err = map_host_may_read(map);
    if (err)
        return err;
    if (map->ops->sys_lookup)
        return map->ops->sys_lookup(map, key, value, flags);
    if ((err = map_check_lookup_flags(map, flags)))
        return err;
    const char *p = map->ops->lookup(map, key, 0);
    if (!p)
        return -ENOENT;
    if (map->ops->percpu) {
        for (uint32_t s = 0; s < map->nr_slots; s++) {
            char *d = (char *)value + (size_t)s * map->value_stride;
            memcpy(d, p + (size_t)s * map->value_stride, map->value_stride);
        }
        return 0;
    }
    map_copy_out(map, value, p, flags);
    return 0;
}

int bpfvm_map_lookup_elem(struct bpfvm_map *map, const void *key, void *value)
{
    return bpfvm_map_lookup_elem_flags(map, key, value, 0);
}

int bpfvm_map_update_elem(struct bpfvm_map *map, const void *key, const void *value,
                          uint64_t flags)
{
    if (!map || !value || (map->key_size && !key))
        return -EINVAL;
    int err = map_host_may_write(map);
    if (err)
        return err;
    if (map->ops->push)
        return (int)map->ops->push(map, value, flags);
    if (!map->ops->update)
        return -EINVAL; /* object maps take bpfvm_map_update_ptr; ringbuf has no elements */
    return (int)map->ops->update(map, key, value, flags, MAP_SLOT_ALL);
}

int bpfvm_map_delete_elem(struct bpfvm_map *map, const void *key)
{
    if (!map || (map->key_size && !key))
        return -EINVAL;
    int err = map_host_may_write(map);
    if (err)
        return err;
    if (!map->ops->delete)
        return -EINVAL;
    return (int)map->ops->delete(map, key);
}

int bpfvm_map_lookup_and_delete_elem_flags(struct bpfvm_map *map, const void *key, void *value,
                                           uint64_t flags)
{
    if (!map || !value || (map->key_size && !key))
        return -EINVAL;
    int err = map_host_may_read(map);
    if (!err)
        err = map_host_may_write(map);
    if (err)
        return err;
    if (map->ops->pop) {
        if (flags)
            return -EINVAL;
        return (int)map->ops->pop(map, value);
    }
    if (!map->ops->sys_lookup_and_delete)
        return -EOPNOTSUPP;
    return map->ops->sys_lookup_and_delete(map, key, value, flags);
}

int bpfvm_map_lookup_and_delete_elem(struct bpfvm_map *map, const void *key, void *value)
{
    return bpfvm_map_lookup_and_delete_elem_flags(map, key, value, 0);
}

int bpfvm_map_get_next_key(struct bpfvm_map *map, const void *key, void *next_key)
{
    if (!map || !next_key)
        return -EINVAL;
    int err = map_host_may_read(map);
    if (err)
        return err;
    if (!map->ops->get_next_key)
        return -EINVAL;
    return map->ops->get_next_key(map, key, next_key);
}

/* ---------------------------------------------------------------- object maps */

static bool map_matches_template(const struct bpfvm_map *outer, const struct bpfvm_map *inner)
{
    uint32_t ignore = BPFVM_F_INNER_MAP | BPFVM_F_RDONLY | BPFVM_F_WRONLY;
    if (inner->type != outer->inner_type || inner->key_size != outer->inner_key_size ||
        inner->value_size != outer->inner_value_size ||
        (inner->map_flags & ~ignore) != (outer->inner_flags & ~ignore))
        return false;
    if (!(outer->inner_flags & BPFVM_F_INNER_MAP) &&
        inner->max_entries != outer->inner_max_entries)
        return false;
    return true;
}

int bpfvm_map_update_ptr(struct bpfvm_map *map, const void *key, void *obj, uint64_t flags)
{
    if (!map || !key || !obj || !map->ops->update_obj)
        return -EINVAL;
    int err = map_host_may_write(map);
    if (err)
        return err;
    if (flags > BPFVM_EXIST)
        return -EINVAL;
    if (map->type == BPFVM_MAP_TYPE_PROG_ARRAY) {
        if (map->obj_ops.get)
            map->obj_ops.get(obj);
    } else {
        if (!map_matches_template(map, obj))
            return -EINVAL;
        map_get(obj);
    }
    void *old = NULL;
    err = map->ops->update_obj(map, key, obj, flags, &old);
    if (err) {
        map_release_obj(map, obj);
        return err;
    }
    if (old && map_retire_obj(map, old))
        return 0; /* cannot remember it: leak rather than free under a running program */
    return 0;
}

int bpfvm_map_lookup_ptr(struct bpfvm_map *map, const void *key, void **obj)
{
    if (!map || !key || !obj || !map->ops->lookup_returns_obj)
        return -EINVAL;
    int err = map_host_may_read(map);
    if (err)
        return err;
    *obj = map->ops->lookup(map, key, 0);
    return *obj ? 0 : -ENOENT;
}

/* ---------------------------------------------------------------- freeze */

int bpfvm_map_freeze(struct bpfvm_map *map)
{
    if (!map)
        return -EINVAL;
    if (map->spin_lock_off >= 0)
        return -EOPNOTSUPP;
    if (map->map_flags & BPFVM_F_RDONLY)
        return -EPERM;
    bool expected = false;
    if (!atomic_compare_exchange_strong(&map->frozen, &expected, true))
        return -EPERM;
    return 0;
}

bool bpfvm_map_is_frozen(const struct bpfvm_map *map) { return atomic_load(&map->frozen); }

/* ---------------------------------------------------------------- batch */

static int map_batch_common(struct bpfvm_map *map, const uint64_t *in_batch,
                            uint64_t *out_batch, void *keys, void *values, uint32_t *count,
                            const struct bpfvm_map_batch_opts *opts, bool do_delete)
{
    if (!map || !out_batch || !keys || !values || !count)
        return -EINVAL;
    int err = map_host_may_read(map);
    if (!err && do_delete)
        err = map_host_may_write(map);
    if (err)
        return err;
    uint64_t elem_flags = opts ? opts->elem_flags : 0;
    if (opts && opts->flags)
        return -EINVAL;
    if ((err = map_check_lookup_flags(map, elem_flags)))
        return err;
    if (!map->ops->batch)
        return -EOPNOTSUPP;
    uint64_t pos = in_batch ? *in_batch : 0;
    err = map->ops->batch(map, &pos, keys, values, count, elem_flags, do_delete);
    *out_batch = pos;
    return err;
}

int bpfvm_map_lookup_batch(struct bpfvm_map *map, const uint64_t *in_batch, uint64_t *out_batch,
                           void *keys, void *values, uint32_t *count,
                           const struct bpfvm_map_batch_opts *opts)
{
    return map_batch_common(map, in_batch, out_batch, keys, values, count, opts, false);
}

int bpfvm_map_lookup_and_delete_batch(struct bpfvm_map *map, const uint64_t *in_batch,
                                      uint64_t *out_batch, void *keys, void *values,
                                      uint32_t *count, const struct bpfvm_map_batch_opts *opts)
{
    return map_batch_common(map, in_batch, out_batch, keys, values, count, opts, true);
}

int bpfvm_map_update_batch(struct bpfvm_map *map, const void *keys, const void *values,
                           uint32_t *count, const struct bpfvm_map_batch_opts *opts)
{
    if (!map || !keys || !values || !count)
        return -EINVAL;
    if (opts && opts->flags)
        return -EINVAL;
    if (!map->ops->batch)
        return -EOPNOTSUPP;
    uint64_t fl = opts ? opts->elem_flags : 0;
    size_t vsz = bpfvm_map_value_buf_size(map);
    uint32_t n = *count;
    for (uint32_t i = 0; i < n; i++) {
        int err = bpfvm_map_update_elem(map, (const char *)keys + (size_t)i * map->key_size,
                                        (const char *)values + (size_t)i * vsz, fl);
        if (err) {
            *count = i;
            return err;
        }
    }
    return 0;
}

int bpfvm_map_delete_batch(struct bpfvm_map *map, const void *keys, uint32_t *count,
                           const struct bpfvm_map_batch_opts *opts)
{
    if (!map || !keys || !count)
        return -EINVAL;
    if (opts && (opts->flags || opts->elem_flags))
        return -EINVAL;
    if (!map->ops->batch)
        return -EOPNOTSUPP;
    uint32_t n = *count;
    for (uint32_t i = 0; i < n; i++) {
        int err = bpfvm_map_delete_elem(map, (const char *)keys + (size_t)i * map->key_size);
        if (err) {
            *count = i;
            return err;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- program fast path */

long map_update_fast(struct bpfvm_map *map, const void *key, const void *value, uint64_t flags,
                     unsigned slot)
{
    if (map->ops->push)
        return map->ops->push(map, value, flags);
    if (!map->ops->update || !map_prog_may_write(map))
        return -EINVAL;
    return map->ops->update(map, key, value, flags, slot % map->nr_slots);
}

long map_delete_fast(struct bpfvm_map *map, const void *key)
{
    if (!map->ops->delete || !map_prog_may_write(map))
        return -EINVAL;
    return map->ops->delete(map, key);
}

long map_push_fast(struct bpfvm_map *map, const void *value, uint64_t flags)
{
    return map->ops->push ? map->ops->push(map, value, flags) : -EINVAL;
}

long map_pop_fast(struct bpfvm_map *map, void *value)
{
    return map->ops->pop ? map->ops->pop(map, value) : -EINVAL;
}

long map_peek_fast(struct bpfvm_map *map, void *value)
{
    return map->ops->peek ? map->ops->peek(map, value) : -EINVAL;
}
