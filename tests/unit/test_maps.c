/* test_maps.c - map semantics against the kernel's rules (error codes checked on Linux 6.18):
 * every map type, flag rules, full maps, LRU eviction, queue/stack, ringbuf, perf buffer,
 * map-in-map, batch ops, freeze and access flags, BPF_F_LOCK. */
#include "testlib.h"
#include "maps/map.h"

#include <stdlib.h>

static struct bpfvm_map *mk(enum bpfvm_map_type t, uint32_t ks, uint32_t vs, uint32_t me,
                            uint32_t flags)
{
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .map_flags = flags, .nr_slots = 4};
    struct bpfvm_map *m = NULL;
    int err = bpfvm_map_create(t, "t", ks, vs, me, &o, &m);
    return err ? NULL : m;
}

static int mk_err(enum bpfvm_map_type t, uint32_t ks, uint32_t vs, uint32_t me, uint32_t flags)
{
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .map_flags = flags};
    struct bpfvm_map *m = NULL;
    char buf[128] = "";
    o.errbuf = buf;
    o.errbuf_len = sizeof(buf);
    int err = bpfvm_map_create(t, "t", ks, vs, me, &o, &m);
    if (!err)
        bpfvm_map_free(m);
    else
        CHECKF(buf[0] != 0, "no message for error %d", err);
    return err;
}

static void test_create_rules(void)
{
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 8, 8, 4, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 4, 0, 4, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 4, 8, 0, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4, BPFVM_F_NO_PREALLOC), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4, BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4, BPFVM_F_RDONLY | BPFVM_F_WRONLY), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 4, 8, 2, BPFVM_F_ZERO_SEED), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 4, 8, 2, BPFVM_F_MMAPABLE), 0);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_PERCPU_ARRAY, 4, 32768, 4, 0), 0);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_PERCPU_ARRAY, 4, 32769, 4, 0), -E2BIG);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_HASH, 0, 8, 2, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_HASH, 4, 0, 2, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_HASH, 4, 8, 0, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_HASH, 4, 1u << 22, 2, 0), -E2BIG);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_HASH, 4, 8, 2, BPFVM_F_NO_COMMON_LRU), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_HASH, 4, 8, 2, BPFVM_F_MMAPABLE), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_HASH, 4, 8, 0x7fffffff, BPFVM_F_NO_PREALLOC), -E2BIG);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LRU_HASH, 4, 8, 2, BPFVM_F_NO_PREALLOC), -EOPNOTSUPP);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LRU_HASH, 4, 8, 2, BPFVM_F_NO_COMMON_LRU), 0);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_PERCPU_HASH, 4, 32769, 2, 0), -E2BIG);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_QUEUE, 4, 8, 2, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_QUEUE, 0, 8, 0, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_QUEUE, 0, 0, 2, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_QUEUE, 0, 8, 2, BPFVM_F_NO_PREALLOC), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_QUEUE, 0, (1u << 22) + 1, 2, 0), -E2BIG);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LPM_TRIE, 8, 8, 2, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LPM_TRIE, 4, 8, 2, 1), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LPM_TRIE, 5, 8, 2, 1), 0);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LPM_TRIE, 260, 8, 2, 1), 0);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LPM_TRIE, 261, 8, 2, 1), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LPM_TRIE, 8, 0, 2, 1), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_LPM_TRIE, 8, 8, 2, 1 | BPFVM_F_ZERO_SEED), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_RINGBUF, 0, 0, 4096, 0), 0);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_RINGBUF, 4, 0, 4096, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_RINGBUF, 0, 0, 4096 * 3, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_RINGBUF, 0, 0, 2048, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_RINGBUF, 0, 0, 4096, BPFVM_F_RDONLY_PROG), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_PROG_ARRAY, 4, 8, 4, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_PROG_ARRAY, 4, 4, 2, BPFVM_F_RDONLY_PROG), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 0, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_PERF_EVENT_ARRAY, 4, 8, 4, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 2, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_HASH_OF_MAPS, 4, 4, 2, 0), -EINVAL);
    CHECK_EQ_U64(mk_err((enum bpfvm_map_type)99, 4, 4, 2, 0), -EINVAL);
    CHECK_EQ_U64(mk_err(BPFVM_MAP_TYPE_ARRAY, 4, 8, 2, 1u << 30), -EINVAL);
}

