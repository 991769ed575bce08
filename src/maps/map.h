/* maps/map.h - internal map interface: the common map header, the per-type ops table (which
 * also carries the verifier's facts about each type), the fast path programs use (pointers
 * into the value storage, like the kernel's bpf_map_lookup_elem from BPF code), and the small
 * locking and hashing tools shared by the map implementations. */
#ifndef BPFVM_MAPS_MAP_H
#define BPFVM_MAPS_MAP_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bpfvm/map.h"

#define MAP_SLOT_ALL (~0u)          /* "slot" for host writes: value holds every slot */
#define MAP_KMALLOC_MAX (1u << 22)  /* the kernel's KMALLOC_MAX_SIZE on x86-64 */
#define MAP_PCPU_MAX_VALUE 32768u   /* the kernel's PCPU_MIN_UNIT_SIZE */
#define MAP_PAGE_SIZE 4096u

/* ---- locks: a tiny test-and-set spinlock that yields when it spins too long ---- */
typedef struct { atomic_uint v; } map_lock_t;
void map_lock_slow(map_lock_t *l);
static inline void map_lock(map_lock_t *l)
{
    if (atomic_exchange_explicit(&l->v, 1, memory_order_acquire))
        map_lock_slow(l);
}
static inline void map_unlock(map_lock_t *l) { atomic_store_explicit(&l->v, 0, memory_order_release); }

/* struct bpf_spin_lock inside a value (4 bytes); used for BPF_F_LOCK and the helpers. */
void map_value_spin_lock(void *lock);
void map_value_spin_unlock(void *lock);

/* ---- memory: malloc for ordinary maps, a bump arena inside the shared file for pinned ones
 * (see pin.c).  Arena memory starts zeroed and is never reused: frees are no-ops and the
 * whole arena goes when the last process unmaps it. ---- */
struct map_arena {
    map_lock_t lock;
    uint64_t used, size;            /* bytes handed out / available after `start` */
    char *start;                    /* same virtual address in every process */
};
#define MAP_MEM_ALIGN 16u
void *map_mem_calloc(struct map_arena *arena, size_t n, size_t size);
void map_mem_free(struct map_arena *arena, void *p);
static inline size_t map_mem_round(size_t x) { return (x + MAP_MEM_ALIGN - 1) & ~(size_t)(MAP_MEM_ALIGN - 1); }

/* ---- creation attributes after the common checks ---- */
struct map_attr {
    enum bpfvm_map_type type;
    uint32_t key_size, value_size, max_entries, map_flags;
    uint32_t nr_slots;
    uint32_t value_stride;          /* round_up(value_size, 8) */
    int32_t spin_lock_off;          /* -1 when none */
    uint64_t map_extra;             /* BLOOM_FILTER: number of hashes (0 for other types) */
    const struct bpfvm_map *inner;  /* map-in-map template */
    struct map_arena *arena;        /* NULL: malloc; else allocate everything from it */
    char *errbuf;
    size_t errbuf_len;
};

struct map_obj_ops;                 /* how a PROG_ARRAY holds its programs, see below */

struct map_ops {
    const char *name;
    /* verifier facts */
    bool lookup_may_be_null;        /* bpf_map_lookup_elem may return NULL */
    bool lookup_returns_obj;        /* lookups give the stored object (map-in-map, prog array) */
    bool has_keys;                  /* false for QUEUE/STACK/RINGBUF: key_size must be 0 */
    bool percpu;
    bool peek_reads_value;          /* BLOOM_FILTER: peek tests the value, never writes it */
    /* lifetime: check validates sizes and flags (-EINVAL/-E2BIG/-EOPNOTSUPP), alloc builds */
    int (*check)(const struct map_attr *a);
    int (*alloc)(const struct map_attr *a, struct bpfvm_map **out);
    void (*free)(struct bpfvm_map *map);
    /* pinnable types: an upper bound of the bytes alloc and later updates take from an
     * arena (each allocation counted rounded up by map_mem_round); NULL = not pinnable */
    size_t (*mem_size)(const struct map_attr *a);
    /* element ops; slot selects the per-CPU copy (MAP_SLOT_ALL: host, every slot) */
    void *(*lookup)(struct bpfvm_map *map, const void *key, unsigned slot);
    long (*update)(struct bpfvm_map *map, const void *key, const void *value, uint64_t flags,
                   unsigned slot);
    long (*delete)(struct bpfvm_map *map, const void *key);
    int (*get_next_key)(struct bpfvm_map *map, const void *key, void *next_key);
    /* host copy-out (optional; default: lookup + copy) and pop-like delete */
    int (*sys_lookup)(struct bpfvm_map *map, const void *key, void *value, uint64_t flags);
    int (*sys_lookup_and_delete)(struct bpfvm_map *map, const void *key, void *value,
                                 uint64_t flags);
    /* QUEUE/STACK */
    long (*push)(struct bpfvm_map *map, const void *value, uint64_t flags);
    long (*pop)(struct bpfvm_map *map, void *value);
    long (*peek)(struct bpfvm_map *map, void *value);
    /* object maps: store obj (NULL = delete), *old receives the replaced object */
    int (*update_obj)(struct bpfvm_map *map, const void *key, void *obj, uint64_t flags,
                      void **old);
    /* batch: walk from *pos, fill up to *count elements; see map.c */
    int (*batch)(struct bpfvm_map *map, uint64_t *pos, void *keys, void *values,
                 uint32_t *count, uint64_t elem_flags, bool do_delete);
};

