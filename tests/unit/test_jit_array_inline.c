/* test_jit_array_inline.c - the JIT inlines bpf_map_lookup_elem on plain ARRAY maps when r1
 * surely holds the map: the results (value pointers, NULL past max_entries) and in-place
 * writes must match the interpreter's, and the helper itself must not be called. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "testlib.h"

static int lookups_seen;

static uint64_t counting_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                struct bpfvm_exec *ex)
{
    static uint64_t value[3];
    lookups_seen++;
    return (uint64_t)(uintptr_t)value;
}

/* key = r1 (from the context word); value = lookup; NULL -> 1000; else *value += 1, return it */
static const char *prog_text =
    "r6 = *(u32 *)(r1 + 0)\n"
    "*(u32 *)(r10 - 4) = r6\n"
    "r2 = r10\n"
    "r2 += -4\n"
    "r1 = map[idx:0] ll\n"
    "call 1\n"
    "if r0 == 0 goto miss\n"
    "r1 = *(u64 *)(r0 + 0)\n"
    "r1 += 1\n"
    "*(u64 *)(r0 + 0) = r1\n"
    "r0 = r1\n"
    "exit\n"
    "miss:\n"
    "r0 = 1000\n"
    "exit\n";

/* r1 is set on two paths that meet before the call: no inlining, same results */
static const char *joined_text =
    "r6 = *(u32 *)(r1 + 0)\n"
    "*(u32 *)(r10 - 4) = r6\n"
    "r2 = r10\n"
    "r2 += -4\n"
    "r1 = map[idx:0] ll\n"
    "if r6 > 100 goto call\n"
    "r1 = map[idx:0] ll\n"
    "call:\n"
    "call 1\n"
    "if r0 == 0 goto miss\n"
    "r0 = *(u64 *)(r0 + 0)\n"
    "exit\n"
    "miss:\n"
    "r0 = 1000\n"
    "exit\n";

static void run_case(const char *text, struct bpfvm_map *map, bool expect_inline)
{
    struct bpfvm_insn *insns;
    size_t cnt;
    char err[256];
    if (bpfvm_asm(text, BPFVM_SYNTAX_LLVM, &insns, &cnt, err, sizeof(err))) {
        CHECKF(0, "asm: %s", err);
        return;
    }
    struct bpfvm_vm *vm = bpfvm_vm_new();
    bpfvm_vm_add_std_helpers(vm);
    struct bpfvm_prog *prog = NULL;
    struct bpfvm_map *maps[1] = {map};
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .maps = maps, .map_cnt = 1, .errbuf = err, .errbuf_len = sizeof(err)};
    CHECKF(bpfvm_prog_load(vm, insns, cnt, &lo, &prog) == 0, "load: %s", err);
    /* results on both engines (the interpreter always calls the helper) */
    uint32_t keys[] = {0, 3, 7, 8, 100, 0xffffffff};
    for (size_t i = 0; prog && i < sizeof(keys) / sizeof(keys[0]); i++) {
        uint64_t r[2];
        for (int e = 0; e < 2; e++) {
            uint32_t ctx = keys[i];
            struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .engine = e ? BPFVM_ENGINE_JIT : BPFVM_ENGINE_INTERP};
            ex.args[0] = (uintptr_t)&ctx;
            CHECK(bpfvm_prog_exec(prog, &ex, &r[e]) == 0);
        }
        /* the value was incremented by each run (first program) or left alone (second) */
        if (expect_inline)
            CHECKF(keys[i] >= 8 ? (r[0] == 1000 && r[1] == 1000) : r[1] == r[0] + 1,
                   "key %u: interp %llu jit %llu", keys[i], (unsigned long long)r[0], (unsigned long long)r[1]);
        else
            CHECKF(r[0] == r[1], "key %u: interp %llu jit %llu", keys[i], (unsigned long long)r[0],
                   (unsigned long long)r[1]);
    }
    /* a program whose only call is an inlined lookup gets a direct entry, with the same results */
    if (prog && expect_inline) {
        bpfvm_direct_fn fn = bpfvm_prog_direct_entry(prog);
        CHECK(fn != NULL);
        uint32_t ctx = 5, ctx_out = 100;
        uint64_t r0 = 0;
        struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .engine = BPFVM_ENGINE_JIT};
        ex.args[0] = (uintptr_t)&ctx;
        CHECK(bpfvm_prog_exec(prog, &ex, &r0) == 0);
        if (fn) {
            CHECK_EQ_U64(fn((uintptr_t)&ctx, 0, 0, 0, 0), r0 + 1); /* the value went up by one */
            CHECK_EQ_U64(fn((uintptr_t)&ctx_out, 0, 0, 0, 0), 1000);
        }
    }
    if (prog && !expect_inline)
        CHECK(bpfvm_prog_direct_entry(prog) == NULL);
    /* with the std lookup replaced by a counting one, the JIT's inlined lookup never calls it */
    if (prog) {
        bpfvm_vm_set_helper(vm, 1, "counting_lookup", counting_lookup);
        bpfvm_prog_free(prog);
        prog = NULL;
        CHECK(bpfvm_prog_load(vm, insns, cnt, &lo, &prog) == 0);
        lookups_seen = 0;
        uint32_t ctx = 2;
        uint64_t r0;
        struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .engine = BPFVM_ENGINE_JIT};
        ex.args[0] = (uintptr_t)&ctx;
        CHECK(prog && bpfvm_prog_exec(prog, &ex, &r0) == 0);
        CHECKF(lookups_seen == (expect_inline ? 0 : 1), "helper called %d times", lookups_seen);
    }
    bpfvm_prog_free(prog);
    bpfvm_vm_free(vm);
    free(insns);
}

int main(void)
{
    struct bpfvm_map *map = NULL;
    CHECK(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY, "arr", 4, 24, 8, NULL, &map) == 0);
    for (uint32_t k = 0; map && k < 8; k++) {
        uint64_t v[3] = {k * 10, 0, 0};
        CHECK(bpfvm_map_update_elem(map, &k, v, BPFVM_ANY) == 0);
    }
    run_case(prog_text, map, true);
    run_case(joined_text, map, false);
    /* a power-of-two stride takes the shift path */
    struct bpfvm_map *map8 = NULL;
    CHECK(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY, "arr8", 4, 8, 8, NULL, &map8) == 0);
    run_case(prog_text, map8, true);
    bpfvm_map_free(map);
    bpfvm_map_free(map8);
    return test_summary();
}