static void test_array(void)
{
    struct bpfvm_map *a = mk(BPFVM_MAP_TYPE_ARRAY, 4, 12, 4, 0);
    CHECK(a);
    uint32_t k = 1, n = 0;
    uint8_t v[12], z[12] = {0};
    memset(v, 0xaa, sizeof(v));
    CHECK_EQ_U64(bpfvm_map_lookup_elem(a, &k, v), 0);
    CHECK(memcmp(v, z, 12) == 0); /* zero-initialised */
    CHECK_EQ_U64(bpfvm_map_delete_elem(a, &k), -EINVAL);
    k = 9;
    CHECK_EQ_U64(bpfvm_map_delete_elem(a, &k), -EINVAL);
    k = 4;
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, 0), -E2BIG);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(a, &k, v), -ENOENT);
    k = 1;
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, BPFVM_NOEXIST), -EEXIST);
    memset(v, 0xaa, sizeof(v));
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, BPFVM_EXIST), 0);
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, BPFVM_F_LOCK), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, 8), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, 3), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_elem_flags(a, &k, v, BPFVM_F_LOCK), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_elem_flags(a, &k, v, 1), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(a, &k, v), -EOPNOTSUPP);
    /* in-place fast path */
    uint8_t *p = map_lookup_fast(a, &k, 0);
    CHECK(p && p[0] == 0xaa);
    p[0] = 7;
    bpfvm_map_lookup_elem(a, &k, v);
    CHECK_EQ_U64(v[0], 7);
    CHECK(map_lookup_fast(a, &(uint32_t){4}, 0) == NULL);
    /* get_next_key */
    CHECK_EQ_U64(bpfvm_map_get_next_key(a, NULL, &n), 0);
    CHECK_EQ_U64(n, 0);
    k = 3;
    CHECK_EQ_U64(bpfvm_map_get_next_key(a, &k, &n), -ENOENT);
    k = 7;
    n = 99;
    CHECK_EQ_U64(bpfvm_map_get_next_key(a, &k, &n), 0);
    CHECK_EQ_U64(n, 0);
    k = 1;
    CHECK_EQ_U64(bpfvm_map_get_next_key(a, &k, &n), 0);
    CHECK_EQ_U64(n, 2);
    /* freeze */
    CHECK_EQ_U64(bpfvm_map_freeze(a), 0);
    CHECK_EQ_U64(bpfvm_map_freeze(a), -EPERM);
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, 0), -EPERM);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(a, &k, v), 0);
    CHECK_EQ_U64(map_update_fast(a, &k, v, 0, 0), 0); /* programs still may */
    CHECK_STR(bpfvm_map_name(a), "t");
    CHECK_EQ_U64(bpfvm_map_type(a), BPFVM_MAP_TYPE_ARRAY);
    CHECK_EQ_U64(bpfvm_map_value_size(a), 12);
    bpfvm_map_free(a);

    a = mk(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4, BPFVM_F_RDONLY);
    k = 0;
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, 0), -EPERM);
    CHECK_EQ_U64(bpfvm_map_delete_elem(a, &k), -EPERM);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(a, &k, v), 0);
    CHECK_EQ_U64(bpfvm_map_freeze(a), -EPERM);
    bpfvm_map_free(a);
    a = mk(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4, BPFVM_F_WRONLY);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(a, &k, v), -EPERM);
    CHECK_EQ_U64(bpfvm_map_get_next_key(a, NULL, &n), -EPERM);
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, v, 0), 0);
    CHECK_EQ_U64(bpfvm_map_freeze(a), 0);
    bpfvm_map_free(a);
    a = mk(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4, BPFVM_F_RDONLY_PROG);
    CHECK_EQ_U64(map_update_fast(a, &k, v, 0, 0), -EINVAL);
    CHECK(!map_prog_may_write(a) && map_prog_may_read(a));
    bpfvm_map_free(a);
}

static void test_percpu_array(void)
{
    struct bpfvm_map *a = mk(BPFVM_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0);
    CHECK_EQ_U64(bpfvm_map_nr_slots(a), 4);
    CHECK_EQ_U64(bpfvm_map_value_buf_size(a), 32);
    uint64_t vals[4] = {1, 2, 3, 4}, out[5];
    uint32_t k = 1;
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, vals, 0), 0);
    uint32_t *p = map_lookup_fast(a, &k, 2);
    CHECK(p && *p == 3);
    *p = 33;
    CHECK_EQ_U64(map_update_fast(a, &k, &(uint32_t){44}, 0, 3), 0);
    memset(out, 0xee, sizeof(out));
    CHECK_EQ_U64(bpfvm_map_lookup_elem(a, &k, out), 0);
    CHECK_EQ_U64(out[0], 1);
    CHECK_EQ_U64(out[1], 2);
    CHECK_EQ_U64(out[2], 33);
    CHECK_EQ_U64(out[3], 44);
    CHECK_EQ_U64(out[4], 0xeeeeeeeeeeeeeeeeull); /* exactly nr_slots * 8 bytes written */
    bpfvm_map_free(a);
}

static void hash_basic(uint32_t flags)
{
    struct bpfvm_map *h = mk(BPFVM_MAP_TYPE_HASH, 4, 8, 2, flags);
    CHECK(h);
    uint32_t k = 5, n;
    uint64_t v = 11;
    CHECK_EQ_U64(bpfvm_map_get_next_key(h, NULL, &n), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_get_next_key(h, &k, &n), -ENOENT);
    k = 1;
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, BPFVM_EXIST), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, 0), 0);
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, BPFVM_NOEXIST), -EEXIST);
    k = 2;
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, 0), 0);
    k = 3;
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, 0), -E2BIG);
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, BPFVM_NOEXIST), -E2BIG);
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, BPFVM_EXIST), -ENOENT);
    k = 1;
    v = 12;
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, 0), 0); /* replace in a full map */
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, BPFVM_F_LOCK), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, 5), -EINVAL);
    v = 0;
    CHECK_EQ_U64(bpfvm_map_lookup_elem(h, &k, &v), 0);
    CHECK_EQ_U64(v, 12);
    k = 9;
    CHECK_EQ_U64(bpfvm_map_delete_elem(h, &k), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(h, &k, &v), -ENOENT);
    k = 1;
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem_flags(h, &k, &v, BPFVM_F_LOCK), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem_flags(h, &k, &v, 1), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(h, &k, &v), 0);
    CHECK_EQ_U64(v, 12);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(h, &k, &v), -ENOENT);
    k = 3;
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, 0), 0); /* room again */
    uint64_t *p = map_lookup_fast(h, &k, 0);
    CHECK(p && *p == 12);
    *p = 99;
    CHECK_EQ_U64(bpfvm_map_lookup_elem(h, &k, &v), 0);
    CHECK_EQ_U64(v, 99);
    CHECK_EQ_U64(map_delete_fast(h, &k), 0);
    CHECK(map_lookup_fast(h, &k, 0) == NULL);
    bpfvm_map_free(h);
}

