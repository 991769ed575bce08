/* test_helpers.c - the standard helpers called from small BPF programs on the interpreter
 * and the JIT, verified and checked: maps, queue/stack, tail calls (the 33-call limit),
 * time, trace_printk (the kernel's format rules and trace_pipe line), snprintf, ring buffers,
 * perf events, current task, bpf_loop, for_each_map_elem, strtol/strtoul, spin locks, and
 * the prototype table. */
#define _GNU_SOURCE
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "bpfvm/asm.h"
#include "bpfvm/helpers.h"
#include "bpfvm/map.h"
#include "bpfvm/vm.h"
#include "core/vm_internal.h"
#include "helpers/helpers.h"

static struct bpfvm_vm *vm;

/* ---------------------------------------------------------------- running programs */

static const enum bpfvm_engine engines[] = {BPFVM_ENGINE_INTERP, BPFVM_ENGINE_JIT};
static const char *engine_name(enum bpfvm_engine e) { return e == BPFVM_ENGINE_JIT ? "jit" : "interp"; }

struct run {
    struct bpfvm_map *const *maps;
    size_t nmaps;
    bool checked;
    enum bpfvm_engine engine;
    uint32_t slot;
    void *mem;
    size_t mem_size;
    uint64_t args[5];
};

static struct bpfvm_prog *load(const char *text, struct bpfvm_map *const *maps, size_t nmaps,
                               bool checked)
{
    return test_load_asm(vm, text, maps, nmaps, checked ? BPFVM_LOAD_CHECKED : 0);
}

/* Run `text`; returns the exec return code, r0 in *ret. */
static int run_prog(const char *text, const struct run *r, uint64_t *ret)
{
    struct bpfvm_prog *p = load(text, r->maps, r->nmaps, r->checked);
    if (!p)
        return -999;
    char err[256] = "";
    struct bpfvm_exec_opts o = {.sz = sizeof(o), .engine = r->engine, .slot = r->slot,
                                .mem = r->mem, .mem_size = r->mem_size, .mem_writable = true,
                                .errbuf = err, .errbuf_len = sizeof(err)};
    memcpy(o.args, r->args, sizeof(o.args));
    *ret = 0;
    int rc = bpfvm_prog_exec(p, &o, ret);
    if (rc)
        fprintf(stderr, "  (exec %s%s: %d %s)\n", engine_name(r->engine),
                r->checked ? " checked" : "", rc, err);
    
    bpfvm_prog_free(p);
    return rc;
}

/* r0 of `text` on every engine and mode; all must agree with `want`. */
#define EXPECT_R0(text, M_, N_, want)                                                    \
    do {                                                                                      \
        for (int e_ = 0; e_ < 2; e_++)                                                        \
            for (int c_ = 0; c_ < 2; c_++) {                                                  \
                struct run r_ = {.maps = (M_), .nmaps = (N_), .checked = c_,             \
                                 .engine = engines[e_], .slot = 3};                           \
                uint64_t v_ = 0;                                                              \
                int rc_ = run_prog((text), &r_, &v_);                                         \
                CHECKF(rc_ == 0 && v_ == (uint64_t)(want),                                    \
                       "%s%s: rc %d r0 0x%llx want 0x%llx", engine_name(engines[e_]),         \
                       c_ ? " checked" : "", rc_, (unsigned long long)v_,                     \
                       (unsigned long long)(uint64_t)(want));                                 \
            }                                                                                 \
    } while (0)

/* Only in checked mode (programs a verifier would refuse). */
#define EXPECT_R0_CHECKED(text, M_, N_, want)                                            \
    do {                                                                                      \
        for (int e_ = 0; e_ < 2; e_++) {                                                      \
            struct run r_ = {.maps = (M_), .nmaps = (N_), .checked = true,               \
                             .engine = engines[e_], .slot = 3};                               \
            uint64_t v_ = 0;                                                                  \
            int rc_ = run_prog((text), &r_, &v_);                                             \
            CHECKF(rc_ == 0 && v_ == (uint64_t)(want), "%s checked: rc %d r0 0x%llx want 0x%llx", \
                   engine_name(engines[e_]), rc_, (unsigned long long)v_,                     \
                   (unsigned long long)(uint64_t)(want));                                     \
        }                                                                                     \
    } while (0)

static struct bpfvm_map *mkmap(enum bpfvm_map_type t, uint32_t ks, uint32_t vs, uint32_t n)
{
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .nr_slots = 4};
    struct bpfvm_map *m = NULL;
    int rc = bpfvm_map_create(t, "t", ks, vs, n, &o, &m);
    CHECKF(rc == 0, "map create type %d: %d", (int)t, rc);
    return m;
}

/* Append program text storing s (its NUL included, zero-padded to 8 bytes) at r10 + off. */
static void stack_str(char *out, size_t cap, const char *s, int off)
{
    size_t n = strlen(s) + 1, k = strlen(out);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        memcpy(&w, s + i, n - i < 8 ? n - i : 8);
        k += (size_t)snprintf(out + k, cap - k, "r1 = 0x%llx ll\n *(u64 *)(r10 - %d) = r1\n",
                              (unsigned long long)w, -(off + (int)i));
    }
}

/* ---------------------------------------------------------------- maps */