/* Object references held by PROG_ARRAY entries (set by the program layer; unset = none). */
struct map_obj_ops {
    void (*get)(void *obj);
    void (*put)(void *obj);
    uint32_t (*id)(const void *obj);
};

struct bpfvm_map {
    const struct map_ops *ops;
    enum bpfvm_map_type type;
    uint32_t key_size, value_size, max_entries, map_flags;
    uint32_t nr_slots, value_stride;
    int32_t spin_lock_off;
    uint32_t id;
    atomic_int refcnt;
    atomic_bool frozen;
    char name[16];
    /* map-in-map: the inner template's facts */
    enum bpfvm_map_type inner_type;
    uint32_t inner_key_size, inner_value_size, inner_max_entries, inner_flags;
    /* object maps: how to hold objects, and objects retired while programs may run */
    struct map_obj_ops obj_ops;
    map_lock_t retired_lock;
    void **retired;
    size_t retired_cnt, retired_cap;
    /* pinned maps (pin.c): the whole map lives in a shared file mapped at the same address in
     * every process; `ops` then points at a per-process copy of the ops table kept at a fixed
     * address, and references are counted per process by pin.c, not in `refcnt` */
    struct map_arena *arena;
    bool shared;
};

const struct map_ops *map_ops_for(enum bpfvm_map_type type);
extern const struct map_ops map_array_ops, map_percpu_array_ops, map_prog_array_ops,
    map_array_of_maps_ops, map_perf_event_array_ops, map_hash_ops, map_percpu_hash_ops,
    map_lru_hash_ops, map_lru_percpu_hash_ops, map_hash_of_maps_ops, map_lpm_trie_ops,
    map_queue_ops, map_stack_ops, map_ringbuf_ops, map_bloom_filter_ops;
/* redirect_maps.c: the bpf_redirect_map targets */
extern const struct map_ops map_devmap_ops, map_devmap_hash_ops, map_cpumap_ops, map_xskmap_ops;