static void test_hash(void)
{
    hash_basic(0);
    hash_basic(BPFVM_F_NO_PREALLOC);
    hash_basic(BPFVM_F_ZERO_SEED);
    /* odd key size */
    struct bpfvm_map *h = mk(BPFVM_MAP_TYPE_HASH, 13, 3, 100, BPFVM_F_NO_PREALLOC);
    uint8_t key[13], val[3];
    for (int i = 0; i < 100; i++) {
        memset(key, i, sizeof(key));
        memset(val, i, sizeof(val));
        CHECK_EQ_U64(bpfvm_map_update_elem(h, key, val, BPFVM_NOEXIST), 0);
    }
    int bad = 0;
    for (int i = 0; i < 100; i++) {
        memset(key, i, sizeof(key));
        if (bpfvm_map_lookup_elem(h, key, val) || val[2] != i)
            bad++;
    }
    CHECK_EQ_U64(bad, 0);
    bpfvm_map_free(h);
}

static void test_percpu_hash(void)
{
    struct bpfvm_map *h = mk(BPFVM_MAP_TYPE_PERCPU_HASH, 4, 4, 4, 0);
    uint64_t vals[4] = {1, 2, 3, 4}, out[4];
    uint32_t k = 1;
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, vals, 0), 0);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(h, &k, out), 0);
    CHECK(out[0] == 1 && out[1] == 2 && out[2] == 3 && out[3] == 4);
    /* program update of an existing element writes its slot in place */
    CHECK_EQ_U64(map_update_fast(h, &k, &(uint32_t){77}, 0, 1), 0);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(h, &k, out), 0);
    CHECK(out[0] == 1 && out[1] == 77 && out[2] == 3);
    /* program insert of a new element: its slot set, others zero */
    k = 2;
    CHECK_EQ_U64(map_update_fast(h, &k, &(uint32_t){5}, 0, 2), 0);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(h, &k, out), 0);
    CHECK(out[0] == 0 && out[1] == 0 && out[2] == 5 && out[3] == 0);
    uint32_t *p = map_lookup_fast(h, &k, 2);
    CHECK(p && *p == 5);
    bpfvm_map_free(h);
}

static void test_lru(void)
{
    /* like the kernel: inserting 5 keys into 2 slots keeps the last 2 */
    struct bpfvm_map *l = mk(BPFVM_MAP_TYPE_LRU_HASH, 4, 8, 2, 0);
    uint64_t v = 0;
    for (uint32_t k = 1; k <= 5; k++)
        CHECK_EQ_U64(bpfvm_map_update_elem(l, &k, &v, BPFVM_NOEXIST), 0);
    for (uint32_t k = 1; k <= 5; k++)
        CHECK_EQ_U64(bpfvm_map_lookup_elem(l, &k, &v), k >= 4 ? 0 : -ENOENT);
    bpfvm_map_free(l);

    /* referenced (looked-up by programs) elements survive; the coldest unreferenced go */
    l = mk(BPFVM_MAP_TYPE_LRU_HASH, 4, 8, 8, 0);
    for (uint32_t k = 0; k < 8; k++)
        bpfvm_map_update_elem(l, &k, &v, 0);
    for (uint32_t k = 0; k < 8; k += 2)
        CHECK(map_lookup_fast(l, &k, 0) != NULL);
    for (uint32_t k = 100; k < 104; k++)
        CHECK_EQ_U64(bpfvm_map_update_elem(l, &k, &v, 0), 0);
    int survivors = 0;
    for (uint32_t k = 0; k < 8; k++) {
        int r = bpfvm_map_lookup_elem(l, &k, &v);
        if (k % 2 == 0)
            CHECKF(r == 0, "referenced key %u evicted", k);
        else
            CHECKF(r == -ENOENT, "unreferenced key %u kept", k);
        survivors += r == 0;
    }
    CHECK_EQ_U64(survivors, 4);
    bpfvm_map_free(l);

    struct bpfvm_map *lp = mk(BPFVM_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 3, 0);
    uint64_t vals[4] = {1, 2, 3, 4};
    for (uint32_t k = 0; k < 10; k++)
        CHECK_EQ_U64(bpfvm_map_update_elem(lp, &k, vals, 0), 0);
    uint32_t k = 9;
    uint64_t *pv = map_lookup_fast(lp, &k, 3);
    CHECK(pv && *pv == 4);
    bpfvm_map_free(lp);
}

