/* x86_64.c - the x86-64 JIT: BPF registers live in x86 registers (r0 rax, r1-r5 the SysV
 * argument registers so helpers are called directly, r6-r9 callee-saved, r10 rbp), r12 holds
 * the run state.  Each subprogram is a native function; the BPF stack is the run's 8 x 512
 * byte area, as in the interpreter.  Sizes converge over several passes (short jumps where
 * they fit); faults unwind to the entry through one stub. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/exec.h"
#include "jit/jit.h"
#include "jit/x86_emit.h"
#include "helpers/helpers.h"
#include "maps/map.h"

#if defined(__x86_64__)

#define JIT_CSUM_DIFF_HELPER 28 /* the kernel's BPF_FUNC_csum_diff */

/* BPF register -> x86 register */
static const uint8_t R[ISA_NREGS] = {RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP};

#define EX(field) ((int32_t)offsetof(struct bpfvm_exec, field))
#define UNKNOWN_ADDR UINT32_MAX

struct jctx {
    const struct bpfvm_prog *prog;
    struct x86_buf b;
    bool checked;
    uint32_t *addr;      /* start of each slot's body (cnt + 1: the fall-off stub) */
    uint32_t *entry;     /* start of a subprogram's prologue, at its first slot */
    uint32_t *prev_addr, *prev_entry;
    int *func_of;        /* subprogram index of each slot */
    bool *is_entry;
    bool *is_target;     /* some jump lands here */
    bool *second_slot;   /* the second half of a lddw */
    uint32_t unwind, memchk, prev_unwind, prev_memchk, tramp, direct, prev_direct;
    bool direct_ok;      /* the program needs no run state: it may be called directly */
    bool direct_mode;    /* compiling the direct copy: no r12, own frame, ud2 for faults */
    bool uses_r10;
    bool direct_calls;   /* the direct copy calls C functions (map lookups): align rsp */
    uint8_t saved[6];    /* callee-saved registers the entry saves: rbp, those of r6-r9 the
                            program uses, r12; the unwind stub and trampoline use the same */
    int nsaved;
    int pad;             /* bytes below the saved registers that align rsp to 16 */
    int direct_pad;      /* the same for the direct copy */
    size_t cnt;
    bool blind;          /* constant blinding: no program immediate appears in the code */
    uint64_t blind_seed, blind_state;
};

/* ---- jumps ---------------------------------------------------------------------------------- */

/* Jump (cc < 0: unconditional) to a native offset known from the previous pass; the short form
 * when that distance fits (sizes only shrink between passes, so it stays valid). */
