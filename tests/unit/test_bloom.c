/* test_bloom.c - BPF_MAP_TYPE_BLOOM_FILTER: lookup3 test vectors, the host API's rules
 * (creation, push/peek flags, operations the type does not have, access flags, freeze), the
 * exact answers of BPF_F_ZERO_SEED filters (false positives included), pinning, and the
 * verifier's and helpers' treatment from programs.  Every rule is checked against the value
 * measured on Linux 6.18 and, where bpf() works here, against the running kernel too (skipped
 * quietly otherwise: the written expectations still apply). */
#define _GNU_SOURCE
#include "testlib.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfvm/asm.h"
#include "bpfvm/helpers.h"
#include "bpfvm/map.h"
#include "bpfvm/progtype.h"
#include "bpfvm/vm.h"
#include "maps/jhash.h"

#define BLOOM BPFVM_MAP_TYPE_BLOOM_FILTER
#define ENOTSUPP_K 524 /* the kernel's ENOTSUPP: bpfvm answers -EOPNOTSUPP */

static bool have_kernel;

/* ---------------------------------------------------------------- the kernel side */

static long kelem(int cmd, int fd, const void *key, const void *value, uint64_t flags)
{
    long r = test_kmap_elem(cmd, fd, key, value, flags);
    return r == -ENOTSUPP_K ? -EOPNOTSUPP : r;
}

static int bmap(uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags, uint64_t extra,
                struct bpfvm_map **out)
{
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .map_flags = flags, .map_extra = extra};
    *out = NULL;
    return bpfvm_map_create(BLOOM, "bloom", ks, vs, max, &o, out);
}

/* ---------------------------------------------------------------- jhash */

static void test_jhash(void)
{
    /* lookup3.c's own self-test values */
    CHECK_EQ_U64(map_jhash("", 0, 0), 0xdeadbeef);
    CHECK_EQ_U64(map_jhash("", 0, 0xdeadbeef), 0xbd5b7dde);
    CHECK_EQ_U64(map_jhash("Four score and seven years ago", 30, 0), 0x17770551);
    CHECK_EQ_U64(map_jhash("Four score and seven years ago", 30, 1), 0xcd628161);
}

/* ---------------------------------------------------------------- creation */