static void test_map_helpers(void)
{
    struct bpfvm_map *hash = mkmap(BPFVM_MAP_TYPE_HASH, 4, 8, 3);
    struct bpfvm_map *arr = mkmap(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4);
    struct bpfvm_map *pcpu = mkmap(BPFVM_MAP_TYPE_PERCPU_ARRAY, 4, 8, 2);
    struct bpfvm_map *maps[] = {hash, arr, pcpu};
    /* update, lookup and read the value, return it */
    const char *upd_lookup =
        "*(u32 *)(r10 - 4) = 7\n"
        "*(u64 *)(r10 - 16) = 0x1234\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 0\n call 2\n"
        "if r0 != 0 goto out\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n"
        "if r0 == 0 goto miss\n"
        "r1 = *(u64 *)(r0 + 0)\n r1 += 1\n *(u64 *)(r0 + 0) = r1\n r0 = *(u64 *)(r0 + 0)\n exit\n"
        "miss: r0 = -1\n exit\n"
        "out: exit\n";
    EXPECT_R0(upd_lookup, maps, 3, 0x1235);
    /* lookup miss, delete, delete missing, NOEXIST on existing, bad flags, full map */
    const char *errs =
        "*(u32 *)(r10 - 4) = 99\n *(u64 *)(r10 - 16) = 5\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n"
        "if r0 != 0 goto bad\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 3\n"      /* delete missing */
        "if r0 != -2 goto bad\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 7\n call 2\n"
        "if r0 != -22 goto bad\n"                                    /* bad flags */
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 1\n call 2\n"
        "if r0 != 0 goto bad\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 1\n call 2\n"
        "if r0 != -17 goto bad\n"                                    /* NOEXIST: EEXIST */
        "*(u32 *)(r10 - 4) = 100\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 0\n call 2\n"
        "if r0 != 0 goto bad\n"
        "*(u32 *)(r10 - 4) = 101\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 0\n call 2\n"
        "if r0 != -7 goto bad\n"                                     /* full: E2BIG */
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 2\n call 2\n"
        "if r0 != -2 goto bad\n"                                     /* EXIST on missing */
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 3\n"      /* delete 101: ENOENT */
        "if r0 != -2 goto bad\n"
        "*(u32 *)(r10 - 4) = 100\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 3\n"
        "if r0 != 0 goto bad\n"
        "*(u32 *)(r10 - 4) = 99\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 3\n"
        "if r0 != 0 goto bad\n"
        /* array: delete is EINVAL, index out of range E2BIG, NOEXIST EEXIST */
        "*(u32 *)(r10 - 4) = 1\n"
        "r1 = map[idx:1] ll\n r2 = r10\n r2 += -4\n call 3\n"
        "if r0 != -22 goto bad\n"
        "r1 = map[idx:1] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 1\n call 2\n"
        "if r0 != -17 goto bad\n"
        "*(u32 *)(r10 - 4) = 4\n"
        "r1 = map[idx:1] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 0\n call 2\n"
        "if r0 != -7 goto bad\n"
        "r1 = map[idx:1] ll\n r2 = r10\n r2 += -4\n call 1\n"
        "if r0 != 0 goto bad\n"
        "r0 = 0\n exit\n"
        "bad: r0 = 1\n exit\n";
    EXPECT_R0(errs, maps, 3, 0);
    /* per-CPU array: the program sees its slot's copy */
    const char *pc =
        "*(u32 *)(r10 - 4) = 1\n *(u64 *)(r10 - 16) = 77\n"
        "r1 = map[idx:2] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 0\n call 2\n"
        "r1 = map[idx:2] ll\n r2 = r10\n r2 += -4\n call 1\n"
        "if r0 == 0 goto miss\n r0 = *(u64 *)(r0 + 0)\n exit\n miss: r0 = -1\n exit\n";
    EXPECT_R0(pc, maps, 3, 77);
    uint64_t vals[4] = {0};
    uint32_t k1 = 1;
    CHECK_EQ_U64(bpfvm_map_lookup_elem(pcpu, &k1, vals), 0);
    CHECK_EQ_U64(vals[3], 77); /* slot 3 */
    CHECK_EQ_U64(vals[0], 0);
    /* map_lookup_percpu_elem: slot 3 has 77, slot 9 does not exist */
    const char *pce =
        "*(u32 *)(r10 - 4) = 1\n"
        "r1 = map[idx:2] ll\n r2 = r10\n r2 += -4\n r3 = 9\n call 195\n if r0 != 0 goto bad\n"
        "r1 = map[idx:2] ll\n r2 = r10\n r2 += -4\n r3 = 3\n call 195\n if r0 == 0 goto bad\n"
        "r0 = *(u64 *)(r0 + 0)\n exit\n bad: r0 = -1\n exit\n";
    EXPECT_R0(pce, maps, 3, 77);
    /* checked runs: bad key / value pointers and things that are not the program's maps */
    const char *badptr =
        "r1 = map[idx:0] ll\n r2 = 0x1000\n call 1\n if r0 != 0 goto bad\n"
        "*(u32 *)(r10 - 4) = 1\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = 0x1000\n r4 = 0\n call 2\n"
        "if r0 != -14 goto bad\n"
        "r1 = map[idx:0] ll\n r2 = 0x1000\n call 3\n if r0 != -14 goto bad\n"
        "r1 = 0x12345678\n r2 = r10\n r2 += -4\n call 1\n if r0 != 0 goto bad\n"
        "r1 = r10\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -4\n r4 = 0\n call 2\n"
        "if r0 != -22 goto bad\n"
        "r0 = 0\n exit\n bad: r0 = 1\n exit\n";
    EXPECT_R0_CHECKED(badptr, maps, 3, 0);
    /* a checked run may not use a value pointer past the value */
    struct run r = {.maps = maps, .nmaps = 3, .checked = true, .engine = BPFVM_ENGINE_INTERP};
    uint64_t v;
    CHECK_EQ_U64(run_prog("*(u32 *)(r10 - 4) = 0\n r1 = map[idx:1] ll\n r2 = r10\n r2 += -4\n"
                          "call 1\n if r0 == 0 goto out\n r0 = *(u64 *)(r0 + 8)\n out: exit\n",
                          &r, &v),
                 (uint64_t)-EFAULT);
    for (int i = 0; i < 3; i++)
        bpfvm_map_free(maps[i]);
}

static void test_map_in_map(void)
{
    struct bpfvm_map *inner = mkmap(BPFVM_MAP_TYPE_ARRAY, 4, 8, 2);
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .inner_map = inner};
    struct bpfvm_map *outer = NULL;
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY_OF_MAPS, "o", 4, 4, 2, &o, &outer), 0);
    uint32_t k = 1;
    uint64_t val = 4242;
    CHECK_EQ_U64(bpfvm_map_update_ptr(outer, &k, inner, 0), 0);
    CHECK_EQ_U64(bpfvm_map_update_elem(inner, &k, &val, 0), 0);
    struct bpfvm_map *maps[] = {outer};
    /* outer lookup gives the inner map, usable as a map argument in checked runs too */
    const char *text =
        "*(u32 *)(r10 - 4) = 1\n"
        "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n if r0 == 0 goto bad\n"
        "r1 = r0\n r2 = r10\n r2 += -4\n call 1\n if r0 == 0 goto bad\n"
        "r0 = *(u64 *)(r0 + 0)\n exit\n bad: r0 = -1\n exit\n";
    EXPECT_R0(text, maps, 1, 4242);
    bpfvm_map_free(outer);
    bpfvm_map_free(inner);
}

static void test_queue_stack(void)
{
    struct bpfvm_map *q = mkmap(BPFVM_MAP_TYPE_QUEUE, 0, 8, 2);
    struct bpfvm_map *s = mkmap(BPFVM_MAP_TYPE_STACK, 0, 8, 2);
    struct bpfvm_map *h = mkmap(BPFVM_MAP_TYPE_HASH, 4, 8, 2);
    struct bpfvm_map *maps[] = {q, s, h};
    /* queue: push 1, 2; full; BPF_EXIST overwrites the oldest; peek; pop order 2, 3; empty */
    const char *text =
        "*(u64 *)(r10 - 8) = 1\n r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -8\n r3 = 0\n call 87\n"
        "if r0 != 0 goto bad\n"
        "*(u64 *)(r10 - 8) = 2\n r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -8\n r3 = 0\n call 87\n"
        "if r0 != 0 goto bad\n"
        "*(u64 *)(r10 - 8) = 3\n r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -8\n r3 = 0\n call 87\n"
        "if r0 != -7 goto bad\n"
        "r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -8\n r3 = 2\n call 87\n"
        "if r0 != 0 goto bad\n"
        "r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -16\n call 89\n if r0 != 0 goto bad\n"
        "r6 = *(u64 *)(r10 - 16)\n"
        "r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -16\n call 88\n if r0 != 0 goto bad\n"
        "r7 = *(u64 *)(r10 - 16)\n"
        "r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -16\n call 88\n if r0 != 0 goto bad\n"
        "r8 = *(u64 *)(r10 - 16)\n"
        "r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -16\n call 88\n if r0 != -2 goto bad\n"
        "r1 = map[idx:MAP] ll\n r2 = r10\n r2 += -16\n call 89\n if r0 != -2 goto bad\n"
        /* push/pop on a hash map: EINVAL */
        "r1 = map[idx:2] ll\n r2 = r10\n r2 += -16\n call 88\n if r0 != -22 goto bad\n"
        "r0 = r6\n r0 <<= 8\n r0 |= r7\n r0 <<= 8\n r0 |= r8\n exit\n"
        "bad: r0 = -1\n exit\n";
    char buf[4096];
    /* queue: peek 2, pop 2, pop 3 ; stack: peek 3, pop 3, pop 2 */
    struct { const char *idx; uint64_t want; } cases[] = {{"0", 0x020203}, {"1", 0x030302}};
    for (int i = 0; i < 2; i++) {
        const char *src = text;
        size_t k = 0;
        while (*src && k < sizeof(buf) - 2) {
            if (!strncmp(src, "MAP", 3)) {
                buf[k++] = cases[i].idx[0];
                src += 3;
            } else {
                buf[k++] = *src++;
            }
        }
        buf[k] = 0;
        EXPECT_R0(buf, maps, 3, cases[i].want);
    }
    const char *badptr =
        "r1 = map[idx:0] ll\n r2 = 0x1000\n r3 = 0\n call 87\n if r0 != -14 goto bad\n"
        "r1 = map[idx:0] ll\n r2 = 0x1000\n call 88\n if r0 != -14 goto bad\n"
        "r0 = 0\n exit\n bad: r0 = 1\n exit\n";
    EXPECT_R0_CHECKED(badptr, maps, 3, 0);
    for (int i = 0; i < 3; i++)
        bpfvm_map_free(maps[i]);
}

/* ---------------------------------------------------------------- tail calls */

