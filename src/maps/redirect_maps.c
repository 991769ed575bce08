/* maps/redirect_maps.c - the XDP redirect targets: DEVMAP and DEVMAP_HASH (struct
 * bpf_devmap_val: ifindex, program fd), CPUMAP (struct bpf_cpumap_val: queue size, program
 * fd) and XSKMAP (AF_XDP socket fds), with the host-side checks of Linux 6.18 (docs/maps.md).
 * bpfvm only records the targets: bpf_redirect_map looks them up and returns XDP_REDIRECT, as
 * a kernel test run does.  Devices are checked against the host's interfaces; program fds in
 * the values and AF_XDP sockets are not supported (the kernel's errors for unusable ones). */
#define _GNU_SOURCE
#include "maps/map.h"

#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif

#define REDIR_CPU_QSIZE_MAX 16384u  /* the kernel's sanity limit on a CPUMAP queue */
#define REDIR_NR_CPUS_DEFAULT 8192u /* NR_CPUS of common distribution kernels */

/* DEVMAP, CPUMAP, XSKMAP: one {u32, u32} slot per index; slot[0] != 0 marks an entry
 * (ifindex / qsize; the kernel treats 0 as "no entry").  Programs get &slots[i]. */
struct redir_array {
    struct bpfvm_map map;
    map_lock_t lock;
    uint32_t nr_cpu_ids;             /* CPUMAP: keys must be possible CPUs */
    _Atomic uint32_t (*slots)[2];
};

/* DEVMAP_HASH: chained buckets (key & (n_buckets - 1), newest first, like the kernel's
 * walk order).  Elements are never freed while the map lives: deleted ones are reused. */
struct redir_elem {
    _Atomic(struct redir_elem *) next;
    _Atomic uint32_t key;
    _Atomic uint32_t val[2];
};
struct redir_hash {
    struct bpfvm_map map;
    map_lock_t lock;
    uint32_t n_buckets, items;
    _Atomic(struct redir_elem *) *buckets;
    struct redir_elem *free_list;    /* linked through next */
    struct redir_elem **chunks;      /* every allocation, for free */
    size_t nchunks;
};

/* ---------------------------------------------------------------- create */

/* Highest possible CPU + 1 (the kernel's nr_cpu_ids), from /sys like libbpf does. */
static uint32_t redir_possible_cpus(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
    char buf[256];
    uint32_t max = 0;
    bool any = false;
    if (f) {
        if (fgets(buf, sizeof(buf), f)) {
            for (char *p = buf; *p;) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);
                if (end == p)
                    break;
                any = true;
                if (v + 1 > max)
                    max = (uint32_t)v + 1;
                p = end;
                while (*p == '-' || *p == ',' || *p == '\n')
                    p++;
            }
        }
        fclose(f);
    }
    if (!any) {
        long n = sysconf(_SC_NPROCESSORS_CONF);
        max = n < 1 ? 1 : (uint32_t)n;
    }
    return max;
}

/* The kernel's NR_CPUS (CPUMAP max_entries limit): kernel_max + 1 when /sys says. */
static uint32_t redir_nr_cpus(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/kernel_max", "r");
    unsigned v = 0;
    bool ok = f && fscanf(f, "%u", &v) == 1;
    if (f)
        fclose(f);
    return ok && v < (1u << 20) ? v + 1 : REDIR_NR_CPUS_DEFAULT;
}

