/* bytecode.c - reading the numeric classic formats: tcpdump -dd C initializers, tcpdump -ddd
 * decimal lines, and the xt_bpf/tc `bytecode` string ("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0")
 * or bytecode file (the same numbers, any mix of commas, spaces and newlines); plus the
 * format-guessing entry point bpfvm_cbpf_parse(). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cbpf/cbpf_int.h"
#include "cbpf/parse_int.h"

/* read one number token at *pp (skipping separators); 1 = got one, 0 = end, -1 = bad */
static int next_number(const char **pp, int *line, uint32_t *v, char *bad, size_t badlen)
{
    const char *p = *pp;
    for (;;) {
        while (*p == ',' || isspace((unsigned char)*p)) {
            if (*p == '\n')
                (*line)++;
            p++;
        }
        if (*p == '#') { /* comment to end of line */
            while (*p && *p != '\n')
                p++;
            continue;
        }
        break;
    }
    if (!*p) {
        *pp = p;
        return 0;
    }
    const char *s = p;
    while (*p && *p != ',' && !isspace((unsigned char)*p))
        p++;
    size_t l = (size_t)(p - s);
    char tmp[40];
    *pp = p;
    if (l >= sizeof tmp || (memcpy(tmp, s, l), tmp[l] = 0, cbpf_parse_number(tmp, v))) {
        snprintf(bad, badlen, "%.*s", (int)(l > 30 ? 30 : l), s);
        return -1;
    }
    return 1;
}

int cbpf_parse_numbers(const char *text, struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg,
                       size_t msg_len)
{
    const char *p = text;
    int line = 1, r;
    uint32_t n, f[4];
    char bad[40];
    r = next_number(&p, &line, &n, bad, sizeof bad);
    if (r <= 0) {
        cbpf_msg(msg, msg_len, r ? "line %d: bad instruction count '%s'" : "line %d: empty bytecode%s",
                 line, r ? bad : "");
        return -EINVAL;
    }
    if (n == 0 || n > BPFVM_CBPF_MAXINSNS) {
        cbpf_msg(msg, msg_len, "line %d: instruction count %u out of range (1..%d)", line, n,
                 BPFVM_CBPF_MAXINSNS);
        return -EINVAL;
    }
    struct bpfvm_cbpf_insn *v = calloc(n, sizeof(*v));
    if (!v) {
        cbpf_msg(msg, msg_len, "out of memory");
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        for (int j = 0; j < 4; j++) {
            r = next_number(&p, &line, &f[j], bad, sizeof bad);
            if (r == 0) {
                cbpf_msg(msg, msg_len, "line %d: count says %u insns but only %u follow", line,
                         n, i);
                goto fail;
            }
            if (r < 0) {
                cbpf_msg(msg, msg_len, "line %d: insn %u: bad number '%s'", line, i, bad);
                goto fail;
            }
        }
        if (f[0] > 0xffff || f[1] > 255 || f[2] > 255) {
            cbpf_msg(msg, msg_len, "line %d: insn %u: field out of range (code %u jt %u jf %u)",
                     line, i, f[0], f[1], f[2]);
            goto fail;
        }
        v[i] = (struct bpfvm_cbpf_insn){(uint16_t)f[0], (uint8_t)f[1], (uint8_t)f[2], f[3]};
    }
    r = next_number(&p, &line, &f[0], bad, sizeof bad);
    if (r != 0) {
        cbpf_msg(msg, msg_len, "line %d: extra data after %u insns", line, n);
        goto fail;
    }
    *out = v;
    *cnt = n;
    return 0;
fail:
    free(v);
    return -EINVAL;
}

