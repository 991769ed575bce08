/* helpers/perf.c - bpf_perf_event_output(ctx, map, flags, data, size) into a
 * PERF_EVENT_ARRAY: flags carry the index, or BPF_F_CURRENT_CPU for the run's worker slot. */
#include "helpers/helpers.h"

/* 0, -EINVAL (flags, map), -E2BIG (index), -ENOENT (no reader at the index), -ENOSPC (full),
 * -EFAULT (checked run: data not readable). */
HELPER_DECL(helper_perf_event_output)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r2;
    if (!helpers_map_arg(ex, m, HELPER_MAPT(BPFVM_MAP_TYPE_PERF_EVENT_ARRAY)))
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r4, r5, false) || (r5 && !r4))
        return (uint64_t)-EFAULT;
    return (uint64_t)map_perf_event_output(m, r3, ex->opts->slot, (const void *)(uintptr_t)r4, r5);
}
