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

int interp_run(struct bpfvm_exec *st, uint64_t *r0)
{
    const struct bpfvm_prog *prog = st->prog;
    enum interp_variant v = (st->checked ? INTERP_CHECKED : INTERP_FAST) + (st->opts->insn_budget != 0);
    return run_variants[v](st, prog->interp->threaded[v], r0, NULL);
}
