/* obj_helpers.c - see obj_helpers.h.  The fallback helpers trust their map arguments (the
 * test programs are well-formed); they check key and value memory like checked runs do. */
#include <errno.h>
#include <stdint.h>

#include "obj_helpers.h"
#include "maps/map.h"

#if defined(__has_include)
#if __has_include("bpfvm/helpers.h")
#include "bpfvm/helpers.h"
#define OBJ_HAVE_STD_HELPERS 1
#endif
#endif

#ifndef OBJ_HAVE_STD_HELPERS
static uint64_t h_lookup(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         struct bpfvm_exec *ex)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r1;
    if (!m || !bpfvm_exec_mem_ok(ex, r2, m->key_size, false))
        return 0;
    void *v = map_lookup_fast(m, (const void *)(uintptr_t)r2, bpfvm_exec_slot(ex));
    if (v && !m->ops->lookup_returns_obj)
        bpfvm_exec_grant(ex, v, m->value_size, map_prog_may_write(m));
    return (uintptr_t)v;
}

static uint64_t h_update(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         struct bpfvm_exec *ex)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r1;
    if (!m || !bpfvm_exec_mem_ok(ex, r2, m->key_size, false) ||
        !bpfvm_exec_mem_ok(ex, r3, m->value_size, false))
        return (uint64_t)-EFAULT;
    return (uint64_t)map_update_fast(m, (const void *)(uintptr_t)r2, (const void *)(uintptr_t)r3,
                                     r4, bpfvm_exec_slot(ex));
}

static uint64_t h_delete(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                         struct bpfvm_exec *ex)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r1;
    if (!m || !bpfvm_exec_mem_ok(ex, r2, m->key_size, false))
        return (uint64_t)-EFAULT;
    return (uint64_t)map_delete_fast(m, (const void *)(uintptr_t)r2);
}

static uint64_t h_tail_call(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                            struct bpfvm_exec *ex)
{
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r2;
    uint32_t idx = (uint32_t)r3;
    if (!m || m->type != BPFVM_MAP_TYPE_PROG_ARRAY)
        return (uint64_t)-EINVAL;
    const struct bpfvm_prog *next = map_lookup_fast(m, &idx, 0);
    if (!next)
        return (uint64_t)-ENOENT;
    return (uint64_t)(int64_t)bpfvm_exec_tail_call(ex, next);
}
#endif

int obj_test_add_helpers(struct bpfvm_vm *vm)
{
#ifdef OBJ_HAVE_STD_HELPERS
    return bpfvm_vm_add_std_helpers(vm);
#else
    int rc = bpfvm_vm_set_helper(vm, 1, "map_lookup_elem", h_lookup);
    if (!rc)
        rc = bpfvm_vm_set_helper(vm, 2, "map_update_elem", h_update);
    if (!rc)
        rc = bpfvm_vm_set_helper(vm, 3, "map_delete_elem", h_delete);
    if (!rc)
        rc = bpfvm_vm_set_helper(vm, 12, "tail_call", h_tail_call);
    return rc;
#endif
}
