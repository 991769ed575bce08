/* vm.c - the environment: helper table, host memory regions, log callback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm_internal.h"

int vm_errorf(char *buf, size_t len, int err, const char *fmt, ...)
{
    if (buf && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, len, fmt, ap);
        va_end(ap);
    }
    return -err;
}

struct bpfvm_vm *bpfvm_vm_new(void)
{
    return calloc(1, sizeof(struct bpfvm_vm));
}

void bpfvm_vm_free(struct bpfvm_vm *vm)
{
    if (!vm)
        return;
    free(vm->helpers);
    free(vm);
}

int bpfvm_vm_set_helper(struct bpfvm_vm *vm, uint32_t id, const char *name, bpfvm_helper_fn fn)
{
    if (!vm || id >= VM_MAX_HELPER_ID)
        return -EINVAL;
    if (id >= vm->helper_cap) {
        uint32_t cap = vm->helper_cap ? vm->helper_cap : 256;
        while (cap <= id)
            cap *= 2;
        struct vm_helper *h = realloc(vm->helpers, cap * sizeof(*h));
        if (!h)
            return -ENOMEM;
        memset(h + vm->helper_cap, 0, (cap - vm->helper_cap) * sizeof(*h));
        vm->helpers = h;
        vm->helper_cap = cap;
    }
    vm->helpers[id].fn = fn;
    snprintf(vm->helpers[id].name, sizeof(vm->helpers[id].name), "%s", name ? name : "");
    return 0;
}

const char *bpfvm_vm_helper_name(const struct bpfvm_vm *vm, uint32_t id)
{
    if (!vm || id >= vm->helper_cap || !vm->helpers[id].fn)
        return NULL;
    return vm->helpers[id].name;
}

int bpfvm_vm_add_region(struct bpfvm_vm *vm, void *base, size_t size, bool writable)
{
    if (!vm || !base || !size || (uintptr_t)base + size < (uintptr_t)base)
        return -EINVAL;
    if (vm->nregions >= VM_MAX_REGIONS)
        return -ENOSPC;
    vm->regions[vm->nregions++] = (struct vm_region){(uintptr_t)base, size, writable};
    return 0;
}

void bpfvm_vm_set_log(struct bpfvm_vm *vm, bpfvm_log_fn fn, void *user)
{
    if (!vm)
        return;
    vm->log_fn = fn;
    vm->log_user = user;
}

/* The bpf_conformance runner's convention: helper 5 returns its first argument. */
static uint64_t conformance_helper_5(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                     uint64_t r5, struct bpfvm_exec *ex)
{
    return r1;
}

int bpfvm_vm_add_conformance_helpers(struct bpfvm_vm *vm)
{
    return bpfvm_vm_set_helper(vm, 5, "conformance_return_arg1", conformance_helper_5);
}
