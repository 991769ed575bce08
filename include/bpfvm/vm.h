/* vm.h - load and run eBPF bytecode: the environment (helpers, host memory), programs, runs.
 *
 * Errors are negative errno values; a caller-owned buffer receives a one-line message
 * naming what went wrong and where (the instruction index as "pc N"). */
#ifndef BPFVM_VM_H
#define BPFVM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfvm/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfvm_vm;   /* an environment: helper table, host memory regions, log callback */
struct bpfvm_prog; /* a loaded, immutable program; may run on many threads at once */
struct bpfvm_exec; /* the state of one run, handed to helpers */

/* A helper: five arguments in r1-r5, the result goes to r0.  `ex` gives access to the run
 * (user pointer, memory checks). */
typedef uint64_t (*bpfvm_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                    uint64_t r5, struct bpfvm_exec *ex);

/* Log callback: level 0 = error, 1 = info, 2 = debug. */
typedef void (*bpfvm_log_fn)(int level, const char *msg, void *user);

/* Create / destroy an environment.  Returns NULL only when out of memory. */
struct bpfvm_vm *bpfvm_vm_new(void);
void bpfvm_vm_free(struct bpfvm_vm *vm);

/* Register (or replace) helper `id` (the kernel's BPF_FUNC_* number, or any id of your own
 * below 65536).  `name` is used in messages and the disassembler.  0 or -EINVAL. */
int bpfvm_vm_set_helper(struct bpfvm_vm *vm, uint32_t id, const char *name, bpfvm_helper_fn fn);

/* Look up a registered helper by id; NULL when none. */
const char *bpfvm_vm_helper_name(const struct bpfvm_vm *vm, uint32_t id);

/* Host memory that checked programs may access (besides the stack and the run's data).
 * Up to 64 regions; 0, -EINVAL or -ENOSPC. */
int bpfvm_vm_add_region(struct bpfvm_vm *vm, void *base, size_t size, bool writable);

void bpfvm_vm_set_log(struct bpfvm_vm *vm, bpfvm_log_fn fn, void *user);

/* Engines. */
enum bpfvm_engine {
    BPFVM_ENGINE_DEFAULT = 0, /* the JIT where it exists for the CPU, else the interpreter */
    BPFVM_ENGINE_INTERP = 1,
    BPFVM_ENGINE_JIT = 2,
};

/* Load flags. */
#define BPFVM_LOAD_CHECKED (1u << 0) /* check every memory access at run time (unverified code) */
#define BPFVM_LOAD_NO_JIT (1u << 1)  /* do not compile to native code (interpreter only) */
#define BPFVM_LOAD_BLIND (1u << 2)   /* JIT constant blinding (like net.core.bpf_jit_harden):
                                        no immediate of the program appears in native code */
#define BPFVM_LOAD_NO_VERIFY (1u << 3) /* a program with a type skips the verifier: it then
                                          runs with run-time checks (BPFVM_LOAD_CHECKED) */
#define BPFVM_LOAD_UNPRIV (1u << 4)  /* verify with the kernel's unprivileged rules */

/* Programs with a type (prog_type below) are verified when loaded, like the kernel does:
 * accepted ones run without run-time checks (unless BPFVM_LOAD_CHECKED asks for them anyway),
 * rejected ones fail to load with the verifier's reason (-EACCES/-EINVAL/-E2BIG; the log goes
 * to the vm's log callback), and ones using what the verifier cannot check yet run checked.
 * Raw programs (no type) are never verified: BPFVM_LOAD_CHECKED decides. */

struct bpfvm_map;

struct bpfvm_load_opts {
    size_t sz;          /* sizeof(struct bpfvm_load_opts), for growth */
    unsigned flags;     /* BPFVM_LOAD_* */
    char *errbuf;       /* optional message buffer */
    size_t errbuf_len;
    /* Maps the program refers to: in `lddw` with src BPF_PSEUDO_MAP_FD/BPF_PSEUDO_MAP_IDX the
     * imm is an index into this table (bpfvm has no file descriptors); BPF_PSEUDO_MAP_VALUE /
     * _IDX_VALUE add the second slot's imm as an offset into element 0 of a one-element ARRAY
     * (global data).  The program holds a reference to each map it uses. */
    struct bpfvm_map *const *maps;
    size_t map_cnt;
    /* The program type (enum bpfvm_prog_type, <bpfvm/progtype.h>): its context layout, what
     * it may access, how test runs build the context.  0 = none (raw bytecode). */
    int prog_type;
    /* The license ("GPL", "Dual BSD/GPL", ... as in an object's "license" section): the
     * verifier refuses GPL-only helpers without a GPL-compatible one.  NULL: not checked. */
    const char *license;
};

