/* maps/hash.c - HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and HASH_OF_MAPS.
 *
 * Buckets are singly linked chains ending in an odd "nulls" marker that encodes the bucket
 * index.  Readers (program lookups) take no lock: they follow the chain and, if they end on
 * another bucket's marker (the element they stood on was recycled into another chain),
 * start over.  Writers hold a per-bucket spinlock.  Elements are never returned to the
 * allocator while the map lives: a deleted element goes to a free list and is reused, so a
 * value pointer a program holds stays valid memory (as in the kernel, it may then show
 * another element's data).  Updates of a whole value insert a new element before unlinking
 * the old one, so a reader sees the old or the new value; per-CPU and BPF_F_LOCK updates
 * write in place like the kernel does.
 *
 * LRU maps keep every live element on one list (lock order: bucket, then LRU).  Lookups
 * only set a reference bit; when the pool is empty, eviction walks from the cold end,
 * giving referenced elements a second chance. */
#include "maps/map.h"

#include <stdlib.h>
#include <time.h>

struct htab_elem {
    _Atomic uintptr_t next;       /* chain link, or (bucket << 1) | 1 */
    _Atomic uint32_t hash;
    atomic_uchar ref;             /* LRU: looked up since last scan */
    uint8_t linked;               /* in a chain (bucket lock) */
    uint8_t on_lru;               /* on the LRU list (LRU lock) */
    struct htab_elem *free_next;  /* free list */
    struct htab_elem *lru_prev, *lru_next;
    struct htab_elem *alloc_next; /* elements allocated one by one, for map free */
    _Alignas(8) char data[];      /* key rounded to 8, then the value(s) */
};

struct htab_bucket {
    _Atomic uintptr_t head;
    map_lock_t lock;
};

struct htab {
    struct bpfvm_map map;
    struct htab_bucket *buckets;
    uint32_t mask;
    uint64_t seed;
    uint32_t key_room, value_room; /* bytes for key, bytes for value(s) */
    size_t elem_size;
    bool lru, percpu, prealloc, of_maps;
    atomic_uint count;
    map_lock_t free_lock;
    struct htab_elem *free_list;
    struct htab_elem *allocated;   /* one-by-one allocations (free_lock) */
    char *pool;
    map_lock_t lru_lock;
    struct htab_elem lru_head;     /* sentinel: lru_next = hottest, lru_prev = coldest */
};

#define HTAB_FLAGS (BPFVM_F_NO_PREALLOC | BPFVM_F_NUMA_NODE | BPFVM_F_RDONLY | BPFVM_F_WRONLY | \
                    BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG | BPFVM_F_ZERO_SEED)

static inline char *elem_key(struct htab_elem *e) { return e->data; }
static inline char *elem_value(const struct htab *h, struct htab_elem *e)
{
    return e->data + h->key_room;
}

/* ---------------------------------------------------------------- create / free */

static int htab_check(const struct map_attr *a)
{
    bool lru = a->type == BPFVM_MAP_TYPE_LRU_HASH || a->type == BPFVM_MAP_TYPE_LRU_PERCPU_HASH;
    bool percpu = a->type == BPFVM_MAP_TYPE_PERCPU_HASH ||
                  a->type == BPFVM_MAP_TYPE_LRU_PERCPU_HASH;
    const char *n = map_ops_for(a->type)->name;
    uint32_t allowed = HTAB_FLAGS | (lru ? BPFVM_F_NO_COMMON_LRU : 0);
    if (a->map_flags & ~allowed)
        return map_err(a, -EINVAL, "map create %s: flags 0x%x not allowed", n, a->map_flags);
    if (lru && (a->map_flags & BPFVM_F_NO_PREALLOC))
        return map_err(a, -EOPNOTSUPP, "map create %s: BPF_F_NO_PREALLOC not supported", n);
    if (!a->key_size || !a->value_size || !a->max_entries)
        return map_err(a, -EINVAL, "map create %s: key_size, value_size and max_entries "
                       "must be > 0", n);
    if (a->key_size > MAP_KMALLOC_MAX || a->value_size >= MAP_KMALLOC_MAX - 64)
        return map_err(a, -E2BIG, "map create %s: key or value too big", n);
    if (percpu && a->value_size > MAP_PCPU_MAX_VALUE)
        return map_err(a, -E2BIG, "map create %s: value_size %u > %u", n, a->value_size,
                       MAP_PCPU_MAX_VALUE);
    if (a->max_entries > (1u << 27))
        return map_err(a, -E2BIG, "map create %s: max_entries %u too big", n, a->max_entries);
    if (a->type == BPFVM_MAP_TYPE_HASH_OF_MAPS) {
        if (a->value_size != 4)
            return map_err(a, -EINVAL, "map create %s: value_size must be 4", n);
        if (!a->inner)
            return map_err(a, -EINVAL, "map create %s: no inner map template", n);
        if (map_is_fd_type(a->inner->type))
            return map_err(a, -EINVAL, "map create %s: inner map of type %s not allowed", n,
                           a->inner->ops->name);
    }
    return 0;
}

