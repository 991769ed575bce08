/* eng_bpfvm.c - bpfvm's engines: the interpreter (trusted and checked) and the JIT.
 * The library's functions are weak references so the bench still builds and reports the
 * columns as missing while parts of bpfvm are not there yet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/cbpf.h"
#include "bpfvm/helpers.h"
#include "bpfvm/map.h"
#include "bpfvm/vm.h"
#include "engine.h"
#include "nmaps.h"

#pragma weak bpfvm_vm_new
#pragma weak bpfvm_vm_free
#pragma weak bpfvm_prog_load
#pragma weak bpfvm_prog_free
#pragma weak bpfvm_prog_exec
#pragma weak bpfvm_runner_new
#pragma weak bpfvm_runner_exec
#pragma weak bpfvm_runner_free
#pragma weak bpfvm_cbpf_load
#pragma weak bpfvm_cbpf_prog_run
#pragma weak bpfvm_cbpf_prog_free

struct bpfvm_cell {
    struct bpfvm_map *maps[BENCH_NMAPS];
    struct bpfvm_vm *vm;
    struct bpfvm_prog *prog;
    struct bpfvm_exec_opts opts;
    struct bpfvm_cbpf_prog *cprog; /* classic rows: libpcap's program translated by bpfvm */
    bpfvm_direct_fn direct;        /* JIT programs that need no run state: called directly */
    struct bpfvm_runner *runner;   /* the others: a prepared run (when the library has it) */
};

static int bpfvm_eng_init(char *why, size_t len)
{
    if (!bpfvm_vm_new || !bpfvm_prog_load || !bpfvm_prog_exec || !bpfvm_prog_free) {
        snprintf(why, len, "libbpfvm lacks the load/exec API");
        return -1;
    }
    return 0;
}

static void bpfvm_eng_release(void *h)
{
    struct bpfvm_cell *c = h;
    if (!c)
        return;
    if (c->runner)
        bpfvm_runner_free(c->runner);
    if (c->prog)
        bpfvm_prog_free(c->prog);
    if (c->cprog)
        bpfvm_cbpf_prog_free(c->cprog);
    if (c->vm)
        bpfvm_vm_free(c->vm);
    for (int i = 0; i < BENCH_NMAPS; i++)
        if (c->maps[i])
            bpfvm_map_free(c->maps[i]);
    free(c);
}

/* Classic rows: libpcap compiles the expression, bpfvm checks it as libpcap's machine,
 * translates it to eBPF and loads that. */
static int bpfvm_load_classic(const struct bench_row *row, enum bpfvm_engine engine,
                              bool checked, struct bpfvm_cell **out, char *why, size_t len)
{
    if (!bpfvm_cbpf_load || !bpfvm_cbpf_prog_run || !bpfvm_cbpf_prog_free) {
        snprintf(why, len, "classic BPF not in bpfvm yet");
        return ENGINE_NA;
    }
    struct bpfvm_cbpf_insn *insns;
    size_t cnt;
    if (bench_pcap_compile(row->filter, &insns, &cnt, why, len))
        return ENGINE_FAIL;
    struct bpfvm_cell *c = calloc(1, sizeof(*c));
    if (!c) {
        free(insns);
        return ENGINE_FAIL;
    }
    struct bpfvm_cbpf_load_opts o = {.sz = sizeof(o), .flavor = BPFVM_CBPF_LIBPCAP,
                                     .checked = checked, .engine = engine};
    char err[160] = "";
    int rc = bpfvm_cbpf_load(NULL, insns, cnt, &o, &c->cprog, err, sizeof(err));
    free(insns);
    if (rc) {
        snprintf(why, len, "cbpf load: %s", err[0] ? err : strerror(-rc));
        bpfvm_eng_release(c);
        return ENGINE_FAIL;
    }
    if (engine == BPFVM_ENGINE_JIT)
        c->direct = bpfvm_cbpf_prog_direct_entry(c->cprog);
    *out = c;
    return 0;
}

