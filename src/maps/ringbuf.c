/* maps/ringbuf.c - BPF_MAP_TYPE_RINGBUF: a multi-producer, single-consumer byte ring with
 * the kernel's record format (8-byte header: u32 length with BUSY and DISCARD bits, u32
 * page offset back to the ring) and positions.  The data pages are mapped twice in a row,
 * so a record that wraps around is still contiguous for both producer and consumer.
 * Producers reserve under a spinlock and commit by clearing BUSY; the host consumer walks
 * committed records in order (libbpf's ring_buffer__consume/poll contract). */
#define _GNU_SOURCE
#include "maps/map.h"
#include "maps/waitq.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8u

struct rb_hdr {
    _Atomic uint32_t len;
    uint32_t pg_off; /* 4 KiB pages from the mapping start to this header */
};

struct ringbuf {
    struct bpfvm_map map;
    map_lock_t prod_lock;
    uint64_t mask;
    char *base; /* [control page: struct ringbuf *][data][data again] */
    size_t ctrl_size, map_len;
    char *data;
    _Alignas(64) _Atomic uint64_t consumer_pos;
    _Alignas(64) _Atomic uint64_t producer_pos;
    _Alignas(64) struct map_waitq wq;
    pthread_mutex_t consumer_mu;
};

static int rb_check(const struct map_attr *a)
{
    if (a->map_flags & ~BPFVM_F_NUMA_NODE)
        return map_err(a, -EINVAL, "map create ringbuf: flags 0x%x not allowed", a->map_flags);
    if (a->key_size || a->value_size)
        return map_err(a, -EINVAL, "map create ringbuf: key_size and value_size must be 0");
    if (a->max_entries < MAP_PAGE_SIZE || (a->max_entries & (a->max_entries - 1)))
        return map_err(a, -EINVAL, "map create ringbuf: size %u is not a power of 2 and a "
                       "multiple of %u", a->max_entries, MAP_PAGE_SIZE);
    return 0;
}

static void rb_free(struct bpfvm_map *map)
{
    struct ringbuf *rb = (struct ringbuf *)map;
    if (rb->base)
        munmap(rb->base, rb->map_len);
    map_waitq_destroy(&rb->wq);
    pthread_mutex_destroy(&rb->consumer_mu);
    free(rb);
}

