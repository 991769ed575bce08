/* dump.c - writing classic programs as text: tcpdump -d (libpcap's bpf_image layout, byte for
 * byte), -dd (C initializers), -ddd (decimal), the xt_bpf/tc bytecode string, bpf_asm. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cbpf/cbpf_int.h"

static const char *const anc_names[16] = {
    "proto", "type", "ifidx", "nla", "nlan", "mark", "queue", "hatype",
    "rxhash", "cpu", "xor_x", "vlan_tci", "vlanp", "poff", "random", "vlan_tpid",
};

/* the name libpcap prints for an ancillary offset, or NULL */
static const char *anc_name(uint32_t k)
{
    if (!cbpf_is_anc(k))
        return NULL;
    uint32_t ad = k - (uint32_t)BPFVM_SKF_AD_OFF;
    return ad < BPFVM_SKF_AD_MAX && !(ad & 3) ? anc_names[ad / 4] : NULL;
}

void bpfvm_cbpf_image(const struct bpfvm_cbpf_insn *p, int n, char *buf, size_t len)
{
    const char *op;
    char operand[64];
    int k = (int)p->k, jump = 0;
    const char *an;
    operand[0] = 0;
    switch (p->code) {
    case 0x06: op = "ret"; snprintf(operand, sizeof operand, "#%d", k); break;
    case 0x16: op = "ret"; break;
    case 0x20: case 0x28: case 0x30:
        op = p->code == 0x20 ? "ld" : p->code == 0x28 ? "ldh" : "ldb";
        an = anc_name(p->k);
        if (an)
            snprintf(operand, sizeof operand, "[%s]", an);
        else
            snprintf(operand, sizeof operand, "[%d]", k);
        break;
    case 0x80: op = "ld"; snprintf(operand, sizeof operand, "#pktlen"); break;
    case 0x40: case 0x48: case 0x50:
        op = p->code == 0x40 ? "ld" : p->code == 0x48 ? "ldh" : "ldb";
        snprintf(operand, sizeof operand, "[x + %d]", k);
        break;
    case 0x00: op = "ld"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0x01: op = "ldx"; snprintf(operand, sizeof operand, "#0x%x", p->k); break;
    case 0xb1: op = "ldxb"; snprintf(operand, sizeof operand, "4*([%d]&0xf)", k); break;
    case 0x60: op = "ld"; snprintf(operand, sizeof operand, "M[%d]", k); break;
    case 0x61: op = "ldx"; snprintf(operand, sizeof operand, "M[%d]", k); break;
    case 0x02: op = "st"; snprintf(operand, sizeof operand, "M[%d]", k); break;
    case 0x03: op = "stx"; snprintf(operand, sizeof operand, "M[%d]", k); break;
    case 0x05: op = "ja"; snprintf(operand, sizeof operand, "%d", (int)((unsigned)n + 1 + p->k)); break;
    case 0x15: case 0x25: case 0x35: case 0x45:
    case 0x1d: case 0x2d: case 0x3d: case 0x4d: {
        static const char *const jn[4] = {"jeq", "jgt", "jge", "jset"};
        op = jn[(CBPF_OP(p->code) >> 4) - 1];
        if (CBPF_SRC(p->code) == CBPF_X)
            snprintf(operand, sizeof operand, "x");
        else
            snprintf(operand, sizeof operand, "#0x%x", p->k);
        jump = 1;
        break;
    }
    case 0x04: case 0x14: case 0x24: case 0x34: case 0x94: case 0x64: case 0x74:
    case 0x44: case 0x54: case 0xa4:
    case 0x0c: case 0x1c: case 0x2c: case 0x3c: case 0x9c: case 0x6c: case 0x7c:
    case 0x4c: case 0x5c: case 0xac: {
        static const char *const an2[11] = {"add", "sub", "mul", "div", "or", "and",
                                            "lsh", "rsh", "neg", "mod", "xor"};
        uint16_t o = CBPF_OP(p->code);
        op = an2[o >> 4];
        if (CBPF_SRC(p->code) == CBPF_X)
            snprintf(operand, sizeof operand, "x");
        else if (o == CBPF_OR || o == CBPF_AND || o == CBPF_XOR)
            snprintf(operand, sizeof operand, "#0x%x", p->k);
        else
            snprintf(operand, sizeof operand, "#%d", k);
        break;
    }
    case 0x84: op = "neg"; break;
    case 0x07: op = "tax"; break;
    case 0x87: op = "txa"; break;
    default: op = "unimp"; snprintf(operand, sizeof operand, "0x%x", p->code); break;
    }
    /* libpcap shows targets for every jump-class opcode but ja, known or not */
    if (CBPF_CLASS(p->code) == CBPF_JMP && CBPF_OP(p->code) != CBPF_JA)
        jump = 1;
    if (jump)
        snprintf(buf, len, "(%03d) %-8s %-16s jt %d\tjf %d", n, op, operand, n + 1 + p->jt,
                 n + 1 + p->jf);
    else
        snprintf(buf, len, "(%03d) %-8s %s", n, op, operand);
}

