/* run.c - the interpreter's entry point: sets up the stack and picks a run-loop variant.
 * The loops themselves are in run_body.h, compiled here four times. */
#include <errno.h>
#include <string.h>

#include "interp/interp.h"
#include "interp/ops.h"

/* Signed division and modulo as the ISA defines them: by zero gives 0 (div) or leaves the
 * dividend (mod); INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 is 0. */
static inline uint64_t interp_sdiv64(uint64_t d, uint64_t s)
{
    if (s == 0)
        return 0;
    if ((int64_t)s == -1)
        return 0 - d;
    return (uint64_t)((int64_t)d / (int64_t)s);
}

static inline uint64_t interp_smod64(uint64_t d, uint64_t s)
{
    if (s == 0)
        return d;
    if ((int64_t)s == -1)
        return 0;
    return (uint64_t)((int64_t)d % (int64_t)s);
}

static inline uint32_t interp_sdiv32(uint32_t d, uint32_t s)
{
    if (s == 0)
        return 0;
    if ((int32_t)s == -1)
        return 0 - d;
    return (uint32_t)((int32_t)d / (int32_t)s);
}

static inline uint32_t interp_smod32(uint32_t d, uint32_t s)
{
    if (s == 0)
        return d;
    if ((int32_t)s == -1)
        return 0;
    return (uint32_t)((int32_t)d % (int32_t)s);
}

/* Linux's negative offsets for packet loads: SKF_NET_OFF is relative to the network header,
 * SKF_LL_OFF to the link-layer header (the start of the packet here). */
#define INTERP_SKF_NET_OFF (-0x100000)
#define INTERP_SKF_LL_OFF (-0x200000)

static inline const uint8_t *interp_pkt_ptr(const struct bpfvm_exec_opts *o, int32_t k, int size)
{
    const uint8_t *pkt = o->pkt ? o->pkt : o->mem;
    size_t len = o->pkt ? o->pkt_size : o->mem_size;
    int64_t off = k;
    if (!pkt)
        return NULL;
    if (k < 0) {
        if (k >= INTERP_SKF_NET_OFF)
            off = (int64_t)o->pkt_net_off + (k - INTERP_SKF_NET_OFF);
        else if (k >= INTERP_SKF_LL_OFF)
            off = k - INTERP_SKF_LL_OFF;
        else
            return NULL;
    }
    if (off < 0 || (uint64_t)off + (uint64_t)size > len)
        return NULL;
    return pkt + off;
}

static inline bool range_in(uint64_t addr, uint64_t size, uintptr_t base, size_t len)
{
    return addr >= base && size <= len && addr - base <= len - size;
}

bool interp_mem_ok(const struct bpfvm_exec *ex, uint64_t addr, uint64_t size, bool write)
{
    if (!ex->checked)
        return true;
    if (addr + size < addr)
        return false;
    if (range_in(addr, size, ex->stack_lo, ex->stack_hi - ex->stack_lo))
        return true;
    const struct bpfvm_exec_opts *o = ex->opts;
    if (o->mem && range_in(addr, size, (uintptr_t)o->mem, o->mem_size))
        return !write || o->mem_writable;
    if (!write && o->pkt && range_in(addr, size, (uintptr_t)o->pkt, o->pkt_size))
        return true;
    const struct bpfvm_vm *vm = ex->prog->vm;
    for (int i = 0; i < vm->nregions; i++)
        if (range_in(addr, size, vm->regions[i].base, vm->regions[i].size))
            return !write || vm->regions[i].writable;
    return false;
}

#define RUN_NAME run_fast
#define CHECKED 0
#define COUNTED 0
#include "interp/run_body.h"
#undef RUN_NAME
#undef CHECKED
#undef COUNTED

#define RUN_NAME run_counted
#define CHECKED 0
#define COUNTED 1
#include "interp/run_body.h"
#undef RUN_NAME
#undef CHECKED
#undef COUNTED

#define RUN_NAME run_checked
#define CHECKED 1
#define COUNTED 0
#include "interp/run_body.h"
#undef RUN_NAME
#undef CHECKED
#undef COUNTED

#define RUN_NAME run_checked_counted
#define CHECKED 1
#define COUNTED 1
#include "interp/run_body.h"
#undef RUN_NAME
#undef CHECKED
#undef COUNTED

typedef int (*run_fn)(struct bpfvm_exec *, const struct interp_insn *, uint64_t *,
                      const void *const **);
static const run_fn run_variants[INTERP_NVARIANTS] = {
    [INTERP_FAST] = run_fast,
    [INTERP_COUNTED] = run_counted,
    [INTERP_CHECKED] = run_checked,
    [INTERP_CHECKED_COUNTED] = run_checked_counted,
};

const void *const *interp_labels(enum interp_variant v)
{
    const void *const *labels = NULL;
    run_variants[v](NULL, NULL, NULL, &labels);
    return labels;
}

/* Linux's limit for may_goto loops (BPF_MAX_LOOPS). */
#define INTERP_MAY_GOTO_LIMIT (8u * 1024 * 1024)

int interp_exec(const struct bpfvm_prog *prog, struct bpfvm_exec_opts *opts, uint64_t *r0)
{
    _Alignas(16) uint8_t stack[INTERP_STACK_BYTES];
    struct bpfvm_exec st = {
        .prog = prog,
        .opts = opts,
        .checked = (prog->flags & BPFVM_LOAD_CHECKED) != 0,
        .stack_lo = (uintptr_t)stack,
        .stack_hi = (uintptr_t)stack + sizeof(stack),
        .may_goto_left = INTERP_MAY_GOTO_LIMIT,
        .fault_pc = -1,
    };
    enum interp_variant v = (st.checked ? INTERP_CHECKED : INTERP_FAST) + (opts->insn_budget != 0);
    if (st.checked)
        memset(stack, 0, sizeof(stack)); /* unverified code may read before writing */
    int err = run_variants[v](&st, prog->interp->threaded[v], r0, NULL);
    opts->fault_pc = err ? st.fault_pc : -1;
    return err;
}

void *bpfvm_exec_user(const struct bpfvm_exec *ex)
{
    return ex ? ex->opts->user : NULL;
}

bool bpfvm_exec_mem_ok(const struct bpfvm_exec *ex, uint64_t addr, uint64_t size, bool write)
{
    return ex && interp_mem_ok(ex, addr, size, write);
}