static int rb_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct ringbuf *rb = calloc(1, sizeof(*rb));
    if (!rb)
        return -ENOMEM;
    map_waitq_init(&rb->wq);
    pthread_mutex_init(&rb->consumer_mu, NULL);
    map_init_common(&rb->map, a, &map_ringbuf_ops);
    size_t size = a->max_entries;
    long pg = sysconf(_SC_PAGESIZE);
    rb->ctrl_size = pg > (long)MAP_PAGE_SIZE ? (size_t)pg : MAP_PAGE_SIZE;
    rb->map_len = rb->ctrl_size + 2 * size;
    rb->mask = size - 1;
    int fd = memfd_create("bpfvm-ringbuf", MFD_CLOEXEC);
    if (fd < 0)
        goto fail;
    if (ftruncate(fd, (off_t)size) < 0)
        goto fail_fd;
    void *base = mmap(NULL, rb->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        goto fail_fd;
    rb->base = base;
    if (mmap(base, rb->ctrl_size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
        mmap(rb->base + rb->ctrl_size, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             fd, 0) == MAP_FAILED ||
        mmap(rb->base + rb->ctrl_size + size, size, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
        goto fail_fd;
    close(fd);
    rb->data = rb->base + rb->ctrl_size;
    struct ringbuf *self = rb;
    memcpy(rb->base, &self, sizeof(self));
    *out = &rb->map;
    return 0;
fail_fd:
    close(fd);
fail:
    rb_free(&rb->map);
    return -ENOMEM;
}

static struct ringbuf *rb_of_sample(void *sample, struct rb_hdr **hdr_out)
{
    struct rb_hdr *hdr = (struct rb_hdr *)((char *)sample - RB_HDR);
    uintptr_t base = ((uintptr_t)hdr & ~(uintptr_t)(MAP_PAGE_SIZE - 1)) -
                     (uintptr_t)hdr->pg_off * MAP_PAGE_SIZE;
    struct ringbuf *rb;
    memcpy(&rb, (void *)base, sizeof(rb));
    *hdr_out = hdr;
    return rb;
}

void *map_ringbuf_reserve(struct bpfvm_map *map, uint64_t size, uint64_t flags)
{
    struct ringbuf *rb = (struct ringbuf *)map;
    if (flags || map->type != BPFVM_MAP_TYPE_RINGBUF || size > (UINT32_MAX / 4))
        return NULL;
    uint64_t len = (size + RB_HDR + 7) & ~7ull;
    if (len > rb->mask + 1)
        return NULL;
    map_lock(&rb->prod_lock);
    uint64_t cons = atomic_load_explicit(&rb->consumer_pos, memory_order_acquire);
    uint64_t prod = atomic_load_explicit(&rb->producer_pos, memory_order_relaxed);
    if (prod + len - cons > rb->mask) { /* at most size - 1 bytes ahead, like the kernel */
        map_unlock(&rb->prod_lock);
        return NULL;
    }
    struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (prod & rb->mask));
    hdr->pg_off = (uint32_t)(((char *)hdr - rb->base) / MAP_PAGE_SIZE);
    atomic_store_explicit(&hdr->len, (uint32_t)size | RB_BUSY, memory_order_relaxed);
    atomic_store_explicit(&rb->producer_pos, prod + len, memory_order_release);
    map_unlock(&rb->prod_lock);
    return (char *)hdr + RB_HDR;
}

static void rb_commit(void *sample, uint64_t flags, bool discard)
{
    struct rb_hdr *hdr;
    struct ringbuf *rb = rb_of_sample(sample, &hdr);
    uint32_t len = atomic_load_explicit(&hdr->len, memory_order_relaxed);
    uint32_t newlen = (len & ~RB_BUSY) | (discard ? RB_DISCARD : 0);
    atomic_store_explicit(&hdr->len, newlen, memory_order_release);
    if (flags & BPFVM_RB_NO_WAKEUP)
        return;
    map_waitq_wake(&rb->wq);
}

void map_ringbuf_submit(void *sample, uint64_t flags) { rb_commit(sample, flags, false); }
void map_ringbuf_discard(void *sample, uint64_t flags) { rb_commit(sample, flags, true); }

long map_ringbuf_output(struct bpfvm_map *map, const void *data, uint64_t size, uint64_t flags)
{
    if (flags & ~(BPFVM_RB_NO_WAKEUP | BPFVM_RB_FORCE_WAKEUP))
        return -EINVAL;
    void *p = map_ringbuf_reserve(map, size, 0);
    if (!p)
        return -EAGAIN;
    memcpy(p, data, size);
    map_ringbuf_submit(p, flags);
    return 0;
}

uint64_t map_ringbuf_query(struct bpfvm_map *map, uint64_t flags)
{
    struct ringbuf *rb = (struct ringbuf *)map;
    uint64_t cons = atomic_load(&rb->consumer_pos), prod = atomic_load(&rb->producer_pos);
    switch (flags) {
    case BPFVM_RB_AVAIL_DATA: return prod - cons;
    case BPFVM_RB_RING_SIZE: return rb->mask + 1;
    case BPFVM_RB_CONS_POS: return cons;
    case BPFVM_RB_PROD_POS: return prod;
    default: return 0;
    }
}

/* ---------------------------------------------------------------- host consumer */

static struct ringbuf *rb_cast(struct bpfvm_map *map)
{
    return map && map->type == BPFVM_MAP_TYPE_RINGBUF ? (struct ringbuf *)map : NULL;
}

int bpfvm_ringbuf_consume(struct bpfvm_map *map, bpfvm_ringbuf_sample_fn fn, void *ctx)
{
    struct ringbuf *rb = rb_cast(map);
    if (!rb || !fn)
        return -EINVAL;
    pthread_mutex_lock(&rb->consumer_mu);
    uint64_t cons = atomic_load_explicit(&rb->consumer_pos, memory_order_relaxed);
    int cnt = 0, ret = 0;
    for (;;) {
        uint64_t prod = atomic_load_explicit(&rb->producer_pos, memory_order_acquire);
        if (cons >= prod)
            break;
        bool progress = false;
        while (cons < prod) {
            struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (cons & rb->mask));
            uint32_t len = atomic_load_explicit(&hdr->len, memory_order_acquire);
            if (len & RB_BUSY)
                goto done;
            uint32_t sz = len & ~(RB_BUSY | RB_DISCARD);
            cons += (sz + RB_HDR + 7) & ~7u;
            progress = true;
            if (!(len & RB_DISCARD)) {
                int err = fn(ctx, (char *)hdr + RB_HDR, sz);
                if (err < 0) {
                    atomic_store_explicit(&rb->consumer_pos, cons, memory_order_release);
                    ret = err;
                    goto out;
                }
                if (cnt < INT32_MAX)
                    cnt++;
            }
            atomic_store_explicit(&rb->consumer_pos, cons, memory_order_release);
        }
        if (!progress)
            break;
    }
done:
    ret = cnt;
out:
    pthread_mutex_unlock(&rb->consumer_mu);
    return ret;
}

static bool rb_ready(void *arg)
{
    struct ringbuf *rb = arg;
    uint64_t cons = atomic_load(&rb->consumer_pos), prod = atomic_load(&rb->producer_pos);
    if (cons >= prod)
        return false;
    struct rb_hdr *hdr = (struct rb_hdr *)(rb->data + (cons & rb->mask));
    return !(atomic_load_explicit(&hdr->len, memory_order_acquire) & RB_BUSY);
}

int bpfvm_ringbuf_poll(struct bpfvm_map *map, int timeout_ms, bpfvm_ringbuf_sample_fn fn,
                       void *ctx)
{
    struct ringbuf *rb = rb_cast(map);
    if (!rb || !fn)
        return -EINVAL;
    int n = bpfvm_ringbuf_consume(map, fn, ctx);
    if (n != 0 || timeout_ms == 0)
        return n;
    map_waitq_wait(&rb->wq, timeout_ms, rb_ready, rb);
    return bpfvm_ringbuf_consume(map, fn, ctx);
}

uint64_t bpfvm_ringbuf_avail_data(struct bpfvm_map *map)
{
    return rb_cast(map) ? map_ringbuf_query(map, BPFVM_RB_AVAIL_DATA) : 0;
}

/* ---------------------------------------------------------------- map ops */

static void *rb_lookup(struct bpfvm_map *map, const void *key, unsigned slot) { return NULL; }
static int rb_sys_lookup(struct bpfvm_map *map, const void *key, void *value, uint64_t flags)
{
    return -EOPNOTSUPP;
}
static long rb_update(struct bpfvm_map *map, const void *key, const void *value,
                      uint64_t flags, unsigned slot)
{
    return -EOPNOTSUPP;
}
static int rb_get_next_key(struct bpfvm_map *map, const void *key, void *next_key)
{
    return -EOPNOTSUPP;
}

const struct map_ops map_ringbuf_ops = {
    .name = "ringbuf",
    .check = rb_check,
    .alloc = rb_alloc,
    .free = rb_free,
    .lookup = rb_lookup,
    .update = rb_update,
    .get_next_key = rb_get_next_key,
    .sys_lookup = rb_sys_lookup,
};