static void test_queue_stack(void)
{
    struct bpfvm_map *q = mk(BPFVM_MAP_TYPE_QUEUE, 0, 8, 2, 0);
    uint64_t v;
    uint32_t n;
    CHECK_EQ_U64(bpfvm_map_lookup_elem(q, NULL, &v), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(q, NULL, &v), -ENOENT);
    v = 1;
    CHECK_EQ_U64(bpfvm_map_update_elem(q, NULL, &v, 0), 0);
    v = 2;
    CHECK_EQ_U64(bpfvm_map_update_elem(q, NULL, &v, 0), 0);
    v = 3;
    CHECK_EQ_U64(bpfvm_map_update_elem(q, NULL, &v, 0), -E2BIG);
    CHECK_EQ_U64(bpfvm_map_update_elem(q, NULL, &v, BPFVM_NOEXIST), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_update_elem(q, NULL, &v, BPFVM_F_LOCK), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_update_elem(q, NULL, &v, BPFVM_EXIST), 0);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(q, NULL, &v), 0);
    CHECK_EQ_U64(v, 2);
    CHECK_EQ_U64(bpfvm_map_delete_elem(q, NULL), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_get_next_key(q, NULL, &n), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem_flags(q, NULL, &v, BPFVM_F_LOCK), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(q, NULL, &v), 0);
    CHECK_EQ_U64(v, 2);
    CHECK_EQ_U64(map_pop_fast(q, &v), 0);
    CHECK_EQ_U64(v, 3);
    CHECK_EQ_U64(map_pop_fast(q, &v), -ENOENT);
    CHECK_EQ_U64(map_peek_fast(q, &v), -ENOENT);
    /* FIFO through wrap-around */
    int bad = 0;
    for (uint64_t i = 0; i < 50; i++) {
        map_push_fast(q, &i, 0);
        if (map_pop_fast(q, &v) || v != i)
            bad++;
    }
    CHECK_EQ_U64(bad, 0);
    bpfvm_map_free(q);

    struct bpfvm_map *s = mk(BPFVM_MAP_TYPE_STACK, 0, 8, 2, 0);
    v = 1;
    map_push_fast(s, &v, 0);
    v = 2;
    map_push_fast(s, &v, 0);
    v = 3;
    CHECK_EQ_U64(map_push_fast(s, &v, BPFVM_EXIST), 0); /* drops the oldest (1) */
    CHECK_EQ_U64(map_peek_fast(s, &v), 0);
    CHECK_EQ_U64(v, 3);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(s, NULL, &v), 0);
    CHECK_EQ_U64(v, 3);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(s, NULL, &v), 0);
    CHECK_EQ_U64(v, 2);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(s, NULL, &v), -ENOENT);
    bpfvm_map_free(s);
}

struct lpm4 {
    uint32_t pl;
    uint8_t d[4];
};

static void test_lpm_basic(void)
{
    struct bpfvm_map *t = mk(BPFVM_MAP_TYPE_LPM_TRIE, 8, 8, 3, BPFVM_F_NO_PREALLOC);
    struct lpm4 k = {33, {10, 0, 0, 0}};
    uint64_t v = 0;
    CHECK_EQ_U64(bpfvm_map_update_elem(t, &k, &v, 0), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(t, &k, &v), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_delete_elem(t, &k), -EINVAL);
    k.pl = 8;
    v = 8;
    CHECK_EQ_U64(bpfvm_map_update_elem(t, &k, &v, BPFVM_NOEXIST), 0);
    CHECK_EQ_U64(bpfvm_map_update_elem(t, &k, &v, BPFVM_NOEXIST), -EEXIST);
    k.pl = 16;
    v = 16;
    CHECK_EQ_U64(bpfvm_map_update_elem(t, &k, &v, BPFVM_EXIST), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_update_elem(t, &k, &v, 0), 0);
    k.pl = 24;
    CHECK_EQ_U64(bpfvm_map_update_elem(t, &k, &v, 0), 0);
    k.pl = 0;
    CHECK_EQ_U64(bpfvm_map_update_elem(t, &k, &v, 0), -ENOSPC);
    CHECK_EQ_U64(bpfvm_map_update_elem(t, &k, &v, BPFVM_F_LOCK), -EINVAL);
    struct lpm4 q = {32, {10, 0, 1, 2}};
    CHECK_EQ_U64(bpfvm_map_lookup_elem(t, &q, &v), 0);
    CHECK_EQ_U64(v, 16);
    CHECK_EQ_U64(bpfvm_map_lookup_elem_flags(t, &q, &v, BPFVM_F_LOCK), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_elem(t, &q, &v), -EOPNOTSUPP);
    /* iteration: most specific first, missing key restarts */
    struct lpm4 n;
    CHECK_EQ_U64(bpfvm_map_get_next_key(t, NULL, &n), 0);
    CHECK_EQ_U64(n.pl, 24);
    CHECK_EQ_U64(bpfvm_map_get_next_key(t, &n, &n), 0);
    CHECK_EQ_U64(n.pl, 16);
    CHECK_EQ_U64(bpfvm_map_get_next_key(t, &n, &n), 0);
    CHECK_EQ_U64(n.pl, 8);
    CHECK_EQ_U64(bpfvm_map_get_next_key(t, &n, &n), -ENOENT);
    n.pl = 12;
    CHECK_EQ_U64(bpfvm_map_get_next_key(t, &n, &n), 0);
    CHECK_EQ_U64(n.pl, 24);
    n.pl = 12;
    CHECK_EQ_U64(bpfvm_map_delete_elem(t, &n), -ENOENT);
    n.pl = 8;
    CHECK_EQ_U64(bpfvm_map_delete_elem(t, &n), 0);
    CHECK_EQ_U64(bpfvm_map_delete_elem(t, &n), -ENOENT);
    bpfvm_map_free(t);

    /* the kernel's post-order on a branching trie */
    t = mk(BPFVM_MAP_TYPE_LPM_TRIE, 8, 8, 10, BPFVM_F_NO_PREALLOC);
    struct lpm4 ins[] = {{8, {10, 0, 0, 0}}, {16, {10, 1, 0, 0}}, {16, {10, 2, 0, 0}},
                         {0, {10, 2, 0, 0}}, {32, {192, 2, 0, 0}}};
    for (int i = 0; i < 5; i++)
        bpfvm_map_update_elem(t, &ins[i], &v, 0);
    struct lpm4 want[] = {{16, {10, 1, 0, 0}}, {16, {10, 2, 0, 0}}, {8, {10, 0, 0, 0}},
                          {32, {192, 2, 0, 0}}, {0, {10, 2, 0, 0}}};
    int i = 0;
    for (int r = bpfvm_map_get_next_key(t, NULL, &n); r == 0 && i < 6;
         r = bpfvm_map_get_next_key(t, &n, &n), i++)
        CHECKF(i < 5 && memcmp(&n, &want[i], sizeof(n)) == 0, "item %d pl %u", i, n.pl);
    CHECK_EQ_U64(i, 5);
    bpfvm_map_free(t);
}

