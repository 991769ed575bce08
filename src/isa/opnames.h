/* opnames.h - shared tables of eBPF mnemonics and operator spellings, used by both the
 * assembler (name -> opcode field) and the disassembler (opcode field -> name). */
#ifndef BPFVM_ISA_OPNAMES_H
#define BPFVM_ISA_OPNAMES_H

#include <stddef.h>
#include <stdint.h>

/* ALU operation (BPF_ADD..BPF_END, the high 4 bits of the opcode).
 * conf: bpf_conformance mnemonic ("add"); llvm: compound operator ("+=") or NULL. */
const char *opnames_alu_conf(uint8_t op);
const char *opnames_alu_llvm(uint8_t op);
int opnames_alu_by_conf(const char *s, size_t len);   /* op or -1 */
int opnames_alu_by_llvm(const char *s, size_t len);   /* op or -1 ("+=", "s>>=" excluded) */

/* Jump operation (BPF_JEQ..BPF_JSLE), conditional ones only.
 * conf: "jeq"; llvm: comparison ("==", "s<", "&"). */
const char *opnames_jmp_conf(uint8_t op);
const char *opnames_jmp_llvm(uint8_t op);
int opnames_jmp_by_conf(const char *s, size_t len);
int opnames_jmp_by_llvm(const char *s, size_t len);

/* Load/store size field (BPF_W, BPF_H, BPF_B, BPF_DW).
 * suffix: "w" "h" "b" "dw"; type: "u32" "u16" "u8" "u64". */
const char *opnames_size_suffix(uint8_t size);
const char *opnames_size_type(uint8_t size);
int opnames_size_by_suffix(const char *s, size_t len); /* size or -1 */
int opnames_size_by_bits(unsigned bits);               /* 8/16/32/64 -> size, else -1 */
unsigned opnames_size_bits(uint8_t size);

/* Atomic read-modify-write operations (imm without BPF_FETCH): add/or/and/xor. */
const char *opnames_atomic_conf(int op);                /* "add" */
const char *opnames_atomic_llvm(int op);                /* "+=" */
int opnames_atomic_by_conf(const char *s, size_t len);
int opnames_atomic_by_llvm(const char *s, size_t len);

/* Pseudo sources of lddw (src_reg 1..6): conformance keyword ("map_fd"), or NULL. */
const char *opnames_pseudo_conf(int src);
int opnames_pseudo_by_conf(const char *s, size_t len);

#endif
