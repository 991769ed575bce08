/* progtype.h - program types as data: the context a program sees (UAPI layout and where
 * bpfvm keeps each field), what it may read and write, legal return values, and how a test
 * run builds the context from packet bytes.  The loader, the verifier and the runners read
 * the same entry. */
#ifndef BPFVM_PROGTYPE_INT_H
#define BPFVM_PROGTYPE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfvm/progtype.h"
#include "bpfvm/vm.h"

/* What a load of a context field yields (for the verifier). */
enum progtype_field_kind {
    PT_FIELD_SCALAR = 0,
    PT_FIELD_PKT,      /* pointer to packet data */
    PT_FIELD_PKT_END,  /* pointer to the end of packet data */
    PT_FIELD_PKT_META, /* pointer to packet metadata */
};

#define PT_READ 1
#define PT_WRITE 2

/* One field of the UAPI context struct.  Accesses of `size` bytes (or any narrower aligned
 * part, for scalars marked narrow) at [off, off+size) are allowed as `access` says; loads of
 * pointer fields are rewritten to 8-byte loads at native_off in bpfvm's context. */
struct progtype_field {
    const char *name;
    uint16_t off, size;
    uint8_t access;      /* PT_READ | PT_WRITE */
    uint8_t kind;        /* enum progtype_field_kind */
    bool narrow;         /* 1/2-byte loads of the field are allowed */
    uint16_t native_off; /* where bpfvm keeps it (pointers: an 8-byte slot) */
};

struct progtype_run; /* a prepared context for one test run */

struct progtype {
    enum bpfvm_prog_type type;
    const char *name;
    uint32_t ctx_size;                     /* UAPI context size */
    uint32_t native_size;                  /* bytes of bpfvm's context */
    const struct progtype_field *fields;
    size_t nfields;
    int64_t ret_min, ret_max;              /* legal return values (verifier) */
    bool direct_packet_access;
    bool ld_abs;                           /* LD_ABS/LD_IND allowed */
    bool l2;                               /* data starts at the Ethernet header */
    /* test runs: build the context from data_in/ctx_in, then finish (data_out/ctx_out) */
    int (*run_setup)(const struct progtype *pt, struct bpfvm_test_run_opts *o,
                     struct progtype_run *r);
    int (*run_finish)(const struct progtype *pt, struct bpfvm_test_run_opts *o,
                      struct progtype_run *r);
};

/* State of one test run: the packet buffer (with headroom) and bpfvm's context. */
#define PT_HEADROOM 256
struct progtype_run {
    uint8_t *buf;       /* headroom + packet + tailroom */
    size_t buf_size;
    uint8_t *data;      /* packet start as given in data_in */
    size_t len;         /* packet length */
    uint8_t *ctx;       /* bpfvm's context (native layout) */
    size_t ctx_size;
    struct bpfvm_exec_opts exec;
};

/* The entry for a type, or NULL when bpfvm has none. */
const struct progtype *progtype_get(enum bpfvm_prog_type type);

/* Linux's rule for one access of `size` bytes at `off` inside a field at [foff, foff+fsize):
 * the whole field, or (scalars marked narrow) an aligned narrower load.  A scalar field of
 * more than 8 bytes is a buffer (cb[]): any aligned access of up to 8 bytes inside it, loads
 * and, when writable, stores.  The verifier and the context rewrite both ask this. */
static inline bool progtype_access_allowed(uint32_t foff, uint32_t fsize, bool scalar, bool narrow,
                                           bool readable, bool writable, uint32_t off,
                                           uint32_t size, bool write)
{
    if (off < foff || off + size > foff + fsize || !(write ? writable : readable))
        return false;
    if (off == foff && size == fsize)
        return true;
    if (!scalar || !narrow || (off - foff) % size)
        return false;
    return fsize > 8 ? size <= 8 : !write && size < fsize;
}

/* The field containing [off, off+size), or NULL. */
const struct progtype_field *progtype_field_at(const struct progtype *pt, uint32_t off,
                                               uint32_t size);

/* Find the context accesses of a program without a verifier: a forward data-flow pass over
 * the control-flow graph tracks which registers surely hold the context pointer (r1 on
 * entry; copies; across bpf-to-bpf calls).  For each slot, *ctx_access[pc] is set when the
 * load/store at pc goes through the context.  0 or -errno. */
int progtype_find_ctx_accesses(const struct bpfvm_insn *insns, size_t cnt, bool *ctx_access);

/* Rewrite the context accesses marked in ctx_access to bpfvm's layout (pointer fields become
 * 8-byte loads of native slots).  Rejects accesses the type's table does not allow. */
int progtype_rewrite_ctx(const struct progtype *pt, struct bpfvm_insn *insns, size_t cnt,
                         const bool *ctx_access, char *err, size_t errlen);

/* Copy a test run's output packet to data_out as the kernel's bpf_test_finish does: up to
 * data_size_out bytes (0: no limit in the kernel; bpfvm then copies nothing, it cannot know
 * the buffer's size), data_size_out set to `len`.  0, or -ENOSPC (with a message) when
 * data_size_out is set and smaller than the packet; the caller then skips ctx_out. */
int progtype_data_out(struct bpfvm_test_run_opts *o, const uint8_t *data, uint32_t len);

/* Shared by the skb-based types. */
int progtype_skb_setup(const struct progtype *pt, struct bpfvm_test_run_opts *o,
                       struct progtype_run *r);
int progtype_skb_finish(const struct progtype *pt, struct bpfvm_test_run_opts *o,
                        struct progtype_run *r);

#endif
