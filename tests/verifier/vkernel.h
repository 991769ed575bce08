/* vkernel.h - kernel oracle for verifier tests (raw bpf(): map create, program load). */
#ifndef VKERNEL_H
#define VKERNEL_H
#include <stddef.h>
#include <stdint.h>
#include "bpfvm/insn.h"

/* A kernel map fd or -errno. */
int vkernel_map_create(uint32_t type, uint32_t key, uint32_t value, uint32_t max);
/* With a struct bpf_spin_lock at byte lock_off of the value (BTF made for it; -1: none)
 * and, for map-in-map, the inner template's fd (-1: none). */
int vkernel_map_create_ex(uint32_t type, uint32_t key, uint32_t value, uint32_t max, int lock_off,
                          int inner_fd);
/* A program fd (>= 0) or -errno; the verifier log in `log`. */
int vkernel_prog_load(uint32_t type, const struct bpfvm_insn *insns, size_t cnt, char *log,
                      size_t loglen, uint32_t log_level);
#endif
