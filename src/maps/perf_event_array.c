/* maps/perf_event_array.c - BPF_MAP_TYPE_PERF_EVENT_ARRAY: where the kernel keeps perf
 * event fds, bpfvm keeps one byte ring per index (per worker slot with BPF_F_CURRENT_CPU).
 * The host attaches rings with bpfvm_perf_buffer_new and reads samples through callbacks,
 * like libbpf's perf_buffer.  A full ring drops the sample (-ENOSPC) and counts it lost.
 * Rings are freed only with the map, so a producer racing a reader's close stays safe. */
#include "maps/map.h"
#include "maps/waitq.h"

#include <stdlib.h>

struct perf_ring {
    map_lock_t lock;
    uint64_t size; /* power of 2 */
    _Atomic uint64_t head, tail;
    atomic_uint_fast64_t lost;
    struct perf_ring *all_next;
    char *buf;
};

struct perf_array {
    struct bpfvm_map map;
    _Atomic(struct perf_ring *) *rings;
    struct perf_ring *all;  /* every ring ever attached (free at map free) */
    map_lock_t reader_lock;
    struct bpfvm_perf_buffer *reader;
    struct map_waitq wq;
};

struct bpfvm_perf_buffer {
    struct perf_array *pa;
    bpfvm_perf_sample_fn sample;
    bpfvm_perf_lost_fn lost;
    void *ctx;
    char *tmp;
    size_t tmp_size;
};

static int pea_check(const struct map_attr *a)
{
    uint32_t allowed = BPFVM_F_NUMA_NODE | BPFVM_F_RDONLY | BPFVM_F_WRONLY |
                       BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG | BPFVM_F_PRESERVE_ELEMS;
    if (a->map_flags & ~allowed)
        return map_err(a, -EINVAL, "map create perf_event_array: flags 0x%x not allowed",
                       a->map_flags);
    if (a->key_size != 4 || a->value_size != 4 || !a->max_entries)
        return map_err(a, -EINVAL, "map create perf_event_array: key_size and value_size "
                       "must be 4, max_entries > 0");
    return 0;
}

static int pea_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct perf_array *pa = calloc(1, sizeof(*pa));
    if (!pa)
        return -ENOMEM;
    pa->rings = calloc(a->max_entries, sizeof(*pa->rings));
    if (!pa->rings) {
        free(pa);
        return -ENOMEM;
    }
    map_waitq_init(&pa->wq);
    map_init_common(&pa->map, a, &map_perf_event_array_ops);
    *out = &pa->map;
    return 0;
}

static void pea_free(struct bpfvm_map *map)
{
    struct perf_array *pa = (struct perf_array *)map;
    while (pa->all) {
        struct perf_ring *r = pa->all;
        pa->all = r->all_next;
        free(r->buf);
        free(r);
    }
    if (pa->reader)
        pa->reader->pa = NULL;
    map_waitq_destroy(&pa->wq);
    free(pa->rings);
    free(pa);
}

static void ring_write(struct perf_ring *r, uint64_t pos, const void *src, size_t n)
{
    size_t off = pos & (r->size - 1), first = r->size - off < n ? r->size - off : n;
    memcpy(r->buf + off, src, first);
    memcpy(r->buf, (const char *)src + first, n - first);
}

static void ring_read(struct perf_ring *r, uint64_t pos, void *dst, size_t n)
{
    size_t off = pos & (r->size - 1), first = r->size - off < n ? r->size - off : n;
    memcpy(dst, r->buf + off, first);
    memcpy((char *)dst + first, r->buf, n - first);
}

long map_perf_event_output(struct bpfvm_map *map, uint64_t flags, unsigned slot,
                           const void *data, uint64_t size)
{
    return map_perf_event_output2(map, flags, slot, data, size, NULL, 0);
}

