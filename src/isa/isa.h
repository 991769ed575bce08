/* isa.h - eBPF instruction encoding: classes, opcodes, fields (RFC 9669 + Linux 6.18).
 *
 * Internal header.  Names follow the kernel's UAPI spelling (BPF_ALU64, BPF_JEQ...) so that
 * code reads like the documentation; each is guarded so that including <linux/bpf.h>
 * first does no harm (the values are identical). */
#ifndef BPFVM_ISA_H
#define BPFVM_ISA_H

#include <stdint.h>
#include <stddef.h>
#include "bpfvm/insn.h"

/* instruction classes (low 3 bits of code) */
#define ISA_CLASS(code) ((code) & 0x07)
#ifndef BPF_LD
#define BPF_LD    0x00
#define BPF_LDX   0x01
#define BPF_ST    0x02
#define BPF_STX   0x03
#define BPF_ALU   0x04
#define BPF_JMP   0x05
#define BPF_RET   0x06
#define BPF_MISC  0x07
#endif
#ifndef BPF_JMP32
#define BPF_JMP32 0x06
#endif
#ifndef BPF_ALU64
#define BPF_ALU64 0x07
#endif

/* ALU/JMP: source bit and operation (high 4 bits) */
#define ISA_SRC(code) ((code) & 0x08)
#define ISA_OP(code)  ((code) & 0xf0)
#ifndef BPF_K
#define BPF_K 0x00
#define BPF_X 0x08
#endif

#ifndef BPF_ADD
#define BPF_ADD  0x00
#define BPF_SUB  0x10
#define BPF_MUL  0x20
#define BPF_DIV  0x30
#define BPF_OR   0x40
#define BPF_AND  0x50
#define BPF_LSH  0x60
#define BPF_RSH  0x70
#define BPF_NEG  0x80
#define BPF_MOD  0x90
#define BPF_XOR  0xa0
#endif
#ifndef BPF_MOV
#define BPF_MOV  0xb0
#define BPF_ARSH 0xc0
#define BPF_END  0xd0
#endif
#ifndef BPF_TO_LE
#define BPF_TO_LE 0x00
#define BPF_TO_BE 0x08
#endif

#ifndef BPF_JA
#define BPF_JA   0x00
#define BPF_JEQ  0x10
#define BPF_JGT  0x20
#define BPF_JGE  0x30
#define BPF_JSET 0x40
#endif
#ifndef BPF_JNE
#define BPF_JNE  0x50
#define BPF_JSGT 0x60
#define BPF_JSGE 0x70
#define BPF_CALL 0x80
#define BPF_EXIT 0x90
#endif
#ifndef BPF_JLT
#define BPF_JLT  0xa0
#define BPF_JLE  0xb0
#define BPF_JSLT 0xc0
#define BPF_JSLE 0xd0
#endif
#ifndef BPF_JCOND
#define BPF_JCOND 0xe0
#endif

/* load/store: size (bits 3-4) and mode (bits 5-7) */
#define ISA_SIZE(code) ((code) & 0x18)
#define ISA_MODE(code) ((code) & 0xe0)
#ifndef BPF_W
#define BPF_W  0x00
#define BPF_H  0x08
#define BPF_B  0x10
#endif
#ifndef BPF_DW
#define BPF_DW 0x18
#endif
#ifndef BPF_IMM
#define BPF_IMM 0x00
#define BPF_ABS 0x20
#define BPF_IND 0x40
#define BPF_MEM 0x60
#endif
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80
#endif
#ifndef BPF_ATOMIC
#define BPF_ATOMIC 0xc0
#endif

/* atomic operations (imm field of STX|ATOMIC) */
#ifndef BPF_FETCH
#define BPF_FETCH 0x01
#endif
#ifndef BPF_XCHG
#define BPF_XCHG    (0xe0 | BPF_FETCH)
#define BPF_CMPXCHG (0xf0 | BPF_FETCH)
#endif
#ifndef BPF_LOAD_ACQ
#define BPF_LOAD_ACQ  0x100
#define BPF_STORE_REL 0x110
#endif