/* Check and pre-decode `cnt` instruction slots.  The instructions are copied.  Rejects unknown
 * opcodes, bad registers, jumps outside the program or into the middle of lddw, calls to
 * helpers not registered in `vm`, and map references that no loader resolved.
 * The vm must outlive the program.  0 or negative errno. */
int bpfvm_prog_load(struct bpfvm_vm *vm, const struct bpfvm_insn *insns, size_t cnt,
                    const struct bpfvm_load_opts *opts, struct bpfvm_prog **out);
void bpfvm_prog_free(struct bpfvm_prog *prog);

size_t bpfvm_prog_insn_cnt(const struct bpfvm_prog *prog);
int bpfvm_prog_type(const struct bpfvm_prog *prog);
/* Whether the verifier accepted the program, and whether it runs with run-time checks. */
bool bpfvm_prog_verified(const struct bpfvm_prog *prog);
bool bpfvm_prog_checked(const struct bpfvm_prog *prog);

/* Whether the program has native code; when not, *why (if given) says why. */
bool bpfvm_prog_jited(const struct bpfvm_prog *prog, const char **why);

/* A direct native entry, for hot paths of embedders (like DPDK's rte_bpf_get_jit): callable
 * as fn(r1, r2, r3, r4, r5) and returning r0, with no run state to set up.  Only for programs
 * that were JIT-compiled, are not checked (trusted or verified), and need no run state: no
 * bpf-to-bpf calls, no LD_ABS/LD_IND, no may_goto, and no helper calls except
 * bpf_map_lookup_elem on a map that is not per-CPU, loaded into r1 by lddw in the same basic
 * block, and bpf_csum_diff with sizes of at most 512 bytes set there by constant moves (the
 * JIT does these without the run state).  NULL otherwise (use bpfvm_runner_exec or bpfvm_prog_exec).  Each call uses 512
 * bytes of BPF stack plus a few hundred bytes of the caller's stack. */
typedef uint64_t (*bpfvm_direct_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                    uint64_t r5);
bpfvm_direct_fn bpfvm_prog_direct_entry(const struct bpfvm_prog *prog);

/* The native code of a JIT-compiled program (NULL when none): its size, and for each
 * instruction slot the offset of its code (insn_cnt + 1 entries; the last is the end). */
const void *bpfvm_prog_jited_code(const struct bpfvm_prog *prog, size_t *size,
                                  const uint32_t **insn_off);
/* The same for the copy bpfvm_prog_direct_entry calls, when the JIT made one (programs that
 * need no run state get a second copy without the run-state register and frame); NULL when
 * there is none (the direct entry, if any, is then a stub before the ordinary code). */
const void *bpfvm_prog_jited_direct_code(const struct bpfvm_prog *prog, size_t *size,
                                         const uint32_t **insn_off);
const struct bpfvm_insn *bpfvm_prog_insns(const struct bpfvm_prog *prog);

/* One execution with explicit registers.  Memory the program may touch in checked mode: its
 * stack, `mem` (when given) and the vm's regions.  LD_ABS/LD_IND read `pkt`. */
struct bpfvm_exec_opts {
    size_t sz;
    uint64_t args[5];       /* r1..r5 on entry */
    void *mem;              /* run-specific memory (packet buffer) */
    size_t mem_size;
    bool mem_writable;
    void *ctx;              /* the context (readable and writable in checked mode) */
    size_t ctx_size;
    const void *pkt;        /* data for LD_ABS/LD_IND (defaults to mem) */
    size_t pkt_size;
    size_t pkt_net_off;     /* offset of the network header in pkt (for SKF_NET_OFF loads) */
    uint64_t insn_budget;   /* 0 = unlimited; else the run fails after this many insns */
    enum bpfvm_engine engine;
    void *user;             /* handed to helpers via bpfvm_exec_user() */
    uint32_t slot;          /* worker slot: which copy of per-CPU maps (like the CPU number) */
    /* outputs */
    uint64_t insns_executed; /* counted only when insn_budget != 0 */
    long fault_pc;           /* pc of the faulting instruction, or -1 */
    char *errbuf;
    size_t errbuf_len;
};

/* Run once.  Returns 0 and r0 in *retval, or a negative errno: -EFAULT for a bad memory
 * access (checked mode), -ETIME when the budget ran out, -EINVAL for a call that cannot be
 * made (callx to an unknown helper), -E2BIG for too deep calls. */
