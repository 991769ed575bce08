/* main.c - the bench driver: load every row in every engine, check each cell's result against
 * native, calibrate a batch size per cell, then time the batches with the engines taking turns
 * inside each repetition, and report medians and ratios to native from this one run. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "engine.h"
#include "nmaps.h"
#include "report.h"
#include "mem.h"
#include "verify_time.h"

static const struct bench_engine *const engines[] = {
    &engine_native, &engine_bpfvm_interp, &engine_bpfvm_checked, &engine_bpfvm_jit,
    &engine_kernel, &engine_dpdk_interp,  &engine_dpdk_jit,      &engine_libpcap,
    &engine_hand_asm,
};
#define NENG (sizeof(engines) / sizeof(engines[0]))

static double clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* The clock batches are timed with: the thread's CPU time by default, so time slices other
 * processes take on this core are not counted (as the kernel's own test-run timer does not
 * count them either); CLOCK_MONOTONIC with --clock wall. */
static clockid_t bench_clock = CLOCK_THREAD_CPUTIME_ID;

/* One timed batch: ns per execution, or a negative number on error. */
static double bench_batch(const struct bench_engine *e, struct bench_cell *c,
                          const struct bench_row *row)
{
    uint64_t r0;
    double w0 = now_ns(), t0 = clock_ns(bench_clock);
    int rc = e->run(c->h, row, c->n, &r0);
    double t1 = clock_ns(bench_clock), w1 = now_ns();
    if (rc)
        return -1;
    c->last_wall = (w1 - w0) / (double)c->n;
    c->last_cpu = (t1 - t0) / (double)c->n;
    /* The kernel times its own loop: each XDP test run with repeat > 1 also swaps the XDP
     * dispatcher (milliseconds of fixed cost per syscall), which is not the program's time. */
    if (e == &engine_kernel)
        return bench_kernel_last_duration(c->h);
    return c->last_cpu;
}

/* Grow n until one batch takes about target_ms. */
static int bench_calibrate(const struct bench_engine *e, struct bench_cell *c,
                           const struct bench_row *row, double target_ms)
{
    c->n = 1;
    for (;;) {
        double per = bench_batch(e, c, row);
        if (per < 0)
            return -1;
        double total_ms = per * (double)c->n / 1e6;
        if (total_ms >= target_ms / 4 || c->n >= (1ull << 31)) {
            double want = (double)c->n * target_ms / (total_ms > 0 ? total_ms : 1e-3);
            c->n = want < 1 ? 1 : want > (double)(1ull << 31) ? (1ull << 31) : (uint64_t)want;
            return 0;
        }
        c->n *= total_ms < target_ms / 400 ? 16 : 2;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void usage(void)
{
    fprintf(stderr, "usage: bpfvm-bench [--reps N] [--target-ms MS] [--out DIR] [--clock cpu|wall]\n"
                    "                   [--quick] [--rows NAME,NAME...]\n"
                    "  --rows: only the rows whose name contains one of the words (any case)\n");
    exit(2);
}

/* Whether row `name` is selected by --rows (comma-separated words, case-insensitive). */
static int row_selected(const char *name, const char *words)
{
    if (!words)
        return 1;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", words);
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
        if (*w && strcasestr(name, w))
            return 1;
    return 0;
}

static void pin_cpu(struct bench_meta *m)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return;
    int last = -1;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set))
            last = i;
    if (last < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(last, &set);
    if (sched_setaffinity(0, sizeof(set), &set) == 0)
        m->cpu = last;
}

