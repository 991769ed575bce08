/* helpers/loop.c - bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) for i = 0 ..
 * nr_loops - 1 until it returns nonzero.  Needs the engines' exec_call_function. */
#include "helpers/helpers.h"

#define LOOP_MAX (1u << 23) /* the kernel's BPF_MAX_LOOPS */

/* Returns the number of iterations made (the stopping one included), -EINVAL for flags,
 * -E2BIG for more than 8M loops, or the callback hook's error. */
HELPER_DECL(helper_loop)
{
    uint32_t nr = (uint32_t)r1;
    if (r4)
        return (uint64_t)-EINVAL;
    if (nr > LOOP_MAX)
        return (uint64_t)-E2BIG;
    uint32_t i;
    for (i = 0; i < nr; i++) {
        uint64_t ret = 0;
        int err = helpers_call_function(ex, r2, i, r3, 0, 0, 0, &ret);
        if (err)
            return (uint64_t)(int64_t)err;
        if (ret)
            return (uint64_t)i + 1;
    }
    return i;
}
