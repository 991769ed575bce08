/* object_int.h - the BPF object loader's internal model: ELF sections and symbols as read by
 * elf.c, BTF as parsed by btf.c, map definitions (maps_def.c), programs and their linking
 * (reloc.c), section-name conventions (sections.c).  object.c and run.c hold the public API. */
#ifndef BPFVM_OBJECT_INT_H
#define BPFVM_OBJECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfvm/object.h"

/* ELF relocation types of the BPF backend (R_BPF_*). */
#define OBJ_R_BPF_NONE 0
#define OBJ_R_BPF_64_64 1      /* lddw imm pair */
#define OBJ_R_BPF_64_ABS64 2   /* 64-bit data word */
#define OBJ_R_BPF_64_ABS32 3   /* 32-bit data word */
#define OBJ_R_BPF_64_NODYLD32 4 /* .BTF.ext */
#define OBJ_R_BPF_64_32 10     /* call imm (in instruction units) */

/* Limits against hostile input (generous for real objects). */
#define OBJ_MAX_SECTIONS 65536u
#define OBJ_MAX_SYMBOLS (1u << 20)
#define OBJ_MAX_MAPS 4096u
#define OBJ_MAX_PROGS 4096u
#define OBJ_MAX_BTF_TYPES (1u << 20)

enum obj_sec_kind {
    OBJ_SEC_OTHER = 0,
    OBJ_SEC_CODE,        /* SHF_EXECINSTR: programs (or .text subprograms) */
    OBJ_SEC_DATA,        /* .data, .data.*: writable global data */
    OBJ_SEC_RODATA,      /* .rodata, .rodata.*: read-only global data (frozen) */
    OBJ_SEC_BSS,         /* .bss (NOBITS): zeroed global data */
    OBJ_SEC_MAPS,        /* "maps": struct bpf_map_def / struct bpf_elf_map */
    OBJ_SEC_BTF_MAPS,    /* ".maps": BTF-defined maps */
    OBJ_SEC_LICENSE,
    OBJ_SEC_VERSION,
    OBJ_SEC_BTF,
    OBJ_SEC_RELOC,       /* SHT_REL / SHT_RELA */
    OBJ_SEC_SYMTAB,
};

struct obj_reloc {
    uint64_t offset;  /* in the target section */
    uint32_t sym;     /* symbol index */
    uint32_t type;    /* R_BPF_* */
    int64_t addend;   /* RELA only */
    bool rela;
};

struct obj_sec {
    const char *name;     /* points into the owned shstrtab copy */
    uint32_t index;
    uint32_t type;        /* SHT_* */
    uint64_t flags;       /* SHF_* */
    const uint8_t *data;  /* NULL for NOBITS; points into the object's image */
    uint64_t size;
    uint64_t file_off;    /* for messages */
    uint32_t link, info;
    enum obj_sec_kind kind;
    int map_idx;          /* data sections: their map, else -1 */
    struct obj_reloc *relocs; /* relocations that apply to this section, sorted by offset */
    size_t nrelocs;
};

struct obj_sym {
    const char *name;     /* "" when unnamed */
    uint64_t value, size;
    uint32_t shndx;       /* section index (SHN_* specials kept) */
    uint8_t type, bind;
};

/* BTF: the raw type table, indexed by id (0 = void). */
struct obj_btf {
    const uint8_t *strs;
    uint32_t str_len;
    const uint8_t **types; /* pointer to each type's struct btf_type */
    uint32_t ntypes;       /* ids 1..ntypes-1 valid */
};

#define OBJ_BTF_KIND_INT 1
#define OBJ_BTF_KIND_PTR 2
#define OBJ_BTF_KIND_ARRAY 3
#define OBJ_BTF_KIND_STRUCT 4
#define OBJ_BTF_KIND_UNION 5
#define OBJ_BTF_KIND_ENUM 6
#define OBJ_BTF_KIND_FWD 7
#define OBJ_BTF_KIND_TYPEDEF 8
#define OBJ_BTF_KIND_VOLATILE 9
#define OBJ_BTF_KIND_CONST 10
#define OBJ_BTF_KIND_RESTRICT 11
#define OBJ_BTF_KIND_FUNC 12
#define OBJ_BTF_KIND_FUNC_PROTO 13
#define OBJ_BTF_KIND_VAR 14
#define OBJ_BTF_KIND_DATASEC 15
#define OBJ_BTF_KIND_FLOAT 16
#define OBJ_BTF_KIND_DECL_TAG 17
#define OBJ_BTF_KIND_TYPE_TAG 18
#define OBJ_BTF_KIND_ENUM64 19

/* A decoded BTF type: header fields plus the pointer to the kind-specific tail. */
struct obj_btf_type {
    uint32_t name_off;
    uint32_t kind, vlen;
    bool kflag;
    uint32_t size_or_type;
    const uint8_t *extra;
};

/* One member of a STRUCT/UNION, a DATASEC entry, or ARRAY info. */
struct obj_btf_member { uint32_t name_off, type, offset; };

enum obj_map_def_kind {
    OBJ_MAP_LEGACY = 0,  /* struct bpf_map_def in "maps" */
    OBJ_MAP_IPROUTE2,    /* struct bpf_elf_map in "maps" */
    OBJ_MAP_BTF,         /* ".maps" */
    OBJ_MAP_DATA,        /* global data section */
};