static int redir_check(const struct map_attr *a)
{
    const char *n = map_ops_for(a->type)->name;
    uint32_t allowed = BPFVM_F_NUMA_NODE | BPFVM_F_RDONLY | BPFVM_F_WRONLY;
    bool vs_ok = a->value_size == 4 || a->value_size == 8;
    if (a->type == BPFVM_MAP_TYPE_CPUMAP)
        allowed = BPFVM_F_NUMA_NODE;
    if (a->type == BPFVM_MAP_TYPE_XSKMAP)
        vs_ok = a->value_size == 4;
    if (a->map_flags & ~allowed)
        return map_err(a, -EINVAL, "map create %s: flags 0x%x not allowed (only 0x%x)", n,
                       a->map_flags, allowed);
    if (a->key_size != 4 || !vs_ok || !a->max_entries)
        return map_err(a, -EINVAL, "map create %s: key_size must be 4, value_size %s, "
                       "max_entries > 0 (got %u, %u, %u)", n,
                       a->type == BPFVM_MAP_TYPE_XSKMAP ? "4" : "4 or 8", a->key_size,
                       a->value_size, a->max_entries);
    if (a->type == BPFVM_MAP_TYPE_CPUMAP && a->max_entries > redir_nr_cpus())
        return map_err(a, -E2BIG, "map create cpumap: max_entries %u > NR_CPUS %u",
                       a->max_entries, redir_nr_cpus());
    if (a->type == BPFVM_MAP_TYPE_DEVMAP_HASH && a->max_entries > (1u << 31))
        return map_err(a, -EINVAL, "map create devmap_hash: max_entries %u > 2^31",
                       a->max_entries);
    return 0;
}

static int redir_array_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct redir_array *ra = calloc(1, sizeof(*ra));
    if (!ra)
        return -ENOMEM;
    ra->slots = calloc(a->max_entries, sizeof(*ra->slots));
    if (!ra->slots) {
        free(ra);
        return -ENOMEM;
    }
    map_init_common(&ra->map, a, map_ops_for(a->type));
    /* programs may not write what lookups give: the kernel sets BPF_F_RDONLY_PROG on
     * devmaps and types XSKMAP lookups as a read-only struct bpf_xdp_sock */
    if (a->type == BPFVM_MAP_TYPE_DEVMAP || a->type == BPFVM_MAP_TYPE_XSKMAP)
        ra->map.map_flags |= BPFVM_F_RDONLY_PROG;
    ra->nr_cpu_ids = a->type == BPFVM_MAP_TYPE_CPUMAP ? redir_possible_cpus() : 0;
    *out = &ra->map;
    return 0;
}

static void redir_array_free(struct bpfvm_map *map)
{
    struct redir_array *ra = (struct redir_array *)map;
    free(ra->slots);
    free(ra);
}

static int redir_hash_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct redir_hash *rh = calloc(1, sizeof(*rh));
    if (!rh)
        return -ENOMEM;
    uint32_t n = 1;
    while (n < a->max_entries)
        n <<= 1;
    rh->n_buckets = n;
    rh->buckets = calloc(n, sizeof(*rh->buckets));
    if (!rh->buckets) {
        free(rh);
        return -ENOMEM;
    }
    map_init_common(&rh->map, a, &map_devmap_hash_ops);
    rh->map.map_flags |= BPFVM_F_RDONLY_PROG;
    *out = &rh->map;
    return 0;
}

static void redir_hash_free(struct bpfvm_map *map)
{
    struct redir_hash *rh = (struct redir_hash *)map;
    for (size_t i = 0; i < rh->nchunks; i++)
        free(rh->chunks[i]);
    free(rh->chunks);
    free(rh->buckets);
    free(rh);
}

/* ---------------------------------------------------------------- values */

/* A struct bpf_devmap_val from the host: 0 (ifindex 0 = no entry), or -EINVAL for an
 * interface the host does not have, a program fd with ifindex 0, or any program fd (bpfvm
 * has no program fds; the kernel answers -EINVAL for one that is not a devmap program). */
static int redir_dev_value(const struct bpfvm_map *map, const void *value, uint32_t val[2])
{
    int32_t fd = 0;
    memcpy(&val[0], value, 4);
    if (map->value_size == 8)
        memcpy(&fd, (const char *)value + 4, 4);
    val[1] = 0;
    if (fd > 0)
        return -EINVAL;
    if (!val[0])
        return 0;
    char name[IF_NAMESIZE];
    return if_indextoname(val[0], name) ? 0 : -EINVAL;
}

