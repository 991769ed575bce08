/* test_jit_inline_calls.c - helper calls the JIT compiles without the helper: bpf_csum_diff
 * with constant sizes (in line) and bpf_map_lookup_elem on a map known at load (a direct
 * call of the map's lookup).  Results must match the interpreter's (which calls the helpers)
 * over many inputs, such programs get a direct entry, and replaced helpers are honoured. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/asm.h"
#include "bpfvm/helpers.h"
#include "bpfvm/map.h"
#include "bpfvm/vm.h"
#include "testlib.h"

static struct bpfvm_vm *vm;

static struct bpfvm_prog *load(const char *text, struct bpfvm_map *const *maps, size_t nmaps)
{
    return test_load_asm(vm, text, maps, nmaps, 0);
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void) { return test_rng(&rng_state); }

static uint64_t run(struct bpfvm_prog *p, enum bpfvm_engine e, uint64_t r1, uint64_t r2,
                    uint64_t r3, uint32_t slot)
{
    struct bpfvm_exec_opts o = {.sz = sizeof(o), .engine = e, .args = {r1, r2, r3}, .slot = slot};
    uint64_t r0 = 0xdead;
    int rc = bpfvm_prog_exec(p, &o, &r0);
    CHECKF(rc == 0, "exec: %d", rc);
    return r0;
}

/* Buffers whose sums carry a lot: runs of 0xff, zeros, random bytes. */
static void fill(uint8_t *b, size_t n)
{
    int mode = (int)(rng() % 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t r = (uint8_t)rng();
        b[i] = mode == 0 ? 0xff : mode == 1 ? 0 : mode == 2 ? (r & 1 ? 0xff : r) : r;
    }
}

/* csum_diff(r1, FS, r2, TS, r3) */
static void csum_case(uint32_t fs, uint32_t ts, int runs)
{
    char text[320];
    /* the compare before the call leaves the carry flag set: the code must not add it */
    snprintf(text, sizeof(text), "r6 = r1\n r7 = r2\n r5 = r3\n r9 = 0\n r0 = 1\n r1 = r6\n"
             "r2 = %u\n r3 = r7\n r4 = %u\n if r9 > r0 goto out\n call 28\n exit\n"
             "out: r0 = 7777\n exit\n", fs, ts);
    struct bpfvm_prog *p = load(text, NULL, 0);
    if (!p)
        return;
    bpfvm_direct_fn fn = bpfvm_prog_direct_entry(p);
    bool inlined = fs <= 512 && ts <= 512;
    CHECKF((fn != NULL) == inlined, "sizes %u/%u: direct entry %p", fs, ts, (void *)fn);
    static uint8_t from[1024], to[1024];
    int bad = 0;
    for (int i = 0; i < runs && bad < 3; i++) {
        fill(from, fs);
        fill(to, ts);
        uint64_t seed = rng() % 4 == 0 ? 0 : rng() % 3 == 0 ? 0xffffffffull | rng() << 32 : rng();
        uint64_t a1 = fs || rng() % 2 ? (uintptr_t)from : 0, a2 = ts ? (uintptr_t)to : 0;
        uint64_t want = run(p, BPFVM_ENGINE_INTERP, a1, a2, seed, 0);
        uint64_t jit = run(p, BPFVM_ENGINE_JIT, a1, a2, seed, 0);
        uint64_t direct = fn ? fn(a1, a2, seed, 0, 0) : want;
        bool ok = jit == want && direct == want;
        CHECKF(ok, "sizes %u/%u seed 0x%llx: interp 0x%llx jit 0x%llx direct 0x%llx", fs, ts,
               (unsigned long long)seed, (unsigned long long)want, (unsigned long long)jit,
               (unsigned long long)direct);
        bad += !ok;
    }
    bpfvm_prog_free(p);
}

static void test_csum_diff(void)
{
    static const uint32_t sizes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15, 16, 20, 31, 64, 65};
    size_t n = sizeof(sizes) / sizeof(sizes[0]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            csum_case(sizes[i], sizes[j], 40);
    for (int k = 0; k < 40; k++)
        csum_case((uint32_t)(rng() % 513), (uint32_t)(rng() % 513), 20);
    csum_case(512, 512, 200);
    csum_case(0, 513, 20);  /* too big to inline: the helper */
    csum_case(513, 4, 20);
}

/* A variable size, or a size set on another path, is the helper's. */
static void test_csum_not_inlined(void)
{
    struct bpfvm_prog *p = load("r4 = r2\n r2 = 0\n r3 = r1\n r1 = 0\n r5 = 0\n call 28\n exit\n", NULL, 0);
    CHECK(p && bpfvm_prog_direct_entry(p) == NULL);
    uint8_t buf[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    if (p)
        CHECK_EQ_U64(run(p, BPFVM_ENGINE_JIT, (uintptr_t)buf, 16, 0, 0),
                     run(p, BPFVM_ENGINE_INTERP, (uintptr_t)buf, 16, 0, 0));
    bpfvm_prog_free(p);
    p = load("r3 = r1\n r1 = 0\n r4 = 8\n if r2 == 0 goto c\n r4 = 16\n"
             "c: r2 = 0\n r5 = 0\n call 28\n exit\n", NULL, 0);
    CHECK(p && bpfvm_prog_direct_entry(p) == NULL);
    for (uint64_t k = 0; p && k < 2; k++)
        CHECK_EQ_U64(run(p, BPFVM_ENGINE_JIT, (uintptr_t)buf, k, 0, 0),
                     run(p, BPFVM_ENGINE_INTERP, (uintptr_t)buf, k, 0, 0));
    bpfvm_prog_free(p);
}

static int custom_calls;
static uint64_t custom_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                              struct bpfvm_exec *ex)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    custom_calls++;
    return 0;
}