static void test_create(void)
{
    static const struct {
        uint32_t ks, vs, max, flags;
        uint64_t extra;
        int want; /* measured on 6.18 */
    } cases[] = {
        {0, 4, 1, 0, 0, 0},
        {4, 4, 1, 0, 0, -EINVAL},           /* key_size must be 0 */
        {0, 0, 1, 0, 0, -EINVAL},
        {0, 4, 0, 0, 0, -EINVAL},
        {0, 1, 1, 0, 0, 0},
        {0, 3, 1, 0, 0, 0},
        {0, 4194304, 1, 0, 0, 0},           /* KMALLOC_MAX_SIZE */
        {0, 4194305, 1, 0, 0, -E2BIG},
        {0, 4, 1, 0, 15, 0},
        {0, 4, 1, 0, 16, -EINVAL},          /* only the low 4 bits */
        {0, 4, 1, 0, 0x1f, -EINVAL},
        {0, 4, 1, 0, 1ull << 32, -EINVAL},
        {0, 4, 1, BPF_F_ZERO_SEED, 0, 0},
        {0, 4, 1, BPF_F_NUMA_NODE, 0, 0},
        {0, 4, 1, BPF_F_RDONLY, 0, 0},
        {0, 4, 1, BPF_F_WRONLY, 0, 0},
        {0, 4, 1, BPF_F_RDONLY | BPF_F_WRONLY, 0, -EINVAL},
        {0, 4, 1, BPF_F_RDONLY_PROG, 0, 0},
        {0, 4, 1, BPF_F_WRONLY_PROG, 0, 0},
        {0, 4, 1, BPF_F_NO_PREALLOC, 0, -EINVAL},
        {0, 4, 1, BPF_F_MMAPABLE, 0, -EINVAL},
        {0, 4, 1, BPF_F_INNER_MAP, 0, -EINVAL},
        {0, 4, 1, BPF_F_NO_COMMON_LRU, 0, -EINVAL},
        {0, 4, 1, 1u << 20, 0, -EINVAL},
        {0, 4, 0xffffffffu, 0, 1, 0},       /* 2^32 bits: 512 MiB, calloc'd lazily here */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bpfvm_map *m;
        int got = bmap(cases[i].ks, cases[i].vs, cases[i].max, cases[i].flags, cases[i].extra, &m);
        CHECKF(got == cases[i].want, "case %zu: bpfvm %d, expected %d", i, got, cases[i].want);
        bpfvm_map_free(m);
        if (have_kernel && cases[i].max != 0xffffffffu) {
            int fd = test_kmap_create(BLOOM, cases[i].ks, cases[i].vs, cases[i].max, cases[i].flags,
                                 cases[i].extra);
            CHECKF((fd < 0 ? fd : 0) == got, "case %zu: kernel %d, bpfvm %d", i, fd < 0 ? fd : 0,
                   got);
            if (fd >= 0)
                close(fd);
        }
    }
    /* map_extra belongs to bloom filters only */
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .map_extra = 1};
    struct bpfvm_map *m = NULL;
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_HASH, "h", 4, 4, 1, &o, &m), -EINVAL);
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_QUEUE, "q", 0, 4, 1, &o, &m), -EINVAL);
    if (have_kernel) {
        CHECK_EQ_U64(test_kmap_create(BPF_MAP_TYPE_HASH, 4, 4, 1, 0, 1), -EINVAL);
        CHECK_EQ_U64(test_kmap_create(BPF_MAP_TYPE_QUEUE, 0, 4, 1, 0, 1), -EINVAL);
    }
    /* an older, shorter opts struct (no map_extra) still works */
    struct bpfvm_map_create_opts old = {.sz = offsetof(struct bpfvm_map_create_opts, map_extra),
                                        .map_extra = 7};
    CHECK_EQ_U64(bpfvm_map_create(BLOOM, "b", 0, 4, 1, &old, &m), 0);
    bpfvm_map_free(m);
    char msg[200] = "";
    struct bpfvm_map_create_opts e = {.sz = sizeof(e), .map_extra = 0x20, .errbuf = msg,
                                      .errbuf_len = sizeof(msg)};
    CHECK_EQ_U64(bpfvm_map_create(BLOOM, "b", 0, 4, 1, &e, &m), -EINVAL);
    CHECKF(strstr(msg, "bloom_filter") && strstr(msg, "map_extra 0x20"), "message: %s", msg);
}

/* ---------------------------------------------------------------- element operations */

/* one operation on both sides: bpfvm's answer, checked against the measured value and the
 * kernel's */
#define BOTH(what, vm_expr, k_expr, want)                                                      \
    do {                                                                                       \
        long got_ = (vm_expr);                                                                 \
        CHECKF(got_ == (want), "%s: bpfvm %ld, expected %d", what, got_, (int)(want));         \
        if (kfd >= 0) {                                                                        \
            long k_ = (k_expr);                                                                \
            CHECKF(k_ == got_, "%s: kernel %ld, bpfvm %ld", what, k_, got_);                   \
        }                                                                                      \
    } while (0)