/* pseudo sources */
#ifndef BPF_PSEUDO_MAP_FD
#define BPF_PSEUDO_MAP_FD 1
#endif
#ifndef BPF_PSEUDO_MAP_VALUE
#define BPF_PSEUDO_MAP_VALUE 2
#endif
#ifndef BPF_PSEUDO_BTF_ID
#define BPF_PSEUDO_BTF_ID 3
#endif
#ifndef BPF_PSEUDO_FUNC
#define BPF_PSEUDO_FUNC 4
#endif
#ifndef BPF_PSEUDO_MAP_IDX
#define BPF_PSEUDO_MAP_IDX 5
#endif
#ifndef BPF_PSEUDO_MAP_IDX_VALUE
#define BPF_PSEUDO_MAP_IDX_VALUE 6
#endif
#ifndef BPF_PSEUDO_CALL
#define BPF_PSEUDO_CALL 1
#endif
#ifndef BPF_PSEUDO_KFUNC_CALL
#define BPF_PSEUDO_KFUNC_CALL 2
#endif

/* whole opcodes used often */
#define ISA_LDDW      (BPF_LD | BPF_IMM | BPF_DW)   /* 0x18 */
#define ISA_CALL      (BPF_JMP | BPF_CALL)          /* 0x85 */
#define ISA_CALLX     (BPF_JMP | BPF_CALL | BPF_X)  /* 0x8d */
#define ISA_EXIT      (BPF_JMP | BPF_EXIT)          /* 0x95 */
#define ISA_JA        (BPF_JMP | BPF_JA)            /* 0x05 */
#define ISA_JA32      (BPF_JMP32 | BPF_JA)          /* 0x06 */

#define ISA_NREGS      11
#define ISA_STACK_SIZE 512
#define ISA_MAX_FRAMES 8

/* Decode/encode an instruction from/to its 8 little-endian bytes. */
static inline struct bpfvm_insn isa_decode(const uint8_t b[8])
{
    struct bpfvm_insn in;
    in.code = b[0];
    in.dst_reg = b[1] & 0x0f;
    in.src_reg = (uint8_t)(b[1] >> 4);
    in.off = (int16_t)(uint16_t)(b[2] | (b[3] << 8));
    in.imm = (int32_t)((uint32_t)b[4] | ((uint32_t)b[5] << 8) | ((uint32_t)b[6] << 16) |
                       ((uint32_t)b[7] << 24));
    return in;
}

static inline void isa_encode(const struct bpfvm_insn *in, uint8_t b[8])
{
    uint16_t off = (uint16_t)in->off;
    uint32_t imm = (uint32_t)in->imm;
    b[0] = in->code;
    b[1] = (uint8_t)((in->dst_reg & 0x0f) | (in->src_reg << 4));
    b[2] = (uint8_t)off;
    b[3] = (uint8_t)(off >> 8);
    b[4] = (uint8_t)imm;
    b[5] = (uint8_t)(imm >> 8);
    b[6] = (uint8_t)(imm >> 16);
    b[7] = (uint8_t)(imm >> 24);
}

static inline struct bpfvm_insn isa_make(uint8_t code, int dst, int src, int off, int32_t imm)
{
    struct bpfvm_insn in;
    in.code = code;
    in.dst_reg = (uint8_t)(dst & 0xf);
    in.src_reg = (uint8_t)(src & 0xf);
    in.off = (int16_t)off;
    in.imm = imm;
    return in;
}

/* Byte size of a load/store size field (1, 2, 4, 8). */
static inline int isa_size_bytes(uint8_t code)
{
    switch (ISA_SIZE(code)) {
    case BPF_B: return 1;
    case BPF_H: return 2;
    case BPF_W: return 4;
    default: return 8;
    }
}

/* Validity of one instruction in isolation (Linux 6.18 rules on fields that must be zero,
 * known opcodes, register numbers).  `next` is the following slot or NULL (for lddw).
 * Returns 0 or -EINVAL with a message in msg (no pc prefix). */
int isa_check_insn(const struct bpfvm_insn *in, const struct bpfvm_insn *next, char *msg,
                   size_t msglen);

/* Whether code is a lddw first slot (takes two slots). */
static inline int isa_is_lddw(const struct bpfvm_insn *in) { return in->code == ISA_LDDW; }

#endif