static void htab_free(struct bpfvm_map *map);

static int htab_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct htab *h = map_mem_calloc(a->arena, 1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->lru = a->type == BPFVM_MAP_TYPE_LRU_HASH || a->type == BPFVM_MAP_TYPE_LRU_PERCPU_HASH;
    h->percpu = a->type == BPFVM_MAP_TYPE_PERCPU_HASH ||
                a->type == BPFVM_MAP_TYPE_LRU_PERCPU_HASH;
    h->of_maps = a->type == BPFVM_MAP_TYPE_HASH_OF_MAPS;
    h->prealloc = !(a->map_flags & BPFVM_F_NO_PREALLOC);
    h->key_room = map_round8(a->key_size);
    h->value_room = h->of_maps ? 8 : h->percpu ? a->nr_slots * a->value_stride : a->value_stride;
    h->elem_size = sizeof(struct htab_elem) + h->key_room + h->value_room;
    h->lru_head.lru_next = h->lru_head.lru_prev = &h->lru_head;
    if (a->map_flags & BPFVM_F_ZERO_SEED) {
        h->seed = 0;
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        h->seed = map_mix64((uint64_t)(uintptr_t)h ^ ((uint64_t)ts.tv_nsec << 20) ^
                            (uint64_t)ts.tv_sec);
    }
    uint32_t nb = 1;
    while (nb < a->max_entries)
        nb <<= 1;
    h->mask = nb - 1;
    const struct map_ops *ops = map_ops_for(a->type);
    map_init_common(&h->map, a, ops);
    h->buckets = map_mem_calloc(a->arena, nb, sizeof(*h->buckets));
    if (!h->buckets)
        goto nomem;
    for (uint32_t i = 0; i < nb; i++) {
        atomic_init(&h->buckets[i].head, ((uintptr_t)i << 1) | 1);
        atomic_init(&h->buckets[i].lock.v, 0);
    }
    if (h->prealloc) {
        /* a few spare elements let full maps replace existing keys */
        size_t n = (size_t)a->max_entries + (h->lru ? 0 : 4);
        if (h->elem_size > SIZE_MAX / 2 / n)
            goto nomem;
        h->pool = map_mem_calloc(a->arena, n, h->elem_size);
        if (!h->pool)
            goto nomem;
        for (size_t i = n; i-- > 0;) {
            struct htab_elem *e = (struct htab_elem *)(h->pool + i * h->elem_size);
            e->free_next = h->free_list;
            h->free_list = e;
        }
    }
    *out = &h->map;
    return 0;
nomem:
    htab_free(&h->map);
    return -ENOMEM;
}

static void htab_free(struct bpfvm_map *map)
{
    struct htab *h = (struct htab *)map;
    if (h->of_maps && h->buckets) {
        for (uint32_t i = 0; i <= h->mask; i++) {
            uintptr_t p = atomic_load(&h->buckets[i].head);
            for (; !(p & 1); p = atomic_load(&((struct htab_elem *)p)->next)) {
                void *obj;
                memcpy(&obj, elem_value(h, (struct htab_elem *)p), sizeof(obj));
                map_release_obj(map, obj);
            }
        }
    }
    while (h->allocated) {
        struct htab_elem *e = h->allocated;
        h->allocated = e->alloc_next;
        map_mem_free(map->arena, e);
    }
    map_mem_free(map->arena, h->pool);
    map_mem_free(map->arena, h->buckets);
    map_mem_free(map->arena, h);
}