static void test_elements(void)
{
    struct bpfvm_map *m;
    CHECK_EQ_U64(bmap(0, 4, 100, BPF_F_ZERO_SEED, 0, &m), 0);
    int kfd = have_kernel ? test_kmap_create(BLOOM, 0, 4, 100, BPF_F_ZERO_SEED, 0) : -1;
    uint32_t v = 7, absent = 8, k = 0, nk;
    BOTH("peek empty", bpfvm_map_lookup_elem(m, NULL, &v),
         kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &v, 0), -ENOENT);
    BOTH("push ANY", bpfvm_map_update_elem(m, NULL, &v, BPFVM_ANY),
         kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, 0), 0);
    BOTH("push NOEXIST", bpfvm_map_update_elem(m, NULL, &v, BPFVM_NOEXIST),
         kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, BPF_NOEXIST), -EINVAL);
    BOTH("push EXIST", bpfvm_map_update_elem(m, NULL, &v, BPFVM_EXIST),
         kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, BPF_EXIST), -EINVAL);
    BOTH("push F_LOCK", bpfvm_map_update_elem(m, NULL, &v, BPFVM_F_LOCK),
         kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, BPF_F_LOCK), -EINVAL);
    BOTH("push 8", bpfvm_map_update_elem(m, NULL, &v, 8),
         kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, 8), -EINVAL);
    BOTH("peek present", bpfvm_map_lookup_elem(m, NULL, &v),
         kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &v, 0), 0);
    BOTH("peek F_LOCK", bpfvm_map_lookup_elem_flags(m, NULL, &v, BPFVM_F_LOCK),
         kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &v, BPF_F_LOCK), -EINVAL);
    BOTH("peek flags 1", bpfvm_map_lookup_elem_flags(m, NULL, &v, 1),
         kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &v, 1), -EINVAL);
    BOTH("peek absent", bpfvm_map_lookup_elem(m, NULL, &absent),
         kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &absent, 0), -ENOENT);
    CHECK_EQ_U64(absent, 8); /* peek reads the value, never writes it */
    BOTH("delete", bpfvm_map_delete_elem(m, NULL), kelem(BPF_MAP_DELETE_ELEM, kfd, NULL, NULL, 0),
         -EOPNOTSUPP);
    BOTH("get_next_key", bpfvm_map_get_next_key(m, NULL, &nk),
         kelem(BPF_MAP_GET_NEXT_KEY, kfd, NULL, &nk, 0), -EOPNOTSUPP);
    BOTH("lookup_and_delete", bpfvm_map_lookup_and_delete_elem(m, NULL, &v),
         kelem(BPF_MAP_LOOKUP_AND_DELETE_ELEM, kfd, NULL, &v, 0), -EOPNOTSUPP);
    uint64_t ob;
    uint32_t cnt = 1;
    CHECK_EQ_U64(bpfvm_map_lookup_batch(m, NULL, &ob, &k, &v, &cnt, NULL), -EOPNOTSUPP);
    BOTH("freeze", bpfvm_map_freeze(m), kelem(BPF_MAP_FREEZE, kfd, NULL, NULL, 0), 0);
    BOTH("push frozen", bpfvm_map_update_elem(m, NULL, &v, 0),
         kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, 0), -EPERM);
    BOTH("peek frozen", bpfvm_map_lookup_elem(m, NULL, &v),
         kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &v, 0), 0);
    bpfvm_map_free(m);
    if (kfd >= 0)
        close(kfd);

    CHECK_EQ_U64(bmap(0, 4, 100, BPF_F_RDONLY, 0, &m), 0);
    kfd = have_kernel ? test_kmap_create(BLOOM, 0, 4, 100, BPF_F_RDONLY, 0) : -1;
    BOTH("RDONLY push", bpfvm_map_update_elem(m, NULL, &v, 0),
         kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, 0), -EPERM);
    BOTH("RDONLY peek", bpfvm_map_lookup_elem(m, NULL, &v),
         kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &v, 0), -ENOENT);
    bpfvm_map_free(m);
    if (kfd >= 0)
        close(kfd);
    CHECK_EQ_U64(bmap(0, 4, 100, BPF_F_WRONLY, 0, &m), 0);
    kfd = have_kernel ? test_kmap_create(BLOOM, 0, 4, 100, BPF_F_WRONLY, 0) : -1;
    BOTH("WRONLY push", bpfvm_map_update_elem(m, NULL, &v, 0),
         kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, &v, 0), 0);
    BOTH("WRONLY peek", bpfvm_map_lookup_elem(m, NULL, &v),
         kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, &v, 0), -EPERM);
    bpfvm_map_free(m);
    if (kfd >= 0)
        close(kfd);
}

/* ---------------------------------------------------------------- exact answers */

/* Push `npush` random values into ZERO_SEED filters of many shapes, then peek `npeek` others
 * and the pushed ones: pushed values are always present; with the kernel, every answer (and
 * so every false positive) must be the same. */