/* a growing string */
struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->n;
        int w = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
        va_end(ap);
        if (w < 0) {
            b->oom = 1;
            return;
        }
        if ((size_t)w < room) {
            b->n += (size_t)w;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 1024) + (size_t)w;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* bpf_asm spelling of one instruction; labels are "L<pc>" */
static void asm_insn(struct sbuf *b, const struct bpfvm_cbpf_insn *p, size_t pc)
{
    static const char *const ext[16] = {
        "proto", "type", "ifidx", "nla", "nlan", "mark", "queue", "hatype",
        "rxhash", "cpu", "xor_x", "vlan_tci", "vlan_avail", "poff", "rand", "vlan_tpid",
    };
    uint16_t c = p->code;
    const char *sz = CBPF_SIZE(c) == CBPF_B ? "b" : CBPF_SIZE(c) == CBPF_H ? "h" : "";
    switch (CBPF_CLASS(c)) {
    case CBPF_LD:
        switch (CBPF_MODE(c)) {
        case CBPF_IMM: sb_printf(b, "ld #0x%x", p->k); return;
        case CBPF_LEN: sb_printf(b, "ld #len"); return;
        case CBPF_MEM: sb_printf(b, "ld M[%u]", p->k); return;
        case CBPF_ABS:
            if (anc_name(p->k))
                sb_printf(b, "ld%s #%s", sz, ext[(p->k - (uint32_t)BPFVM_SKF_AD_OFF) / 4]);
            else
                sb_printf(b, "ld%s [%u]", sz, p->k);
            return;
        case CBPF_IND: sb_printf(b, "ld%s [x + %u]", sz, p->k); return;
        }
        break;
    case CBPF_LDX:
        switch (CBPF_MODE(c)) {
        case CBPF_IMM: sb_printf(b, "ldx #0x%x", p->k); return;
        case CBPF_LEN: sb_printf(b, "ldx #len"); return;
        case CBPF_MEM: sb_printf(b, "ldx M[%u]", p->k); return;
        case CBPF_MSH: sb_printf(b, "ldxb 4*([%u]&0xf)", p->k); return;
        }
        break;
    case CBPF_ST: sb_printf(b, "st M[%u]", p->k); return;
    case CBPF_STX: sb_printf(b, "stx M[%u]", p->k); return;
    case CBPF_ALU: {
        static const char *const an2[11] = {"add", "sub", "mul", "div", "or", "and",
                                            "lsh", "rsh", "neg", "mod", "xor"};
        uint16_t o = CBPF_OP(c);
        if (o > CBPF_XOR)
            break;
        if (o == CBPF_NEG)
            sb_printf(b, "neg");
        else if (CBPF_SRC(c) == CBPF_X)
            sb_printf(b, "%s x", an2[o >> 4]);
        else
            sb_printf(b, "%s #0x%x", an2[o >> 4], p->k);
        return;
    }
    case CBPF_JMP: {
        static const char *const jn[5] = {"ja", "jeq", "jgt", "jge", "jset"};
        uint16_t o = CBPF_OP(c);
        if (o > CBPF_JSET)
            break;
        if (o == CBPF_JA) {
            sb_printf(b, "ja L%u", (uint32_t)(pc + 1 + p->k));
            return;
        }
        if (CBPF_SRC(c) == CBPF_X)
            sb_printf(b, "%s x, L%zu, L%zu", jn[o >> 4], pc + 1 + p->jt, pc + 1 + p->jf);
        else
            sb_printf(b, "%s #0x%x, L%zu, L%zu", jn[o >> 4], p->k, pc + 1 + p->jt,
                      pc + 1 + p->jf);
        return;
    }
    case CBPF_RET:
        if (c == 0x06) {
            sb_printf(b, "ret #%u", p->k);
            return;
        }
        if (c == 0x16) {
            sb_printf(b, "ret a");
            return;
        }
        break;
    case CBPF_MISC:
        if (c == 0x07) {
            sb_printf(b, "tax");
            return;
        }
        if (c == 0x87) {
            sb_printf(b, "txa");
            return;
        }
        break;
    }
    sb_printf(b, ".insn 0x%x, %u, %u, 0x%x", c, p->jt, p->jf, p->k);
}

