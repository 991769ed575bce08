/* report.c - print one run's results as text tables, and write CSV, JSON and chart data. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"

static int report_engine(const struct bench_report *r, const char *key)
{
    for (size_t e = 0; e < r->nengines; e++)
        if (!strcmp(r->engines[e]->key, key))
            return (int)e;
    return -1;
}

static int report_row(const struct bench_report *r, const char *name)
{
    for (size_t i = 0; i < r->nrows; i++)
        if (!strcmp(r->rows[i].name, name))
            return (int)i;
    return -1;
}

static const struct bench_cell *report_cell(const struct bench_report *r, int row, int eng)
{
    return row < 0 || eng < 0 ? NULL : r->cells[row][eng];
}

static const char *report_state_word(enum cell_state s)
{
    switch (s) {
    case CELL_OK: return "ok";
    case CELL_NA: return "n/a";
    case CELL_SKIP: return "-";
    case CELL_MISSING: return "missing";
    case CELL_FAIL: return "FAIL";
    }
    return "?";
}

/* ratio to native in the same run, or < 0 */
static double report_ratio(const struct bench_report *r, size_t row, size_t e)
{
    int n = report_engine(r, "native");
    const struct bench_cell *c = r->cells[row][e], *nc = report_cell(r, (int)row, n);
    if (!nc || c->state != CELL_OK || nc->state != CELL_OK || nc->median <= 0)
        return -1;
    return c->median / nc->median;
}

static void report_num(char *buf, size_t len, double v, const char *suffix)
{
    if (v < 10)
        snprintf(buf, len, "%.2f%s", v, suffix);
    else if (v < 1000)
        snprintf(buf, len, "%.1f%s", v, suffix);
    else
        snprintf(buf, len, "%.0f%s", v, suffix);
}

static void report_table(const struct bench_report *r, FILE *out, int ratios)
{
    fprintf(out, "%-22s", "row");
    for (size_t e = 0; e < r->nengines; e++)
        fprintf(out, " %9s", r->engines[e]->name);
    fputc('\n', out);
    for (size_t i = 0; i < r->nrows; i++) {
        fprintf(out, "%-22s", r->rows[i].name);
        for (size_t e = 0; e < r->nengines; e++) {
            const struct bench_cell *c = r->cells[i][e];
            char buf[32];
            if (c->state != CELL_OK)
                snprintf(buf, sizeof(buf), "%s", report_state_word(c->state));
            else if (!ratios)
                report_num(buf, sizeof(buf), c->median, "");
            else if (report_ratio(r, i, e) >= 0)
                report_num(buf, sizeof(buf), report_ratio(r, i, e), "x");
            else
                snprintf(buf, sizeof(buf), "?");
            fprintf(out, " %9s", buf);
        }
        fputc('\n', out);
    }
}

/* One line per distinct (state, engine, note): which rows it covers. */
static void report_notes(const struct bench_report *r, FILE *out)
{
    fprintf(out, "\nMarks: n/a = this engine cannot run this row (yet); - = not this engine's kind "
                 "of program;\n       missing = engine not available here; FAIL = error or "
                 "result differs from native.\n");
    for (size_t e = 0; e < r->nengines; e++) {
        int done[MAX_ROWS] = {0};
        for (size_t i = 0; i < r->nrows; i++) {
            const struct bench_cell *c = r->cells[i][e];
            if (done[i] || c->state == CELL_OK || c->state == CELL_SKIP)
                continue;
            fprintf(out, "  %-9s %s: %s [", r->engines[e]->name, report_state_word(c->state),
                    c->note);
            int first = 1;
            for (size_t j = i; j < r->nrows; j++) {
                const struct bench_cell *d = r->cells[j][e];
                if (!done[j] && d->state == c->state && !strcmp(d->note, c->note)) {
                    fprintf(out, "%s%s", first ? "" : ", ", r->rows[j].name);
                    done[j] = 1;
                    first = 0;
                }
            }
            fprintf(out, "]\n");
        }
    }
}

