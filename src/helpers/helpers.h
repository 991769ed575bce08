/* helpers/helpers.h - the standard BPF helper functions as data: each Linux helper id has a
 * name, an implementation and a prototype shaped like the kernel's struct bpf_func_proto
 * (argument and return types for the verifier, the map types a map argument accepts, flags
 * such as gpl_only), plus the run-time tools the implementations share: checked-mode
 * argument checks, per-run bookkeeping of ring buffer records / inner maps / spin locks, and
 * the hook through which helpers call back into the program (bpf_loop, for_each_map_elem). */
#ifndef BPFVM_HELPERS_HELPERS_H
#define BPFVM_HELPERS_HELPERS_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvm/helpers.h"
#include "bpfvm/progtype.h"
#include "bpfvm/vm.h"
#include "core/exec.h"
#include "maps/map.h"

/* ---------------------------------------------------------------- prototypes */

/* Argument types (the kernel's enum bpf_arg_type, base part). */
enum helper_arg {
    HELPER_ARG_DONTCARE = 0,       /* not an argument */
    HELPER_ARG_ANYTHING,           /* any initialised value */
    HELPER_ARG_CONST_MAP_PTR,      /* a map (r1 of map helpers) */
    HELPER_ARG_PTR_TO_MAP_KEY,     /* key_size readable bytes */
    HELPER_ARG_PTR_TO_MAP_VALUE,   /* value_size bytes */
    HELPER_ARG_PTR_TO_MEM,         /* memory of the size in the next argument */
    HELPER_ARG_CONST_SIZE,         /* > 0, known at verification */
    HELPER_ARG_CONST_SIZE_OR_ZERO,
    HELPER_ARG_CONST_ALLOC_SIZE_OR_ZERO, /* bpf_ringbuf_reserve size */
    HELPER_ARG_PTR_TO_CTX,
    HELPER_ARG_PTR_TO_FUNC,        /* a callback: lddw BPF_PSEUDO_FUNC */
    HELPER_ARG_PTR_TO_STACK,       /* callback context */
    HELPER_ARG_PTR_TO_CONST_STR,   /* NUL-terminated string in a read-only map value */
    HELPER_ARG_PTR_TO_RINGBUF_MEM, /* a record from bpf_ringbuf_reserve */
    HELPER_ARG_PTR_TO_SPIN_LOCK,   /* the struct bpf_spin_lock inside a map value */
    HELPER_ARG_PTR_TO_FIXED_SIZE_MEM, /* arg_size[] bytes */
};
/* Modifiers or-ed into an argument type (the kernel's type flags). */
#define HELPER_ARG_MAYBE_NULL 0x0100u /* NULL accepted (PTR_MAYBE_NULL) */
#define HELPER_ARG_RDONLY 0x0200u     /* the helper only reads (MEM_RDONLY) */
#define HELPER_ARG_UNINIT 0x0400u     /* the helper writes, need not be initialised (MEM_UNINIT) */
#define HELPER_ARG_RELEASE 0x0800u    /* releases a reference (OBJ_RELEASE) */
#define HELPER_ARG_ALIGNED 0x1000u    /* naturally aligned (MEM_ALIGNED) */
#define HELPER_ARG_BASE(t) ((t) & 0xffu)

/* Return types (the kernel's enum bpf_return_type). */
enum helper_ret {
    HELPER_RET_INTEGER = 0,
    HELPER_RET_VOID,                    /* r0 is not readable afterwards */
    HELPER_RET_PTR_TO_MAP_VALUE_OR_NULL, /* map_lookup_elem (map-in-map: the inner map) */
    HELPER_RET_PTR_TO_RINGBUF_MEM_OR_NULL, /* ringbuf_reserve: size = the size argument */
};

/* Callback shapes (what the verifier checks in the callback function). */
enum helper_callback {
    HELPER_CB_NONE = 0,
    HELPER_CB_LOOP,          /* long cb(u64 index, void *ctx): 0 continue, 1 stop */
    HELPER_CB_FOR_EACH_ELEM, /* long cb(map, key, value, ctx): 0 continue, 1 stop */
};

