/* fuzz_verifier.c - random programs through the verifier; every accepted one runs in the
 * interpreter WITHOUT run-time checks (trusted, as a verified program would) over a context
 * buffer of exactly its size, so ASan catches any access the verifier let through, and with an
 * instruction budget so a loop it let through cannot hang the test.
 * Usage: fuzz_verifier [--count N] [--seed S] [-v] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "bpfvm/verifier.h"
#include "isa/isa.h"
#include "testlib.h"

#define CTX_SIZE 64

static uint64_t rng_state;
static uint64_t rnd(void) { return test_rng(&rng_state); }
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }

static const struct bpfvm_ctx_field ctx_fields[] = {
    {0, 8, BPFVM_CTX_SCALAR, true, true, true},  {8, 8, BPFVM_CTX_SCALAR, true, true, true},
    {16, 8, BPFVM_CTX_SCALAR, true, true, true}, {24, 8, BPFVM_CTX_SCALAR, true, true, true},
    {32, 8, BPFVM_CTX_SCALAR, true, true, true}, {40, 8, BPFVM_CTX_SCALAR, true, true, true},
    {48, 8, BPFVM_CTX_SCALAR, true, true, true}, {56, 8, BPFVM_CTX_SCALAR, true, false, true},
};
static const struct bpfvm_ctx_desc ctx_desc = {"fuzz", CTX_SIZE, ctx_fields, 8, false, false, false, 0, 0, NULL, 0};

static const uint8_t alu_ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
                                  BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH, BPF_NEG};
static const uint8_t jmp_ops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
                                  BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};
static const int sizes[] = {BPF_B, BPF_H, BPF_W, BPF_DW};

static int32_t rnd_imm(void)
{
    switch (pick(6)) {
    case 0: return pick(8);
    case 1: return -pick(8);
    case 2: return pick(80);
    case 3: return pick(600) - 300;
    case 4: return (int32_t)rnd();
    default: return 1 << pick(31);
    }
}

static int gen(struct bpfvm_insn *p, int max)
{
    int n = 0;
    /* some registers start as pointers or constants */
    p[n++] = isa_make(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0);
    p[n++] = isa_make(BPF_ALU64 | BPF_MOV | BPF_X, 7, 10, 0, 0);
    p[n++] = isa_make(BPF_ALU64 | BPF_ADD | BPF_K, 7, 0, 0, -8 * (1 + pick(8)));
    int body = 4 + pick(max - 10);
    while (n < body) {
        int k = pick(10), d = pick(10), s = pick(11);
        int sz = sizes[pick(4)];
        switch (k) {
        case 0: case 1: case 2: {
            uint8_t op = alu_ops[pick(sizeof(alu_ops))];
            uint8_t cls = pick(3) ? BPF_ALU64 : BPF_ALU;
            if (op == BPF_NEG)
                p[n++] = isa_make(cls | op, d, 0, 0, 0);
            else if (pick(2))
                p[n++] = isa_make(cls | op | BPF_X, d, s == 10 && op != BPF_MOV ? 1 : s, 0, 0);
            else
                p[n++] = isa_make(cls | op | BPF_K, d, 0, 0, op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH ? pick(70) : rnd_imm());
            break;
        }
        case 3: /* stack store */
            p[n++] = isa_make(BPF_STX | BPF_MEM | sz, pick(3) ? 10 : 7, s == 10 ? 0 : s, -8 * (1 + pick(10)) + pick(8), 0);
            break;
        case 4: /* load from stack or ctx or random pointer */
            p[n++] = isa_make(BPF_LDX | BPF_MEM | sz, d, pick(4) ? (pick(2) ? 10 : 6) : s, pick(2) ? -8 * (1 + pick(10)) : pick(72), 0);
            break;
        case 5: /* ctx store */
            p[n++] = isa_make(BPF_STX | BPF_MEM | sz, 6, s == 10 ? 0 : s, pick(72), 0);
            break;
        case 6: case 7: { /* forward jump, sometimes backward */
            uint8_t op = jmp_ops[pick(sizeof(jmp_ops))];
            uint8_t cls = pick(3) ? BPF_JMP : BPF_JMP32;
            int off = pick(8) ? 1 + pick(6) : -1 - pick(6);
            if (n + 1 + off < 3)
                off = 1;
            if (pick(2))
                p[n++] = isa_make(cls | op | BPF_X, d, s, off, 0);
            else
                p[n++] = isa_make(cls | op | BPF_K, d, 0, off, rnd_imm());
            break;
        }
        case 8: /* pointer arithmetic on a copy of r10 or r6 */
            p[n++] = isa_make(BPF_ALU64 | BPF_MOV | BPF_X, d, pick(2) ? 10 : 6, 0, 0);
            p[n++] = isa_make(BPF_ALU64 | BPF_ADD | (pick(2) ? BPF_K : BPF_X), d, pick(2) ? s : 0, 0, pick(2) ? -8 * pick(9) : pick(64));
            break;
        default: /* atomic on the stack */
            p[n++] = isa_make(BPF_STX | BPF_ATOMIC | (pick(2) ? BPF_W : BPF_DW), 10, s == 10 ? 1 : s, -8 * (1 + pick(8)),
                              pick(2) ? BPF_ADD : (BPF_ADD | BPF_FETCH));
            break;
        }
    }
    /* jumps past the end land on the tail */
    for (int i = 0; i < n; i++) {
        uint8_t cls = ISA_CLASS(p[i].code);
        if ((cls == BPF_JMP || cls == BPF_JMP32) && i + 1 + p[i].off > n)
            p[i].off = (int16_t)(n - i - 1);
    }
    p[n++] = isa_make(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, pick(3));
    p[n++] = isa_make(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    return n;
}

