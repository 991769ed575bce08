/* cbpf_int.h - classic BPF opcode fields and helpers shared by the src/cbpf files (internal). */
#ifndef BPFVM_CBPF_INT_H
#define BPFVM_CBPF_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include "bpfvm/cbpf.h"

/* classes */
#define CBPF_CLASS(c) ((c) & 0x07)
#define CBPF_LD   0x00
#define CBPF_LDX  0x01
#define CBPF_ST   0x02
#define CBPF_STX  0x03
#define CBPF_ALU  0x04
#define CBPF_JMP  0x05
#define CBPF_RET  0x06
#define CBPF_MISC 0x07
/* ld/ldx size and mode */
#define CBPF_SIZE(c) ((c) & 0x18)
#define CBPF_W 0x00
#define CBPF_H 0x08
#define CBPF_B 0x10
#define CBPF_MODE(c) ((c) & 0xe0)
#define CBPF_IMM 0x00
#define CBPF_ABS 0x20
#define CBPF_IND 0x40
#define CBPF_MEM 0x60
#define CBPF_LEN 0x80
#define CBPF_MSH 0xa0
/* alu/jmp op and source */
#define CBPF_OP(c) ((c) & 0xf0)
#define CBPF_SRC(c) ((c) & 0x08)
#define CBPF_K 0x00
#define CBPF_X 0x08
#define CBPF_ADD 0x00
#define CBPF_SUB 0x10
#define CBPF_MUL 0x20
#define CBPF_DIV 0x30
#define CBPF_OR  0x40
#define CBPF_AND 0x50
#define CBPF_LSH 0x60
#define CBPF_RSH 0x70
#define CBPF_NEG 0x80
#define CBPF_MOD 0x90
#define CBPF_XOR 0xa0
#define CBPF_JA   0x00
#define CBPF_JEQ  0x10
#define CBPF_JGT  0x20
#define CBPF_JGE  0x30
#define CBPF_JSET 0x40
/* ret source */
#define CBPF_RVAL(c) ((c) & 0x18)
#define CBPF_RA 0x10
/* misc */
#define CBPF_MISCOP(c) ((c) & 0xf8)
#define CBPF_TAX 0x00
#define CBPF_TXA 0x80

#define CBPF_SECCOMP_DATA_SIZE 64

/* true when `code` is one of the opcodes the Linux checker accepts */
int cbpf_opcode_valid(uint16_t code);

/* true when an absolute load's k falls in the ancillary area [SKF_AD_OFF, 0) */
static inline int cbpf_is_anc(uint32_t k) { return k >= (uint32_t)BPFVM_SKF_AD_OFF; }

/* true when a (libpcap-flavor) program has a backward ja; it then runs under a budget */
int cbpf_has_backjump(const struct bpfvm_cbpf_insn *p, size_t cnt);
#define CBPF_LOOP_BUDGET (1u << 24)

/* snprintf into a message buffer that may be NULL */
void cbpf_msg(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Ancillary value (not ALU_XOR_X) for the run context; shared by interpreter and helper. */
uint32_t cbpf_anc_value(struct bpfvm_cbpf_run_ctx *rc, uint32_t ad, uint32_t a, uint32_t x);
/* Linux negative-offset load; returns 0 and *val, or -1 when out of bounds. */
int cbpf_load_neg(const struct bpfvm_cbpf_run_ctx *rc, int32_t off, unsigned size, uint32_t *val);

#endif