static void emit_jump_to(struct jctx *c, int cc, uint32_t target)
{
    struct x86_buf *b = &c->b;
    int64_t here = (int64_t)b->len;
    if (target != UNKNOWN_ADDR) {
        int64_t rel8 = (int64_t)target - (here + 2);
        if (fits_i8(rel8)) {
            x_byte(b, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
            x_byte(b, (uint8_t)rel8);
            return;
        }
    }
    int64_t rel32 = target == UNKNOWN_ADDR ? 0 : (int64_t)target - (here + (cc < 0 ? 5 : 6));
    if (cc < 0) {
        x_byte(b, 0xe9);
    } else {
        x_byte(b, 0x0f);
        x_byte(b, (uint8_t)(0x80 | cc));
    }
    x_u32(b, (uint32_t)rel32);
}

/* The target of a jump to slot t: this pass's address for backward jumps, the previous
 * pass's for forward ones. */
static uint32_t slot_addr(struct jctx *c, size_t from, size_t t)
{
    return t <= from ? c->addr[t] : c->prev_addr[t];
}

static void emit_call_rel(struct jctx *c, uint32_t target)
{
    struct x86_buf *b = &c->b;
    int64_t rel = target == UNKNOWN_ADDR ? 0 : (int64_t)target - ((int64_t)b->len + 5);
    x_byte(b, 0xe8);
    x_u32(b, (uint32_t)rel);
}

/* short forward jump within one instruction's code; returns the byte to patch */
static size_t jcc8_fwd(struct x86_buf *b, int cc)
{
    x_byte(b, cc < 0 ? 0xeb : (uint8_t)(0x70 | cc));
    x_byte(b, 0);
    return b->len - 1;
}
static void patch8(struct x86_buf *b, size_t at)
{
    if (b->p)
        b->p[at] = (uint8_t)(b->len - (at + 1));
}
static size_t jcc32_fwd(struct x86_buf *b, int cc)
{
    if (cc < 0) {
        x_byte(b, 0xe9);
    } else {
        x_byte(b, 0x0f);
        x_byte(b, (uint8_t)(0x80 | cc));
    }
    x_u32(b, 0);
    return b->len - 4;
}
static void patch32(struct x86_buf *b, size_t at)
{
    if (b->p) {
        uint32_t rel = (uint32_t)(b->len - (at + 4));
        memcpy(b->p + at, &rel, 4);
    }
}

/* ---- constant blinding --------------------------------------------------------------------- */

static uint64_t blind_next(struct jctx *c)
{
    /* splitmix64: a fresh key per immediate; reseeded per pass so every pass emits the same */
    uint64_t z = (c->blind_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* r11 = sign-extended imm, written as (imm ^ key) ^ key with fixed-size encodings. */
static void blind_imm32(struct jctx *c, int32_t imm)
{
    struct x86_buf *b = &c->b;
    uint32_t key = (uint32_t)blind_next(c);
    x_rex(b, 1, 0, 0, R11, 0); /* mov r11, imm32 (sign-extended) */
    x_byte(b, 0xc7);
    x_modrm_rr(b, 0, R11);
    x_u32(b, (uint32_t)imm ^ key);
    x_rex(b, 1, 0, 0, R11, 0); /* xor r11, imm32 (sign-extended) */
    x_byte(b, 0x81);
    x_modrm_rr(b, 6, R11);
    x_u32(b, key);
}

/* dst = imm64, blinded: movabs dst, imm ^ key; movabs r11, key; xor dst, r11 */
static void blind_imm64(struct jctx *c, int dst, uint64_t imm)
{
    struct x86_buf *b = &c->b;
    uint64_t key = blind_next(c);
    x_rex(b, 1, 0, 0, dst, 0);
    x_byte(b, (uint8_t)(0xb8 + (dst & 7)));
    x_u64(b, imm ^ key);
    x_rex(b, 1, 0, 0, R11, 0);
    x_byte(b, (uint8_t)(0xb8 + (R11 & 7)));
    x_u64(b, key);
    x_op_rr(b, 1, 0x31, dst, R11);
}

/* record why we stop, then unwind */
static void emit_fault(struct jctx *c, size_t pc, enum exec_fault kind)
{
    struct x86_buf *b = &c->b;
    if (c->direct_mode) { /* direct code cannot fault (unchecked, ends in exit or ja) */
        x_byte(b, 0x0f);
        x_byte(b, 0x0b);
        return;
    }
    x_op_mem(b, 1, 0, 0xc7, 0, R12, EX(fault_pc), 0);
    x_u32(b, (uint32_t)pc);
    x_op_mem(b, 0, 0, 0xc7, 0, R12, EX(jit_fault), 0);
    x_u32(b, (uint32_t)kind);
    emit_jump_to(c, -1, c->prev_unwind);
}

/* ---- run-time services called from JIT code --------------------------------------------- */

/* info = pc << 5 | size << 1 | write.  Returns 1 when allowed. */
static int jit_mem_check(struct bpfvm_exec *ex, uint64_t addr, uint64_t info)
{
    int size = (int)((info >> 1) & 15);
    bool write = info & 1;
    if (exec_mem_ok(ex, addr, (uint64_t)size, write))
        return 1;
    ex->fault_pc = (long)(info >> 5);
    ex->fault_addr = addr;
    ex->fault_size = size;
    ex->fault_write = write;
    ex->jit_fault = EXEC_FAULT_MEM;
    return 0;
}

static uint64_t jit_ld_pkt(struct bpfvm_exec *ex, int32_t k, int size)
{
    const uint8_t *p = exec_pkt_ptr(ex->opts, k, size);
    if (!p) {
        ex->jit_pkt_oob = 1;
        return 0;
    }
    if (size == 1)
        return p[0];
    if (size == 2)
        return (uint64_t)(p[0] << 8 | p[1]);
    return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
}

static uint64_t jit_callx_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                 struct bpfvm_exec *ex)
{
    uint64_t v = ex->jit_callx_value;
    bpfvm_helper_fn fn = v <= UINT32_MAX ? vm_helper_fn(ex->prog->vm, v) : NULL;
    if (!fn) {
        ex->jit_fault = EXEC_FAULT_CALLX;
        return 0;
    }
    return fn(r1, r2, r3, r4, r5, ex);
}

/* ---- memory operands ------------------------------------------------------------------------ */

/* In checked mode: r11 = base + off, verified for `size` bytes; returns the register and
 * displacement to use for the access.  Unchecked: the BPF register itself. */
static void mem_operand(struct jctx *c, size_t pc, int base, int16_t off, int size, bool write,
                        int *reg, int32_t *disp)
{
    struct x86_buf *b = &c->b;
    if (!c->checked) {
        *reg = R[base];
        *disp = off;
        return;
    }
    x_op_mem(b, 1, 0, 0x8d, R11, R[base], off, 0); /* lea r11, [base + off] */
    x_mov_rr(b, 1, R10, R11);
    x_op_mem(b, 1, 0, 0x2b, R10, R12, EX(stack_lo), 0); /* sub r10, [r12 + stack_lo] */
    x_alu_ri(b, 1, 7, R10, EXEC_STACK_BYTES - size);     /* cmp */
    size_t ok = jcc8_fwd(b, CC_BE);
    x_mov_ri(b, 0, R10, (int32_t)((uint32_t)pc << 5 | (uint32_t)size << 1 | (write ? 1u : 0u)));
    emit_call_rel(c, c->prev_memchk);
    patch8(b, ok);
    *reg = R11;
    *disp = 0;
}

static void atomic_address(struct jctx *c, size_t pc, const struct bpfvm_insn *in, int size)
{
    struct x86_buf *b = &c->b;
    int reg;
    int32_t disp;
    mem_operand(c, pc, in->dst_reg, in->off, size, true, &reg, &disp);
    if (reg != R11)
        x_op_mem(b, 1, 0, 0x8d, R11, reg, disp, 0); /* lea r11, [dst + off] */
    if (c->checked) {
        x_rex(b, 1, 0, 0, R11, 0); /* test r11, size - 1 */
        x_byte(b, 0xf7);
        x_modrm_rr(b, 0, R11);
        x_u32(b, (uint32_t)(size - 1));
        size_t ok = jcc8_fwd(b, CC_E);
        x_op_mem(b, 1, 0, 0x89, R11, R12, EX(fault_addr), 0);
        x_op_mem(b, 0, 0, 0xc7, 0, R12, EX(fault_size), 0);
        x_u32(b, (uint32_t)size);
        emit_fault(c, pc, EXEC_FAULT_ALIGN);
        patch8(b, ok);
    }
}

/* ---- instruction groups --------------------------------------------------------------------- */

static void emit_divmod(struct jctx *c, const struct bpfvm_insn *in, int w, bool is_mod,
                        bool is_signed)
{
    struct x86_buf *b = &c->b;
    int d = R[in->dst_reg];
    if (ISA_SRC(in->code) == BPF_X)
        x_mov_rr(b, 1, R11, R[in->src_reg]);
    else if (c->blind)
        blind_imm32(c, in->imm);
    else
        x_mov_ri(b, 1, R11, in->imm);
    /* divisor 0: div gives 0, mod leaves dst (32-bit: zero-extended) */
    x_op_rr(b, w, 0x85, R11, R11); /* test */
    size_t nonzero = jcc8_fwd(b, CC_NE);
    if (is_mod) {
        if (!w)
            x_mov_rr(b, 0, d, d);
    } else {
        x_mov_ri(b, 0, d, 0);
    }
    size_t done0 = jcc32_fwd(b, -1);
    patch8(b, nonzero);
    size_t done1 = 0, has_done1 = 0;
    if (is_signed) {
        /* divisor -1: quotient is -dst (wrapping), remainder 0; avoids the #DE of INT_MIN/-1 */
        x_alu_ri(b, w, 7, R11, -1);
        size_t not_m1 = jcc8_fwd(b, CC_NE);
        if (is_mod)
            x_mov_ri(b, 0, d, 0);
        else
            x_grp3(b, w, 3, d);
        if (!w && !is_mod)
            x_mov_rr(b, 0, d, d);
        done1 = jcc32_fwd(b, -1);
        has_done1 = 1;
        patch8(b, not_m1);
    }
    x_mov_rr(b, 1, R9, RAX);
    x_mov_rr(b, 1, R10, RDX);
    x_mov_rr(b, 1, RAX, d);
    if (is_signed) {
        x_rex(b, w, 0, 0, 0, 0); /* cqo / cdq */
        x_byte(b, 0x99);
    } else {
        x_op_rr(b, 0, 0x31, RDX, RDX);
    }
    x_grp3(b, w, is_signed ? 7 : 6, R11);
    x_mov_rr(b, w, R11, is_mod ? RDX : RAX); /* w=0 zero-extends the 32-bit result */
    x_mov_rr(b, 1, RAX, R9);
    x_mov_rr(b, 1, RDX, R10);
    x_mov_rr(b, 1, d, R11);
    patch32(b, done0);
    if (has_done1)
        patch32(b, done1);
}

static void emit_shift_x(struct jctx *c, const struct bpfvm_insn *in, int w, int ext)
{
    struct x86_buf *b = &c->b;
    int d = R[in->dst_reg], s = R[in->src_reg];
    if (s == RCX) {
        x_shift_cl(b, w, ext, d);
        return;
    }
    x_mov_rr(b, 1, R11, RCX); /* save r4 (rcx) */
    x_mov_rr(b, 1, RCX, s);
    if (d == RCX) {
        x_shift_cl(b, w, ext, R11);
        x_mov_rr(b, 1, RCX, R11);
    } else {
        x_shift_cl(b, w, ext, d);
        x_mov_rr(b, 1, RCX, R11);
    }
}

static void emit_end(struct jctx *c, const struct bpfvm_insn *in)
{
    struct x86_buf *b = &c->b;
    int d = R[in->dst_reg];
    bool swap = ISA_CLASS(in->code) == BPF_ALU64 || ISA_SRC(in->code) == BPF_TO_BE;
    if (in->imm == 16) {
        if (swap) { /* ror d16, 8 */
            x_byte(b, 0x66);
            x_shift_ri(b, 0, 1, d, 8);
        }
        x_op0f_rr(b, 0, 0xb7, d, d, 0); /* movzx d32, d16 */
    } else if (in->imm == 32) {
        if (swap) {
            x_rex(b, 0, 0, 0, d, 0);
            x_byte(b, 0x0f);
            x_byte(b, (uint8_t)(0xc8 + (d & 7)));
        } else {
            x_mov_rr(b, 0, d, d);
        }
    } else if (swap) {
        x_rex(b, 1, 0, 0, d, 0);
        x_byte(b, 0x0f);
        x_byte(b, (uint8_t)(0xc8 + (d & 7)));
    }
}

static int emit_alu(struct jctx *c, const struct bpfvm_insn *in)
{
    struct x86_buf *b = &c->b;
    int w = ISA_CLASS(in->code) == BPF_ALU64;
    bool x = ISA_SRC(in->code) == BPF_X;
    int d = R[in->dst_reg], s = R[in->src_reg];
    int32_t imm = in->imm;
    static const uint8_t rr_op[16] = {[BPF_ADD >> 4] = 0x01, [BPF_SUB >> 4] = 0x29,
                                      [BPF_OR >> 4] = 0x09,  [BPF_AND >> 4] = 0x21,
                                      [BPF_XOR >> 4] = 0x31};
    static const int8_t ri_ext[16] = {[BPF_ADD >> 4] = 0, [BPF_SUB >> 4] = 5, [BPF_OR >> 4] = 1,
                                      [BPF_AND >> 4] = 4, [BPF_XOR >> 4] = 6};
    uint8_t op = ISA_OP(in->code);
    if (c->blind && !x && (op <= BPF_AND || op == BPF_XOR || op == BPF_MOV)) {
        /* add sub mul or and xor mov (div/mod blind inside emit_divmod) */
        if (op != BPF_DIV) {
            blind_imm32(c, imm);
            x = true;
            s = R11;
        }
    }
    switch (op) {
    case BPF_ADD: case BPF_SUB: case BPF_OR: case BPF_AND: case BPF_XOR:
        if (x)
            x_op_rr(b, w, rr_op[op >> 4], d, s);
        else
            x_alu_ri(b, w, ri_ext[op >> 4], d, imm);
        return 0;
    case BPF_MOV:
        if (!x) {
            x_mov_ri(b, w, d, imm);
        } else if (in->off == 0) {
            if (d != s || !w)
                x_mov_rr(b, w, d, s);
        } else if (in->off == 32) {
            x_op_rr(b, 1, 0x63, s, d); /* movsxd d, s32: reg = d, rm = s */
        } else {
            /* a REX prefix makes byte register 6/7 mean sil/dil rather than dh/bh */
            int force = in->off == 8 && (s & 7) >= 4 && s < 8;
            x_op0f_rr(b, w, in->off == 8 ? 0xbe : 0xbf, d, s, force);
        }
        return 0;
    case BPF_MUL:
        if (x) {
            x_op0f_rr(b, w, 0xaf, d, s, 0);
        } else {
            x_rex(b, w, d, 0, d, 0);
            x_byte(b, fits_i8(imm) ? 0x6b : 0x69);
            x_modrm_rr(b, d, d);
            if (fits_i8(imm))
                x_byte(b, (uint8_t)imm);
            else
                x_u32(b, (uint32_t)imm);
        }
        return 0;
    case BPF_DIV:
    case BPF_MOD:
        emit_divmod(c, in, w, op == BPF_MOD, in->off == 1);
        return 0;
    case BPF_NEG:
        x_grp3(b, w, 3, d);
        return 0;
    case BPF_LSH: case BPF_RSH: case BPF_ARSH: {
        int ext = op == BPF_LSH ? 4 : op == BPF_RSH ? 5 : 7;
        if (x) {
            emit_shift_x(c, in, w, ext);
        } else {
            uint8_t n = (uint8_t)(imm & (w ? 63 : 31));
            if (n)
                x_shift_ri(b, w, ext, d, n);
            else if (!w)
                x_mov_rr(b, 0, d, d);
        }
        return 0;
    }
    case BPF_END:
        emit_end(c, in);
        return 0;
    }
    return -1;
}

static int cond_cc(uint8_t op)
{
    switch (op) {
    case BPF_JEQ: return CC_E;
    case BPF_JNE: return CC_NE;
    case BPF_JGT: return CC_A;
    case BPF_JGE: return CC_AE;
    case BPF_JLT: return CC_B;
    case BPF_JLE: return CC_BE;
    case BPF_JSGT: return CC_G;
    case BPF_JSGE: return CC_GE;
    case BPF_JSLT: return CC_L;
    case BPF_JSLE: return CC_LE;
    case BPF_JSET: return CC_NE;
    }
    return -1;
}

static void emit_cond_jump(struct jctx *c, size_t pc, const struct bpfvm_insn *in)
{
    struct x86_buf *b = &c->b;
    int w = ISA_CLASS(in->code) == BPF_JMP;
    uint8_t op = ISA_OP(in->code);
    int d = R[in->dst_reg];
    if (ISA_SRC(in->code) == BPF_X) {
        x_op_rr(b, w, op == BPF_JSET ? 0x85 : 0x39, d, R[in->src_reg]);
    } else if (c->blind) {
        blind_imm32(c, in->imm);
        x_op_rr(b, w, op == BPF_JSET ? 0x85 : 0x39, d, R11);
    } else if (op == BPF_JSET) {
        x_rex(b, w, 0, 0, d, 0);
        x_byte(b, 0xf7);
        x_modrm_rr(b, 0, d);
        x_u32(b, (uint32_t)in->imm);
    } else if (in->imm == 0) {
        x_op_rr(b, w, 0x85, d, d); /* test d, d */
    } else {
        x_alu_ri(b, w, 7, d, in->imm);
    }
    size_t t = pc + 1 + (size_t)(int64_t)in->off;
    emit_jump_to(c, cond_cc(op), slot_addr(c, pc, t));
}

static void emit_load(struct jctx *c, size_t pc, const struct bpfvm_insn *in, int src_reg,
                      bool sign)
{
    struct x86_buf *b = &c->b;
    int size = isa_size_bytes(in->code), reg, d = R[in->dst_reg];
    int32_t disp;
    mem_operand(c, pc, src_reg, in->off, size, false, &reg, &disp);
    switch (size) {
    case 1:
        x_op0f_mem(b, sign, sign ? 0xbe : 0xb6, d, reg, disp);
        break;
    case 2:
        x_op0f_mem(b, sign, sign ? 0xbf : 0xb7, d, reg, disp);
        break;
    case 4:
        x_op_mem(b, sign, 0, sign ? 0x63 : 0x8b, d, reg, disp, 0);
        break;
    default:
        x_op_mem(b, 1, 0, 0x8b, d, reg, disp, 0);
    }
}

static void emit_store(struct jctx *c, size_t pc, const struct bpfvm_insn *in, bool from_reg)
{
    struct x86_buf *b = &c->b;
    int size = isa_size_bytes(in->code), reg;
    int32_t disp;
    mem_operand(c, pc, in->dst_reg, in->off, size, true, &reg, &disp);
    if (from_reg) {
        int s = R[in->src_reg];
        int force = size == 1 && (s & 7) >= 4 && s < 8;
        x_op_mem(b, size == 8, size == 2, size == 1 ? 0x88 : 0x89, s, reg, disp, force);
        return;
    }
    if (c->blind) {
        int r = reg == R11 ? R10 : R11;
        if (reg == R11) /* the checked address is in r11: keep it, blind through r10 */
            x_mov_rr(b, 1, R10, R11);
        blind_imm32(c, in->imm);
        if (reg == R11) {
            x_op_rr(b, 1, 0x87, R10, R11); /* xchg: r10 = value, r11 = address */
            r = R10;
        }
        x_op_mem(b, size == 8, size == 2, size == 1 ? 0x88 : 0x89, r, reg, disp, size == 1);
        return;
    }
    x_op_mem(b, size == 8, size == 2, size == 1 ? 0xc6 : 0xc7, 0, reg, disp, 0);
    if (size == 1)
        x_byte(b, (uint8_t)in->imm);
    else if (size == 2) {
        x_byte(b, (uint8_t)in->imm);
        x_byte(b, (uint8_t)(in->imm >> 8));
    } else
        x_u32(b, (uint32_t)in->imm);
}

static void emit_atomic(struct jctx *c, size_t pc, const struct bpfvm_insn *in)
{
    struct x86_buf *b = &c->b;
    int w = ISA_SIZE(in->code) == BPF_DW, size = isa_size_bytes(in->code);
    int s = R[in->src_reg];
    if (in->imm == BPF_LOAD_ACQ) { /* x86 loads are acquire loads */
        emit_load(c, pc, in, in->src_reg, false);
        return;
    }
    if (in->imm == BPF_STORE_REL) { /* and stores are release stores */
        emit_store(c, pc, in, true);
        return;
    }
    atomic_address(c, pc, in, size);
    switch (in->imm) {
    case BPF_ADD: case BPF_OR: case BPF_AND: case BPF_XOR: {
        uint8_t op = in->imm == BPF_ADD ? 0x01 : in->imm == BPF_OR ? 0x09 : in->imm == BPF_AND ? 0x21 : 0x31;
        x_byte(b, 0xf0);
        x_op_mem(b, w, 0, op, s, R11, 0, 0);
        return;
    }
    case BPF_ADD | BPF_FETCH:
        x_byte(b, 0xf0);
        x_rex(b, w, s, 0, R11, 0);
        x_byte(b, 0x0f);
        x_byte(b, 0xc1);
        x_modrm_mem(b, s, R11, 0);
        return;
    case BPF_XCHG:
        x_op_mem(b, w, 0, 0x87, s, R11, 0, 0);
        return;
    case BPF_CMPXCHG:
        x_byte(b, 0xf0);
        x_rex(b, w, s, 0, R11, 0);
        x_byte(b, 0x0f);
        x_byte(b, 0xb1);
        x_modrm_mem(b, s, R11, 0);
        if (!w)
            x_mov_rr(b, 0, RAX, RAX); /* r0 = old value, zero-extended, also on success */
        return;
    default: { /* fetch and/or/xor: a cmpxchg loop */
        uint8_t op = (in->imm & ~BPF_FETCH) == BPF_OR ? 0x09 : (in->imm & ~BPF_FETCH) == BPF_AND ? 0x21 : 0x31;
        int operand = s == RAX ? R10 : s;
        x_mov_rr(b, 1, R10, RAX);
        x_op_mem(b, w, 0, 0x8b, RAX, R11, 0, 0);
        size_t retry = b->len;
        x_mov_rr(b, 1, R9, RAX);
        x_op_rr(b, w, op, R9, operand);
        x_byte(b, 0xf0);
        x_rex(b, w, R9, 0, R11, 0);
        x_byte(b, 0x0f);
        x_byte(b, 0xb1);
        x_modrm_mem(b, R9, R11, 0);
        x_byte(b, 0x75); /* jne retry */
        x_byte(b, (uint8_t)(int8_t)((int64_t)retry - (int64_t)(b->len + 1)));
        x_mov_rr(b, 1, R9, RAX);
        x_mov_rr(b, 1, RAX, R10);
        x_mov_rr(b, w, s, R9);
        return;
    }
    }
}

static void emit_ld_pkt(struct jctx *c, const struct bpfvm_insn *in)
{
    struct x86_buf *b = &c->b;
    static const uint8_t saved[] = {RDI, RSI, RDX, RCX, R8};
    if (ISA_MODE(in->code) == BPF_IND) {
        x_mov_rr(b, 0, R11, R[in->src_reg]);
        x_alu_ri(b, 0, 0, R11, in->imm);
    } else {
        x_mov_ri(b, 0, R11, in->imm);
    }
    for (int i = 0; i < 5; i++)
        x_push(b, saved[i]);
    x_alu_ri(b, 1, 5, RSP, 8);
    x_mov_rr(b, 1, RDI, R12);
    x_mov_rr(b, 0, RSI, R11);
    x_mov_ri(b, 0, RDX, isa_size_bytes(in->code));
    x_call_abs(b, (const void *)jit_ld_pkt);
    x_alu_ri(b, 1, 0, RSP, 8);
    for (int i = 4; i >= 0; i--)
        x_pop(b, saved[i]);
    x_op_mem(b, 0, 0, 0x83, 7, R12, EX(jit_pkt_oob), 0); /* cmp dword [r12+oob], 0 */
    x_byte(b, 0);
    emit_jump_to(c, CC_NE, c->prev_unwind);
}

static void emit_helper_call(struct jctx *c, bpfvm_helper_fn fn)
{
    x_op_mem(&c->b, 1, 0, 0x89, RBP, R12, EX(cur_fp), 0); /* frame for callbacks */
    x_mov_rr(&c->b, 1, R9, R12);
    x_call_abs(&c->b, (const void *)fn);
}

/* After a helper (which may have called back into the program): stop when a callback failed. */
static void emit_pending_check(struct jctx *c)
{
    x_op_mem(&c->b, 0, 0, 0x83, 7, R12, EX(pending_err), 0); /* cmp dword [r12+pending], 0 */
    x_byte(&c->b, 0);
    emit_jump_to(c, CC_NE, c->prev_unwind);
}

/* The instruction that last wrote BPF register `reg` before the call at pc, when it is in the
 * same basic block (so it surely decides the register's value at the call); NULL when not
 * known. */
static const struct bpfvm_insn *reg_def_at(const struct jctx *c, size_t pc, int reg, size_t *def_pc)
{
    const struct bpfvm_insn *insns = c->prog->insns;
    for (size_t k = pc; k-- > 0;) {
        if (c->is_target[k + 1] || c->is_entry[k + 1])
            return NULL; /* control may reach the call from elsewhere */
        if (c->second_slot[k])
            continue;
        const struct bpfvm_insn *in = &insns[k];
        uint8_t cls = ISA_CLASS(in->code);
        if (cls == BPF_JMP || cls == BPF_JMP32) {
            if (ISA_OP(in->code) == BPF_CALL)
                return NULL;
            continue;
        }
        if ((cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX || in->code == ISA_LDDW) &&
            in->dst_reg == reg) {
            *def_pc = k;
            return in;
        }
        if (cls == BPF_LD && in->code != ISA_LDDW) /* LD_ABS/LD_IND clobber r0-r5 */
            return NULL;
        if (cls == BPF_STX && ISA_MODE(in->code) == BPF_ATOMIC && (in->imm & BPF_FETCH) &&
            (in->src_reg == reg || reg == 0))
            return NULL;
    }
    return NULL;
}

/* The map r1 surely holds at the call at pc: its last write in the same basic block is a lddw
 * of a map pointer.  NULL when not known. */
static struct bpfvm_map *r1_map_at(const struct jctx *c, size_t pc)
{
    size_t k;
    const struct bpfvm_insn *in = reg_def_at(c, pc, 1, &k);
    if (!in || in->code != ISA_LDDW ||
        (in->src_reg != BPF_PSEUDO_MAP_FD && in->src_reg != BPF_PSEUDO_MAP_IDX))
        return NULL;
    return (struct bpfvm_map *)(uintptr_t)c->prog->lddw_value[k];
}

/* Whether `reg` surely holds a constant at the call at pc (a mov of an immediate in the same
 * basic block); its low 32 bits go to *v. */
static bool reg_const32_at(const struct jctx *c, size_t pc, int reg, uint32_t *v)
{
    size_t k;
    const struct bpfvm_insn *in = reg_def_at(c, pc, reg, &k);
    if (!in || (in->code != (BPF_ALU64 | BPF_MOV | BPF_K) && in->code != (BPF_ALU | BPF_MOV | BPF_K)))
        return false;
    *v = (uint32_t)in->imm;
    return true;
}

/* Helper calls compiled in line (unchecked code only: a checked run tests the arguments).
 * Helper ids are the kernel's; bpf_map_lookup_elem is taken to be the map lookup, as
 * everywhere in bpfvm, while bpf_csum_diff is inlined only when it is bpfvm's own. */
static bool array_lookup_inlinable(const struct jctx *c, size_t pc, struct bpfvm_map **map,
                                   char **values, size_t *stride)
{
    const struct bpfvm_insn *in = &c->prog->insns[pc];
    if (c->checked || in->src_reg != 0 || in->imm != 1)
        return false;
    *map = r1_map_at(c, pc);
    return *map && map_array_layout(*map, values, stride) && *stride <= INT32_MAX;
}

static bool csum_diff_inlinable(const struct jctx *c, size_t pc, uint32_t *from_size,
                                uint32_t *to_size)
{
    const struct bpfvm_insn *in = &c->prog->insns[pc];
    return !c->checked && !c->blind && in->src_reg == 0 && in->imm == JIT_CSUM_DIFF_HELPER &&
           vm_helper_fn(c->prog->vm, JIT_CSUM_DIFF_HELPER) == helper_csum_diff &&
           reg_const32_at(c, pc, 2, from_size) && reg_const32_at(c, pc, 4, to_size) &&
           *from_size <= X86_CSUM_MAX && *to_size <= X86_CSUM_MAX;
}

/* bpf_map_lookup_elem on a map known when compiling, not per-CPU (the slot is the run's):
 * what the helper does for unchecked code is calling the map's lookup, so call it directly. */
static const void *map_lookup_callable(const struct jctx *c, size_t pc)
{
    const struct bpfvm_insn *in = &c->prog->insns[pc];
    if (c->checked || in->src_reg != 0 || in->imm != 1 ||
        vm_helper_fn(c->prog->vm, 1) != helper_map_lookup_elem)
        return NULL;
    struct bpfvm_map *m = r1_map_at(c, pc);
    if (!m || m->ops->percpu || !m->ops->lookup || !((HELPERS_MAPS_LOOKUP >> (m->type & 63)) & 1))
        return NULL;
    return (const void *)m->ops->lookup;
}

/* Calls that need no run state: inlined, or a direct call of a map's lookup. */
static bool call_inlinable(const struct jctx *c, size_t pc, bool *calls_c)
{
    struct bpfvm_map *m;
    char *values;
    size_t stride;
    uint32_t fs, ts;
    if (array_lookup_inlinable(c, pc, &m, &values, &stride) || csum_diff_inlinable(c, pc, &fs, &ts))
        return true;
    if (!map_lookup_callable(c, pc))
        return false;
    *calls_c = true;
    return true;
}

/* bpf_map_lookup_elem on a plain ARRAY, inlined as Linux does:
 *   r0 = key < max_entries ? values + key * stride : NULL   (key = *(u32 *)r2) */
static bool emit_array_lookup(struct jctx *c, size_t pc)
{
    struct bpfvm_map *m;
    char *values;
    size_t stride;
    if (!array_lookup_inlinable(c, pc, &m, &values, &stride))
        return false;
    struct x86_buf *b = &c->b;
    x_op_mem(b, 0, 0, 0x8b, R11, RSI, 0, 0); /* mov r11d, [rsi] */
    x_rex(b, 0, 0, 0, R11, 0);               /* cmp r11d, max_entries */
    x_byte(b, 0x81);
    x_modrm_rr(b, 7, R11);
    x_u32(b, m->max_entries);
    size_t null = jcc8_fwd(b, CC_AE);
    if (stride && !(stride & (stride - 1))) {
        int sh = __builtin_ctzll(stride);
        if (sh)
            x_shift_ri(b, 1, 4, R11, (uint8_t)sh);
    } else {
        x_rex(b, 1, R11, 0, R11, 0); /* imul r11, r11, stride */
        x_byte(b, 0x69);
        x_modrm_rr(b, R11, R11);
        x_u32(b, (uint32_t)stride);
    }
    x_mov_ri64(b, RAX, (uint64_t)(uintptr_t)values);
    x_op_rr(b, 1, 0x01, RAX, R11);
    size_t done = jcc8_fwd(b, -1);
    patch8(b, null);
    x_mov_ri(b, 0, RAX, 0);
    patch8(b, done);
    return true;
}

/* bpf_tail_call: remember r1; when the helper accepted, leave through the unwind stub and
 * let the caller continue with the next program. */
static void emit_tail_call(struct jctx *c, bpfvm_helper_fn fn)
{
    struct x86_buf *b = &c->b;
    x_op_mem(b, 1, 0, 0x89, RDI, R12, EX(tail_ctx), 0);
    emit_helper_call(c, fn);
    x_op_mem(b, 1, 0, 0x83, 7, R12, EX(tail_next), 0); /* cmp qword [r12+tail_next], 0 */
    x_byte(b, 0);
    size_t none = jcc8_fwd(b, CC_E);
    x_op_mem(b, 0, 0, 0xc7, 0, R12, EX(jit_fault), 0);
    x_u32(b, EXEC_FAULT_TAIL);
    emit_jump_to(c, -1, c->prev_unwind);
    patch8(b, none);
}

static void emit_callx(struct jctx *c, size_t pc, const struct bpfvm_insn *in)
{
    struct x86_buf *b = &c->b;
    int d = R[in->dst_reg];
    size_t done[64];
    int ndone = 0;
    /* a function pointer made by lddw BPF_PSEUDO_FUNC: compare with each possible target */
    for (size_t t = 0; t < c->cnt && ndone < 64; t++) {
        if (!c->is_entry[t] || t == 0)
            continue;
        x_mov_ri64(b, R11, (uint64_t)(uintptr_t)&c->prog->insns[t]);
        x_op_rr(b, 1, 0x39, d, R11);
        size_t next = jcc8_fwd(b, CC_NE);
        emit_call_rel(c, c->prev_entry[t]);
        done[ndone++] = jcc32_fwd(b, -1);
        patch8(b, next);
    }
    /* else a helper id */
    x_op_mem(b, 1, 0, 0x89, d, R12, EX(jit_callx_value), 0);
    emit_helper_call(c, jit_callx_helper);
    emit_pending_check(c);
    x_op_mem(b, 0, 0, 0x83, 7, R12, EX(jit_fault), 0);
    x_byte(b, 0);
    size_t ok = jcc8_fwd(b, CC_E);
    x_op_mem(b, 1, 0, 0xc7, 0, R12, EX(fault_pc), 0);
    x_u32(b, (uint32_t)pc);
    emit_jump_to(c, -1, c->prev_unwind);
    patch8(b, ok);
    for (int i = 0; i < ndone; i++)
        patch32(b, done[i]);
}

/* The entry's frame (main prologue, trampoline, unwind stub): push the save set, remember
 * the stack pointer for unwinding, align. */
static void emit_entry_frame(struct jctx *c)
{
    struct x86_buf *b = &c->b;
    for (int i = 0; i < c->nsaved; i++)
        x_push(b, c->saved[i]);
    x_mov_rr(b, 1, R12, R9);
    x_op_mem(b, 1, 0, 0x89, RSP, R12, EX(jit_entry_rsp), 0);
    if (c->pad)
        x_alu_ri(b, 1, 5, RSP, c->pad); /* keep rsp 16-byte aligned for calls */
}

static void emit_entry_restore(struct jctx *c)
{
    for (int i = c->nsaved - 1; i >= 0; i--)
        x_pop(&c->b, c->saved[i]);
    x_byte(&c->b, 0xc3);
}

static void emit_prologue(struct jctx *c, bool main_fn)
{
    struct x86_buf *b = &c->b;
    if (main_fn && c->direct_mode) {
        /* a plain function: save the used callee-saved registers, a BPF stack only if used */
        for (int i = 0; i < c->nsaved; i++)
            if (c->saved[i] != R12 && (c->saved[i] != RBP || c->uses_r10))
                x_push(b, c->saved[i]);
        if (c->uses_r10) {
            x_alu_ri(b, 1, 5, RSP, ISA_STACK_SIZE + c->direct_pad);
            x_op_mem(b, 1, 0, 0x8d, RBP, RSP, ISA_STACK_SIZE, 0); /* lea rbp, [rsp + 512] */
        } else if (c->direct_calls && c->direct_pad) {
            x_alu_ri(b, 1, 5, RSP, c->direct_pad);
        }
        return;
    }
    if (main_fn) {
        emit_entry_frame(c);
        x_op_mem(b, 1, 0, 0x8b, RBP, R12, EX(stack_hi), 0);
        if (c->checked) { /* unverified code may read registers it never set: make them 0 */
            x_mov_ri(b, 0, RAX, 0);
            for (int i = 1; i < c->nsaved - 1; i++)
                x_mov_ri(b, 0, c->saved[i], 0);
        }
        return;
    }
    x_push(b, RBP);
    x_push(b, RBX);
    x_push(b, R13);
    x_push(b, R14);
    x_push(b, R15);
    {
        x_op_mem(b, 0, 0, 0x83, 0, R12, EX(jit_depth), 0); /* add dword [r12+depth], 1 */
        x_byte(b, 1);
        x_op_mem(b, 0, 0, 0x83, 7, R12, EX(jit_depth), 0); /* cmp dword [r12+depth], 8 */
        x_byte(b, ISA_MAX_FRAMES);
        size_t ok = jcc8_fwd(b, CC_L);
        x_op_mem(b, 1, 0, 0xc7, 0, R12, EX(fault_pc), 0);
        x_u32(b, 0);
        x_op_mem(b, 0, 0, 0xc7, 0, R12, EX(jit_fault), 0);
        x_u32(b, EXEC_FAULT_DEPTH);
        emit_jump_to(c, -1, c->prev_unwind);
        patch8(b, ok);
        x_alu_ri(b, 1, 5, RBP, ISA_STACK_SIZE);
    }
}

static void emit_exit(struct jctx *c, bool main_fn)
{
    struct x86_buf *b = &c->b;
    if (main_fn && c->direct_mode) {
        if (c->uses_r10)
            x_alu_ri(b, 1, 0, RSP, ISA_STACK_SIZE + c->direct_pad);
        else if (c->direct_calls && c->direct_pad)
            x_alu_ri(b, 1, 0, RSP, c->direct_pad);
        for (int i = c->nsaved - 1; i >= 0; i--)
            if (c->saved[i] != R12 && (c->saved[i] != RBP || c->uses_r10))
                x_pop(b, c->saved[i]);
        x_byte(b, 0xc3);
        return;
    }
    if (main_fn) {
        if (c->pad)
            x_alu_ri(b, 1, 0, RSP, c->pad);
        emit_entry_restore(c);
        return;
    }
    {
        x_op_mem(b, 0, 0, 0x83, 5, R12, EX(jit_depth), 0); /* sub dword [r12+depth], 1 */
        x_byte(b, 1);
    }
    x_pop(b, R15);
    x_pop(b, R14);
    x_pop(b, R13);
    x_pop(b, RBX);
    x_pop(b, RBP);
    x_byte(b, 0xc3);
}

static void emit_stubs(struct jctx *c)
{
    struct x86_buf *b = &c->b;
    if (c->direct_mode) {
        c->unwind = c->memchk = c->tramp = c->direct = (uint32_t)b->len;
        return;
    }
    /* unwind: back to the entry's stack, r0 = 0, restore and return */
    c->unwind = (uint32_t)b->len;
    x_op_mem(b, 1, 0, 0x8b, RSP, R12, EX(jit_entry_rsp), 0);
    x_mov_ri(b, 0, RAX, 0);
    emit_entry_restore(c);
    /* trampoline for callbacks from helpers: like the entry, then call the function whose
     * prologue st->callback_target holds, with rbp = the helper caller's frame */
    c->tramp = (uint32_t)b->len;
    emit_entry_frame(c);
    x_op_mem(b, 1, 0, 0x8b, RBP, R12, EX(cur_fp), 0);
    x_op_mem(b, 0, 0, 0xff, 2, R12, EX(callback_target), 0); /* call [r12+target] */
    if (c->pad)
        x_alu_ri(b, 1, 0, RSP, c->pad);
    emit_entry_restore(c);
    /* direct entry: a run state on the native stack with only what the code reads (stack_hi,
     * and room for the entry's saved stack pointer), the 512-byte BPF stack above it, then the
     * ordinary entry.  Only for programs that call nothing and cannot fault. */
    c->direct = (uint32_t)b->len;
    if (c->direct_ok) {
        /* the stand-in run state only needs the fields the entry touches */
        size_t used = (size_t)(EX(stack_hi) > EX(jit_entry_rsp) ? EX(stack_hi) : EX(jit_entry_rsp)) + 8;
        int32_t frame = (int32_t)((used + ISA_STACK_SIZE + 15) & ~(size_t)15);
        x_push(b, RBP);
        x_mov_rr(b, 1, RBP, RSP);
        x_alu_ri(b, 1, 5, RSP, frame);
        x_mov_rr(b, 1, R9, RSP);
        x_op_mem(b, 1, 0, 0x8d, R10, RSP, frame, 0); /* lea r10, [rsp + frame]: stack top */
        x_op_mem(b, 1, 0, 0x89, R10, R9, EX(stack_hi), 0);
        emit_call_rel(c, c->prev_entry[0]);
        x_byte(b, 0xc9); /* leave */
        x_byte(b, 0xc3);
    }
    /* memory check slow path: r11 = address, r10 = info */
    c->memchk = (uint32_t)b->len;
    if (c->checked) {
        static const uint8_t saved[] = {RAX, RDI, RSI, RDX, RCX, R8, R11};
        for (int i = 0; i < 7; i++)
            x_push(b, saved[i]);
        x_mov_rr(b, 1, RDI, R12);
        x_mov_rr(b, 1, RSI, R11);
        x_mov_rr(b, 1, RDX, R10);
        x_call_abs(b, (const void *)jit_mem_check);
        x_op_rr(b, 0, 0x85, RAX, RAX);
        emit_jump_to(c, CC_E, c->prev_unwind);
        for (int i = 6; i >= 0; i--)
            x_pop(b, saved[i]);
        x_byte(b, 0xc3);
    }
}

/* One pass over the program.  Returns 0 or -ENOTSUP. */
static int emit_program(struct jctx *c, char *err, size_t errlen)
{
    const struct bpfvm_insn *insns = c->prog->insns;
    struct x86_buf *b = &c->b;
    b->len = 0;
    c->blind_state = c->blind_seed;
    for (size_t pc = 0; pc < c->cnt; pc++) {
        const struct bpfvm_insn *in = &insns[pc];
        bool main_fn = c->func_of[pc] == 0;
        if (c->is_entry[pc]) {
            c->entry[pc] = (uint32_t)b->len;
            emit_prologue(c, pc == 0);
        }
        c->addr[pc] = (uint32_t)b->len;
        uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
        switch (cls) {
        case BPF_ALU:
        case BPF_ALU64:
            if (emit_alu(c, in))
                return vm_errorf(err, errlen, ENOTSUP, "pc %zu: opcode 0x%02x", pc, in->code);
            break;
        case BPF_JMP:
        case BPF_JMP32:
            if (op == BPF_JA) {
                int64_t rel = cls == BPF_JMP32 ? in->imm : in->off;
                if (rel)
                    emit_jump_to(c, -1, slot_addr(c, pc, (size_t)((int64_t)pc + 1 + rel)));
            } else if (op == BPF_EXIT) {
                emit_exit(c, main_fn);
            } else if (op == BPF_CALL && ISA_SRC(in->code) == BPF_X) {
                emit_callx(c, pc, in);
            } else if (op == BPF_CALL && in->src_reg == BPF_PSEUDO_CALL) {
                emit_call_rel(c, c->prev_entry[pc + 1 + (size_t)(int64_t)in->imm]);
            } else if (op == BPF_CALL && in->imm == EXEC_TAIL_CALL_HELPER) {
                emit_tail_call(c, vm_helper_fn(c->prog->vm, (uint32_t)in->imm));
            } else if (op == BPF_CALL) {
                uint32_t fs, ts;
                if (emit_array_lookup(c, pc))
                    break;
                if (csum_diff_inlinable(c, pc, &fs, &ts)) {
                    x86_emit_csum_diff(b, fs, ts);
                    break;
                }
                const void *lookup = map_lookup_callable(c, pc);
                if (lookup) { /* lookup(map = r1, key = r2, slot 0) */
                    x_op_rr(b, 0, 0x31, RDX, RDX);
                    x_call_abs(b, lookup);
                    break;
                }
                emit_helper_call(c, vm_helper_fn(c->prog->vm, (uint32_t)in->imm));
                emit_pending_check(c);
            } else if (op == BPF_JCOND) {
                x_op_mem(b, 1, 0, 0x83, 7, R12, EX(may_goto_left), 0);
                x_byte(b, 0);
                emit_jump_to(c, CC_E, slot_addr(c, pc, pc + 1 + (size_t)(int64_t)in->off));
                x_op_mem(b, 1, 0, 0x83, 5, R12, EX(may_goto_left), 0);
                x_byte(b, 1);
            } else {
                emit_cond_jump(c, pc, in);
            }
            break;
        case BPF_LDX:
            emit_load(c, pc, in, in->src_reg, ISA_MODE(in->code) == BPF_MEMSX);
            break;
        case BPF_ST:
            emit_store(c, pc, in, false);
            break;
        case BPF_STX:
            if (ISA_MODE(in->code) == BPF_ATOMIC)
                emit_atomic(c, pc, in);
            else
                emit_store(c, pc, in, true);
            break;
        case BPF_LD:
            if (in->code == ISA_LDDW) {
                if (c->blind)
                    blind_imm64(c, R[in->dst_reg], c->prog->lddw_value[pc]);
                else
                    x_mov_ri64(b, R[in->dst_reg], c->prog->lddw_value[pc]);
                c->addr[++pc] = (uint32_t)b->len;
            } else {
                emit_ld_pkt(c, in);
            }
            break;
        }
    }
    c->addr[c->cnt] = (uint32_t)b->len;
    emit_fault(c, c->cnt, EXEC_FAULT_FALLOFF);
    emit_stubs(c);
    return 0;
}

/* Subprogram entries (pc 0, call targets, function pointers) and which function owns each
 * slot; jumps may not leave their function (unverified code could, the interpreter runs it). */
static int find_functions(struct jctx *c, char *err, size_t errlen)
{
    const struct bpfvm_insn *insns = c->prog->insns;
    c->is_entry[0] = true;
    for (size_t pc = 0; pc < c->cnt; pc++) {
        const struct bpfvm_insn *in = &insns[pc];
        size_t t = pc + 1 + (size_t)(int64_t)in->imm;
        bool call = in->code == ISA_CALL && in->src_reg == BPF_PSEUDO_CALL;
        bool func = in->code == ISA_LDDW && in->src_reg == BPF_PSEUDO_FUNC;
        if ((call || func) && t == 0)
            return vm_errorf(err, errlen, ENOTSUP,
                             "pc %zu: calls the main function (recursion); not compiled", pc);
        if (call || func)
            c->is_entry[t] = true;
        if (in->code == ISA_LDDW)
            pc++;
    }
    int f = -1;
    c->direct_ok = !c->checked;
    for (size_t pc = 0; pc < c->cnt; pc++) {
        const struct bpfvm_insn *in = &insns[pc];
        uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
        if (c->is_entry[pc])
            f++;
        c->func_of[pc] = f;
        /* anything that reaches the run state: calls (but inlined array lookups, decided
         * below), legacy packet loads, may_goto */
        if (((cls == BPF_JMP || cls == BPF_JMP32) && (op == BPF_JCOND || (op == BPF_CALL && in->code != ISA_CALL))) ||
            (cls == BPF_LD && in->code != ISA_LDDW))
            c->direct_ok = false;
        if (in->code == ISA_LDDW) /* its second slot is part of it, not a packet load */
            c->func_of[++pc] = f;
    }
    for (size_t pc = 0; pc < c->cnt; pc++) {
        const struct bpfvm_insn *in = &insns[pc];
        uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
        if (in->code == ISA_LDDW) {
            c->second_slot[++pc] = true;
            continue;
        }
        if ((cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT)
            continue;
        int64_t rel = (cls == BPF_JMP32 && op == BPF_JA) ? in->imm : in->off;
        size_t t = (size_t)((int64_t)pc + 1 + rel);
        c->is_target[t] = true;
        if (c->func_of[t] != c->func_of[pc])
            return vm_errorf(err, errlen, ENOTSUP,
                             "pc %zu: jump into another function (pc %zu); the JIT compiles "
                             "functions separately", pc, t);
    }
    return 0;
}

/* The entry's save set: rbp (r10) and r12 (the run state) always, rbx/r13/r14/r15 when the
 * program uses r6-r9 (subprograms save their own). */
static void choose_saved(struct jctx *c)
{
    static const uint8_t r6_9[4] = {RBX, R13, R14, R15};
    bool used[4] = {false, false, false, false};
    for (size_t pc = 0; pc < c->cnt; pc++) {
        const struct bpfvm_insn *in = &c->prog->insns[pc];
        if (in->dst_reg >= 6 && in->dst_reg <= 9)
            used[in->dst_reg - 6] = true;
        if (in->src_reg >= 6 && in->src_reg <= 9)
            used[in->src_reg - 6] = true;
    }
    c->nsaved = 0;
    c->saved[c->nsaved++] = RBP;
    for (int i = 0; i < 4; i++)
        if (used[i] || c->checked)
            c->saved[c->nsaved++] = r6_9[i];
    c->saved[c->nsaved++] = R12;
    c->pad = (c->nsaved + 1) % 2 ? 8 : 0; /* return address + pushes + pad = 0 mod 16 */
    for (size_t pc = 0; pc < c->cnt; pc++)
        if (c->prog->insns[pc].dst_reg == 10 || c->prog->insns[pc].src_reg == 10)
            c->uses_r10 = true;
    /* the direct copy pushes the save set without r12 (and rbp only with a stack) */
    int npush = c->nsaved - 1 - (c->uses_r10 ? 0 : 1);
    c->direct_pad = (npush + 1) % 2 ? 8 : 0;
}

bool jit_available(void) { return true; }

/* Lay out and emit the program: size passes until stable, then the final pass into fresh
 * pages, sealed read+execute.  The code's mapping goes to *mem / *map_size. */
static int build(struct jctx *c, void **mem, size_t *map_size, char *err, size_t errlen)
{
    size_t n = c->cnt + 1;
    int rc;
    for (size_t i = 0; i < n; i++)
        c->prev_addr[i] = c->prev_entry[i] = UNKNOWN_ADDR;
    c->prev_unwind = c->prev_memchk = c->prev_direct = UNKNOWN_ADDR;
    c->b = (struct x86_buf){0};
    bool stable = false;
    for (int pass = 0; pass < 32 && !stable; pass++) {
        if ((rc = emit_program(c, err, errlen)))
            return rc;
        stable = pass > 0 && c->unwind == c->prev_unwind && c->memchk == c->prev_memchk &&
                 c->direct == c->prev_direct &&
                 !memcmp(c->addr, c->prev_addr, n * sizeof(uint32_t)) &&
                 !memcmp(c->entry, c->prev_entry, n * sizeof(uint32_t));
        memcpy(c->prev_addr, c->addr, n * sizeof(uint32_t));
        memcpy(c->prev_entry, c->entry, n * sizeof(uint32_t));
        c->prev_unwind = c->unwind;
        c->prev_memchk = c->memchk;
        c->prev_direct = c->direct;
    }
    if (!stable)
        return vm_errorf(err, errlen, ENOTSUP, "JIT layout did not converge");
    size_t size = c->b.len;
    if (!(*mem = jit_mem_alloc(size, map_size)))
        return vm_errorf(err, errlen, ENOMEM, "cannot map %zu bytes for JIT code", size);
    c->b.p = *mem;
    c->b.cap = size;
    if ((rc = emit_program(c, err, errlen)))
        return rc;
    if (c->b.len != size || memcmp(c->addr, c->prev_addr, n * sizeof(uint32_t)))
        return vm_errorf(err, errlen, ENOTSUP, "JIT layout changed in the final pass");
    if (jit_mem_seal(*mem, *map_size))
        return vm_errorf(err, errlen, ENOMEM, "cannot make JIT code executable");
    return 0;
}

int jit_compile(struct bpfvm_prog *prog, char *err, size_t errlen)
{
    struct jctx c = {.prog = prog, .cnt = prog->cnt, .checked = (prog->flags & BPFVM_LOAD_CHECKED) != 0,
                     .blind = (prog->flags & BPFVM_LOAD_BLIND) != 0};
    if (c.blind && getrandom(&c.blind_seed, sizeof(c.blind_seed), 0) != sizeof(c.blind_seed))
        c.blind_seed = (uint64_t)(uintptr_t)&c ^ (uint64_t)time(NULL);
    size_t n = prog->cnt + 1;
    int rc = -ENOMEM;
    c.addr = calloc(n, sizeof(uint32_t));
    c.entry = calloc(n, sizeof(uint32_t));
    c.prev_addr = malloc(n * sizeof(uint32_t));
    c.prev_entry = malloc(n * sizeof(uint32_t));
    c.func_of = calloc(n, sizeof(int));
    c.is_entry = calloc(n, sizeof(bool));
    c.is_target = calloc(n, sizeof(bool));
    c.second_slot = calloc(n, sizeof(bool));
    struct jit_code *code = calloc(1, sizeof(*code));
    if (!c.addr || !c.entry || !c.prev_addr || !c.prev_entry || !c.func_of || !c.is_entry ||
        !c.is_target || !c.second_slot || !code) {
        vm_errorf(err, errlen, ENOMEM, "out of memory compiling");
        goto out;
    }
    if ((rc = find_functions(&c, err, errlen)))
        goto out;
    for (size_t pc = 0; pc < c.cnt && c.direct_ok; pc++) /* only inlined calls stay direct */
        if (prog->insns[pc].code == ISA_CALL && !call_inlinable(&c, pc, &c.direct_calls))
            c.direct_ok = false;
    choose_saved(&c);
    if ((rc = build(&c, &code->mem, &code->map_size, err, errlen)))
        goto out;
    code->code_size = c.b.len;
    code->tramp_off = c.tramp;
    code->direct_off = c.direct_ok ? c.direct : UINT32_MAX;
    if (!(code->entry_off = malloc(n * sizeof(uint32_t))) || !(code->insn_off = malloc(n * sizeof(uint32_t)))) {
        rc = vm_errorf(err, errlen, ENOMEM, "out of memory compiling");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        code->entry_off[i] = i < prog->cnt && c.is_entry[i] && i ? c.entry[i] : UINT32_MAX;
    memcpy(code->insn_off, c.addr, n * sizeof(uint32_t));
    code->cnt = prog->cnt;
    /* programs that need no run state also get a copy compiled to be called directly:
     * no run-state register, a frame only when r10 is used */
    const struct bpfvm_insn *last = &prog->insns[prog->cnt - 1];
    if (c.direct_ok && (last->code == ISA_EXIT || last->code == ISA_JA || last->code == ISA_JA32)) {
        c.direct_mode = true;
        if (build(&c, &code->direct_mem, &code->direct_map_size, err, errlen) == 0 &&
            (code->direct_insn_off = malloc(n * sizeof(uint32_t)))) {
            code->direct_off = 0;
            code->direct_code_size = c.b.len;
            memcpy(code->direct_insn_off, c.addr, n * sizeof(uint32_t));
        } else {
            jit_mem_free(code->direct_mem, code->direct_map_size); /* the stub in the */
            code->direct_mem = NULL;                               /* ordinary code works */
            err[0] = 0;
        }
    }
    prog->jit = code;
    code = NULL;
    rc = 0;
out:
    jit_free(code);
    free(c.addr);
    free(c.entry);
    free(c.prev_addr);
    free(c.prev_entry);
    free(c.func_of);
    free(c.is_entry);
    free(c.is_target);
    free(c.second_slot);
    return rc;
}

int jit_run(struct bpfvm_exec *st, uint64_t *r0)
{
    jit_entry_fn fn = jit_entry(st->prog->jit);
    uint64_t v = fn(st->args[0], st->args[1], st->args[2], st->args[3], st->args[4], st);
    return jit_result(st, v, r0);
}

int jit_call_function(struct bpfvm_exec *st, size_t pc, uint64_t *r0)
{
    const struct jit_code *code = st->prog->jit;
    if (pc >= code->cnt || code->entry_off[pc] == UINT32_MAX)
        return -EINVAL;
    st->callback_target = (uintptr_t)code->mem + code->entry_off[pc];
    jit_entry_fn fn = (jit_entry_fn)(void *)((uint8_t *)code->mem + code->tramp_off);
    uint64_t v = fn(st->args[0], st->args[1], st->args[2], st->args[3], st->args[4], st);
    return jit_result(st, v, r0);
}

/* The outcome of native code: r0, or the fault it recorded as a message. */
int jit_result(struct bpfvm_exec *st, uint64_t v, uint64_t *r0)
{
    struct bpfvm_exec_opts *opts = st->opts;
    if (st->pending_err && !st->jit_fault)
        return st->pending_err;
    if (st->jit_pkt_oob && !st->jit_fault) {
        *r0 = 0;
        return 0;
    }
    switch (st->jit_fault) {
    case EXEC_FAULT_NONE:
        *r0 = v;
        return 0;
    case EXEC_FAULT_MEM:
        opts->fault_pc = st->fault_pc;
        return vm_errorf(opts->errbuf, opts->errbuf_len, EFAULT, "pc %ld: invalid %s of %d bytes at 0x%llx",
                         st->fault_pc, st->fault_write ? "write" : "read", st->fault_size,
                         (unsigned long long)st->fault_addr);
    case EXEC_FAULT_ALIGN:
        opts->fault_pc = st->fault_pc;
        return vm_errorf(opts->errbuf, opts->errbuf_len, EFAULT,
                         "pc %ld: misaligned atomic access of %d bytes at 0x%llx", st->fault_pc,
                         st->fault_size, (unsigned long long)st->fault_addr);
    case EXEC_FAULT_DEPTH:
        return vm_errorf(opts->errbuf, opts->errbuf_len, E2BIG, "call nests deeper than %d frames",
                         ISA_MAX_FRAMES);
    case EXEC_FAULT_FALLOFF:
        opts->fault_pc = st->fault_pc;
        return vm_errorf(opts->errbuf, opts->errbuf_len, EINVAL,
                         "pc %ld: fell off the end of the program", st->fault_pc);
    case EXEC_FAULT_CALLX:
        opts->fault_pc = st->fault_pc;
        return vm_errorf(opts->errbuf, opts->errbuf_len, EINVAL,
                         "pc %ld: callx value 0x%llx is neither a helper nor a function", st->fault_pc,
                         (unsigned long long)st->jit_callx_value);
    case EXEC_FAULT_TAIL:
        st->jit_fault = EXEC_FAULT_NONE;
        return EXEC_TAIL;
    default:
        return vm_errorf(opts->errbuf, opts->errbuf_len, EINVAL, "run stopped (fault %d)", st->jit_fault);
    }
}

#else /* not x86-64 */

bool jit_available(void) { return false; }
int jit_compile(struct bpfvm_prog *prog, char *err, size_t errlen)
{
    return vm_errorf(err, errlen, ENOTSUP, "no JIT for this CPU");
}
int jit_run(struct bpfvm_exec *st, uint64_t *r0)
{
    return -ENOTSUP;
}
int jit_call_function(struct bpfvm_exec *st, size_t pc, uint64_t *r0)
{
    return -ENOTSUP;
}
int jit_result(struct bpfvm_exec *st, uint64_t v, uint64_t *r0)
{
    return -ENOTSUP;
}

#endif

void jit_free(struct jit_code *code)
{
    if (!code)
        return;
    jit_mem_free(code->mem, code->map_size);
    jit_mem_free(code->direct_mem, code->direct_map_size);
    free(code->insn_off);
    free(code->direct_insn_off);
    free(code->entry_off);
    free(code);
}
