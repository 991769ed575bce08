/* asm.c - eBPF assembler for the kernel / llvm-objdump syntax and the bpf_conformance syntax.
 *
 * Text is read line by line: comments are dropped (`;`, `//`, and `#` - in the llvm syntax only
 * where it does not follow a name, so the verifier log's `call bpf_map_lookup_elem#1` works),
 * listing decorations are skipped (`  12:` indexes, a kernel-log `(b7)` opcode, llvm-objdump hex
 * bytes, a trailing `<LBB0_2>`; `0000000000000000 <prog>:` defines label prog), labels
 * (`name:`) are recorded, and the rest is one instruction.  Label references are patched at the
 * end; in both syntaxes `exit` is also an implicit label for the first exit instruction.
 *
 * Beyond the upstream spellings (and exactly what disasm.c prints):
 *   llvm:  call kfunc ID[, OFF] (src=2) | call pc+N (src=1) | callx rN (also `call rN`) |
 *          r1 = map[fd:N] ll | map[fd:N][0]+OFF | map[idx:N] | map[idx:N][0]+OFF |
 *          btf_id[ID] | btf_id[ID][fd:FD] | func[pc+N] | func[label]   (lddw src 1..6)
 *   conf:  ldabs{b,h,w} IMM | ldind{b,h,w} %rS, IMM | ldacq{b,h,w,dw} %rD, [%rS+OFF] |
 *          strel{b,h,w,dw} [%rD+OFF], %rS | call runtime ID[, OFF] | may_goto T |
 *          addr_space_cast %rD, %rS, DST_AS, SRC_AS | lddw %rD, map_fd N | map_value N, OFF |
 *          btf_id ID[, FD] | func T | map_idx N | map_idx_value N, OFF
 *   both:  .8byte 0x<slot as a little-endian 64-bit value> for any raw slot.
 * 32-bit immediates take -2^31 .. 2^32-1 (above INT32_MAX: the 32-bit pattern, sign-extended
 * by the CPU as usual).  In the llvm syntax `rN = V` becomes lddw when V does not fit in 32 bits
 * or carries `ll` (or the line has a kernel-log `(18)` opcode). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/asm.h"
#include "isa/isa.h"
#include "isa/opnames.h"
#include "core/grow.h"

#define ASM_MAX_TOKENS 64

enum asm_tok_kind { ASM_T_END, ASM_T_IDENT, ASM_T_NUM, ASM_T_PUNCT };

struct asm_tok {
    int kind;
    const char *s;
    size_t len;
    uint64_t num;
    int overflow;
};

struct asm_label {
    char *name;
    size_t slot;
    int line;
};

/* A reference to a label, patched at the end: off (16-bit) or imm (32-bit) of slot. */
struct asm_fixup {
    char *name;
    size_t slot;
    int line;
    int in_imm;
};

struct asm_state {
    enum bpfvm_syntax syntax;
    struct bpfvm_insn *insns;
    size_t n, cap;
    struct asm_label *labels;
    size_t nlabels, labcap;
    struct asm_fixup *fixups;
    size_t nfix, fixcap;
    long first_exit;
    int line;
    int failed;
    int listing_op; /* opcode from a kernel-log "(18)" prefix, or -1 */
    char *err;
    size_t errlen;
    struct asm_tok tok[ASM_MAX_TOKENS + 1];
    int ntok, pos;
};

/* ---------------------------------------------------------------- errors and tokens */

static int asm_fail(struct asm_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int asm_fail(struct asm_state *st, const char *fmt, ...)
{
    if (st->failed)
        return -EINVAL;
    st->failed = 1;
    if (st->err && st->errlen) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        snprintf(st->err, st->errlen, "line %d: %s", st->line, msg);
    }
    return -EINVAL;
}

static const struct asm_tok *asm_cur(struct asm_state *st) { return &st->tok[st->pos]; }

/* Printable description of the current token for messages: 'text' or "end of line". */
static const char *asm_near(struct asm_state *st, char *buf, size_t len)
{
    const struct asm_tok *t = asm_cur(st);
    if (t->kind == ASM_T_END)
        return "end of line";
    snprintf(buf, len, "'%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s);
    return buf;
}

static int asm_fail_near(struct asm_state *st, const char *what)
{
    char b[64];
    return asm_fail(st, "%s, found %s", what, asm_near(st, b, sizeof(b)));
}

static int asm_tok_is(const struct asm_tok *t, int kind, const char *s)
{
    size_t l = strlen(s);
    return t->kind == kind && t->len == l && memcmp(t->s, s, l) == 0;
}

static int asm_is_p(struct asm_state *st, const char *p)
{
    return asm_tok_is(asm_cur(st), ASM_T_PUNCT, p);
}

static int asm_is_id(struct asm_state *st, const char *id)
{
    return asm_tok_is(asm_cur(st), ASM_T_IDENT, id);
}

static int asm_accept_p(struct asm_state *st, const char *p)
{
    if (!asm_is_p(st, p))
        return 0;
    st->pos++;
    return 1;
}

static int asm_accept_id(struct asm_state *st, const char *id)
{
    if (!asm_is_id(st, id))
        return 0;
    st->pos++;
    return 1;
}

static int asm_expect_p(struct asm_state *st, const char *p)
{
    char what[32];
    if (asm_accept_p(st, p))
        return 0;
    snprintf(what, sizeof(what), "expected '%s'", p);
    return asm_fail_near(st, what);
}

static int asm_is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}

static int asm_is_ident_char(int c) { return asm_is_ident_start(c) || (c >= '0' && c <= '9'); }

static int asm_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const char *const asm_puncts[] = {
    "<<=", ">>=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "==", "!=", ">=", "<=",
};

/* Cut [p, end) into st->tok.  Returns 0 or -EINVAL. */
static int asm_tokenize(struct asm_state *st, const char *p, const char *end)
{
    const char *start = p;
    st->ntok = 0;
    st->pos = 0;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
            p++;
            continue;
        }
        if (c == ';' || (c == '/' && p + 1 < end && p[1] == '/'))
            break;
        if (c == '#' && (st->syntax == BPFVM_SYNTAX_CONFORMANCE || p == start ||
                         !asm_is_ident_char((unsigned char)p[-1])))
            break;
        if (st->ntok >= ASM_MAX_TOKENS)
            return asm_fail(st, "line too long (more than %d tokens)", ASM_MAX_TOKENS);
        struct asm_tok *t = &st->tok[st->ntok++];
        memset(t, 0, sizeof(*t));
        t->s = p;
        if (asm_is_ident_start(c)) {
            while (p < end && asm_is_ident_char((unsigned char)*p))
                p++;
            t->kind = ASM_T_IDENT;
        } else if (c >= '0' && c <= '9') {
            int base = 10;
            const char *digits = p;
            if (c == '0' && p + 1 < end && (p[1] == 'x' || p[1] == 'X')) {
                base = 16;
                p += 2;
                digits = p;
            }
            while (p < end && asm_hexval((unsigned char)*p) >= 0 &&
                   asm_hexval((unsigned char)*p) < base) {
                uint64_t dv = (uint64_t)asm_hexval((unsigned char)*p);
                if (t->num > (UINT64_MAX - dv) / (uint64_t)base)
                    t->overflow = 1;
                t->num = t->num * (uint64_t)base + dv;
                p++;
            }
            if (p == digits || (p < end && asm_is_ident_char((unsigned char)*p))) {
                while (p < end && asm_is_ident_char((unsigned char)*p))
                    p++;
                int bl = (int)(p - t->s > 40 ? 40 : p - t->s);
                return asm_fail(st, "bad number '%.*s'", bl, t->s);
            }
            t->kind = ASM_T_NUM;
        } else if (strchr("+-*/%&|^=<>!()[],:#", c) && c != '\0') {
            size_t l = 1;
            for (size_t i = 0; i < sizeof(asm_puncts) / sizeof(asm_puncts[0]); i++) {
                size_t pl = strlen(asm_puncts[i]);
                if ((size_t)(end - p) >= pl && memcmp(p, asm_puncts[i], pl) == 0) {
                    l = pl;
                    break;
                }
            }
            p += l;
            t->kind = ASM_T_PUNCT;
        } else {
            if (c >= 0x20 && c < 0x7f)
                return asm_fail(st, "unexpected character '%c'", c);
            return asm_fail(st, "unexpected character 0x%02x", c);
        }
        t->len = (size_t)(p - t->s);
    }
    memset(&st->tok[st->ntok], 0, sizeof(st->tok[0]));
    st->tok[st->ntok].kind = ASM_T_END;
    st->tok[st->ntok].s = "";
    return 0;
}