int cbpf_parse_c(const char *text, struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg,
                 size_t msg_len)
{
    size_t n = 0, cap = 0;
    struct bpfvm_cbpf_insn *v = NULL;
    int line = 1;
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            line++;
        if (*p != '{')
            continue;
        const char *q = p + 1;
        while (isspace((unsigned char)*q))
            q++;
        if (!isdigit((unsigned char)*q))
            continue; /* "struct sock_filter f[] = {" and the like */
        uint32_t f[4];
        for (int j = 0; j < 4; j++) {
            while (isspace((unsigned char)*q))
                q++;
            const char *s = q;
            while (isalnum((unsigned char)*q))
                q++;
            char tmp[40];
            size_t l = (size_t)(q - s);
            if (l == 0 || l >= sizeof tmp || (memcpy(tmp, s, l), tmp[l] = 0,
                                              cbpf_parse_number(tmp, &f[j]))) {
                cbpf_msg(msg, msg_len, "line %d: bad number in { code, jt, jf, k }", line);
                goto fail;
            }
            while (isspace((unsigned char)*q))
                q++;
            if (*q != (j == 3 ? '}' : ',')) {
                if (j == 3 && *q == ',') { /* tolerate a trailing comma inside the braces */
                    q++;
                    while (isspace((unsigned char)*q))
                        q++;
                }
                if (*q != (j == 3 ? '}' : ',')) {
                    cbpf_msg(msg, msg_len, "line %d: expected '%c' in { code, jt, jf, k }", line,
                             j == 3 ? '}' : ',');
                    goto fail;
                }
            }
            q++;
        }
        if (f[0] > 0xffff || f[1] > 255 || f[2] > 255) {
            cbpf_msg(msg, msg_len, "line %d: field out of range", line);
            goto fail;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct bpfvm_cbpf_insn *nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                cbpf_msg(msg, msg_len, "out of memory");
                free(v);
                return -ENOMEM;
            }
            v = nv;
        }
        if (n >= BPFVM_CBPF_MAXINSNS * 16u) {
            cbpf_msg(msg, msg_len, "line %d: too many instructions", line);
            goto fail;
        }
        v[n++] = (struct bpfvm_cbpf_insn){(uint16_t)f[0], (uint8_t)f[1], (uint8_t)f[2], f[3]};
        p = q - 1;
    }
    if (!n) {
        cbpf_msg(msg, msg_len, "no { code, jt, jf, k } instructions found");
        goto fail;
    }
    *out = v;
    *cnt = n;
    return 0;
fail:
    free(v);
    return -EINVAL;
}

static enum bpfvm_cbpf_format guess(const char *t)
{
    const char *p = t;
    for (;;) { /* skip blank and '#' comment lines */
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '#')
            break;
        while (*p && *p != '\n')
            p++;
    }
    if (*p == '(' && isdigit((unsigned char)p[1]))
        return BPFVM_CBPF_FMT_IMAGE;
    if (strchr(t, '{') && strchr(t, '}'))
        return BPFVM_CBPF_FMT_C;
    int only_numbers = 1;
    for (const char *q = p; *q; q++) {
        if (*q == '#') { /* comment line */
            while (*q && *q != '\n')
                q++;
            if (!*q)
                break;
            continue;
        }
        if (!isxdigit((unsigned char)*q) && !isspace((unsigned char)*q) && *q != ',' &&
            *q != 'x' && *q != 'X') {
            only_numbers = 0;
            break;
        }
    }
    if (only_numbers && isdigit((unsigned char)*p))
        return BPFVM_CBPF_FMT_BYTECODE;
    return BPFVM_CBPF_FMT_ASM;
}

int bpfvm_cbpf_parse(const char *text, enum bpfvm_cbpf_format fmt,
                     struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg, size_t msg_len)
{
    if (!text || !out || !cnt) {
        cbpf_msg(msg, msg_len, "no text");
        return -EINVAL;
    }
    if (fmt == BPFVM_CBPF_FMT_AUTO)
        fmt = guess(text);
    switch (fmt) {
    case BPFVM_CBPF_FMT_IMAGE: return cbpf_parse_asm(text, 1, out, cnt, msg, msg_len);
    case BPFVM_CBPF_FMT_ASM: return cbpf_parse_asm(text, 0, out, cnt, msg, msg_len);
    case BPFVM_CBPF_FMT_C: return cbpf_parse_c(text, out, cnt, msg, msg_len);
    case BPFVM_CBPF_FMT_DECIMAL:
    case BPFVM_CBPF_FMT_BYTECODE: return cbpf_parse_numbers(text, out, cnt, msg, msg_len);
    default:
        cbpf_msg(msg, msg_len, "unknown format %d", (int)fmt);
        return -EINVAL;
    }
}