/* Index of an array-type key for updates: -EINVAL bad flags, -E2BIG past the end, -EEXIST
 * for NOEXIST (every index exists, as in the kernel). */
static int redir_array_index(const struct bpfvm_map *map, const void *key, uint64_t flags,
                             uint32_t *idx)
{
    memcpy(idx, key, 4);
    if (flags > BPFVM_EXIST)
        return -EINVAL;
    if (*idx >= map->max_entries)
        return -E2BIG;
    return flags == BPFVM_NOEXIST ? -EEXIST : 0;
}

static void redir_array_store(struct redir_array *ra, uint32_t idx, const uint32_t val[2])
{
    map_lock(&ra->lock);
    atomic_store_explicit(&ra->slots[idx][0], 0, memory_order_release);
    atomic_store_explicit(&ra->slots[idx][1], val[1], memory_order_relaxed);
    atomic_store_explicit(&ra->slots[idx][0], val[0], memory_order_release);
    map_unlock(&ra->lock);
}

/* ---------------------------------------------------------------- arrays */

static void *redir_array_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    (void)slot;
    struct redir_array *ra = (struct redir_array *)map;
    uint32_t idx;
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries || !atomic_load_explicit(&ra->slots[idx][0], memory_order_acquire))
        return NULL;
    return (void *)ra->slots[idx];
}

static long redir_array_delete(struct bpfvm_map *map, const void *key)
{
    uint32_t idx, none[2] = {0, 0};
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries)
        return -EINVAL;
    if (map->type != BPFVM_MAP_TYPE_XSKMAP)
        redir_array_store((struct redir_array *)map, idx, none);
    return 0;
}

static long devmap_update(struct bpfvm_map *map, const void *key, const void *value,
                          uint64_t flags, unsigned slot)
{
    (void)slot;
    uint32_t idx, val[2];
    int err = redir_array_index(map, key, flags, &idx);
    if (!err)
        err = redir_dev_value(map, value, val);
    if (!err)
        redir_array_store((struct redir_array *)map, idx, val);
    return err;
}

/* struct bpf_cpumap_val: qsize 0 deletes; > 16384 -EOVERFLOW; the key must be a possible
 * CPU (-ENODEV, also for qsize 0); a program fd gives -ENOMEM (the kernel's answer when the
 * entry cannot be set up; bpfvm has no program fds). */
static long cpumap_update(struct bpfvm_map *map, const void *key, const void *value,
                          uint64_t flags, unsigned slot)
{
    (void)slot;
    struct redir_array *ra = (struct redir_array *)map;
    uint32_t idx, val[2] = {0, 0};
    int32_t fd = 0;
    int err = redir_array_index(map, key, flags, &idx);
    if (err)
        return err;
    memcpy(&val[0], value, 4);
    if (map->value_size == 8)
        memcpy(&fd, (const char *)value + 4, 4);
    if (val[0] > REDIR_CPU_QSIZE_MAX)
        return -EOVERFLOW;
    if (idx >= ra->nr_cpu_ids)
        return -ENODEV;
    if (val[0] && fd > 0)
        return -ENOMEM;
    redir_array_store(ra, idx, val);
    return 0;
}

/* An AF_XDP socket fd: -EBADF not an fd, -ENOTSOCK not a socket, -EOPNOTSUPP another family
 * (and AF_XDP too: bpfvm has no AF_XDP, so XSKMAP entries can never be set). */
static long xskmap_update(struct bpfvm_map *map, const void *key, const void *value,
                          uint64_t flags, unsigned slot)
{
    (void)slot;
    uint32_t idx;
    int32_t fd;
    if (flags > BPFVM_EXIST)
        return -EINVAL;
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries)
        return -E2BIG;
    memcpy(&fd, value, 4);
    struct stat st;
    if (fd < 0 || fstat(fd, &st))
        return -EBADF;
    if (!S_ISSOCK(st.st_mode))
        return -ENOTSOCK;
    return -EOPNOTSUPP;
}

