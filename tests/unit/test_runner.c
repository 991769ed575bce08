/* test_runner.c - prepared runs (bpfvm_runner) give what bpfvm_prog_exec gives: return code,
 * r0, fault pc and map side effects, run after run, for programs that call helpers, keep
 * state in maps, tail-call (the 33-call limit, counted afresh each run), call back (bpf_loop),
 * stop with an error or on a packet load miss (also deep in bpf-to-bpf calls), use may_goto,
 * run checked, in the interpreter or with an instruction budget. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/asm.h"
#include "bpfvm/helpers.h"
#include "bpfvm/map.h"
#include "bpfvm/vm.h"
#include "maps/map.h"
#include "testlib.h"

#define NRUNS 300

static struct bpfvm_vm *vm;

static struct bpfvm_prog *load(const char *text, struct bpfvm_map *const *maps, size_t nmaps,
                               bool checked)
{
    return test_load_asm(vm, text, maps, nmaps, checked ? BPFVM_LOAD_CHECKED : 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) { return test_rng(&rng_state); }

/* The arguments of run i (the same sequence for both ways of running). */
static void args_of(uint64_t seed, int i, uint64_t args[5])
{
    rng_state = seed * 0x100000001b3ull + (uint64_t)i * 0x9e3779b97f4a7c15ull + 1;
    for (int k = 0; k < 5; k++)
        args[k] = rng();
}

struct outcome {
    int rc;
    uint64_t r0;
    long fault_pc;
};

typedef void (*reset_fn)(void);

/* Run `p` NRUNS times with bpfvm_prog_exec, then (after `reset`) with one runner, the same
 * arguments; every run's outcome must agree. `adjust` may rewrite the arguments. */
static void compare(const char *what, struct bpfvm_prog *p, enum bpfvm_engine engine,
                    uint64_t budget, void *mem, size_t mem_size, reset_fn reset,
                    void (*adjust)(uint64_t args[5], void *mem))
{
    static struct outcome want[NRUNS];
    char err[256];
    struct bpfvm_exec_opts o = {.sz = sizeof(o), .engine = engine, .insn_budget = budget,
                                .mem = mem, .mem_size = mem_size, .mem_writable = true,
                                .pkt = mem, .pkt_size = mem_size, .errbuf = err,
                                .errbuf_len = sizeof(err)};
    if (!p)
        return;
    if (reset)
        reset();
    for (int i = 0; i < NRUNS; i++) {
        args_of((uintptr_t)what, i, o.args);
        if (adjust)
            adjust(o.args, mem);
        want[i].r0 = 0xdead;
        want[i].rc = bpfvm_prog_exec(p, &o, &want[i].r0);
        want[i].fault_pc = o.fault_pc;
    }
    if (reset)
        reset();
    struct bpfvm_runner *run = NULL;
    CHECK(bpfvm_runner_new(p, &o, &run) == 0);
    if (!run)
        return;
    int bad = 0;
    for (int i = 0; i < NRUNS && bad < 3; i++) {
        args_of((uintptr_t)what, i, o.args);
        if (adjust)
            adjust(o.args, mem);
        uint64_t r0 = 0xdead;
        o.fault_pc = 12345;
        int rc = bpfvm_runner_exec(run, &r0);
        bool same = rc == want[i].rc && o.fault_pc == want[i].fault_pc && (rc || r0 == want[i].r0);
        CHECKF(same, "%s run %d: runner rc %d r0 0x%llx pc %ld, exec rc %d r0 0x%llx pc %ld", what,
               i, rc, (unsigned long long)r0, o.fault_pc, want[i].rc,
               (unsigned long long)want[i].r0, want[i].fault_pc);
        bad += !same;
    }
    bpfvm_runner_free(run);
}

static void compare_engines(const char *what, struct bpfvm_prog *p, reset_fn reset)
{
    compare(what, p, BPFVM_ENGINE_JIT, 0, NULL, 0, reset, NULL);
    compare(what, p, BPFVM_ENGINE_DEFAULT, 0, NULL, 0, reset, NULL);
    compare(what, p, BPFVM_ENGINE_INTERP, 0, NULL, 0, reset, NULL);
}

/* ---------------------------------------------------------------- programs */

static struct bpfvm_map *hash, *counter, *prog_array;

