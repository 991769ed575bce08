/* helpers/printf.c - the kernel's BPF printf rules (bpf_bprintf_prepare + bstr_printf), used
 * by bpf_trace_printk and bpf_snprintf.
 *
 * Accepted: printable ASCII and whitespace only; "%%"; per conversion the flags [0+- ], a
 * width ([1-9][0-9]*; no precision, no '*'), then: d i u x X with optional l / ll (32-bit
 * without l, sign-extended for d/i), c, s (must be followed by NUL, space or punctuation),
 * p (hashed), pK (hashed: kptr_restrict 0), px (raw), ps / pS / pB (no symbols here: 0x...),
 * pks / pus (strings), pi4 pI4 pi6 pI6 (read from the pointer; zeros when unreadable).  Any
 * other conversion, too many conversions, or a character outside that set: -EINVAL.  After
 * any %p conversion the output skips the alphanumerics that follow the 'p', as the kernel's
 * vsnprintf does.  Strings and IP texts live in a 512-byte argument buffer as in the kernel:
 * strings are cut to fit, and an argument that finds no room gives -ENOSPC.  Unreadable
 * strings print as "". */
#define _GNU_SOURCE
#include "helpers/helpers.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define PF_FIELD_WIDTH_MAX ((1 << 23) - 1)

enum pf_kind { PF_NUM, PF_PTR, PF_STR, PF_CHAR };

struct pf_arg {
    uint8_t kind;
    char ptype;      /* PF_PTR: the char after 'p' ('K', 'x', 's', 'S' or 0 for plain) */
    uint64_t v;
    uint16_t off;    /* PF_STR: offset of the text in the argument buffer */
};