/* Random prefixes against a brute-force reference, 4-byte and 16-byte data. */
static void lpm_random(uint32_t dsize, unsigned seed)
{
    enum { N = 300, Q = 3000 };
    uint32_t ks = 4 + dsize;
    struct bpfvm_map *t = mk(BPFVM_MAP_TYPE_LPM_TRIE, ks, 4, N, BPFVM_F_NO_PREALLOC);
    uint8_t (*keys)[4 + 16] = calloc(N, sizeof(*keys));
    bool *live = calloc(N, sizeof(bool));
    srand(seed);
    uint32_t maxpl = dsize * 8;
    for (int i = 0; i < N; i++) {
        uint32_t pl = (uint32_t)rand() % (maxpl + 1);
        if (i % 3 == 0)
            pl = (uint32_t)rand() % 12; /* plenty of short, nested prefixes */
        memcpy(keys[i], &pl, 4);
        for (uint32_t b = 0; b < dsize; b++)
            keys[i][4 + b] = (uint8_t)(b < 2 ? rand() % 4 : rand());
        uint32_t v = (uint32_t)i;
        int r = bpfvm_map_update_elem(t, keys[i], &v, 0);
        CHECK(r == 0);
        /* duplicates (same prefix after masking) overwrite: mark the older copy dead */
        for (int j = 0; j < i; j++) {
            uint32_t pj;
            memcpy(&pj, keys[j], 4);
            if (!live[j] || pj != pl)
                continue;
            bool same = true;
            for (uint32_t bit = 0; bit < pl; bit++)
                if (((keys[j][4 + bit / 8] ^ keys[i][4 + bit / 8]) >> (7 - bit % 8)) & 1)
                    same = false;
            if (same)
                live[j] = false;
        }
        live[i] = true;
        if (i % 7 == 6) { /* delete some */
            int d = rand() % (i + 1);
            if (live[d]) {
                CHECK_EQ_U64(bpfvm_map_delete_elem(t, keys[d]), 0);
                live[d] = false;
            }
        }
    }
    int bad = 0;
    uint8_t q[4 + 16];
    for (int n = 0; n < Q; n++) {
        memcpy(q, &maxpl, 4);
        for (uint32_t b = 0; b < dsize; b++)
            q[4 + b] = (uint8_t)(b < 2 ? rand() % 4 : rand());
        int best = -1;
        uint32_t bestpl = 0;
        for (int i = 0; i < N; i++) {
            if (!live[i])
                continue;
            uint32_t pl;
            memcpy(&pl, keys[i], 4);
            bool m = true;
            for (uint32_t bit = 0; bit < pl && m; bit++)
                if (((keys[i][4 + bit / 8] ^ q[4 + bit / 8]) >> (7 - bit % 8)) & 1)
                    m = false;
            if (m && (best < 0 || pl > bestpl)) {
                best = i;
                bestpl = pl;
            }
        }
        uint32_t v = 0;
        int r = bpfvm_map_lookup_elem(t, q, &v);
        if (best < 0 ? r != -ENOENT : (r != 0 || v != (uint32_t)best))
            bad++;
    }
    CHECKF(bad == 0, "%d of %d LPM lookups (data size %u) disagree", bad, Q, dsize);
    /* iteration visits every live key once */
    int seen = 0, livecnt = 0;
    for (int i = 0; i < N; i++)
        livecnt += live[i];
    uint8_t cur[4 + 16];
    for (int r = bpfvm_map_get_next_key(t, NULL, cur); r == 0;
         r = bpfvm_map_get_next_key(t, cur, cur))
        if (++seen > N)
            break;
    CHECK_EQ_U64(seen, livecnt);
    bpfvm_map_free(t);
    free(keys);
    free(live);
}

static void test_hash_iteration(void)
{
    enum { N = 1000 };
    struct bpfvm_map *h = mk(BPFVM_MAP_TYPE_HASH, 4, 4, N, 0);
    for (uint32_t k = 0; k < N; k++)
        bpfvm_map_update_elem(h, &k, &k, 0);
    static uint8_t seen[N];
    uint32_t cur, next;
    int r = bpfvm_map_get_next_key(h, NULL, &cur), count = 0, dup = 0;
    /* delete each key after fetching its successor (bpftool's pattern) and, every 10th
     * step, also delete a key not seen yet: every key is visited once, deleted ones never */
    static uint8_t gone[N];
    while (r == 0) {
        if (seen[cur]++)
            dup++;
        count++;
        CHECK(!gone[cur]);
        r = bpfvm_map_get_next_key(h, &cur, &next);
        bpfvm_map_delete_elem(h, &cur);
        gone[cur] = 1;
        if (count % 10 == 0) {
            for (uint32_t k = 0; k < N; k++)
                if (!seen[k] && !gone[k] && k != next) {
                    bpfvm_map_delete_elem(h, &k);
                    gone[k] = 1;
                    break;
                }
        }
        cur = next;
    }
    CHECK_EQ_U64(dup, 0);
    int missing = 0;
    for (uint32_t k = 0; k < N; k++)
        if (!seen[k] && !gone[k])
            missing++;
    CHECK_EQ_U64(missing, 0);
    CHECK_EQ_U64(bpfvm_map_get_next_key(h, NULL, &cur), -ENOENT);
    /* missing key restarts from the first */
    uint32_t k = 5;
    bpfvm_map_update_elem(h, &k, &k, 0);
    k = 77;
    CHECK_EQ_U64(bpfvm_map_get_next_key(h, &k, &next), 0);
    CHECK_EQ_U64(next, 5);
    bpfvm_map_free(h);
}

