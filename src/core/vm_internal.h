/* vm_internal.h - the environment and program objects shared by the loader and the engines. */
#ifndef BPFVM_VM_INTERNAL_H
#define BPFVM_VM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "bpfvm/vm.h"

#define VM_MAX_HELPER_ID 65536
#define VM_MAX_REGIONS 64

struct vm_helper {
    bpfvm_helper_fn fn;
    char name[48];
};

struct vm_region {
    uintptr_t base;
    size_t size;
    bool writable;
};

struct bpfvm_vm {
    struct vm_helper *helpers; /* indexed by id, helper_cap entries */
    uint32_t helper_cap;
    struct vm_region regions[VM_MAX_REGIONS];
    int nregions;
    bpfvm_log_fn log_fn;
    void *log_user;
};

struct interp_code;
struct jit_code;

struct bpfvm_prog {
    struct bpfvm_vm *vm;
    struct bpfvm_insn *insns;
    size_t cnt;
    unsigned flags;          /* BPFVM_LOAD_* */
    int type;                /* enum bpfvm_prog_type */
    bool verified;           /* accepted by the verifier */
    bool zero_stack;         /* verified, but reads stack it never wrote: zero it per run */
    uint64_t *lddw_value;       /* resolved 64-bit constant of each lddw (by pc) */
    struct bpfvm_map **maps;    /* maps referenced, each holding a reference */
    size_t map_cnt;
    struct interp_code *interp; /* the interpreter's pre-decoded form */
    struct jit_code *jit;       /* native code, or NULL (then jit_why says why) */
    char jit_why[160];
};

/* Look up a helper by id; NULL when not registered. */
static inline bpfvm_helper_fn vm_helper_fn(const struct bpfvm_vm *vm, uint64_t id)
{
    return id < vm->helper_cap ? vm->helpers[id].fn : NULL;
}

/* Format "fmt..." into buf (when non-NULL) and return -err (err > 0). */
int vm_errorf(char *buf, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
