/* check_alu.c - ALU and ALU64 instructions: scalar arithmetic on tnums and signed/unsigned
 * bounds (32-bit results zero-extended), pointer arithmetic (what Linux allows, with its
 * messages), register moves that keep scalar copies linked for branch refinement. */
#include <errno.h>
#include <string.h>

#include "verifier/verifier.h"

#define U32MAX 0xffffffffULL
#define MAX_VAR_OFF (1LL << 29)

static const char *const op_str[16] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=",
                                       "neg", "%=", "^=", "=", "s>>=", "endian", "?", "?"};

int verifier_check_reg_read(struct venv *env, int regno)
{
    if (regno < 0 || regno >= ISA_NREGS)
        return verifier_err(env, EINVAL, "R%d is invalid", regno);
    if (cur_regs(env)[regno].type == VREG_NOT_INIT)
        return verifier_err(env, EACCES, "R%d !read_ok", regno);
    return 0;
}

/* The ISA's result for known operands. */
static uint64_t alu_eval(uint8_t op, uint64_t a, uint64_t b, bool is64, bool sdiv)
{
    if (!is64) {
        uint32_t x = (uint32_t)a, y = (uint32_t)b, r = 0;
        switch (op) {
        case BPF_ADD: r = x + y; break;
        case BPF_SUB: r = x - y; break;
        case BPF_MUL: r = x * y; break;
        case BPF_DIV:
            if (sdiv)
                r = !y ? 0 : ((int32_t)x == INT32_MIN && (int32_t)y == -1) ? x : (uint32_t)((int32_t)x / (int32_t)y);
            else
                r = y ? x / y : 0;
            break;
        case BPF_MOD:
            if (sdiv)
                r = !y ? x : ((int32_t)y == -1) ? 0 : (uint32_t)((int32_t)x % (int32_t)y);
            else
                r = y ? x % y : x;
            break;
        case BPF_OR: r = x | y; break;
        case BPF_AND: r = x & y; break;
        case BPF_XOR: r = x ^ y; break;
        case BPF_LSH: r = x << (y & 31); break;
        case BPF_RSH: r = x >> (y & 31); break;
        case BPF_ARSH: r = (uint32_t)((int32_t)x >> (y & 31)); break;
        }
        return r;
    }
    switch (op) {
    case BPF_ADD: return a + b;
    case BPF_SUB: return a - b;
    case BPF_MUL: return a * b;
    case BPF_DIV:
        if (sdiv)
            return !b ? 0 : ((int64_t)a == INT64_MIN && (int64_t)b == -1) ? a : (uint64_t)((int64_t)a / (int64_t)b);
        return b ? a / b : 0;
    case BPF_MOD:
        if (sdiv)
            return !b ? a : ((int64_t)b == -1) ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
        return b ? a % b : a;
    case BPF_OR: return a | b;
    case BPF_AND: return a & b;
    case BPF_XOR: return a ^ b;
    case BPF_LSH: return a << (b & 63);
    case BPF_RSH: return a >> (b & 63);
    case BPF_ARSH: return (uint64_t)((int64_t)a >> (b & 63));
    }
    return 0;
}

static void set_unsigned(struct vreg *r, uint64_t lo, uint64_t hi)
{
    r->umin = lo;
    r->umax = hi;
}