/* ---------------------------------------------------------------- output, labels, fixups */

static int asm_emit(struct asm_state *st, struct bpfvm_insn in)
{
    if (core_grow((void **)&st->insns, &st->cap, st->n, sizeof(*st->insns), 64))
        return asm_fail(st, "out of memory");
    if (in.code == ISA_EXIT && st->first_exit < 0)
        st->first_exit = (long)st->n;
    st->insns[st->n++] = in;
    return 0;
}

static char *asm_strndup(const char *s, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static int asm_add_label(struct asm_state *st, const struct asm_tok *t)
{
    if (core_grow((void **)&st->labels, &st->labcap, st->nlabels, sizeof(*st->labels), 16))
        return asm_fail(st, "out of memory");
    char *name = asm_strndup(t->s, t->len);
    if (!name)
        return asm_fail(st, "out of memory");
    st->labels[st->nlabels++] = (struct asm_label){name, st->n, st->line};
    return 0;
}

/* Record that the instruction about to be emitted (slot st->n) refers to label t. */
static int asm_add_fixup(struct asm_state *st, const struct asm_tok *t, int in_imm)
{
    if (core_grow((void **)&st->fixups, &st->fixcap, st->nfix, sizeof(*st->fixups), 16))
        return asm_fail(st, "out of memory");
    char *name = asm_strndup(t->s, t->len);
    if (!name)
        return asm_fail(st, "out of memory");
    st->fixups[st->nfix++] = (struct asm_fixup){name, st->n, st->line, in_imm};
    return 0;
}

static int asm_label_cmp(const void *a, const void *b)
{
    const struct asm_label *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int asm_resolve(struct asm_state *st)
{
    if (st->nlabels)
        qsort(st->labels, st->nlabels, sizeof(st->labels[0]), asm_label_cmp);
    for (size_t i = 1; i < st->nlabels; i++) {
        if (strcmp(st->labels[i - 1].name, st->labels[i].name) == 0) {
            st->line = st->labels[i].line;
            return asm_fail(st, "duplicate label '%.40s' (first defined on line %d)",
                            st->labels[i].name, st->labels[i - 1].line);
        }
    }
    for (size_t i = 0; i < st->nfix; i++) {
        const struct asm_fixup *f = &st->fixups[i];
        struct asm_label key = {f->name, 0, 0};
        const struct asm_label *l = NULL;
        long target;
        size_t lo = 0, hi = st->nlabels;
        while (lo < hi) { /* labels are sorted by name; find any with this name */
            size_t mid = (lo + hi) / 2;
            int c = strcmp(key.name, st->labels[mid].name);
            if (c == 0) {
                l = &st->labels[mid];
                break;
            }
            if (c < 0)
                hi = mid;
            else
                lo = mid + 1;
        }
        st->line = f->line;
        if (l)
            target = (long)l->slot;
        else if (strcmp(f->name, "exit") == 0 && st->first_exit >= 0)
            target = st->first_exit;
        else
            return asm_fail(st, "undefined label '%.40s'", f->name);
        long rel = target - (long)f->slot - 1;
        if (f->in_imm) {
            if (rel < INT32_MIN || rel > INT32_MAX)
                return asm_fail(st, "jump offset out of range (%ld)", rel);
            st->insns[f->slot].imm = (int32_t)rel;
        } else {
            if (rel < INT16_MIN || rel > INT16_MAX)
                return asm_fail(st, "jump offset out of range (%ld)", rel);
            st->insns[f->slot].off = (int16_t)rel;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- operands shared by both */

/* Optional sign then a number.  *neg and *mag get the parts. */
static int asm_signed(struct asm_state *st, int *neg, uint64_t *mag)
{
    *neg = 0;
    if (asm_accept_p(st, "-"))
        *neg = 1;
    else
        asm_accept_p(st, "+");
    const struct asm_tok *t = asm_cur(st);
    if (t->kind != ASM_T_NUM)
        return asm_fail_near(st, "expected a number");
    if (t->overflow)
        return asm_fail(st, "number '%.*s' too large", (int)(t->len > 40 ? 40 : t->len), t->s);
    *mag = t->num;
    st->pos++;
    return 0;
}

/* 32-bit immediate: -2^31 .. 2^32-1 (values above INT32_MAX are the 32-bit pattern). */
static int asm_imm32(struct asm_state *st, int32_t *v)
{
    int neg;
    uint64_t mag;
    if (asm_signed(st, &neg, &mag))
        return -EINVAL;
    if (neg ? mag > 0x80000000ull : mag > 0xffffffffull)
        return asm_fail(st, "immediate %s%llu out of range (32 bits)", neg ? "-" : "",
                        (unsigned long long)mag);
    *v = neg ? (int32_t)(0u - (uint32_t)mag) : (int32_t)(uint32_t)mag;
    return 0;
}

/* Unsigned 16-bit value (address space numbers). */
static int asm_u16(struct asm_state *st, unsigned *v)
{
    const struct asm_tok *t = asm_cur(st);
    if (t->kind != ASM_T_NUM)
        return asm_fail_near(st, "expected a number");
    if (t->overflow || t->num > 0xffff)
        return asm_fail(st, "value out of range (16 bits)");
    *v = (unsigned)t->num;
    st->pos++;
    return 0;
}

static int asm_imm64(struct asm_state *st, uint64_t *v)
{
    int neg;
    uint64_t mag;
    if (asm_signed(st, &neg, &mag))
        return -EINVAL;
    if (neg && mag > 0x8000000000000000ull)
        return asm_fail(st, "immediate -%llu out of range (64 bits)", (unsigned long long)mag);
    *v = neg ? 0 - mag : mag;
    return 0;
}

/* Signed offset in a memory operand, sign already consumed as `sign` (+1/-1). */
static int asm_off_rest(struct asm_state *st, int sign, int16_t *off)
{
    int neg;
    uint64_t mag;
    if (asm_signed(st, &neg, &mag))
        return -EINVAL;
    if (neg)
        sign = -sign;
    if (sign < 0 ? mag > 32768 : mag > 32767)
        return asm_fail(st, "offset %s%llu out of range (16 bits)", sign < 0 ? "-" : "",
                        (unsigned long long)mag);
    *off = (int16_t)(sign < 0 ? -(long)mag : (long)mag);
    return 0;
}

/* Whether t names a register (rN / wN); *reg gets N (may be > 10), *w whether it is wN. */
static int asm_reg_name(const struct asm_tok *t, int *reg, int *w)
{
    if (t->kind != ASM_T_IDENT || t->len < 2 || t->len > 4 || (t->s[0] != 'r' && t->s[0] != 'w'))
        return 0;
    int v = 0;
    for (size_t i = 1; i < t->len; i++) {
        if (t->s[i] < '0' || t->s[i] > '9')
            return 0;
        v = v * 10 + (t->s[i] - '0');
    }
    *reg = v;
    *w = t->s[0] == 'w';
    return 1;
}

/* Register: `rN`/`wN` (llvm) or `%rN` (conformance; the `%` is optional). */
static int asm_reg(struct asm_state *st, int *reg, int *w)
{
    int pct = 0, wide;
    if (st->syntax == BPFVM_SYNTAX_CONFORMANCE && asm_accept_p(st, "%"))
        pct = 1;
    const struct asm_tok *t = asm_cur(st);
    if (!asm_reg_name(t, reg, &wide) || (pct && wide))
        return asm_fail_near(st, "expected a register");
    if (*reg > 10)
        return asm_fail(st, "bad register '%.*s' (r0..r10)", (int)t->len, t->s);
    if (w)
        *w = wide;
    st->pos++;
    return 0;
}

/* Jump target: label, +N, -N, N, or (llvm) pc+N.  Patched later for labels. */
static int asm_target(struct asm_state *st, int in_imm, int32_t *v)
{
    const struct asm_tok *t = asm_cur(st);
    *v = 0;
    if (t->kind == ASM_T_IDENT && !asm_tok_is(t, ASM_T_IDENT, "pc")) {
        st->pos++;
        return asm_add_fixup(st, t, in_imm);
    }
    asm_accept_id(st, "pc");
    int neg;
    uint64_t mag;
    if (asm_signed(st, &neg, &mag))
        return -EINVAL;
    uint64_t lim = in_imm ? 0x80000000ull : 0x8000ull;
    if (neg ? mag > lim : mag > lim - 1)
        return asm_fail(st, "jump offset %s%llu out of range (%d bits)", neg ? "-" : "",
                        (unsigned long long)mag, in_imm ? 32 : 16);
    *v = neg ? (int32_t)(0u - (uint32_t)mag) : (int32_t)mag;
    return 0;
}

static int asm_end_of_line(struct asm_state *st)
{
    if (asm_cur(st)->kind == ASM_T_END)
        return 0;
    return asm_fail_near(st, "unexpected text after the instruction");
}

static int asm_emit_lddw(struct asm_state *st, int dst, int src, int32_t lo, int32_t hi)
{
    if (asm_emit(st, isa_make(ISA_LDDW, dst, src, 0, lo)))
        return -EINVAL;
    return asm_emit(st, isa_make(0, 0, 0, 0, hi));
}

/* `.8byte V`: one raw slot, V read as the little-endian 64-bit value of the slot. */
static int asm_raw(struct asm_state *st)
{
    uint64_t v;
    uint8_t b[8];
    if (asm_imm64(st, &v))
        return -EINVAL;
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return asm_emit(st, isa_decode(b));
}

/* Width suffix of a name: "be16" -> 16 when prefix matches. */
static int asm_width_suffix(const struct asm_tok *t, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (t->kind != ASM_T_IDENT || t->len != pl + 2 || memcmp(t->s, prefix, pl) != 0)
        return -1;
    if (memcmp(t->s + pl, "16", 2) == 0)
        return 16;
    if (memcmp(t->s + pl, "32", 2) == 0)
        return 32;
    if (memcmp(t->s + pl, "64", 2) == 0)
        return 64;
    return -1;
}

/* END instructions by name: le16/be32/bswap64/swap16 -> opcode; -1 when not one. */
static int asm_end_opcode(const struct asm_tok *t, int *bits)
{
    if ((*bits = asm_width_suffix(t, "le")) > 0)
        return BPF_ALU | BPF_END | BPF_TO_LE;
    if ((*bits = asm_width_suffix(t, "be")) > 0)
        return BPF_ALU | BPF_END | BPF_TO_BE;
    if ((*bits = asm_width_suffix(t, "bswap")) > 0 || (*bits = asm_width_suffix(t, "swap")) > 0)
        return BPF_ALU64 | BPF_END;
    return -1;
}

/* ---------------------------------------------------------------- llvm / kernel syntax */

/* `(u32 *)` or `(s8 *)`: *size and *sx (signed). */
static int llvm_type(struct asm_state *st, int *size, int *sx)
{
    if (asm_expect_p(st, "("))
        return -EINVAL;
    const struct asm_tok *t = asm_cur(st);
    int bits = 0;
    if (t->kind == ASM_T_IDENT && t->len >= 2 && t->len <= 3 &&
        (t->s[0] == 'u' || t->s[0] == 's')) {
        for (size_t i = 1; i < t->len; i++)
            bits = (t->s[i] >= '0' && t->s[i] <= '9') ? bits * 10 + (t->s[i] - '0') : -1000;
    }
    *size = opnames_size_by_bits(bits > 0 ? (unsigned)bits : 0);
    if (*size < 0)
        return asm_fail_near(st, "expected a type (u8, u16, u32, u64, s8, s16, s32)");
    *sx = t->s[0] == 's';
    st->pos++;
    if (asm_expect_p(st, "*") || asm_expect_p(st, ")"))
        return -EINVAL;
    return 0;
}

/* `rN + off` / `rN - off` / `rN` (no parentheses). */
static int llvm_addr(struct asm_state *st, int *reg, int16_t *off)
{
    int w;
    *off = 0;
    if (asm_reg(st, reg, &w))
        return -EINVAL;
    if (asm_accept_p(st, "+"))
        return asm_off_rest(st, 1, off);
    if (asm_accept_p(st, "-"))
        return asm_off_rest(st, -1, off);
    return 0;
}

static int llvm_mem(struct asm_state *st, int *reg, int16_t *off)
{
    if (asm_expect_p(st, "(") || llvm_addr(st, reg, off))
        return -EINVAL;
    return asm_expect_p(st, ")");
}

/* `*(u32 *)(r1 + 4)` after the leading `*` was consumed; type must be unsigned unless sx_ok. */
static int llvm_typed_mem(struct asm_state *st, int sx_ok, int *size, int *sx, int *reg,
                          int16_t *off)
{
    if (llvm_type(st, size, sx))
        return -EINVAL;
    if (*sx && !sx_ok)
        return asm_fail(st, "a signed type is only valid in a load");
    return llvm_mem(st, reg, off);
}

/* Atomic address operand: `(u64 *)(r10 - 8)` (kernel) or `r10 - 8` (llvm xchg/cmpxchg). */
static int llvm_atomic_addr(struct asm_state *st, int *size, int *reg, int16_t *off)
{
    int sx;
    *size = -1;
    if (asm_is_p(st, "(")) {
        if (llvm_typed_mem(st, 0, size, &sx, reg, off))
            return -EINVAL;
        if (*size != BPF_W && *size != BPF_DW)
            return asm_fail(st, "atomic operations are 32 or 64 bits");
        return 0;
    }
    return llvm_addr(st, reg, off);
}

static int llvm_same_reg(struct asm_state *st, int a, int b, const char *what)
{
    if (a == b)
        return 0;
    return asm_fail(st, "%s: the two registers must be the same (r%d, r%d)", what, a, b);
}

/* call ...: helper, local (pc+N / label), kfunc, callx. */
static int llvm_call(struct asm_state *st)
{
    const struct asm_tok *t = asm_cur(st);
    int32_t v;
    int reg, w;

    if (asm_is_id(st, "pc")) {
        if (asm_target(st, 1, &v))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_CALL, 0, BPF_PSEUDO_CALL, 0, v));
    }
    if (asm_accept_id(st, "kfunc")) {
        int16_t off = 0;
        if (asm_imm32(st, &v))
            return -EINVAL;
        if (asm_accept_p(st, ",") && asm_off_rest(st, 1, &off))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_CALL, 0, BPF_PSEUDO_KFUNC_CALL, off, v));
    }
    if (asm_reg_name(t, &reg, &w)) {
        if (asm_reg(st, &reg, NULL))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_CALLX, reg, 0, 0, 0));
    }
    if (t->kind == ASM_T_IDENT && st->tok[st->pos + 1].kind == ASM_T_PUNCT &&
        asm_tok_is(&st->tok[st->pos + 1], ASM_T_PUNCT, "#")) {
        st->pos += 2; /* kernel log: call bpf_map_lookup_elem#1 */
    } else if (t->kind == ASM_T_IDENT) {
        if (asm_target(st, 1, &v))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_CALL, 0, BPF_PSEUDO_CALL, 0, v));
    }
    if (asm_imm32(st, &v))
        return -EINVAL;
    return asm_emit(st, isa_make(ISA_CALL, 0, 0, 0, v));
}

