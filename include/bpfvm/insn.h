/* insn.h - the eBPF instruction as it sits in memory (same layout as Linux's struct bpf_insn). */
#ifndef BPFVM_INSN_H
#define BPFVM_INSN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One 8-byte instruction slot.  On little-endian hosts this is byte-compatible with the
 * kernel's struct bpf_insn; bytes on disk are always little-endian (use bpfvm_insns_from_bytes). */
struct bpfvm_insn {
    uint8_t code;        /* opcode */
    uint8_t dst_reg : 4; /* destination register */
    uint8_t src_reg : 4; /* source register */
    int16_t off;         /* signed offset */
    int32_t imm;         /* signed immediate */
};

/* Convert between little-endian bytes (8 per slot) and instructions.  `len` must be a multiple
 * of 8; returns the slot count or -EINVAL. */
long bpfvm_insns_from_bytes(const void *bytes, size_t len, struct bpfvm_insn *out);
void bpfvm_insns_to_bytes(const struct bpfvm_insn *insns, size_t cnt, void *out);

#ifdef __cplusplus
}
#endif
#endif