int main(int argc, char **argv)
{
    long count = 20000;
    uint64_t seed = 1;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-v"))
            verbose = 1;
    }
    struct bpfvm_vm *vm = bpfvm_vm_new();
    CHECK(vm != NULL);
    long accepted = 0, ran = 0, budget_hit = 0;
    struct bpfvm_insn prog[128];
    for (long it = 0; it < count; it++) {
        rng_state = seed * 0x9e3779b97f4a7c15ULL + (uint64_t)it * 0x2545f4914f6cdd1dULL + 1;
        int n = gen(prog, 60);
        struct bpfvm_verify_opts o;
        memset(&o, 0, sizeof(o));
        o.sz = sizeof(o);
        o.prog_type = BPFVM_PROG_TYPE_UNSPEC;
        o.ctx = &ctx_desc;
        o.insn_limit = 200000;
        if (bpfvm_verify(prog, (size_t)n, &o))
            continue;
        accepted++;
        struct bpfvm_load_opts lo;
        memset(&lo, 0, sizeof(lo));
        lo.sz = sizeof(lo);
        lo.flags = BPFVM_LOAD_NO_JIT; /* trusted: no run-time checks */
        char err[256] = "";
        lo.errbuf = err;
        lo.errbuf_len = sizeof(err);
        struct bpfvm_prog *bp = NULL;
        if (bpfvm_prog_load(vm, prog, (size_t)n, &lo, &bp)) {
            CHECKF(0, "seed %llu it %ld: verified but not loadable: %s", (unsigned long long)seed, it, err);
            continue;
        }
        uint8_t *ctx = malloc(CTX_SIZE);
        memset(ctx, 0x5a, CTX_SIZE);
        struct bpfvm_exec_opts eo;
        memset(&eo, 0, sizeof(eo));
        eo.sz = sizeof(eo);
        eo.args[0] = (uint64_t)(uintptr_t)ctx;
        eo.engine = BPFVM_ENGINE_INTERP;
        eo.insn_budget = 10000000;
        uint64_t ret;
        int rc = bpfvm_prog_exec(bp, &eo, &ret);
        if (rc == -ETIME)
            budget_hit++;
        CHECKF(rc == 0 || rc == -ETIME, "it %ld: run failed %d", it, rc);
        CHECKF(rc != -ETIME, "it %ld: a verified program did not finish within the budget", it);
        if (verbose && rc)
            fprintf(stderr, "it %ld rc %d\n", it, rc);
        ran++;
        free(ctx);
        bpfvm_prog_free(bp);
    }
    printf("fuzz: %ld programs, %ld accepted, %ld ran, %ld over budget\n", count, accepted, ran, budget_hit);
    bpfvm_vm_free(vm);
    return test_summary();
}
