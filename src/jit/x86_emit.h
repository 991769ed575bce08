/* x86_emit.h - x86-64 instruction encoding for the JIT: REX, ModRM/SIB, and the handful of
 * instruction forms the compiler uses.  Registers are hardware numbers (rax = 0 ... r15 = 15). */
#ifndef BPFVM_X86_EMIT_H
#define BPFVM_X86_EMIT_H

#include <stdint.h>
#include <string.h>

enum x86_reg {
    RAX = 0, RCX = 1, RDX = 2, RBX = 3, RSP = 4, RBP = 5, RSI = 6, RDI = 7,
    R8 = 8, R9 = 9, R10 = 10, R11 = 11, R12 = 12, R13 = 13, R14 = 14, R15 = 15,
};

/* condition codes (low nibble of Jcc/SETcc) */
enum x86_cc {
    CC_O = 0, CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
    CC_S = 8, CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf,
};

struct x86_buf {
    uint8_t *p;   /* NULL while measuring */
    size_t len;
    size_t cap;
};

static inline void x_byte(struct x86_buf *b, uint8_t v)
{
    if (b->p && b->len < b->cap)
        b->p[b->len] = v;
    b->len++;
}
static inline void x_u32(struct x86_buf *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        x_byte(b, (uint8_t)(v >> (8 * i)));
}
static inline void x_u64(struct x86_buf *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        x_byte(b, (uint8_t)(v >> (8 * i)));
}

static inline int fits_i8(int64_t v) { return v >= -128 && v <= 127; }
static inline int fits_i32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* REX prefix: w = 64-bit operand; r extends ModRM.reg, x SIB.index, b ModRM.rm/SIB.base.
 * `force` emits an empty REX (needed to address sil/dil/spl/bpl as byte registers). */
static inline void x_rex(struct x86_buf *b, int w, int r, int x, int bb, int force)
{
    uint8_t v = (uint8_t)(0x40 | (w ? 8 : 0) | ((r >> 3) & 1) << 2 | ((x >> 3) & 1) << 1 | ((bb >> 3) & 1));
    if (v != 0x40 || force)
        x_byte(b, v);
}

