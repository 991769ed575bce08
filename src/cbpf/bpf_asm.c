/* bpf_asm.c - reading the bpf_asm language (labels, every addressing mode, Linux extensions
 * such as `ld proto`, `ld #len`, `ldx 4*([14]&0xf)`) and the tcpdump -d listing, which uses
 * the same operand spelling with "(NNN)" prefixes and absolute "jt N jf M" targets. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cbpf/cbpf_int.h"
#include "cbpf/parse_int.h"
#include "core/grow.h"

#define NAME_MAX_LEN 64

struct label {
    char name[NAME_MAX_LEN];
    size_t pc;
};

struct pending {
    size_t pc;
    int which; /* 0 = ja, 1 = jt, 2 = jf */
    int line;
    char name[NAME_MAX_LEN];
};

struct asm_state {
    struct bpfvm_cbpf_insn *v;
    size_t n, cap;
    struct label *labels;
    size_t nlabels, caplabels;
    struct pending *pend;
    size_t npend, cappend;
    char *msg;
    size_t msg_len;
    int line;
};

static int fail(struct asm_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct asm_state *st, const char *fmt, ...)
{
    char tmp[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    cbpf_msg(st->msg, st->msg_len, "line %d: %s", st->line, tmp);
    return -EINVAL;
}

int cbpf_parse_number(const char *s, uint32_t *out)
{
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    } else if (*s == '+') {
        s++;
    }
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        s += 2;
    }
    if (!*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        int d;
        if (isdigit((unsigned char)*s))
            d = *s - '0';
        else if (isxdigit((unsigned char)*s))
            d = tolower((unsigned char)*s) - 'a' + 10;
        else
            return -1;
        if (d >= base)
            return -1;
        v = v * (uint64_t)base + (uint64_t)d;
        if (v > 0xffffffffull)
            return -1;
    }
    if (neg) {
        if (v > 0x80000000ull)
            return -1;
        v = (uint64_t)(-(int64_t)v) & 0xffffffffull;
    }
    *out = (uint32_t)v;
    return 0;
}

/* extension name -> ancillary offset (0..60), or -1 for len, -2 unknown */
static int ext_lookup(const char *s)
{
    static const struct { const char *name; int ad; } tab[] = {
        {"len", -1}, {"pktlen", -1}, {"proto", 0}, {"type", 4}, {"ifidx", 8}, {"ifindex", 8},
        {"nla", 12}, {"nlan", 16}, {"mark", 20}, {"queue", 24}, {"hatype", 28},
        {"rxhash", 32}, {"cpu", 36}, {"xor_x", 40}, {"vlan_tci", 44}, {"vlan_avail", 48},
        {"vlanp", 48}, {"poff", 52}, {"rand", 56}, {"random", 56}, {"vlan_tpid", 60},
    };
    if (*s == '#')
        s++;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(s, tab[i].name) == 0)
            return tab[i].ad;
    return -2;
}

/* "[N]" -> N ; "[ext]" -> anc offset as k (sets *is_ext) */
static int parse_bracket(const char *s, uint32_t *k, int *is_ext)
{
    size_t l = strlen(s);
    char tmp[80];
    *is_ext = 0;
    if (l < 3 || s[0] != '[' || s[l - 1] != ']' || l - 2 >= sizeof tmp)
        return -1;
    memcpy(tmp, s + 1, l - 2);
    tmp[l - 2] = 0;
    if (cbpf_parse_number(tmp, k) == 0)
        return 0;
    int ad = ext_lookup(tmp);
    if (ad >= 0) {
        *k = (uint32_t)BPFVM_SKF_AD_OFF + (uint32_t)ad;
        *is_ext = 1;
        return 0;
    }
    return -1;
}