/* Prototype flags. */
#define HELPER_F_GPL_ONLY (1u << 0)    /* only for GPL-compatible programs */
#define HELPER_F_PKT_ACCESS (1u << 1)  /* pointer arguments may point into the packet */
#define HELPER_F_CHANGES_PKT (1u << 2) /* may change packet data (invalidates packet pointers) */
#define HELPER_F_ACQUIRE (1u << 3)     /* the result is a reference that must be released */
/* Privilege the kernel asks of the loader (measured on 6.18 by loading a call to each helper
 * with capabilities dropped): none, CAP_BPF, or CAP_BPF + CAP_PERFMON. */
#define HELPER_F_CAP_BPF (1u << 4)
#define HELPER_F_CAP_PERFMON (1u << 5)

#define HELPER_MAPT(t) (1ull << (t))

struct helper_proto {
    uint32_t id;              /* BPF_FUNC_* */
    const char *name;         /* "bpf_map_lookup_elem" */
    bpfvm_helper_fn fn;
    uint8_t ret;              /* enum helper_ret */
    uint8_t callback;         /* enum helper_callback */
    uint16_t arg[5];          /* enum helper_arg | HELPER_ARG_* modifiers */
    uint32_t arg_size[5];     /* for HELPER_ARG_PTR_TO_FIXED_SIZE_MEM */
    uint64_t map_types;       /* map types the CONST_MAP_PTR argument accepts (HELPER_MAPT) */
    uint64_t prog_types;      /* program types that may call it (HELPER_PROGT); 0: every type */
    uint32_t flags;           /* HELPER_F_* */
};

#define HELPER_PROGT(t) (1ull << (t))
/* Whether a program of `type` may call the helper (kernel numbering; UNSPEC, bpfvm's raw
 * programs, may call every helper). */
static inline bool helper_allowed_in(const struct helper_proto *p, uint32_t type)
{
    return !p->prog_types || !type || (type < 64 && ((p->prog_types >> type) & 1));
}

/* The prototype of helper `id`, NULL when bpfvm does not implement it. */
const struct helper_proto *helper_proto_get(uint32_t id);
/* Every prototype, ordered by id; *cnt receives the number. */
const struct helper_proto *helper_proto_all(size_t *cnt);

/* Map types a helper accepts (the kernel's check_map_func_compatibility). */
#define HELPERS_MAPS_KV                                                                        \
    (HELPER_MAPT(BPFVM_MAP_TYPE_HASH) | HELPER_MAPT(BPFVM_MAP_TYPE_ARRAY) |                    \
     HELPER_MAPT(BPFVM_MAP_TYPE_PERCPU_HASH) | HELPER_MAPT(BPFVM_MAP_TYPE_PERCPU_ARRAY) |      \
     HELPER_MAPT(BPFVM_MAP_TYPE_LRU_HASH) | HELPER_MAPT(BPFVM_MAP_TYPE_LRU_PERCPU_HASH) |      \
     HELPER_MAPT(BPFVM_MAP_TYPE_LPM_TRIE))
#define HELPERS_MAPS_LOOKUP                                                                    \
    (HELPERS_MAPS_KV | HELPER_MAPT(BPFVM_MAP_TYPE_ARRAY_OF_MAPS) |                             \
     HELPER_MAPT(BPFVM_MAP_TYPE_HASH_OF_MAPS) | HELPER_MAPT(BPFVM_MAP_TYPE_DEVMAP) |          \
     HELPER_MAPT(BPFVM_MAP_TYPE_DEVMAP_HASH) | HELPER_MAPT(BPFVM_MAP_TYPE_XSKMAP))
/* bpf_redirect_map targets (CPUMAP takes no other helper) */
#define HELPERS_MAPS_REDIRECT                                                                  \
    (HELPER_MAPT(BPFVM_MAP_TYPE_DEVMAP) | HELPER_MAPT(BPFVM_MAP_TYPE_DEVMAP_HASH) |            \
     HELPER_MAPT(BPFVM_MAP_TYPE_CPUMAP) | HELPER_MAPT(BPFVM_MAP_TYPE_XSKMAP))
#define HELPERS_MAPS_FOR_EACH (HELPERS_MAPS_KV & ~HELPER_MAPT(BPFVM_MAP_TYPE_LPM_TRIE))
#define HELPERS_MAPS_QS (HELPER_MAPT(BPFVM_MAP_TYPE_QUEUE) | HELPER_MAPT(BPFVM_MAP_TYPE_STACK))
/* push and peek also take BLOOM_FILTER (its only helpers; pop does not) */
#define HELPERS_MAPS_PUSH_PEEK (HELPERS_MAPS_QS | HELPER_MAPT(BPFVM_MAP_TYPE_BLOOM_FILTER))