static void reset_maps(void)
{
    for (uint32_t k = 0; k < 16; k++)
        bpfvm_map_delete_elem(hash, &k);
    uint32_t z = 0;
    uint64_t zero = 0;
    bpfvm_map_update_elem(counter, &z, &zero, BPFVM_ANY);
}

/* csum_diff of a variable number of the argument bytes: a real helper call */
static const char *csum_text =
    "*(u64 *)(r10 - 16) = r1\n *(u64 *)(r10 - 8) = r2\n"
    "r4 = r5\n r4 &= 15\n r4 += 1\n r5 = r3\n r3 = r10\n r3 += -16\n r1 = 0\n r2 = 0\n"
    "call 28\n exit\n";

/* a hash map of 8 counters: absent -> insert r2, else add r2; returns the counter */
static const char *hash_text =
    "r1 &= 7\n *(u32 *)(r10 - 4) = r1\n *(u64 *)(r10 - 16) = r2\n r6 = r2\n"
    "r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n if r0 == 0 goto insert\n"
    "lock *(u64 *)(r0 + 0) += r6\n r0 = *(u64 *)(r0 + 0)\n exit\n"
    "insert: r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = r10\n r3 += -16\n r4 = 0\n"
    "call 2\n r0 = 1000\n exit\n";

/* bpf_loop(r1 & 31, cb, &sum): the sum of index * r2 */
static const char *loop_text =
    "*(u64 *)(r10 - 8) = 0\n *(u64 *)(r10 - 16) = r2\n r1 &= 31\n r2 = func[cb] ll\n"
    "r3 = r10\n r3 += -16\n r4 = 0\n call 181\n r6 = r0\n r0 = *(u64 *)(r10 - 8)\n"
    "r0 <<= 8\n r0 += r6\n exit\n"
    "cb: r3 = *(u64 *)(r2 + 0)\n r3 *= r1\n r4 = *(u64 *)(r2 + 8)\n r4 += r3\n"
    "*(u64 *)(r2 + 8) = r4\n r0 = 0\n exit\n";

/* callx to the helper whose id is r3 & 1 ? 28 : 99999 (not a helper: the run stops) */
static const char *callx_text =
    "r6 = 99999\n r3 &= 1\n if r3 == 0 goto go\n r6 = 28\n"
    "go: r1 = 0\n r2 = 0\n r3 = 0\n r4 = 0\n r5 &= 0xffff\n callx r6\n exit\n";

/* LD_IND at r2 & 15 of an 8-byte packet: a miss ends the program with r0 = 0 */
static const char *ldind_text =
    "r6 = r1\n r2 &= 15\n r0 = *(u8 *)skb[r2 + 0]\n r0 += 100\n exit\n";

/* the same at the bottom of 8 frames: a miss unwinds them all */
static const char *ldind_deep_text =
    "r6 = r1\n r2 &= 15\n call f1\n r0 += 100\n exit\n"
    "f1: call f2\n exit\n f2: call f3\n exit\n f3: call f4\n exit\n f4: call f5\n exit\n"
    "f5: call f6\n exit\n f6: call f7\n exit\n f7: r0 = *(u8 *)skb[r2 + 0]\n exit\n";

/* tail calls: index 0 counts its runs in `counter` and calls itself (33 times, then -E2BIG
 * each run); index 1 returns (r1 + 42) ^ r3 */
static const char *self_text =
    "r6 = r1\n *(u32 *)(r10 - 4) = 0\n"
    "r1 = map[idx:1] ll\n r2 = r10\n r2 += -4\n call 1\n if r0 == 0 goto out\n"
    "r1 = 1\n lock *(u64 *)(r0 + 0) += r1\n r0 = *(u64 *)(r0 + 0)\n"
    "r1 = r6\n r2 = map[idx:0] ll\n r3 = 0\n call 12\n r7 = r0\n"
    "*(u32 *)(r10 - 4) = 0\n r1 = map[idx:1] ll\n r2 = r10\n r2 += -4\n call 1\n"
    "if r0 == 0 goto out\n r0 = *(u64 *)(r0 + 0)\n r0 <<= 32\n r0 += r7\n exit\n"
    "out: r0 = -1\n exit\n";
/* r2 & 3 picks the slot: 0 self, 1 plus42, 2 and 3 empty (the caller goes on) */
static const char *caller_text =
    "r6 = r1\n r3 = r2\n r3 &= 3\n r1 = r6\n r2 = map[idx:0] ll\n call 12\n r0 += 7\n exit\n";

