/* map.h - BPF maps for the host: create, read, write, iterate, batch, freeze, and the host-side
 * consumers of RINGBUF and PERF_EVENT_ARRAY maps.  Shaped like libbpf's low-level bpf_map_*
 * calls, with a `struct bpfvm_map *` where libbpf has a file descriptor.
 *
 * Every call returns 0 (or a count) or a negative errno with the kernel's meaning:
 * -ENOENT no such element, -EEXIST element exists (BPF_NOEXIST), -E2BIG map full or index out
 * of range, -EINVAL bad flags/sizes, -EPERM forbidden by BPF_F_RDONLY/WRONLY or a freeze,
 * -ENOMEM out of memory, -EOPNOTSUPP where the kernel answers ENOTSUPP (524).
 * All calls are safe while programs run on other threads (see docs/maps.md). */
#ifndef BPFVM_MAP_H
#define BPFVM_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bpfvm_map;

/* Map types: the kernel's BPF_MAP_TYPE_* numbers. */
enum bpfvm_map_type {
    BPFVM_MAP_TYPE_UNSPEC = 0,
    BPFVM_MAP_TYPE_HASH = 1,
    BPFVM_MAP_TYPE_ARRAY = 2,
    BPFVM_MAP_TYPE_PROG_ARRAY = 3,
    BPFVM_MAP_TYPE_PERF_EVENT_ARRAY = 4,
    BPFVM_MAP_TYPE_PERCPU_HASH = 5,
    BPFVM_MAP_TYPE_PERCPU_ARRAY = 6,
    BPFVM_MAP_TYPE_LRU_HASH = 9,
    BPFVM_MAP_TYPE_LRU_PERCPU_HASH = 10,
    BPFVM_MAP_TYPE_LPM_TRIE = 11,
    BPFVM_MAP_TYPE_ARRAY_OF_MAPS = 12,
    BPFVM_MAP_TYPE_HASH_OF_MAPS = 13,
    BPFVM_MAP_TYPE_DEVMAP = 14,
    BPFVM_MAP_TYPE_CPUMAP = 16,
    BPFVM_MAP_TYPE_XSKMAP = 17,
    BPFVM_MAP_TYPE_QUEUE = 22,
    BPFVM_MAP_TYPE_STACK = 23,
    BPFVM_MAP_TYPE_DEVMAP_HASH = 25,
    BPFVM_MAP_TYPE_RINGBUF = 27,
    BPFVM_MAP_TYPE_BLOOM_FILTER = 30,
};

/* Element flags (update: one of ANY/NOEXIST/EXIST, optionally | F_LOCK). */
#define BPFVM_ANY 0ULL
#define BPFVM_NOEXIST 1ULL
#define BPFVM_EXIST 2ULL
#define BPFVM_F_LOCK 4ULL

/* Map flags: the kernel's BPF_F_* values. */
#define BPFVM_F_NO_PREALLOC (1U << 0)
#define BPFVM_F_NO_COMMON_LRU (1U << 1)
#define BPFVM_F_NUMA_NODE (1U << 2)
#define BPFVM_F_RDONLY (1U << 3)      /* host may not update/delete */
#define BPFVM_F_WRONLY (1U << 4)      /* host may not read */
#define BPFVM_F_ZERO_SEED (1U << 6)
#define BPFVM_F_RDONLY_PROG (1U << 7) /* programs may not write */
#define BPFVM_F_WRONLY_PROG (1U << 8) /* programs may not read */
#define BPFVM_F_MMAPABLE (1U << 10)
#define BPFVM_F_PRESERVE_ELEMS (1U << 11)
#define BPFVM_F_INNER_MAP (1U << 12)

/* Ring buffer flags for submit/discard/output, and bpf_ringbuf_query selectors. */
#define BPFVM_RB_NO_WAKEUP (1ULL << 0)
#define BPFVM_RB_FORCE_WAKEUP (1ULL << 1)
#define BPFVM_RB_AVAIL_DATA 0
#define BPFVM_RB_RING_SIZE 1
#define BPFVM_RB_CONS_POS 2
#define BPFVM_RB_PROD_POS 3