static void test_zero_seed_answers(void)
{
    static const struct {
        uint32_t vs, max;
        uint64_t extra;
    } shapes[] = {
        {4, 1, 1}, {4, 1, 0}, {4, 12, 0}, {1, 3, 2}, {3, 10, 3}, {6, 40, 2}, {8, 20, 4},
        {12, 30, 15}, {13, 9, 7}, {16, 50, 1}, {20, 5, 6}, {2, 100, 0}, {4, 1000, 3},
    };
    uint64_t rng = 0x1234567;
    unsigned long fps = 0, compared = 0;
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        uint32_t vs = shapes[s].vs;
        struct bpfvm_map *m;
        if (bmap(0, vs, shapes[s].max, BPF_F_ZERO_SEED, shapes[s].extra, &m)) {
            CHECKF(0, "shape %zu: create failed", s);
            continue;
        }
        int kfd = have_kernel ? test_kmap_create(BLOOM, 0, vs, shapes[s].max, BPF_F_ZERO_SEED,
                                            shapes[s].extra)
                              : -1;
        uint8_t vals[64][32];
        int npush = (int)(shapes[s].max < 32 ? shapes[s].max * 2 : 64);
        for (int i = 0; i < npush; i++) {
            for (uint32_t b = 0; b < vs; b++)
                vals[i][b] = (uint8_t)test_rng(&rng);
            CHECK_EQ_U64(bpfvm_map_update_elem(m, NULL, vals[i], 0), 0);
            if (kfd >= 0)
                CHECK_EQ_U64(kelem(BPF_MAP_UPDATE_ELEM, kfd, NULL, vals[i], 0), 0);
        }
        for (int i = 0; i < npush; i++)
            CHECKF(bpfvm_map_lookup_elem(m, NULL, vals[i]) == 0, "shape %zu: pushed value %d absent", s, i);
        int mismatches = 0;
        for (int i = 0; i < 2000; i++) {
            uint8_t q[32];
            for (uint32_t b = 0; b < vs; b++)
                q[b] = (uint8_t)test_rng(&rng);
            int got = bpfvm_map_lookup_elem(m, NULL, q);
            CHECKF(got == 0 || got == -ENOENT, "shape %zu: peek %d", s, got);
            fps += got == 0;
            if (kfd >= 0) {
                compared++;
                mismatches += kelem(BPF_MAP_LOOKUP_ELEM, kfd, NULL, q, 0) != got;
            }
        }
        CHECKF(mismatches == 0, "shape %zu (value %u, max %u, map_extra %llu): %d of 2000 peeks "
               "differ from the kernel", s, vs, shapes[s].max,
               (unsigned long long)shapes[s].extra, mismatches);
        bpfvm_map_free(m);
        if (kfd >= 0)
            close(kfd);
    }
    CHECKF(fps > 100, "only %lu false positives: the tiny filters should give many", fps);
    printf("  zero-seed filters: %lu false positives, %lu peeks compared with the kernel\n", fps,
           compared);
}

/* Random seeds: what was pushed is found, in two filters that (almost surely) hash apart. */
static void test_random_seed(void)
{
    struct bpfvm_map *a, *b;
    CHECK_EQ_U64(bmap(0, 8, 64, 0, 3, &a), 0);
    CHECK_EQ_U64(bmap(0, 8, 64, 0, 3, &b), 0);
    for (uint64_t i = 0; i < 64; i++) {
        uint64_t v = i * 0x9e3779b97f4a7c15ull;
        CHECK_EQ_U64(bpfvm_map_update_elem(a, NULL, &v, 0), 0);
        CHECK_EQ_U64(bpfvm_map_update_elem(b, NULL, &v, 0), 0);
    }
    int differ = 0;
    for (uint64_t i = 0; i < 64; i++) {
        uint64_t v = i * 0x9e3779b97f4a7c15ull;
        CHECK_EQ_U64(bpfvm_map_lookup_elem(a, NULL, &v), 0);
        CHECK_EQ_U64(bpfvm_map_lookup_elem(b, NULL, &v), 0);
    }
    for (uint64_t i = 0; i < 4000; i++) {
        uint64_t v = ~i;
        differ += bpfvm_map_lookup_elem(a, NULL, &v) != bpfvm_map_lookup_elem(b, NULL, &v);
    }
    CHECKF(differ > 0, "two randomly seeded filters gave the same false positives");
    bpfvm_map_free(a);
    bpfvm_map_free(b);
}

/* ---------------------------------------------------------------- programs */

