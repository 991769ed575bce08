/* ops.h - tiny eBPF instruction builders for the benchmark programs (bench-only names). */
#ifndef BENCH_OPS_H
#define BENCH_OPS_H

#include <stddef.h>
#include <stdint.h>
#include "bpfvm/insn.h"

/* Opcode pieces (values fixed by the eBPF ISA, RFC 9669). */
#define OP_LD 0x00
#define OP_LDX 0x01
#define OP_ST 0x02
#define OP_STX 0x03
#define OP_ALU 0x04
#define OP_JMP 0x05
#define OP_ALU64 0x07
#define OP_K 0x00
#define OP_X 0x08
#define OP_W 0x00
#define OP_H 0x08
#define OP_B 0x10
#define OP_DW 0x18
#define OP_IMM 0x00
#define OP_MEM 0x60
#define OP_ATOMIC 0xc0
#define A_ADD 0x00
#define A_SUB 0x10
#define A_MUL 0x20
#define A_OR 0x40
#define A_AND 0x50
#define A_LSH 0x60
#define A_RSH 0x70
#define A_XOR 0xa0
#define A_MOV 0xb0
#define A_END 0xd0
#define J_JA 0x00
#define J_EQ 0x10
#define J_GT 0x20
#define J_GE 0x30
#define J_NE 0x50
#define J_LT 0xa0
#define J_LE 0xb0
#define J_CALL 0x80
#define J_EXIT 0x90

/* Helper ids as the kernel numbers them; the DPDK adapter maps them to its own symbols. */
#define HELPER_MAP_LOOKUP 1
#define HELPER_CSUM_DIFF 28

/* A growing program. */
struct ops_prog {
    struct bpfvm_insn insn[8192];
    size_t cnt;
};

static inline void ops_emit(struct ops_prog *p, uint8_t code, int dst, int src, int16_t off,
                            int32_t imm)
{
    if (p->cnt < sizeof(p->insn) / sizeof(p->insn[0])) {
        struct bpfvm_insn *i = &p->insn[p->cnt++];
        i->code = code;
        i->dst_reg = (uint8_t)dst;
        i->src_reg = (uint8_t)src;
        i->off = off;
        i->imm = imm;
    }
}

#define ALU64_K(p, op, d, k) ops_emit(p, OP_ALU64 | (op) | OP_K, d, 0, 0, k)
#define ALU64_X(p, op, d, s) ops_emit(p, OP_ALU64 | (op) | OP_X, d, s, 0, 0)
#define ALU32_K(p, op, d, k) ops_emit(p, OP_ALU | (op) | OP_K, d, 0, 0, k)
#define MOV_K(p, d, k) ALU64_K(p, A_MOV, d, k)
#define MOV_X(p, d, s) ALU64_X(p, A_MOV, d, s)
#define LDX(p, sz, d, s, o) ops_emit(p, OP_LDX | OP_MEM | (sz), d, s, o, 0)
#define STX(p, sz, d, s, o) ops_emit(p, OP_STX | OP_MEM | (sz), d, s, o, 0)
#define ST_K(p, sz, d, o, k) ops_emit(p, OP_ST | OP_MEM | (sz), d, 0, o, k)
#define XADD64(p, d, s, o) ops_emit(p, OP_STX | OP_ATOMIC | OP_DW, d, s, o, A_ADD)
#define BE16(p, d) ops_emit(p, OP_ALU | A_END | OP_X, d, 0, 0, 16)
#define JMP_K(p, op, d, k, o) ops_emit(p, OP_JMP | (op) | OP_K, d, 0, o, k)
#define JMP_X(p, op, d, s, o) ops_emit(p, OP_JMP | (op) | OP_X, d, s, o, 0)
#define JA(p, o) ops_emit(p, OP_JMP | J_JA, 0, 0, o, 0)
#define CALL(p, id) ops_emit(p, OP_JMP | J_CALL, 0, 0, 0, id)
#define EXIT(p) ops_emit(p, OP_JMP | J_EXIT, 0, 0, 0, 0)
/* A map reference: lddw with src_reg 1 (the kernel's pseudo map fd) and the bench map index as
 * imm; each engine rewrites it to what it understands. */
#define LD_MAP(p, d, idx)                                                                      \
    do {                                                                                       \
        ops_emit(p, OP_LD | OP_IMM | OP_DW, d, 1, 0, idx);                                     \
        ops_emit(p, 0, 0, 0, 0, 0);                                                            \
    } while (0)

/* Forward jumps to a label resolved later: remember the slot, patch its offset. */
static inline size_t ops_here(const struct ops_prog *p) { return p->cnt; }
static inline void ops_patch(struct ops_prog *p, size_t at, size_t target)
{
    p->insn[at].off = (int16_t)((long)target - (long)at - 1);
}

#endif
