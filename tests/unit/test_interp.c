/* test_interp.c - the interpreter and loader on hand-encoded programs: semantics the
 * conformance files do not cover (frames, faults, budget, packet loads, load errors). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "isa/isa.h"
#include "core/exec.h"
#include "testlib.h"

#define I(code, dst, src, off, imm) isa_make((code), (dst), (src), (off), (imm))
#define MOV64_IMM(d, imm) I(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, imm)
#define MOV64_REG(d, s) I(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD64_IMM(d, imm) I(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, imm)
#define ADD64_REG(d, s) I(BPF_ALU64 | BPF_ADD | BPF_X, d, s, 0, 0)
#define EXIT() I(ISA_EXIT, 0, 0, 0, 0)
#define CALL_LOCAL(rel) I(ISA_CALL, 0, BPF_PSEUDO_CALL, 0, rel)
#define STX_DW(d, s, off) I(BPF_STX | BPF_MEM | BPF_DW, d, s, off, 0)
#define LDX_DW(d, s, off) I(BPF_LDX | BPF_MEM | BPF_DW, d, s, off, 0)

static struct bpfvm_vm *vm;
static enum bpfvm_engine g_engine; /* each test runs on the interpreter, then on the JIT */

static int run(const struct bpfvm_insn *p, size_t n, unsigned flags, struct bpfvm_exec_opts *ex,
               uint64_t *r0, char *err)
{
    struct bpfvm_prog *prog = NULL;
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = flags, .errbuf = err, .errbuf_len = 256};
    int rc = bpfvm_prog_load(vm, p, n, &lo, &prog);
    if (rc)
        return rc;
    ex->errbuf = err;
    ex->errbuf_len = 256;
    if (ex->engine == BPFVM_ENGINE_DEFAULT)
        ex->engine = g_engine;
    rc = bpfvm_prog_exec(prog, ex, r0);
    bpfvm_prog_free(prog);
    return rc;
}

static uint64_t run_ok(const struct bpfvm_insn *p, size_t n, unsigned flags)
{
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex)};
    uint64_t r0 = 0xdead;
    char err[256] = "";
    int rc = run(p, n, flags, &ex, &r0, err);
    CHECKF(rc == 0, "rc=%d %s", rc, err);
    return r0;
}

static void test_local_calls(void)
{
    /* r6 = 7; r1 = 5; call f; r0 += r6; exit; f: r6 = 100; r0 = r1; r0 += 1; exit
     * r6 must survive the call: result 5 + 1 + 7 = 13 */
    struct bpfvm_insn p[] = {
        MOV64_IMM(6, 7), MOV64_IMM(1, 5), CALL_LOCAL(2), ADD64_REG(0, 6), EXIT(),
        MOV64_IMM(6, 100), MOV64_REG(0, 1), ADD64_IMM(0, 1), EXIT(),
    };
    for (unsigned f = 0; f <= BPFVM_LOAD_CHECKED; f += BPFVM_LOAD_CHECKED)
        CHECK_EQ_U64(run_ok(p, 9, f), 13);

    /* each frame has its own 512-byte stack: caller stores 1 at fp-8, callee stores 2 at its
     * fp-8, caller reads back 1 */
    struct bpfvm_insn q[] = {
        MOV64_IMM(1, 1), STX_DW(10, 1, -8), CALL_LOCAL(2), LDX_DW(0, 10, -8), EXIT(),
        MOV64_IMM(1, 2), STX_DW(10, 1, -8), EXIT(),
    };
    CHECK_EQ_U64(run_ok(q, 8, BPFVM_LOAD_CHECKED), 1);

    /* recursion deeper than 8 frames fails cleanly with -E2BIG */
    struct bpfvm_insn r[] = {CALL_LOCAL(-1), EXIT()};
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .engine = BPFVM_ENGINE_INTERP};
    uint64_t r0;
    char err[256];
    CHECK_EQ_U64(run(r, 2, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-E2BIG);
    CHECK(strstr(err, "deeper than 8") != NULL);
}