static void read_cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                p++;
                while (*p == ' ')
                    p++;
                p[strcspn(p, "\n")] = 0;
                snprintf(buf, len, "%s", p);
            }
            break;
        }
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    struct bench_meta meta = {.reps = 15, .target_ms = 10, .cpu = -1, .out_dir = "bench/out",
                             .clock = "thread CPU time"};
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            meta.reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--target-ms") && i + 1 < argc)
            meta.target_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc)
            meta.out_dir = argv[++i];
        else if (!strcmp(argv[i], "--clock") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "wall"))
                bench_clock = CLOCK_MONOTONIC, meta.clock = "wall (CLOCK_MONOTONIC)";
            else if (strcmp(argv[i], "cpu"))
                usage();
        } else if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--quick"))
            meta.reps = 3, meta.target_ms = 2;
        else
            usage();
    }
    if (meta.reps < 1 || meta.reps > MAX_REPS || meta.target_ms <= 0)
        usage();

    pin_cpu(&meta);
    read_cpu_model(meta.cpu_model, sizeof(meta.cpu_model));
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(meta.kernel, sizeof(meta.kernel), "%s", u.release);
    time_t t = time(NULL);
    strftime(meta.date, sizeof(meta.date), "%Y-%m-%d %H:%M:%S", localtime(&t));

    if (nmaps_init()) {
        fprintf(stderr, "bpfvm-bench: out of memory building the maps\n");
        return 1;
    }
    const struct bench_row *all_rows;
    size_t nall = bench_rows_init(&all_rows), nrows = 0;
    static struct bench_row rows[MAX_ROWS];
    static struct bench_cell cells[MAX_ROWS][MAX_ENGINES];
    if (nall > MAX_ROWS || NENG > MAX_ENGINES)
        return 1;
    for (size_t r = 0; r < nall; r++)
        if (row_selected(all_rows[r].name, only))
            rows[nrows++] = all_rows[r];
    if (!nrows) {
        fprintf(stderr, "bpfvm-bench: no row matches --rows %s\n", only);
        return 2;
    }

    /* engines present on this machine? */
    char missing[MAX_ENGINES][128];
    for (size_t e = 0; e < NENG; e++) {
        missing[e][0] = 0;
        if (engines[e]->init(missing[e], sizeof(missing[e])) != 0 && !missing[e][0])
            snprintf(missing[e], sizeof(missing[e]), "not available");
    }

    /* load, check against native, calibrate */
    fprintf(stderr, "bpfvm-bench: loading and checking %zu rows x %zu engines...\n", nrows,
            NENG);
    for (size_t r = 0; r < nrows; r++) {
        const struct bench_row *row = &rows[r];
        uint64_t expect = row->native(row->pkt, row->pkt ? row->pkt + row->pkt_len : NULL,
                                      row->seed);
        for (size_t e = 0; e < NENG; e++) {
            struct bench_cell *c = &cells[r][e];
            const struct bench_engine *eng = engines[e];
            c->load_us = -1;
            if (missing[e][0]) {
                c->state = CELL_MISSING;
                snprintf(c->note, sizeof(c->note), "%.150s", missing[e]);
                continue;
            }
            double t0 = now_ns();
            int rc = eng->prepare(row, &c->h, c->note, sizeof(c->note));
            double t1 = now_ns();
            if (rc == ENGINE_SKIP) {
                c->state = CELL_SKIP;
                continue;
            }
            if (rc == ENGINE_NA) {
                c->state = CELL_NA;
                continue;
            }
            if (rc != 0) {
                c->state = CELL_FAIL;
                continue;
            }
            /* load time: median of three loads (single loads are noisy, the kernel's most) */
            double lt[3] = {t1 - t0, 0, 0};
            for (int k = 1; k < 3; k++) {
                void *h2 = NULL;
                char note2[160];
                double a = now_ns();
                int rc2 = eng->prepare(row, &h2, note2, sizeof(note2));
                lt[k] = now_ns() - a;
                if (rc2 == 0)
                    eng->release(h2);
                else
                    lt[k] = lt[0];
            }
            qsort(lt, 3, sizeof(double), cmp_double);
            c->load_us = lt[1] / 1e3;
            uint64_t got = 0;
            c->n = 1;
            if (eng->run(c->h, row, 1, &got) != 0) {
                c->state = CELL_FAIL;
                snprintf(c->note, sizeof(c->note), "run failed");
                continue;
            }
            uint64_t mask = eng->result_bits == 64 ? ~0ull : (1ull << eng->result_bits) - 1;
            if ((got & mask) != (expect & mask)) {
                c->state = CELL_FAIL;
                snprintf(c->note, sizeof(c->note), "result 0x%llx, native 0x%llx",
                         (unsigned long long)got, (unsigned long long)expect);
                continue;
            }
            c->result = got;
            if (bench_calibrate(eng, c, row, meta.target_ms) != 0) {
                c->state = CELL_FAIL;
                snprintf(c->note, sizeof(c->note), "run failed while calibrating");
                continue;
            }
            c->state = CELL_OK;
        }
    }

    /* timed repetitions: in each, every row runs once in every engine, in rotating order */
    fprintf(stderr, "bpfvm-bench: timing, %d repetitions...\n", meta.reps);
    for (int rep = 0; rep < meta.reps; rep++) {
        for (size_t r = 0; r < nrows; r++) {
            for (size_t k = 0; k < NENG; k++) {
                size_t e = (k + (size_t)rep + r) % NENG;
                struct bench_cell *c = &cells[r][e];
                if (c->state != CELL_OK)
                    continue;
                double per = bench_batch(engines[e], c, &rows[r]);
                if (per < 0) {
                    c->state = CELL_FAIL;
                    snprintf(c->note, sizeof(c->note), "run failed while timing");
                    continue;
                }
                c->wall_ns[c->nsamples] = c->last_wall;
                c->samples[c->nsamples++] = per;
            }
        }
    }
    for (size_t r = 0; r < nrows; r++) {
        for (size_t e = 0; e < NENG; e++) {
            struct bench_cell *c = &cells[r][e];
            if (c->state != CELL_OK || !c->nsamples)
                continue;
            double s[MAX_REPS];
            memcpy(s, c->samples, sizeof(double) * (size_t)c->nsamples);
            qsort(s, (size_t)c->nsamples, sizeof(double), cmp_double);
            c->median = c->nsamples % 2 ? s[c->nsamples / 2]
                                        : (s[c->nsamples / 2 - 1] + s[c->nsamples / 2]) / 2;
            c->min = s[0];
            c->max = s[c->nsamples - 1];
            memcpy(s, c->wall_ns, sizeof(double) * (size_t)c->nsamples);
            qsort(s, (size_t)c->nsamples, sizeof(double), cmp_double);
            c->wall_median = s[c->nsamples / 2];
        }
    }
    for (size_t r = 0; r < nrows; r++) {
        if (rows[r].kind != ROW_EBPF)
            continue;
        static struct ops_prog p;
        bench_build_prog(&rows[r], FLAVOUR_REGS, &p);
        meta.prog_len[r] = p.cnt;
        meta.insn_count[r] = bench_bpfvm_insn_count(&rows[r]);
    }

    for (size_t r = 0; r < nrows; r++)
        for (size_t e = 0; e < NENG; e++)
            if (cells[r][e].h)
                engines[e]->release(cells[r][e].h);

    struct bench_report rep = {.meta = &meta, .rows = rows, .nrows = nrows,
                               .engines = engines, .nengines = NENG};
    for (size_t r = 0; r < nrows; r++)
        for (size_t e = 0; e < NENG; e++)
            rep.cells[r][e] = &cells[r][e];
    report_text(&rep, stdout);
    bench_mem_report(stdout);
    bench_verify_report(rows, nrows, stdout);
    return report_files(&rep) == 0 ? 0 : 1;
}