/* Elements: the preallocated pool, or for NO_PREALLOC max_entries allocated one by one plus
 * room for replacements in flight (a replacement takes a new element before it frees the
 * old one; freed elements are reused). */
#define HTAB_PIN_SPARE 256u
static size_t htab_mem_size(const struct map_attr *a)
{
    bool lru = a->type == BPFVM_MAP_TYPE_LRU_HASH || a->type == BPFVM_MAP_TYPE_LRU_PERCPU_HASH;
    bool percpu = a->type == BPFVM_MAP_TYPE_PERCPU_HASH ||
                  a->type == BPFVM_MAP_TYPE_LRU_PERCPU_HASH;
    size_t value_room = percpu ? (size_t)a->nr_slots * a->value_stride : a->value_stride;
    size_t elem = sizeof(struct htab_elem) + map_round8(a->key_size) + value_room;
    size_t nb = 1;
    while (nb < a->max_entries)
        nb <<= 1;
    size_t total = map_mem_round(sizeof(struct htab)) + map_mem_round(nb * sizeof(struct htab_bucket));
    if (!(a->map_flags & BPFVM_F_NO_PREALLOC))
        total += map_mem_round(((size_t)a->max_entries + (lru ? 0 : 4)) * elem);
    else
        total += ((size_t)a->max_entries + HTAB_PIN_SPARE) * map_mem_round(elem);
    return total;
}

/* ---------------------------------------------------------------- elements */

static void lru_unlink(struct htab_elem *e)
{
    e->lru_prev->lru_next = e->lru_next;
    e->lru_next->lru_prev = e->lru_prev;
    e->on_lru = 0;
}

static void lru_push_hot(struct htab *h, struct htab_elem *e)
{
    e->lru_next = h->lru_head.lru_next;
    e->lru_prev = &h->lru_head;
    h->lru_head.lru_next->lru_prev = e;
    h->lru_head.lru_next = e;
    e->on_lru = 1;
}

static void free_push(struct htab *h, struct htab_elem *e)
{
    map_lock(&h->free_lock);
    e->free_next = h->free_list;
    h->free_list = e;
    map_unlock(&h->free_lock);
}

static struct htab_elem *free_pop(struct htab *h)
{
    map_lock(&h->free_lock);
    struct htab_elem *e = h->free_list;
    if (e)
        h->free_list = e->free_next;
    map_unlock(&h->free_lock);
    return e;
}

/* Unlink e from bucket b (lock held). */
static void chain_unlink(struct htab_bucket *b, struct htab_elem *e)
{
    _Atomic uintptr_t *pp = &b->head;
    uintptr_t p;
    while (!((p = atomic_load_explicit(pp, memory_order_relaxed)) & 1)) {
        if ((struct htab_elem *)p == e) {
            atomic_store_explicit(pp, atomic_load_explicit(&e->next, memory_order_relaxed),
                                  memory_order_release);
            e->linked = 0;
            return;
        }
        pp = &((struct htab_elem *)p)->next;
    }
}

/* Take the coldest unreferenced element off the LRU list and out of its chain. */
static struct htab_elem *lru_evict(struct htab *h)
{
    map_lock(&h->lru_lock);
    struct htab_elem *e = h->lru_head.lru_prev;
    /* second chance: referenced elements move to the hot end with their bit cleared; the
     * bound keeps lookups that keep setting bits from holding us here */
    for (uint64_t n = 0; e != &h->lru_head && n < 2ull * h->map.max_entries; n++) {
        if (!atomic_load_explicit(&e->ref, memory_order_relaxed))
            break;
        atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
        lru_unlink(e);
        lru_push_hot(h, e);
        e = h->lru_head.lru_prev;
    }
    if (e == &h->lru_head) {
        map_unlock(&h->lru_lock);
        return NULL;
    }
    lru_unlink(e);
    map_unlock(&h->lru_lock);
    struct htab_bucket *b = &h->buckets[atomic_load(&e->hash) & h->mask];
    map_lock(&b->lock);
    if (e->linked)
        chain_unlink(b, e);
    map_unlock(&b->lock);
    return e;
}