/* 64-bit scalar operation on abstract values (not both constant). */
static void scalar_op64(struct vreg *d, const struct vreg *s, uint8_t op, bool sdiv)
{
    struct tnum t = tnum_unknown();
    uint64_t u1, u2;
    int64_t s1, s2;
    struct vreg r;
    if (op == BPF_MOD && !sdiv && tnum_is_const(s->var_off) &&
        (!s->var_off.value || d->umax < s->var_off.value)) {
        d->id = 0; /* x % 0 == x, and x % c == x for x < c */
        return;
    }
    reg_mark_unknown(&r);
    switch (op) {
    case BPF_ADD:
        t = tnum_add(d->var_off, s->var_off);
        if (!__builtin_add_overflow(d->smin, s->smin, &s1) && !__builtin_add_overflow(d->smax, s->smax, &s2)) {
            r.smin = s1;
            r.smax = s2;
        }
        if (!__builtin_add_overflow(d->umin, s->umin, &u1) && !__builtin_add_overflow(d->umax, s->umax, &u2))
            set_unsigned(&r, u1, u2);
        break;
    case BPF_SUB:
        t = tnum_sub(d->var_off, s->var_off);
        if (!__builtin_sub_overflow(d->smin, s->smax, &s1) && !__builtin_sub_overflow(d->smax, s->smin, &s2)) {
            r.smin = s1;
            r.smax = s2;
        }
        if (d->umin >= s->umax)
            set_unsigned(&r, d->umin - s->umax, d->umax - s->umin);
        break;
    case BPF_MUL:
        t = tnum_mul(d->var_off, s->var_off);
        if (!__builtin_mul_overflow(d->umax, s->umax, &u2))
            set_unsigned(&r, d->umin * s->umin, u2);
        if (d->smin >= 0 && s->smin >= 0 && !__builtin_mul_overflow(d->smax, s->smax, &s2)) {
            r.smin = d->smin * s->smin;
            r.smax = s2;
        }
        break;
    case BPF_DIV:
        if (sdiv)
            break;
        if (tnum_is_const(s->var_off)) {
            uint64_t c = s->var_off.value;
            if (!c)
                set_unsigned(&r, 0, 0);
            else
                set_unsigned(&r, d->umin / c, d->umax / c);
        } else {
            set_unsigned(&r, 0, d->umax);
        }
        break;
    case BPF_MOD:
        if (sdiv)
            break;
        if (tnum_is_const(s->var_off))
            set_unsigned(&r, 0, s->var_off.value - 1 < d->umax ? s->var_off.value - 1 : d->umax);
        else
            set_unsigned(&r, 0, d->umax);
        break;
    case BPF_AND:
        t = tnum_and(d->var_off, s->var_off);
        set_unsigned(&r, t.value, d->umax < s->umax ? d->umax : s->umax);
        break;
    case BPF_OR:
        t = tnum_or(d->var_off, s->var_off);
        set_unsigned(&r, d->umin > s->umin ? d->umin : s->umin, t.value | t.mask);
        break;
    case BPF_XOR:
        t = tnum_xor(d->var_off, s->var_off);
        set_unsigned(&r, t.value, t.value | t.mask);
        break;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH:
        if (!tnum_is_const(s->var_off))
            break;
        {
            unsigned c = (unsigned)(s->var_off.value & 63);
            if (op == BPF_LSH) {
                t = tnum_lshift(d->var_off, c);
                if (c == 0 || (d->umax >> (64 - c)) == 0)
                    set_unsigned(&r, d->umin << c, d->umax << c);
            } else if (op == BPF_RSH) {
                t = tnum_rshift(d->var_off, c);
                set_unsigned(&r, d->umin >> c, d->umax >> c);
            } else {
                t = tnum_arshift(d->var_off, c, 64);
                r.smin = d->smin >> c;
                r.smax = d->smax >> c;
            }
        }
        break;
    }
    r.var_off = tnum_intersect(r.var_off, t);
    r.id = 0;
    *d = r;
    reg_bounds_sync(d);
}

/* The low 32 bits of r as a zero-extended scalar. */
static struct vreg view32(const struct vreg *r)
{
    struct vreg v;
    reg_mark_unknown(&v);
    v.var_off = tnum_subreg(r->var_off);
    if ((r->umin >> 32) == (r->umax >> 32))
        set_unsigned(&v, r->umin & U32MAX, r->umax & U32MAX);
    else if ((r->smin >> 32) == (r->smax >> 32))
        set_unsigned(&v, (uint64_t)r->smin & U32MAX, (uint64_t)r->smax & U32MAX);
    else
        set_unsigned(&v, 0, U32MAX);
    v.smin = (int64_t)v.umin;
    v.smax = (int64_t)v.umax;
    reg_bounds_sync(&v);
    return v;
}

/* Keep the low 32 bits (the 32-bit result, zero-extended). */
void verifier_zext32(struct vreg *r)
{
    struct vreg v = view32(r);
    uint32_t id = r->id;
    *r = v;
    r->id = id;
}