/* key (u32 at r10-4, LPM: prefix length 32 at r10-8 first) = r1; the value's first u64 or
 * 1000 when absent */
static const char *lookup_text =
    "*(u32 *)(r10 - 4) = r1\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n"
    "if r0 == 0 goto miss\n r0 = *(u64 *)(r0 + 0)\n exit\n miss: r0 = 1000\n exit\n";
static const char *lpm_text =
    "*(u32 *)(r10 - 8) = 32\n *(u32 *)(r10 - 4) = r1\n r1 = map[idx:0] ll\n r2 = r10\n"
    "r2 += -8\n call 1\n if r0 == 0 goto miss\n r0 = *(u64 *)(r0 + 0)\n exit\n"
    "miss: r0 = 1000\n exit\n";

static void lookup_case(enum bpfvm_map_type t, bool direct)
{
    bool lpm = t == BPFVM_MAP_TYPE_LPM_TRIE;
    struct bpfvm_map_create_opts mo = {.sz = sizeof(mo), .nr_slots = 4,
                                       .map_flags = lpm ? BPFVM_F_NO_PREALLOC : 0};
    struct bpfvm_map *m = NULL;
    CHECK(bpfvm_map_create(t, "m", lpm ? 8 : 4, 8, 64, &mo, &m) == 0);
    if (!m)
        return;
    for (uint32_t k = 0; k < 40; k += 2) {
        uint8_t key[8];
        uint32_t plen = 32;
        uint64_t v[4] = {k * 100 + 1, k * 100 + 2, k * 100 + 3, k * 100 + 4}; /* per-CPU: 4 slots */
        memcpy(key, lpm ? (void *)&plen : (void *)&k, 4);
        memcpy(key + 4, &k, 4);
        CHECK(bpfvm_map_update_elem(m, key, v, BPFVM_ANY) == 0);
    }
    struct bpfvm_map *maps[] = {m};
    struct bpfvm_prog *p = load(lpm ? lpm_text : lookup_text, maps, 1);
    bpfvm_direct_fn fn = p ? bpfvm_prog_direct_entry(p) : NULL;
    CHECKF((fn != NULL) == direct, "map type %d: direct entry %p", (int)t, (void *)fn);
    for (uint32_t k = 0; p && k < 48; k++) {
        uint64_t want = run(p, BPFVM_ENGINE_INTERP, k, 0, 0, 3);
        CHECKF(run(p, BPFVM_ENGINE_JIT, k, 0, 0, 3) == want, "map type %d key %u", (int)t, k);
        if (fn)
            CHECKF(fn(k, 0, 0, 0, 0) == want, "map type %d key %u (direct)", (int)t, k);
        CHECK_EQ_U64(want, k < 40 && !(k & 1) ? k * 100 + (t == BPFVM_MAP_TYPE_PERCPU_HASH ? 4 : 1)
                                              : 1000);
    }
    bpfvm_prog_free(p);
    /* a lookup helper of the host's own is called, not the map's lookup */
    bpfvm_vm_set_helper(vm, 1, "custom_lookup", custom_lookup);
    p = load(lpm ? lpm_text : lookup_text, maps, 1);
    CHECK(p && bpfvm_prog_direct_entry(p) == NULL);
    custom_calls = 0;
    if (p)
        CHECK_EQ_U64(run(p, BPFVM_ENGINE_JIT, 2, 0, 0, 0), 1000);
    CHECK_EQ_U64(custom_calls, 1);
    bpfvm_prog_free(p);
    bpfvm_vm_add_std_helpers(vm);
    bpfvm_map_free(m);
}

/* The key from the caller (no BPF stack): the direct copy still aligns the native stack for
 * the call. */
static void test_lookup_no_stack(void)
{
    struct bpfvm_map *m = NULL;
    CHECK(bpfvm_map_create(BPFVM_MAP_TYPE_HASH, "m", 4, 8, 8, NULL, &m) == 0);
    uint32_t key = 3;
    uint64_t v = 33;
    CHECK(m && bpfvm_map_update_elem(m, &key, &v, BPFVM_ANY) == 0);
    struct bpfvm_map *maps[] = {m};
    struct bpfvm_prog *p = load("r2 = r1\n r1 = map[idx:0] ll\n call 1\n if r0 == 0 goto miss\n"
                                "r0 = *(u64 *)(r0 + 0)\n exit\n miss: r0 = 1000\n exit\n", maps, 1);
    bpfvm_direct_fn fn = p ? bpfvm_prog_direct_entry(p) : NULL;
    CHECK(fn != NULL);
    for (uint32_t k = 0; fn && k < 6; k++)
        CHECK_EQ_U64(fn((uintptr_t)&k, 0, 0, 0, 0), k == 3 ? 33 : 1000);
    bpfvm_prog_free(p);
    bpfvm_map_free(m);
}

static void test_map_lookups(void)
{
    test_lookup_no_stack();
    lookup_case(BPFVM_MAP_TYPE_HASH, true);
    lookup_case(BPFVM_MAP_TYPE_LRU_HASH, true);
    lookup_case(BPFVM_MAP_TYPE_LPM_TRIE, true);
    lookup_case(BPFVM_MAP_TYPE_PERCPU_HASH, false); /* the run's slot: the helper */
}

int main(void)
{
    vm = bpfvm_vm_new();
    CHECK(vm && bpfvm_vm_add_std_helpers(vm) == 0);
    test_csum_diff();
    test_csum_not_inlined();
    test_map_lookups();
    bpfvm_vm_free(vm);
    return test_summary();
}
