/* kdiff.c - the random kernel differential test: generate valid programs from seeds, run each
 * on the kernel (BPF_PROG_TEST_RUN) and in bpfvm, compare r0 and the packet.
 *
 *   kdiff [--count N] [--seconds S] [--seed S] [--type xdp|skf] [--verbose] [--no-minimise]
 *         [--report-known] [--engine interp|default|jit] [--one SEED]
 *
 * Exit status: 0 no mismatch, 1 mismatches or bpfvm errors, 77 kernel bpf() unavailable. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen.h"
#include "harness.h"
#include "known.h"

struct kdiff_opts {
    uint64_t count;
    double seconds;
    uint64_t seed;
    int have_one;
    uint64_t one;
    unsigned flags;
    int verbose;
    int minimise;
    enum bpfvm_engine engine;
    int max_reports;
    int report_known;
};

static double kdiff_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void kdiff_usage(void)
{
    fprintf(stderr, "usage: kdiff [--count N] [--seconds S] [--seed S] [--type xdp|skf] "
                    "[--verbose] [--no-minimise] [--report-known] [--engine interp|default|jit] "
                    "[--one SEED]\n");
}

static int kdiff_args(int argc, char **argv, struct kdiff_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--verbose") || !strcmp(a, "-v"))
            o->verbose++;
        else if (!strcmp(a, "--report-known"))
            o->report_known = 1;
        else if (!strcmp(a, "--no-minimise"))
            o->minimise = 0;
        else if (!v)
            return -1;
        else if (!strcmp(a, "--count"))
            o->count = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--seconds"))
            o->seconds = strtod(v, NULL), o->count = UINT64_MAX, i++;
        else if (!strcmp(a, "--seed"))
            o->seed = strtoull(v, NULL, 0), i++;
        else if (!strcmp(a, "--one"))
            o->one = strtoull(v, NULL, 0), o->have_one = 1, i++;
        else if (!strcmp(a, "--type") && !strcmp(v, "xdp"))
            o->flags |= KDIFF_GEN_FORCE_XDP, i++;
        else if (!strcmp(a, "--type") && !strcmp(v, "skf"))
            o->flags |= KDIFF_GEN_FORCE_SKF, i++;
        else if (!strcmp(a, "--engine") && !strcmp(v, "interp"))
            o->engine = BPFVM_ENGINE_INTERP, i++;
        else if (!strcmp(a, "--engine") && !strcmp(v, "default"))
            o->engine = BPFVM_ENGINE_DEFAULT, i++;
        else if (!strcmp(a, "--engine") && !strcmp(v, "jit"))
            o->engine = BPFVM_ENGINE_JIT, i++;
        else
            return -1;
    }
    return 0;
}

static void kdiff_report(struct bpfvm_vm *vm, const struct kdiff_opts *opt, struct kdiff_prog *p,
                         const struct kdiff_outcome *o, const char *what)
{
    printf("%s: seed 0x%016" PRIx64 " (%s, %zu insns, %u-byte packet): %s\n", what, p->seed,
           p->type == KDIFF_XDP ? "xdp" : "socket_filter", p->body_cnt, p->pkt_len, o->msg);
    if (!opt->minimise || o->status != KDIFF_MISMATCH) {
        if (opt->verbose)
            kdiff_dump(stdout, p->body, p->body_cnt);
        return;
    }
    /* the minimiser tries variants that may loop forever: the budgeted interpreter runs them */
    size_t n = kdiff_minimise(vm, p->type, p->body, p->body_cnt, p->pkt, p->pkt_len, BPFVM_ENGINE_INTERP);
    struct kdiff_outcome *m = malloc(sizeof(*m));
    if (!m)
        return;
    kdiff_run(vm, p->type, p->body, n, p->pkt, p->pkt_len, opt->engine, m);
    printf("  minimised body (%zu insns; prologue not shown): %s\n", n, m->msg);
    kdiff_dump(stdout, p->body, n);
    printf("  packet:");
    for (uint32_t i = 0; i < p->pkt_len && i < 64; i++)
        printf(" %02x", p->pkt[i]);
    printf("%s\n", p->pkt_len > 64 ? " ..." : "");
    free(m);
}