/* perf_event_output flags. */
#define BPFVM_F_INDEX_MASK 0xffffffffULL
#define BPFVM_F_CURRENT_CPU BPFVM_F_INDEX_MASK

struct bpfvm_map_create_opts {
    size_t sz;                  /* sizeof(struct bpfvm_map_create_opts), for growth */
    uint32_t map_flags;         /* BPFVM_F_* */
    uint32_t numa_node;         /* accepted with BPFVM_F_NUMA_NODE, otherwise ignored */
    const struct bpfvm_map *inner_map; /* template for ARRAY_OF_MAPS / HASH_OF_MAPS */
    uint32_t nr_slots;          /* worker slots for per-CPU maps; 0 = online CPUs */
    int32_t spin_lock_off;      /* offset of a struct bpf_spin_lock in the value, or -1; 0 is
                                 * taken as "none" unless has_spin_lock is set */
    bool has_spin_lock;
    char *errbuf;               /* optional one-line message on failure */
    size_t errbuf_len;
    /* Pinning (see "Pinning" below): with pin_path set the map is created in shared memory
     * and pinned there.  If the pin exists: pin_reuse reuses it when the definition (type,
     * key/value size, max_entries, flags, spin lock offset, nr_slots when given) matches and
     * fails with -EINVAL and a message naming both definitions when it does not; without
     * pin_reuse an existing pin gives -EEXIST. */
    const char *pin_path;       /* absolute, or relative to bpfvm_pin_dir() */
    bool pin_reuse;
    /* BLOOM_FILTER: the low 4 bits are the number of hash functions (0 = 5); other bits and
     * any nonzero value for other types give -EINVAL, like the kernel's map_extra. */
    uint64_t map_extra;
};

/* Create a map.  `name` may be NULL; it is truncated to 15 characters. */
int bpfvm_map_create(enum bpfvm_map_type type, const char *name, uint32_t key_size,
                     uint32_t value_size, uint32_t max_entries,
                     const struct bpfvm_map_create_opts *opts, struct bpfvm_map **out);

/* Drop the caller's reference (a map held by a map-in-map lives on until released there). */
void bpfvm_map_free(struct bpfvm_map *map);

/* Element operations, like the bpf(2) commands.  For per-CPU maps `value` is nr_slots values,
 * each rounded up to 8 bytes.  QUEUE/STACK: key is NULL; update = push, lookup = peek,
 * lookup_and_delete = pop.  BLOOM_FILTER: key is NULL; update = push (BPFVM_ANY only),
 * lookup = peek, which only reads `value`: 0 when it is probably in the filter, -ENOENT when
 * it is certainly not.  Map-in-map lookups return the inner map's id (u32). */
int bpfvm_map_lookup_elem(struct bpfvm_map *map, const void *key, void *value);
int bpfvm_map_lookup_elem_flags(struct bpfvm_map *map, const void *key, void *value,
                                uint64_t flags);
int bpfvm_map_update_elem(struct bpfvm_map *map, const void *key, const void *value,
                          uint64_t flags);
int bpfvm_map_delete_elem(struct bpfvm_map *map, const void *key);
int bpfvm_map_lookup_and_delete_elem(struct bpfvm_map *map, const void *key, void *value);
int bpfvm_map_lookup_and_delete_elem_flags(struct bpfvm_map *map, const void *key,
                                           void *value, uint64_t flags);
/* key NULL (or not present) gives the first key; -ENOENT after the last. */
int bpfvm_map_get_next_key(struct bpfvm_map *map, const void *key, void *next_key);

/* Store an object in PROG_ARRAY (a struct bpfvm_prog *), ARRAY_OF_MAPS / HASH_OF_MAPS (a
 * struct bpfvm_map *, which must match the inner template).  The map keeps replaced and
 * deleted objects alive until it is itself freed, because a running program may still use
 * them.  lookup_ptr gives the stored pointer (-ENOENT when empty). */
int bpfvm_map_update_ptr(struct bpfvm_map *map, const void *key, void *obj, uint64_t flags);
int bpfvm_map_lookup_ptr(struct bpfvm_map *map, const void *key, void **obj);

