/* parse_int.h - internal entry points of the classic text readers (bpf_asm.c, bytecode.c). */
#ifndef BPFVM_CBPF_PARSE_INT_H
#define BPFVM_CBPF_PARSE_INT_H

#include <stddef.h>
#include <stdint.h>
#include "bpfvm/cbpf.h"

/* decimal, 0x hex, 0b binary, optional sign; 32 bits.  0 or -1. */
int cbpf_parse_number(const char *s, uint32_t *out);
/* bpf_asm text, or (image != 0) a tcpdump -d listing */
int cbpf_parse_asm(const char *text, int image, struct bpfvm_cbpf_insn **out, size_t *cnt,
                   char *msg, size_t msg_len);
/* -dd C initializers */
int cbpf_parse_c(const char *text, struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg,
                 size_t msg_len);
/* -ddd or xt_bpf/tc bytecode: a count then 4 numbers per insn, separated by ',' or spaces */
int cbpf_parse_numbers(const char *text, struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg,
                       size_t msg_len);
#endif