/* Load the row for `engine`; with `checked`, every memory access is checked at run time. */
static int bpfvm_load_row(const struct bench_row *row, enum bpfvm_engine engine, bool checked,
                          struct bpfvm_cell **out, char *why, size_t len)
{
    if (row->kind == ROW_CLASSIC)
        return bpfvm_load_classic(row, engine, checked, out, why, len);
    struct bpfvm_cell *c = calloc(1, sizeof(*c));
    static struct ops_prog p;
    if (!c)
        return ENGINE_FAIL;
    c->vm = bpfvm_vm_new();
    if (c->vm && (row->needs & (NEED_MAPS | NEED_HELPERS)))
        bpfvm_vm_add_std_helpers(c->vm);
    /* the same three maps as every engine, filled with the same entries; lddw map imm = index */
    if (row->needs & NEED_MAPS) {
        for (int i = 0; i < BENCH_NMAPS; i++) {
            const struct nmap *m = &bench_nmaps[i];
            enum bpfvm_map_type t = m->type == NMAP_ARRAY  ? BPFVM_MAP_TYPE_ARRAY
                                    : m->type == NMAP_HASH ? BPFVM_MAP_TYPE_HASH
                                                           : BPFVM_MAP_TYPE_LPM_TRIE;
            struct bpfvm_map_create_opts mo = {.sz = sizeof(mo),
                                               .map_flags = m->type == NMAP_LPM ? BPFVM_F_NO_PREALLOC : 0};
            int rc = bpfvm_map_create(t, "bench", m->key_size, m->value_size, m->max_entries, &mo,
                                      &c->maps[i]);
            for (uint32_t e = 0; !rc && e < m->nentries; e++)
                rc = bpfvm_map_update_elem(c->maps[i], m->ekeys + (size_t)e * m->key_size,
                                           m->evals + (size_t)e * m->value_size, BPFVM_ANY);
            if (rc) {
                snprintf(why, len, "map %d: %s", i, strerror(-rc));
                bpfvm_eng_release(c);
                return ENGINE_FAIL;
            }
        }
    }
    bench_build_prog(row, FLAVOUR_REGS, &p);
    char err[160] = "";
    struct bpfvm_load_opts lo = {.sz = sizeof(lo),
                                 .flags = checked ? BPFVM_LOAD_CHECKED : 0,
                                 .errbuf = err,
                                 .errbuf_len = sizeof(err),
                                 .maps = (row->needs & NEED_MAPS) ? c->maps : NULL,
                                 .map_cnt = (row->needs & NEED_MAPS) ? BENCH_NMAPS : 0};
    int rc = c->vm ? bpfvm_prog_load(c->vm, p.insn, p.cnt, &lo, &c->prog) : -ENOMEM;
    if (rc) {
        snprintf(why, len, "load: %s", err[0] ? err : strerror(-rc));
        bpfvm_eng_release(c);
        return ENGINE_FAIL;
    }
    struct bpfvm_exec_opts *o = &c->opts;
    o->sz = sizeof(*o);
    o->engine = engine;
    if (row->input == IN_PKT) {
        o->args[0] = (uint64_t)(uintptr_t)row->pkt;
        o->args[1] = row->pkt_len;
    } else if (row->input == IN_SEED) {
        o->args[0] = row->seed;
    }
    if (row->pkt) {
        o->mem = (void *)row->pkt;
        o->mem_size = row->pkt_len;
        o->pkt = row->pkt;
        o->pkt_size = row->pkt_len;
    }
    /* one trial run: an engine that is not there yet says so here */
    uint64_t r0;
    rc = bpfvm_prog_exec(c->prog, o, &r0);
    if (rc) {
        if (engine == BPFVM_ENGINE_JIT) {
            snprintf(why, len, "no bpfvm JIT yet (%s)", strerror(-rc));
            bpfvm_eng_release(c);
            return ENGINE_NA;
        }
        snprintf(why, len, "exec: %s", strerror(-rc));
        bpfvm_eng_release(c);
        return ENGINE_FAIL;
    }
    /* the JIT column calls programs that need no run state through their direct entry, the
     * way DPDK's JIT column calls rte_bpf_get_jit's function, and the others (helper calls)
     * through a prepared run, as an embedder's hot loop would */
    if (engine == BPFVM_ENGINE_JIT)
        c->direct = bpfvm_prog_direct_entry(c->prog);
    if (engine == BPFVM_ENGINE_JIT && !c->direct && bpfvm_runner_new &&
        (rc = bpfvm_runner_new(c->prog, &c->opts, &c->runner))) {
        snprintf(why, len, "runner: %s", strerror(-rc));
        bpfvm_eng_release(c);
        return ENGINE_FAIL;
    }
    *out = c;
    return 0;
}

