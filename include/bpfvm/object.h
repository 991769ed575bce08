/* object.h - BPF ELF object files (clang -target bpf, gcc-bpf): open, inspect, load, run.
 * Shaped like libbpf's bpf_object API: an object holds programs (one per function in a
 * program section) and map definitions (legacy "maps", iproute2 struct bpf_elf_map,
 * BTF-defined ".maps", and global data .data/.rodata/.bss as one-element arrays).
 *
 * Every call returning int gives 0 or a negative errno; on failure the caller's errbuf (from
 * the open or load options) gets one line naming the file, the section and the offset. */
#ifndef BPFVM_OBJECT_H
#define BPFVM_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvm/insn.h"
#include "bpfvm/map.h"
#include "bpfvm/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfvm_object;     /* an opened ELF object */
struct bpfvm_program;    /* one program of an object */
struct bpfvm_object_map; /* one map definition of an object (the map itself after load) */

struct bpfvm_object_open_opts {
    size_t sz;               /* sizeof(struct bpfvm_object_open_opts), for growth */
    const char *object_name; /* default: the file name without directory and ".o" */
    char *errbuf;            /* optional one-line message on failure */
    size_t errbuf_len;
    bpfvm_log_fn log;        /* optional: warnings (ignored relocations, unknown sections) */
    void *log_user;
};

/* Open an object from a file or from memory (the bytes are copied).  Parses sections,
 * symbols, BTF, map definitions and links every program (subprograms appended, map
 * references rewritten as BPF_PSEUDO_MAP_IDX / _IDX_VALUE); nothing is created yet. */
int bpfvm_object_open_file(const char *path, const struct bpfvm_object_open_opts *opts,
                           struct bpfvm_object **out);
int bpfvm_object_open_mem(const void *buf, size_t len, const struct bpfvm_object_open_opts *opts,
                          struct bpfvm_object **out);
/* Free the programs, drop the object's map references and free the object.  NULL is fine. */
void bpfvm_object_close(struct bpfvm_object *obj);

const char *bpfvm_object_name(const struct bpfvm_object *obj);
/* Contents of the "license" section ("" when none). */
const char *bpfvm_object_license(const struct bpfvm_object *obj);
/* The "version" section (kernel version for old kprobe programs), 0 when none. */
uint32_t bpfvm_object_kversion(const struct bpfvm_object *obj);

struct bpfvm_object_load_opts {
    size_t sz;
    unsigned flags;          /* BPFVM_LOAD_* for every program: programs are verified (and then
                              * run without run-time checks) unless BPFVM_LOAD_NO_VERIFY */
    uint32_t nr_slots;       /* worker slots of per-CPU maps; 0 = online CPUs */
    uint64_t map_mem_limit;  /* refuse objects whose maps would need more memory than this
                              * (estimated from the definitions); 0 = 1 GiB */
    char *errbuf;
    size_t errbuf_len;
};

/* Create the maps (initial values written, .rodata frozen and BPFVM_F_RDONLY_PROG, inner maps
 * and program arrays filled from BTF `.values` and iproute2 "X/Y" tail-call sections), then
 * load every program whose autoload is on into `vm` (which must have the helpers they call,
 * e.g. bpfvm_vm_add_std_helpers, and outlive the object) with its program type when bpfvm
 * supports it (else as raw code, with a log message).  An object is loaded once; on failure nothing stays created. */
int bpfvm_object_load(struct bpfvm_object *obj, struct bpfvm_vm *vm,
                      const struct bpfvm_object_load_opts *opts);

/* ---- programs ---- */

/* Iterate: prev NULL gives the first; NULL after the last. */
struct bpfvm_program *bpfvm_object_next_program(const struct bpfvm_object *obj,
                                                const struct bpfvm_program *prev);
size_t bpfvm_object_program_cnt(const struct bpfvm_object *obj);
/* By function name; NULL when none. */
struct bpfvm_program *bpfvm_object_find_program_by_name(const struct bpfvm_object *obj,
                                                        const char *name);
/* First program in the section named `sec`; NULL when none. */
struct bpfvm_program *bpfvm_object_find_program_by_section(const struct bpfvm_object *obj,
                                                           const char *sec);
/* The CLI's `OBJ:name` rule: `name` (NULL or "" = the only program) matches a function name
 * or a section name.  -ENOENT when nothing matches, -EINVAL when several do (the message
 * lists the candidates) or when the object has several programs and no name was given. */
int bpfvm_object_select_program(const struct bpfvm_object *obj, const char *name,
                                struct bpfvm_program **out, char *errbuf, size_t errbuf_len);