/* if rA OP rB|imm goto target */
static int llvm_if(struct asm_state *st)
{
    int dst, src = 0, w, w2, op, x = 0;
    int32_t imm = 0, off;
    char opbuf[8];

    if (asm_reg(st, &dst, &w))
        return -EINVAL;
    const struct asm_tok *t = asm_cur(st);
    size_t ol = 0;
    if (asm_tok_is(t, ASM_T_IDENT, "s")) {
        opbuf[ol++] = 's';
        st->pos++;
        t = asm_cur(st);
    }
    if (t->kind != ASM_T_PUNCT || t->len > 3)
        return asm_fail_near(st, "expected a comparison");
    memcpy(opbuf + ol, t->s, t->len);
    op = opnames_jmp_by_llvm(opbuf, ol + t->len);
    if (op < 0)
        return asm_fail_near(st, "expected a comparison");
    st->pos++;
    if (asm_reg_name(asm_cur(st), &src, &w2)) {
        if (asm_reg(st, &src, &w2))
            return -EINVAL;
        if (w2 != w)
            return asm_fail(st, "mixed 32-bit (wN) and 64-bit (rN) registers");
        x = BPF_X;
    } else if (asm_imm32(st, &imm)) {
        return -EINVAL;
    }
    if (!asm_accept_id(st, "goto"))
        return asm_fail_near(st, "expected 'goto'");
    if (asm_target(st, 0, &off))
        return -EINVAL;
    uint8_t code = (uint8_t)((w ? BPF_JMP32 : BPF_JMP) | op | x);
    return asm_emit(st, isa_make(code, dst, src, off, imm));
}