static void report_insn_speed(const struct bench_report *r, FILE *out)
{
    int bi = report_engine(r, "bpfvm_interp"), di = report_engine(r, "dpdk_interp");
    fprintf(out, "\nInterpreters, ns per executed BPF instruction (count from bpfvm's insn "
                 "counter):\n");
    static const char *const which[] = {"ALU unrolled 256x", "ALU loop 256x", "parse TCP pkt"};
    for (size_t k = 0; k < sizeof(which) / sizeof(which[0]); k++) {
        int row = report_row(r, which[k]);
        if (row < 0)
            continue;
        uint64_t cnt = r->meta->insn_count[row];
        const struct bench_cell *b = report_cell(r, row, bi), *d = report_cell(r, row, di);
        fprintf(out, "  %-18s", which[k]);
        if (!cnt) {
            fprintf(out, " insn count unknown (bpfvm did not run)\n");
            continue;
        }
        /* DPDK's prologue differs from bpfvm's on packet rows by one instruction */
        uint64_t dcnt = cnt + (r->rows[row].input == IN_PKT ? 1 : 0);
        fprintf(out, " %5llu insns:", (unsigned long long)cnt);
        double bn = b && b->state == CELL_OK ? b->median / (double)cnt : -1;
        double dn = d && d->state == CELL_OK ? d->median / (double)dcnt : -1;
        if (bn >= 0)
            fprintf(out, " bpfvm %.3f ns", bn);
        else
            fprintf(out, " bpfvm %s", b ? report_state_word(b->state) : "?");
        if (dn >= 0)
            fprintf(out, ", dpdk %.3f ns", dn);
        else
            fprintf(out, ", dpdk %s%s%s", d ? report_state_word(d->state) : "?",
                    d && d->note[0] ? " - " : "", d ? d->note : "");
        if (bn > 0 && dn > 0)
            fprintf(out, "  => bpfvm is %.2fx %s than DPDK's interpreter (target >= 1.5x faster)",
                    bn < dn ? dn / bn : bn / dn, bn < dn ? "faster" : "SLOWER");
        fputc('\n', out);
    }
}

static void report_kernel(const struct bench_report *r, FILE *out)
{
    int ke = report_engine(r, "kernel_jit");
    int row = report_row(r, "empty program");
    const struct bench_cell *c = report_cell(r, row, ke);
    if (!c || c->state != CELL_OK)
        return;
    fprintf(out, "\nKernel column: the duration BPF_PROG_TEST_RUN reports (whole ns per run, "
                 "XDP program,\n  repeat = batch size).  Its per-run overhead, measured on the "
                 "empty program: %.0f ns;\n  it is included in every kernel cell (cell minus "
                 "%.0f ns ~ the JIT code alone).  Wall time per\n  syscall is much larger "
                 "(%.0f ns per run on the empty row: each XDP test run with repeat\n  swaps "
                 "the XDP dispatcher); it is in the CSV/JSON, not in the table.\n",
            c->median, c->median, c->wall_median);
}

static void report_load(const struct bench_report *r, FILE *out)
{
    static const char *const keys[] = {"bpfvm_interp", "bpfvm_jit", "kernel_jit", "dpdk_jit"};
    enum { NKEYS = sizeof(keys) / sizeof(keys[0]) };
    fprintf(out, "\nLoad time per program, us, median of 3 loads (bpfvm: load/check; bpfvm-jit: "
                 "+ JIT;\nkernel: verify + JIT; dpdk-jit: validate + JIT):\n%-22s", "row");
    for (size_t k = 0; k < NKEYS; k++)
        fprintf(out, " %9s", r->engines[report_engine(r, keys[k])]->name);
    fprintf(out, " %9s\n", "insns");
    for (size_t i = 0; i < r->nrows; i++) {
        if (r->rows[i].kind != ROW_EBPF)
            continue;
        fprintf(out, "%-22s", r->rows[i].name);
        for (size_t k = 0; k < NKEYS; k++) {
            const struct bench_cell *c = report_cell(r, (int)i, report_engine(r, keys[k]));
            char buf[32] = "-";
            if (c && c->load_us >= 0)
                report_num(buf, sizeof(buf), c->load_us, "");
            fprintf(out, " %9s", buf);
        }
        fprintf(out, " %9llu\n", (unsigned long long)r->meta->prog_len[i]);
    }
    int row = report_row(r, "ALU unrolled 256x");
    if (row >= 0 && r->meta->prog_len[row]) {
        double k = (double)r->meta->prog_len[row] / 1000.0;
        fprintf(out, "Per 1000 instructions (ALU unrolled row):");
        for (size_t j = 0; j < NKEYS; j++) {
            const struct bench_cell *c = report_cell(r, row, report_engine(r, keys[j]));
            if (c && c->load_us >= 0)
                fprintf(out, " %s %.0f us;", r->engines[report_engine(r, keys[j])]->name,
                        c->load_us / k);
        }
        fputc('\n', out);
    }
}

/* The JIT against native code, the kernel's JIT and DPDK's JIT on the rows the JIT issue
 * names: an ALU loop, a packet parser, a map counter. */
