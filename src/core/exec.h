/* exec.h - the state of one run (what helpers see as struct bpfvm_exec), shared by the
 * interpreter and the JIT.  The JIT reaches fields by offsetof, so keep it plain. */
#ifndef BPFVM_EXEC_H
#define BPFVM_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include "core/vm_internal.h"
#include "isa/isa.h"

#define EXEC_STACK_BYTES (ISA_STACK_SIZE * ISA_MAX_FRAMES)
#define EXEC_MAY_GOTO_LIMIT (8u * 1024 * 1024) /* Linux's BPF_MAX_LOOPS */
#define EXEC_MAX_TAIL_CALLS 33                 /* Linux's MAX_TAIL_CALL_CNT */
#define EXEC_MAX_GRANTS 64

struct exec_grant {
    uintptr_t base;
    uint64_t size;
    bool writable;
};

struct bpfvm_exec {
    const struct bpfvm_prog *prog;
    struct bpfvm_exec_opts *opts;
    uint64_t args[5];       /* r1-r5 on entry (r1 = the context after a tail call) */
    bool checked;
    uintptr_t stack_lo, stack_hi;
    uint64_t may_goto_left;
    /* fault details */
    long fault_pc;
    uint64_t fault_addr;
    int fault_size;
    bool fault_write;
    /* JIT run state */
    uint64_t jit_entry_rsp; /* native stack pointer after the entry prologue, for unwinding */
    int32_t jit_depth;      /* current bpf-to-bpf call depth */
    int32_t jit_err;        /* negative errno when the run stopped on an error */
    int32_t jit_pkt_oob;    /* a packet load was out of bounds: the program returns 0 */
    int32_t jit_fault;      /* enum exec_fault: why the JIT code stopped */
    uint64_t jit_callx_value;
    /* tail calls: the program to continue with, and how many were taken */
    const struct bpfvm_prog *tail_next;
    uint64_t tail_ctx;      /* r1 of the bpf_tail_call */
    uint32_t tail_calls;
    /* callbacks (bpf_loop...): where a run starts, the frame of the current helper call */
    size_t entry_pc;
    uint64_t entry_fp;
    uint64_t cur_fp;            /* r10 when the running helper was called */
    uint64_t callback_target;   /* JIT: native address the trampoline calls */
    int32_t pending_err;        /* a callback failed: the whole run stops with this */
    bool running_jit;
    /* set by a helper that leaves state behind (a held lock, a reserved record): called once
     * when the run ends, whatever the outcome */
    void (*at_end)(struct bpfvm_exec *ex);
    /* memory helpers handed to a checked run */
    uint32_t ngrants;
    struct exec_grant grants[EXEC_MAX_GRANTS];
};

/* Why a run stopped early (the JIT records it; messages are formatted in C). */
enum exec_fault {
    EXEC_FAULT_NONE = 0,
    EXEC_FAULT_MEM,     /* bad memory access: fault_addr/size/write */
    EXEC_FAULT_ALIGN,   /* misaligned atomic: fault_addr/size */
    EXEC_FAULT_DEPTH,   /* more than 8 nested frames */
    EXEC_FAULT_FALLOFF, /* ran past the last instruction */
    EXEC_FAULT_CALLX,   /* callx to something that is neither helper nor function */
    EXEC_FAULT_HELPER,  /* call to a helper that was unregistered */
    EXEC_FAULT_TAIL,    /* not a fault: bpf_tail_call asked to continue in another program */
};

/* Engine return value (besides 0 and -errno): continue with st->tail_next. */
#define EXEC_TAIL 1
/* The helper id through which tail calls are made (the kernel's BPF_FUNC_tail_call). */
#define EXEC_TAIL_CALL_HELPER 12

/* Start a run: fill every field explicitly (a designated initializer compiles to `rep stos`,
 * which costs more than a small program's whole run). */
static inline void exec_init(struct bpfvm_exec *st, const struct bpfvm_prog *prog,
                             struct bpfvm_exec_opts *opts, uint8_t *stack)
{
    st->prog = prog;
    st->opts = opts;
    for (int i = 0; i < 5; i++)
        st->args[i] = opts->args[i];
    st->checked = (prog->flags & BPFVM_LOAD_CHECKED) != 0;
    st->stack_lo = (uintptr_t)stack;
    st->stack_hi = (uintptr_t)stack + EXEC_STACK_BYTES;
    st->may_goto_left = EXEC_MAY_GOTO_LIMIT;
    st->fault_pc = -1;
    st->fault_addr = 0;
    st->fault_size = 0;
    st->fault_write = false;
    st->jit_entry_rsp = 0;
    st->jit_depth = 0;
    st->jit_err = 0;
    st->jit_pkt_oob = 0;
    st->jit_fault = EXEC_FAULT_NONE;
    st->jit_callx_value = 0;
    st->entry_pc = 0;
    st->entry_fp = st->stack_hi;
    st->cur_fp = st->stack_hi;
    st->callback_target = 0;
    st->pending_err = 0;
    st->running_jit = false;
    st->at_end = NULL;
    st->tail_next = NULL;
    st->tail_ctx = 0;
    st->tail_calls = 0;
    st->ngrants = 0;
}

/* Run st->prog once on the engine st->opts asks for: 0, -errno, or EXEC_TAIL. */
int exec_one(struct bpfvm_exec *st, uint64_t *retval);
/* After an engine returned rc: continue with the programs tail calls asked for, end the run
 * (st->at_end) and report opts->fault_pc.  Returns the run's outcome (0 or -errno). */
int exec_finish(struct bpfvm_exec *st, int rc, uint64_t *retval);

/* Call the BPF function at func_ptr (address of its first slot in prog->insns) from a
 * helper, on the frame below the helper's caller.  0, or -errno (then the run stops). */
int exec_call_function(struct bpfvm_exec *ex, uint64_t func_ptr, uint64_t r1, uint64_t r2,
                       uint64_t r3, uint64_t r4, uint64_t r5, uint64_t *r0);

/* Memory test of checked runs (stack, run memory, packet, vm regions). */
bool exec_mem_ok(const struct bpfvm_exec *ex, uint64_t addr, uint64_t size, bool write);

/* Pointer to `size` bytes of the packet for LD_ABS/LD_IND offset k (Linux's negative
 * SKF_NET_OFF / SKF_LL_OFF ranges included), or NULL when out of bounds. */
const uint8_t *exec_pkt_ptr(const struct bpfvm_exec_opts *o, int32_t k, int size);

#endif