static void test_batch(void)
{
    struct bpfvm_map *h = mk(BPFVM_MAP_TYPE_HASH, 4, 8, 100, 0);
    for (uint32_t k = 0; k < 10; k++) {
        uint64_t v = k * 10;
        bpfvm_map_update_elem(h, &k, &v, 0);
    }
    uint32_t keys[100], cnt = 100, total = 0;
    uint64_t vals[100], tok = 0;
    int r = bpfvm_map_lookup_batch(h, NULL, &tok, keys, vals, &cnt, NULL);
    CHECK_EQ_U64(r, -ENOENT);
    CHECK_EQ_U64(cnt, 10);
    int bad = 0;
    for (uint32_t i = 0; i < cnt; i++)
        bad += vals[i] != keys[i] * 10;
    CHECK_EQ_U64(bad, 0);
    /* in small chunks */
    uint64_t in = 0;
    bool first = true;
    for (;;) {
        cnt = 3;
        r = bpfvm_map_lookup_batch(h, first ? NULL : &in, &tok, keys, vals, &cnt, NULL);
        first = false;
        total += cnt;
        in = tok;
        if (r)
            break;
    }
    CHECK(r == -ENOENT || r == -ENOSPC);
    if (r == -ENOENT)
        CHECK_EQ_U64(total, 10);
    struct bpfvm_map_batch_opts bo = {.sz = sizeof(bo), .flags = 1};
    cnt = 10;
    CHECK_EQ_U64(bpfvm_map_lookup_batch(h, NULL, &tok, keys, vals, &cnt, &bo), -EINVAL);
    uint32_t del[3] = {1, 55, 2};
    cnt = 3;
    CHECK_EQ_U64(bpfvm_map_delete_batch(h, del, &cnt, NULL), -ENOENT);
    CHECK_EQ_U64(cnt, 1);
    cnt = 100;
    CHECK_EQ_U64(bpfvm_map_lookup_and_delete_batch(h, NULL, &tok, keys, vals, &cnt, NULL),
                 -ENOENT);
    CHECK_EQ_U64(cnt, 9);
    CHECK_EQ_U64(bpfvm_map_get_next_key(h, NULL, keys), -ENOENT);
    uint32_t uk[3] = {7, 8, 9};
    uint64_t uv[3] = {70, 80, 90};
    cnt = 3;
    CHECK_EQ_U64(bpfvm_map_update_batch(h, uk, uv, &cnt, NULL), 0);
    bpfvm_map_free(h);

    struct bpfvm_map *a = mk(BPFVM_MAP_TYPE_ARRAY, 4, 8, 10, 0);
    cnt = 4;
    CHECK_EQ_U64(bpfvm_map_lookup_batch(a, NULL, &tok, keys, vals, &cnt, NULL), 0);
    CHECK_EQ_U64(cnt, 4);
    cnt = 100;
    in = tok;
    CHECK_EQ_U64(bpfvm_map_lookup_batch(a, &in, &tok, keys, vals, &cnt, NULL), -ENOENT);
    CHECK_EQ_U64(cnt, 6);
    CHECK_EQ_U64(keys[0], 4);
    in = tok;
    cnt = 100;
    CHECK_EQ_U64(bpfvm_map_lookup_batch(a, &in, &tok, keys, vals, &cnt, NULL), -ENOENT);
    CHECK_EQ_U64(cnt, 0);
    bpfvm_map_free(a);
}

static void test_map_in_map(void)
{
    struct bpfvm_map *tmpl = mk(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4, 0);
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .inner_map = tmpl};
    struct bpfvm_map *am = NULL, *hm = NULL;
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY_OF_MAPS, "aom", 4, 4, 2, &o, &am), 0);
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_HASH_OF_MAPS, "hom", 4, 4, 2, &o, &hm), 0);
    struct bpfvm_map *inner = mk(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4, 0);
    struct bpfvm_map *wrong = mk(BPFVM_MAP_TYPE_ARRAY, 4, 8, 5, 0);
    struct bpfvm_map *hash = mk(BPFVM_MAP_TYPE_HASH, 4, 8, 4, 0);
    uint32_t k = 0, id = 0;
    CHECK_EQ_U64(bpfvm_map_lookup_elem(am, &k, &id), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_update_ptr(am, &k, hash, 0), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_update_ptr(am, &k, wrong, 0), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_update_ptr(am, &k, inner, 0), 0);
    CHECK_EQ_U64(bpfvm_map_update_elem(am, &k, &id, 0), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(am, &k, &id), 0);
    CHECK_EQ_U64(id, bpfvm_map_id(inner));
    CHECK(map_lookup_fast(am, &k, 0) == inner);
    k = 2;
    CHECK_EQ_U64(bpfvm_map_update_ptr(am, &k, inner, 0), -E2BIG);
    k = 7;
    CHECK_EQ_U64(bpfvm_map_update_ptr(hm, &k, inner, 0), 0);
    CHECK(map_lookup_fast(hm, &k, 0) == inner);
    CHECK_EQ_U64(bpfvm_map_lookup_elem(hm, &k, &id), 0);
    CHECK_EQ_U64(id, bpfvm_map_id(inner));
    CHECK_EQ_U64(bpfvm_map_update_ptr(hm, &k, inner, BPFVM_NOEXIST), -EEXIST);
    CHECK_EQ_U64(bpfvm_map_delete_elem(hm, &k), 0);
    CHECK(map_lookup_fast(hm, &k, 0) == NULL);
    k = 0;
    CHECK_EQ_U64(bpfvm_map_delete_elem(am, &k), 0);
    CHECK_EQ_U64(bpfvm_map_delete_elem(am, &k), -ENOENT);
    /* the inner map outlives the caller's reference while the outer holds it */
    CHECK_EQ_U64(bpfvm_map_update_ptr(am, &k, inner, 0), 0);
    bpfvm_map_free(inner);
    uint64_t v = 5;
    uint32_t ik = 1;
    struct bpfvm_map *held = map_lookup_fast(am, &k, 0);
    CHECK_EQ_U64(bpfvm_map_update_elem(held, &ik, &v, 0), 0);
    bpfvm_map_free(am);
    bpfvm_map_free(hm);
    bpfvm_map_free(wrong);
    bpfvm_map_free(hash);
    bpfvm_map_free(tmpl);

    struct bpfvm_map *pa = mk(BPFVM_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0);
    int fake_prog;
    k = 0;
    CHECK_EQ_U64(bpfvm_map_lookup_elem(pa, &k, &id), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_delete_elem(pa, &k), -ENOENT);
    k = 7;
    CHECK_EQ_U64(bpfvm_map_delete_elem(pa, &k), -E2BIG);
    k = 1;
    CHECK_EQ_U64(bpfvm_map_update_ptr(pa, &k, &fake_prog, 0), 0);
    CHECK(map_lookup_fast(pa, &k, 0) == &fake_prog);
    void *obj = NULL;
    CHECK_EQ_U64(bpfvm_map_lookup_ptr(pa, &k, &obj), 0);
    CHECK(obj == &fake_prog);
    CHECK_EQ_U64(bpfvm_map_delete_elem(pa, &k), 0);
    bpfvm_map_free(pa);
}