static void report_jit_ratios(const struct bench_report *r, FILE *out)
{
    static const char *const rows[] = {"ALU loop 256x", "ALU unrolled 256x", "parse TCP pkt",
                                       "array counter", "hash counter"};
    int jit = report_engine(r, "bpfvm_jit"), nat = report_engine(r, "native");
    int ker = report_engine(r, "kernel_jit"), dpj = report_engine(r, "dpdk_jit");
    int asm_e = report_engine(r, "hand_x86"), floor_rows = 0;
    if (jit < 0 || nat < 0)
        return;
    fprintf(out, "\nbpfvm JIT ratios (same run; < 1 means the JIT is faster):\n");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int row = report_row(r, rows[i]);
        if (row < 0)
            continue;
        const struct bench_cell *j = r->cells[row][jit];
        if (j->state != CELL_OK || j->median <= 0)
            continue;
        fprintf(out, "  %-20s", rows[i]);
        int others[3] = {nat, ker, dpj};
        const char *names[3] = {"native", "kernel", "dpdk-jit"};
        for (int k = 0; k < 3; k++) {
            const struct bench_cell *c = others[k] >= 0 ? r->cells[row][others[k]] : NULL;
            if (c && c->state == CELL_OK && c->median > 0)
                fprintf(out, "  JIT/%s %.2f", names[k], j->median / c->median);
            else
                fprintf(out, "  JIT/%s n/a", names[k]);
        }
        const struct bench_cell *h = asm_e >= 0 ? r->cells[row][asm_e] : NULL;
        if (h && h->state == CELL_OK && h->median > 0) {
            fprintf(out, "  JIT/hand-x86 %.2f", j->median / h->median);
            const struct bench_cell *d = dpj >= 0 ? r->cells[row][dpj] : NULL;
            if (d && d->state == CELL_OK && d->median > 0)
                fprintf(out, " (dpdk-jit/hand-x86 %.2f)", d->median / h->median);
            floor_rows++;
        }
        fputc('\n', out);
    }
    if (floor_rows)
        fprintf(out, "  hand-x86: the row's dependency chain written by hand (add, imul, shr, xor "
                     "per round:\n  1+3+1+1 cycles), the floor for any code generator; a JIT at "
                     "1.00 of it has nothing left\n  to win on that row.\n");
}

static void report_pps(const struct bench_report *r, FILE *out)
{
    int row = report_row(r, "parse TCP pkt");
    if (row < 0)
        return;
    fprintf(out, "\nPackets per second per core, parse TCP pkt row (1e9 / ns per run):\n ");
    for (size_t e = 0; e < r->nengines; e++) {
        const struct bench_cell *c = r->cells[row][e];
        if (c->state == CELL_OK && c->median > 0)
            fprintf(out, " %s %.1f Mpps;", r->engines[e]->name, 1e3 / c->median);
    }
    fputc('\n', out);
}

void report_text(const struct bench_report *r, FILE *out)
{
    const struct bench_meta *m = r->meta;
    fprintf(out, "bpfvm bench, %s; %s", m->date, m->cpu_model);
    if (m->cpu >= 0)
        fprintf(out, " (pinned to cpu %d)", m->cpu);
    fprintf(out, "; Linux %s\nMedian of %d repetitions, batches of ~%.0f ms timed with %s, "
                 "engines taking turns in each repetition.\n\nTime per execution, ns:\n",
            m->kernel, m->reps, m->target_ms, m->clock);
    report_table(r, out, 0);
    fprintf(out, "\nRatio to native (same run):\n");
    report_table(r, out, 1);
    report_notes(r, out);
    report_kernel(r, out);
    report_insn_speed(r, out);
    report_jit_ratios(r, out);
    report_load(r, out);
    report_pps(r, out);
}

