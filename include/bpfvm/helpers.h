/* helpers.h - the standard BPF helper functions (the kernel's BPF_FUNC_* ids): maps, tail
 * calls, time, trace_printk / snprintf, ring buffers, perf events, the current task,
 * bpf_loop, strtol, spin locks.  Register them in a vm before loading programs that call
 * them (the JIT binds helper addresses at load time). */
#ifndef BPFVM_HELPERS_H
#define BPFVM_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include "bpfvm/vm.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bpfvm_map;

/* Register every standard helper in `vm` under its kernel id and name ("bpf_ktime_get_ns").
 * 0 or a negative errno. */
int bpfvm_vm_add_std_helpers(struct bpfvm_vm *vm);

/* Where bpf_trace_printk lines go.  Each call delivers one line exactly as the kernel's
 * trace_pipe shows it, newline included:
 *   "<comm>-<tid> [<slot>] ..... <sec>.<usec>: bpf_trace_printk: <message>\n"
 * (comm right-aligned in 16 columns, tid left-aligned in 7, slot as %03u).  Without a sink
 * the line goes to the vm's log callback (level 1, without the newline); without either it
 * is dropped.  fn NULL removes the sink.  0, -EINVAL or -ENOSPC (at most 64 vms with sinks). */
typedef void (*bpfvm_trace_fn)(const char *line, size_t len, void *user);
int bpfvm_vm_set_trace_sink(struct bpfvm_vm *vm, bpfvm_trace_fn fn, void *user);

/* Make a BPFVM_MAP_TYPE_PROG_ARRAY hold programs for bpf_tail_call: installs how the map
 * references them and names them (host lookups then return a program id).  Call once, right
 * after creating the map and before storing programs with bpfvm_map_update_ptr.
 * 0 or -EINVAL (not a PROG_ARRAY). */
int bpfvm_prog_array_init(struct bpfvm_map *map);

/* The kernel name of helper `id` ("bpf_map_lookup_elem") when bpfvm implements it, else NULL. */
const char *bpfvm_std_helper_name(uint32_t id);

#ifdef __cplusplus
}
#endif
#endif
