/* jit.h - the JIT: compiling a loaded program to native code, and running it. */
#ifndef BPFVM_JIT_H
#define BPFVM_JIT_H

#include <stddef.h>
#include <stdint.h>
#include "core/vm_internal.h"

struct jit_code {
    void *mem;          /* mapped code pages (read+execute once finished) */
    size_t map_size;    /* bytes mapped */
    size_t code_size;   /* bytes of code */
    uint32_t *insn_off; /* native offset of each BPF slot (cnt + 1 entries), for dumps */
    uint32_t *entry_off;/* native offset of each function's prologue by slot (or UINT32_MAX) */
    uint32_t tramp_off; /* trampoline for calls from helpers into a function */
    uint32_t direct_off;/* direct entry (see bpfvm_prog_direct_entry), or UINT32_MAX; into
                           direct_mem when that exists, else a stub in mem */
    void *direct_mem;   /* the copy compiled to be called directly (no run state) */
    size_t direct_map_size;
    size_t direct_code_size;      /* bytes of code in direct_mem */
    uint32_t *direct_insn_off;    /* like insn_off, for direct_mem (NULL when no copy) */
    size_t cnt;
};

/* Run the function at slot pc from a helper (callbacks): st->args, st->cur_fp prepared. */
int jit_call_function(struct bpfvm_exec *st, size_t pc, uint64_t *r0);

/* Whether this build has a JIT for the running CPU. */
bool jit_available(void);

/* Compile prog (already checked) to native code.  Returns 0, -ENOTSUP with a reason for
 * programs the JIT does not take (the interpreter still runs them), or -ENOMEM. */
int jit_compile(struct bpfvm_prog *prog, char *err, size_t errlen);
void jit_free(struct jit_code *code);

/* Run st->prog's native code once (st prepared by exec_init).  0, -errno, or EXEC_TAIL. */
struct bpfvm_exec;
int jit_run(struct bpfvm_exec *st, uint64_t *r0);

/* The native entry jit_run calls: r1-r5, then the run state; returns the raw r0, which
 * jit_result turns into the run's outcome (0 and *r0, -errno, or EXEC_TAIL). */
typedef uint64_t (*jit_entry_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                                 struct bpfvm_exec *);
static inline jit_entry_fn jit_entry(const struct jit_code *code)
{
    return (jit_entry_fn)code->mem;
}
int jit_result(struct bpfvm_exec *st, uint64_t v, uint64_t *r0);

/* Executable memory: map RW, fill, then seal RX (never writable and executable at once). */
void *jit_mem_alloc(size_t size, size_t *mapped);
int jit_mem_seal(void *mem, size_t mapped);
void jit_mem_free(void *mem, size_t mapped);

#endif
