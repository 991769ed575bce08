/* tnum.c - tristate numbers: 64-bit values where each bit is known 0, known 1 or unknown.
 * `value` holds the known-1 bits, `mask` the unknown ones (value & mask == 0 always).  The
 * verifier tracks the bits of every scalar and pointer offset with these. */
#include <stdio.h>

#include "verifier/verifier.h"

struct tnum tnum_range(uint64_t min, uint64_t max)
{
    uint64_t diff = min ^ max;
    if (!diff)
        return tnum_const(min);
    /* every bit from the highest differing one down is unknown */
    int bits = 64 - __builtin_clzll(diff);
    uint64_t unknown = bits >= 64 ? ~0ULL : (1ULL << bits) - 1;
    return TNUM(min & ~unknown, unknown);
}

struct tnum tnum_add(struct tnum a, struct tnum b)
{
    uint64_t msum = a.mask + b.mask, vsum = a.value + b.value;
    uint64_t carries = (msum + vsum) ^ vsum; /* bits a carry may have reached */
    uint64_t unknown = carries | a.mask | b.mask;
    return TNUM(vsum & ~unknown, unknown);
}

struct tnum tnum_sub(struct tnum a, struct tnum b)
{
    uint64_t vdiff = a.value - b.value;
    uint64_t borrow_hi = vdiff + a.mask, borrow_lo = vdiff - b.mask;
    uint64_t unknown = (borrow_hi ^ borrow_lo) | a.mask | b.mask;
    return TNUM(vdiff & ~unknown, unknown);
}

struct tnum tnum_and(struct tnum a, struct tnum b)
{
    uint64_t may_a = a.value | a.mask, may_b = b.value | b.mask;
    uint64_t ones = a.value & b.value;
    return TNUM(ones, (may_a & may_b) & ~ones);
}

struct tnum tnum_or(struct tnum a, struct tnum b)
{
    uint64_t ones = a.value | b.value;
    uint64_t unknown = (a.mask | b.mask) & ~ones;
    return TNUM(ones, unknown);
}

struct tnum tnum_xor(struct tnum a, struct tnum b)
{
    uint64_t unknown = a.mask | b.mask;
    return TNUM((a.value ^ b.value) & ~unknown, unknown);
}

/* Shift-and-add over the bits of a: a known 1 adds b, an unknown bit adds "b or 0". */
struct tnum tnum_mul(struct tnum a, struct tnum b)
{
    struct tnum acc_known = tnum_const(a.value * b.value); /* products of known parts */
    struct tnum acc_unknown = tnum_const(0);
    while (a.value || a.mask) {
        if (a.value & 1)
            acc_unknown = tnum_add(acc_unknown, TNUM(0, b.mask));
        else if (a.mask & 1)
            acc_unknown = tnum_add(acc_unknown, TNUM(0, b.value | b.mask));
        a = tnum_rshift(a, 1);
        b = tnum_lshift(b, 1);
    }
    return tnum_add(acc_known, acc_unknown);
}

struct tnum tnum_lshift(struct tnum a, unsigned s)
{
    if (s >= 64)
        return tnum_const(0);
    return TNUM(a.value << s, a.mask << s);
}

struct tnum tnum_rshift(struct tnum a, unsigned s)
{
    if (s >= 64)
        return tnum_const(0);
    return TNUM(a.value >> s, a.mask >> s);
}

/* Arithmetic shift right of the low `width` bits (32 or 64), result zero-extended for 32. */
struct tnum tnum_arshift(struct tnum a, unsigned s, unsigned width)
{
    if (width == 32) {
        uint32_t v = (uint32_t)(((int32_t)(uint32_t)a.value) >> (s & 31));
        uint32_t m = (uint32_t)(((int32_t)(uint32_t)a.mask) >> (s & 31));
        return TNUM(v, m);
    }
    return TNUM((uint64_t)((int64_t)a.value >> (s & 63)), (uint64_t)((int64_t)a.mask >> (s & 63)));
}

struct tnum tnum_neg(struct tnum a) { return tnum_sub(tnum_const(0), a); }

struct tnum tnum_intersect(struct tnum a, struct tnum b)
{
    uint64_t v = a.value | b.value;
    uint64_t m = a.mask & b.mask;
    return TNUM(v & ~m, m);
}

struct tnum tnum_cast(struct tnum a, unsigned bytes)
{
    if (bytes >= 8)
        return a;
    uint64_t keep = (1ULL << (bytes * 8)) - 1;
    return TNUM(a.value & keep, a.mask & keep);
}

struct tnum tnum_subreg(struct tnum a) { return tnum_cast(a, 4); }

bool tnum_in(struct tnum outer, struct tnum inner)
{
    if (inner.mask & ~outer.mask)
        return false; /* inner has a free bit that outer fixes */
    return (inner.value & ~outer.mask) == outer.value;
}

int tnum_str(char *buf, size_t len, struct tnum a)
{
    return snprintf(buf, len, "(%#llx; %#llx)", (unsigned long long)a.value,
                    (unsigned long long)a.mask);
}
