/* verifier.h - internal interface of the static verifier: abstract register and stack state,
 * the verification environment, and the functions each check file provides. */
#ifndef BPFVM_VERIFIER_INTERNAL_H
#define BPFVM_VERIFIER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvm/verifier.h"
#include "isa/isa.h"

#define VERIFIER_MAX_FRAMES 8
#define VERIFIER_STACK_SIZE 512
#define VERIFIER_SLOTS (VERIFIER_STACK_SIZE / 8)
#define VERIFIER_INSN_LIMIT 1000000u
#define VERIFIER_MAX_PACKET_OFF 0xffff
#define VERIFIER_MAX_SUBPROGS 256

/* ---- tnum: a value with some bits known (value) and some unknown (mask) ---- */
struct tnum {
    uint64_t value, mask;
};
#define TNUM(v, m) ((struct tnum){(v), (m)})
static inline struct tnum tnum_const(uint64_t v) { return TNUM(v, 0); }
static inline struct tnum tnum_unknown(void) { return TNUM(0, ~0ULL); }
static inline bool tnum_is_const(struct tnum a) { return !a.mask; }
static inline bool tnum_equals_const(struct tnum a, uint64_t v) { return !a.mask && a.value == v; }
static inline bool tnum_is_unknown(struct tnum a) { return !~a.mask; }
struct tnum tnum_range(uint64_t min, uint64_t max);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_lshift(struct tnum a, unsigned s);
struct tnum tnum_rshift(struct tnum a, unsigned s);
struct tnum tnum_arshift(struct tnum a, unsigned s, unsigned width);
struct tnum tnum_neg(struct tnum a);
struct tnum tnum_intersect(struct tnum a, struct tnum b);
struct tnum tnum_cast(struct tnum a, unsigned bytes); /* keep the low `bytes` bytes */
bool tnum_in(struct tnum outer, struct tnum inner);   /* every value of inner is in outer */
struct tnum tnum_subreg(struct tnum a);
int tnum_str(char *buf, size_t len, struct tnum a);

/* ---- abstract registers ---- */
enum vreg_type {
    VREG_NOT_INIT = 0,
    VREG_SCALAR,
    VREG_PTR_TO_CTX,
    VREG_CONST_PTR_TO_MAP,
    VREG_PTR_TO_MAP_VALUE,
    VREG_PTR_TO_MAP_KEY,
    VREG_PTR_TO_STACK,
    VREG_PTR_TO_PACKET_META,
    VREG_PTR_TO_PACKET,
    VREG_PTR_TO_PACKET_END,
    VREG_PTR_TO_MEM,      /* ring buffer record (mem_size bytes) */
    VREG_PTR_TO_FUNC,     /* a subprogram address (lddw BPF_PSEUDO_FUNC) */
};

struct vreg {
    uint8_t type;        /* enum vreg_type */
    bool maybe_null;     /* *_OR_NULL: the pointer may be NULL until checked */
    uint8_t frameno;     /* PTR_TO_STACK: the frame it points into */
    uint8_t mem_ringbuf; /* PTR_TO_MEM from bpf_ringbuf_reserve */
    int32_t off;         /* pointers: fixed offset */
    uint32_t id;         /* null checks, packet ranges and scalar copies share an id */
    uint32_t ref_obj_id; /* acquired reference this pointer carries (0 none) */
    uint32_t range;      /* packet pointers: bytes known in bounds from the id's base */
    uint32_t mem_size;   /* PTR_TO_MEM: bytes */
    int32_t subprog;     /* PTR_TO_FUNC: first insn of the subprogram */
    const struct bpfvm_map *map; /* CONST_PTR_TO_MAP, PTR_TO_MAP_VALUE/KEY */
    struct tnum var_off; /* scalars: the value; pointers: the variable part of the offset */
    int64_t smin, smax;
    uint64_t umin, umax;
};