/* lock *(u64 *)(r10 - 8) += r1 */
static int llvm_lock(struct asm_state *st)
{
    int size, sx, dst, src, w;
    int16_t off;
    if (asm_expect_p(st, "*") || llvm_typed_mem(st, 0, &size, &sx, &dst, &off))
        return -EINVAL;
    if (size != BPF_W && size != BPF_DW)
        return asm_fail(st, "atomic operations are 32 or 64 bits");
    const struct asm_tok *t = asm_cur(st);
    int op = t->kind == ASM_T_PUNCT ? opnames_atomic_by_llvm(t->s, t->len) : -1;
    if (op < 0)
        return asm_fail_near(st, "expected '+=', '|=', '&=' or '^='");
    st->pos++;
    if (asm_reg(st, &src, &w))
        return -EINVAL;
    return asm_emit(st, isa_make((uint8_t)(BPF_STX | BPF_ATOMIC | size), dst, src, off, op));
}

/* *(u32 *)(r10 - 8) = r1 | imm */
static int llvm_store(struct asm_state *st)
{
    int size, sx, dst, src, w;
    int16_t off;
    int32_t imm;
    if (llvm_typed_mem(st, 0, &size, &sx, &dst, &off) || asm_expect_p(st, "="))
        return -EINVAL;
    if (asm_reg_name(asm_cur(st), &src, &w)) {
        if (asm_reg(st, &src, &w))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_STX | BPF_MEM | size), dst, src, off, 0));
    }
    if (asm_imm32(st, &imm))
        return -EINVAL;
    return asm_emit(st, isa_make((uint8_t)(BPF_ST | BPF_MEM | size), dst, 0, off, imm));
}

/* store_release((u64 *)(r1 + 0), r2) */
static int llvm_store_release(struct asm_state *st)
{
    int size, sx, dst, src, w;
    int16_t off;
    if (asm_expect_p(st, "(") || llvm_typed_mem(st, 0, &size, &sx, &dst, &off) ||
        asm_expect_p(st, ",") || asm_reg(st, &src, &w) || asm_expect_p(st, ")"))
        return -EINVAL;
    return asm_emit(st, isa_make((uint8_t)(BPF_STX | BPF_ATOMIC | size), dst, src, off,
                                 BPF_STORE_REL));
}

/* rD = map[fd:N] / map[fd:N][0]+V / map[idx:N]... / btf_id[N] / btf_id[N][fd:M] / func[T] */
static int llvm_pseudo(struct asm_state *st, int dst)
{
    int32_t imm = 0, imm2 = 0;
    int src;
    if (asm_accept_id(st, "map")) {
        if (asm_expect_p(st, "["))
            return -EINVAL;
        if (asm_accept_id(st, "fd"))
            src = BPF_PSEUDO_MAP_FD;
        else if (asm_accept_id(st, "idx"))
            src = BPF_PSEUDO_MAP_IDX;
        else
            return asm_fail_near(st, "expected 'fd' or 'idx'");
        if (asm_expect_p(st, ":") || asm_imm32(st, &imm) || asm_expect_p(st, "]"))
            return -EINVAL;
        if (asm_accept_p(st, "[")) {
            const struct asm_tok *t = asm_cur(st);
            if (t->kind != ASM_T_NUM || t->num != 0)
                return asm_fail_near(st, "expected '[0]'");
            st->pos++;
            if (asm_expect_p(st, "]"))
                return -EINVAL;
            src = src == BPF_PSEUDO_MAP_FD ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_IDX_VALUE;
            if (asm_is_p(st, "+") || asm_is_p(st, "-")) {
                if (asm_imm32(st, &imm2))
                    return -EINVAL;
            }
        }
    } else if (asm_accept_id(st, "btf_id")) {
        src = BPF_PSEUDO_BTF_ID;
        if (asm_expect_p(st, "[") || asm_imm32(st, &imm) || asm_expect_p(st, "]"))
            return -EINVAL;
        if (asm_accept_p(st, "[")) {
            if (!asm_accept_id(st, "fd"))
                return asm_fail_near(st, "expected 'fd'");
            if (asm_expect_p(st, ":") || asm_imm32(st, &imm2) || asm_expect_p(st, "]"))
                return -EINVAL;
        }
    } else if (asm_accept_id(st, "func")) {
        src = BPF_PSEUDO_FUNC;
        if (asm_expect_p(st, "[") || asm_target(st, 1, &imm) || asm_expect_p(st, "]"))
            return -EINVAL;
    } else {
        return asm_fail_near(st, "expected an operand");
    }
    asm_accept_id(st, "ll");
    if (asm_end_of_line(st))
        return -EINVAL;
    return asm_emit_lddw(st, dst, src, imm, imm2);
}