static void test_tail_call(void)
{
    struct bpfvm_map *pa = mkmap(BPFVM_MAP_TYPE_PROG_ARRAY, 4, 4, 4);
    struct bpfvm_map *cnt = mkmap(BPFVM_MAP_TYPE_ARRAY, 4, 8, 1);
    CHECK_EQ_U64(bpfvm_prog_array_init(pa), 0);
    CHECK_EQ_U64(bpfvm_prog_array_init(cnt), (uint64_t)-EINVAL);
    struct bpfvm_map *maps[] = {pa, cnt};
    for (int c = 0; c < 2; c++) {
        /* index 1: returns r1 + 42 (r1 = the context is kept) */
        struct bpfvm_prog *b = load("r0 = r1\n r0 += 42\n exit\n", maps, 2, c);
        /* index 2: counts its runs and tail-calls itself */
        struct bpfvm_prog *self = load(
            "r6 = r1\n *(u32 *)(r10 - 4) = 0\n"
            "r1 = map[idx:1] ll\n r2 = r10\n r2 += -4\n call 1\n if r0 == 0 goto out\n"
            "r1 = 1\n lock *(u64 *)(r0 + 0) += r1\n"
            "r1 = r6\n r2 = map[idx:0] ll\n r3 = 2\n call 12\n exit\n"
            "out: r0 = -1\n exit\n", maps, 2, c);
        if (!b || !self)
            return;
        uint32_t k = 1;
        CHECK_EQ_U64(bpfvm_map_update_ptr(pa, &k, b, 0), 0);
        k = 2;
        CHECK_EQ_U64(bpfvm_map_update_ptr(pa, &k, self, 0), 0);
        uint32_t id = 0;
        k = 1;
        CHECK_EQ_U64(bpfvm_map_lookup_elem(pa, &k, &id), 0);
        CHECK(id != 0);
        for (int e = 0; e < 2; e++) {
            struct run r = {.maps = maps, .nmaps = 2, .checked = c, .engine = engines[e],
                            .args = {1000}};
            uint64_t v = 0;
            /* a successful tail call never returns */
            CHECK_EQ_U64(run_prog("r2 = map[idx:0] ll\n r3 = 1\n call 12\n r0 = 7\n exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, 1042);
            /* empty slot and index out of range: the program goes on with -ENOENT */
            CHECK_EQ_U64(run_prog("r2 = map[idx:0] ll\n r3 = 0\n call 12\n exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, (uint64_t)-ENOENT);
            CHECK_EQ_U64(run_prog("r2 = map[idx:0] ll\n r3 = 4\n call 12\n exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, (uint64_t)-ENOENT);
            /* not a prog array */
            CHECK_EQ_U64(run_prog("r2 = map[idx:1] ll\n r3 = 0\n call 12\n exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, (uint64_t)-EINVAL);
            /* the chain limit: 1 run + 33 tail calls, then -E2BIG */
            uint32_t z = 0;
            uint64_t zero = 0, runs = 0;
            bpfvm_map_update_elem(cnt, &z, &zero, 0);
            CHECK_EQ_U64(run_prog("r2 = map[idx:0] ll\n r3 = 2\n call 12\n exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, (uint64_t)-E2BIG);
            bpfvm_map_lookup_elem(cnt, &z, &runs);
            CHECKF(runs == 33, "%s%s: %llu runs of the self-calling program (want 33)",
                   engine_name(engines[e]), c ? " checked" : "", (unsigned long long)runs);
        }
        k = 1;
        bpfvm_map_delete_elem(pa, &k);
        k = 2;
        bpfvm_map_delete_elem(pa, &k);
        bpfvm_prog_free(b);
        bpfvm_prog_free(self);
    }
    bpfvm_map_free(pa);
    bpfvm_map_free(cnt);
}

/* ---------------------------------------------------------------- time, cpu, task */

static uint64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_time_task(void)
{
    for (int e = 0; e < 2; e++) {
        struct run r = {.engine = engines[e], .slot = 3};
        uint64_t v = 0;
        uint64_t t0 = now_ns(CLOCK_MONOTONIC);
        CHECK_EQ_U64(run_prog("call 5\n exit\n", &r, &v), 0);
        uint64_t t1 = now_ns(CLOCK_MONOTONIC);
        CHECK(v >= t0 && v <= t1);
        t0 = now_ns(CLOCK_BOOTTIME);
        CHECK_EQ_U64(run_prog("call 125\n exit\n", &r, &v), 0);
        CHECK(v >= t0 && v <= now_ns(CLOCK_BOOTTIME));
        CHECK_EQ_U64(run_prog("call 160\n exit\n", &r, &v), 0);
        CHECK(v > 0 && v <= now_ns(CLOCK_MONOTONIC));
        CHECK_EQ_U64(run_prog("call 208\n exit\n", &r, &v), 0);
        CHECK(v > now_ns(CLOCK_REALTIME) - 60000000000ull);
        CHECK_EQ_U64(run_prog("call 118\n exit\n", &r, &v), 0);
        CHECK(v >= 0xfffb6c20ull); /* INITIAL_JIFFIES at HZ=1000 */
        CHECK_EQ_U64(run_prog("call 7\n r6 = r0\n call 7\n r0 ^= r6\n exit\n", &r, &v), 0);
        CHECK(v != 0 && v <= 0xffffffffull);
        CHECK_EQ_U64(run_prog("call 8\n exit\n", &r, &v), 0);
        CHECK_EQ_U64(v, 3);
        CHECK_EQ_U64(run_prog("call 42\n exit\n", &r, &v), 0);
        CHECK(v < 1024);
        CHECK_EQ_U64(run_prog("call 14\n exit\n", &r, &v), 0);
        CHECK_EQ_U64(v, (uint64_t)getpid() << 32 | (uint32_t)gettid());
        CHECK_EQ_U64(run_prog("call 15\n exit\n", &r, &v), 0);
        CHECK_EQ_U64(v, (uint64_t)getgid() << 32 | getuid());
    }
    char old[17] = "";
    prctl(PR_GET_NAME, old);
    prctl(PR_SET_NAME, "helpertest");
    char mem[32];
    for (int e = 0; e < 2; e++)
        for (int c = 0; c < 2; c++) {
            memset(mem, 'x', sizeof(mem));
            struct run r = {.engine = engines[e], .checked = c, .mem = mem,
                            .mem_size = sizeof(mem), .args = {(uintptr_t)mem}};
            uint64_t v = 1;
            CHECK_EQ_U64(run_prog("r2 = 16\n call 16\n exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, 0);
            CHECK(!memcmp(mem, "helpertest\0\0\0\0\0\0xx", 18));
            CHECK_EQ_U64(run_prog("r2 = 4\n call 16\n exit\n", &r, &v), 0);
            CHECK(!memcmp(mem, "hel\0ert", 7));
            if (c) {
                CHECK_EQ_U64(run_prog("r1 = 0x1000\n r2 = 4\n call 16\n exit\n", &r, &v), 0);
                CHECK_EQ_U64(v, (uint64_t)-EFAULT);
                CHECK_EQ_U64(run_prog("r2 = 33\n call 16\n exit\n", &r, &v), 0);
                CHECK_EQ_U64(v, (uint64_t)-EFAULT);
            }
        }
    prctl(PR_SET_NAME, old);
}

/* ---------------------------------------------------------------- printf rules */

static struct bpfvm_exec fake_ex; /* an unchecked run for direct calls */

static int fmt(const char *f, uint64_t a1, uint64_t a2, uint64_t a3, char *out, size_t cap)
{
    uint64_t args[3] = {a1, a2, a3};
    return helpers_bprintf(&fake_ex, f, args, 3, out, cap);
}

#define CHECK_FMT(f, a1, a2, a3, want)                                                        \
    do {                                                                                      \
        char o_[1100];                                                                        \
        int n_ = fmt(f, a1, a2, a3, o_, sizeof(o_));                                          \
        CHECKF(n_ == (int)strlen(want) && !strcmp(o_, want), "format \"%s\": %d \"%s\"", f,    \
               n_, n_ >= 0 ? o_ : "");                                                        \
    } while (0)
#define CHECK_FMT_ERR(f, a1, a2, a3, err)                                                     \
    do {                                                                                      \
        char o_[64];                                                                          \
        int n_ = fmt(f, a1, a2, a3, o_, sizeof(o_));                                          \
        CHECKF(n_ == (err), "format \"%s\": %d, want %d", f, n_, err);                        \
    } while (0)

static void test_bprintf_rules(void)
{
    static char str[] = "hello";
    static uint8_t ip4[4] = {10, 0, 1, 254};
    static uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    uint64_t sp = (uintptr_t)str;
    CHECK_FMT("plain", 0, 0, 0, "plain");
    CHECK_FMT("%d %i %u", (uint64_t)-5, 0x100000007ull, (uint64_t)-1, "-5 7 4294967295");
    CHECK_FMT("%x %X %lx", 0xabcdef12345ull, 0xabcull, 0xabcdef12345ull, "def12345 ABC abcdef12345");
    CHECK_FMT("%ld %lld %llu", (uint64_t)-5, (uint64_t)INT64_MIN, (uint64_t)-1,
              "-5 -9223372036854775808 18446744073709551615");
    CHECK_FMT("[%5d|%-5d|%05d]", 42, 42, (uint64_t)-42, "[   42|42   |-0042]");
    CHECK_FMT("[%+d|% d|%+u]", 42, 42, 42, "[+42| 42|42]");
    CHECK_FMT("%%%d%%", 1, 0, 0, "%1%");
    CHECK_FMT("%s!", sp, 0, 0, "hello!");
    CHECK_FMT("[%8s|%-8s]", sp, sp, 0, "[   hello|hello   ]");
    CHECK_FMT("%c%c%c", 'a', 'b' | 0x100, 'c', "abc");
    CHECK_FMT("%s.", 0x1000, 0, 0, ".");               /* unreadable: "" */
    CHECK_FMT("%s", 0, 0, 0, "");
    CHECK_FMT("%pks %pus", sp, sp, 0, "hello hello");
    CHECK_FMT("%pI4 %pi4", (uintptr_t)ip4, (uintptr_t)ip4, 0, "10.0.1.254 010.000.001.254");
    CHECK_FMT("%pI6", (uintptr_t)ip6, 0, 0, "2001:0db8:0000:0000:0000:0000:0000:0001");
    CHECK_FMT("%pi6", (uintptr_t)ip6, 0, 0, "20010db8000000000000000000000001");
    CHECK_FMT("%pI4", 0x1000, 0, 0, "0.0.0.0");
    CHECK_FMT("%pI6c.", (uintptr_t)ip6, 0, 0, "2001:0db8:0000:0000:0000:0000:0000:0001.");
    CHECK_FMT("%px", 0x1234, 0, 0, "0000000000001234");
    CHECK_FMT("%p %pK", 0, 0, 0, "0000000000000000 0000000000000000");
    CHECK_FMT("%ps %pS %pB", 0xffffffff81000000ull, 0x10, 0xabc, "0xffffffff81000000 0x10 0xabc");
    CHECK_FMT("%pxyz!", 0x1, 0, 0, "0000000000000001!");
    CHECK_FMT("tab\there\n", 0, 0, 0, "tab\there\n");
    {
        char o[64];
        CHECK_EQ_U64(fmt("%p", 0x123456, 0, 0, o, sizeof(o)), 16);
        CHECK(!strncmp(o, "00000000", 8));
        CHECK(strcmp(o, "0000000000123456") != 0); /* hashed */
        char o2[64];
        fmt("%p", 0x123456, 0, 0, o2, sizeof(o2));
        CHECK_STR(o, o2); /* the same pointer hashes the same */
        /* truncation: the return is the full length */
        CHECK_EQ_U64(fmt("%s world", sp, 0, 0, o, 6), 11);
        CHECK_STR(o, "hello");
        CHECK_EQ_U64(fmt("abc", 0, 0, 0, o, 0), 3);
        /* a NUL from %c is part of the text */
        CHECK_EQ_U64(fmt("a%cb", 0, 0, 0, o, sizeof(o)), 3);
        CHECK(o[0] == 'a' && o[1] == 0 && o[2] == 'b');
    }
    CHECK_FMT_ERR("%d %d %d %d", 1, 2, 3, -EINVAL);
    CHECK_FMT_ERR("%q", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%.2d", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%*d", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%#x", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%hd", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%lc", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%lld%llld", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%z", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("end%", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%sx", sp, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%pa", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%pI5", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("%pks1", sp, 0, 0, -EINVAL);
    CHECK_FMT_ERR("bell\a", 0, 0, 0, -EINVAL);
    CHECK_FMT_ERR("caf\xc3\xa9", 0, 0, 0, -EINVAL);
    /* the 512-byte argument buffer: a long string fills it, the next argument finds none */
    {
        static char big[700];
        memset(big, 'z', sizeof(big) - 1);
        char o[1100];
        CHECK_EQ_U64(fmt("%s", (uintptr_t)big, 0, 0, o, sizeof(o)), 511);
        CHECK_EQ_U64(fmt("%s %d", (uintptr_t)big, 1, 0, o, sizeof(o)), (uint64_t)-ENOSPC);
        CHECK_EQ_U64(fmt("%s%c", (uintptr_t)big, 'x', 0, o, sizeof(o)), (uint64_t)-ENOSPC);
        CHECK_EQ_U64(fmt("%d%s", 1, (uintptr_t)big, 0, o, sizeof(o)), 1 + 507);
    }
    /* 12 arguments for snprintf, 13 conversions refused */
    {
        uint64_t a[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        char o[64];
        CHECK_EQ_U64(helpers_bprintf(&fake_ex, "%d%d%d%d%d%d%d%d%d%d%d%d", a, 12, o, sizeof(o)), 15);
        CHECK_STR(o, "123456789101112");
        CHECK_EQ_U64(helpers_bprintf(&fake_ex, "%d%d%d%d%d%d%d%d%d%d%d%d%d", a, 12, o, sizeof(o)),
                     (uint64_t)-EINVAL);
    }
}

/* ---------------------------------------------------------------- trace_printk and snprintf */

static char trace_lines[8][1200];
static int trace_cnt;

static void sink(const char *line, size_t len, void *user)
{
    (void)user;
    if (trace_cnt < 8) {
        memcpy(trace_lines[trace_cnt], line, len < 1199 ? len : 1199);
        trace_lines[trace_cnt][len < 1199 ? len : 1199] = 0;
    }
    trace_cnt++;
}

/* "<comm %16s>-<tid %-7d> [<cpu %03d>] ..... <sec %5lu>.<usec %06lu>: bpf_trace_printk: msg\n" */
static bool trace_line_ok(const char *line, const char *comm, unsigned cpu, const char *msg)
{
    char head[64];
    snprintf(head, sizeof(head), "%16s-%-7d [%03u] ..... ", comm, (int)gettid(), cpu);
    size_t hl = strlen(head);
    if (strncmp(line, head, hl))
        return false;
    const char *p = line + hl;
    while (*p == ' ')
        p++;
    const char *dot = strchr(p, '.');
    if (!dot || dot == p)
        return false;
    for (const char *q = p; q < dot; q++)
        if (*q < '0' || *q > '9')
            return false;
    for (int i = 1; i <= 6; i++)
        if (dot[i] < '0' || dot[i] > '9')
            return false;
    if (strncmp(dot + 7, ": bpf_trace_printk: ", 20))
        return false;
    const char *m = dot + 27;
    size_t ml = strlen(msg);
    return !strncmp(m, msg, ml) && m[ml] == '\n' && m[ml + 1] == 0;
}

static void test_trace_printk(void)
{
    CHECK_EQ_U64(bpfvm_vm_set_trace_sink(vm, sink, NULL), 0);
    char old[17] = "";
    prctl(PR_GET_NAME, old);
    prctl(PR_SET_NAME, "tracer");
    /* trace_printk("n=%d s=%s\n", 12, 7, "hey") */
    char text[1024] = "";
    stack_str(text, sizeof(text), "n=%d s=%s\n", -16);
    stack_str(text, sizeof(text), "hey", -24);
    strcat(text, "r1 = r10\n r1 += -16\n r2 = 12\n r3 = 7\n r4 = r10\n r4 += -24\n call 6\n exit\n");
    for (int e = 0; e < 2; e++)
        for (int c = 0; c < 2; c++) {
            trace_cnt = 0;
            struct run r = {.engine = engines[e], .checked = c, .slot = 5};
            uint64_t v = 0;
            CHECK_EQ_U64(run_prog(text, &r, &v), 0);
            CHECK_EQ_U64(v, 10); /* "n=7 s=hey\n" */
            CHECK_EQ_U64(trace_cnt, 1);
            CHECKF(trace_line_ok(trace_lines[0], "tracer", 5, "n=7 s=hey\n"), "line \"%s\"",
                   trace_lines[0]);
        }
    /* errors print nothing: 4 conversions; no NUL within fmt_size; %s of a bad pointer */
    const char *bad =
        "r1 = 0x64256425 ll\n *(u64 *)(r10 - 16) = r1\n"     /* "%d%d%d%d" */
        "r1 = 0x6425642564256425 ll\n *(u64 *)(r10 - 16) = r1\n *(u64 *)(r10 - 8) = 0\n"
        "r1 = r10\n r1 += -16\n r2 = 16\n call 6\n if r0 != -22 goto bad\n"
        "r1 = r10\n r1 += -16\n r2 = 8\n call 6\n if r0 != -22 goto bad\n"
        "r1 = 0x7325 ll\n *(u64 *)(r10 - 16) = r1\n"       /* "%s" */
        "r1 = r10\n r1 += -16\n r2 = 8\n r3 = 0x1000\n call 6\n if r0 != 0 goto bad\n"
        "r0 = 0\n exit\n bad: r0 = 1\n exit\n";
    trace_cnt = 0;
    EXPECT_R0(bad, NULL, 0, 0);
    CHECK_EQ_U64(trace_cnt, 4); /* the 4 "%s" calls printed an empty message */
    CHECKF(trace_line_ok(trace_lines[0], "tracer", 3, ""), "line \"%s\"", trace_lines[0]);
    /* checked: fmt outside the program's memory */
    EXPECT_R0_CHECKED("r1 = 0x1000\n r2 = 8\n call 6\n exit\n", NULL, 0, (uint64_t)-EFAULT);
    /* a long message is cut at 1023 bytes, the return value is the full length */
    {
        static char big[2000];
        memset(big, 'a', sizeof(big) - 1);
        /* a 1500-byte string in %s is cut to 511 by the argument buffer; %1500d pads */
        trace_cnt = 0;
        struct run r = {.engine = BPFVM_ENGINE_INTERP, .slot = 0};
        uint64_t v = 0;
        CHECK_EQ_U64(run_prog("r1 = 0x64303035312520 ll\n *(u64 *)(r10 - 8) = r1\n"  /* " %1500d" */
                              "r1 = r10\n r1 += -8\n r2 = 8\n r3 = 1\n call 6\n exit\n", &r, &v), 0);
        CHECK_EQ_U64(v, 1501);
        CHECK_EQ_U64(strlen(trace_lines[0]) - (strstr(trace_lines[0], "printk: ") + 8 - trace_lines[0]), 1024);
    }
    /* without a sink: the log callback */
    CHECK_EQ_U64(bpfvm_vm_set_trace_sink(vm, NULL, NULL), 0);
    trace_cnt = 0;
    struct run r = {.engine = BPFVM_ENGINE_INTERP};
    uint64_t v;
    CHECK_EQ_U64(run_prog("*(u64 *)(r10 - 8) = 0x6968\n r1 = r10\n r1 += -8\n r2 = 8\n call 6\n exit\n", &r, &v), 0);
    CHECK_EQ_U64(v, 2);
    CHECK_EQ_U64(trace_cnt, 0);
    prctl(PR_SET_NAME, old);
}

static void test_snprintf(void)
{
    /* snprintf(mem, SIZE, "%d-%s|", {42, "ab"}, LEN) */
    char mem[64];
    char pre[512] = "r6 = r1\n";
    stack_str(pre, sizeof(pre), "%d-%s|", -8);
    stack_str(pre, sizeof(pre), "ab", -16);
    strcat(pre, "*(u64 *)(r10 - 32) = 42\n r1 = r10\n r1 += -16\n *(u64 *)(r10 - 24) = r1\n"
                "r1 = r6\n r3 = r10\n r3 += -8\n r4 = r10\n r4 += -32\n");
    char prog[1024];
#define SNPRINTF_PROG(tail) (snprintf(prog, sizeof(prog), "%s%s call 165\n exit\n", pre, tail), prog)
    for (int e = 0; e < 2; e++)
        for (int c = 0; c < 2; c++) {
            memset(mem, 'x', sizeof(mem));
            struct run r = {.engine = engines[e], .checked = c, .mem = mem,
                            .mem_size = sizeof(mem), .args = {(uintptr_t)mem}};
            uint64_t v = 0;
            CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r2 = 32\n r5 = 16\n"), &r, &v), 0);
            CHECK_EQ_U64(v, 7);
            CHECK_STR(mem, "42-ab|");
            /* truncation: str_size 3 */
            memset(mem, 'x', sizeof(mem));
            CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r2 = 3\n r5 = 16\n"), &r, &v), 0);
            CHECK_EQ_U64(v, 7);
            CHECK(!memcmp(mem, "42\0x", 4));
            /* str_size 0 writes nothing */
            memset(mem, 'x', sizeof(mem));
            CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r1 = 0\n r2 = 0\n r5 = 16\n"), &r, &v), 0);
            CHECK_EQ_U64(v, 7);
            CHECK(mem[0] == 'x');
            /* data_len not a multiple of 8, more than 12 args, data NULL, too few args */
            CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r2 = 32\n r5 = 12\n"), &r, &v), 0);
            CHECK_EQ_U64(v, (uint64_t)-EINVAL);
            CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r2 = 32\n r5 = 104\n"), &r, &v), 0);
            CHECK_EQ_U64(v, (uint64_t)-EINVAL);
            CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r2 = 32\n r4 = 0\n r5 = 8\n"), &r, &v), 0);
            CHECK_EQ_U64(v, (uint64_t)-EINVAL);
            CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r2 = 32\n r5 = 8\n"), &r, &v), 0);
            CHECK_EQ_U64(v, (uint64_t)-EINVAL);
            if (c) {
                /* checked: output buffer outside the program's memory, data too long */
                CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r1 = 0x1000\n r2 = 32\n r5 = 16\n"), &r, &v), 0);
                CHECK_EQ_U64(v, (uint64_t)-EFAULT);
                CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r2 = 65\n r5 = 16\n"), &r, &v), 0);
                CHECK_EQ_U64(v, (uint64_t)-EFAULT);
                CHECK_EQ_U64(run_prog(SNPRINTF_PROG("r3 = 0x1000\n r2 = 32\n r5 = 16\n"), &r, &v), 0);
                CHECK_EQ_U64(v, (uint64_t)-EINVAL);
            }
        }
#undef SNPRINTF_PROG
}

/* ---------------------------------------------------------------- ring buffer, perf */

struct rb_seen {
    int n;
    uint64_t first;
    size_t size;
};

static int rb_sample(void *ctx, void *data, size_t size)
{
    struct rb_seen *s = ctx;
    if (!s->n++) {
        memcpy(&s->first, data, size < 8 ? size : 8);
        s->size = size;
    }
    return 0;
}

static void test_ringbuf(void)
{
    struct bpfvm_map *rb = mkmap(BPFVM_MAP_TYPE_RINGBUF, 0, 0, 4096);
    struct bpfvm_map *arr = mkmap(BPFVM_MAP_TYPE_ARRAY, 4, 8, 1);
    struct bpfvm_map *maps[] = {rb, arr};
    for (int e = 0; e < 2; e++)
        for (int c = 0; c < 2; c++) {
            struct run r = {.maps = maps, .nmaps = 2, .engine = engines[e], .checked = c};
            uint64_t v = 0;
            struct rb_seen s = {0};
            /* reserve, write, submit */
            CHECK_EQ_U64(run_prog("r1 = map[idx:0] ll\n r2 = 16\n r3 = 0\n call 131\n"
                                  "if r0 == 0 goto out\n r1 = 0x1122 ll\n *(u64 *)(r0 + 0) = r1\n"
                                  "*(u64 *)(r0 + 8) = 0\n r1 = r0\n r2 = 0\n call 132\n r0 = 1\n"
                                  "out: exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, 1);
            CHECK_EQ_U64(bpfvm_ringbuf_consume(rb, rb_sample, &s), 1);
            CHECK_EQ_U64(s.first, 0x1122);
            CHECK_EQ_U64(s.size, 16);
            /* discard: nothing delivered */
            CHECK_EQ_U64(run_prog("r1 = map[idx:0] ll\n r2 = 8\n r3 = 0\n call 131\n"
                                  "if r0 == 0 goto out\n r1 = r0\n r2 = 0\n call 133\n r0 = 1\n"
                                  "out: exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, 1);
            s.n = 0;
            CHECK_EQ_U64(bpfvm_ringbuf_consume(rb, rb_sample, &s), 0);
            /* output, query */
            CHECK_EQ_U64(run_prog("*(u64 *)(r10 - 8) = 77\n r1 = map[idx:0] ll\n r2 = r10\n"
                                  "r2 += -8\n r3 = 8\n r4 = 0\n call 130\n if r0 != 0 goto out\n"
                                  "r1 = map[idx:0] ll\n r2 = 0\n call 134\n r6 = r0\n"
                                  "r1 = map[idx:0] ll\n r2 = 1\n call 134\n r0 <<= 16\n r0 |= r6\n"
                                  "out: exit\n", &r, &v), 0);
            CHECK_EQ_U64(v, (4096 << 16) | 16);
            s.n = 0;
            CHECK_EQ_U64(bpfvm_ringbuf_consume(rb, rb_sample, &s), 1);
            CHECK_EQ_U64(s.first, 77);
            /* errors: reserve with flags / too big, output flags, output full, wrong map */
            CHECK_EQ_U64(run_prog("r1 = map[idx:0] ll\n r2 = 8\n r3 = 1\n call 131\n if r0 != 0 goto bad\n"
                                  "r1 = map[idx:0] ll\n r2 = 8192\n r3 = 0\n call 131\n if r0 != 0 goto bad\n"
                                  "r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n r3 = 8\n r4 = 4\n call 130\n"
                                  "if r0 != -22 goto bad\n"
                                  "r1 = map[idx:0] ll\n r2 = r10\n r2 += -8\n r3 = 4090\n r4 = 0\n call 130\n"
                                  "if r0 != -11 goto bad\n"
                                  "r1 = map[idx:1] ll\n r2 = 8\n r3 = 0\n call 131\n if r0 != 0 goto bad\n"
                                  "r0 = 0\n exit\n bad: r0 = 1\n exit\n", &r, &v),
                         c ? 0 : 0);
            if (c) {
                CHECK_EQ_U64(v, 1); /* checked: the 4090-byte read goes past the stack: EFAULT */
            } else {
                CHECK_EQ_U64(v, 0);
            }
            bpfvm_ringbuf_consume(rb, rb_sample, &s);
        }
    /* checked: submit a pointer that is no record, submit twice, write after submit */
    EXPECT_R0_CHECKED("r1 = r10\n r1 += -8\n r2 = 0\n call 132\n exit\n", maps, 2, (uint64_t)-EINVAL);
    EXPECT_R0_CHECKED("r1 = map[idx:0] ll\n r2 = 8\n r3 = 0\n call 131\n if r0 == 0 goto out\n"
                      "r6 = r0\n *(u64 *)(r6 + 0) = 1\n r1 = r6\n r2 = 0\n call 132\n"
                      "r1 = r6\n r2 = 0\n call 133\n out: exit\n", maps, 2, (uint64_t)-EINVAL);
    struct run r = {.maps = maps, .nmaps = 2, .engine = BPFVM_ENGINE_INTERP, .checked = true};
    uint64_t v;
    CHECK_EQ_U64(run_prog("r1 = map[idx:0] ll\n r2 = 8\n r3 = 0\n call 131\n if r0 == 0 goto out\n"
                          "r6 = r0\n r1 = r6\n r2 = 0\n call 132\n *(u64 *)(r6 + 0) = 1\n"
                          "out: exit\n", &r, &v),
                 (uint64_t)-EFAULT);
    struct rb_seen s = {0};
    CHECK_EQ_U64(bpfvm_ringbuf_consume(rb, rb_sample, &s), 3);
    CHECK_EQ_U64(bpfvm_ringbuf_avail_data(rb), 0);
    bpfvm_map_free(rb);
    bpfvm_map_free(arr);
}

struct perf_seen {
    int n, cpu;
    uint64_t first;
};

static void perf_sample(void *ctx, int cpu, void *data, uint32_t size)
{
    struct perf_seen *s = ctx;
    if (!s->n++) {
        s->cpu = cpu;
        memcpy(&s->first, data, size < 8 ? size : 8);
    }
}

static void test_perf(void)
{
    struct bpfvm_map *pe = mkmap(BPFVM_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4);
    struct bpfvm_map *pe2 = mkmap(BPFVM_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4);
    struct bpfvm_map *maps[] = {pe, pe2};
    struct perf_seen s = {0};
    struct bpfvm_perf_buffer *pb = NULL;
    CHECK_EQ_U64(bpfvm_perf_buffer_new(pe, 1, perf_sample, NULL, &s, &pb), 0);
    const char *text =
        "*(u64 *)(r10 - 8) = 0x55\n r2 = map[idx:0] ll\n r3 = 0xffffffff ll\n r4 = r10\n"
        "r4 += -8\n r5 = 8\n call 25\n if r0 != 0 goto bad\n"
        "r2 = map[idx:0] ll\n r3 = 9\n r4 = r10\n r4 += -8\n r5 = 8\n call 25\n"
        "if r0 != -7 goto bad\n"
        "r2 = map[idx:0] ll\n r3 = 0x100000000 ll\n r4 = r10\n r4 += -8\n r5 = 8\n call 25\n"
        "if r0 != -22 goto bad\n"
        "r2 = map[idx:1] ll\n r3 = 1\n r4 = r10\n r4 += -8\n r5 = 8\n call 25\n"
        "if r0 != -2 goto bad\n"
        "r0 = 0\n exit\n bad: r0 = 1\n exit\n";
    for (int e = 0; e < 2; e++)
        for (int c = 0; c < 2; c++) {
            struct run r = {.maps = maps, .nmaps = 2, .engine = engines[e], .checked = c, .slot = 2};
            uint64_t v = 1;
            CHECK_EQ_U64(run_prog(text, &r, &v), 0);
            CHECK_EQ_U64(v, 0);
            s.n = 0;
            CHECK(bpfvm_perf_buffer_consume(pb) >= 0);
            CHECK_EQ_U64(s.n, 1);
            CHECK_EQ_U64(s.cpu, 2);
            CHECK_EQ_U64(s.first, 0x55);
        }
    EXPECT_R0_CHECKED("r2 = map[idx:0] ll\n r3 = 0\n r4 = 0x1000\n r5 = 8\n call 25\n exit\n",
                      maps, 2, (uint64_t)-EFAULT);
    bpfvm_perf_buffer_free(pb);
    bpfvm_map_free(pe);
    bpfvm_map_free(pe2);
}

/* ---------------------------------------------------------------- callbacks */

static void test_loop_for_each(void)
{
    /* bpf_loop(10, cb, &sum, 0): cb adds index to *ctx, stops at index 6 (returns 1) */
    const char *loop =
        "*(u64 *)(r10 - 8) = 0\n r1 = 10\n r2 = func[cb] ll\n r3 = r10\n r3 += -8\n r4 = 0\n"
        "call 181\n r6 = r0\n r0 = *(u64 *)(r10 - 8)\n r0 <<= 8\n r0 |= r6\n exit\n"
        "cb: r3 = *(u64 *)(r2 + 0)\n r3 += r1\n *(u64 *)(r2 + 0) = r3\n r0 = 0\n"
        "if r1 != 6 goto cont\n r0 = 1\n cont: exit\n";
    EXPECT_R0(loop, NULL, 0, ((0 + 1 + 2 + 3 + 4 + 5 + 6) << 8) | 7);
    EXPECT_R0("r1 = 0\n r2 = func[cb] ll\n r3 = 0\n r4 = 0\n call 181\n exit\n cb: r0 = 1\n exit\n",
              NULL, 0, 0);
    EXPECT_R0("r1 = 3\n r2 = func[cb] ll\n r3 = 0\n r4 = 1\n call 181\n exit\n cb: r0 = 1\n exit\n",
              NULL, 0, (uint64_t)-EINVAL);
    EXPECT_R0("r1 = 0x800001\n r2 = func[cb] ll\n r3 = 0\n r4 = 0\n call 181\n exit\n cb: r0 = 1\n exit\n",
              NULL, 0, (uint64_t)-E2BIG);
    /* nr_loops is a u32: the high half is ignored */
    EXPECT_R0("r1 = 0x100000003 ll\n r2 = func[cb] ll\n r3 = 0\n r4 = 0\n call 181\n exit\n"
              "cb: r0 = 0\n exit\n", NULL, 0, 3);
    /* a function pointer that is not one of the program's instructions */
    EXPECT_R0_CHECKED("r1 = 1\n r2 = r10\n r3 = 0\n r4 = 0\n call 181\n exit\n", NULL, 0,
                      (uint64_t)-EINVAL);

    /* for_each_map_elem over an array (sum of values), stopping, and a hash (count) */
    struct bpfvm_map *arr = mkmap(BPFVM_MAP_TYPE_ARRAY, 4, 8, 4);
    struct bpfvm_map *hash = mkmap(BPFVM_MAP_TYPE_HASH, 4, 8, 8);
    struct bpfvm_map *q = mkmap(BPFVM_MAP_TYPE_QUEUE, 0, 8, 8);
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t val = 10 * (i + 1);
        bpfvm_map_update_elem(arr, &i, &val, 0);
    }
    for (uint32_t i = 0; i < 3; i++) {
        uint32_t k = 100 + i;
        uint64_t val = 1;
        bpfvm_map_update_elem(hash, &k, &val, 0);
    }
    struct bpfvm_map *maps[] = {arr, hash, q};
    const char *sum =
        "*(u64 *)(r10 - 8) = 0\n r1 = map[idx:0] ll\n r2 = func[cb] ll\n r3 = r10\n r3 += -8\n"
        "r4 = 0\n call 164\n r6 = r0\n r0 = *(u64 *)(r10 - 8)\n r0 <<= 8\n r0 |= r6\n exit\n"
        "cb: r5 = *(u64 *)(r4 + 0)\n r0 = *(u64 *)(r3 + 0)\n r5 += r0\n *(u64 *)(r4 + 0) = r5\n"
        "r0 = *(u32 *)(r2 + 0)\n if r0 == 2 goto stop\n r0 = 0\n exit\n stop: r0 = 1\n exit\n";
    EXPECT_R0(sum, maps, 3, (60 << 8) | 3);
    const char *count =
        "r1 = map[idx:1] ll\n r2 = func[cb] ll\n r3 = 0\n r4 = 0\n call 164\n exit\n"
        "cb: r0 = 0\n exit\n";
    EXPECT_R0(count, maps, 3, 3);
    /* the callback deletes every element it visits */
    const char *del =
        "r1 = map[idx:1] ll\n r2 = func[cb] ll\n r3 = 0\n r4 = 0\n call 164\n exit\n"
        "cb: call 3\n r0 = 0\n exit\n";
    {
        struct run r = {.maps = maps, .nmaps = 3, .checked = true, .engine = BPFVM_ENGINE_INTERP};
        uint64_t v = 0;
        CHECK_EQ_U64(run_prog(del, &r, &v), 0);
        CHECK_EQ_U64(v, 3);
    }
    uint32_t nk;
    CHECK_EQ_U64(bpfvm_map_get_next_key(hash, NULL, &nk), (uint64_t)-ENOENT);
    EXPECT_R0("r1 = map[idx:0] ll\n r2 = func[cb] ll\n r3 = 0\n r4 = 1\n call 164\n exit\n"
              "cb: r0 = 0\n exit\n", maps, 3, (uint64_t)-EINVAL);
    EXPECT_R0("r1 = map[idx:2] ll\n r2 = func[cb] ll\n r3 = 0\n r4 = 0\n call 164\n exit\n"
              "cb: r0 = 0\n exit\n", maps, 3, (uint64_t)-EINVAL);
    for (int i = 0; i < 3; i++)
        bpfvm_map_free(maps[i]);
}

/* ---------------------------------------------------------------- strtol */

struct stx_case {
    const char *s;
    int len; /* -1: strlen */
    uint64_t flags;
    long want;        /* return value */
    int64_t value;    /* when want > 0 */
};

static void test_strtol(void)
{
    static const struct stx_case l[] = {
        {"123", -1, 10, 3, 123},
        {"  -45xyz", -1, 0, 5, -45},
        {"0x1f", -1, 0, 4, 31},
        {"0x1f", -1, 16, 4, 31},
        {"0X1F", -1, 16, 4, 31},
        {"1f", -1, 16, 2, 31},
        {"0x1f", -1, 10, 1, 0},
        {"0x", -1, 0, 1, 0},
        {"0xg", -1, 0, 1, 0},
        {"0x", -1, 16, -EINVAL, 0},
        {"0xg", -1, 16, -EINVAL, 0},
        {"077", -1, 0, 3, 63},
        {"089", -1, 0, 1, 0},
        {"089", -1, 8, 1, 0},
        {"9", -1, 8, -EINVAL, 0},
        {"+5", -1, 10, -EINVAL, 0},
        {"", 0, 10, -EINVAL, 0},
        {"   ", -1, 10, -EINVAL, 0},
        {"-", -1, 10, -EINVAL, 0},
        {"--1", -1, 10, -EINVAL, 0},
        {"- 1", -1, 10, -EINVAL, 0},
        {"12", -1, 2, -EINVAL, 0},
        {"12", -1, 10 | 0x20, -EINVAL, 0},
        {"12", -1, 36, -EINVAL, 0},
        {"12345", 3, 10, 3, 123},
        {"\t\n\v\f\r 7", -1, 10, 7, 7},
        {"\xa0" "7", -1, 10, 2, 7},
        {"9223372036854775807", -1, 10, 19, INT64_MAX},
        {"9223372036854775808", -1, 10, -ERANGE, 0},
        {"-9223372036854775808", -1, 10, 20, INT64_MIN},
        {"-9223372036854775809", -1, 10, -ERANGE, 0},
        {"99999999999999999999", -1, 10, -ERANGE, 0},
        {"0xffffffffffffffff", -1, 0, -ERANGE, 0},
        {"-0", -1, 10, 2, 0},
    };
    uint64_t res;
    for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
        res = 0xdead;
        size_t len = l[i].len < 0 ? strlen(l[i].s) : (size_t)l[i].len;
        long rc = (long)helper_strtol((uintptr_t)l[i].s, len, l[i].flags, (uintptr_t)&res, 0, &fake_ex);
        CHECKF(rc == l[i].want && (rc < 0 ? res == 0 : (int64_t)res == l[i].value),
               "strtol(\"%s\", %zu, %llu) = %ld, %lld", l[i].s, len,
               (unsigned long long)l[i].flags, rc, (long long)res);
    }
    static const struct stx_case u[] = {
        {"18446744073709551615", -1, 10, 20, -1},
        {"18446744073709551616", -1, 10, -ERANGE, 0},
        {"0xffffffffffffffff", -1, 0, 18, -1},
        {"-1", -1, 10, -EINVAL, 0},
        {" 42", -1, 10, 3, 42},
    };
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
        res = 0xdead;
        size_t len = strlen(u[i].s);
        long rc = (long)helper_strtoul((uintptr_t)u[i].s, len, u[i].flags, (uintptr_t)&res, 0, &fake_ex);
        CHECKF(rc == u[i].want && (rc < 0 ? res == 0 : (int64_t)res == u[i].value),
               "strtoul(\"%s\") = %ld, %lld", u[i].s, rc, (long long)res);
    }
    /* only 63 characters after the whitespace and sign are looked at */
    char zeros[80];
    memset(zeros, '0', 70);
    zeros[70] = '1';
    zeros[71] = 0;
    long rc = (long)helper_strtoul((uintptr_t)zeros, 71, 10, (uintptr_t)&res, 0, &fake_ex);
    CHECK_EQ_U64(rc, 63);
    CHECK_EQ_U64(res, 0);
    /* from programs: " -12" in base 0, result on the stack; checked bad pointers */
    const char *text =
        "*(u32 *)(r10 - 8) = 0x32312d20\n r1 = r10\n r1 += -8\n r2 = 4\n r3 = 0\n r4 = r10\n"
        "r4 += -16\n call 105\n r6 = r0\n r0 = *(u64 *)(r10 - 16)\n r0 <<= 8\n r0 |= r6\n exit\n";
    EXPECT_R0(text, NULL, 0, (uint64_t)(-12ll * 256) | 4);
    EXPECT_R0_CHECKED("r1 = 0x1000\n r2 = 4\n r3 = 0\n r4 = r10\n r4 += -8\n call 106\n exit\n",
                      NULL, 0, (uint64_t)-EFAULT);
    EXPECT_R0_CHECKED("*(u32 *)(r10 - 8) = 0x31\n r1 = r10\n r1 += -8\n r2 = 1\n r3 = 0\n"
                      "r4 = 0x1000\n call 106\n exit\n", NULL, 0, (uint64_t)-EFAULT);
    /* strncmp: -1 / 0 / 1 */
    CHECK_EQ_U64(helper_strncmp((uintptr_t)"abc", 3, (uintptr_t)"abd", 0, 0, &fake_ex), (uint64_t)-1);
    CHECK_EQ_U64(helper_strncmp((uintptr_t)"abc", 2, (uintptr_t)"abd", 0, 0, &fake_ex), 0);
    CHECK_EQ_U64(helper_strncmp((uintptr_t)"b", 2, (uintptr_t)"a", 0, 0, &fake_ex), 1);
    CHECK_EQ_U64(helper_strncmp((uintptr_t)"ab\0x", 4, (uintptr_t)"ab\0y", 0, 0, &fake_ex), 0);
}

/* ---------------------------------------------------------------- spin locks */

static void test_spin_lock(void)
{
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .spin_lock_off = 0, .has_spin_lock = true};
    struct bpfvm_map *arr = NULL;
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY, "l", 4, 16, 1, &o, &arr), 0);
    struct bpfvm_map *maps[] = {arr};
    const char *text =
        "*(u32 *)(r10 - 4) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n"
        "if r0 == 0 goto out\n r6 = r0\n r1 = r6\n call 93\n"
        "r1 = *(u64 *)(r6 + 8)\n r1 += 1\n *(u64 *)(r6 + 8) = r1\n"
        "r1 = r6\n call 94\n r0 = *(u64 *)(r6 + 8)\n out: exit\n";
    uint64_t want = 0;
    for (int e = 0; e < 2; e++)
        for (int c = 0; c < 2; c++) {
            struct run r = {.maps = maps, .nmaps = 1, .engine = engines[e], .checked = c};
            uint64_t v = 0;
            CHECK_EQ_U64(run_prog(text, &r, &v), 0);
            CHECK_EQ_U64(v, ++want);
        }
    uint32_t k = 0;
    uint32_t *lock = map_lookup_fast(arr, &k, 0);
    CHECK_EQ_U64(*lock, 0);
    /* checked: a lock that is not a looked-up value's, twice, unlock without holding */
    EXPECT_R0_CHECKED("*(u32 *)(r10 - 8) = 0\n r1 = r10\n r1 += -8\n call 93\n exit\n", maps, 1,
                      (uint64_t)-EINVAL);
    EXPECT_R0_CHECKED("*(u32 *)(r10 - 4) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n"
                      "if r0 == 0 goto out\n r6 = r0\n r1 = r6\n call 93\n r1 = r6\n call 93\n"
                      "r7 = r0\n r1 = r6\n call 94\n r0 = r7\n out: exit\n", maps, 1, (uint64_t)-EINVAL);
    EXPECT_R0_CHECKED("*(u32 *)(r10 - 4) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n"
                      "if r0 == 0 goto out\n r1 = r0\n call 94\n out: exit\n", maps, 1, (uint64_t)-EINVAL);
    CHECK_EQ_U64(*lock, 0);
    bpfvm_map_free(arr);
}

/* ---------------------------------------------------------------- the table */

static void test_protos(void)
{
    size_t n = 0;
    const struct helper_proto *all = helper_proto_all(&n);
    CHECK(n >= 34);
    for (size_t i = 1; i < n; i++)
        CHECKF(all[i - 1].id < all[i].id, "table not sorted at %zu", i);
    for (size_t i = 0; i < n; i++) {
        CHECK(all[i].fn != NULL);
        CHECK(!strncmp(all[i].name, "bpf_", 4));
        CHECK_STR(bpfvm_vm_helper_name(vm, all[i].id), all[i].name);
    }
    const struct helper_proto *p = helper_proto_get(1);
    CHECK(p && !strcmp(p->name, "bpf_map_lookup_elem"));
    CHECK(p && p->ret == HELPER_RET_PTR_TO_MAP_VALUE_OR_NULL && p->arg[0] == HELPER_ARG_CONST_MAP_PTR &&
          p->arg[1] == HELPER_ARG_PTR_TO_MAP_KEY && p->arg[2] == HELPER_ARG_DONTCARE);
    p = helper_proto_get(6);
    CHECK(p && (p->flags & HELPER_F_GPL_ONLY) && HELPER_ARG_BASE(p->arg[0]) == HELPER_ARG_PTR_TO_MEM &&
          p->arg[1] == HELPER_ARG_CONST_SIZE);
    p = helper_proto_get(131);
    CHECK(p && p->ret == HELPER_RET_PTR_TO_RINGBUF_MEM_OR_NULL);
    p = helper_proto_get(12);
    CHECK(p && p->map_types == HELPER_MAPT(BPFVM_MAP_TYPE_PROG_ARRAY));
    CHECK(helper_proto_get(4) == NULL);
    CHECK(helper_proto_get(100000) == NULL);
    CHECK_STR(bpfvm_std_helper_name(181), "bpf_loop");
    CHECK_STR(bpfvm_std_helper_name(12), "bpf_tail_call");
    CHECK_STR(bpfvm_std_helper_name(164), "bpf_for_each_map_elem");
    CHECK(bpfvm_std_helper_name(4) == NULL);
    CHECK_EQ_U64(bpfvm_vm_add_std_helpers(NULL), (uint64_t)-EINVAL);
}

static void log_fn(int level, const char *msg, void *user)
{
    (void)level;
    (void)msg;
    (void)user;
}

int main(void)
{
    vm = bpfvm_vm_new();
    CHECK_EQ_U64(bpfvm_vm_add_std_helpers(vm), 0);
    bpfvm_vm_set_log(vm, log_fn, NULL);
    fake_ex.checked = false;
    test_protos();
    test_map_helpers();
    test_map_in_map();
    test_queue_stack();
    test_tail_call();
    test_time_task();
    test_bprintf_rules();
    test_trace_printk();
    test_snprintf();
    test_ringbuf();
    test_perf();
    test_loop_for_each();
    test_strtol();
    test_spin_lock();
    bpfvm_vm_free(vm);
    return test_summary();
}
