/* helpers/spin_lock.c - bpf_spin_lock / bpf_spin_unlock on the struct bpf_spin_lock inside a
 * map value (the maps module's lock word, also used by BPF_F_LOCK).  A checked run may only
 * lock the lock of a map value it looked up, one lock at a time (the verifier's rule), and
 * only unlock the lock it holds; anything else is ignored.  A lock still held when a checked
 * run ends is released by helpers_exec_end (once the engines call it). */
#include "helpers/helpers.h"

HELPER_DECL(helper_spin_lock)
{
    void *lock = (void *)(uintptr_t)r1;
    if (ex->checked) {
        if ((r1 & 3) || !exec_mem_ok(ex, r1, 4, true) || !helpers_lock_known(ex, lock) ||
            helpers_held_lock(ex))
            return (uint64_t)-EINVAL;
        map_value_spin_lock(lock);
        helpers_set_held_lock(ex, lock);
        return 0;
    }
    map_value_spin_lock(lock);
    return 0;
}

HELPER_DECL(helper_spin_unlock)
{
    void *lock = (void *)(uintptr_t)r1;
    if (ex->checked) {
        if (!lock || helpers_held_lock(ex) != lock)
            return (uint64_t)-EINVAL;
        helpers_set_held_lock(ex, NULL);
    }
    map_value_spin_unlock(lock);
    return 0;
}