/* rD = OP(...) function-like atomics: atomic_fetch_*, xchg, cmpxchg, load_acquire. */
static int llvm_atomic_call(struct asm_state *st, int dst, const struct asm_tok *fn)
{
    char name[32];
    int size, addr, src, w, op, fetch_size = -1;
    int16_t off;
    snprintf(name, sizeof(name), "%.*s", (int)(fn->len < 31 ? fn->len : 31), fn->s);
    const char *base = name;
    if (strncmp(base, "atomic64_", 9) == 0) {
        base += 9;
        fetch_size = BPF_DW;
    } else if (strncmp(base, "atomic_", 7) == 0) {
        base += 7;
        fetch_size = BPF_W;
    }
    if (asm_expect_p(st, "("))
        return -EINVAL;

    if (strcmp(name, "load_acquire") == 0) {
        int sx;
        if (llvm_typed_mem(st, 0, &size, &sx, &addr, &off) || asm_expect_p(st, ")"))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_STX | BPF_ATOMIC | size), dst, addr, off,
                                     BPF_LOAD_ACQ));
    }
    if (strncmp(base, "fetch_", 6) == 0 && fetch_size >= 0 &&
        (op = opnames_atomic_by_conf(base + 6, strlen(base + 6))) >= 0) {
        if (llvm_atomic_addr(st, &size, &addr, &off) || asm_expect_p(st, ",") ||
            asm_reg(st, &src, &w) || asm_expect_p(st, ")"))
            return -EINVAL;
        if (size < 0)
            return asm_fail(st, "expected a typed address like (u64 *)(r10 - 8)");
        if (llvm_same_reg(st, dst, src, name))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_STX | BPF_ATOMIC | size), addr, src, off,
                                     op | BPF_FETCH));
    }
    int xchg = strcmp(name, "xchg_64") == 0 || strcmp(name, "xchg32_32") == 0 ||
               (fetch_size >= 0 && strcmp(base, "xchg") == 0);
    int cmpxchg = strcmp(name, "cmpxchg_64") == 0 || strcmp(name, "cmpxchg32_32") == 0 ||
                  (fetch_size >= 0 && strcmp(base, "cmpxchg") == 0);
    if (!xchg && !cmpxchg)
        return asm_fail(st, "unknown operation '%s'", name);
    if (llvm_atomic_addr(st, &size, &addr, &off) || asm_expect_p(st, ","))
        return -EINVAL;
    if (size < 0) {
        if (fetch_size >= 0)
            return asm_fail(st, "expected a typed address like (u64 *)(r10 - 8)");
        size = (strcmp(name, "xchg_64") == 0 || strcmp(name, "cmpxchg_64") == 0) ? BPF_DW : BPF_W;
    }
    if (cmpxchg) {
        int r0;
        if (asm_reg(st, &r0, &w) || asm_expect_p(st, ","))
            return -EINVAL;
        if (r0 != 0 || dst != 0)
            return asm_fail(st, "cmpxchg compares with and returns r0");
    }
    if (asm_reg(st, &src, &w) || asm_expect_p(st, ")"))
        return -EINVAL;
    if (xchg && llvm_same_reg(st, dst, src, name))
        return -EINVAL;
    return asm_emit(st, isa_make((uint8_t)(BPF_STX | BPF_ATOMIC | size), addr, src, off,
                                 xchg ? BPF_XCHG : BPF_CMPXCHG));
}

/* rD = *(u32 *)... / *(u8 *)skb[...] after '=' '*' */
static int llvm_load(struct asm_state *st, int dst)
{
    int size, sx, src;
    int16_t off;
    if (llvm_type(st, &size, &sx))
        return -EINVAL;
    if (asm_accept_id(st, "skb")) {
        int32_t imm = 0;
        int w;
        if (sx || size == BPF_DW)
            return asm_fail(st, "packet loads are u8, u16 or u32");
        if (dst != 0)
            return asm_fail(st, "packet loads (skb[...]) always load r0");
        if (asm_expect_p(st, "["))
            return -EINVAL;
        if (asm_reg_name(asm_cur(st), &src, &w)) {
            int neg = 0, sign = 0;
            uint64_t mag = 0;
            if (asm_reg(st, &src, &w))
                return -EINVAL;
            if (asm_accept_p(st, "+"))
                sign = 1;
            else if (asm_accept_p(st, "-"))
                sign = -1;
            if (sign && asm_signed(st, &neg, &mag))
                return -EINVAL;
            if (sign < 0)
                neg = !neg;
            if (neg ? mag > 0x80000000ull : mag > 0x7fffffffull)
                return asm_fail(st, "offset out of range (32 bits)");
            imm = neg ? (int32_t)(0u - (uint32_t)mag) : (int32_t)mag;
            if (asm_expect_p(st, "]"))
                return -EINVAL;
            return asm_emit(st, isa_make((uint8_t)(BPF_LD | BPF_IND | size), 0, src, 0, imm));
        }
        if (asm_imm32(st, &imm) || asm_expect_p(st, "]"))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_LD | BPF_ABS | size), 0, 0, 0, imm));
    }
    if (sx && size == BPF_DW)
        return asm_fail(st, "there is no sign-extending 64-bit load");
    if (llvm_mem(st, &src, &off))
        return -EINVAL;
    return asm_emit(st, isa_make((uint8_t)(BPF_LDX | (sx ? BPF_MEMSX : BPF_MEM) | size), dst, src,
                                 off, 0));
}

/* rD = ... (everything after the '='). */
static int llvm_assign(struct asm_state *st, int dst, int w)
{
    const struct asm_tok *t = asm_cur(st);
    uint8_t cls = w ? BPF_ALU : BPF_ALU64;
    int src, w2, bits, code;

    if (asm_is_p(st, "-") && asm_reg_name(&st->tok[st->pos + 1], &src, &w2)) {
        st->pos++;
        if (asm_reg(st, &src, &w2))
            return -EINVAL;
        if (w2 != w)
            return asm_fail(st, "mixed 32-bit (wN) and 64-bit (rN) registers");
        if (llvm_same_reg(st, dst, src, "neg"))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(cls | BPF_NEG), dst, 0, 0, 0));
    }
    if (t->kind == ASM_T_NUM || asm_is_p(st, "-") || asm_is_p(st, "+")) {
        uint64_t v;
        if (asm_imm64(st, &v))
            return -EINVAL;
        int64_t sv = (int64_t)v;
        int fits = (sv >= INT32_MIN && sv <= INT32_MAX) || v <= 0xffffffffull;
        int ll = asm_accept_id(st, "ll") || st->listing_op == ISA_LDDW;
        if (ll || !fits) {
            if (w)
                return asm_fail(st, "a 64-bit constant needs an rN register");
            return asm_emit_lddw(st, dst, 0, (int32_t)(uint32_t)v, (int32_t)(uint32_t)(v >> 32));
        }
        return asm_emit(st, isa_make((uint8_t)(cls | BPF_MOV | BPF_K), dst, 0, 0,
                                     (int32_t)(uint32_t)v));
    }
    if (asm_reg_name(t, &src, &w2)) {
        if (asm_reg(st, &src, &w2))
            return -EINVAL;
        if (w2 != w)
            return asm_fail(st, "mixed 32-bit (wN) and 64-bit (rN) registers");
        return asm_emit(st, isa_make((uint8_t)(cls | BPF_MOV | BPF_X), dst, src, 0, 0));
    }
    if (asm_accept_p(st, "(")) { /* (s8)r2 */
        const struct asm_tok *ty = asm_cur(st);
        bits = asm_width_suffix(ty, "s");
        if (ty->kind == ASM_T_IDENT && ty->len == 2 && memcmp(ty->s, "s8", 2) == 0)
            bits = 8;
        if (bits != 8 && bits != 16 && bits != 32)
            return asm_fail_near(st, "expected s8, s16 or s32");
        if (bits == 32 && w)
            return asm_fail(st, "(s32) needs 64-bit registers");
        st->pos++;
        if (asm_expect_p(st, ")") || asm_reg(st, &src, &w2))
            return -EINVAL;
        if (w2 != w)
            return asm_fail(st, "mixed 32-bit (wN) and 64-bit (rN) registers");
        return asm_emit(st, isa_make((uint8_t)(cls | BPF_MOV | BPF_X), dst, src, bits, 0));
    }
    if (asm_accept_p(st, "*"))
        return llvm_load(st, dst);
    if ((code = asm_end_opcode(t, &bits)) >= 0) {
        st->pos++;
        if (asm_reg(st, &src, &w2) || llvm_same_reg(st, dst, src, "byte swap"))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)code, dst, 0, 0, bits));
    }
    if (asm_accept_id(st, "addr_space_cast")) {
        unsigned das, sas;
        if (w)
            return asm_fail(st, "addr_space_cast needs 64-bit registers");
        if (asm_expect_p(st, "(") || asm_reg(st, &src, &w2) || asm_expect_p(st, ",") ||
            asm_u16(st, &das) || asm_expect_p(st, ",") || asm_u16(st, &sas) ||
            asm_expect_p(st, ")"))
            return -EINVAL;
        return asm_emit(st, isa_make(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 1,
                                     (int32_t)((das << 16) | sas)));
    }
    if (asm_is_id(st, "map") || asm_is_id(st, "btf_id") || asm_is_id(st, "func")) {
        if (w)
            return asm_fail(st, "a 64-bit constant needs an rN register");
        return llvm_pseudo(st, dst);
    }
    if (t->kind == ASM_T_IDENT && st->tok[st->pos + 1].kind == ASM_T_PUNCT &&
        asm_tok_is(&st->tok[st->pos + 1], ASM_T_PUNCT, "(")) {
        st->pos++;
        return llvm_atomic_call(st, dst, t);
    }
    return asm_fail_near(st, "expected an operand");
}