/* checked: an access through r1 faults unless r1 & 1 is 0 (then r1 is the stack) */
static const char *fault_text =
    "r2 = r10\n r2 += -8\n r3 = r1\n r3 &= 1\n if r3 == 0 goto ok\n r2 = r1\n"
    "ok: *(u64 *)(r2 + 0) = 5\n r0 = *(u64 *)(r2 + 0)\n exit\n";

static void ldind_adjust(uint64_t args[5], void *mem)
{
    args[0] = (uintptr_t)mem;
}

static void test_helper_programs(void)
{
    struct bpfvm_map *maps[] = {hash};
    for (int c = 0; c < 2; c++) {
        struct bpfvm_prog *p = load(csum_text, NULL, 0, c);
        compare_engines(c ? "csum checked" : "csum", p, NULL);
        bpfvm_prog_free(p);
        p = load(hash_text, maps, 1, c);
        compare_engines(c ? "hash checked" : "hash", p, reset_maps);
        bpfvm_prog_free(p);
        p = load(loop_text, NULL, 0, c);
        compare_engines(c ? "bpf_loop checked" : "bpf_loop", p, NULL);
        bpfvm_prog_free(p);
        p = load(callx_text, NULL, 0, c);
        compare_engines(c ? "callx checked" : "callx", p, NULL);
        bpfvm_prog_free(p);
        uint8_t pkt[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        p = load(ldind_text, NULL, 0, c);
        compare(c ? "ld_ind checked" : "ld_ind", p, BPFVM_ENGINE_JIT, 0, pkt, sizeof(pkt), NULL,
                ldind_adjust);
        compare(c ? "ld_ind interp checked" : "ld_ind interp", p, BPFVM_ENGINE_INTERP, 0, pkt,
                sizeof(pkt), NULL, ldind_adjust);
        bpfvm_prog_free(p);
        p = load(ldind_deep_text, NULL, 0, c);
        compare(c ? "ld_ind deep checked" : "ld_ind deep", p, BPFVM_ENGINE_JIT, 0, pkt,
                sizeof(pkt), NULL, ldind_adjust);
        bpfvm_prog_free(p);
    }
    /* checked faults: -EFAULT with the faulting pc, then ordinary runs again */
    struct bpfvm_prog *p = load(fault_text, NULL, 0, true);
    compare_engines("checked fault", p, NULL);
    /* an instruction budget (interpreter), and a budget asked of the JIT (-ENOTSUP) */
    compare("budget", p, BPFVM_ENGINE_INTERP, 5, NULL, 0, NULL, NULL);
    compare("budget jit", p, BPFVM_ENGINE_JIT, 5, NULL, 0, NULL, NULL);
    bpfvm_prog_free(p);
}

static void test_tail_calls(void)
{
    struct bpfvm_map *maps[] = {prog_array, counter};
    for (int c = 0; c < 2; c++) {
        struct bpfvm_prog *self = load(self_text, maps, 2, c);
        /* r3 is still the run's own after a tail call */
        struct bpfvm_prog *plus = load("r0 = r1\n r0 += 42\n r0 ^= r3\n exit\n", maps, 2, c);
        struct bpfvm_prog *caller = load(caller_text, maps, 2, c);
        uint32_t k = 0;
        CHECK(self && bpfvm_map_update_ptr(prog_array, &k, self, 0) == 0);
        k = 1;
        CHECK(plus && bpfvm_map_update_ptr(prog_array, &k, plus, 0) == 0);
        compare_engines(c ? "tail calls checked" : "tail calls", caller, reset_maps);
        /* each run starts its own chain of 33 tail calls: 33 runs of `self`, whose last
         * bpf_tail_call fails with -E2BIG */
        struct bpfvm_exec_opts o = {.sz = sizeof(o), .engine = BPFVM_ENGINE_JIT};
        struct bpfvm_runner *run = NULL;
        CHECK(caller && bpfvm_runner_new(caller, &o, &run) == 0);
        reset_maps();
        for (int i = 1; run && i <= 4; i++) {
            uint64_t r0 = 0;
            o.args[1] = 0;
            CHECK_EQ_U64(bpfvm_runner_exec(run, &r0), 0);
            CHECK_EQ_U64(r0, ((uint64_t)(33 * i) << 32) + (uint64_t)(int64_t)-E2BIG);
        }
        bpfvm_runner_free(run);
        k = 0;
        bpfvm_map_delete_elem(prog_array, &k);
        k = 1;
        bpfvm_map_delete_elem(prog_array, &k);
        bpfvm_prog_free(self);
        bpfvm_prog_free(plus);
        bpfvm_prog_free(caller);
    }
}

/* A checked run that ends holding a spin lock: the end of each run releases it. */
static void test_spin_lock_release(void)
{
    struct bpfvm_map_create_opts mo = {.sz = sizeof(mo), .spin_lock_off = 0, .has_spin_lock = true};
    struct bpfvm_map *arr = NULL;
    CHECK_EQ_U64(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY, "l", 4, 16, 1, &mo, &arr), 0);
    struct bpfvm_map *maps[] = {arr};
    struct bpfvm_prog *p = load(
        "*(u32 *)(r10 - 4) = 0\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call 1\n"
        "if r0 == 0 goto out\n r6 = r0\n r1 = r6\n call 93\n r0 = *(u64 *)(r6 + 8)\n"
        "r0 += 1\n *(u64 *)(r6 + 8) = r0\n out: exit\n", maps, 1, true);
    struct bpfvm_exec_opts o = {.sz = sizeof(o), .engine = BPFVM_ENGINE_JIT};
    struct bpfvm_runner *run = NULL;
    CHECK(p && bpfvm_runner_new(p, &o, &run) == 0);
    uint32_t k = 0;
    const uint32_t *lock = map_lookup_fast(arr, &k, 0);
    for (uint64_t i = 1; run && i <= 3; i++) {
        uint64_t r0 = 0;
        CHECK_EQ_U64(bpfvm_runner_exec(run, &r0), 0);
        CHECK_EQ_U64(r0, i);
        CHECK_EQ_U64(*lock, 0);
        if (*lock) /* the next run would wait for it forever */
            break;
    }
    bpfvm_runner_free(run);
    bpfvm_prog_free(p);
    bpfvm_map_free(arr);
}

