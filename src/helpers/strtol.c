/* helpers/strtol.c - bpf_strtol / bpf_strtoul with the kernel's rules, and bpf_strncmp.
 *
 * strto*: flags = base (0, 8, 10 or 16; other bits must be 0).  Leading whitespace (the
 * kernel's isspace: \t \n \v \f \r, space and Latin-1 0xa0) and one optional '-' are skipped
 * (no '+').  At most 63 characters after them are looked at.  Base 0 picks 16 for "0x" + a
 * hex digit, 8 for a leading 0, else 10; base 16 skips a "0x" prefix.  Returns the characters
 * consumed (prefix, whitespace and sign included) and stores the value in *res, or -EINVAL
 * (no digits, bad base or flags, empty buffer; strtoul also for a '-'), -ERANGE (overflow). */
#include "helpers/helpers.h"

#include <string.h>

#define STRTOX_BASE_MASK 0x1fu

static bool stx_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static int stx_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return 99;
}

static long stx_parse(const char *buf, size_t len, uint64_t flags, uint64_t *res, bool *neg)
{
    unsigned base = (unsigned)(flags & STRTOX_BASE_MASK);
    if (!buf || !len)
        return -EINVAL;
    if (base != 0 && base != 8 && base != 10 && base != 16)
        return -EINVAL;
    if (flags & ~(uint64_t)STRTOX_BASE_MASK)
        return -EINVAL;
    size_t i = 0;
    while (i < len && stx_space((unsigned char)buf[i]))
        i++;
    *neg = i < len && buf[i] == '-';
    if (*neg)
        i++;
    if (i == len)
        return -EINVAL;
    char s[64];
    size_t n = len - i < sizeof(s) - 1 ? len - i : sizeof(s) - 1;
    memcpy(s, buf + i, n);
    s[n] = 0;
    size_t j = 0;
    if (base == 0) {
        if (s[0] == '0') {
            base = ((s[1] | 0x20) == 'x' && stx_digit((unsigned char)s[2]) < 16) ? 16 : 8;
        } else {
            base = 10;
        }
    }
    if (base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x')
        j = 2;
    uint64_t v = 0;
    bool overflow = false;
    size_t start = j;
    for (; j < n; j++) {
        int d = stx_digit((unsigned char)s[j]);
        if (d >= (int)base)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            overflow = true;
        v = v * base + (uint64_t)d;
    }
    if (overflow)
        return -ERANGE;
    if (j == start)
        return -EINVAL;
    *res = v;
    return (long)(i + j);
}

HELPER_DECL(helper_strtol)
{
    if (!helpers_mem_ok(ex, r1, r2, false) || !helpers_mem_ok(ex, r4, 8, true) || !r4)
        return (uint64_t)-EFAULT;
    memset((void *)(uintptr_t)r4, 0, 8); /* Linux 6.12+: *res is 0 unless a number is stored */
    uint64_t v = 0;
    bool neg = false;
    long n = stx_parse((const char *)(uintptr_t)r1, r2, r3, &v, &neg);
    if (n < 0)
        return (uint64_t)n;
    int64_t out;
    if (neg) {
        if ((int64_t)(0 - v) > 0)
            return (uint64_t)-ERANGE;
        out = (int64_t)(0 - v);
    } else {
        if ((int64_t)v < 0)
            return (uint64_t)-ERANGE;
        out = (int64_t)v;
    }
    memcpy((void *)(uintptr_t)r4, &out, 8);
    return (uint64_t)n;
}

HELPER_DECL(helper_strtoul)
{
    if (!helpers_mem_ok(ex, r1, r2, false) || !helpers_mem_ok(ex, r4, 8, true) || !r4)
        return (uint64_t)-EFAULT;
    memset((void *)(uintptr_t)r4, 0, 8); /* Linux 6.12+: *res is 0 unless a number is stored */
    uint64_t v = 0;
    bool neg = false;
    long n = stx_parse((const char *)(uintptr_t)r1, r2, r3, &v, &neg);
    if (n < 0)
        return (uint64_t)n;
    if (neg)
        return (uint64_t)-EINVAL;
    memcpy((void *)(uintptr_t)r4, &v, 8);
    return (uint64_t)n;
}

/* bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp over at most s1_sz bytes: -1, 0 or 1. */
HELPER_DECL(helper_strncmp)
{
    uint32_t n = (uint32_t)r2;
    if (!helpers_mem_ok(ex, r1, n, false) || !r3)
        return (uint64_t)-EFAULT;
    const unsigned char *a = (const unsigned char *)(uintptr_t)r1;
    const unsigned char *b = (const unsigned char *)(uintptr_t)r3;
    for (uint32_t i = 0; i < n; i++) {
        if (ex->checked && !exec_mem_ok(ex, r3 + i, 1, false))
            return (uint64_t)-EFAULT;
        if (a[i] != b[i])
            return a[i] < b[i] ? (uint64_t)-1 : 1;
        if (!a[i])
            break;
    }
    return 0;
}
