/* verify_time.c - verification time per program: bpfvm's verifier against the kernel's own
 * figure (the "verification time N usec" line BPF_LOG_STATS adds to the log), on the XDP
 * form of every row that needs no maps or helpers, median of several loads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "bpfvm/progtype.h"
#include "bpfvm/verifier.h"
#include "engine.h"
#include "rows.h"
#include "verify_time.h"

#define VT_REPS 5

static int vt_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double vt_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), vt_cmp);
    return v[n / 2];
}

/* the kernel's verification time in us, or < 0 with a reason */
static double vt_kernel(const struct ops_prog *p, char *why, size_t len)
{
    static char log[1 << 16];
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_XDP;
    a.insns = (uint64_t)(uintptr_t)p->insn;
    a.insn_cnt = (uint32_t)p->cnt;
    a.license = (uint64_t)(uintptr_t)"GPL";
    a.log_buf = (uint64_t)(uintptr_t)log;
    a.log_size = sizeof(log);
    a.log_level = 4; /* BPF_LOG_STATS */
    log[0] = 0;
    int fd = (int)syscall(__NR_bpf, BPF_PROG_LOAD, &a, sizeof(a));
    if (fd < 0) {
        snprintf(why, len, "bpf() refused: %s", strerror(errno));
        return -1;
    }
    close(fd);
    const char *t = strstr(log, "verification time ");
    if (!t) {
        snprintf(why, len, "no verification time in the log");
        return -1;
    }
    return strtod(t + strlen("verification time "), NULL);
}

static double vt_bpfvm(const struct ops_prog *p, uint64_t *processed)
{
    struct bpfvm_verify_opts o;
    memset(&o, 0, sizeof(o));
    o.sz = sizeof(o);
    o.prog_type = BPFVM_PROG_TYPE_XDP;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = bpfvm_verify((const struct bpfvm_insn *)p->insn, p->cnt, &o);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    *processed = o.insns_processed;
    if (rc)
        return -1;
    return ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
}

void bench_verify_report(const struct bench_row *rows, size_t nrows, FILE *out)
{
    fprintf(out, "\nVerification time per program, us, median of %d (XDP form of each row; kernel: the\n"
                 "\"verification time\" BPF_LOG_STATS reports; bpfvm: bpfvm_verify wall time):\n", VT_REPS);
    fprintf(out, "%-22s %10s %10s %8s %10s\n", "row", "bpfvm", "kernel", "ratio", "processed");
    static struct ops_prog p;
    for (size_t r = 0; r < nrows; r++) {
        const struct bench_row *row = &rows[r];
        if (row->kind != ROW_EBPF || (row->needs & (NEED_MAPS | NEED_HELPERS)))
            continue;
        bench_build_prog(row, FLAVOUR_XDP, &p);
        double b[VT_REPS], k[VT_REPS];
        uint64_t processed = 0;
        char why[128] = "";
        int kok = 1, bok = 1;
        for (int i = 0; i < VT_REPS; i++) {
            b[i] = vt_bpfvm(&p, &processed);
            k[i] = vt_kernel(&p, why, sizeof(why));
            bok &= b[i] >= 0;
            kok &= k[i] >= 0;
        }
        char bs[32] = "rejected", ks[32] = "missing", rs[32] = "-";
        double bm = bok ? vt_median(b, VT_REPS) : -1, km = kok ? vt_median(k, VT_REPS) : -1;
        if (bok)
            snprintf(bs, sizeof(bs), "%.1f", bm);
        if (kok)
            snprintf(ks, sizeof(ks), "%.0f", km);
        if (bok && kok && bm > 0)
            snprintf(rs, sizeof(rs), "%.1fx", km / bm);
        fprintf(out, "%-22s %10s %10s %8s %10llu%s%s\n", row->name, bs, ks, rs,
                (unsigned long long)processed, kok ? "" : "  kernel: ", kok ? "" : why);
    }
    fprintf(out, "  (ratio = kernel / bpfvm: how many times faster bpfvm's verifier is)\n");
}