static int kprog_load(const struct bpfvm_insn *insns, size_t cnt, int map_fd)
{
    struct bpf_insn p[64];
    if (cnt > 64)
        return -E2BIG;
    for (size_t i = 0; i < cnt; i++) {
        memcpy(&p[i], &insns[i], sizeof(p[i]));
        if (p[i].code == (BPF_LD | BPF_IMM | BPF_DW) && p[i].src_reg == BPF_PSEUDO_MAP_IDX) {
            p[i].src_reg = BPF_PSEUDO_MAP_FD;
            p[i].imm = map_fd;
        }
    }
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
    a.insns = (uint64_t)(uintptr_t)p;
    a.insn_cnt = (uint32_t)cnt;
    a.license = (uint64_t)(uintptr_t)"GPL";
    long fd = test_kbpf(BPF_PROG_LOAD, &a);
    if (fd >= 0)
        close((int)fd);
    return fd < 0 ? (int)fd : 0;
}

/* The verifier's verdicts (measured on 6.18): push and peek take a bloom filter; pop,
 * lookup, update and delete do not (the key-taking ones fail on the zero-sized key first). */
static void test_verifier(struct bpfvm_vm *vm)
{
    static const struct {
        const char *what, *text;
        int want;
    } cases[] = {
        {"peek", "*(u64 *)(r10 - 8) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n call 89\n"
                 "r0 = 0\n exit\n", 0},
        {"push", "*(u64 *)(r10 - 8) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n r3 = 0\n"
                 "call 87\n r0 = 0\n exit\n", 0},
        {"pop", "*(u64 *)(r10 - 8) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n call 88\n"
                "r0 = 0\n exit\n", -EINVAL},
        {"lookup", "*(u64 *)(r10 - 8) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n call 1\n"
                   "r0 = 0\n exit\n", -EACCES},
        {"update", "*(u64 *)(r10 - 8) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n r3 = r2\n"
                   "r4 = 0\n call 2\n r0 = 0\n exit\n", -EACCES},
        {"delete", "*(u64 *)(r10 - 8) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n call 3\n"
                   "r0 = 0\n exit\n", -EACCES},
    };
    struct bpfvm_map *m;
    CHECK_EQ_U64(bmap(0, 8, 16, 0, 0, &m), 0);
    int kfd = have_kernel ? test_kmap_create(BLOOM, 0, 8, 16, 0, 0) : -1;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bpfvm_insn *insns = NULL;
        size_t cnt = 0;
        char err[512] = "";
        if (bpfvm_asm(cases[i].text, BPFVM_SYNTAX_LLVM, &insns, &cnt, err, sizeof(err))) {
            CHECKF(0, "%s: asm: %s", cases[i].what, err);
            continue;
        }
        struct bpfvm_map *maps[] = {m};
        struct bpfvm_load_opts lo = {.sz = sizeof(lo), .errbuf = err, .errbuf_len = sizeof(err),
                                     .maps = maps, .map_cnt = 1,
                                     .prog_type = BPFVM_PROG_TYPE_SCHED_CLS, .license = "GPL"};
        struct bpfvm_prog *p = NULL;
        int got = bpfvm_prog_load(vm, insns, cnt, &lo, &p);
        CHECKF(got == cases[i].want, "%s: bpfvm %d (%s), expected %d", cases[i].what, got, err,
               cases[i].want);
        if (cases[i].want == -EINVAL)
            CHECKF(strstr(err, "cannot pass map_type 30 into func bpf_map_pop_elem#88"),
                   "%s: message %s", cases[i].what, err);
        if (kfd >= 0) {
            int k = kprog_load(insns, cnt, kfd);
            CHECKF(k == got, "%s: kernel %d, bpfvm %d", cases[i].what, k, got);
        }
        bpfvm_prog_free(p);
        free(insns);
    }
    bpfvm_map_free(m);
    if (kfd >= 0)
        close(kfd);
}

/* push / peek from programs on both engines, checked and not: peek of an absent value gives
 * -ENOENT and leaves the buffer alone; push with flags other than BPF_ANY is -EINVAL. */