/* ModRM with a register operand */
static inline void x_modrm_rr(struct x86_buf *b, int reg, int rm)
{
    x_byte(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* ModRM (+SIB, +disp) for [base + disp] */
static inline void x_modrm_mem(struct x86_buf *b, int reg, int base, int32_t disp)
{
    int mod = (disp == 0 && (base & 7) != 5) ? 0 : fits_i8(disp) ? 1 : 2;
    x_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
    if ((base & 7) == 4)
        x_byte(b, 0x24); /* SIB: base only */
    if (mod == 1)
        x_byte(b, (uint8_t)disp);
    else if (mod == 2)
        x_u32(b, (uint32_t)disp);
}

/* op r/m, reg  (register-register form: rm = dst) */
static inline void x_op_rr(struct x86_buf *b, int w, uint8_t op, int dst, int src)
{
    x_rex(b, w, src, 0, dst, 0);
    x_byte(b, op);
    x_modrm_rr(b, src, dst);
}

/* two-byte opcode 0F xx with reg = dst, rm = src (imul, movzx, movsx, ...) */
static inline void x_op0f_rr(struct x86_buf *b, int w, uint8_t op, int reg, int rm, int force_rex)
{
    x_rex(b, w, reg, 0, rm, force_rex);
    x_byte(b, 0x0f);
    x_byte(b, op);
    x_modrm_rr(b, reg, rm);
}

/* group-1 ALU with immediate: ext = /0 add, /1 or, /4 and, /5 sub, /6 xor, /7 cmp */
static inline void x_alu_ri(struct x86_buf *b, int w, int ext, int dst, int32_t imm)
{
    x_rex(b, w, 0, 0, dst, 0);
    if (fits_i8(imm)) {
        x_byte(b, 0x83);
        x_modrm_rr(b, ext, dst);
        x_byte(b, (uint8_t)imm);
    } else {
        x_byte(b, 0x81);
        x_modrm_rr(b, ext, dst);
        x_u32(b, (uint32_t)imm);
    }
}

static inline void x_mov_rr(struct x86_buf *b, int w, int dst, int src)
{
    x_op_rr(b, w, 0x89, dst, src);
}

/* dst = imm (64-bit: sign-extended imm32; 32-bit: zero-extended) */
static inline void x_mov_ri(struct x86_buf *b, int w, int dst, int32_t imm)
{
    if (imm == 0) {
        x_op_rr(b, 0, 0x31, dst, dst); /* xor r32, r32 */
    } else if (!w || imm > 0) {
        x_rex(b, 0, 0, 0, dst, 0);
        x_byte(b, (uint8_t)(0xb8 + (dst & 7)));
        x_u32(b, (uint32_t)imm);
    } else {
        x_rex(b, 1, 0, 0, dst, 0);
        x_byte(b, 0xc7);
        x_modrm_rr(b, 0, dst);
        x_u32(b, (uint32_t)imm);
    }
}

static inline void x_mov_ri64(struct x86_buf *b, int dst, uint64_t imm)
{
    if (imm <= UINT32_MAX) {
        x_mov_ri(b, 0, dst, (int32_t)(uint32_t)imm);
    } else if ((int64_t)imm >= INT32_MIN && (int64_t)imm < 0) {
        x_mov_ri(b, 1, dst, (int32_t)imm);
    } else {
        x_rex(b, 1, 0, 0, dst, 0);
        x_byte(b, (uint8_t)(0xb8 + (dst & 7)));
        x_u64(b, imm);
    }
}

/* op reg, [base + disp]  or  op [base + disp], reg  with a 1-byte opcode */
static inline void x_op_mem(struct x86_buf *b, int w, int prefix66, uint8_t op, int reg, int base,
                            int32_t disp, int force_rex)
{
    if (prefix66)
        x_byte(b, 0x66);
    x_rex(b, w, reg, 0, base, force_rex);
    x_byte(b, op);
    x_modrm_mem(b, reg, base, disp);
}

/* two-byte opcode 0F xx with a memory operand */
static inline void x_op0f_mem(struct x86_buf *b, int w, uint8_t op, int reg, int base, int32_t disp)
{
    x_rex(b, w, reg, 0, base, 0);
    x_byte(b, 0x0f);
    x_byte(b, op);
    x_modrm_mem(b, reg, base, disp);
}

/* shift by immediate: ext = /4 shl, /5 shr, /7 sar */
static inline void x_shift_ri(struct x86_buf *b, int w, int ext, int dst, uint8_t n)
{
    x_rex(b, w, 0, 0, dst, 0);
    if (n == 1) {
        x_byte(b, 0xd1);
        x_modrm_rr(b, ext, dst);
    } else {
        x_byte(b, 0xc1);
        x_modrm_rr(b, ext, dst);
        x_byte(b, n);
    }
}

/* shift by cl */
static inline void x_shift_cl(struct x86_buf *b, int w, int ext, int dst)
{
    x_rex(b, w, 0, 0, dst, 0);
    x_byte(b, 0xd3);
    x_modrm_rr(b, ext, dst);
}

/* unary group-3: ext = /2 not, /3 neg, /6 div, /7 idiv */
static inline void x_grp3(struct x86_buf *b, int w, int ext, int rm)
{
    x_rex(b, w, 0, 0, rm, 0);
    x_byte(b, 0xf7);
    x_modrm_rr(b, ext, rm);
}

static inline void x_push(struct x86_buf *b, int r)
{
    x_rex(b, 0, 0, 0, r, 0);
    x_byte(b, (uint8_t)(0x50 + (r & 7)));
}
static inline void x_pop(struct x86_buf *b, int r)
{
    x_rex(b, 0, 0, 0, r, 0);
    x_byte(b, (uint8_t)(0x58 + (r & 7)));
}

/* call an absolute address through r10 */
static inline void x_call_abs(struct x86_buf *b, const void *fn)
{
    x_mov_ri64(b, R10, (uint64_t)(uintptr_t)fn);
    x_rex(b, 0, 0, 0, R10, 0);
    x_byte(b, 0xff);
    x_modrm_rr(b, 2, R10);
}

/* bpf_csum_diff(from, from_size, to, to_size, seed) in line (x86_csum.c), for sizes known
 * when compiling: from in rdi, to in rdx, seed in r8 (r1, r3, r5), the result in rax, as
 * helpers/csum.c computes it.  Uses r10 and r11; keeps the other registers. */
#define X86_CSUM_MAX 512 /* larger buffers are left to the helper */
void x86_emit_csum_diff(struct x86_buf *b, uint32_t from_size, uint32_t to_size);

#endif