struct rb_ctx {
    uint32_t next;
    int bad;
    size_t bytes;
};

static int rb_cb(void *ctx, void *data, size_t size)
{
    struct rb_ctx *c = ctx;
    uint32_t v;
    memcpy(&v, data, 4);
    if (v != c->next++)
        c->bad++;
    for (size_t i = 4; i < size; i++)
        if (((uint8_t *)data)[i] != (uint8_t)v)
            c->bad++;
    c->bytes += size;
    return 0;
}

static int rb_stop(void *ctx, void *data, size_t size) { return -42; }

static void test_ringbuf(void)
{
    struct bpfvm_map *rb = mk(BPFVM_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
    uint32_t n;
    uint64_t v;
    CHECK_EQ_U64(bpfvm_map_lookup_elem(rb, NULL, &v), -EOPNOTSUPP);
    CHECK_EQ_U64(bpfvm_map_update_elem(rb, NULL, &v, 0), -EOPNOTSUPP);
    CHECK_EQ_U64(bpfvm_map_get_next_key(rb, NULL, &n), -EOPNOTSUPP);
    CHECK_EQ_U64(bpfvm_map_delete_elem(rb, NULL), -EINVAL);
    CHECK(map_ringbuf_reserve(rb, 8, 1) == NULL);
    CHECK(map_ringbuf_reserve(rb, 4096, 0) == NULL);
    CHECK_EQ_U64(map_ringbuf_output(rb, &v, 8, 4), -EINVAL);
    /* fill: 4096-byte ring holds at most 4095 bytes ahead: 63 records of 64 bytes */
    int ok = 0;
    for (int i = 0; i < 70; i++) {
        uint8_t rec[56];
        memset(rec, (uint8_t)i, sizeof(rec));
        uint32_t x = (uint32_t)i;
        memcpy(rec, &x, 4);
        if (map_ringbuf_output(rb, rec, sizeof(rec), 0) == 0)
            ok++;
    }
    CHECK_EQ_U64(ok, 63);
    CHECK_EQ_U64(map_ringbuf_query(rb, BPFVM_RB_AVAIL_DATA), 63 * 64);
    CHECK_EQ_U64(map_ringbuf_query(rb, BPFVM_RB_RING_SIZE), 4096);
    struct rb_ctx c = {0};
    CHECK_EQ_U64(bpfvm_ringbuf_consume(rb, rb_cb, &c), 63);
    CHECK_EQ_U64(c.bad, 0);
    /* wrap-around with odd sizes, discards, and busy records holding back the consumer */
    c.next = 1000;
    uint32_t expect = 1000;
    int bad = 0;
    for (int round = 0; round < 500; round++) {
        size_t sz = 4 + (size_t)(round * 37) % 300;
        uint8_t *p = map_ringbuf_reserve(rb, sz, 0);
        uint8_t *p2 = map_ringbuf_reserve(rb, 12, 0);
        if (!p || !p2) {
            bad++;
            break;
        }
        memset(p, (uint8_t)expect, sz);
        memcpy(p, &expect, 4);
        expect++;
        if (bpfvm_ringbuf_consume(rb, rb_cb, &c) != 0) /* p is still busy */
            bad++;
        map_ringbuf_submit(p, 0);
        map_ringbuf_discard(p2, 0);
        if (bpfvm_ringbuf_consume(rb, rb_cb, &c) != 1)
            bad++;
    }
    CHECK_EQ_U64(bad, 0);
    CHECK_EQ_U64(c.bad, 0);
    CHECK_EQ_U64(c.next, expect);
    CHECK_EQ_U64(bpfvm_ringbuf_avail_data(rb), 0);
    /* callback error stops and is returned; that record counts as consumed */
    map_ringbuf_output(rb, &v, 8, 0);
    map_ringbuf_output(rb, &v, 8, 0);
    CHECK_EQ_U64(bpfvm_ringbuf_consume(rb, rb_stop, NULL), -42);
    CHECK_EQ_U64(bpfvm_ringbuf_avail_data(rb), 16);
    CHECK_EQ_U64(bpfvm_ringbuf_poll(rb, 10, rb_stop, NULL), -42);
    c.next = 0;
    CHECK_EQ_U64(bpfvm_ringbuf_poll(rb, 10, rb_cb, &c), 0); /* times out empty */
    bpfvm_map_free(rb);
}

struct pb_ctx {
    int samples, lost, bad;
};

static void pb_sample(void *ctx, int cpu, void *data, uint32_t size)
{
    struct pb_ctx *c = ctx;
    uint32_t v;
    memcpy(&v, data, 4);
    if ((size + 4) % 8 || v != (uint32_t)cpu * 1000 + (uint32_t)c->samples)
        c->bad++;
    c->samples++;
}

static void pb_lost(void *ctx, int cpu, uint64_t cnt) { ((struct pb_ctx *)ctx)->lost += (int)cnt; }

static void test_perf_event_array(void)
{
    struct bpfvm_map *pe = mk(BPFVM_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 2, 0);
    uint32_t k = 0, n;
    uint32_t v = 0;
    CHECK_EQ_U64(bpfvm_map_lookup_elem(pe, &k, &n), -EOPNOTSUPP);
    CHECK_EQ_U64(bpfvm_map_delete_elem(pe, &k), -ENOENT);
    CHECK_EQ_U64(bpfvm_map_get_next_key(pe, NULL, &n), 0);
    CHECK_EQ_U64(map_perf_event_output(pe, 0, 0, &v, 4), -ENOENT);
    struct pb_ctx c = {0};
    struct bpfvm_perf_buffer *pb = NULL;
    CHECK_EQ_U64(bpfvm_perf_buffer_new(pe, 3, pb_sample, pb_lost, &c, &pb), -EINVAL);
    CHECK_EQ_U64(bpfvm_perf_buffer_new(pe, 1, pb_sample, pb_lost, &c, &pb), 0);
    CHECK_EQ_U64(map_perf_event_output(pe, 2, 0, &v, 4), -E2BIG);
    CHECK_EQ_U64(map_perf_event_output(pe, 1ull << 32, 0, &v, 4), -EINVAL);
    v = 1000;
    CHECK_EQ_U64(map_perf_event_output(pe, BPFVM_F_CURRENT_CPU, 1, &v, 4), 0);
    CHECK_EQ_U64(bpfvm_perf_buffer_poll(pb, 100), 1);
    CHECK_EQ_U64(c.bad, 0);
    /* fill index 0 past its 4 KiB: the rest is lost; wrapped records arrive whole */
    c.samples = 0;
    int sent = 0, lost = 0;
    uint8_t rec[100] = {0};
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 60; i++) {
            v = (uint32_t)(sent);
            memcpy(rec, &v, 4);
            long r = map_perf_event_output(pe, 0, 0, rec, sizeof(rec));
            if (r == 0)
                sent++;
            else
                lost += r == -ENOSPC;
        }
        bpfvm_perf_buffer_consume(pb);
    }
    CHECK_EQ_U64(c.samples, sent);
    CHECK_EQ_U64(c.lost, lost);
    CHECK(lost > 0);
    CHECK_EQ_U64(c.bad, 0);
    bpfvm_perf_buffer_free(pb);
    CHECK_EQ_U64(map_perf_event_output(pe, 0, 0, &v, 4), -ENOENT);
    bpfvm_map_free(pe);
}

