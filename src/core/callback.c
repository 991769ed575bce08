/* callback.c - helpers calling back into the program (bpf_loop, for_each_map_elem): the
 * function runs on the frame below the helper's caller, with the engine the run uses. */
#include <errno.h>
#include <string.h>

#include "core/exec.h"
#include "interp/interp.h"
#include "jit/jit.h"

int exec_call_function(struct bpfvm_exec *ex, uint64_t func_ptr, uint64_t r1, uint64_t r2,
                       uint64_t r3, uint64_t r4, uint64_t r5, uint64_t *r0)
{
    const struct bpfvm_prog *prog = ex->prog;
    uintptr_t base = (uintptr_t)prog->insns;
    if (func_ptr < base || func_ptr >= base + prog->cnt * 8 || (func_ptr - base) % 8)
        return -EINVAL;
    size_t pc = (func_ptr - base) / 8;
    if (ex->cur_fp < ex->stack_lo + ISA_STACK_SIZE)
        return ex->pending_err = vm_errorf(ex->opts->errbuf, ex->opts->errbuf_len, E2BIG,
                                           "callback at pc %zu: no stack frame left", pc);
    /* the nested run changes these; the caller's run continues with them afterwards */
    uint64_t saved_args[5], saved_cur_fp = ex->cur_fp, saved_entry_fp = ex->entry_fp;
    uint64_t saved_rsp = ex->jit_entry_rsp;
    size_t saved_entry_pc = ex->entry_pc;
    memcpy(saved_args, ex->args, sizeof(saved_args));
    uint64_t args[5] = {r1, r2, r3, r4, r5};
    memcpy(ex->args, args, sizeof(args));
    ex->entry_pc = pc;
    ex->entry_fp = ex->cur_fp - ISA_STACK_SIZE;
    int rc = ex->running_jit ? jit_call_function(ex, pc, r0) : interp_run(ex, r0);
    if (rc == EXEC_TAIL)
        rc = vm_errorf(ex->opts->errbuf, ex->opts->errbuf_len, EINVAL,
                       "callback at pc %zu: bpf_tail_call is not allowed in a callback", pc);
    memcpy(ex->args, saved_args, sizeof(saved_args));
    ex->cur_fp = saved_cur_fp;
    ex->entry_fp = saved_entry_fp;
    ex->entry_pc = saved_entry_pc;
    ex->jit_entry_rsp = saved_rsp;
    if (rc < 0)
        ex->pending_err = rc;
    return rc;
}