/* rD OP= rS|imm (OP from the ALU table, plus s/= s%= s>>=). */
static int llvm_alu(struct asm_state *st, int dst, int w)
{
    const struct asm_tok *t = asm_cur(st);
    int sdiv = 0, op, src = 0, w2;
    int32_t imm = 0;
    uint8_t cls = w ? BPF_ALU : BPF_ALU64;
    char opbuf[8];
    size_t ol = 0;

    if (asm_tok_is(t, ASM_T_IDENT, "s")) {
        opbuf[ol++] = 's';
        st->pos++;
        t = asm_cur(st);
    }
    if (t->kind != ASM_T_PUNCT || t->len > 3)
        return asm_fail_near(st, "expected an operator");
    memcpy(opbuf + ol, t->s, t->len);
    op = opnames_alu_by_llvm(opbuf, ol + t->len);
    if (op < 0 && ol && (memcmp(t->s, "/=", t->len) == 0 || memcmp(t->s, "%=", t->len) == 0)) {
        op = opnames_alu_by_llvm(t->s, t->len);
        sdiv = 1;
    }
    if (op < 0)
        return asm_fail_near(st, "expected an operator");
    st->pos++;
    if (op == BPF_MOV)
        return llvm_assign(st, dst, w);
    if (asm_reg_name(asm_cur(st), &src, &w2)) {
        if (asm_reg(st, &src, &w2))
            return -EINVAL;
        if (w2 != w)
            return asm_fail(st, "mixed 32-bit (wN) and 64-bit (rN) registers");
        return asm_emit(st, isa_make((uint8_t)(cls | op | BPF_X), dst, src, sdiv, 0));
    }
    if (asm_imm32(st, &imm))
        return -EINVAL;
    return asm_emit(st, isa_make((uint8_t)(cls | op | BPF_K), dst, 0, sdiv, imm));
}

static int llvm_insn(struct asm_state *st)
{
    const struct asm_tok *t = asm_cur(st);
    int32_t v;
    int reg, w;

    if (asm_accept_p(st, "*"))
        return llvm_store(st);
    if (t->kind != ASM_T_IDENT)
        return asm_fail_near(st, "expected an instruction");
    if (asm_reg_name(t, &reg, &w)) {
        if (asm_reg(st, &reg, &w))
            return -EINVAL;
        return llvm_alu(st, reg, w);
    }
    st->pos++;
    if (asm_tok_is(t, ASM_T_IDENT, "exit"))
        return asm_emit(st, isa_make(ISA_EXIT, 0, 0, 0, 0));
    if (asm_tok_is(t, ASM_T_IDENT, "goto")) {
        if (asm_target(st, 0, &v))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_JA, 0, 0, v, 0));
    }
    if (asm_tok_is(t, ASM_T_IDENT, "gotol")) {
        if (asm_target(st, 1, &v))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_JA32, 0, 0, 0, v));
    }
    if (asm_tok_is(t, ASM_T_IDENT, "may_goto")) {
        if (asm_target(st, 0, &v))
            return -EINVAL;
        return asm_emit(st, isa_make(BPF_JMP | BPF_JCOND, 0, 0, v, 0));
    }
    if (asm_tok_is(t, ASM_T_IDENT, "call"))
        return llvm_call(st);
    if (asm_tok_is(t, ASM_T_IDENT, "callx")) {
        if (asm_reg(st, &reg, &w))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_CALLX, reg, 0, 0, 0));
    }
    if (asm_tok_is(t, ASM_T_IDENT, "if"))
        return llvm_if(st);
    if (asm_tok_is(t, ASM_T_IDENT, "lock"))
        return llvm_lock(st);
    if (asm_tok_is(t, ASM_T_IDENT, "store_release"))
        return llvm_store_release(st);
    if (asm_tok_is(t, ASM_T_IDENT, ".8byte"))
        return asm_raw(st);
    st->pos--;
    return asm_fail(st, "unknown instruction '%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s);
}

/* ---------------------------------------------------------------- conformance syntax */

static void conf_comma(struct asm_state *st) { asm_accept_p(st, ","); }

/* Whether the next operand is a register (`%rN`, or `rN` without the `%`). */
static int conf_is_reg(struct asm_state *st)
{
    int reg, w;
    return asm_is_p(st, "%") || asm_reg_name(asm_cur(st), &reg, &w);
}

/* [%rN], [%rN+off], [%rN-off] */
static int conf_mem(struct asm_state *st, int *reg, int16_t *off)
{
    *off = 0;
    if (asm_expect_p(st, "[") || asm_reg(st, reg, NULL))
        return -EINVAL;
    if (asm_accept_p(st, "+")) {
        if (asm_off_rest(st, 1, off))
            return -EINVAL;
    } else if (asm_accept_p(st, "-")) {
        if (asm_off_rest(st, -1, off))
            return -EINVAL;
    }
    return asm_expect_p(st, "]");
}

/* Name = prefix + size suffix ("ldxdw" with "ldx" -> BPF_DW); -1 when not. */
static int conf_sized(const struct asm_tok *t, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (t->len <= pl || memcmp(t->s, prefix, pl) != 0)
        return -1;
    return opnames_size_by_suffix(t->s + pl, t->len - pl);
}

/* lddw %rD, imm64 | map_fd N | map_value N, V | btf_id N[, fd] | func T | map_idx N | ... */
static int conf_lddw(struct asm_state *st)
{
    int dst, src;
    int32_t imm = 0, imm2 = 0;
    uint64_t v;
    const struct asm_tok *t;

    if (asm_reg(st, &dst, NULL))
        return -EINVAL;
    conf_comma(st);
    t = asm_cur(st);
    if (t->kind != ASM_T_IDENT) {
        if (asm_imm64(st, &v))
            return -EINVAL;
        return asm_emit_lddw(st, dst, 0, (int32_t)(uint32_t)v, (int32_t)(uint32_t)(v >> 32));
    }
    src = opnames_pseudo_by_conf(t->s, t->len);
    if (src < 0)
        return asm_fail_near(
            st, "expected a number or map_fd/map_value/btf_id/func/map_idx/map_idx_value");
    st->pos++;
    if (src == BPF_PSEUDO_FUNC) {
        if (asm_target(st, 1, &imm))
            return -EINVAL;
    } else {
        if (asm_imm32(st, &imm))
            return -EINVAL;
        conf_comma(st);
        if ((src == BPF_PSEUDO_MAP_VALUE || src == BPF_PSEUDO_MAP_IDX_VALUE ||
             src == BPF_PSEUDO_BTF_ID) && asm_cur(st)->kind != ASM_T_END && asm_imm32(st, &imm2))
            return -EINVAL;
    }
    return asm_emit_lddw(st, dst, src, imm, imm2);
}

