/* verifier.h - the static verifier: proves that a program can only touch what it was given,
 * always terminates and cannot crash its host, before it runs without run-time checks.
 *
 * The rules follow the Linux verifier (6.18): the same program is accepted or rejected for the
 * same reason, with the kernel's wording in the log where there is one.  See docs/verifier.md. */
#ifndef BPFVM_VERIFIER_H
#define BPFVM_VERIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfvm/insn.h"
#include "bpfvm/progtype.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfvm_map;

/* Program types are enum bpfvm_prog_type (progtype.h, the kernel's numbers).  UNSPEC is a raw
 * program: r1 is a context described by bpfvm_verify_opts.ctx, or no context at all. */

/* What loading a context field gives the program. */
enum bpfvm_ctx_kind {
    BPFVM_CTX_SCALAR = 0,   /* a number */
    BPFVM_CTX_PKT = 1,      /* pointer to the packet start (data) */
    BPFVM_CTX_PKT_END = 2,  /* pointer one past the packet (data_end) */
    BPFVM_CTX_PKT_META = 3, /* pointer to the metadata before the packet (data_meta) */
};

/* One field of a context structure: bytes [off, off + size). */
struct bpfvm_ctx_field {
    uint32_t off, size;
    uint8_t kind;        /* enum bpfvm_ctx_kind: what a load of the whole field gives */
    bool readable;
    bool writable;       /* stores of exactly `size` bytes */
    bool narrow;         /* aligned narrower loads inside a scalar field are allowed; a
                            narrow scalar field of more than 8 bytes is a buffer (cb[]):
                            aligned loads and stores of up to 8 bytes anywhere inside */
};

/* The context a program type gets in r1 and the rules that come with the type. */
struct bpfvm_ctx_desc {
    const char *name;                     /* e.g. "__sk_buff" (messages only) */
    uint32_t size;                        /* bytes of the context structure */
    const struct bpfvm_ctx_field *fields; /* sorted by offset, not overlapping */
    size_t nfields;
    bool ld_abs;       /* LD_ABS / LD_IND allowed (r6 must hold the context) */
    bool pkt_write;    /* direct packet stores allowed */
    bool ret_check;    /* r0 at exit must be a scalar within [ret_min, ret_max] */
    int64_t ret_min, ret_max;
    /* helpers the type may call (kernel ids); NULL = every helper with a prototype */
    const uint32_t *helpers;
    size_t nhelpers;
};

/* Per-instruction facts for the loader's fixup pass (like the kernel's insn_aux_data). */
#define BPFVM_VAUX_SEEN 0x01      /* reached by at least one path */
#define BPFVM_VAUX_CTX_LOAD 0x02  /* a load from the context: ctx_off/ctx_size say which bytes */
#define BPFVM_VAUX_CTX_STORE 0x04 /* a store into the context */
#define BPFVM_VAUX_PKT 0x08       /* a direct packet access */
struct bpfvm_verify_aux {
    int32_t ctx_off;   /* byte offset in the context structure accessed (insn off included) */
    uint8_t ctx_size;  /* access size in bytes */
    uint8_t flags;     /* BPFVM_VAUX_* */
    uint16_t ctx_field; /* index into the type's field table */
};

/* Output flags. */
#define BPFVM_VERIFY_READS_UNINIT_STACK 0x1 /* privileged program reads stack it never wrote
                                               (allowed, as in Linux): zero the stack per run */

struct bpfvm_verify_opts {
    size_t sz;                         /* sizeof(struct bpfvm_verify_opts) */
    uint32_t prog_type;                /* BPFVM_PROG_TYPE_* (kernel numbering) */
    const struct bpfvm_ctx_desc *ctx;  /* overrides the type's context (NULL: the type's own) */
    struct bpfvm_map *const *maps;     /* lddw map references index this table */
    size_t map_cnt;
    bool unpriv;                       /* unprivileged rules (no pointer leaks, no loops...) */
    uint32_t log_level;                /* 0 none, 1 the failing path, 2 state per instruction,
                                          | 4 statistics */
    char *log_buf;                     /* optional log buffer (NUL-terminated, truncated) */
    size_t log_size;
    void (*log_fn)(const char *text, void *user); /* optional: receives the final log */
    void *log_user;
    uint64_t insn_limit;               /* processed-instruction budget; 0 = 1,000,000 */
    struct bpfvm_verify_aux *aux;      /* optional output: `cnt` entries */
    char *errbuf;                      /* optional: the one-line reason of a rejection */
    size_t errbuf_len;
    /* outputs */
    uint64_t insns_processed;
    uint32_t total_states, peak_states, max_states_per_insn;
    uint32_t stack_depth;              /* deepest combined stack of a call chain */
    uint64_t time_ns;
    uint32_t out_flags;                /* BPFVM_VERIFY_* */
    /* input, added later: the program's license ("GPL", "Dual BSD/GPL", ...); GPL-only
     * helpers need a GPL-compatible one.  NULL: not checked. */
    const char *license;
};

/* Verify `cnt` instruction slots.  0 when the program is accepted; -EINVAL / -EACCES when it
 * is rejected (the reason is in errbuf and the log), -E2BIG when it is too complex,
 * -EOPNOTSUPP when it uses something bpfvm's verifier cannot check yet (map-in-map lookups,
 * kfuncs, callx, variable stack offsets...: bpfvm_prog_load then runs it with run-time
 * checks), -ENOMEM.
 * The instructions must already have passed bpfvm_prog_load's encoding checks or may be
 * anything: the verifier repeats the structural checks it relies on. */
int bpfvm_verify(const struct bpfvm_insn *insns, size_t cnt, struct bpfvm_verify_opts *opts);

/* The built-in description of a program type's context; NULL when the type is unknown. */
const struct bpfvm_ctx_desc *bpfvm_verify_ctx_desc(uint32_t prog_type);

/* Parse a program type name ("xdp", "socket_filter", "sched_cls", "tc", "raw"); -1 when
 * unknown. */
int bpfvm_verify_type_from_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