void verifier_scalar_alu(struct vreg *dst, const struct vreg *src, uint8_t op, bool is64)
{
    bool sdiv = false; /* signed div/mod are handled by the caller passing op | 0x100 */
    (void)sdiv;
    if (is64) {
        scalar_op64(dst, src, op, false);
        return;
    }
    struct vreg a = view32(dst), b = view32(src);
    if (op == BPF_ARSH) {
        if (!tnum_is_const(b.var_off)) {
            reg_mark_unknown(dst);
            verifier_zext32(dst);
            return;
        }
        unsigned c = (unsigned)(b.var_off.value & 31);
        if (a.umax <= 0x7fffffff) {
            op = BPF_RSH; /* non-negative as s32: same as a logical shift */
        } else {
            reg_mark_unknown(dst);
            dst->var_off = tnum_arshift(a.var_off, c, 32);
            dst->umax = U32MAX;
            reg_bounds_sync(dst);
            verifier_zext32(dst);
            return;
        }
    }
    if (op == BPF_LSH || op == BPF_RSH) {
        if (tnum_is_const(b.var_off))
            reg_mark_const(&b, b.var_off.value & 31);
    }
    scalar_op64(&a, &b, op, false);
    *dst = a;
    verifier_zext32(dst);
}

static void sign_extend_reg(struct vreg *r, int bits, bool is64)
{
    if (tnum_is_const(r->var_off)) {
        uint64_t v = r->var_off.value;
        int64_t sv = bits == 8 ? (int8_t)v : bits == 16 ? (int16_t)v : (int32_t)v;
        reg_mark_const(r, is64 ? (uint64_t)sv : (uint64_t)(uint32_t)sv);
        return;
    }
    int64_t lo = -(1LL << (bits - 1)), hi = (1LL << (bits - 1)) - 1;
    bool fits = r->smin >= lo && r->smax <= hi;
    if (!fits) {
        /* non-negative values below 2^(bits-1) keep their bounds too */
        if (r->umax <= (uint64_t)hi)
            fits = true;
    }
    if (fits) {
        struct vreg keep = *r;
        keep.id = 0;
        *r = keep;
    } else {
        reg_mark_unknown(r);
        r->smin = lo;
        r->smax = hi;
        reg_bounds_sync(r);
    }
    if (!is64)
        verifier_zext32(r);
}

static int check_ptr_arith(struct venv *env, const struct bpfvm_insn *in, struct vreg *dst,
                           const struct vreg *ptr, const struct vreg *off_reg, bool ptr_is_dst)
{
    uint8_t op = ISA_OP(in->code);
    int regno = in->dst_reg;
    struct vreg r = *ptr;
    if (ISA_CLASS(in->code) != BPF_ALU64) {
        if (op == BPF_SUB && env->priv) {
            reg_mark_unknown(dst);
            return 0;
        }
        return verifier_err(env, EACCES, "R%d 32-bit pointer arithmetic prohibited", regno);
    }
    if (ptr->maybe_null)
        return verifier_err(env, EACCES, "R%d pointer arithmetic on %s prohibited, null-check it first",
                            regno, verifier_reg_type_str(ptr));
    switch (ptr->type) {
    case VREG_PTR_TO_PACKET_END:
    case VREG_CONST_PTR_TO_MAP:
    case VREG_PTR_TO_FUNC:
        return verifier_err(env, EACCES, "R%d pointer arithmetic on %s prohibited", regno,
                            verifier_reg_type_str(ptr));
    default:
        break;
    }
    if (op != BPF_ADD && op != BPF_SUB) {
        if (op == BPF_AND || op == BPF_OR || op == BPF_XOR)
            return verifier_err(env, EACCES, "R%d bitwise operator %s on pointer prohibited", regno,
                                op_str[op >> 4]);
        return verifier_err(env, EACCES, "R%d pointer arithmetic with %s operator prohibited", regno,
                            op_str[op >> 4]);
    }
    if (op == BPF_SUB && !ptr_is_dst)
        return verifier_err(env, EACCES, "R%d tried to subtract pointer from scalar", regno);
    if (!env->priv && ptr->type == VREG_PTR_TO_STACK && op == BPF_SUB && !reg_is_const(off_reg))
        return verifier_err(env, EACCES, "R%d subtraction from stack pointer prohibited", regno);
    if (tnum_is_const(off_reg->var_off)) {
        int64_t v = (int64_t)off_reg->var_off.value;
        if (v >= MAX_VAR_OFF || v <= -MAX_VAR_OFF)
            return verifier_err(env, EACCES, "math between %s pointer and %lld is not allowed",
                                verifier_reg_type_str(ptr), (long long)v);
        int64_t noff = op == BPF_ADD ? (int64_t)r.off + v : (int64_t)r.off - v;
        if (noff >= MAX_VAR_OFF || noff <= -MAX_VAR_OFF)
            return verifier_err(env, EACCES, "value %lld makes %s pointer be out of bounds",
                                (long long)noff, verifier_reg_type_str(ptr));
        r.off = (int32_t)noff;
        *dst = r;
        return 0;
    }
    if (off_reg->smin == INT64_MIN)
        return verifier_err(env, EACCES,
                            "math between %s pointer and register with unbounded min value is not allowed",
                            verifier_reg_type_str(ptr));
    if (off_reg->smin <= -MAX_VAR_OFF || off_reg->smin >= MAX_VAR_OFF)
        return verifier_err(env, EACCES, "value %lld makes %s pointer be out of bounds",
                            (long long)off_reg->smin, verifier_reg_type_str(ptr));
    if (!env->priv && ptr->type == VREG_PTR_TO_STACK)
        return verifier_err(env, EACCES, "R%d variable stack access prohibited", regno);
    /* the variable part: a scalar view of the offset */
    struct vreg var = r;
    var.type = VREG_SCALAR;
    scalar_op64(&var, off_reg, op, false);
    r.var_off = var.var_off;
    r.smin = var.smin;
    r.smax = var.smax;
    r.umin = var.umin;
    r.umax = var.umax;
    if (r.smin <= -MAX_VAR_OFF || r.smin >= MAX_VAR_OFF)
        return verifier_err(env, EACCES, "value %lld makes %s pointer be out of bounds",
                            (long long)r.smin, verifier_reg_type_str(ptr));
    if (reg_is_pkt_pointer(&r)) {
        r.id = ++env->id_gen; /* a new base: ranges learnt so far do not apply */
        r.range = 0;
    }
    *dst = r;
    return 0;
}