int bpfvm_cbpf_format(const struct bpfvm_cbpf_insn *p, size_t cnt, enum bpfvm_cbpf_format fmt,
                      char **out)
{
    struct sbuf b = {0};
    char line[128];
    unsigned char *target = NULL;
    *out = NULL;
    switch (fmt) {
    case BPFVM_CBPF_FMT_IMAGE:
        for (size_t i = 0; i < cnt; i++) {
            bpfvm_cbpf_image(&p[i], (int)i, line, sizeof line);
            sb_printf(&b, "%s\n", line);
        }
        break;
    case BPFVM_CBPF_FMT_C:
        for (size_t i = 0; i < cnt; i++)
            sb_printf(&b, "{ 0x%x, %d, %d, 0x%08x },\n", p[i].code, p[i].jt, p[i].jf, p[i].k);
        break;
    case BPFVM_CBPF_FMT_DECIMAL:
        sb_printf(&b, "%zu\n", cnt);
        for (size_t i = 0; i < cnt; i++)
            sb_printf(&b, "%u %u %u %u\n", p[i].code, p[i].jt, p[i].jf, p[i].k);
        break;
    case BPFVM_CBPF_FMT_BYTECODE:
        sb_printf(&b, "%zu", cnt);
        for (size_t i = 0; i < cnt; i++)
            sb_printf(&b, ",%u %u %u %u", p[i].code, p[i].jt, p[i].jf, p[i].k);
        sb_printf(&b, "\n");
        break;
    case BPFVM_CBPF_FMT_ASM:
        target = calloc(cnt + 1, 1);
        if (!target)
            return -ENOMEM;
        for (size_t i = 0; i < cnt; i++) {
            if (CBPF_CLASS(p[i].code) != CBPF_JMP)
                continue;
            if (CBPF_OP(p[i].code) == CBPF_JA) {
                uint32_t t = (uint32_t)(i + 1 + p[i].k); /* libpcap's backward ja wraps */
                if (t <= cnt)
                    target[t] = 1;
            } else {
                if (i + 1 + p[i].jt <= cnt)
                    target[i + 1 + p[i].jt] = 1;
                if (i + 1 + p[i].jf <= cnt)
                    target[i + 1 + p[i].jf] = 1;
            }
        }
        for (size_t i = 0; i < cnt; i++) {
            if (target[i])
                sb_printf(&b, "L%zu:\n", i);
            sb_printf(&b, "\t");
            asm_insn(&b, &p[i], i);
            sb_printf(&b, "\n");
        }
        if (target[cnt])
            sb_printf(&b, "L%zu:\n", cnt);
        free(target);
        break;
    default:
        return -EINVAL;
    }
    if (!b.s)
        sb_printf(&b, "%s", "");
    if (b.oom) {
        free(b.s);
        return -ENOMEM;
    }
    *out = b.s;
    return 0;
}