/* ---------------------------------------------------------------- implementations */

#define HELPER_DECL(name)                                                                      \
    uint64_t name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,             \
                  struct bpfvm_exec *ex)

/* maps.c */
HELPER_DECL(helper_map_lookup_elem);
HELPER_DECL(helper_csum_diff);
HELPER_DECL(helper_map_update_elem);
HELPER_DECL(helper_map_delete_elem);
HELPER_DECL(helper_map_push_elem);
HELPER_DECL(helper_map_pop_elem);
HELPER_DECL(helper_map_peek_elem);
HELPER_DECL(helper_map_lookup_percpu_elem);
HELPER_DECL(helper_for_each_map_elem);
/* tail_call.c */
HELPER_DECL(helper_tail_call);
/* time.c */
HELPER_DECL(helper_ktime_get_ns);
HELPER_DECL(helper_ktime_get_boot_ns);
HELPER_DECL(helper_ktime_get_coarse_ns);
HELPER_DECL(helper_ktime_get_tai_ns);
HELPER_DECL(helper_jiffies64);
HELPER_DECL(helper_get_prandom_u32);
HELPER_DECL(helper_get_smp_processor_id);
HELPER_DECL(helper_get_numa_node_id);
/* trace.c */
HELPER_DECL(helper_trace_printk);
HELPER_DECL(helper_snprintf);
/* ringbuf.c */
HELPER_DECL(helper_ringbuf_output);
HELPER_DECL(helper_ringbuf_reserve);
HELPER_DECL(helper_ringbuf_submit);
HELPER_DECL(helper_ringbuf_discard);
HELPER_DECL(helper_ringbuf_query);
/* perf.c */
HELPER_DECL(helper_perf_event_output);
/* task.c */
HELPER_DECL(helper_get_current_pid_tgid);
HELPER_DECL(helper_get_current_uid_gid);
HELPER_DECL(helper_get_current_comm);
/* loop.c */
HELPER_DECL(helper_loop);
/* strtol.c */
HELPER_DECL(helper_strtol);
HELPER_DECL(helper_strtoul);
HELPER_DECL(helper_strncmp);
/* spin_lock.c */
HELPER_DECL(helper_spin_lock);
HELPER_DECL(helper_spin_unlock);
/* packet_xdp.c */
HELPER_DECL(helper_xdp_adjust_head);
HELPER_DECL(helper_xdp_adjust_meta);
HELPER_DECL(helper_xdp_adjust_tail);
HELPER_DECL(helper_xdp_load_bytes);
HELPER_DECL(helper_xdp_store_bytes);
HELPER_DECL(helper_redirect);
/* redirect_map.c */
HELPER_DECL(helper_redirect_map);
/* packet_skb.c; helper_skb_pkt: the packet of the typed test run whose __sk_buff context is
 * ctx, or NULL (any other pointer); helper_skb_len: its length */
struct progtype_pkt;
struct progtype_pkt *helper_skb_pkt(struct bpfvm_exec *ex, uint64_t ctx);
uint32_t helper_skb_len(const struct progtype_pkt *p);
HELPER_DECL(helper_skb_load_bytes);
HELPER_DECL(helper_skb_load_bytes_relative);
HELPER_DECL(helper_skb_store_bytes);
HELPER_DECL(helper_l3_csum_replace);
HELPER_DECL(helper_l4_csum_replace);
HELPER_DECL(helper_skb_pull_data);
/* packet_skb_resize.c */
HELPER_DECL(helper_skb_change_tail);
HELPER_DECL(helper_skb_change_head);
HELPER_DECL(helper_skb_adjust_room);

/* ---------------------------------------------------------------- checked-mode checks */

/* [addr, addr+size) is memory the run may read / write (always true for verified runs and
 * for size 0). */
static inline bool helpers_mem_ok(const struct bpfvm_exec *ex, uint64_t addr, uint64_t size,
                                  bool write)
{
    return !ex->checked || !size || exec_mem_ok(ex, addr, size, write);
}

/* Let a checked run use [p, p+size) (a map value, a ring buffer record). */
static inline void helpers_grant(struct bpfvm_exec *ex, const void *p, uint64_t size, bool w)
{
    if (ex->checked)
        bpfvm_exec_grant(ex, p, size, w);
}

/* Whether `map` is a map this run may use: one of the program's maps, or an inner map a
 * lookup in one of them returned during the run.  Only consulted in checked mode. */