static void *xskmap_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    (void)map, (void)key, (void)slot;
    return NULL;
}

/* Host lookups of an XSKMAP: -EOPNOTSUPP for every key (the kernel's lookup_elem_sys). */
static int xskmap_sys_lookup(struct bpfvm_map *map, const void *key, void *value,
                             uint64_t flags)
{
    (void)key, (void)value;
    int err = map_check_lookup_flags(map, flags);
    return err ? err : -EOPNOTSUPP;
}

/* ---------------------------------------------------------------- DEVMAP_HASH */

static struct redir_elem *redir_hash_find(struct redir_hash *rh, uint32_t key)
{
    struct redir_elem *e = atomic_load_explicit(&rh->buckets[key & (rh->n_buckets - 1)],
                                                memory_order_acquire);
    for (; e; e = atomic_load_explicit(&e->next, memory_order_acquire))
        if (atomic_load_explicit(&e->key, memory_order_relaxed) == key)
            return e;
    return NULL;
}

static void *redir_hash_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    (void)slot;
    uint32_t k;
    memcpy(&k, key, 4);
    struct redir_elem *e = redir_hash_find((struct redir_hash *)map, k);
    return e ? (void *)e->val : NULL;
}

/* Unlink e from its bucket (lock held). */
static void redir_hash_unlink(struct redir_hash *rh, struct redir_elem *e, uint32_t key)
{
    _Atomic(struct redir_elem *) *pp = &rh->buckets[key & (rh->n_buckets - 1)];
    for (struct redir_elem *c; (c = atomic_load(pp)); pp = &c->next) {
        if (c == e) {
            atomic_store_explicit(pp, atomic_load(&e->next), memory_order_release);
            return;
        }
    }
}

static struct redir_elem *redir_hash_new_elem(struct redir_hash *rh)
{
    if (!rh->free_list) {
        size_t n = rh->nchunks ? 64 : 8;
        struct redir_elem *chunk = calloc(n, sizeof(*chunk));
        struct redir_elem **chunks = realloc(rh->chunks, (rh->nchunks + 1) * sizeof(*chunks));
        if (!chunk || !chunks) {
            free(chunk);
            if (chunks)
                rh->chunks = chunks;
            return NULL;
        }
        rh->chunks = chunks;
        rh->chunks[rh->nchunks++] = chunk;
        for (size_t i = 0; i < n; i++) {
            atomic_init(&chunk[i].next, rh->free_list);
            rh->free_list = &chunk[i];
        }
    }
    struct redir_elem *e = rh->free_list;
    rh->free_list = atomic_load(&e->next);
    return e;
}

/* Order of the kernel: flags, NOEXIST on an existing key, the value (ifindex 0 is -EINVAL
 * here), then -E2BIG for a new key in a full map.  A replaced key moves to its bucket's
 * head (new element linked first, then the old one unlinked). */
static long redir_hash_update(struct bpfvm_map *map, const void *key, const void *value,
                              uint64_t flags, unsigned slot)
{
    (void)slot;
    struct redir_hash *rh = (struct redir_hash *)map;
    uint32_t k, val[2];
    if (flags > BPFVM_EXIST)
        return -EINVAL;
    memcpy(&k, key, 4);
    long err = 0;
    map_lock(&rh->lock);
    struct redir_elem *old = redir_hash_find(rh, k), *e;
    if (old && flags == BPFVM_NOEXIST) {
        err = -EEXIST;
        goto out;
    }
    err = redir_dev_value(map, value, val);
    if (!err && !val[0])
        err = -EINVAL;
    if (err)
        goto out;
    if (!old && rh->items >= map->max_entries) {
        err = -E2BIG;
        goto out;
    }
    if (!(e = redir_hash_new_elem(rh))) {
        err = -ENOMEM;
        goto out;
    }
    atomic_store(&e->key, k);
    atomic_store(&e->val[0], val[0]);
    atomic_store(&e->val[1], val[1]);
    _Atomic(struct redir_elem *) *head = &rh->buckets[k & (rh->n_buckets - 1)];
    atomic_store(&e->next, atomic_load(head));
    atomic_store_explicit(head, e, memory_order_release);
    if (old) {
        redir_hash_unlink(rh, old, k);
        atomic_store(&old->next, rh->free_list);
        rh->free_list = old;
    } else {
        rh->items++;
    }
out:
    map_unlock(&rh->lock);
    return err;
}