/* "[x+N]" / "[%x+N]" / "[x]" -> N */
static int parse_ind(const char *s, uint32_t *k)
{
    if (strncmp(s, "[x", 2) == 0)
        s += 2;
    else if (strncmp(s, "[%x", 3) == 0)
        s += 3;
    else
        return -1;
    size_t l = strlen(s);
    if (l == 1 && s[0] == ']') {
        *k = 0;
        return 0;
    }
    char tmp[80];
    if (l < 3 || s[0] != '+' || s[l - 1] != ']' || l >= sizeof tmp)
        return -1;
    memcpy(tmp, s + 1, l - 2);
    tmp[l - 2] = 0;
    return cbpf_parse_number(tmp, k);
}

/* "M[N]" -> N */
static int parse_mem(const char *s, uint32_t *k)
{
    if (s[0] != 'M' && s[0] != 'm')
        return -1;
    int e;
    return parse_bracket(s + 1, k, &e) || e ? -1 : 0;
}

/* "4*([N]&0xf)" -> N */
static int parse_msh(const char *s, uint32_t *k)
{
    if (strncmp(s, "4*([", 4) != 0)
        return -1;
    const char *end = strstr(s, "]&0xf)");
    if (!end || end[6] != 0)
        return -1;
    char tmp[80];
    size_t l = (size_t)(end - (s + 4));
    if (l >= sizeof tmp)
        return -1;
    memcpy(tmp, s + 4, l);
    tmp[l] = 0;
    return cbpf_parse_number(tmp, k);
}

static int is_x(const char *s) { return !strcmp(s, "x") || !strcmp(s, "%x") || !strcmp(s, "X"); }
static int is_a(const char *s) { return !strcmp(s, "a") || !strcmp(s, "%a") || !strcmp(s, "A"); }

static int imm(const char *s, uint32_t *k) { return s[0] == '#' ? cbpf_parse_number(s + 1, k) : -1; }

/* remove all whitespace */
static void squeeze(char *s)
{
    char *d = s;
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            *d++ = *s;
    *d = 0;
}

static int add_insn(struct asm_state *st, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
    if (core_grow((void **)&st->v, &st->cap, st->n, sizeof(*st->v), 64))
        return -ENOMEM;
    st->v[st->n++] = (struct bpfvm_cbpf_insn){code, jt, jf, k};
    return 0;
}

static int add_pending(struct asm_state *st, int which, const char *name)
{
    if (strlen(name) >= NAME_MAX_LEN || !*name)
        return fail(st, "bad jump target '%s'", name);
    if (core_grow((void **)&st->pend, &st->cappend, st->npend, sizeof(*st->pend), 64))
        return -ENOMEM;
    struct pending *p = &st->pend[st->npend++];
    p->pc = st->n;
    p->which = which;
    p->line = st->line;
    snprintf(p->name, sizeof p->name, "%s", name);
    return 0;
}

static int insn_ld(struct asm_state *st, const char *mn, const char *op)
{
    uint32_t k;
    int ext;
    int isx = mn[2] == 'x';
    char sz = isx ? mn[3] : mn[2]; /* 0, 'i', 'h', 'b' */
    uint16_t size = sz == 'h' ? CBPF_H : sz == 'b' ? CBPF_B : CBPF_W;
    uint16_t cls = isx ? CBPF_LDX : CBPF_LD;
    if (isx && sz == 'b') {
        if (parse_msh(op, &k) == 0)
            return add_insn(st, 0xb1, 0, 0, k);
        return fail(st, "ldxb takes 4*([k]&0xf), not '%s'", op);
    }
    if (sz != 'h' && sz != 'b' && imm(op, &k) == 0)
        return add_insn(st, cls | CBPF_IMM, 0, 0, k);
    if (sz == 'i')
        return fail(st, "'%s' takes #k", mn);
    int ad = ext_lookup(op);
    if (ad == -1 && sz == 0)
        return add_insn(st, cls | CBPF_W | CBPF_LEN, 0, 0, 0);
    if (parse_mem(op, &k) == 0 && sz == 0)
        return add_insn(st, cls | CBPF_MEM, 0, 0, k);
    if (isx) {
        if (parse_msh(op, &k) == 0)
            return add_insn(st, 0xb1, 0, 0, k);
        return fail(st, "bad operand '%s' for ldx", op);
    }
    if (ad >= 0)
        return add_insn(st, CBPF_LD | size | CBPF_ABS, 0, 0, (uint32_t)BPFVM_SKF_AD_OFF + (uint32_t)ad);
    if (parse_bracket(op, &k, &ext) == 0)
        return add_insn(st, CBPF_LD | size | CBPF_ABS, 0, 0, k);
    if (parse_ind(op, &k) == 0)
        return add_insn(st, CBPF_LD | size | CBPF_IND, 0, 0, k);
    return fail(st, "bad load operand '%s'", op);
}