static bool pf_ascii(char c) { return (unsigned char)c < 0x80; }
static bool pf_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static bool pf_print(char c) { return c >= 0x20 && c < 0x7f; }
static bool pf_digit(char c) { return c >= '0' && c <= '9'; }
static bool pf_alnum(char c)
{
    return pf_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool pf_punct(char c) { return pf_print(c) && c != ' ' && !pf_alnum(c); }

/* ---------------------------------------------------------------- pointer hashing */

static uint64_t pf_ptr_key;
static pthread_once_t pf_key_once = PTHREAD_ONCE_INIT;

static void pf_key_init(void)
{
    uint64_t k = 0;
    if (getrandom(&k, sizeof(k), GRND_NONBLOCK) != sizeof(k))
        k = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&k;
    pf_ptr_key = k;
}

/* What %p prints: NULL and error pointers as they are, others as a 32-bit keyed hash. */
static uint64_t pf_hash_ptr(uint64_t p)
{
    if (p == 0 || p >= (uint64_t)-4095)
        return p;
    pthread_once(&pf_key_once, pf_key_init);
    return map_mix64(p ^ pf_ptr_key) & 0xffffffffu;
}

/* ---------------------------------------------------------------- prepare */

/* Copy a string the program pointed at into buf (room bytes, room >= 1) like the kernel's
 * strncpy_from_kernel_nofault: at most room-1 characters and a NUL; "" when unreadable.
 * Returns the bytes used, NUL included. */
static size_t pf_copy_str(const struct bpfvm_exec *ex, uint64_t src, char *buf, size_t room)
{
    size_t got = 0;
    while (got < room) {
        size_t want = room - got;
        size_t page_left = 4096 - (size_t)((src + got) & 4095);
        if (want > page_left)
            want = page_left;
        size_t n = helpers_read_nofault(ex, src + got, buf + got, want);
        char *nul = memchr(buf + got, 0, n);
        if (nul)
            return (size_t)(nul - buf) + 1;
        got += n;
        if (n < want) {
            buf[0] = 0; /* a fault before the end of the string */
            return 1;
        }
    }
    buf[room - 1] = 0;
    return room;
}

static int pf_ip_text(const struct bpfvm_exec *ex, char kind, char ver, uint64_t src, char *out,
                      size_t cap)
{
    uint8_t ip[16] = {0};
    size_t n = ver == '4' ? 4 : 16;
    if (helpers_read_nofault(ex, src, ip, n) != n)
        memset(ip, 0, sizeof(ip));
    if (ver == '4')
        return snprintf(out, cap, kind == 'I' ? "%u.%u.%u.%u" : "%03u.%03u.%03u.%03u", ip[0],
                        ip[1], ip[2], ip[3]);
    char t[48];
    size_t k = 0;
    for (int i = 0; i < 16; i += 2) {
        if (kind == 'I' && i)
            t[k++] = ':';
        k += (size_t)snprintf(t + k, sizeof(t) - k, "%02x%02x", ip[i], ip[i + 1]);
    }
    return snprintf(out, cap, "%s", t);
}

/* Walk the format the kernel's way; fill pa[] (one per conversion) and the argument buffer.
 * Returns the number of conversions or a negative errno. */
static int pf_prepare(const struct bpfvm_exec *ex, const char *fmt, const uint64_t *args,
                      int nargs, struct pf_arg *pa, char *bin)
{
    size_t len = strlen(fmt), used = 0;
    int num = 0;
    for (size_t i = 0; i < len; i++) {
        char c = fmt[i];
        if (!pf_ascii(c) || (!pf_print(c) && !pf_space(c)))
            return -EINVAL;
        if (c != '%')
            continue;
        if (fmt[i + 1] == '%') {
            i++;
            continue;
        }
        if (num >= nargs)
            return -EINVAL;
        i++;
        while (fmt[i] == '0' || fmt[i] == '+' || fmt[i] == '-' || fmt[i] == ' ')
            i++;
        if (fmt[i] >= '1' && fmt[i] <= '9') {
            i++;
            while (pf_digit(fmt[i]))
                i++;
        }
        struct pf_arg *a = &pa[num];
        a->v = args[num];
        a->ptype = 0;
        size_t argsz;
        if (fmt[i] == 'p') {
            char n1 = fmt[i + 1];
            if ((n1 == 'k' || n1 == 'u') && fmt[i + 2] == 's') {
                i += 2;
                goto fmt_str;
            }
            if (n1 == 0 || pf_space(n1) || pf_punct(n1) || n1 == 'K' || n1 == 'x' ||
                n1 == 's' || n1 == 'S') {
                a->kind = PF_PTR;
                a->ptype = pf_alnum(n1) ? n1 : 0;
                argsz = 8;
                i++;
                goto fmt_num;
            }
            if (n1 == 'B') {
                /* no kernel symbols: the kernel's text for an unknown address */
                size_t room = HELPERS_BPRINTF_BIN_ARGS > used ? HELPERS_BPRINTF_BIN_ARGS - used : 0;
                int w = snprintf(bin + used, room, "0x%llx", (unsigned long long)a->v);
                a->kind = PF_STR;
                a->off = (uint16_t)(room ? used : HELPERS_BPRINTF_BIN_ARGS);
                used += (size_t)w + 1;
                i++;
                num++;
                continue;
            }
            if ((n1 != 'i' && n1 != 'I') || (fmt[i + 2] != '4' && fmt[i + 2] != '6'))
                return -EINVAL;
            i += 2;
            size_t ipsz = fmt[i] == '4' ? 4 : 16;
            if (used > HELPERS_BPRINTF_BIN_ARGS || HELPERS_BPRINTF_BIN_ARGS - used < ipsz)
                return -ENOSPC;
            int w = pf_ip_text(ex, n1, fmt[i], a->v, bin + used, HELPERS_BPRINTF_BIN_ARGS - used);
            a->kind = PF_STR;
            a->off = (uint16_t)used;
            used += (size_t)w + 1;
            num++;
            continue;
        } else if (fmt[i] == 's') {
        fmt_str:
            if (fmt[i + 1] != 0 && !pf_space(fmt[i + 1]) && !pf_punct(fmt[i + 1]))
                return -EINVAL;
            if (used >= HELPERS_BPRINTF_BIN_ARGS)
                return -ENOSPC;
            a->kind = PF_STR;
            a->off = (uint16_t)used;
            used += pf_copy_str(ex, a->v, bin + used, HELPERS_BPRINTF_BIN_ARGS - used);
            num++;
            continue;
        } else if (fmt[i] == 'c') {
            if (used >= HELPERS_BPRINTF_BIN_ARGS)
                return -ENOSPC;
            a->kind = PF_CHAR;
            used++;
            num++;
            continue;
        }
        argsz = 4;
        if (fmt[i] == 'l') {
            argsz = 8;
            i++;
        }
        if (fmt[i] == 'l')
            i++;
        if (fmt[i] != 'i' && fmt[i] != 'd' && fmt[i] != 'u' && fmt[i] != 'x' && fmt[i] != 'X')
            return -EINVAL;
        a->kind = PF_NUM;
    fmt_num:
        used = (used + 3) & ~(size_t)3;
        if (used > HELPERS_BPRINTF_BIN_ARGS || HELPERS_BPRINTF_BIN_ARGS - used < argsz)
            return -ENOSPC;
        used += argsz;
        num++;
    }
    return num;
}

/* ---------------------------------------------------------------- output */

struct pf_out {
    char *buf;
    size_t cap; /* bytes of buf usable for text (the NUL comes after) */
    size_t len; /* text length so far, beyond cap included */
};

static void pf_put(struct pf_out *o, char c)
{
    if (o->len < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void pf_pad(struct pf_out *o, char c, long n)
{
    while (n > 0 && o->len < o->cap) {
        o->buf[o->len++] = c;
        n--;
    }
    if (n > 0)
        o->len += (size_t)n;
}

#define PF_LEFT 1
#define PF_PLUS 2
#define PF_SPACE 4
#define PF_ZERO 8

static void pf_text(struct pf_out *o, const char *s, size_t n, int flags, long width)
{
    long pad = width > (long)n ? width - (long)n : 0;
    if (!(flags & PF_LEFT))
        pf_pad(o, ' ', pad);
    for (size_t i = 0; i < n; i++)
        pf_put(o, s[i]);
    if (flags & PF_LEFT)
        pf_pad(o, ' ', pad);
}

static void pf_number(struct pf_out *o, uint64_t v, bool neg, int base, bool upper, int flags,
                      long width)
{
    char digits[24];
    int nd = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[nd++] = set[v % (unsigned)base];
        v /= (unsigned)base;
    } while (v);
    char sign = neg ? '-' : (flags & PF_PLUS) ? '+' : (flags & PF_SPACE) ? ' ' : 0;
    long body = nd + (sign ? 1 : 0);
    long pad = width > body ? width - body : 0;
    if (!(flags & PF_LEFT) && !(flags & PF_ZERO))
        pf_pad(o, ' ', pad);
    if (sign)
        pf_put(o, sign);
    if (!(flags & PF_LEFT) && (flags & PF_ZERO))
        pf_pad(o, '0', pad);
    while (nd)
        pf_put(o, digits[--nd]);
    if (flags & PF_LEFT)
        pf_pad(o, ' ', pad);
}

static void pf_format(const char *fmt, const struct pf_arg *pa, const char *bin,
                      struct pf_out *o)
{
    int num = 0;
    for (size_t i = 0; fmt[i]; i++) {
        if (fmt[i] != '%') {
            pf_put(o, fmt[i]);
            continue;
        }
        if (fmt[i + 1] == '%') {
            pf_put(o, '%');
            i++;
            continue;
        }
        i++;
        int flags = 0;
        for (;; i++) {
            if (fmt[i] == '-')
                flags |= PF_LEFT;
            else if (fmt[i] == '+')
                flags |= PF_PLUS;
            else if (fmt[i] == ' ')
                flags |= PF_SPACE;
            else if (fmt[i] == '0')
                flags |= PF_ZERO;
            else
                break;
        }
        long width = -1;
        if (pf_digit(fmt[i])) {
            width = 0;
            while (pf_digit(fmt[i])) {
                width = width * 10 + (fmt[i++] - '0');
                if (width > PF_FIELD_WIDTH_MAX)
                    width = PF_FIELD_WIDTH_MAX;
            }
        }
        const struct pf_arg *a = &pa[num++];
        char c = fmt[i];
        if (c == 'p') {
            if (a->kind == PF_STR) {
                const char *s = bin + a->off;
                pf_text(o, s, strlen(s), flags, width);
            } else if (a->ptype == 's' || a->ptype == 'S') {
                char t[24];
                int n = snprintf(t, sizeof(t), "0x%llx", (unsigned long long)a->v);
                pf_text(o, t, (size_t)n, flags, width);
            } else {
                uint64_t v = a->ptype == 'x' ? a->v : pf_hash_ptr(a->v);
                if (width < 0) {
                    width = 16;
                    flags |= PF_ZERO;
                }
                pf_number(o, v, false, 16, false, flags & ~(PF_PLUS | PF_SPACE), width);
            }
            while (pf_alnum(fmt[i + 1]))
                i++;
            continue;
        }
        if (c == 's') {
            const char *s = bin + a->off;
            pf_text(o, s, strlen(s), flags, width);
            continue;
        }
        if (c == 'c') {
            char ch = (char)a->v;
            pf_text(o, &ch, 1, flags, width);
            continue;
        }
        int lcount = 0;
        while (fmt[i] == 'l') {
            lcount++;
            i++;
        }
        c = fmt[i];
        uint64_t v = a->v;
        bool is_signed = c == 'd' || c == 'i';
        bool neg = false;
        if (!lcount)
            v = is_signed ? (uint64_t)(int64_t)(int32_t)v : (uint32_t)v;
        if (is_signed && (int64_t)v < 0) {
            neg = true;
            v = 0 - v;
        }
        if (!is_signed)
            flags &= ~(PF_PLUS | PF_SPACE);
        pf_number(o, v, neg, (c == 'x' || c == 'X') ? 16 : 10, c == 'X', flags, width);
    }
}

int helpers_bprintf(const struct bpfvm_exec *ex, const char *fmt, const uint64_t *args,
                    int nargs, char *out, size_t out_cap)
{
    struct pf_arg pa[HELPERS_BPRINTF_MAX_ARGS];
    char bin[HELPERS_BPRINTF_BIN_ARGS + 1];
    if (nargs > HELPERS_BPRINTF_MAX_ARGS)
        return -E2BIG;
    bin[HELPERS_BPRINTF_BIN_ARGS] = 0; /* the text of arguments that found no room */
    int n = pf_prepare(ex, fmt, args, nargs, pa, bin);
    if (n < 0)
        return n;
    struct pf_out o = {out, out_cap ? out_cap - 1 : 0, 0};
    pf_format(fmt, pa, bin, &o);
    if (out_cap)
        out[o.len < o.cap ? o.len : o.cap] = 0;
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}