long map_perf_event_output2(struct bpfvm_map *map, uint64_t flags, unsigned slot,
                            const void *data, uint64_t size, const void *extra, uint64_t extra_size)
{
    struct perf_array *pa = (struct perf_array *)map;
    if (map->type != BPFVM_MAP_TYPE_PERF_EVENT_ARRAY || (flags & ~BPFVM_F_INDEX_MASK))
        return -EINVAL;
    uint64_t first = size;
    size += extra_size;
    uint64_t idx = flags & BPFVM_F_INDEX_MASK;
    if (idx == BPFVM_F_CURRENT_CPU)
        idx = slot;
    if (idx >= map->max_entries)
        return -E2BIG;
    struct perf_ring *r = atomic_load_explicit(&pa->rings[idx], memory_order_acquire);
    if (!r)
        return -ENOENT;
    /* the kernel pads raw samples so that size + 4 is a multiple of 8 */
    uint64_t raw = ((size + 4 + 7) & ~7ull) - 4;
    uint64_t rec = 8 + ((raw + 7) & ~7ull);
    if (raw > UINT16_MAX || rec > r->size) {
        atomic_fetch_add(&r->lost, 1);
        return -ENOSPC;
    }
    map_lock(&r->lock);
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (head + rec - tail > r->size) {
        map_unlock(&r->lock);
        atomic_fetch_add(&r->lost, 1);
        return -ENOSPC;
    }
    uint32_t hdr[2] = {(uint32_t)rec, (uint32_t)raw};
    static const char zeros[16];
    ring_write(r, head, hdr, 8);
    ring_write(r, head + 8, data, first);
    if (extra_size)
        ring_write(r, head + 8 + first, extra, extra_size);
    ring_write(r, head + 8 + size, zeros, rec - 8 - size);
    atomic_store_explicit(&r->head, head + rec, memory_order_release);
    map_unlock(&r->lock);
    map_waitq_wake(&pa->wq);
    return 0;
}

/* ---------------------------------------------------------------- reader */

int bpfvm_perf_buffer_new(struct bpfvm_map *map, size_t page_cnt, bpfvm_perf_sample_fn sample,
                          bpfvm_perf_lost_fn lost, void *ctx, struct bpfvm_perf_buffer **out)
{
    if (!map || map->type != BPFVM_MAP_TYPE_PERF_EVENT_ARRAY || !sample || !out || !page_cnt ||
        (page_cnt & (page_cnt - 1)) || page_cnt > (1u << 20))
        return -EINVAL;
    struct perf_array *pa = (struct perf_array *)map;
    struct bpfvm_perf_buffer *pb = calloc(1, sizeof(*pb));
    if (!pb)
        return -ENOMEM;
    size_t size = page_cnt * MAP_PAGE_SIZE;
    pb->tmp = malloc(size);
    if (!pb->tmp) {
        free(pb);
        return -ENOMEM;
    }
    pb->tmp_size = size;
    pb->pa = pa;
    pb->sample = sample;
    pb->lost = lost;
    pb->ctx = ctx;
    map_lock(&pa->reader_lock);
    if (pa->reader) {
        map_unlock(&pa->reader_lock);
        free(pb->tmp);
        free(pb);
        return -EBUSY;
    }
    for (uint32_t i = 0; i < map->max_entries; i++) {
        struct perf_ring *r = calloc(1, sizeof(*r));
        char *buf = r ? malloc(size) : NULL;
        if (!buf) {
            free(r);
            for (uint32_t j = 0; j < i; j++)
                atomic_store(&pa->rings[j], NULL); /* rings stay on pa->all until map free */
            map_unlock(&pa->reader_lock);
            free(pb->tmp);
            free(pb);
            return -ENOMEM;
        }
        r->buf = buf;
        r->size = size;
        r->all_next = pa->all;
        pa->all = r;
        atomic_store_explicit(&pa->rings[i], r, memory_order_release);
    }
    pa->reader = pb;
    map_unlock(&pa->reader_lock);
    map_get(map); /* the reader keeps the map (and its rings) alive */
    *out = pb;
    return 0;
}