static int insn_jump(struct asm_state *st, const char *mn, char **ops, int nops)
{
    static const struct { const char *mn; uint16_t op; int invert; } tab[] = {
        {"jeq", CBPF_JEQ, 0}, {"jgt", CBPF_JGT, 0}, {"jge", CBPF_JGE, 0},
        {"jset", CBPF_JSET, 0}, {"jne", CBPF_JEQ, 1}, {"jneq", CBPF_JEQ, 1},
        {"jlt", CBPF_JGE, 1}, {"jle", CBPF_JGT, 1},
    };
    size_t i;
    for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(mn, tab[i].mn))
            break;
    if (i == sizeof tab / sizeof tab[0])
        return 1; /* not a conditional jump */
    if (nops < 2 || nops > 3)
        return fail(st, "'%s' takes an operand and one or two targets", mn);
    uint32_t k = 0;
    uint16_t src;
    if (is_x(ops[0]))
        src = CBPF_X;
    else if (imm(ops[0], &k) == 0)
        src = CBPF_K;
    else
        return fail(st, "bad comparison operand '%s'", ops[0]);
    int err;
    const char *t = ops[1], *f = nops == 3 ? ops[2] : NULL;
    if (tab[i].invert) {
        t = f;
        f = ops[1];
    }
    if (t && (err = add_pending(st, 1, t)))
        return err;
    if (f && (err = add_pending(st, 2, f)))
        return err;
    return add_insn(st, CBPF_JMP | tab[i].op | src, 0, 0, k);
}