static int conf_lock(struct asm_state *st)
{
    int fetch = asm_accept_id(st, "fetch") ? BPF_FETCH : 0;
    const struct asm_tok *t = asm_cur(st);
    int size = BPF_DW, op, dst, src;
    int16_t off;
    size_t len = t->len;

    if (t->kind != ASM_T_IDENT)
        return asm_fail_near(st, "expected an atomic operation");
    if (len > 2 && memcmp(t->s + len - 2, "32", 2) == 0) {
        size = BPF_W;
        len -= 2;
    }
    if (len == 4 && memcmp(t->s, "xchg", 4) == 0 && !fetch)
        op = BPF_XCHG;
    else if (len == 7 && memcmp(t->s, "cmpxchg", 7) == 0 && !fetch)
        op = BPF_CMPXCHG;
    else if ((op = opnames_atomic_by_conf(t->s, len)) >= 0)
        op |= fetch;
    else
        return asm_fail_near(st, "expected add, and, or, xor, xchg or cmpxchg");
    st->pos++;
    if (conf_mem(st, &dst, &off))
        return -EINVAL;
    conf_comma(st);
    if (asm_reg(st, &src, NULL))
        return -EINVAL;
    return asm_emit(st, isa_make((uint8_t)(BPF_STX | BPF_ATOMIC | size), dst, src, off, op));
}

static int conf_call(struct asm_state *st)
{
    int32_t v;
    int reg;
    if (asm_accept_id(st, "local")) {
        if (asm_target(st, 1, &v))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_CALL, 0, BPF_PSEUDO_CALL, 0, v));
    }
    if (asm_accept_id(st, "runtime")) {
        int16_t off = 0;
        if (asm_imm32(st, &v))
            return -EINVAL;
        conf_comma(st);
        if (asm_cur(st)->kind != ASM_T_END && asm_off_rest(st, 1, &off))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_CALL, 0, BPF_PSEUDO_KFUNC_CALL, off, v));
    }
    if (conf_is_reg(st)) {
        if (asm_reg(st, &reg, NULL))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_CALLX, reg, 0, 0, 0));
    }
    if (asm_imm32(st, &v))
        return -EINVAL;
    return asm_emit(st, isa_make(ISA_CALL, 0, 0, 0, v));
}

/* Loads and stores with a size suffix: ldx/ldxs/st/stx/ldacq/strel/ldabs/ldind. */
static int conf_mem_insn(struct asm_state *st, const struct asm_tok *t, int *handled)
{
    int size, dst, src;
    int16_t off;
    int32_t imm;

    *handled = 1;
    if ((size = conf_sized(t, "ldxs")) >= 0 && size != BPF_DW) {
        if (asm_reg(st, &dst, NULL) || (conf_comma(st), conf_mem(st, &src, &off)))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_LDX | BPF_MEMSX | size), dst, src, off, 0));
    }
    if ((size = conf_sized(t, "ldx")) >= 0 || (size = conf_sized(t, "ldacq")) >= 0) {
        int acq = t->s[2] == 'a';
        if (asm_reg(st, &dst, NULL) || (conf_comma(st), conf_mem(st, &src, &off)))
            return -EINVAL;
        if (acq)
            return asm_emit(st, isa_make((uint8_t)(BPF_STX | BPF_ATOMIC | size), dst, src, off,
                                         BPF_LOAD_ACQ));
        return asm_emit(st, isa_make((uint8_t)(BPF_LDX | BPF_MEM | size), dst, src, off, 0));
    }
    if ((size = conf_sized(t, "stx")) >= 0 || (size = conf_sized(t, "strel")) >= 0) {
        int rel = t->s[2] == 'r';
        if (conf_mem(st, &dst, &off) || (conf_comma(st), asm_reg(st, &src, NULL)))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_STX | (rel ? BPF_ATOMIC : BPF_MEM) | size), dst,
                                     src, off, rel ? BPF_STORE_REL : 0));
    }
    if ((size = conf_sized(t, "st")) >= 0) {
        if (conf_mem(st, &dst, &off) || (conf_comma(st), asm_imm32(st, &imm)))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_ST | BPF_MEM | size), dst, 0, off, imm));
    }
    if ((size = conf_sized(t, "ldabs")) >= 0 && size != BPF_DW) {
        if (asm_imm32(st, &imm))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_LD | BPF_ABS | size), 0, 0, 0, imm));
    }
    if ((size = conf_sized(t, "ldind")) >= 0 && size != BPF_DW) {
        if (asm_reg(st, &src, NULL) || (conf_comma(st), asm_imm32(st, &imm)))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(BPF_LD | BPF_IND | size), 0, src, 0, imm));
    }
    *handled = 0;
    return 0;
}

static int conf_insn(struct asm_state *st)
{
    const struct asm_tok *t = asm_cur(st);
    int32_t v, imm = 0;
    int dst, src = 0, bits, code, handled, op, is32 = 0;

    if (t->kind != ASM_T_IDENT)
        return asm_fail_near(st, "expected an instruction");
    st->pos++;
    if (asm_tok_is(t, ASM_T_IDENT, "exit"))
        return asm_emit(st, isa_make(ISA_EXIT, 0, 0, 0, 0));
    if (asm_tok_is(t, ASM_T_IDENT, "ja") || asm_tok_is(t, ASM_T_IDENT, "may_goto")) {
        if (asm_target(st, 0, &v))
            return -EINVAL;
        return asm_emit(st, isa_make(t->len == 2 ? ISA_JA : BPF_JMP | BPF_JCOND, 0, 0, v, 0));
    }
    if (asm_tok_is(t, ASM_T_IDENT, "ja32")) {
        if (asm_target(st, 1, &v))
            return -EINVAL;
        return asm_emit(st, isa_make(ISA_JA32, 0, 0, 0, v));
    }
    if (asm_tok_is(t, ASM_T_IDENT, "call"))
        return conf_call(st);
    if (asm_tok_is(t, ASM_T_IDENT, "lock"))
        return conf_lock(st);
    if (asm_tok_is(t, ASM_T_IDENT, "lddw"))
        return conf_lddw(st);
    if (asm_tok_is(t, ASM_T_IDENT, ".8byte"))
        return asm_raw(st);
    if ((code = asm_end_opcode(t, &bits)) >= 0) {
        if (asm_reg(st, &dst, NULL))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)code, dst, 0, 0, bits));
    }
    if (asm_tok_is(t, ASM_T_IDENT, "addr_space_cast")) {
        unsigned das, sas;
        if (asm_reg(st, &dst, NULL) || (conf_comma(st), asm_reg(st, &src, NULL)))
            return -EINVAL;
        conf_comma(st);
        if (asm_u16(st, &das) || (conf_comma(st), asm_u16(st, &sas)))
            return -EINVAL;
        return asm_emit(st, isa_make(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 1,
                                     (int32_t)((das << 16) | sas)));
    }
    if (t->len >= 8 && memcmp(t->s, "movsx", 5) == 0) {
        static const struct { const char *name; uint8_t cls; int off; } sx[] = {
            {"movsx832", BPF_ALU, 8},    {"movsx1632", BPF_ALU, 16},  {"movsx864", BPF_ALU64, 8},
            {"movsx1664", BPF_ALU64, 16}, {"movsx3264", BPF_ALU64, 32},
        };
        for (size_t i = 0; i < sizeof(sx) / sizeof(sx[0]); i++) {
            if (!asm_tok_is(t, ASM_T_IDENT, sx[i].name))
                continue;
            if (asm_reg(st, &dst, NULL) || (conf_comma(st), asm_reg(st, &src, NULL)))
                return -EINVAL;
            return asm_emit(st, isa_make((uint8_t)(sx[i].cls | BPF_MOV | BPF_X), dst, src,
                                         sx[i].off, 0));
        }
    }
    int rc = conf_mem_insn(st, t, &handled);
    if (handled)
        return rc;

    /* ALU and conditional jumps: NAME[32] */
    size_t len = t->len;
    if (len > 2 && memcmp(t->s + len - 2, "32", 2) == 0) {
        is32 = 1;
        len -= 2;
    }
    int sdiv = 0;
    if ((op = opnames_alu_by_conf(t->s, len)) < 0 && len > 1 && t->s[0] == 's' &&
        (op = opnames_alu_by_conf(t->s + 1, len - 1)) >= 0) {
        if (op != BPF_DIV && op != BPF_MOD)
            op = -1;
        sdiv = 1;
    }
    if (op >= 0) {
        uint8_t cls = is32 ? BPF_ALU : BPF_ALU64;
        if (asm_reg(st, &dst, NULL))
            return -EINVAL;
        if (op == BPF_NEG)
            return asm_emit(st, isa_make((uint8_t)(cls | BPF_NEG), dst, 0, 0, 0));
        conf_comma(st);
        if (conf_is_reg(st)) {
            if (asm_reg(st, &src, NULL))
                return -EINVAL;
            return asm_emit(st, isa_make((uint8_t)(cls | op | BPF_X), dst, src, sdiv, 0));
        }
        if (asm_imm32(st, &imm))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)(cls | op | BPF_K), dst, 0, sdiv, imm));
    }
    if ((op = opnames_jmp_by_conf(t->s, len)) >= 0) {
        int x = 0;
        if (asm_reg(st, &dst, NULL))
            return -EINVAL;
        conf_comma(st);
        if (conf_is_reg(st)) {
            if (asm_reg(st, &src, NULL))
                return -EINVAL;
            x = BPF_X;
        } else if (asm_imm32(st, &imm)) {
            return -EINVAL;
        }
        conf_comma(st);
        if (asm_target(st, 0, &v))
            return -EINVAL;
        return asm_emit(st, isa_make((uint8_t)((is32 ? BPF_JMP32 : BPF_JMP) | op | x), dst, src,
                                     v, imm));
    }
    st->pos--;
    return asm_fail(st, "unknown mnemonic '%.*s'", (int)(t->len > 40 ? 40 : t->len), t->s);
}