const char *bpfvm_program_name(const struct bpfvm_program *p);
const char *bpfvm_program_section_name(const struct bpfvm_program *p);
/* The kernel's BPF_PROG_TYPE_* number (enum bpfvm_prog_type, <bpfvm/progtype.h>) the section
 * name implies (0 when unknown), its name ("xdp", "sched_cls", ...) and the expected attach
 * type (BPF_* attach number, 0 when none). */
uint32_t bpfvm_program_type(const struct bpfvm_program *p);
const char *bpfvm_program_type_name(const struct bpfvm_program *p);
uint32_t bpfvm_program_expected_attach_type(const struct bpfvm_program *p);
/* The linked instructions (own code, then appended subprograms). */
const struct bpfvm_insn *bpfvm_program_insns(const struct bpfvm_program *p);
size_t bpfvm_program_insn_cnt(const struct bpfvm_program *p);
/* Override the type the section implies (0 = raw: r1 = data, r2 = length), like libbpf's
 * bpf_program__set_type.  -EBUSY after load. */
int bpfvm_program_set_type(struct bpfvm_program *p, uint32_t type);
/* Load this program with bpfvm_object_load (default true). -EBUSY after load. */
int bpfvm_program_set_autoload(struct bpfvm_program *p, bool autoload);
bool bpfvm_program_autoload(const struct bpfvm_program *p);
/* The loaded program (NULL before load or when autoload was off). */
struct bpfvm_prog *bpfvm_program_prog(const struct bpfvm_program *p);

/* BPF_PROG_TEST_RUN contract for a loaded program (see bpfvm_prog_test_run in vm.h).
 * Programs whose type bpfvm supports (socket filter, tc cls/act, cgroup_skb, xdp) get the
 * kernel's context built around a private copy of data_in (ctx_in may set the fields the
 * kernel lets a test run set; the context comes back in ctx_out).  Programs of other types
 * are loaded as raw code: r1 = the data copy, r2 = its length (bpfvm_object_load logs this).
 * data_out / ctx_out receive up to data_size_out / ctx_size_out bytes, which are then set to
 * the full lengths.  duration is the mean ns per run.  The options are vm.h's
 * struct bpfvm_test_run_opts. */
int bpfvm_program_test_run(const struct bpfvm_program *p, struct bpfvm_test_run_opts *opts);

/* ---- maps ---- */

struct bpfvm_object_map *bpfvm_object_next_map(const struct bpfvm_object *obj,
                                               const struct bpfvm_object_map *prev);
size_t bpfvm_object_map_cnt(const struct bpfvm_object *obj);
struct bpfvm_object_map *bpfvm_object_find_map_by_name(const struct bpfvm_object *obj,
                                                       const char *name);

/* The definition.  Global data maps are named "<object>.<section>" cut to 15 characters
 * (like libbpf's internal maps); others by their symbol. */
const char *bpfvm_object_map_name(const struct bpfvm_object_map *m);
enum bpfvm_map_type bpfvm_object_map_type(const struct bpfvm_object_map *m);
uint32_t bpfvm_object_map_key_size(const struct bpfvm_object_map *m);
uint32_t bpfvm_object_map_value_size(const struct bpfvm_object_map *m);
uint32_t bpfvm_object_map_max_entries(const struct bpfvm_object_map *m);
uint32_t bpfvm_object_map_flags(const struct bpfvm_object_map *m);
/* Pinning as defined (0 none, 1 by name / iproute2 object namespace, 2 iproute2 global). */
uint32_t bpfvm_object_map_pinning(const struct bpfvm_object_map *m);
/* "maps", ".maps", ".data", ".rodata", ".bss", ... */
const char *bpfvm_object_map_section(const struct bpfvm_object_map *m);
/* How it was defined: "legacy", "iproute2", "btf" or "data". */
const char *bpfvm_object_map_def_kind(const struct bpfvm_object_map *m);
/* Global data: the initial value (value_size bytes) and, before load, a way to change it
 * (like a skeleton setting .rodata).  NULL / -EINVAL for other maps, -EBUSY after load. */
const void *bpfvm_object_map_initial_value(const struct bpfvm_object_map *m, size_t *size);
int bpfvm_object_map_set_initial_value(struct bpfvm_object_map *m, const void *data, size_t size);
/* The created map after load (use the map.h calls on it: lookup, update, delete,
 * get_next_key, batch); NULL before. */
struct bpfvm_map *bpfvm_object_map_map(const struct bpfvm_object_map *m);

/* For global data maps with BTF: the i-th variable of the section (name, offset, size);
 * false past the last or without BTF. */
bool bpfvm_object_map_var(const struct bpfvm_object_map *m, uint32_t i, const char **name,
                          uint32_t *offset, uint32_t *size);

#ifdef __cplusplus
}
#endif
#endif
