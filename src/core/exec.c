/* exec.c - run-state services shared by the engines and helpers: checked-mode memory
 * rules and the packet window of LD_ABS/LD_IND. */
#include <errno.h>

#include "core/exec.h"
#include "maps/map.h"

/* Linux's negative offsets for packet loads: SKF_NET_OFF is relative to the network header,
 * SKF_LL_OFF to the link-layer header (the start of the packet here). */
#define EXEC_SKF_NET_OFF (-0x100000)
#define EXEC_SKF_LL_OFF (-0x200000)

const uint8_t *exec_pkt_ptr(const struct bpfvm_exec_opts *o, int32_t k, int size)
{
    const uint8_t *pkt = o->pkt ? o->pkt : o->mem;
    size_t len = o->pkt ? o->pkt_size : o->mem_size;
    int64_t off = k;
    if (!pkt)
        return NULL;
    if (k < 0) {
        if (k >= EXEC_SKF_NET_OFF)
            off = (int64_t)o->pkt_net_off + (k - EXEC_SKF_NET_OFF);
        else if (k >= EXEC_SKF_LL_OFF)
            off = k - EXEC_SKF_LL_OFF;
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

bool exec_mem_ok(const struct bpfvm_exec *ex, uint64_t addr, uint64_t size, bool write)
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
    if (o->ctx && range_in(addr, size, (uintptr_t)o->ctx, o->ctx_size))
        return true;
    if (!write && o->pkt && range_in(addr, size, (uintptr_t)o->pkt, o->pkt_size))
        return true;
    const struct bpfvm_vm *vm = ex->prog->vm;
    for (int i = 0; i < vm->nregions; i++)
        if (range_in(addr, size, vm->regions[i].base, vm->regions[i].size))
            return !write || vm->regions[i].writable;
    uint32_t n = ex->ngrants < EXEC_MAX_GRANTS ? ex->ngrants : EXEC_MAX_GRANTS;
    for (uint32_t i = 0; i < n; i++)
        if (range_in(addr, size, ex->grants[i].base, ex->grants[i].size))
            return !write || ex->grants[i].writable;
    /* global data (.data/.rodata/.bss): the value of a one-element array the program
     * reaches through lddw BPF_PSEUDO_MAP_VALUE / _IDX_VALUE */
    for (size_t i = 0; i < ex->prog->map_cnt; i++) {
        struct bpfvm_map *m = ex->prog->maps[i];
        uint32_t key = 0;
        if (!m || m->type != BPFVM_MAP_TYPE_ARRAY || m->max_entries != 1)
            continue;
        void *v = map_lookup_fast(m, &key, 0);
        if (v && range_in(addr, size, (uintptr_t)v, m->value_size))
            return write ? map_prog_may_write(m) : map_prog_may_read(m);
    }
    return false;
}

void bpfvm_exec_grant(struct bpfvm_exec *ex, const void *addr, uint64_t size, bool writable)
{
    if (!ex || !ex->checked || !addr)
        return;
    struct exec_grant *g = &ex->grants[ex->ngrants++ % EXEC_MAX_GRANTS];
    g->base = (uintptr_t)addr;
    g->size = size;
    g->writable = writable;
}

int bpfvm_exec_tail_call(struct bpfvm_exec *ex, const struct bpfvm_prog *next)
{
    if (!ex || !next)
        return -EINVAL;
    if (ex->tail_calls >= EXEC_MAX_TAIL_CALLS)
        return -E2BIG;
    ex->tail_calls++;
    ex->tail_next = next;
    return 0;
}

uint32_t bpfvm_exec_slot(const struct bpfvm_exec *ex) { return ex ? ex->opts->slot : 0; }
const struct bpfvm_prog *bpfvm_exec_prog(const struct bpfvm_exec *ex) { return ex ? ex->prog : NULL; }

void *bpfvm_exec_user(const struct bpfvm_exec *ex)
{
    return ex ? ex->opts->user : NULL;
}

bool bpfvm_exec_mem_ok(const struct bpfvm_exec *ex, uint64_t addr, uint64_t size, bool write)
{
    return ex && exec_mem_ok(ex, addr, size, write);
}