static int insn_line(struct asm_state *st, char *mn, char *rest, int image)
{
    for (char *c = mn; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    /* split operands: by "jt"/"jf" in listings, by commas otherwise */
    char *ops[4];
    int nops = 0;
    char *jt = image ? strstr(rest, "jt ") : NULL;
    if (jt) {
        char *jf = strstr(jt, "jf ");
        if (!jf)
            return fail(st, "%s", "'jt' without 'jf'");
        *jt = 0;
        *jf = 0;
        ops[nops++] = rest;
        ops[nops++] = jt + 3;
        ops[nops++] = jf + 3;
    } else if (*rest) {
        char *s = rest;
        while (nops < 4) {
            ops[nops++] = s;
            char *c = strchr(s, ',');
            if (!c)
                break;
            *c = 0;
            s = c + 1;
        }
    }
    for (int i = 0; i < nops; i++)
        squeeze(ops[i]);
    if (nops == 1 && !*ops[0])
        nops = 0;
    const char *op = nops ? ops[0] : "";
    uint32_t k;
    if (!strncmp(mn, "ld", 2)) {
        static const char *const ok[] = {"ld", "ldi", "ldh", "ldb", "ldx", "ldxi", "ldxb"};
        for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
            if (!strcmp(mn, ok[i])) {
                if (nops != 1)
                    return fail(st, "'%s' takes one operand", mn);
                return insn_ld(st, mn, op);
            }
        return fail(st, "unknown mnemonic '%s'", mn);
    }
    if (!strcmp(mn, "st") || !strcmp(mn, "stx")) {
        if (nops != 1 || (parse_mem(op, &k) && cbpf_parse_number(op, &k)))
            return fail(st, "'%s' takes M[k]", mn);
        return add_insn(st, mn[2] ? CBPF_STX : CBPF_ST, 0, 0, k);
    }
    static const char *const alu[] = {"add", "sub", "mul", "div", "or", "and",
                                      "lsh", "rsh", "neg", "mod", "xor"};
    for (size_t i = 0; i < sizeof alu / sizeof alu[0]; i++) {
        if (strcmp(mn, alu[i]))
            continue;
        if (i == 8) {
            if (nops)
                return fail(st, "%s", "'neg' takes no operand");
            return add_insn(st, 0x84, 0, 0, 0);
        }
        if (nops != 1)
            return fail(st, "'%s' takes one operand", mn);
        if (is_x(op))
            return add_insn(st, (uint16_t)(CBPF_ALU | (i << 4) | CBPF_X), 0, 0, 0);
        if (imm(op, &k) == 0)
            return add_insn(st, (uint16_t)(CBPF_ALU | (i << 4) | CBPF_K), 0, 0, k);
        return fail(st, "bad ALU operand '%s'", op);
    }
    if (!strcmp(mn, "tax") || !strcmp(mn, "txa")) {
        if (nops)
            return fail(st, "'%s' takes no operand", mn);
        return add_insn(st, mn[1] == 'a' ? 0x07 : 0x87, 0, 0, 0);
    }
    if (!strcmp(mn, "ret")) {
        if (nops == 0 || (nops == 1 && is_a(op)))
            return add_insn(st, 0x16, 0, 0, 0);
        if (nops == 1 && imm(op, &k) == 0)
            return add_insn(st, 0x06, 0, 0, k);
        return fail(st, "'ret' takes #k or a, not '%s'", op);
    }
    if (!strcmp(mn, "ja") || !strcmp(mn, "jmp") || !strcmp(mn, "jump")) {
        if (nops != 1)
            return fail(st, "'%s' takes one target", mn);
        int err = add_pending(st, 0, op);
        return err ? err : add_insn(st, 0x05, 0, 0, 0);
    }
    if (!strcmp(mn, ".insn") || !strcmp(mn, "unimp")) {
        uint32_t f[4] = {0, 0, 0, 0};
        for (int i = 0; i < nops; i++)
            if (cbpf_parse_number(ops[i], &f[i]))
                return fail(st, "bad number '%s'", ops[i]);
        if ((nops != 4 && !(nops == 1 && mn[0] == 'u')) || f[0] > 0xffff || f[1] > 255 ||
            f[2] > 255)
            return fail(st, "bad '%s' (want code, jt, jf, k)", mn);
        return add_insn(st, (uint16_t)f[0], (uint8_t)f[1], (uint8_t)f[2], f[3]);
    }
    int r = insn_jump(st, mn, ops, nops);
    if (r <= 0)
        return r;
    return fail(st, "unknown mnemonic '%s'", mn);
}

static int resolve(struct asm_state *st)
{
    for (size_t i = 0; i < st->npend; i++) {
        struct pending *p = &st->pend[i];
        size_t target = (size_t)-1;
        uint32_t abs;
        st->line = p->line;
        for (size_t j = 0; j < st->nlabels; j++)
            if (!strcmp(st->labels[j].name, p->name)) {
                target = st->labels[j].pc;
                break;
            }
        if (target == (size_t)-1) {
            if (isdigit((unsigned char)p->name[0]) && cbpf_parse_number(p->name, &abs) == 0)
                target = abs;
            else
                return fail(st, "undefined label '%s'", p->name);
        }
        struct bpfvm_cbpf_insn *in = &st->v[p->pc];
        if (p->which == 0) {
            /* a backward ja is kept (k wraps around, as in libpcap's protochain code); the
             * checker rejects it except for the libpcap flavor */
            if (target > 0xffffffffu)
                return fail(st, "jump to '%s' too far", p->name);
            in->k = (uint32_t)(target - p->pc - 1);
            continue;
        }
        if (target <= p->pc)
            return fail(st, "jump to '%s' goes backwards (classic BPF jumps only forward)",
                        p->name);
        size_t off = target - p->pc - 1;
        {
            if (off > 255)
                return fail(st, "conditional jump to '%s' is more than 255 insns away",
                            p->name);
            if (p->which == 1)
                in->jt = (uint8_t)off;
            else
                in->jf = (uint8_t)off;
        }
    }
    return 0;
}

int cbpf_parse_asm(const char *text, int image, struct bpfvm_cbpf_insn **out, size_t *cnt,
                   char *msg, size_t msg_len)
{
    struct asm_state st = {0};
    st.msg = msg;
    st.msg_len = msg_len;
    int err = 0, in_comment = 0;
    const char *p = text;
    char line[1024];
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        st.line++;
        if (l >= sizeof line) {
            err = fail(&st, "%s", "line too long");
            goto out;
        }
        memcpy(line, p, l);
        line[l] = 0;
        p += l + (e ? 1 : 0);
        /* comments: ; // and C block comments */
        char *s = line, *c;
        if (in_comment) {
            c = strstr(s, "*/");
            if (!c)
                continue;
            s = c + 2;
            in_comment = 0;
        }
        while ((c = strstr(s, "/*"))) {
            char *end = strstr(c + 2, "*/");
            if (!end) {
                *c = 0;
                in_comment = 1;
                break;
            }
            memmove(c, end + 2, strlen(end + 2) + 1);
        }
        if ((c = strchr(s, ';')))
            *c = 0;
        if ((c = strstr(s, "//")))
            *c = 0;
        while (isspace((unsigned char)*s))
            s++;
        if (*s == '#' && !image) /* a whole-line '#' comment (operands start with '#' later) */
            continue;
        if (*s == '(') { /* tcpdump -d listing: "(012) " */
            char *close = strchr(s, ')');
            if (!close) {
                err = fail(&st, "%s", "unterminated '('");
                goto out;
            }
            s = close + 1;
        }
        while (isspace((unsigned char)*s))
            s++;
        /* labels */
        for (;;) {
            char *q = s;
            while (isalnum((unsigned char)*q) || *q == '_' || *q == '.')
                q++;
            if (q == s || *q != ':')
                break;
            *q = 0;
            if (strlen(s) >= NAME_MAX_LEN) {
                err = fail(&st, "label '%s' too long", s);
                goto out;
            }
            for (size_t j = 0; j < st.nlabels; j++)
                if (!strcmp(st.labels[j].name, s)) {
                    err = fail(&st, "label '%s' defined twice", s);
                    goto out;
                }
            if (core_grow((void **)&st.labels, &st.caplabels, st.nlabels, sizeof(*st.labels), 64)) {
                err = -ENOMEM;
                goto out;
            }
            memcpy(st.labels[st.nlabels].name, s, strlen(s) + 1);
            st.labels[st.nlabels++].pc = st.n;
            s = q + 1;
            while (isspace((unsigned char)*s))
                s++;
        }
        if (!*s)
            continue;
        char *mn = s;
        while (*s && !isspace((unsigned char)*s))
            s++;
        if (*s)
            *s++ = 0;
        if (st.n >= BPFVM_CBPF_MAXINSNS * 16u) {
            err = fail(&st, "%s", "program too long");
            goto out;
        }
        err = insn_line(&st, mn, s, image);
        if (err)
            goto out;
    }
    err = resolve(&st);
    if (!err && st.n == 0) {
        cbpf_msg(msg, msg_len, "no instructions");
        err = -EINVAL;
    }
out:
    free(st.labels);
    free(st.pend);
    if (err) {
        if (err == -ENOMEM)
            cbpf_msg(msg, msg_len, "out of memory");
        free(st.v);
        return err;
    }
    *out = st.v;
    *cnt = st.n;
    return 0;
}
