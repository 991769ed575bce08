/* eng_dpdk.c - DPDK's librte_bpf interpreter and JIT, loaded with dlopen (Debian ships the
 * library, librte-bpf23, without a small -dev package).  Loading and running need no EAL.
 * The few types below follow the documented layout of rte_bpf.h in DPDK 22.11. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "nmaps.h"

enum dpdk_arg_type { DPDK_ARG_UNDEF, DPDK_ARG_RAW, DPDK_ARG_PTR = 0x10, DPDK_ARG_PTR_MBUF };

struct dpdk_arg {
    enum dpdk_arg_type type;
    size_t size;
    size_t buf_size;
};

enum dpdk_xtype { DPDK_XTYPE_FUNC, DPDK_XTYPE_VAR };

struct dpdk_xsym {
    const char *name;
    enum dpdk_xtype type;
    union {
        struct {
            uint64_t (*val)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
            uint32_t nb_args;
            struct dpdk_arg args[5];
            struct dpdk_arg ret;
        } func;
        struct {
            void *val;
            struct dpdk_arg desc;
        } var;
    };
};

struct dpdk_prm {
    const struct bpfvm_insn *ins;
    uint32_t nb_ins;
    const struct dpdk_xsym *xsym;
    uint32_t nb_xsym;
    struct dpdk_arg prog_arg;
};

struct dpdk_jit {
    uint64_t (*func)(void *);
    size_t sz;
};

struct rte_bpf;

static struct {
    void *lib;
    struct rte_bpf *(*load)(const struct dpdk_prm *);
    uint64_t (*exec)(const struct rte_bpf *, void *);
    int (*get_jit)(const struct rte_bpf *, struct dpdk_jit *);
    void (*destroy)(struct rte_bpf *);
} dpdk;

struct dpdk_cell {
    struct rte_bpf *bpf;
    uint64_t (*jit)(void *);
    void *ctx;
};

/* External functions the programs call (helper ids remapped to these indices). */
static uint64_t dpdk_x_map_lookup(uint64_t map, uint64_t key, uint64_t a3, uint64_t a4,
                                  uint64_t a5)
{
    (void)a3, (void)a4, (void)a5;
    return (uint64_t)(uintptr_t)nmap_lookup((struct nmap *)(uintptr_t)map,
                                            (const void *)(uintptr_t)key);
}

static uint64_t dpdk_x_csum_diff(uint64_t from, uint64_t from_size, uint64_t to,
                                 uint64_t to_size, uint64_t seed)
{
    return nmap_csum_diff((const uint32_t *)(uintptr_t)from, (uint32_t)from_size,
                          (const uint32_t *)(uintptr_t)to, (uint32_t)to_size, (uint32_t)seed);
}

static struct dpdk_xsym dpdk_xsyms[2];

static void dpdk_fill_xsyms(void)
{
    struct dpdk_xsym *x = &dpdk_xsyms[0];
    x->name = "map_lookup";
    x->type = DPDK_XTYPE_FUNC;
    x->func.val = dpdk_x_map_lookup;
    x->func.nb_args = 2;
    x->func.args[0] = (struct dpdk_arg){DPDK_ARG_RAW, 8, 0};
    x->func.args[1] = (struct dpdk_arg){DPDK_ARG_PTR, 4, 0};
    x->func.ret = (struct dpdk_arg){DPDK_ARG_PTR, sizeof(struct nmap_counter), 0};
    x = &dpdk_xsyms[1];
    x->name = "csum_diff";
    x->type = DPDK_XTYPE_FUNC;
    x->func.val = dpdk_x_csum_diff;
    x->func.nb_args = 5;
    x->func.args[0] = (struct dpdk_arg){DPDK_ARG_RAW, 8, 0};
    x->func.args[1] = (struct dpdk_arg){DPDK_ARG_RAW, 4, 0};
    x->func.args[2] = (struct dpdk_arg){DPDK_ARG_PTR, CSUM_LEN, 0};
    x->func.args[3] = (struct dpdk_arg){DPDK_ARG_RAW, 4, 0};
    x->func.args[4] = (struct dpdk_arg){DPDK_ARG_RAW, 4, 0};
    x->func.ret = (struct dpdk_arg){DPDK_ARG_RAW, 4, 0};
}

static int dpdk_init(char *why, size_t len)
{
    if (dpdk.lib)
        return 0;
    void *lib = dlopen("librte_bpf.so.23", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(why, len, "librte_bpf.so.23 not loadable (apt-get install librte-bpf23)");
        return -1;
    }
    dpdk.load = (struct rte_bpf * (*)(const struct dpdk_prm *)) dlsym(lib, "rte_bpf_load");
    dpdk.exec = (uint64_t(*)(const struct rte_bpf *, void *))dlsym(lib, "rte_bpf_exec");
    dpdk.get_jit = (int (*)(const struct rte_bpf *, struct dpdk_jit *))dlsym(lib, "rte_bpf_get_jit");
    dpdk.destroy = (void (*)(struct rte_bpf *))dlsym(lib, "rte_bpf_destroy");
    if (!dpdk.load || !dpdk.exec || !dpdk.get_jit || !dpdk.destroy) {
        snprintf(why, len, "librte_bpf.so.23 lacks rte_bpf_load/exec/get_jit");
        dlclose(lib);
        return -1;
    }
    /* quiet the validator's messages for programs it refuses (loops): the table says it */
    int (*set_level)(uint32_t) = (int (*)(uint32_t))dlsym(lib, "rte_log_set_global_level");
    if (set_level)
        set_level(1);
    dpdk.lib = lib;
    dpdk_fill_xsyms();
    return 0;
}