struct locked_val {
    uint32_t a;
    uint32_t lock;
    uint64_t b;
};

static void test_spin_lock(void)
{
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .spin_lock_off = 4, .has_spin_lock = true};
    struct bpfvm_map *a = NULL, *h = NULL, *bad = NULL;
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY, "l", 4, 16, 2, &o, &a), 0);
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_HASH, "l", 4, 16, 2, &o, &h), 0);
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_PERCPU_ARRAY, "l", 4, 16, 2, &o, &bad),
                 -EOPNOTSUPP);
    o.spin_lock_off = 14;
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY, "l", 4, 16, 2, &o, &bad), -EINVAL);
    struct locked_val v = {1, 0xdead, 2}, out;
    uint32_t k = 0;
    CHECK_EQ_U64(bpfvm_map_update_elem(a, &k, &v, BPFVM_F_LOCK), 0);
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, BPFVM_F_LOCK), 0);
    CHECK_EQ_U64(bpfvm_map_update_elem(h, &k, &v, BPFVM_F_LOCK | BPFVM_NOEXIST), -EEXIST);
    CHECK_EQ_U64(bpfvm_map_lookup_elem_flags(a, &k, &out, BPFVM_F_LOCK), 0);
    CHECK(out.a == 1 && out.lock == 0 && out.b == 2);
    CHECK_EQ_U64(bpfvm_map_lookup_elem_flags(h, &k, &out, BPFVM_F_LOCK), 0);
    CHECK(out.a == 1 && out.lock == 0 && out.b == 2);
    struct locked_val *p = map_lookup_fast(a, &k, 0);
    CHECK(p && p->lock == 0); /* the lock word is never copied in */
    CHECK_EQ_U64(bpfvm_map_freeze(a), -EOPNOTSUPP);
    bpfvm_map_free(a);
    bpfvm_map_free(h);
}

int main(void)
{
    test_create_rules();
    test_array();
    test_percpu_array();
    test_hash();
    test_percpu_hash();
    test_lru();
    test_queue_stack();
    test_lpm_basic();
    lpm_random(4, 1);
    lpm_random(4, 2);
    lpm_random(16, 3);
    test_hash_iteration();
    test_batch();
    test_map_in_map();
    test_ringbuf();
    test_perf_event_array();
    test_spin_lock();
    return test_summary();
}