/* Freeze: the host may no longer write (-EPERM after); programs still may unless
 * BPFVM_F_RDONLY_PROG.  A second freeze gives -EPERM, like the kernel. */
int bpfvm_map_freeze(struct bpfvm_map *map);
bool bpfvm_map_is_frozen(const struct bpfvm_map *map);

/* Batch operations, like libbpf's bpf_map_*_batch.  `in_batch` NULL starts from the
 * beginning; `out_batch` receives the position to pass as in_batch next time (tokens are
 * opaque 64-bit values).  *count is in: room in keys/values, out: elements processed.
 * -ENOENT (with *count possibly > 0) when the end was reached; -ENOSPC when a hash bucket
 * does not fit in *count. */
struct bpfvm_map_batch_opts {
    size_t sz;
    uint64_t elem_flags;
    uint64_t flags;
};
int bpfvm_map_lookup_batch(struct bpfvm_map *map, const uint64_t *in_batch,
                           uint64_t *out_batch, void *keys, void *values, uint32_t *count,
                           const struct bpfvm_map_batch_opts *opts);
int bpfvm_map_lookup_and_delete_batch(struct bpfvm_map *map, const uint64_t *in_batch,
                                      uint64_t *out_batch, void *keys, void *values,
                                      uint32_t *count, const struct bpfvm_map_batch_opts *opts);
int bpfvm_map_update_batch(struct bpfvm_map *map, const void *keys, const void *values,
                           uint32_t *count, const struct bpfvm_map_batch_opts *opts);
int bpfvm_map_delete_batch(struct bpfvm_map *map, const void *keys, uint32_t *count,
                           const struct bpfvm_map_batch_opts *opts);

/* Accessors. */
enum bpfvm_map_type bpfvm_map_type(const struct bpfvm_map *map);
const char *bpfvm_map_name(const struct bpfvm_map *map);
uint32_t bpfvm_map_key_size(const struct bpfvm_map *map);
uint32_t bpfvm_map_value_size(const struct bpfvm_map *map);
uint32_t bpfvm_map_max_entries(const struct bpfvm_map *map);
uint32_t bpfvm_map_flags(const struct bpfvm_map *map);
uint32_t bpfvm_map_id(const struct bpfvm_map *map);
uint32_t bpfvm_map_nr_slots(const struct bpfvm_map *map);
/* Bytes a host lookup writes: value_size, or nr_slots * round_up(value_size, 8) per-CPU. */
size_t bpfvm_map_value_buf_size(const struct bpfvm_map *map);
const char *bpfvm_map_type_name(enum bpfvm_map_type type);

/* RINGBUF consumer (single consumer; calls are serialised).  The callback returns 0 to go on
 * or a negative value to stop (that value is returned).  consume returns the number of
 * records handed over; poll waits up to timeout_ms (-1 = forever) for the first one. */
typedef int (*bpfvm_ringbuf_sample_fn)(void *ctx, void *data, size_t size);
int bpfvm_ringbuf_consume(struct bpfvm_map *map, bpfvm_ringbuf_sample_fn fn, void *ctx);
int bpfvm_ringbuf_poll(struct bpfvm_map *map, int timeout_ms, bpfvm_ringbuf_sample_fn fn,
                       void *ctx);
/* Bytes written but not yet consumed. */
uint64_t bpfvm_ringbuf_avail_data(struct bpfvm_map *map);

/* PERF_EVENT_ARRAY reader, like libbpf's perf_buffer: opens a buffer of page_cnt pages (a
 * power of 2) at every index of the map.  Samples arrive with the kernel's padded size
 * (size + 4 a multiple of 8).  One reader per map at a time. */
struct bpfvm_perf_buffer;
typedef void (*bpfvm_perf_sample_fn)(void *ctx, int cpu, void *data, uint32_t size);
typedef void (*bpfvm_perf_lost_fn)(void *ctx, int cpu, uint64_t cnt);
int bpfvm_perf_buffer_new(struct bpfvm_map *map, size_t page_cnt, bpfvm_perf_sample_fn sample,
                          bpfvm_perf_lost_fn lost, void *ctx, struct bpfvm_perf_buffer **out);