static int bpfvm_prepare_interp(const struct bench_row *row, void **h, char *why, size_t len)
{
    return bpfvm_load_row(row, BPFVM_ENGINE_INTERP, false, (struct bpfvm_cell **)h, why, len);
}

static int bpfvm_prepare_checked(const struct bench_row *row, void **h, char *why, size_t len)
{
    return bpfvm_load_row(row, BPFVM_ENGINE_INTERP, true, (struct bpfvm_cell **)h, why, len);
}

/* Until the JIT lands, engine = JIT quietly runs the interpreter; CMake defines
 * BENCH_BPFVM_HAS_JIT when libbpfvm.a defines jit_compile. */
static int bpfvm_prepare_jit(const struct bench_row *row, void **h, char *why, size_t len)
{
#ifndef BENCH_BPFVM_HAS_JIT
    snprintf(why, len, "no JIT in this libbpfvm build");
    return ENGINE_NA;
#endif
    return bpfvm_load_row(row, BPFVM_ENGINE_JIT, false, (struct bpfvm_cell **)h, why, len);
}

static int bpfvm_eng_run(void *h, const struct bench_row *row, uint64_t n, uint64_t *r0)
{
    struct bpfvm_cell *c = h;
    uint64_t r = 0;
    int bad = 0;
    if (c->cprog && c->direct) {
        uint64_t ret = 0, len = row->pkt_len;
        for (uint64_t i = 0; i < n; i++)
            ret = c->direct((uintptr_t)row->pkt, len, len, 0, 0);
        *r0 = (uint32_t)ret;
        return 0;
    }
    if (c->cprog) {
        uint32_t ret = 0, len = (uint32_t)row->pkt_len;
        for (uint64_t i = 0; i < n; i++)
            bad |= bpfvm_cbpf_prog_run(c->cprog, row->pkt, len, len, NULL, &ret);
        *r0 = ret;
        return bad ? -EIO : 0;
    }
    if (c->direct) {
        /* the arguments in registers and the function through a volatile pointer, as the
         * DPDK JIT column calls its function */
        bpfvm_direct_fn volatile fn = c->direct;
        const uint64_t a0 = c->opts.args[0], a1 = c->opts.args[1], a2 = c->opts.args[2],
                       a3 = c->opts.args[3], a4 = c->opts.args[4];
        for (uint64_t i = 0; i < n; i++)
            r = fn(a0, a1, a2, a3, a4);
        *r0 = r;
        return 0;
    }
    if (c->runner) {
        for (uint64_t i = 0; i < n; i++)
            bad |= bpfvm_runner_exec(c->runner, &r);
        *r0 = r;
        return bad ? -EIO : 0;
    }
    for (uint64_t i = 0; i < n; i++)
        bad |= bpfvm_prog_exec(c->prog, &c->opts, &r);
    *r0 = r;
    return bad ? -EIO : 0;
}

uint64_t bench_bpfvm_insn_count(const struct bench_row *row)
{
    char why[160];
    struct bpfvm_cell *c = NULL;
    if (bpfvm_eng_init(why, sizeof(why)) ||
        bpfvm_load_row(row, BPFVM_ENGINE_INTERP, false, &c, why, sizeof(why)))
        return 0;
    uint64_t r0, count = 0;
    c->opts.insn_budget = 1ull << 62;
    if (bpfvm_prog_exec(c->prog, &c->opts, &r0) == 0)
        count = c->opts.insns_executed;
    bpfvm_eng_release(c);
    return count;
}

const struct bench_engine engine_bpfvm_interp = {"bpfvm", "bpfvm_interp", 64, bpfvm_eng_init,
                                                 bpfvm_prepare_interp, bpfvm_eng_run,
                                                 bpfvm_eng_release};
const struct bench_engine engine_bpfvm_checked = {"bpfvm-chk", "bpfvm_interp_checked", 64,
                                                  bpfvm_eng_init, bpfvm_prepare_checked,
                                                  bpfvm_eng_run, bpfvm_eng_release};
const struct bench_engine engine_bpfvm_jit = {"bpfvm-jit", "bpfvm_jit", 64, bpfvm_eng_init,
                                              bpfvm_prepare_jit, bpfvm_eng_run,
                                              bpfvm_eng_release};