/* A new element: counted against max_entries unless it replaces one (LRU evicts instead). */
static int elem_alloc(struct htab *h, bool replacing, struct htab_elem **out)
{
    struct htab_elem *e;
    if (h->lru) {
        e = free_pop(h);
        if (!e)
            e = lru_evict(h);
        if (!e)
            return -E2BIG;
        *out = e;
        return 0;
    }
    if (!replacing) {
        if (atomic_fetch_add(&h->count, 1) >= h->map.max_entries) {
            atomic_fetch_sub(&h->count, 1);
            return -E2BIG;
        }
    }
    e = free_pop(h);
    if (!e) {
        e = map_mem_calloc(h->map.arena, 1, h->elem_size);
        if (!e) {
            if (!replacing)
                atomic_fetch_sub(&h->count, 1);
            return -ENOMEM;
        }
        map_lock(&h->free_lock);
        e->alloc_next = h->allocated;
        h->allocated = e;
        map_unlock(&h->free_lock);
    }
    *out = e;
    return 0;
}

/* Give back an element that left its chain (bucket lock held when it was linked). */
static void elem_release(struct htab *h, struct htab_elem *e, bool counted)
{
    if (h->lru) {
        map_lock(&h->lru_lock);
        bool mine = e->on_lru;
        if (mine)
            lru_unlink(e);
        map_unlock(&h->lru_lock);
        if (!mine)
            return; /* an evictor took it off the list and owns it now */
    } else if (counted) {
        atomic_fetch_sub(&h->count, 1);
    }
    free_push(h, e);
}

/* ---------------------------------------------------------------- lookups */

static inline struct htab_elem *htab_find_rcu(struct htab *h, const void *key, uint32_t hash)
{
    uint32_t bi = hash & h->mask;
    struct htab_bucket *b = &h->buckets[bi];
    uint32_t ks = h->map.key_size;
    uintptr_t p;
again:
    p = atomic_load_explicit(&b->head, memory_order_acquire);
    while (!(p & 1)) {
        struct htab_elem *e = (struct htab_elem *)p;
        if (atomic_load_explicit(&e->hash, memory_order_relaxed) == hash &&
            map_key_eq(e->data, key, ks))
            return e;
        p = atomic_load_explicit(&e->next, memory_order_acquire);
    }
    if ((p >> 1) != bi)
        goto again; /* walked into another chain through a recycled element */
    return NULL;
}

static struct htab_elem *htab_find_locked(struct htab *h, struct htab_bucket *b, const void *key,
                                          uint32_t hash)
{
    uintptr_t p = atomic_load_explicit(&b->head, memory_order_relaxed);
    for (; !(p & 1); p = atomic_load_explicit(&((struct htab_elem *)p)->next,
                                              memory_order_relaxed)) {
        struct htab_elem *e = (struct htab_elem *)p;
        if (atomic_load_explicit(&e->hash, memory_order_relaxed) == hash &&
            map_key_eq(e->data, key, h->map.key_size))
            return e;
    }
    return NULL;
}

static void *htab_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct htab *h = (struct htab *)map;
    struct htab_elem *e = htab_find_rcu(h, key, map_hash(key, map->key_size, h->seed));
    return e ? elem_value(h, e) : NULL;
}

static void *htab_percpu_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct htab *h = (struct htab *)map;
    struct htab_elem *e = htab_find_rcu(h, key, map_hash(key, map->key_size, h->seed));
    return e ? elem_value(h, e) + (size_t)slot * map->value_stride : NULL;
}

static void *htab_lru_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct htab *h = (struct htab *)map;
    struct htab_elem *e = htab_find_rcu(h, key, map_hash(key, map->key_size, h->seed));
    if (!e)
        return NULL;
    if (!atomic_load_explicit(&e->ref, memory_order_relaxed))
        atomic_store_explicit(&e->ref, 1, memory_order_relaxed);
    return elem_value(h, e) + (h->percpu ? (size_t)slot * map->value_stride : 0);
}

static void *htab_of_maps_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct htab *h = (struct htab *)map;
    struct htab_elem *e = htab_find_rcu(h, key, map_hash(key, map->key_size, h->seed));
    if (!e)
        return NULL;
    void *obj;
    memcpy(&obj, elem_value(h, e), sizeof(obj));
    return obj;
}