/* ---------------------------------------------------------------- lines and driver */

static int asm_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Skip listing decorations before tokenizing: an index "  12:" (must start with a digit), a
 * kernel-log opcode "(b7)" (remembered: "(18)" makes `r1 = 5` a lddw), llvm-objdump's hex
 * bytes.  "0000000000000010 <name>:" becomes the label name.  *ignore is set for lines that
 * are listing noise (objdump relocations, verifier register states). */
static const char *asm_skip_listing(struct asm_state *st, const char *p, const char *end,
                                    int *ignore)
{
    const char *q = p;
    *ignore = 0;
    st->listing_op = -1;
    while (q < end && asm_is_space((unsigned char)*q))
        q++;
    if (q == end || *q < '0' || *q > '9')
        return p;
    while (q < end && asm_hexval((unsigned char)*q) >= 0)
        q++;
    if (q < end && *q == ':')
        q++;
    else {
        while (q < end && asm_is_space((unsigned char)*q))
            q++;
        return (q < end && *q == '<') ? q : p; /* "<name>:" label, checked after tokenizing */
    }
    while (q < end && asm_is_space((unsigned char)*q))
        q++;
    if (end - q >= 4 && q[0] == '(' && asm_hexval((unsigned char)q[1]) >= 0 &&
        asm_hexval((unsigned char)q[2]) >= 0 && q[3] == ')') {
        st->listing_op = asm_hexval((unsigned char)q[1]) * 16 + asm_hexval((unsigned char)q[2]);
        q += 4;
    }
    for (;;) {
        while (q < end && asm_is_space((unsigned char)*q))
            q++;
        if (end - q >= 2 && asm_hexval((unsigned char)q[0]) >= 0 &&
            asm_hexval((unsigned char)q[1]) >= 0 &&
            (end - q == 2 || asm_is_space((unsigned char)q[2])))
            q += 2;
        else
            break;
    }
    if ((end - q > 6 && memcmp(q, "R_BPF_", 6) == 0) ||
        (end - q > 1 && q[0] == 'R' && q[1] >= '0' && q[1] <= '9'))
        *ignore = 1;
    return q;
}

/* After tokenizing: "<name>:" from an objdump symbol line, and a trailing "<LBB0_2>". */
static void asm_fix_tokens(struct asm_state *st)
{
    struct asm_tok *t = st->tok;
    if (st->ntok == 4 && asm_tok_is(&t[0], ASM_T_PUNCT, "<") && t[1].kind == ASM_T_IDENT &&
        asm_tok_is(&t[2], ASM_T_PUNCT, ">") && asm_tok_is(&t[3], ASM_T_PUNCT, ":")) {
        st->pos = 1;
        t[2] = t[3];
        st->ntok = 3;
        memset(&t[3], 0, sizeof(t[3]));
        t[3].kind = ASM_T_END;
        t[3].s = "";
        return;
    }
    if (st->ntok > 1 && asm_tok_is(&t[st->ntok - 1], ASM_T_PUNCT, ">")) {
        for (int i = st->ntok - 2; i > 0; i--) {
            if (asm_tok_is(&t[i], ASM_T_PUNCT, "<")) {
                st->ntok = i;
                memset(&t[i], 0, sizeof(t[i]));
                t[i].kind = ASM_T_END;
                t[i].s = "";
                break;
            }
        }
    }
}

static int asm_line(struct asm_state *st, const char *p, const char *end)
{
    int ignore;
    p = asm_skip_listing(st, p, end, &ignore);
    if (ignore)
        return 0;
    if (asm_tokenize(st, p, end))
        return -EINVAL;
    asm_fix_tokens(st);
    while (asm_cur(st)->kind == ASM_T_IDENT &&
           asm_tok_is(&st->tok[st->pos + 1], ASM_T_PUNCT, ":")) {
        if (asm_add_label(st, asm_cur(st)))
            return -EINVAL;
        st->pos += 2;
    }
    if (asm_cur(st)->kind == ASM_T_END)
        return 0;
    int rc = st->syntax == BPFVM_SYNTAX_CONFORMANCE ? conf_insn(st) : llvm_insn(st);
    if (rc)
        return rc;
    return asm_end_of_line(st);
}

enum bpfvm_syntax bpfvm_asm_detect(const char *text)
{
    if (!text)
        return BPFVM_SYNTAX_LLVM;
    for (const char *p = strchr(text, '%'); p; p = strchr(p + 1, '%'))
        if (p[1] == 'r' && p[2] >= '0' && p[2] <= '9')
            return BPFVM_SYNTAX_CONFORMANCE;
    return BPFVM_SYNTAX_LLVM;
}

static void asm_free_state(struct asm_state *st)
{
    for (size_t i = 0; i < st->nlabels; i++)
        free(st->labels[i].name);
    for (size_t i = 0; i < st->nfix; i++)
        free(st->fixups[i].name);
    free(st->labels);
    free(st->fixups);
}

int bpfvm_asm(const char *text, enum bpfvm_syntax syntax, struct bpfvm_insn **insns, size_t *cnt,
              char *err, size_t errlen)
{
    struct asm_state st;
    int rc = 0;

    memset(&st, 0, sizeof(st));
    st.err = err;
    st.errlen = errlen;
    st.first_exit = -1;
    if (err && errlen)
        err[0] = '\0';
    if (insns)
        *insns = NULL;
    if (cnt)
        *cnt = 0;
    if (!text || !insns || !cnt) {
        st.line = 0;
        return asm_fail(&st, "no text");
    }
    st.syntax = syntax == BPFVM_SYNTAX_AUTO ? bpfvm_asm_detect(text) : syntax;
    if (st.syntax != BPFVM_SYNTAX_LLVM && st.syntax != BPFVM_SYNTAX_CONFORMANCE)
        st.syntax = BPFVM_SYNTAX_LLVM;

    const char *p = text;
    while (*p && rc == 0) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        st.line++;
        rc = asm_line(&st, p, end);
        p = nl ? nl + 1 : end;
    }
    if (rc == 0 && st.n == 0) {
        st.line = st.line ? st.line : 1;
        rc = asm_fail(&st, "no instructions");
    }
    if (rc == 0)
        rc = asm_resolve(&st);
    asm_free_state(&st);
    if (rc) {
        free(st.insns);
        return -EINVAL;
    }
    *insns = st.insns;
    *cnt = st.n;
    return 0;
}