int bpfvm_prog_exec(const struct bpfvm_prog *prog, struct bpfvm_exec_opts *opts, uint64_t *retval);

/* A prepared run, for hot loops of embedders: the run state and BPF stack of bpfvm_prog_exec
 * set up once for many runs of `prog` with `opts`.  bpfvm_runner_exec reads `opts` on every
 * run as bpfvm_prog_exec does (args, mem, ctx, pkt, user, slot, engine, insn_budget; change
 * them between runs as you like), fills its outputs and gives the same results.  A program
 * that is JIT-compiled and not checked runs with no per-run setup, including programs that
 * call helpers, tail-call or use callbacks (bpfvm_prog_direct_entry takes only programs that
 * call nothing); others run as bpfvm_prog_exec runs them.  One thread at a time per runner;
 * `prog` and `opts` must outlive it.  new: 0, -EINVAL or -ENOMEM. */
struct bpfvm_runner;
int bpfvm_runner_new(const struct bpfvm_prog *prog, struct bpfvm_exec_opts *opts,
                     struct bpfvm_runner **out);
int bpfvm_runner_exec(struct bpfvm_runner *runner, uint64_t *retval);
void bpfvm_runner_free(struct bpfvm_runner *runner);

/* For helpers: the run's user pointer, and a checked-mode test that [addr, addr+size) is
 * memory the program may read (write=false) or write.  Returns true when allowed or when the
 * program is not checked. */
void *bpfvm_exec_user(const struct bpfvm_exec *ex);
bool bpfvm_exec_mem_ok(const struct bpfvm_exec *ex, uint64_t addr, uint64_t size, bool write);

/* For helpers: the worker slot of this run (per-CPU maps), and the program being run. */
uint32_t bpfvm_exec_slot(const struct bpfvm_exec *ex);
const struct bpfvm_prog *bpfvm_exec_prog(const struct bpfvm_exec *ex);

/* For helpers that hand memory to the program (a map value, a ring buffer record): let a
 * checked run access [addr, addr+size) for the rest of the run.  The last 64 grants are kept. */
void bpfvm_exec_grant(struct bpfvm_exec *ex, const void *addr, uint64_t size, bool writable);

/* For bpf_tail_call: replace the running program with `next` once the helper returns (r1 is
 * kept, the stack is reset).  Returns -E2BIG beyond Linux's chain limit of 33 tail calls, then
 * the program simply continues, as in the kernel. */
int bpfvm_exec_tail_call(struct bpfvm_exec *ex, const struct bpfvm_prog *next);

/* BPF_PROG_TEST_RUN contract (shaped like libbpf's bpf_test_run_opts).  data_in is copied to a
 * private buffer.  For a program with a type, the context is built like the kernel's test run
 * for that type (struct __sk_buff or struct xdp_md around the packet; ctx_in may set the
 * fields the kernel lets a test run set) and r1 = the context.  Without a type, r1 = the buffer
 * and r2 = its length (the raw-bytecode convention).  After the last repetition the packet is
 * copied to data_out (up to data_size_out bytes; data_size_out then holds the full length) and
 * the context to ctx_out.  Typed runs follow the kernel when a program grew the packet past
 * a non-zero data_size_out: -ENOSPC, with the part that fits copied, data_size_out, retval and
 * duration set, ctx_out not written.  duration is the mean time per run in ns. */
struct bpfvm_test_run_opts {
    size_t sz;
    const void *data_in;
    void *data_out;
    uint32_t data_size_in;
    uint32_t data_size_out;
    const void *ctx_in;
    void *ctx_out;
    uint32_t ctx_size_in;
    uint32_t ctx_size_out;
    uint32_t repeat;        /* 0 or 1 = one run */
    enum bpfvm_engine engine;
    uint64_t insn_budget;
    /* outputs */
    uint64_t retval;        /* full 64-bit r0 */
    uint64_t duration;      /* mean ns per run */
    long fault_pc;
    char *errbuf;
    size_t errbuf_len;
};
int bpfvm_prog_test_run(const struct bpfvm_prog *prog, struct bpfvm_test_run_opts *opts);

/* Register the helpers every raw program may use in the conformance convention: helper 5
 * returns its first argument (as the bpf_conformance runner expects). */
int bpfvm_vm_add_conformance_helpers(struct bpfvm_vm *vm);

#ifdef __cplusplus
}
#endif
#endif
