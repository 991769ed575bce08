/* maps/bloom_filter.c - BPF_MAP_TYPE_BLOOM_FILTER: a bit array and k hash functions, sized and
 * hashed as Linux does so that BPF_F_ZERO_SEED filters answer exactly like the kernel's, false
 * positives included.  No keys: push sets the value's k bits, peek reports -ENOENT when one of
 * them is clear (the value was certainly never pushed), 0 when all are set (probably pushed).
 * map_extra's low 4 bits give k (0 means 5).  Nothing can be deleted or iterated. */
#include "maps/jhash.h"
#include "maps/map.h"

#include <stdlib.h>
#include <time.h>

#define BLOOM_DEFAULT_HASHES 5u
#define BLOOM_HASH_MASK 0xfull        /* map_extra bits that give the number of hashes */

struct map_bloom {
    struct bpfvm_map map;
    uint32_t nr_hashes;
    uint32_t bit_mask;                /* bits in the array - 1 */
    uint32_t seed;                    /* 0 with BPF_F_ZERO_SEED */
    uint64_t nr_words;
    _Atomic uint64_t *bits;
};

/* The kernel's sizing: n * k / ln 2 bits, with 7/5 for 1/ln 2 (n * k / 5 first, in 32 bits),
 * at least 64 and rounded up to a power of two; past 2^31 (or on overflow) 2^32 bits. */
static uint64_t bloom_nr_bits(uint32_t max_entries, uint32_t nr_hashes)
{
    uint64_t n = (uint64_t)max_entries * nr_hashes;
    if (n > UINT32_MAX || (n / 5) * 7 > UINT32_MAX || (n / 5) * 7 > (1ull << 31))
        return 1ull << 32;
    n = (n / 5) * 7;
    if (n <= 64)
        return 64;
    uint64_t p = 128;
    while (p < n)
        p <<= 1;
    return p;
}

static uint32_t bloom_nr_hashes(uint64_t map_extra)
{
    return map_extra & BLOOM_HASH_MASK ? (uint32_t)(map_extra & BLOOM_HASH_MASK)
                                       : BLOOM_DEFAULT_HASHES;
}

static int bloom_check(const struct map_attr *a)
{
    uint32_t allowed = BPFVM_F_NUMA_NODE | BPFVM_F_ZERO_SEED | BPFVM_F_RDONLY | BPFVM_F_WRONLY |
                       BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG;
    if (a->map_flags & ~allowed)
        return map_err(a, -EINVAL, "map create bloom_filter: flags 0x%x not allowed",
                       a->map_flags & ~allowed);
    if (a->key_size != 0 || !a->value_size || !a->max_entries)
        return map_err(a, -EINVAL, "map create bloom_filter: key_size must be 0, value_size "
                       "and max_entries > 0");
    if (a->map_extra & ~BLOOM_HASH_MASK)
        return map_err(a, -EINVAL, "map create bloom_filter: map_extra 0x%llx: only the low "
                       "4 bits (number of hashes) may be set", (unsigned long long)a->map_extra);
    if (a->value_size > MAP_KMALLOC_MAX)
        return map_err(a, -E2BIG, "map create bloom_filter: value_size %u too big",
                       a->value_size);
    return 0;
}

static uint64_t bloom_nr_words(const struct map_attr *a)
{
    return bloom_nr_bits(a->max_entries, bloom_nr_hashes(a->map_extra)) / 64;
}

static int bloom_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct map_bloom *b = map_mem_calloc(a->arena, 1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->nr_hashes = bloom_nr_hashes(a->map_extra);
    uint64_t nr_bits = bloom_nr_bits(a->max_entries, b->nr_hashes);
    b->bit_mask = (uint32_t)(nr_bits - 1);
    b->nr_words = nr_bits / 64;
    if (!(b->bits = map_mem_calloc(a->arena, b->nr_words, sizeof(uint64_t)))) {
        map_mem_free(a->arena, b);
        return -ENOMEM;
    }
    if (!(a->map_flags & BPFVM_F_ZERO_SEED)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        b->seed = (uint32_t)map_mix64((uint64_t)(uintptr_t)b ^ ((uint64_t)ts.tv_nsec << 20) ^
                                      (uint64_t)ts.tv_sec);
    }
    map_init_common(&b->map, a, &map_bloom_filter_ops);
    *out = &b->map;
    return 0;
}

static void bloom_free(struct bpfvm_map *map)
{
    struct map_bloom *b = (struct map_bloom *)map;
    map_mem_free(map->arena, (void *)b->bits);
    map_mem_free(map->arena, b);
}

static size_t bloom_mem_size(const struct map_attr *a)
{
    return map_mem_round(sizeof(struct map_bloom)) + map_mem_round(bloom_nr_words(a) * 8);
}

/* Hash i of a value: jhash seeded with seed + i (the kernel uses jhash2 for values that are a
 * multiple of 4 bytes, which gives the same result on little-endian hosts). */
static inline uint32_t bloom_bit(const struct map_bloom *b, const void *value, uint32_t i)
{
    return map_jhash(value, b->map.value_size, b->seed + i) & b->bit_mask;
}

static long bloom_push(struct bpfvm_map *map, const void *value, uint64_t flags)
{
    struct map_bloom *b = (struct map_bloom *)map;
    if (flags != BPFVM_ANY)
        return -EINVAL;
    for (uint32_t i = 0; i < b->nr_hashes; i++) {
        uint32_t bit = bloom_bit(b, value, i);
        atomic_fetch_or_explicit(&b->bits[bit / 64], 1ull << (bit % 64), memory_order_relaxed);
    }
    return 0;
}

/* Reads `value`, never writes it (the helper's buffer is the value to test). */
static long bloom_peek(struct bpfvm_map *map, void *value)
{
    struct map_bloom *b = (struct map_bloom *)map;
    for (uint32_t i = 0; i < b->nr_hashes; i++) {
        uint32_t bit = bloom_bit(b, value, i);
        uint64_t w = atomic_load_explicit(&b->bits[bit / 64], memory_order_relaxed);
        if (!(w & (1ull << (bit % 64))))
            return -ENOENT;
    }
    return 0;
}

static int bloom_sys_lookup(struct bpfvm_map *map, const void *key, void *value, uint64_t flags)
{
    (void)key;
    return flags ? -EINVAL : (int)bloom_peek(map, value);
}

static void *bloom_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    (void)map, (void)key, (void)slot;
    return NULL;
}

static long bloom_delete(struct bpfvm_map *map, const void *key)
{
    (void)map, (void)key;
    return -EOPNOTSUPP;
}

static int bloom_get_next_key(struct bpfvm_map *map, const void *key, void *next_key)
{
    (void)map, (void)key, (void)next_key;
    return -EOPNOTSUPP;
}

const struct map_ops map_bloom_filter_ops = {
    .name = "bloom_filter",
    .peek_reads_value = true,
    .check = bloom_check,
    .alloc = bloom_alloc,
    .free = bloom_free,
    .mem_size = bloom_mem_size,
    .lookup = bloom_lookup,
    .delete = bloom_delete,
    .get_next_key = bloom_get_next_key,
    .sys_lookup = bloom_sys_lookup,
    .push = bloom_push,
    .peek = bloom_peek,
};