int main(int argc, char **argv)
{
    struct kdiff_opts opt = {.count = 10000, .seed = 1, .minimise = 1,
                             .engine = BPFVM_ENGINE_INTERP, .max_reports = 20};
    if (kdiff_args(argc, argv, &opt) < 0) {
        kdiff_usage();
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char why[256];
    if (kdiff_kernel_probe(why, sizeof(why)) < 0) {
        printf("SKIP: kernel bpf() unavailable: %s\n", why);
        return 77;
    }
    struct bpfvm_vm *vm = bpfvm_vm_new();
    struct kdiff_prog *p = malloc(sizeof(*p));
    struct kdiff_outcome *o = malloc(sizeof(*o));
    if (!vm || !p || !o) {
        fprintf(stderr, "kdiff: out of memory\n");
        return 2;
    }
    uint64_t n_gen = 0, n_cmp = 0, n_rej = 0, n_mis = 0, n_known = 0, n_vmerr = 0, n_kerr = 0,
             n_big = 0, n_insns = 0;
    uint64_t reject_shown = 0, reports = 0;
    uint64_t seedstate = opt.seed;
    double t0 = kdiff_now(), deadline = opt.seconds > 0 ? t0 + opt.seconds : 0;
    for (uint64_t i = 0; i < (opt.have_one ? 1 : opt.count); i++) {
        if (deadline && (i & 15) == 0 && kdiff_now() > deadline)
            break;
        uint64_t seed = opt.have_one ? opt.one : kdiff_mix64(&seedstate);
        n_gen++;
        if (kdiff_gen(seed, opt.flags, p) < 0) {
            n_big++;
            continue;
        }
        n_insns += p->body_cnt;
        enum kdiff_status st =
            kdiff_run(vm, p->type, p->body, p->body_cnt, p->pkt, p->pkt_len, opt.engine, o);
        switch (st) {
        case KDIFF_AGREE:
            n_cmp++;
            if (opt.have_one) {
                printf("agree: r0 0x%08x\n", o->kernel_ret);
                kdiff_dump(stdout, p->body, p->body_cnt);
            }
            break;
        case KDIFF_REJECTED:
            n_rej++;
            if (opt.verbose && reject_shown++ < 10) {
                printf("kernel-rejected: seed 0x%016" PRIx64 ": %s\n", seed, o->msg);
                if (opt.verbose > 1)
                    kdiff_dump(stdout, p->body, p->body_cnt);
            }
            break;
        case KDIFF_MISMATCH: {
            n_cmp++;
            const char *known = kdiff_known_bug(vm, p->type, p->body, p->body_cnt, p->pkt,
                                                 p->pkt_len, opt.engine);
            if (known) {
                n_known++;
                if (opt.verbose || opt.report_known)
                    printf("known kernel bug (%s): seed 0x%016" PRIx64 ": %s\n", known, seed,
                           o->msg);
                if (opt.report_known && reports++ < (uint64_t)opt.max_reports)
                    kdiff_report(vm, &opt, p, o, "KNOWN");
                break;
            }
            n_mis++;
            if (reports++ < (uint64_t)opt.max_reports)
                kdiff_report(vm, &opt, p, o, "MISMATCH");
            break;
        }
        case KDIFF_VM_ERROR:
            n_vmerr++;
            if (reports++ < (uint64_t)opt.max_reports)
                kdiff_report(vm, &opt, p, o, "BPFVM-ERROR");
            break;
        case KDIFF_KERNEL_ERROR:
            n_kerr++;
            printf("kernel error: seed 0x%016" PRIx64 ": %s\n", seed, o->msg);
            break;
        }
    }
    double dt = kdiff_now() - t0;
    printf("kdiff: %" PRIu64 " programs in %.1f s (avg %.0f insns): compared %" PRIu64
           ", kernel-rejected %" PRIu64 " (%.1f%%), mismatches %" PRIu64
           ", known kernel bugs %" PRIu64 ", bpfvm errors %" PRIu64 ", kernel errors %" PRIu64
           ", too big %" PRIu64 "\n",
           n_gen, dt, n_gen > n_big ? (double)n_insns / (double)(n_gen - n_big) : 0.0, n_cmp, n_rej,
           n_gen ? 100.0 * (double)n_rej / (double)n_gen : 0.0, n_mis, n_known, n_vmerr, n_kerr,
           n_big);
    uint64_t failed = n_mis + n_vmerr + n_kerr;
    /* the reject rate is a generator-quality check: too many rejects means we test little */
    int reject_bad = n_gen >= 100 && n_rej * 10 > n_gen;
    if (reject_bad)
        printf("kdiff: kernel reject rate above 10%%: generator bug\n");
    printf("%" PRIu64 " passed, %" PRIu64 " failed\n", n_cmp - n_mis, failed + (uint64_t)reject_bad);
    free(p);
    free(o);
    bpfvm_vm_free(vm);
    return failed || reject_bad ? 1 : 0;
}