int verifier_check_alu(struct venv *env, const struct bpfvm_insn *in)
{
    struct vreg *regs = cur_regs(env);
    uint8_t op = ISA_OP(in->code);
    bool is64 = ISA_CLASS(in->code) == BPF_ALU64;
    bool x = ISA_SRC(in->code) == BPF_X;
    struct vreg *dst = &regs[in->dst_reg];
    int rc;

    if (in->dst_reg == 10)
        return verifier_err(env, EACCES, "frame pointer is read only");
    if (op == BPF_NEG || op == BPF_END) {
        if ((rc = verifier_check_reg_read(env, in->dst_reg)))
            return rc;
        if (reg_is_pointer(dst)) {
            if (!env->priv)
                return verifier_err(env, EACCES, "R%d pointer arithmetic prohibited", in->dst_reg);
            reg_mark_unknown(dst);
            return 0;
        }
        if (op == BPF_NEG) {
            struct vreg zero;
            reg_mark_const(&zero, 0);
            if (tnum_is_const(dst->var_off))
                reg_mark_const(dst, alu_eval(BPF_SUB, 0, dst->var_off.value, is64, false));
            else {
                struct vreg v = *dst;
                if (is64) {
                    scalar_op64(&zero, &v, BPF_SUB, false);
                    *dst = zero;
                } else {
                    verifier_scalar_alu(&zero, &v, BPF_SUB, false);
                    *dst = zero;
                }
            }
            dst->id = 0;
            return 0;
        }
        /* byte swaps */
        int width = in->imm;
        bool swap = is64 || ISA_SRC(in->code) == BPF_TO_BE; /* x86 is little-endian */
        if (tnum_is_const(dst->var_off)) {
            uint64_t v = dst->var_off.value;
            if (swap)
                v = width == 16 ? __builtin_bswap16((uint16_t)v) : width == 32 ? __builtin_bswap32((uint32_t)v)
                                                                             : __builtin_bswap64(v);
            else
                v = width == 64 ? v : v & ((1ULL << width) - 1);
            reg_mark_const(dst, v);
        } else if (!swap) {
            if (width < 64) {
                struct vreg v = *dst;
                dst->var_off = tnum_cast(v.var_off, (unsigned)width / 8);
                if (v.umax >= (1ULL << width)) {
                    reg_mark_unknown(dst);
                    dst->var_off = tnum_cast(v.var_off, (unsigned)width / 8);
                }
                dst->umax = dst->umax < (1ULL << width) - 1 ? dst->umax : (1ULL << width) - 1;
                dst->smin = 0;
                if (dst->umin > dst->umax)
                    dst->umin = 0;
                reg_bounds_sync(dst);
            }
        } else {
            reg_mark_unknown(dst);
            if (width < 64) {
                dst->umax = (1ULL << width) - 1;
                reg_bounds_sync(dst);
            }
        }
        dst->id = 0;
        return 0;
    }

    struct vreg srcv;
    if (x) {
        if ((rc = verifier_check_reg_read(env, in->src_reg)))
            return rc;
        srcv = regs[in->src_reg];
    } else {
        reg_mark_const(&srcv, is64 ? (uint64_t)(int64_t)in->imm : (uint64_t)(uint32_t)in->imm);
    }

    if (op == BPF_MOV) {
        if (!x) {
            reg_mark_const(dst, srcv.var_off.value);
            return 0;
        }
        struct vreg *src = &regs[in->src_reg];
        if (in->off) { /* movsx */
            if (reg_is_pointer(src)) {
                if (!env->priv)
                    return verifier_err(env, EACCES, "R%d sign-extension part of pointer", in->src_reg);
                reg_mark_unknown(dst);
                if (!is64)
                    verifier_zext32(dst);
                return 0;
            }
            struct vreg v = *src;
            sign_extend_reg(&v, in->off, is64);
            *dst = v;
            return 0;
        }
        if (is64) {
            if (src->type == VREG_SCALAR && !src->id && !tnum_is_const(src->var_off))
                src->id = ++env->id_gen; /* copies learn from each other's branches */
            *dst = *src;
            return 0;
        }
        if (reg_is_pointer(src)) {
            if (!env->priv)
                return verifier_err(env, EACCES, "R%d partial copy of pointer", in->src_reg);
            reg_mark_unknown(dst);
            verifier_zext32(dst);
            return 0;
        }
        struct vreg v = *src;
        if (v.umax <= U32MAX) {
            if (!v.id && !tnum_is_const(v.var_off))
                src->id = v.id = ++env->id_gen;
            *dst = v;
        } else {
            verifier_zext32(&v);
            v.id = 0;
            *dst = v;
        }
        return 0;
    }

    if ((rc = verifier_check_reg_read(env, in->dst_reg)))
        return rc;
    if ((op == BPF_DIV || op == BPF_MOD) && !x && in->imm == 0)
        return verifier_err(env, EINVAL, "div by zero");
    if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && !x) {
        int bits = is64 ? 64 : 32;
        if (in->imm < 0 || in->imm >= bits)
            return verifier_err(env, EINVAL, "invalid shift %d", in->imm);
    }

    bool dptr = reg_is_pointer(dst), sptr = reg_is_pointer(&srcv);
    if (dptr || sptr) {
        if (dptr && sptr) {
            if (op == BPF_SUB && env->priv) {
                reg_mark_unknown(dst);
                if (!is64)
                    verifier_zext32(dst);
                return 0;
            }
            return verifier_err(env, EACCES, "R%d pointer %s pointer prohibited", in->dst_reg,
                                op_str[op >> 4]);
        }
        if (dptr)
            return check_ptr_arith(env, in, dst, dst, &srcv, true);
        struct vreg off = *dst;
        return check_ptr_arith(env, in, dst, &srcv, &off, false);
    }

    bool sdiv = (op == BPF_DIV || op == BPF_MOD) && in->off == 1;
    if (tnum_is_const(dst->var_off) && tnum_is_const(srcv.var_off)) {
        uint64_t v = alu_eval(op, dst->var_off.value, srcv.var_off.value, is64, sdiv);
        reg_mark_const(dst, v);
        return 0;
    }
    if (sdiv) {
        reg_mark_unknown(dst);
        if (!is64)
            verifier_zext32(dst);
        return 0;
    }
    verifier_scalar_alu(dst, &srcv, op, is64);
    dst->id = 0;
    return 0;
}