static int dpdk_has_back_edge(const struct ops_prog *p)
{
    for (size_t i = 0; i < p->cnt; i++)
        if ((p->insn[i].code & 0x07) == OP_JMP && p->insn[i].code != (OP_JMP | J_CALL) &&
            p->insn[i].code != (OP_JMP | J_EXIT) && p->insn[i].off < 0)
            return 1;
    return 0;
}

static void dpdk_release(void *h)
{
    struct dpdk_cell *c = h;
    if (c) {
        dpdk.destroy(c->bpf);
        free(c);
    }
}

static int dpdk_prepare(const struct bench_row *row, void **h, char *why, size_t len, int jit)
{
    if (row->kind == ROW_CLASSIC) {
        snprintf(why, len, "rte_bpf_convert output needs an rte_mbuf");
        return ENGINE_NA;
    }
    static struct ops_prog p;
    bench_build_prog(row, FLAVOUR_DPDK, &p);
    if (dpdk_has_back_edge(&p)) {
        snprintf(why, len, "DPDK's validator rejects loops");
        return ENGINE_NA;
    }
    for (size_t i = 0; i < p.cnt; i++) {
        struct bpfvm_insn *in = &p.insn[i];
        if (in->code == (OP_LD | OP_IMM | OP_DW) && i + 1 < p.cnt) {
            if (in->src_reg == 1) {
                uint64_t addr = (uint64_t)(uintptr_t)&bench_nmaps[in->imm];
                in->src_reg = 0;
                in->imm = (int32_t)(uint32_t)addr;
                p.insn[i + 1].imm = (int32_t)(uint32_t)(addr >> 32);
            }
            i++;
        } else if (in->code == (OP_JMP | J_CALL)) {
            in->imm = in->imm == HELPER_MAP_LOOKUP ? 0 : 1;
        }
    }
    struct dpdk_prm prm = {.ins = p.insn, .nb_ins = (uint32_t)p.cnt, .xsym = dpdk_xsyms,
                           .nb_xsym = 2};
    if (row->input == IN_PKT)
        prm.prog_arg = (struct dpdk_arg){DPDK_ARG_PTR, row->pkt_len, 0};
    else
        prm.prog_arg = (struct dpdk_arg){DPDK_ARG_RAW, 8, 0};
    struct dpdk_cell *c = calloc(1, sizeof(*c));
    if (!c)
        return ENGINE_FAIL;
    c->bpf = dpdk.load(&prm);
    if (!c->bpf) {
        snprintf(why, len, "rte_bpf_load refused the program");
        free(c);
        return ENGINE_FAIL;
    }
    c->ctx = row->input == IN_PKT    ? (void *)row->pkt
             : row->input == IN_SEED ? (void *)(uintptr_t)row->seed
                                     : NULL;
    if (jit) {
        struct dpdk_jit j = {0};
        if (dpdk.get_jit(c->bpf, &j) != 0 || !j.func) {
            snprintf(why, len, "no DPDK JIT code for this program");
            dpdk_release(c);
            return ENGINE_NA;
        }
        c->jit = j.func;
    }
    *h = c;
    return 0;
}

static int dpdk_prepare_interp(const struct bench_row *row, void **h, char *why, size_t len)
{
    return dpdk_prepare(row, h, why, len, 0);
}

static int dpdk_prepare_jit(const struct bench_row *row, void **h, char *why, size_t len)
{
    return dpdk_prepare(row, h, why, len, 1);
}

static int dpdk_run_interp(void *h, const struct bench_row *row, uint64_t n, uint64_t *r0)
{
    (void)row;
    struct dpdk_cell *c = h;
    uint64_t r = 0;
    for (uint64_t i = 0; i < n; i++)
        r = dpdk.exec(c->bpf, c->ctx);
    *r0 = r;
    return 0;
}

static int dpdk_run_jit(void *h, const struct bench_row *row, uint64_t n, uint64_t *r0)
{
    (void)row;
    struct dpdk_cell *c = h;
    uint64_t (*volatile fn)(void *) = c->jit;
    void *const ctx = c->ctx;
    uint64_t r = 0;
    for (uint64_t i = 0; i < n; i++)
        r = fn(ctx);
    *r0 = r;
    return 0;
}

const struct bench_engine engine_dpdk_interp = {"dpdk", "dpdk_interp", 64, dpdk_init,
                                                dpdk_prepare_interp, dpdk_run_interp,
                                                dpdk_release};
const struct bench_engine engine_dpdk_jit = {"dpdk-jit", "dpdk_jit", 64, dpdk_init,
                                             dpdk_prepare_jit, dpdk_run_jit, dpdk_release};