/* ---- stack: per 8-byte slot, the type of each byte and the spilled register ---- */
enum vstack_type {
    VSTACK_INVALID = 0, /* never written */
    VSTACK_MISC,        /* some scalar bytes */
    VSTACK_ZERO,        /* known zero bytes */
    VSTACK_SPILL,       /* part of a spilled 8-byte register */
};

struct vslot {
    uint8_t type[8];    /* byte i is at offset -(slot+1)*8 + i */
    struct vreg spilled;
};

struct vframe {
    struct vreg regs[ISA_NREGS];
    int callsite;       /* insn of the call in the caller (-1 for the main program) */
    int subprog;        /* index in env->subprogs */
    int frameno;
    bool in_callback;   /* a bpf_loop callback: r0 must be 0 or 1 at exit */
    int cb_callsite;    /* the helper call that runs the callback */
    uint32_t cb_run;    /* which entry into a callback this frame is (distinct per entry) */
    int nslots;         /* allocated slots */
    struct vslot *stack;
};

struct vref {
    uint32_t id;
    int insn;
};

struct vcheckpoint;

struct vstate {
    struct vframe *frame[VERIFIER_MAX_FRAMES];
    int curframe;
    int insn_idx;
    struct vref *refs;
    int nrefs;
    struct vcheckpoint *parent; /* the checkpoint this path descends from */
    uint32_t may_goto_depth;
    /* the bpf_spin_lock held (at most one): the map value's map and the id of the pointer
     * it was taken through; lock_map NULL when none */
    const struct bpfvm_map *lock_map;
    uint32_t lock_id;
};

/* A state remembered at a prune point. */
struct vcheckpoint {
    struct vstate st;
    struct vcheckpoint *next;   /* same insn */
    struct vcheckpoint *parent;
    int branches;               /* paths still being explored below this one */
    uint32_t hits, miss;
};

struct vsubprog {
    int start;                  /* first insn */
    int end;                    /* one past the last */
    int stack_depth;            /* bytes used (rounded up to 8) */
    bool is_callback;
    int ncallees;
    int callees[VERIFIER_MAX_SUBPROGS];
};

struct vpending {
    struct vstate *st;
    int insn_idx;
    int prev_idx;
    size_t log_pos;
};

struct vlog {
    char *buf;          /* growing text (everything kept until the end) */
    size_t len, cap;
    uint32_t level;
    bool oom;
};

struct venv {
    const struct bpfvm_insn *insns;
    size_t cnt;
    struct bpfvm_verify_opts *opts;
    const struct bpfvm_ctx_desc *ctx;
    uint32_t prog_type;
    bool priv;                   /* allow pointer leaks, loops, uninitialised stack reads */
    bool gpl;                    /* GPL-compatible license (or none given): GPL-only helpers */
    struct vinner { const struct bpfvm_map *outer; struct bpfvm_map *tmpl; } *inner;
    size_t ninner;               /* map-in-map: inner map templates (check_call.c) */
    struct vstate *cur;
    struct vpending *stack;      /* branches still to explore */
    size_t nstack, capstack;
    struct vcheckpoint **explored; /* per insn */
    uint8_t *prune_point;
    uint16_t *live_in;           /* registers possibly read before written, per insn */
    uint8_t *second_slot;        /* lddw second halves */
    int *insn_subprog;           /* subprogram index of each insn */
    struct vsubprog subprogs[VERIFIER_MAX_SUBPROGS];
    int nsubprogs;
    struct bpfvm_verify_aux *aux;
    uint32_t id_gen;
    uint32_t cb_runs;            /* callback entries so far (vframe.cb_run) */
    uint64_t insn_processed, insn_limit;
    uint32_t total_states, cur_states, peak_states, max_states_per_insn;
    int prev_insn_idx;
    uint64_t prev_insn_processed;
    bool reads_uninit_stack;
    uint8_t *insn_ptr_type;      /* pointer type each load/store used first (0 none) */
    struct vlog log;
    char errmsg[256];
};