static void test_helpers(struct bpfvm_vm *vm)
{
    static const char *text =
        "*(u64 *)(r10 - 8) = 42\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n r3 = 0\n call 87\n"
        "if r0 != 0 goto bad\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n r3 = 2\n call 87\n if r0 != -22 goto bad\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n call 89\n if r0 != 0 goto bad\n"
        "*(u64 *)(r10 - 8) = 43\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n call 89\n if r0 != -2 goto bad\n"
        "r0 = *(u64 *)(r10 - 8)\n exit\n"
        "bad: r0 = 1\n exit\n";
    static const enum bpfvm_engine engines[] = {BPFVM_ENGINE_INTERP, BPFVM_ENGINE_JIT};
    for (int checked = 0; checked < 2; checked++) {
        for (int e = 0; e < 2; e++) {
            struct bpfvm_map *m;
            /* 1024 bits, 15 hashes: 43 is no false positive (checked below on the host) */
            CHECK_EQ_U64(bmap(0, 8, 100, BPF_F_ZERO_SEED, 15, &m), 0);
            struct bpfvm_map *maps[] = {m};
            struct bpfvm_prog *p = test_load_asm(vm, text, maps, 1,
                                                 checked ? BPFVM_LOAD_CHECKED : 0);
            if (!p) {
                bpfvm_map_free(m);
                continue;
            }
            struct bpfvm_exec_opts o = {.sz = sizeof(o), .engine = engines[e]};
            uint64_t r0 = 0;
            CHECK_EQ_U64(bpfvm_prog_exec(p, &o, &r0), 0);
            CHECKF(r0 == 43, "checked %d engine %d: r0 %llu", checked, e, (unsigned long long)r0);
            uint64_t v = 42, w = 43;
            CHECK_EQ_U64(bpfvm_map_lookup_elem(m, NULL, &v), 0);
            CHECK_EQ_U64(bpfvm_map_lookup_elem(m, NULL, &w), -ENOENT);
            bpfvm_prog_free(p);
            bpfvm_map_free(m);
        }
    }
}

/* Pinned: a second open sees the pushed bits; reuse with another map_extra is refused. */
static void test_pinned(void)
{
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .map_flags = BPF_F_ZERO_SEED,
                                      .map_extra = 3, .pin_path = "bloom_pin", .pin_reuse = true};
    struct bpfvm_map *a = NULL, *b = NULL;
    bpfvm_map_unpin("bloom_pin");
    CHECK_EQ_U64(bpfvm_map_create(BLOOM, "p", 0, 4, 64, &o, &a), 0);
    if (!a)
        return;
    uint32_t v = 99, w = 98;
    CHECK_EQ_U64(bpfvm_map_update_elem(a, NULL, &v, 0), 0);
    CHECK_EQ_U64(bpfvm_map_open_pinned("bloom_pin", &b), 0);
    if (b) {
        CHECK_EQ_U64(bpfvm_map_lookup_elem(b, NULL, &v), 0);
        CHECK_EQ_U64(bpfvm_map_lookup_elem(b, NULL, &w), -ENOENT);
        bpfvm_map_free(b);
    }
    char msg[300] = "";
    o.map_extra = 4;
    o.errbuf = msg;
    o.errbuf_len = sizeof(msg);
    b = NULL;
    CHECK_EQ_U64(bpfvm_map_create(BLOOM, "p", 0, 4, 64, &o, &b), -EINVAL);
    CHECKF(strstr(msg, "map_extra 0x3, not 0x4") != NULL, "message: %s", msg);
    bpfvm_map_free(a);
    CHECK_EQ_U64(bpfvm_map_unpin("bloom_pin"), 0);
}

int main(void)
{
    char dir[] = "/tmp/bpfvm-bloom-XXXXXX";
    if (mkdtemp(dir))
        setenv("BPFVM_PIN_DIR", dir, 1);
    int fd = test_kmap_create(BLOOM, 0, 4, 1, 0, 0);
    have_kernel = fd >= 0;
    if (fd >= 0)
        close(fd);
    else
        printf("  kernel bpf() unavailable (%d): measured values only\n", fd);
    struct bpfvm_vm *vm = bpfvm_vm_new();
    bpfvm_vm_add_std_helpers(vm);
    test_jhash();
    test_create();
    test_elements();
    test_zero_seed_answers();
    test_random_seed();
    test_verifier(vm);
    test_helpers(vm);
    test_pinned();
    bpfvm_vm_free(vm);
    rmdir(dir);
    return test_summary();
}