/* may_goto: every run has its own budget of 8M (a loop of 1M iterations, nine times) */
static void test_may_goto(void)
{
    struct bpfvm_prog *p = load("r0 = 0\n loop: may_goto out\n r0 += 1\n if r0 < r1 goto loop\n"
                                "out: exit\n", NULL, 0, false);
    struct bpfvm_exec_opts o = {.sz = sizeof(o), .engine = BPFVM_ENGINE_JIT, .args = {1000000}};
    struct bpfvm_runner *run = NULL;
    CHECK(p && bpfvm_runner_new(p, &o, &run) == 0);
    for (int i = 0; run && i < 9; i++) {
        uint64_t r0 = 0;
        CHECK_EQ_U64(bpfvm_runner_exec(run, &r0), 0);
        CHECK_EQ_U64(r0, 1000000);
    }
    bpfvm_runner_free(run);
    bpfvm_prog_free(p);
}

static void test_args(void)
{
    struct bpfvm_exec_opts o = {.sz = sizeof(o)};
    struct bpfvm_runner *run = NULL;
    struct bpfvm_prog *p = load("r0 = r1\n exit\n", NULL, 0, false);
    CHECK(bpfvm_runner_new(NULL, &o, &run) == -EINVAL && run == NULL);
    CHECK(bpfvm_runner_new(p, NULL, &run) == -EINVAL);
    CHECK(bpfvm_runner_new(p, &o, NULL) == -EINVAL);
    bpfvm_runner_free(NULL);
    compare_engines("plain", p, NULL);
    bpfvm_prog_free(p);
}

int main(void)
{
    vm = bpfvm_vm_new();
    CHECK(vm && bpfvm_vm_add_std_helpers(vm) == 0);
    CHECK(bpfvm_map_create(BPFVM_MAP_TYPE_HASH, "h", 4, 8, 16, NULL, &hash) == 0);
    CHECK(bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY, "c", 4, 8, 1, NULL, &counter) == 0);
    CHECK(bpfvm_map_create(BPFVM_MAP_TYPE_PROG_ARRAY, "pa", 4, 4, 4, NULL, &prog_array) == 0);
    CHECK(bpfvm_prog_array_init(prog_array) == 0);
    test_args();
    test_helper_programs();
    test_tail_calls();
    test_spin_lock_release();
    test_may_goto();
    bpfvm_map_free(hash);
    bpfvm_map_free(counter);
    bpfvm_map_free(prog_array);
    bpfvm_vm_free(vm);
    return test_summary();
}
