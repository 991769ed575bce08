/* helpers/perf.c - bpf_perf_event_output(ctx, map, flags, data, size) into a
 * PERF_EVENT_ARRAY: flags carry the index, or BPF_F_CURRENT_CPU for the run's worker slot. */
#include "helpers/helpers.h"

#include <string.h>

#include "core/exec.h"
#include "progtype/progtype.h"

#define PERF_F_CTXLEN_MASK (0xfffffULL << 32)

/* The packet of a run, for BPF_F_CTXLEN_MASK: from the context's data/data_end pointers when
 * the program type has them, else the run's packet (skb types). */
static bool run_packet(const struct bpfvm_exec *ex, uint64_t ctx, const uint8_t **pkt, uint64_t *len)
{
    const struct progtype *pt = progtype_get((enum bpfvm_prog_type)ex->prog->type);
    uint64_t data = 0, end = 0;
    bool have_data = false, have_end = false;
    for (size_t i = 0; pt && ctx && i < pt->nfields; i++) {
        if (pt->fields[i].kind == PT_FIELD_PKT)
            memcpy(&data, (const uint8_t *)(uintptr_t)ctx + pt->fields[i].native_off, 8), have_data = true;
        else if (pt->fields[i].kind == PT_FIELD_PKT_END)
            memcpy(&end, (const uint8_t *)(uintptr_t)ctx + pt->fields[i].native_off, 8), have_end = true;
    }
    if (have_data && have_end && end >= data) {
        *pkt = (const uint8_t *)(uintptr_t)data;
        *len = end - data;
        return true;
    }
    if (ex->opts->pkt) {
        *pkt = ex->opts->pkt;
        *len = ex->opts->pkt_size;
        return true;
    }
    return false;
}

/* 0, -EINVAL (flags, map), -E2BIG (index), -ENOENT (no reader at the index), -ENOSPC (full),
 * -EFAULT (checked run: data not readable). */
HELPER_DECL(helper_perf_event_output)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r2;
    if (!helpers_map_arg(ex, m, HELPER_MAPT(BPFVM_MAP_TYPE_PERF_EVENT_ARRAY)))
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r4, r5, false) || (r5 && !r4))
        return (uint64_t)-EFAULT;
    uint64_t ctxlen = (r3 & PERF_F_CTXLEN_MASK) >> 32;
    const uint8_t *pkt = NULL;
    uint64_t pkt_len = 0;
    if (ctxlen) { /* skb/xdp programs: append the first ctxlen bytes of the packet */
        if (!run_packet(ex, r1, &pkt, &pkt_len))
            return (uint64_t)-EINVAL;
        if (ctxlen > pkt_len)
            return (uint64_t)-EFAULT;
    }
    return (uint64_t)map_perf_event_output2(m, r3 & ~PERF_F_CTXLEN_MASK, ex->opts->slot,
                                            (const void *)(uintptr_t)r4, r5, pkt, ctxlen);
}