/* Fill the common header (called by every alloc). */
void map_init_common(struct bpfvm_map *map, const struct map_attr *a, const struct map_ops *ops);
/* get_next_key of every index-keyed type (array.c): keys 0..max_entries-1 in order. */
int map_array_get_next_key(struct bpfvm_map *map, const void *key, void *next_key);
/* One-line message into the create errbuf; returns err. */
int map_err(const struct map_attr *a, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reference counting (map-in-map holds references). */
void map_get(struct bpfvm_map *map);
void map_put(struct bpfvm_map *map);

/* Pinning (pin.c).  map_create_common runs the common checks and the type's check;
 * map_pin_create makes a new pinned map (or reuses a matching pin) for bpfvm_map_create;
 * map_pin_get/put count a process's references to a shared map (the last put unmaps). */
int map_create_common(struct map_attr *a, const struct map_ops **ops_out);
int map_pin_create(struct map_attr *a, const struct map_ops *ops, const char *name,
                   const char *pin_path, bool reuse, uint32_t nr_slots_asked,
                   struct bpfvm_map **out);
void map_pin_get(struct bpfvm_map *map);
void map_pin_put(struct bpfvm_map *map);
/* Keep an object alive until the map is freed; returns -ENOMEM when the list cannot grow
 * (the object is then leaked rather than freed under a running program). */
int map_retire_obj(struct bpfvm_map *map, void *obj);
void map_release_obj(struct bpfvm_map *map, void *obj);
void map_set_obj_ops(struct bpfvm_map *map, const struct map_obj_ops *ops);

/* Copy a value, leaving out the bpf_spin_lock word (the kernel never copies it). */
void map_copy_value(const struct bpfvm_map *map, void *dst, const void *src);
/* Same, holding the value's spin lock (BPF_F_LOCK); `locked` is the stored value. */
void map_copy_value_locked(const struct bpfvm_map *map, void *dst, const void *src,
                           bool to_map);
/* Checks for element flags: update (ANY/NOEXIST/EXIST [| F_LOCK]) and lookup (0 [| F_LOCK]). */
int map_check_update_flags(const struct bpfvm_map *map, uint64_t flags);
int map_check_lookup_flags(const struct bpfvm_map *map, uint64_t flags);

/* Hash of a key (own mixing function; seed 0 for BPF_F_ZERO_SEED). */
static inline uint64_t map_mix64(uint64_t x)
{
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}
static inline uint32_t map_hash(const void *key, uint32_t len, uint64_t seed)
{
    const uint8_t *p = key;
    uint64_t h = seed + len;
    uint64_t w;
    uint32_t w32;
    switch (len) {
    case 4:
        memcpy(&w32, p, 4);
        return (uint32_t)map_mix64(h ^ w32);
    case 8:
        memcpy(&w, p, 8);
        return (uint32_t)map_mix64(h ^ w);
    default:
        break;
    }
    while (len >= 8) {
        memcpy(&w, p, 8);
        h = map_mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        len -= 8;
    }
    w = 0;
    if (len) {
        memcpy(&w, p, len);
        h = map_mix64(h ^ w ^ ((uint64_t)len << 56));
    }
    return (uint32_t)map_mix64(h);
}
static inline bool map_key_eq(const void *a, const void *b, uint32_t len)
{
    switch (len) {
    case 4: return memcmp(a, b, 4) == 0;
    case 8: return memcmp(a, b, 8) == 0;
    case 16: return memcmp(a, b, 16) == 0;
    default: return memcmp(a, b, len) == 0;
    }
}

static inline uint32_t map_round8(uint32_t x) { return (x + 7u) & ~7u; }
static inline bool map_is_fd_type(enum bpfvm_map_type t)
{
    return t == BPFVM_MAP_TYPE_PROG_ARRAY || t == BPFVM_MAP_TYPE_ARRAY_OF_MAPS ||
           t == BPFVM_MAP_TYPE_HASH_OF_MAPS;
}

/* ================= fast path for programs (helpers, interpreter, JIT) =================
 * Lookups return a pointer into the map's storage (per-CPU: the slot's copy) or, for
 * PROG_ARRAY / *_OF_MAPS, the stored object; NULL when absent.  The pointer stays valid
 * while the map lives even if the element is deleted (its memory is recycled, as in the
 * kernel).  Update/delete/push/pop return 0 or a negative errno. */
static inline void *map_lookup_fast(struct bpfvm_map *map, const void *key, unsigned slot)
{
    return map->ops->lookup(map, key, slot);
}
/* For the JIT's inlined lookups: a plain ARRAY's value storage and stride (false for any
 * other type).  Element i is at values + i * stride, for i < max_entries. */
bool map_array_layout(const struct bpfvm_map *map, char **values, size_t *stride);

long map_update_fast(struct bpfvm_map *map, const void *key, const void *value, uint64_t flags,
                     unsigned slot);
long map_delete_fast(struct bpfvm_map *map, const void *key);
long map_push_fast(struct bpfvm_map *map, const void *value, uint64_t flags);
long map_pop_fast(struct bpfvm_map *map, void *value);
long map_peek_fast(struct bpfvm_map *map, void *value);
static inline bool map_prog_may_read(const struct bpfvm_map *m)
{
    return !(m->map_flags & BPFVM_F_WRONLY_PROG);
}
static inline bool map_prog_may_write(const struct bpfvm_map *m)
{
    return !(m->map_flags & BPFVM_F_RDONLY_PROG);
}

/* RINGBUF producer side (bpf_ringbuf_reserve/submit/discard/output/query).  reserve gives
 * NULL when full or on bad flags; submit/discard find their ring from the record header. */
void *map_ringbuf_reserve(struct bpfvm_map *map, uint64_t size, uint64_t flags);
void map_ringbuf_submit(void *sample, uint64_t flags);
void map_ringbuf_discard(void *sample, uint64_t flags);
long map_ringbuf_output(struct bpfvm_map *map, const void *data, uint64_t size, uint64_t flags);
uint64_t map_ringbuf_query(struct bpfvm_map *map, uint64_t flags);

/* PERF_EVENT_ARRAY producer side (bpf_perf_event_output): flags carry the index or
 * BPFVM_F_CURRENT_CPU (then `slot` is used).  -E2BIG index out of range, -ENOENT no reader,
 * -EINVAL bad flags, -ENOSPC buffer full (counted as lost). */
/* As map_perf_event_output, with `extra` appended to the sample (the packet bytes that
 * BPF_F_CTXLEN_MASK asks for); flags must already be stripped of the length bits. */
long map_perf_event_output2(struct bpfvm_map *map, uint64_t flags, unsigned slot,
                            const void *data, uint64_t size, const void *extra,
                            uint64_t extra_size);
long map_perf_event_output(struct bpfvm_map *map, uint64_t flags, unsigned slot,
                           const void *data, uint64_t size);

#endif