int bpfvm_perf_buffer_consume(struct bpfvm_perf_buffer *pb)
{
    if (!pb || !pb->pa)
        return -EINVAL;
    struct perf_array *pa = pb->pa;
    int cnt = 0;
    for (uint32_t i = 0; i < pa->map.max_entries; i++) {
        struct perf_ring *r = atomic_load_explicit(&pa->rings[i], memory_order_acquire);
        if (!r)
            continue;
        uint64_t lost = atomic_exchange(&r->lost, 0);
        if (lost && pb->lost)
            pb->lost(pb->ctx, (int)i, lost);
        uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        while (tail < head) {
            uint32_t hdr[2];
            ring_read(r, tail, hdr, 8);
            size_t off = (tail + 8) & (r->size - 1);
            void *p;
            if (off + hdr[1] <= r->size) {
                p = r->buf + off;
            } else {
                ring_read(r, tail + 8, pb->tmp, hdr[1]);
                p = pb->tmp;
            }
            pb->sample(pb->ctx, (int)i, p, hdr[1]);
            cnt++;
            tail += hdr[0];
            atomic_store_explicit(&r->tail, tail, memory_order_release);
        }
    }
    return cnt;
}

static bool pea_ready(void *arg)
{
    struct perf_array *pa = arg;
    for (uint32_t i = 0; i < pa->map.max_entries; i++) {
        struct perf_ring *r = atomic_load_explicit(&pa->rings[i], memory_order_acquire);
        if (r && (atomic_load(&r->head) != atomic_load(&r->tail) || atomic_load(&r->lost)))
            return true;
    }
    return false;
}

int bpfvm_perf_buffer_poll(struct bpfvm_perf_buffer *pb, int timeout_ms)
{
    if (!pb || !pb->pa)
        return -EINVAL;
    struct perf_array *pa = pb->pa;
    int n = bpfvm_perf_buffer_consume(pb);
    if (n != 0 || timeout_ms == 0)
        return n;
    map_waitq_wait(&pa->wq, timeout_ms, pea_ready, pa);
    return bpfvm_perf_buffer_consume(pb);
}

void bpfvm_perf_buffer_free(struct bpfvm_perf_buffer *pb)
{
    if (!pb)
        return;
    struct perf_array *pa = pb->pa;
    if (pa) {
        map_lock(&pa->reader_lock);
        for (uint32_t i = 0; i < pa->map.max_entries; i++)
            atomic_store(&pa->rings[i], NULL);
        pa->reader = NULL;
        map_unlock(&pa->reader_lock);
        map_put(&pa->map);
    }
    free(pb->tmp);
    free(pb);
}

/* ---------------------------------------------------------------- map ops */

static void *pea_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct perf_array *pa = (struct perf_array *)map;
    uint32_t idx;
    memcpy(&idx, key, 4);
    return idx < map->max_entries ? atomic_load(&pa->rings[idx]) : NULL;
}

static int pea_sys_lookup(struct bpfvm_map *map, const void *key, void *value, uint64_t flags)
{
    return -EOPNOTSUPP;
}

static long pea_delete(struct bpfvm_map *map, const void *key)
{
    struct perf_array *pa = (struct perf_array *)map;
    uint32_t idx;
    memcpy(&idx, key, 4);
    if (idx >= map->max_entries)
        return -E2BIG;
    return atomic_exchange(&pa->rings[idx], NULL) ? 0 : -ENOENT;
}

const struct map_ops map_perf_event_array_ops = {
    .name = "perf_event_array",
    .has_keys = true,
    .check = pea_check,
    .alloc = pea_alloc,
    .free = pea_free,
    .lookup = pea_lookup,
    .delete = pea_delete,
    .get_next_key = map_array_get_next_key,
    .sys_lookup = pea_sys_lookup,
};
