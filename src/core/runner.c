/* runner.c - prepared runs (bpfvm_runner): the run state and BPF stack of bpfvm_prog_exec set
 * up once for many runs of one program, so that a run of unchecked JIT code is little more
 * than the call into it, helper calls, tail calls and callbacks included.
 *
 * The run state is kept as exec_init leaves it.  A run of native code changes only fields it
 * restores itself (call depth, the callback frame) or fields that also stop the run early or
 * need the end-of-run hook (jit_fault, jit_pkt_oob, pending_err, at_end): after such a run
 * the ordinary ending (exec_finish) runs and the state is prepared again.  The exceptions,
 * reset before every run, are the may_goto budget and the tail-call count (a tail call to an
 * empty slot counts and the program goes on). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/exec.h"
#include "jit/jit.h"

struct bpfvm_runner {
    struct bpfvm_exec ex;       /* prepared by exec_init; running_jit set for the fast path */
    const struct bpfvm_prog *prog;
    struct bpfvm_exec_opts *opts;
    jit_entry_fn fast;          /* native code needing no per-run preparation, or NULL */
    _Alignas(64) uint8_t stack[EXEC_STACK_BYTES];
};

static void runner_prepare(struct bpfvm_runner *r)
{
    exec_init(&r->ex, r->prog, r->opts, r->stack);
    r->ex.running_jit = true;
}

int bpfvm_runner_new(const struct bpfvm_prog *prog, struct bpfvm_exec_opts *opts,
                     struct bpfvm_runner **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!prog || !opts)
        return -EINVAL;
    struct bpfvm_runner *r = aligned_alloc(64, sizeof(*r));
    if (!r)
        return -ENOMEM;
    memset(r, 0, sizeof(*r));
    r->prog = prog;
    r->opts = opts;
    /* checked code and code that may read stack it never wrote get a zeroed stack per run:
     * they take the ordinary path */
    if (prog->jit && !(prog->flags & BPFVM_LOAD_CHECKED) && !prog->zero_stack)
        r->fast = jit_entry(prog->jit);
    runner_prepare(r);
    *out = r;
    return 0;
}

void bpfvm_runner_free(struct bpfvm_runner *runner)
{
    free(runner);
}

/* The run did something that needs the ordinary ending: errors, tail calls, end-of-run
 * hooks.  Then prepare the state for the next run. */
__attribute__((noinline, cold)) static int runner_finish(struct bpfvm_runner *r, uint64_t v,
                                                        uint64_t *retval)
{
    /* a tail call starts the next program with this run's r2-r5 (the state has older ones) */
    memcpy(r->ex.args, r->opts->args, sizeof(r->ex.args));
    int rc = exec_finish(&r->ex, jit_result(&r->ex, v, retval), retval);
    runner_prepare(r);
    return rc;
}

/* Any engine, any program: what bpfvm_prog_exec does, on the runner's memory. */
__attribute__((noinline)) static int runner_exec_slow(struct bpfvm_runner *r, uint64_t *retval)
{
    struct bpfvm_exec *ex = &r->ex;
    exec_init(ex, r->prog, r->opts, r->stack);
    if (ex->checked || r->prog->zero_stack)
        memset(r->stack, 0, sizeof(r->stack));
    int rc = exec_finish(ex, exec_one(ex, retval), retval);
    runner_prepare(r);
    return rc;
}

int bpfvm_runner_exec(struct bpfvm_runner *runner, uint64_t *retval)
{
    struct bpfvm_runner *r = runner;
    struct bpfvm_exec_opts *o = r->opts;
    if (!r->fast || o->engine == BPFVM_ENGINE_INTERP || o->insn_budget)
        return runner_exec_slow(r, retval);
    struct bpfvm_exec *ex = &r->ex;
    ex->may_goto_left = EXEC_MAY_GOTO_LIMIT;
    ex->tail_calls = 0;
    uint64_t v = r->fast(o->args[0], o->args[1], o->args[2], o->args[3], o->args[4], ex);
    if (__builtin_expect((ex->jit_fault | ex->jit_pkt_oob | ex->pending_err) != 0 ||
                         ex->at_end != NULL, 0))
        return runner_finish(r, v, retval);
    *retval = v;
    o->fault_pc = -1;
    return 0;
}