static long redir_hash_delete(struct bpfvm_map *map, const void *key)
{
    struct redir_hash *rh = (struct redir_hash *)map;
    uint32_t k;
    memcpy(&k, key, 4);
    long err = -ENOENT;
    map_lock(&rh->lock);
    struct redir_elem *e = redir_hash_find(rh, k);
    if (e) {
        redir_hash_unlink(rh, e, k);
        /* reused by a later insert: a reader still on it may then miss a key or see a
         * stale value, never unmapped memory */
        atomic_store(&e->next, rh->free_list);
        rh->free_list = e;
        rh->items--;
        err = 0;
    }
    map_unlock(&rh->lock);
    return err;
}

/* The kernel's walk: after `key` in its chain, else the first element of the following
 * buckets; a missing (or NULL) key starts from bucket 0. */
static int redir_hash_get_next_key(struct bpfvm_map *map, const void *key, void *next_key)
{
    struct redir_hash *rh = (struct redir_hash *)map;
    uint32_t b = 0, k;
    int err = -ENOENT;
    map_lock(&rh->lock);
    struct redir_elem *e = NULL;
    if (key) {
        memcpy(&k, key, 4);
        e = redir_hash_find(rh, k);
    }
    if (e) {
        struct redir_elem *n = atomic_load(&e->next);
        if (n) {
            uint32_t nk = atomic_load(&n->key);
            memcpy(next_key, &nk, 4);
            err = 0;
            goto out;
        }
        b = (k & (rh->n_buckets - 1)) + 1;
    }
    for (; b < rh->n_buckets; b++) {
        struct redir_elem *f = atomic_load(&rh->buckets[b]);
        if (f) {
            uint32_t nk = atomic_load(&f->key);
            memcpy(next_key, &nk, 4);
            err = 0;
            break;
        }
    }
out:
    map_unlock(&rh->lock);
    return err;
}

/* ---------------------------------------------------------------- ops */

#define REDIR_ARRAY_OPS(NAME, LOOKUP, UPDATE)                                                  \
    {                                                                                          \
        .name = NAME, .lookup_may_be_null = true, .has_keys = true, .check = redir_check,     \
        .alloc = redir_array_alloc, .free = redir_array_free, .lookup = LOOKUP,               \
        .update = UPDATE, .delete = redir_array_delete,                                       \
        .get_next_key = map_array_get_next_key,                                               \
    }

const struct map_ops map_devmap_ops = REDIR_ARRAY_OPS("devmap", redir_array_lookup, devmap_update);
const struct map_ops map_cpumap_ops = REDIR_ARRAY_OPS("cpumap", redir_array_lookup, cpumap_update);
const struct map_ops map_xskmap_ops = {
    .name = "xskmap", .lookup_may_be_null = true, .has_keys = true, .check = redir_check,
    .alloc = redir_array_alloc, .free = redir_array_free, .lookup = xskmap_lookup,
    .update = xskmap_update, .delete = redir_array_delete,
    .get_next_key = map_array_get_next_key, .sys_lookup = xskmap_sys_lookup,
};
const struct map_ops map_devmap_hash_ops = {
    .name = "devmap_hash", .lookup_may_be_null = true, .has_keys = true, .check = redir_check,
    .alloc = redir_hash_alloc, .free = redir_hash_free, .lookup = redir_hash_lookup,
    .update = redir_hash_update, .delete = redir_hash_delete,
    .get_next_key = redir_hash_get_next_key,
};