static void test_callx_function_pointer(void)
{
    /* r2 = &f (lddw pseudo func); callx r2; exit; f: r0 = 42; exit */
    struct bpfvm_insn p[] = {
        I(ISA_LDDW, 2, BPF_PSEUDO_FUNC, 0, 3), I(0, 0, 0, 0, 0), I(ISA_CALLX, 2, 0, 0, 0), EXIT(),
        MOV64_IMM(0, 42), EXIT(),
    };
    CHECK_EQ_U64(run_ok(p, 6, BPFVM_LOAD_CHECKED), 42);
}

static void test_checked_faults(void)
{
    uint8_t buf[16] = {1, 2, 3, 4};
    char err[256];
    uint64_t r0;
    /* read past the buffer */
    struct bpfvm_insn p[] = {I(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 14, 0), EXIT()};
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .mem = buf, .mem_size = 16};
    ex.args[0] = (uintptr_t)buf;
    CHECK_EQ_U64(run(p, 2, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EFAULT);
    CHECK_EQ_U64(ex.fault_pc, 0);
    CHECK(strstr(err, "pc 0: invalid read of 4 bytes") != NULL);
    /* write to read-only memory */
    struct bpfvm_insn q[] = {MOV64_IMM(0, 0), I(BPF_ST | BPF_MEM | BPF_B, 1, 0, 0, 9), EXIT()};
    CHECK_EQ_U64(run(q, 3, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EFAULT);
    CHECK_EQ_U64(ex.fault_pc, 1);
    ex.mem_writable = true;
    CHECK_EQ_U64(run(q, 3, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(buf[0], 9);
    /* null pointer */
    struct bpfvm_insn n[] = {MOV64_IMM(1, 0), LDX_DW(0, 1, 0), EXIT()};
    CHECK_EQ_U64(run(n, 3, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EFAULT);
    /* stack: below the 8-frame area is out */
    struct bpfvm_insn s[] = {LDX_DW(0, 10, -4096 - 8), EXIT()};
    CHECK_EQ_U64(run(s, 2, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EFAULT);
    struct bpfvm_insn s2[] = {LDX_DW(0, 10, 0), EXIT()};
    CHECK_EQ_U64(run(s2, 2, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EFAULT);
    /* misaligned atomic */
    struct bpfvm_insn a[] = {MOV64_IMM(1, 1), I(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 1, -12, BPF_ADD), EXIT()};
    CHECK_EQ_U64(run(a, 3, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EFAULT);
    CHECK(strstr(err, "misaligned") != NULL);
    /* a host region becomes accessible */
    static uint64_t region = 0x1234;
    struct bpfvm_insn h[] = {I(ISA_LDDW, 1, 0, 0, (int32_t)(uintptr_t)&region),
                             I(0, 0, 0, 0, (int32_t)((uint64_t)(uintptr_t)&region >> 32)),
                             LDX_DW(0, 1, 0), EXIT()};
    static bool region_added;
    if (!region_added) {
        CHECK_EQ_U64(run(h, 4, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EFAULT);
        CHECK_EQ_U64(bpfvm_vm_add_region(vm, &region, sizeof(region), false), 0);
        region_added = true;
    }
    CHECK_EQ_U64(run(h, 4, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(r0, 0x1234);
}

static void test_budget(void)
{
    /* infinite loop: ja -1 */
    struct bpfvm_insn p[] = {I(ISA_JA, 0, 0, -1, 0), EXIT()};
    /* the budget is the interpreter's: the default engine uses it when a budget is set */
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .insn_budget = 1000, .engine = BPFVM_ENGINE_INTERP};
    uint64_t r0;
    char err[256];
    CHECK_EQ_U64(run(p, 2, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-ETIME);
    CHECK(strstr(err, "budget of 1000") != NULL);
    /* exact count: 3 instructions */
    struct bpfvm_insn q[] = {MOV64_IMM(0, 1), ADD64_IMM(0, 1), EXIT()};
    ex.insn_budget = 3;
    CHECK_EQ_U64(run(q, 3, 0, &ex, &r0, err), 0);
    CHECK_EQ_U64(ex.insns_executed, 3);
    ex.insn_budget = 2;
    CHECK_EQ_U64(run(q, 3, 0, &ex, &r0, err), (uint64_t)-ETIME);
    ex.engine = BPFVM_ENGINE_JIT;
    CHECK_EQ_U64(run(q, 3, 0, &ex, &r0, err), (uint64_t)-ENOTSUP);
    ex.engine = BPFVM_ENGINE_DEFAULT;
    ex.insn_budget = 2;
    g_engine = BPFVM_ENGINE_DEFAULT;
    CHECK_EQ_U64(run(q, 3, 0, &ex, &r0, err), (uint64_t)-ETIME);
}

static void test_packet_loads(void)
{
    uint8_t pkt[] = {0x11, 0x22, 0x33, 0x44, 0x55};
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .pkt = pkt, .pkt_size = sizeof(pkt)};
    uint64_t r0;
    char err[256];
    struct bpfvm_insn w[] = {MOV64_IMM(6, 0), I(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 1), EXIT()};
    CHECK_EQ_U64(run(w, 3, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(r0, 0x22334455);
    /* out of bounds: the program ends with r0 = 0 even when r0 was set and more code follows */
    struct bpfvm_insn oob[] = {MOV64_IMM(0, 99), I(BPF_LD | BPF_ABS | BPF_W, 0, 0, 0, 2),
                               MOV64_IMM(0, 7), EXIT()};
    CHECK_EQ_U64(run(oob, 4, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(r0, 0);
    /* indirect: r1 = 3, ldh [r1 + 0] */
    struct bpfvm_insn ind[] = {MOV64_IMM(1, 3), I(BPF_LD | BPF_IND | BPF_H, 0, 1, 0, 0), EXIT()};
    CHECK_EQ_U64(run(ind, 3, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(r0, 0x4455);
    /* SKF_LL_OFF is the start of the packet */
    struct bpfvm_insn ll[] = {I(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, -0x200000 + 4), EXIT()};
    CHECK_EQ_U64(run(ll, 2, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(r0, 0x55);
}

static void test_load_errors(void)
{
    struct bpfvm_prog *prog = NULL;
    char err[256];
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .errbuf = err, .errbuf_len = sizeof(err)};
    struct {
        struct bpfvm_insn p[3];
        size_t n;
        const char *msg;
    } cases[] = {
        {{I(ISA_JA, 0, 0, 5, 0), EXIT()}, 2, "pc 0: jump target 6 is outside"},
        {{I(ISA_JA, 0, 0, 1, 0), I(ISA_LDDW, 0, 0, 0, 1), I(0, 0, 0, 0, 0)}, 3, "middle of lddw"},
        {{I(ISA_LDDW, 0, 0, 0, 1)}, 1, "missing its second slot"},
        {{I(0xff, 0, 0, 0, 0), EXIT()}, 2, "pc 0: unknown"},
        {{MOV64_IMM(10, 1), EXIT()}, 2, "r10 is read only"},
        {{I(ISA_CALL, 0, 0, 0, 12345), EXIT()}, 2, "unknown helper 12345"},
        {{I(ISA_LDDW, 1, BPF_PSEUDO_MAP_FD, 0, 3), I(0, 0, 0, 0, 0), EXIT()}, 3, "map reference 3, but the program has 0 maps"},
        {{I(BPF_ALU64 | BPF_END | BPF_X, 0, 0, 0, 16), EXIT()}, 2, "unknown ALU opcode"},
        {{I(BPF_ALU | BPF_END, 0, 0, 0, 17), EXIT()}, 2, "width 17"},
        {{I(BPF_ALU64 | BPF_MOV | BPF_X, 0, 11, 0, 0), EXIT()}, 2, "invalid register r11"},
        {{I(BPF_LDX | BPF_MEMSX | BPF_DW, 0, 1, 0, 0), EXIT()}, 2, "8 bytes"},
        {{I(BPF_STX | BPF_ATOMIC | BPF_W, 1, 2, 0, 0x33), EXIT()}, 2, "unknown atomic"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = 0;
        int rc = bpfvm_prog_load(vm, cases[i].p, cases[i].n, &lo, &prog);
        CHECKF(rc == -EINVAL && strstr(err, cases[i].msg), "case %zu: rc=%d err='%s' want '%s'", i,
               rc, err, cases[i].msg);
        bpfvm_prog_free(prog);
        prog = NULL;
    }
    CHECK_EQ_U64(bpfvm_prog_load(vm, NULL, 0, &lo, &prog), (uint64_t)-EINVAL);
    /* falling off the end is a run-time error in unverified programs */
    struct bpfvm_insn f[] = {MOV64_IMM(0, 1)};
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex)};
    uint64_t r0;
    CHECK_EQ_U64(run(f, 1, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EINVAL);
    CHECK(strstr(err, "fell off the end") != NULL);
}

static uint64_t helper_sum(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                           struct bpfvm_exec *ex)
{
    return a + b + c + d + e + (uint64_t)(uintptr_t)bpfvm_exec_user(ex);
}

static void test_helpers(void)
{
    CHECK_EQ_U64(bpfvm_vm_set_helper(vm, 77, "sum", helper_sum), 0);
    CHECK_STR(bpfvm_vm_helper_name(vm, 77), "sum");
    CHECK(bpfvm_vm_helper_name(vm, 78) == NULL);
    CHECK_EQ_U64(bpfvm_vm_set_helper(vm, 70000, "x", helper_sum), (uint64_t)-EINVAL);
    struct bpfvm_insn p[] = {MOV64_IMM(1, 1), MOV64_IMM(2, 2), MOV64_IMM(3, 3), MOV64_IMM(4, 4),
                             MOV64_IMM(5, 5), I(ISA_CALL, 0, 0, 0, 77), EXIT()};
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .user = (void *)(uintptr_t)1000};
    uint64_t r0;
    char err[256];
    CHECK_EQ_U64(run(p, 7, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(r0, 1015);
    /* callx with a helper id, and with an unknown value */
    struct bpfvm_insn q[] = {MOV64_IMM(1, 1), MOV64_IMM(7, 77), I(ISA_CALLX, 7, 0, 0, 0), EXIT()};
    CHECK_EQ_U64(run(q, 4, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(r0, 1001); /* r2-r5 are the (zero) arguments */
    struct bpfvm_insn bad[] = {MOV64_IMM(7, 99), I(ISA_CALLX, 7, 0, 0, 0), EXIT()};
    CHECK_EQ_U64(run(bad, 3, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EINVAL);
    CHECK(strstr(err, "neither a helper nor a function") != NULL);
}

static void test_semantics_edges(void)
{
    /* movsx32 of 0x80000000 -> sign-extended; mov32 zero-extends; arsh32 */
    struct bpfvm_insn p[] = {I(ISA_LDDW, 1, 0, 0, (int32_t)0x80000000), I(0, 0, 0, 0, 0x7),
                             I(BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 32, 0), EXIT()};
    CHECK_EQ_U64(run_ok(p, 4, 0), 0xffffffff80000000ull);
    struct bpfvm_insn q[] = {MOV64_IMM(0, -1), I(BPF_ALU | BPF_ARSH | BPF_K, 0, 0, 0, 4), EXIT()};
    CHECK_EQ_U64(run_ok(q, 3, 0), 0xffffffffull);
    /* cmpxchg32 success leaves r0 zero-extended old value */
    struct bpfvm_insn c[] = {I(ISA_LDDW, 0, 0, 0, 5), I(0, 0, 0, 0, 1),  /* r0 = 0x100000005 */
                             MOV64_IMM(1, 5), STX_DW(10, 1, -8), MOV64_IMM(2, 9),
                             I(BPF_STX | BPF_ATOMIC | BPF_W, 10, 2, -8, BPF_CMPXCHG), EXIT()};
    CHECK_EQ_U64(run_ok(c, 7, BPFVM_LOAD_CHECKED), 5);
    /* may_goto: a loop that only may_goto ends */
    struct bpfvm_insn m[] = {MOV64_IMM(0, 0), I(BPF_JMP | BPF_JCOND, 0, 0, 2, 0), ADD64_IMM(0, 1),
                             I(ISA_JA, 0, 0, -3, 0), EXIT()};
    CHECK_EQ_U64(run_ok(m, 5, 0), 8u * 1024 * 1024);
}

static void test_deep_calls_jit(void)
{
    /* a chain of 8 functions each calling the next: the 8th nested frame is too deep */
    struct bpfvm_insn p[32];
    int n = 0;
    for (int f = 0; f < 9; f++) {
        p[n++] = CALL_LOCAL(1); /* call the next function (two slots ahead, see exit) */
        p[n++] = EXIT();
    }
    p[n - 2] = MOV64_IMM(0, 5);
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex)};
    uint64_t r0;
    char err[256];
    CHECK_EQ_U64(run(p, (size_t)n, BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-E2BIG);
    /* 7 nested calls (8 frames) are fine */
    n = 0;
    for (int f = 0; f < 8; f++) {
        p[n++] = CALL_LOCAL(1);
        p[n++] = EXIT();
    }
    p[n - 2] = MOV64_IMM(0, 5);
    CHECK_EQ_U64(run(p, (size_t)n, BPFVM_LOAD_CHECKED, &ex, &r0, err), 0);
    CHECK_EQ_U64(r0, 5);
}

/* With BPFVM_LOAD_BLIND no program immediate appears in the native code, and results hold. */
static void test_blinding(void)
{
    const int32_t magic = 0x3c5a7e91;
    struct bpfvm_insn p[] = {
        MOV64_IMM(0, magic), ADD64_IMM(0, magic), I(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, magic),
        I(BPF_LDX | BPF_MEM | BPF_W, 1, 10, -4, 0), ADD64_REG(0, 1),
        I(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, magic), MOV64_IMM(0, 0),
        I(ISA_LDDW, 2, 0, 0, magic), I(0, 0, 0, 0, magic), ADD64_REG(0, 2), EXIT(),
    };
    uint64_t want = (uint64_t)magic * 3 + (((uint64_t)(uint32_t)magic << 32) | (uint32_t)magic);
    for (unsigned blind = 0; blind <= 1; blind++) {
        struct bpfvm_prog *prog = NULL;
        struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = blind ? BPFVM_LOAD_BLIND : 0};
        CHECK_EQ_U64(bpfvm_prog_load(vm, p, sizeof(p) / sizeof(p[0]), &lo, &prog), 0);
        size_t size = 0;
        const uint8_t *code = bpfvm_prog_jited_code(prog, &size, NULL);
        CHECK(code != NULL && size > 0);
        int found = 0;
        for (size_t i = 0; code && i + 4 <= size; i++)
            found |= !memcmp(code + i, &magic, 4);
        CHECKF(found == !blind, "blind=%u: immediate %s in the code", blind, found ? "found" : "absent");
        /* the copy the direct entry calls is blinded the same way */
        size_t dsize = 0;
        const uint32_t *doff = NULL;
        const uint8_t *dcode = bpfvm_prog_jited_direct_code(prog, &dsize, &doff);
        CHECK(dcode != NULL && dsize > 0 && doff != NULL);
        CHECK(dcode == (const void *)bpfvm_prog_direct_entry(prog));
        found = 0;
        for (size_t i = 0; dcode && i + 4 <= dsize; i++)
            found |= !memcmp(dcode + i, &magic, 4);
        CHECKF(found == !blind, "blind=%u: immediate %s in the direct copy", blind,
               found ? "found" : "absent");
        CHECK_EQ_U64(bpfvm_prog_direct_entry(prog)(0, 0, 0, 0, 0), want);
        struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .engine = BPFVM_ENGINE_JIT};
        uint64_t r0 = 0;
        CHECK_EQ_U64(bpfvm_prog_exec(prog, &ex, &r0), 0);
        CHECK_EQ_U64(r0, want);
        bpfvm_prog_free(prog);
    }
}

/* A host helper that calls back into the program, like bpf_loop: r1 = function, r2 = count;
 * returns the sum of the callback's results, or -1 when a callback failed. */
static uint64_t helper_loop(uint64_t fn, uint64_t n, uint64_t ctx, uint64_t r4, uint64_t r5,
                            struct bpfvm_exec *ex)
{
    uint64_t sum = 0, r0;
    for (uint64_t i = 0; i < n; i++) {
        if (exec_call_function(ex, fn, i, ctx, 0, 0, 0, &r0))
            return (uint64_t)-1;
        sum += r0;
    }
    return sum;
}

static void test_callbacks(void)
{
    bpfvm_vm_set_helper(vm, 2000, "loop", helper_loop);
    /* main: *(fp-8) = 100; r1 = &cb; r2 = 4; r3 = fp - 8; call loop; r0 += *(fp-8); exit
     * cb(i, ctx): *(u64 *)ctx += 1 (the caller's stack, through a pointer); r0 = i * 10 */
    struct bpfvm_insn p[] = {
        MOV64_IMM(1, 100), STX_DW(10, 1, -8),
        I(ISA_LDDW, 1, BPF_PSEUDO_FUNC, 0, 8), I(0, 0, 0, 0, 0),
        MOV64_IMM(2, 4), MOV64_REG(3, 10), ADD64_IMM(3, -8), I(ISA_CALL, 0, 0, 0, 2000),
        LDX_DW(1, 10, -8), ADD64_REG(0, 1), EXIT(),
        /* cb at pc 11: its own stack frame must not clobber the caller's fp-8 */
        MOV64_IMM(4, 7), STX_DW(10, 4, -8),
        LDX_DW(3, 2, 0), ADD64_IMM(3, 1), STX_DW(2, 3, 0),
        MOV64_REG(0, 1), I(BPF_ALU64 | BPF_MUL | BPF_K, 0, 0, 0, 10), EXIT(),
    };
    for (unsigned f = 0; f <= BPFVM_LOAD_CHECKED; f += BPFVM_LOAD_CHECKED)
        CHECK_EQ_U64(run_ok(p, sizeof(p) / sizeof(p[0]), f), 60 + 104);
    /* a callback that faults stops the whole run with its error */
    struct bpfvm_insn q[] = {
        I(ISA_LDDW, 1, BPF_PSEUDO_FUNC, 0, 5), I(0, 0, 0, 0, 0), MOV64_IMM(2, 3),
        I(ISA_CALL, 0, 0, 0, 2000), MOV64_IMM(0, 1), EXIT(),
        MOV64_IMM(1, 0), LDX_DW(0, 1, 0), EXIT(),
    };
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex)};
    uint64_t r0 = 0;
    char err[256];
    CHECK_EQ_U64(run(q, sizeof(q) / sizeof(q[0]), BPFVM_LOAD_CHECKED, &ex, &r0, err), (uint64_t)-EFAULT);
    CHECKF(strstr(err, "pc 7: invalid read") != NULL, "%s", err);
    /* not a function of the program */
    struct bpfvm_insn z[] = {MOV64_IMM(1, 12345), MOV64_IMM(2, 1), I(ISA_CALL, 0, 0, 0, 2000), EXIT()};
    CHECK_EQ_U64(run_ok(z, 4, BPFVM_LOAD_CHECKED), (uint64_t)-1);
}

/* Superinstructions (`rX = rY; rX op= K`): every op, and a jump straight to the second slot. */
static void test_fused_pairs(void)
{
    const uint64_t y = 0xf123456789abcdefull;
    const int32_t k = -7; /* sign-extended to 64 bits */
    const uint64_t kk = (uint64_t)(int64_t)k;
    struct { uint8_t op; uint64_t want; } ops[] = {
        {BPF_ADD, y + kk}, {BPF_SUB, y - kk}, {BPF_AND, y & kk}, {BPF_OR, y | kk},
        {BPF_XOR, y ^ kk}, {BPF_LSH, y << (kk & 63)}, {BPF_RSH, y >> (kk & 63)},
        {BPF_ARSH, (uint64_t)((int64_t)y >> (kk & 63))}, {BPF_MUL, y * kk},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        struct bpfvm_insn p[] = {
            I(ISA_LDDW, 1, 0, 0, (int32_t)(uint32_t)y), I(0, 0, 0, 0, (int32_t)(uint32_t)(y >> 32)),
            MOV64_REG(2, 1), I(BPF_ALU64 | ops[i].op | BPF_K, 2, 0, 0, k), MOV64_REG(0, 2), EXIT(),
        };
        for (unsigned f = 0; f <= BPFVM_LOAD_CHECKED; f += BPFVM_LOAD_CHECKED)
            CHECKF(run_ok(p, 6, f) == ops[i].want, "op 0x%x", ops[i].op);
    }
    /* r2 = 5; jump over the mov into the add: r2 = 5 + 1, not r1 + 1 */
    struct bpfvm_insn j[] = {MOV64_IMM(1, 100), MOV64_IMM(2, 5), I(ISA_JA, 0, 0, 1, 0),
                             MOV64_REG(2, 1), ADD64_IMM(2, 1), MOV64_REG(0, 2), EXIT()};
    CHECK_EQ_U64(run_ok(j, 7, 0), 6);
}

/* The direct entry: only for programs that need no run state; same results as exec. */
static void test_direct_entry(void)
{
    uint8_t pkt[16] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* r0 = *(u32 *)(r1 + 4) + r2 + a stack round trip + a loop */
    struct bpfvm_insn p[] = {
        I(BPF_LDX | BPF_MEM | BPF_W, 0, 1, 4, 0), ADD64_REG(0, 2), STX_DW(10, 0, -512),
        LDX_DW(0, 10, -512), MOV64_IMM(3, 10), ADD64_IMM(0, 1),
        I(BPF_ALU64 | BPF_SUB | BPF_K, 3, 0, 0, 1), I(BPF_JMP | BPF_JNE | BPF_K, 3, 0, -3, 0), EXIT(),
    };
    struct bpfvm_prog *prog = NULL;
    CHECK_EQ_U64(bpfvm_prog_load(vm, p, sizeof(p) / sizeof(p[0]), NULL, &prog), 0);
    bpfvm_direct_fn fn = bpfvm_prog_direct_entry(prog);
    CHECK(fn != NULL);
    if (fn)
        CHECK_EQ_U64(fn((uintptr_t)pkt, 100, 0, 0, 0), 0x08070605 + 100 + 10);
    bpfvm_prog_free(prog);
    /* checked programs, and programs that call or use LD_ABS, have none */
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = BPFVM_LOAD_CHECKED};
    CHECK_EQ_U64(bpfvm_prog_load(vm, p, sizeof(p) / sizeof(p[0]), &lo, &prog), 0);
    CHECK(bpfvm_prog_direct_entry(prog) == NULL);
    bpfvm_prog_free(prog);
    struct bpfvm_insn q[] = {I(ISA_CALL, 0, 0, 0, 77), EXIT()};
    CHECK_EQ_U64(bpfvm_prog_load(vm, q, 2, NULL, &prog), 0);
    CHECK(bpfvm_prog_direct_entry(prog) == NULL);
    bpfvm_prog_free(prog);
    struct bpfvm_insn r[] = {MOV64_IMM(6, 0), I(BPF_LD | BPF_ABS | BPF_B, 0, 0, 0, 1), EXIT()};
    CHECK_EQ_U64(bpfvm_prog_load(vm, r, 3, NULL, &prog), 0);
    CHECK(bpfvm_prog_direct_entry(prog) == NULL);
    bpfvm_prog_free(prog);
}

int main(void)
{
    static const enum bpfvm_engine engines[] = {BPFVM_ENGINE_INTERP, BPFVM_ENGINE_JIT};
    vm = bpfvm_vm_new();
    for (int e = 0; e < 2; e++) {
        g_engine = engines[e];
        test_local_calls();
        test_callx_function_pointer();
        test_checked_faults();
        test_packet_loads();
        test_load_errors();
        test_helpers();
        test_semantics_edges();
        test_deep_calls_jit();
        test_callbacks();
        test_fused_pairs();
    }
    test_budget();
    test_blinding();
    test_direct_entry();
    bpfvm_vm_free(vm);
    return test_summary();
}