/* A map's definition, also used for the inline inner-map template of BTF map-in-map. */
struct obj_map_def {
    uint32_t type, key_size, value_size, max_entries, map_flags, numa_node;
    uint32_t pinning;
    uint32_t map_extra;               /* BTF `__uint(map_extra, N)` (BLOOM_FILTER: hashes) */
    uint32_t id, inner_id, inner_idx; /* iproute2 */
    bool has_inner_idx;
    bool has_spin_lock;               /* BTF: the value holds a struct bpf_spin_lock */
    uint32_t spin_lock_off;           /*      at this byte offset */
};

/* An initial slot of a PROG_ARRAY or map-in-map (BTF `.values = { [i] = &x }`). */
struct obj_init_slot {
    uint32_t key;
    uint32_t sym;      /* symbol index: a map or a program function */
};

struct bpfvm_object_map {
    struct bpfvm_object *obj;
    char *name;
    enum obj_map_def_kind kind;
    struct obj_map_def def;
    struct obj_map_def *inner;   /* BTF map-in-map template, or NULL */
    uint32_t sec_idx;
    uint64_t sec_off;            /* definition offset in its section (symbol value) */
    uint8_t *init;               /* global data initial value (value_size bytes) or NULL */
    struct obj_init_slot *slots;
    size_t nslots;
    struct bpfvm_map *map;       /* after load */
};

struct bpfvm_program {
    struct bpfvm_object *obj;
    char *name;                  /* function symbol (or section name) */
    const char *sec_name;
    uint32_t sec_idx;
    size_t sec_insn_off, sec_insn_cnt;
    uint32_t type, attach_type;  /* kernel BPF_PROG_TYPE_* / BPF_* attach numbers */
    const char *type_name;
    bool autoload;
    int tail_map_id;             /* iproute2 "X/Y" section: X, or -1 */
    uint32_t tail_key;           /* Y */
    struct bpfvm_insn *insns;    /* linked: own code then the subprograms it calls */
    size_t cnt;
    struct bpfvm_prog *prog;     /* after load */
};

struct bpfvm_object {
    char *name;
    char *path;                  /* for messages: the file, or the object name */
    uint8_t *image;              /* owned copy of the file */
    size_t image_len;
    char *shstr;                 /* owned copy of the section name table */
    struct obj_sec *secs;
    size_t nsecs;
    struct obj_sym *syms;
    size_t nsyms;
    struct obj_btf btf;
    bool has_btf;
    char license[128];
    uint32_t kversion;
    struct bpfvm_program *progs;
    size_t nprogs;
    struct bpfvm_object_map *maps;
    size_t nmaps;
    bool loaded;
    struct bpfvm_vm *vm;
    bpfvm_log_fn log_fn;
    void *log_user;
    char *errbuf;                /* current caller's message buffer */
    size_t errbuf_len;
};

/* Messages: "<path>: <text>" into obj->errbuf; returns -err. */
int obj_err(struct bpfvm_object *obj, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void obj_log(struct bpfvm_object *obj, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "section N (name)" for messages. */
const char *obj_sec_desc(const struct obj_sec *s, char *buf, size_t len);

/* elf.c: read sections, symbols and relocations from obj->image. */
int obj_elf_read(struct bpfvm_object *obj);
/* The relocation at `offset` in section `s`, or NULL. */
const struct obj_reloc *obj_reloc_at(const struct obj_sec *s, uint64_t offset);

/* btf.c */
int obj_btf_parse(struct bpfvm_object *obj, const struct obj_sec *s);
void obj_btf_free(struct obj_btf *btf);
bool obj_btf_type(const struct obj_btf *btf, uint32_t id, struct obj_btf_type *out);
const char *obj_btf_str(const struct obj_btf *btf, uint32_t off);
/* Follow typedef/const/volatile/restrict/type_tag; 0 when the chain is broken or too long. */
uint32_t obj_btf_skip_mods(const struct obj_btf *btf, uint32_t id);
/* Size in bytes of a type; false when it has none (void, func) or is malformed. */
bool obj_btf_size(const struct obj_btf *btf, uint32_t id, uint64_t *size);
/* i-th member of a STRUCT/UNION (offset in bits), or of a DATASEC (its VAR, offset, size). */
void obj_btf_member(const struct obj_btf_type *t, uint32_t i, struct obj_btf_member *m);
void obj_btf_datasec_var(const struct obj_btf_type *t, uint32_t i, uint32_t *var_type,
                         uint32_t *offset, uint32_t *size);
/* ARRAY info: element type and count. */
void obj_btf_array(const struct obj_btf_type *t, uint32_t *elem_type, uint32_t *nelems);
/* The DATASEC named `name`, or 0. */
uint32_t obj_btf_find_datasec(const struct obj_btf *btf, const char *name);

/* maps_def.c */
int obj_maps_collect(struct bpfvm_object *obj);
/* The map whose definition is at (section, offset), or -1. */
int obj_map_at(const struct bpfvm_object *obj, uint32_t sec_idx, uint64_t off);

/* sections.c: the program type a section name stands for. */
struct obj_sec_type {
    uint32_t prog_type, attach_type;
    const char *type_name;
    bool known;
};
void obj_section_type(const char *sec_name, struct obj_sec_type *out);
/* iproute2 tail-call section "X/Y": true and X, Y. */
bool obj_section_tail_call(const char *sec_name, uint32_t *map_id, uint32_t *key);
const char *obj_prog_type_name(uint32_t prog_type);

/* reloc.c: build p->insns (own code + called subprograms, map references rewritten). */
int obj_link_program(struct bpfvm_object *obj, struct bpfvm_program *p);

#endif
