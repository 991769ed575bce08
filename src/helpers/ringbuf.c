/* helpers/ringbuf.c - BPF_MAP_TYPE_RINGBUF from programs: bpf_ringbuf_output, reserve,
 * submit, discard and query.  A checked run may only submit or discard a record it reserved
 * and has not yet released (the verifier's reference tracking, done at run time); the
 * record's grant is withdrawn on release. */
#include "helpers/helpers.h"

#define RB_MAP (HELPER_MAPT(BPFVM_MAP_TYPE_RINGBUF))

HELPER_DECL(helper_ringbuf_output)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r1;
    if (!helpers_map_arg(ex, m, RB_MAP))
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r2, r3, false) || (r3 && !r2))
        return (uint64_t)-EFAULT;
    return (uint64_t)map_ringbuf_output(m, (const void *)(uintptr_t)r2, r3, r4);
}

/* Returns the record (size bytes, writable) or NULL: full, bad flags, too big. */
HELPER_DECL(helper_ringbuf_reserve)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r1;
    if (!helpers_map_arg(ex, m, RB_MAP))
        return 0;
    void *rec = map_ringbuf_reserve(m, r2, r3);
    if (rec && ex->checked) {
        if (helpers_resv_add(ex, rec, m)) {
            map_ringbuf_discard(rec, BPFVM_RB_NO_WAKEUP); /* too many open records */
            return 0;
        }
        bpfvm_exec_grant(ex, rec, r2, true);
    }
    return (uint64_t)(uintptr_t)rec;
}

static uint64_t rb_release(struct bpfvm_exec *ex, uint64_t rec, uint64_t flags, bool discard)
{
    if (!rec)
        return (uint64_t)-EINVAL;
    if (ex->checked) {
        if (!helpers_resv_take(ex, (void *)(uintptr_t)rec))
            return (uint64_t)-EINVAL; /* not a record this run holds */
        helpers_revoke(ex, (void *)(uintptr_t)rec);
    }
    if (discard)
        map_ringbuf_discard((void *)(uintptr_t)rec, flags);
    else
        map_ringbuf_submit((void *)(uintptr_t)rec, flags);
    return 0;
}

HELPER_DECL(helper_ringbuf_submit) { return rb_release(ex, r1, r2, false); }
HELPER_DECL(helper_ringbuf_discard) { return rb_release(ex, r1, r2, true); }

HELPER_DECL(helper_ringbuf_query)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r1;
    if (!helpers_map_arg(ex, m, RB_MAP))
        return 0;
    return map_ringbuf_query(m, r2);
}