bool helpers_map_known(struct bpfvm_exec *ex, const struct bpfvm_map *map);

/* The common map-argument test: non-NULL, of a type in `types`, and (checked) known. */
static inline bool helpers_map_arg(struct bpfvm_exec *ex, const struct bpfvm_map *map,
                                   uint64_t types)
{
    if (!map)
        return false;
    if (ex->checked && !helpers_map_known(ex, map))
        return false;
    return (types >> (map->type & 63)) & 1;
}

/* The per-CPU copy of this run. */
static inline unsigned helpers_slot(const struct bpfvm_exec *ex, const struct bpfvm_map *map)
{
    return map->ops->percpu ? ex->opts->slot % map->nr_slots : 0;
}

/* Per-run records kept by checked runs (thread-local, tagged with the run). */
void helpers_note_inner_map(struct bpfvm_exec *ex, struct bpfvm_map *inner,
                            struct bpfvm_map *outer);
int helpers_resv_add(struct bpfvm_exec *ex, void *rec, struct bpfvm_map *map);
bool helpers_resv_take(struct bpfvm_exec *ex, void *rec);
void helpers_note_lock_value(struct bpfvm_exec *ex, void *value, struct bpfvm_map *map);
bool helpers_lock_known(struct bpfvm_exec *ex, void *lock);
/* The spin lock a checked run holds (kernel rule: at most one), or NULL. */
void *helpers_held_lock(struct bpfvm_exec *ex);
void helpers_set_held_lock(struct bpfvm_exec *ex, void *lock);
/* Withdraw the grants that start at p (a submitted ring buffer record). */
void helpers_revoke(struct bpfvm_exec *ex, const void *p);

/* For the engines, at the end of every run (not yet called: see the report): release a spin
 * lock a checked program left held, discard its unsubmitted ring buffer records and forget
 * the run's records.  Safe to call for any run. */
void helpers_exec_end(struct bpfvm_exec *ex);

/* Read memory the program pointed a helper at without trusting it (trace_printk %s, %pI4):
 * checked runs test every byte against the run's memory; verified runs read through the
 * kernel (process_vm_readv), so a bad pointer gives an error, never a crash.  Returns the
 * bytes copied (a short count means the rest was unreadable). */
size_t helpers_read_nofault(const struct bpfvm_exec *ex, uint64_t addr, void *dst, size_t n);

/* ---------------------------------------------------------------- callbacks into the program */

/* Call the BPF function at func_ptr (the address of its first instruction in the program's
 * instruction copy, as lddw BPF_PSEUDO_FUNC makes it) with r1-r5 on the current run's next
 * frame; *r0 receives its return value.  0 or a negative errno (-E2BIG too deep, -EINVAL not
 * a function of the program, -EFAULT a fault in the callback: the run must stop).
 * Implemented by the engines (src/core/callback.c). */
int exec_call_function(struct bpfvm_exec *ex, uint64_t func_ptr, uint64_t r1, uint64_t r2,
                       uint64_t r3, uint64_t r4, uint64_t r5, uint64_t *r0);

/* Call a callback for bpf_loop / for_each_map_elem. */
int helpers_call_function(struct bpfvm_exec *ex, uint64_t func_ptr, uint64_t r1, uint64_t r2,
                          uint64_t r3, uint64_t r4, uint64_t r5, uint64_t *r0);

/* ---------------------------------------------------------------- formatting (printf.c) */

#define HELPERS_BPRINTF_MAX_ARGS 12   /* the kernel's MAX_BPRINTF_VARARGS */
#define HELPERS_BPRINTF_BIN_ARGS 512  /* the kernel's MAX_BPRINTF_BIN_ARGS */
#define HELPERS_TRACE_PRINTK_BUF 1024 /* the kernel's MAX_BPRINTF_BUF */

/* Format like the kernel's bpf_bprintf_prepare + bstr_printf: `fmt` is NUL-terminated,
 * `args` holds nargs u64 values.  Writes at most out_cap bytes (NUL-terminated when
 * out_cap > 0) and returns the length of the whole formatted text (without the NUL), or
 * -EINVAL for a format the kernel refuses, -ENOSPC when the string/IP arguments overflow the
 * kernel's 512-byte argument buffer. */
int helpers_bprintf(const struct bpfvm_exec *ex, const char *fmt, const uint64_t *args,
                    int nargs, char *out, size_t out_cap);

#endif