/* ---- log.c ---- */
void verifier_log(struct venv *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error: logged (level >= 1), kept as the one-line reason; returns -err. */
int verifier_err(struct venv *env, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void verifier_log_insn(struct venv *env, int idx);
void verifier_log_state(struct venv *env, const struct vstate *st, int frame);
const char *verifier_reg_type_str(const struct vreg *r);
void verifier_log_finish(struct venv *env, int rc);

/* ---- cfg.c ---- */
int verifier_check_cfg(struct venv *env);
int verifier_check_stack_depth(struct venv *env);

/* ---- state.c ---- */
struct vstate *verifier_state_new(void);
void verifier_state_free(struct vstate *st);
int verifier_state_copy(struct vstate *dst, const struct vstate *src);
struct vstate *verifier_state_dup(const struct vstate *src);
struct vframe *verifier_frame_new(int callsite, int subprog, int frameno);
int verifier_frame_grow(struct vframe *f, int nslots);
/* Returns 1 when `insn` was pruned (cur is covered by an explored state), 0 to continue. */
int verifier_is_state_visited(struct venv *env, int insn, bool force);
void verifier_update_branch_counts(struct venv *env, struct vcheckpoint *ck);
void verifier_free_checkpoints(struct venv *env);

/* register helpers (state.c) */
void reg_mark_unknown(struct vreg *r);
void reg_mark_not_init(struct vreg *r);
void reg_mark_const(struct vreg *r, uint64_t v);
void reg_mark_ptr(struct vreg *r, enum vreg_type t);
bool reg_is_pointer(const struct vreg *r);
bool reg_is_pkt_pointer(const struct vreg *r);
bool reg_is_const(const struct vreg *r);
void reg_bounds_sync(struct vreg *r);
void reg_bounds_from_tnum(struct vreg *r);
bool reg_bounds_sane(const struct vreg *r);
static inline struct vframe *cur_frame(struct venv *env) { return env->cur->frame[env->cur->curframe]; }
static inline struct vreg *cur_regs(struct venv *env) { return cur_frame(env)->regs; }
/* Apply fn to every register and spilled register of every frame of st. */
typedef void (*vreg_visit_fn)(struct vreg *r, void *arg);
void verifier_for_each_reg(struct vstate *st, vreg_visit_fn fn, void *arg);

/* ---- check_alu.c ---- */
int verifier_check_alu(struct venv *env, const struct bpfvm_insn *in);
int verifier_check_reg_read(struct venv *env, int regno);
/* scalar op on dst (in place); is64 selects the width.  0 or -errno (for shift checks). */
void verifier_scalar_alu(struct vreg *dst, const struct vreg *src, uint8_t op, bool is64);
void verifier_zext32(struct vreg *r);

/* ---- check_mem.c ---- */
int verifier_check_load(struct venv *env, int idx, const struct bpfvm_insn *in);
int verifier_check_store(struct venv *env, int idx, const struct bpfvm_insn *in);
int verifier_check_atomic(struct venv *env, int idx, const struct bpfvm_insn *in);
int verifier_check_ld_abs(struct venv *env, const struct bpfvm_insn *in);
int verifier_check_lddw(struct venv *env, int idx, const struct bpfvm_insn *in);
/* Is [reg + off, +size) readable (or writable) memory for a helper?  Initialised when read. */
int verifier_check_helper_mem(struct venv *env, int regno, int64_t size_min, uint64_t size_max,
                              bool write, bool zero_ok);

/* ---- check_jmp.c ---- */
int verifier_check_cond_jmp(struct venv *env, int idx, const struct bpfvm_insn *in, int *next);
int verifier_push_branch(struct venv *env, int insn_idx, int prev_idx, struct vstate **out);

/* ---- check_call.c ---- */
/* A call of a helper that runs a callback repeatedly (bpf_loop, for_each_map_elem). */
bool verifier_is_callback_call(const struct bpfvm_insn *in);
int verifier_check_pseudo_call(struct venv *env, int idx, const struct bpfvm_insn *in, int *next);
int verifier_check_exit(struct venv *env, int idx, int *next, bool *path_done);
void verifier_release_ref(struct venv *env, uint32_t ref_obj_id);


#endif