/* Copy an element's value(s) out for the host; the map-in-map value is the inner id. */
static void htab_copy_out(struct htab *h, struct htab_elem *e, void *value, uint64_t flags)
{
    struct bpfvm_map *map = &h->map;
    const char *src = elem_value(h, e);
    if (h->of_maps) {
        struct bpfvm_map *inner;
        memcpy(&inner, src, sizeof(inner));
        uint32_t id = inner ? inner->id : 0;
        memcpy(value, &id, 4);
    } else if (h->percpu) {
        memcpy(value, src, h->value_room);
    } else {
        if (flags & BPFVM_F_LOCK)
            map_copy_value_locked(map, value, src, false);
        else
            map_copy_value(map, value, src);
        if (map->spin_lock_off >= 0)
            memset((char *)value + map->spin_lock_off, 0, 4);
    }
}

static int htab_sys_lookup(struct bpfvm_map *map, const void *key, void *value, uint64_t flags)
{
    struct htab *h = (struct htab *)map;
    int err = map_check_lookup_flags(map, flags);
    if (err)
        return err;
    struct htab_elem *e = htab_find_rcu(h, key, map_hash(key, map->key_size, h->seed));
    if (!e)
        return -ENOENT;
    htab_copy_out(h, e, value, flags);
    return 0;
}

/* ---------------------------------------------------------------- updates */

/* Fill a fresh element's value: per-CPU from a program sets its slot and zeroes the rest. */
static void htab_fill_value(struct htab *h, struct htab_elem *e, const void *value,
                            unsigned slot, void *obj)
{
    char *v = elem_value(h, e);
    memset(v, 0, h->value_room);
    if (h->of_maps) {
        memcpy(v, &obj, sizeof(obj));
    } else if (h->percpu) {
        if (slot == MAP_SLOT_ALL) {
            for (uint32_t s = 0; s < h->map.nr_slots; s++)
                memcpy(v + (size_t)s * h->map.value_stride,
                       (const char *)value + (size_t)s * h->map.value_stride,
                       h->map.value_size);
        } else {
            memcpy(v + (size_t)slot * h->map.value_stride, value, h->map.value_size);
        }
    } else {
        map_copy_value(&h->map, v, value);
    }
}

static void htab_write_in_place(struct htab *h, struct htab_elem *e, const void *value,
                                uint64_t flags, unsigned slot)
{
    char *v = elem_value(h, e);
    if (h->percpu) {
        if (slot == MAP_SLOT_ALL) {
            for (uint32_t s = 0; s < h->map.nr_slots; s++)
                memcpy(v + (size_t)s * h->map.value_stride,
                       (const char *)value + (size_t)s * h->map.value_stride,
                       h->map.value_size);
        } else {
            memcpy(v + (size_t)slot * h->map.value_stride, value, h->map.value_size);
        }
    } else {
        map_copy_value_locked(&h->map, v, value, true);
    }
}