int bpfvm_perf_buffer_consume(struct bpfvm_perf_buffer *pb);
int bpfvm_perf_buffer_poll(struct bpfvm_perf_buffer *pb, int timeout_ms);
void bpfvm_perf_buffer_free(struct bpfvm_perf_buffer *pb);

/* ---- Pinning: maps shared between processes ----
 * A pinned map lives in one file under the pin directory (bpfvm_pin_dir()), mapped at the
 * same virtual address in every process that opens it, so another process sees and changes
 * the same live map (host API and programs alike).  A pin outlives its creator (also a killed
 * one) until bpfvm_map_unpin; unpinning removes the name, the memory lives on while processes
 * have the map open.  Pinnable: ARRAY, PERCPU_ARRAY, HASH, PERCPU_HASH, LRU_HASH,
 * LRU_PERCPU_HASH, LPM_TRIE, QUEUE, STACK, BLOOM_FILTER.  Maps holding process-local objects (PROG_ARRAY,
 * *_OF_MAPS, PERF_EVENT_ARRAY) and RINGBUF give -EOPNOTSUPP. */

/* The pin directory: $BPFVM_PIN_DIR if set, else /dev/shm/bpfvm. */
const char *bpfvm_pin_dir(void);
/* Absolute path of a pin name: names not starting with '/' go under bpfvm_pin_dir().
 * -EINVAL for an empty name or one with a ".." component, -ENAMETOOLONG if it does not fit. */
int bpfvm_pin_resolve(const char *path, char *out, size_t len);

/* Pinning kinds of object files.  iproute2's legacy maps: PIN_OBJECT_NS (1) and PIN_GLOBAL_NS
 * (2); libbpf's BTF maps: LIBBPF_PIN_BY_NAME (also 1 in libbpf, so it has its own value
 * here: the loader knows which convention the object uses). */
enum bpfvm_pin_kind {
    BPFVM_PIN_NONE = 0,
    BPFVM_PIN_OBJECT_NS = 1,    /* <pindir>/tc/<obj_id>/<name> */
    BPFVM_PIN_GLOBAL_NS = 2,    /* <pindir>/tc/globals/<name> */
    BPFVM_PIN_BY_NAME = 3,      /* <pindir>/<name> (libbpf: /sys/fs/bpf/<name>) */
};
/* Pin path for a map of an object file: obj_id is used for PIN_OBJECT_NS only (iproute2
 * uses the SHA-1 of the object file).  -EINVAL for BPFVM_PIN_NONE, unknown kinds and names
 * with '/' or "..". */
int bpfvm_pin_path_for(int pinning_kind, const char *obj_id, const char *name, char *out,
                       size_t len);

/* Open a pinned map; the result works with the whole API and in programs; free it with
 * bpfvm_map_free (which unmaps when the process's last reference goes).  Opening the same
 * pin twice in a process gives the same map.  -ENOENT no such pin, -EINVAL not a bpfvm pin
 * or one made by an incompatible build, -EBUSY its address range is taken in this process. */
int bpfvm_map_open_pinned(const char *path, struct bpfvm_map **out);
int bpfvm_map_open_pinned_msg(const char *path, struct bpfvm_map **out, char *errbuf,
                              size_t errbuf_len);
/* Remove a pin (the name); -ENOENT if none, -EINVAL if the file is not a bpfvm pin. */
int bpfvm_map_unpin(const char *path);
/* The absolute pin path the map was created or opened with, or NULL for unpinned maps. */
const char *bpfvm_map_pin_path(const struct bpfvm_map *map);

/* What a pin holds, read from its header without mapping it. */
struct bpfvm_pin_info {
    enum bpfvm_map_type type;
    uint32_t key_size, value_size, max_entries, map_flags, nr_slots, id;
    int32_t spin_lock_off;
    char name[16];
    uint64_t bytes;             /* size of the shared file (sparse: untouched pages are free) */
    uint64_t addr;              /* the fixed address it maps at */
    int32_t creator_pid;
    bool frozen;
};
int bpfvm_pin_info(const char *path, struct bpfvm_pin_info *info);

#ifdef __cplusplus
}
#endif
#endif
