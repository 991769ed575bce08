/* report.h - the results of one bench run and their output: text tables, CSV, JSON and the
 * data file the chart is drawn from. */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdio.h>
#include "engine.h"

#define MAX_REPS 64
#define MAX_ROWS 32
#define MAX_ENGINES 12

enum cell_state { CELL_OK, CELL_NA, CELL_SKIP, CELL_MISSING, CELL_FAIL };

struct bench_cell {
    enum cell_state state;
    char note[160];
    void *h;
    double load_us;   /* prepare() time: decode/verify/compile; < 0 when not loaded */
    uint64_t n;       /* executions per batch */
    uint64_t result;  /* r0 of the check run */
    int nsamples;
    double samples[MAX_REPS];   /* ns per execution, one per repetition */
    double wall_ns[MAX_REPS];   /* wall time per execution (differs for the kernel) */
    double last_wall, last_cpu;
    double median, min, max, wall_median;
};

struct bench_meta {
    int reps;
    double target_ms;
    int cpu;
    const char *out_dir;
    const char *clock; /* what the batches were timed with */
    char cpu_model[128];
    char kernel[128];
    char date[32];
    uint64_t insn_count[MAX_ROWS]; /* instructions one bpfvm run executes, 0 unknown */
    uint64_t prog_len[MAX_ROWS];   /* instruction slots of the bpfvm program */
};

struct bench_report {
    struct bench_meta *meta;
    const struct bench_row *rows;
    size_t nrows;
    const struct bench_engine *const *engines;
    size_t nengines;
    struct bench_cell *cells[MAX_ROWS][MAX_ENGINES];
};

void report_text(const struct bench_report *r, FILE *out);
/* results.csv, results.json and chart.dat under meta->out_dir.  0 or -errno. */
int report_files(const struct bench_report *r);

#endif