static FILE *report_open(const struct bench_report *r, const char *name)
{
    char path[512];
    mkdir(r->meta->out_dir, 0755);
    snprintf(path, sizeof(path), "%s/%s", r->meta->out_dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "bpfvm-bench: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static void report_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

static void report_csv(const struct bench_report *r, FILE *f)
{
    fprintf(f, "row,engine,status,ns_median,ratio_to_native,ns_min,ns_max,execs_per_batch,"
               "repetitions,load_us,wall_ns,prog_insns,bpfvm_executed_insns,note\n");
    for (size_t i = 0; i < r->nrows; i++) {
        for (size_t e = 0; e < r->nengines; e++) {
            const struct bench_cell *c = r->cells[i][e];
            fprintf(f, "\"%s\",%s,%s,", r->rows[i].name, r->engines[e]->key,
                    report_state_word(c->state));
            if (c->state == CELL_OK)
                fprintf(f, "%.4f,%.4f,%.4f,%.4f,%llu,%d,", c->median, report_ratio(r, i, e),
                        c->min, c->max, (unsigned long long)c->n, c->nsamples);
            else
                fprintf(f, ",,,,,,");
            if (c->load_us >= 0)
                fprintf(f, "%.2f", c->load_us);
            fputc(',', f);
            if (c->state == CELL_OK)
                fprintf(f, "%.4f", c->wall_median);
            fprintf(f, ",%llu,%llu,\"", (unsigned long long)r->meta->prog_len[i],
                    (unsigned long long)r->meta->insn_count[i]);
            for (const char *s = c->note; *s; s++)
                fputs(*s == '"' ? "\"\"" : (char[]){*s, 0}, f);
            fprintf(f, "\"\n");
        }
    }
}

static void report_json(const struct bench_report *r, FILE *f)
{
    const struct bench_meta *m = r->meta;
    fprintf(f, "{\n  \"date\": ");
    report_json_str(f, m->date);
    fprintf(f, ",\n  \"cpu\": ");
    report_json_str(f, m->cpu_model);
    fprintf(f, ",\n  \"pinned_cpu\": %d,\n  \"kernel\": ", m->cpu);
    report_json_str(f, m->kernel);
    fprintf(f, ",\n  \"repetitions\": %d,\n  \"batch_target_ms\": %.1f,\n  \"clock\": ",
            m->reps, m->target_ms);
    report_json_str(f, m->clock);
    fprintf(f, ",\n  \"engines\": [");
    for (size_t e = 0; e < r->nengines; e++)
        fprintf(f, "%s\"%s\"", e ? ", " : "", r->engines[e]->key);
    fprintf(f, "],\n  \"rows\": [\n");
    for (size_t i = 0; i < r->nrows; i++) {
        fprintf(f, "    {\"name\": ");
        report_json_str(f, r->rows[i].name);
        fprintf(f, ", \"kind\": \"%s\", \"prog_insns\": %llu, \"bpfvm_executed_insns\": %llu",
                r->rows[i].kind == ROW_EBPF ? "ebpf" : "classic",
                (unsigned long long)m->prog_len[i], (unsigned long long)m->insn_count[i]);
        if (r->rows[i].filter) {
            fprintf(f, ", \"filter\": ");
            report_json_str(f, r->rows[i].filter);
        }
        fprintf(f, ", \"cells\": {\n");
        for (size_t e = 0; e < r->nengines; e++) {
            const struct bench_cell *c = r->cells[i][e];
            fprintf(f, "      \"%s\": {\"status\": \"%s\"", r->engines[e]->key,
                    report_state_word(c->state));
            if (c->state == CELL_OK) {
                fprintf(f, ", \"ns\": %.4f, \"ratio\": %.4f, \"ns_min\": %.4f, \"ns_max\": %.4f"
                           ", \"execs_per_batch\": %llu, \"samples\": [",
                        c->median, report_ratio(r, i, e), c->min, c->max,
                        (unsigned long long)c->n);
                for (int s = 0; s < c->nsamples; s++)
                    fprintf(f, "%s%.4f", s ? ", " : "", c->samples[s]);
                fprintf(f, "]");
                fprintf(f, ", \"wall_ns\": %.4f", c->wall_median);
            }
            if (c->load_us >= 0)
                fprintf(f, ", \"load_us\": %.2f", c->load_us);
            if (c->note[0]) {
                fprintf(f, ", \"note\": ");
                report_json_str(f, c->note);
            }
            fprintf(f, "}%s\n", e + 1 < r->nengines ? "," : "");
        }
        fprintf(f, "    }}%s\n", i + 1 < r->nrows ? "," : "");
    }
    fprintf(f, "  ]\n}\n");
}

/* chart.dat: one line per row, ratio to native per engine ("?" = none); every engine but
 * native gets a column, so each keeps its colour from run to run. */
static void report_chart(const struct bench_report *r, FILE *f)
{
    int used[MAX_ENGINES] = {0};
    for (size_t e = 0; e < r->nengines; e++)
        used[e] = strcmp(r->engines[e]->key, "native") != 0;
    fprintf(f, "row");
    for (size_t e = 0; e < r->nengines; e++)
        if (used[e])
            fprintf(f, " \"%s\"", r->engines[e]->name);
    fputc('\n', f);
    for (size_t i = 0; i < r->nrows; i++) {
        fprintf(f, "\"%s\"", r->rows[i].name);
        for (size_t e = 0; e < r->nengines; e++) {
            if (!used[e])
                continue;
            double q = report_ratio(r, i, e);
            if (q > 0)
                fprintf(f, " %.4f", q);
            else
                fprintf(f, " ?");
        }
        fputc('\n', f);
    }
}

int report_files(const struct bench_report *r)
{
    FILE *f;
    int bad = 0;
    if ((f = report_open(r, "results.csv")))
        report_csv(r, f), bad |= fclose(f);
    else
        bad = 1;
    if ((f = report_open(r, "results.json")))
        report_json(r, f), bad |= fclose(f);
    else
        bad = 1;
    if ((f = report_open(r, "chart.dat")))
        report_chart(r, f), bad |= fclose(f);
    else
        bad = 1;
    return bad ? -EIO : 0;
}