static long htab_update_common(struct htab *h, const void *key, const void *value,
                               uint64_t flags, unsigned slot, void *obj, void **old_obj)
{
    struct bpfvm_map *map = &h->map;
    int err = map_check_update_flags(map, flags);
    if (err)
        return err;
    uint64_t op = flags & ~BPFVM_F_LOCK;
    uint32_t hash = map_hash(key, map->key_size, h->seed);
    struct htab_bucket *b = &h->buckets[hash & h->mask];
    struct htab_elem *fresh = NULL;
    if (h->lru) {
        /* evict before taking the bucket lock: eviction takes other buckets' locks */
        if ((err = elem_alloc(h, false, &fresh)))
            return err;
    }
    map_lock(&b->lock);
    struct htab_elem *old = htab_find_locked(h, b, key, hash);
    if (op == BPFVM_NOEXIST && old) {
        err = -EEXIST;
        goto out;
    }
    if (op == BPFVM_EXIST && !old) {
        err = -ENOENT;
        goto out;
    }
    if (old && (h->percpu || (flags & BPFVM_F_LOCK))) {
        htab_write_in_place(h, old, value, flags, slot);
        if (h->lru)
            atomic_store_explicit(&old->ref, 1, memory_order_relaxed);
        goto out;
    }
    if (!fresh && (err = elem_alloc(h, old != NULL, &fresh)))
        goto out;
    struct htab_elem *e = fresh;
    fresh = NULL;
    atomic_store_explicit(&e->hash, hash, memory_order_relaxed);
    atomic_store_explicit(&e->ref, 0, memory_order_relaxed);
    memcpy(elem_key(e), key, map->key_size);
    htab_fill_value(h, e, value, slot, obj);
    atomic_store_explicit(&e->next, atomic_load_explicit(&b->head, memory_order_relaxed),
                          memory_order_relaxed);
    e->linked = 1;
    atomic_store_explicit(&b->head, (uintptr_t)e, memory_order_release);
    if (h->lru) {
        map_lock(&h->lru_lock);
        lru_push_hot(h, e);
        map_unlock(&h->lru_lock);
    }
    if (old) {
        if (old_obj)
            memcpy(old_obj, elem_value(h, old), sizeof(void *));
        chain_unlink(b, old);
        elem_release(h, old, false);
    }
out:
    map_unlock(&b->lock);
    if (fresh)
        free_push(h, fresh);
    return err;
}

static long htab_update(struct bpfvm_map *map, const void *key, const void *value,
                        uint64_t flags, unsigned slot)
{
    if (map->type == BPFVM_MAP_TYPE_HASH_OF_MAPS)
        return -EINVAL; /* use bpfvm_map_update_ptr */
    return htab_update_common((struct htab *)map, key, value, flags, slot, NULL, NULL);
}

static int htab_update_obj(struct bpfvm_map *map, const void *key, void *obj, uint64_t flags,
                           void **old)
{
    return (int)htab_update_common((struct htab *)map, key, NULL, flags, 0, obj, old);
}

/* ---------------------------------------------------------------- deletes */

static int htab_remove(struct htab *h, const void *key, void *value, uint64_t flags)
{
    uint32_t hash = map_hash(key, h->map.key_size, h->seed);
    struct htab_bucket *b = &h->buckets[hash & h->mask];
    void *obj = NULL;
    map_lock(&b->lock);
    struct htab_elem *e = htab_find_locked(h, b, key, hash);
    if (!e) {
        map_unlock(&b->lock);
        return -ENOENT;
    }
    if (value)
        htab_copy_out(h, e, value, flags);
    if (h->of_maps)
        memcpy(&obj, elem_value(h, e), sizeof(obj));
    chain_unlink(b, e);
    elem_release(h, e, true);
    map_unlock(&b->lock);
    if (obj)
        map_retire_obj(&h->map, obj);
    return 0;
}

static long htab_delete(struct bpfvm_map *map, const void *key)
{
    return htab_remove((struct htab *)map, key, NULL, 0);
}

static int htab_sys_lookup_and_delete(struct bpfvm_map *map, const void *key, void *value,
                                      uint64_t flags)
{
    int err = map_check_lookup_flags(map, flags);
    if (err)
        return err;
    if (map->type == BPFVM_MAP_TYPE_HASH_OF_MAPS)
        return -EOPNOTSUPP;
    return htab_remove((struct htab *)map, key, value, flags);
}

/* ---------------------------------------------------------------- iteration */

static int htab_get_next_key(struct bpfvm_map *map, const void *key, void *next_key)
{
    struct htab *h = (struct htab *)map;
    uint32_t start = 0;
    if (key) {
        uint32_t hash = map_hash(key, map->key_size, h->seed);
        struct htab_bucket *b = &h->buckets[hash & h->mask];
        map_lock(&b->lock);
        struct htab_elem *e = htab_find_locked(h, b, key, hash);
        if (e) {
            uintptr_t n = atomic_load_explicit(&e->next, memory_order_relaxed);
            if (!(n & 1)) {
                memcpy(next_key, elem_key((struct htab_elem *)n), map->key_size);
                map_unlock(&b->lock);
                return 0;
            }
            start = (hash & h->mask) + 1;
        }
        map_unlock(&b->lock);
    }
    for (uint64_t i = start; i <= h->mask; i++) {
        struct htab_bucket *b = &h->buckets[i];
        if (atomic_load_explicit(&b->head, memory_order_relaxed) & 1)
            continue;
        map_lock(&b->lock);
        uintptr_t p = atomic_load_explicit(&b->head, memory_order_relaxed);
        if (!(p & 1)) {
            memcpy(next_key, elem_key((struct htab_elem *)p), map->key_size);
            map_unlock(&b->lock);
            return 0;
        }
        map_unlock(&b->lock);
    }
    return -ENOENT;
}

