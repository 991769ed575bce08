/* fuzz_mutants.c - verifier soundness on near-valid programs: kdiff's generator makes XDP
 * programs the kernel accepts; each gets 1-3 random mutations (offsets, sizes, registers,
 * jump targets, immediates) that often break a bounds check or a pointer rule.  Whatever
 * bpfvm's verifier accepts is run twice on an exact-size packet: unchecked (ASan watches the
 * memory) and with run-time checks (any fault there is a program the verifier should have
 * rejected).  Both runs must agree and finish within the instruction budget.
 *
 *   fuzz_mutants [--count N] [--seed S] [-v]        prints "N passed, N failed" */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "isa/isa.h"
#include "kdiff/gen.h"
#include "testlib.h"

#define BUDGET 10000000ull

static uint64_t rng;
static uint64_t rnd(void) { return kdiff_mix64(&rng); }

/* one random change to one instruction */
static void mutate(struct bpfvm_insn *p, size_t cnt)
{
    size_t i = (size_t)(rnd() % cnt);
    struct bpfvm_insn *in = &p[i];
    if (i > 0 && p[i - 1].code == ISA_LDDW)
        return; /* a lddw's second slot: leave it */
    switch (rnd() % 8) {
    case 0: in->off = (int16_t)((uint16_t)in->off + (uint16_t)(rnd() % 17) - 8u); break; /* nudge an offset */
    case 1: in->off = (int16_t)((uint16_t)in->off + ((rnd() & 1) ? 64u : (uint16_t)-64)); break;
    case 2: in->imm = (int32_t)((uint32_t)in->imm + (uint32_t)(rnd() % 9) - 4u); break; /* nudge a constant */
    case 3: in->dst_reg = (uint8_t)(rnd() % 11); break;                          /* another register */
    case 4: in->src_reg = (uint8_t)(rnd() % 11); break;
    case 5: /* another access size */
        if (ISA_CLASS(in->code) == BPF_LDX || ISA_CLASS(in->code) == BPF_STX || ISA_CLASS(in->code) == BPF_ST)
            in->code = (uint8_t)((in->code & ~0x18) | ((rnd() % 4) << 3));
        break;
    case 6: /* a comparison flips (often a bounds check) */
        if (ISA_CLASS(in->code) == BPF_JMP || ISA_CLASS(in->code) == BPF_JMP32) {
            static const uint8_t ops[] = {BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE,
                                          BPF_JSGT, BPF_JSLT};
            uint8_t op = ISA_OP(in->code);
            if (op != BPF_JA && op != BPF_CALL && op != BPF_EXIT)
                in->code = (uint8_t)((in->code & 0x0f) | ops[rnd() % sizeof(ops)]);
        }
        break;
    default: /* another ALU immediate */
        if (ISA_CLASS(in->code) == BPF_ALU64 || ISA_CLASS(in->code) == BPF_ALU)
            in->imm = (int32_t)(rnd() % 200) - 100;
        break;
    }
}

struct xdp_native { /* bpfvm's xdp_md layout (src/progtype/xdp.c) */
    uint64_t data, data_end, data_meta;
    uint32_t ingress_ifindex, rx_queue_index, egress_ifindex, pad;
};

/* buf: exact size (ASan sees any overrun), the same for both runs so that pointers a
 * privileged program stores or returns compare equal */
static int run(const struct bpfvm_prog *prog, uint8_t *buf, const uint8_t *pkt, uint32_t len,
               uint8_t *out, uint64_t *r0, char *err)
{
    memcpy(buf, pkt, len);
    struct xdp_native ctx = {(uintptr_t)buf, (uintptr_t)(buf + len), (uintptr_t)buf, 1, 0, 0, 0};
    struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .mem = buf, .mem_size = len, .mem_writable = true,
                                 .ctx = &ctx, .ctx_size = sizeof(ctx), .engine = BPFVM_ENGINE_INTERP,
                                 .insn_budget = BUDGET, .errbuf = err, .errbuf_len = 256};
    ex.args[0] = (uintptr_t)&ctx;
    int rc = bpfvm_prog_exec(prog, &ex, r0);
    memcpy(out, buf, len);
    return rc;
}

int main(int argc, char **argv)
{
    uint64_t count = 3000, seed = 1;
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-v"))
            verbose = 1;
    }
    rng = seed;
    struct bpfvm_vm *vm = bpfvm_vm_new();
    static struct kdiff_prog p;
    static struct bpfvm_insn insns[KDIFF_MAX_INSNS + 8];
    unsigned long accepted = 0, undecided = 0, rejected = 0, skipped = 0;
    for (uint64_t n = 0; n < count; n++) {
        if (kdiff_gen(rnd(), KDIFF_GEN_FORCE_XDP, &p)) {
            skipped++;
            continue;
        }
        size_t cnt = kdiff_assemble(KDIFF_XDP, 1, p.body, p.body_cnt, insns);
        int muts = 1 + (int)(rnd() % 3);
        for (int m = 0; m < muts; m++)
            mutate(insns, cnt);
        char err[256] = "";
        struct bpfvm_prog *verified = NULL, *checked = NULL;
        struct bpfvm_load_opts lo = {.sz = sizeof(lo), .prog_type = BPFVM_PROG_TYPE_XDP,
                                     .errbuf = err, .errbuf_len = sizeof(err)};
        if (bpfvm_prog_load(vm, insns, cnt, &lo, &verified)) {
            rejected++;
            continue;
        }
        if (!bpfvm_prog_verified(verified)) {
            undecided++;
            bpfvm_prog_free(verified);
            continue;
        }
        accepted++;
        lo.flags = BPFVM_LOAD_NO_VERIFY; /* the same program with every access checked */
        CHECK(bpfvm_prog_load(vm, insns, cnt, &lo, &checked) == 0);
        uint8_t out_u[KDIFF_MAX_PKT], out_c[KDIFF_MAX_PKT];
        uint64_t r_u = 0, r_c = 0;
        char err_u[256] = "", err_c[256] = "";
        uint8_t *buf = malloc(p.pkt_len ? p.pkt_len : 1);
        int rc_u = buf ? run(verified, buf, p.pkt, p.pkt_len, out_u, &r_u, err_u) : -ENOMEM;
        int rc_c = buf && checked ? run(checked, buf, p.pkt, p.pkt_len, out_c, &r_c, err_c) : -EINVAL;
        free(buf);
        int ok = rc_u == 0 && rc_c == 0 && r_u == r_c && !memcmp(out_u, out_c, p.pkt_len);
        CHECKF(ok, "program %llu (kdiff seed 0x%llx, %d mutations) was verified but: unchecked rc %d %s, "
                   "checked rc %d %s, r0 0x%llx vs 0x%llx",
               (unsigned long long)n, (unsigned long long)p.seed, muts, rc_u, err_u, rc_c, err_c,
               (unsigned long long)r_u, (unsigned long long)r_c);
        if (!ok && verbose)
            kdiff_dump(stderr, insns, cnt);
        bpfvm_prog_free(verified);
        bpfvm_prog_free(checked);
    }
    printf("fuzz_mutants: %llu programs: verified and run %lu, undecided %lu, rejected %lu, skipped %lu\n",
           (unsigned long long)count, accepted, undecided, rejected, skipped);
    bpfvm_vm_free(vm);
    return test_summary();
}
