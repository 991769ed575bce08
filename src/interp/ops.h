/* ops.h - the interpreter's operation list: one handler per (opcode, source form) pair.
 * X-macro: OP(name).  The decoder maps instructions to these; run_body.h implements them. */
#ifndef BPFVM_INTERP_OPS_H
#define BPFVM_INTERP_OPS_H

#define INTERP_ALU_OPS(OP, W)                                                                 \
    OP(ADD##W##_K) OP(ADD##W##_X) OP(SUB##W##_K) OP(SUB##W##_X) OP(MUL##W##_K) OP(MUL##W##_X) \
    OP(DIV##W##_K) OP(DIV##W##_X) OP(SDIV##W##_K) OP(SDIV##W##_X) OP(MOD##W##_K)             \
    OP(MOD##W##_X) OP(SMOD##W##_K) OP(SMOD##W##_X) OP(OR##W##_K) OP(OR##W##_X) OP(AND##W##_K) \
    OP(AND##W##_X) OP(LSH##W##_K) OP(LSH##W##_X) OP(RSH##W##_K) OP(RSH##W##_X)               \
    OP(ARSH##W##_K) OP(ARSH##W##_X) OP(XOR##W##_K) OP(XOR##W##_X) OP(MOV##W##_K)             \
    OP(MOV##W##_X) OP(MOVSX8_##W) OP(MOVSX16_##W) OP(NEG##W)

#define INTERP_JMP_OPS(OP, W)                                                                 \
    OP(JEQ##W##_K) OP(JEQ##W##_X) OP(JNE##W##_K) OP(JNE##W##_X) OP(JGT##W##_K) OP(JGT##W##_X) \
    OP(JGE##W##_K) OP(JGE##W##_X) OP(JLT##W##_K) OP(JLT##W##_X) OP(JLE##W##_K) OP(JLE##W##_X) \
    OP(JSGT##W##_K) OP(JSGT##W##_X) OP(JSGE##W##_K) OP(JSGE##W##_X) OP(JSLT##W##_K)           \
    OP(JSLT##W##_X) OP(JSLE##W##_K) OP(JSLE##W##_X) OP(JSET##W##_K) OP(JSET##W##_X)

#define INTERP_ATOMIC_OPS(OP, W)                                                              \
    OP(AADD##W) OP(AOR##W) OP(AAND##W) OP(AXOR##W) OP(AFADD##W) OP(AFOR##W) OP(AFAND##W)      \
    OP(AFXOR##W) OP(AXCHG##W) OP(ACMPXCHG##W)

#define INTERP_OPS(OP)                                                                        \
    INTERP_ALU_OPS(OP, 64) INTERP_ALU_OPS(OP, 32) OP(MOVSX32_64)                              \
    OP(SWAP16) OP(SWAP32) OP(SWAP64) OP(TRUNC16) OP(TRUNC32) OP(NOP)                          \
    INTERP_JMP_OPS(OP, 64) INTERP_JMP_OPS(OP, 32) OP(JA)                                      \
    OP(LDXB) OP(LDXH) OP(LDXW) OP(LDXDW) OP(LDXSB) OP(LDXSH) OP(LDXSW)                        \
    OP(STB) OP(STH) OP(STW) OP(STDW) OP(STXB) OP(STXH) OP(STXW) OP(STXDW)                     \
    INTERP_ATOMIC_OPS(OP, 32) INTERP_ATOMIC_OPS(OP, 64)                                       \
    OP(LDACQB) OP(LDACQH) OP(LDACQW) OP(LDACQDW) OP(STRELB) OP(STRELH) OP(STRELW) OP(STRELDW) \
    OP(LDDW) OP(LDABSB) OP(LDABSH) OP(LDABSW) OP(LDINDB) OP(LDINDH) OP(LDINDW)                \
    OP(CALL) OP(CALL_LOCAL) OP(CALLX) OP(EXIT) OP(MAY_GOTO) OP(FALLOFF)                       \
    INTERP_FUSED_OPS(OP)

/* Superinstructions: `rX = rY` followed by `rX op= K` (64-bit), one dispatch for both. */
#define INTERP_FUSED_OPS(OP)                                                                  \
    OP(MOVX_ADDK) OP(MOVX_SUBK) OP(MOVX_ANDK) OP(MOVX_ORK) OP(MOVX_XORK) OP(MOVX_LSHK)        \
    OP(MOVX_RSHK) OP(MOVX_ARSHK) OP(MOVX_MULK)

enum interp_op {
#define INTERP_ENUM(name) IOP_##name,
    INTERP_OPS(INTERP_ENUM)
#undef INTERP_ENUM
    IOP__COUNT
};

#endif