/* Batch: *pos is the next bucket; whole buckets only, like the kernel. */
static int htab_batch(struct bpfvm_map *map, uint64_t *pos, void *keys, void *values,
                      uint32_t *count, uint64_t elem_flags, bool do_delete)
{
    struct htab *h = (struct htab *)map;
    uint32_t want = *count, done = 0;
    size_t vsz = h->of_maps ? 4 : bpfvm_map_value_buf_size(map);
    uint64_t i = *pos;
    if (do_delete && h->of_maps)
        return -EOPNOTSUPP;
    for (; i <= h->mask; i++) {
        struct htab_bucket *b = &h->buckets[i];
        if (atomic_load_explicit(&b->head, memory_order_relaxed) & 1)
            continue;
        map_lock(&b->lock);
        uint32_t n = 0;
        uintptr_t p = atomic_load_explicit(&b->head, memory_order_relaxed);
        for (; !(p & 1); p = atomic_load_explicit(&((struct htab_elem *)p)->next,
                                                  memory_order_relaxed))
            n++;
        if (done + n > want) {
            map_unlock(&b->lock);
            *pos = i;
            *count = done;
            return done ? 0 : -ENOSPC;
        }
        p = atomic_load_explicit(&b->head, memory_order_relaxed);
        while (!(p & 1)) {
            struct htab_elem *e = (struct htab_elem *)p;
            p = atomic_load_explicit(&e->next, memory_order_relaxed);
            memcpy((char *)keys + (size_t)done * map->key_size, elem_key(e), map->key_size);
            htab_copy_out(h, e, (char *)values + (size_t)done * vsz, elem_flags);
            done++;
            if (do_delete) {
                chain_unlink(b, e);
                elem_release(h, e, true);
            }
        }
        map_unlock(&b->lock);
    }
    *pos = i;
    *count = done;
    return -ENOENT;
}

#define HTAB_OPS(ident, nm, lk, pc)                                                         \
    const struct map_ops ident = {                                                        \
        .name = nm,                                                                       \
        .lookup_may_be_null = true,                                                       \
        .has_keys = true,                                                                 \
        .percpu = pc,                                                                     \
        .check = htab_check,                                                              \
        .alloc = htab_alloc,                                                              \
        .free = htab_free,                                                                \
        .mem_size = htab_mem_size,                                                        \
        .lookup = lk,                                                                     \
        .update = htab_update,                                                            \
        .delete = htab_delete,                                                            \
        .get_next_key = htab_get_next_key,                                                \
        .sys_lookup = htab_sys_lookup,                                                    \
        .sys_lookup_and_delete = htab_sys_lookup_and_delete,                              \
        .batch = htab_batch,                                                              \
    }

HTAB_OPS(map_hash_ops, "hash", htab_lookup, false);
HTAB_OPS(map_percpu_hash_ops, "percpu_hash", htab_percpu_lookup, true);
HTAB_OPS(map_lru_hash_ops, "lru_hash", htab_lru_lookup, false);
HTAB_OPS(map_lru_percpu_hash_ops, "lru_percpu_hash", htab_lru_lookup, true);

const struct map_ops map_hash_of_maps_ops = {
    .name = "hash_of_maps",
    .lookup_may_be_null = true,
    .lookup_returns_obj = true,
    .has_keys = true,
    .check = htab_check,
    .alloc = htab_alloc,
    .free = htab_free,
    .lookup = htab_of_maps_lookup,
    .update = htab_update,
    .delete = htab_delete,
    .get_next_key = htab_get_next_key,
    .sys_lookup = htab_sys_lookup,
    .sys_lookup_and_delete = htab_sys_lookup_and_delete,
    .update_obj = htab_update_obj,
    .batch = htab_batch,
};
