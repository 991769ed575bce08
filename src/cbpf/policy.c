/* policy.c - a small seccomp policy language compiled to a classic seccomp filter.
 *
 *   # comment
 *   default errno EPERM          (kill | kill_process | kill_thread | trap | log | allow |
 *                                 errno N|ENAME | trace N | user_notif; default: kill_process)
 *   allow read write exit_group
 *   deny ptrace                  (deny = kill_process)
 *   errno EACCES open openat
 *   allow socket if arg0 == 1 and arg1 & 0xf == 1
 *
 * Rules are tried in order; the first whose syscall and conditions match gives the action.
 * The filter first kills any call made with a foreign architecture (and, on x86_64, x32
 * numbers).  Conditions compare a 64-bit argument: == != < <= > >= and "& MASK ==". */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cbpf/cbpf_int.h"
#include "core/grow.h"

#define SD_NR   0
#define SD_ARCH 4
#define SD_ARG(n) (16 + 8 * (n))

struct pol {
    struct bpfvm_cbpf_insn *v;
    size_t n, cap;
    /* pending jumps to labels: index, which (1 = jt, 2 = jf), label */
    struct { size_t at; int which; int label; } *fx;
    size_t nfx, capfx;
    size_t *labels;
    int nlabels, caplabels;
    int oom;
    char *msg;
    size_t msg_len;
    int line;
};

static void emit(struct pol *p, uint16_t code, uint32_t k)
{
    if (core_grow((void **)&p->v, &p->cap, p->n, sizeof(*p->v), 64)) {
        p->oom = 1;
        return;
    }
    p->v[p->n++] = (struct bpfvm_cbpf_insn){code, 0, 0, k};
}

static int new_label(struct pol *p)
{
    if (p->nlabels == p->caplabels) {
        int cap = p->caplabels ? p->caplabels * 2 : 32;
        void *v = realloc(p->labels, (size_t)cap * sizeof(*p->labels));
        if (!v) {
            p->oom = 1;
            return 0;
        }
        p->labels = v;
        p->caplabels = cap;
    }
    p->labels[p->nlabels] = (size_t)-1;
    return p->nlabels++;
}

static void place(struct pol *p, int label)
{
    if (!p->oom)
        p->labels[label] = p->n;
}

/* conditional jump: label -1 = next instruction */
static void jcc(struct pol *p, uint16_t op, uint32_t k, int lt, int lf)
{
    emit(p, (uint16_t)(CBPF_JMP | op | CBPF_K), k);
    for (int w = 1; w <= 2; w++) {
        int l = w == 1 ? lt : lf;
        if (l < 0 || p->oom)
            continue;
        if (core_grow((void **)&p->fx, &p->capfx, p->nfx, sizeof(*p->fx), 64)) {
            p->oom = 1;
            return;
        }
        p->fx[p->nfx].at = p->n - 1;
        p->fx[p->nfx].which = w;
        p->fx[p->nfx++].label = l;
    }
}

static int perr(struct pol *p, const char *fmt, const char *arg)
{
    char tmp[200];
    snprintf(tmp, sizeof tmp, fmt, arg);
    cbpf_msg(p->msg, p->msg_len, "line %d: %s", p->line, tmp);
    return -EINVAL;
}

static const struct { const char *name; int v; } errnos[] = {
    {"EPERM", EPERM}, {"ENOENT", ENOENT}, {"EIO", EIO}, {"EBADF", EBADF}, {"EAGAIN", EAGAIN},
    {"ENOMEM", ENOMEM}, {"EACCES", EACCES}, {"EFAULT", EFAULT}, {"EBUSY", EBUSY},
    {"EEXIST", EEXIST}, {"EINVAL", EINVAL}, {"ENOSYS", ENOSYS}, {"ENOTSUP", ENOTSUP},
    {"EOPNOTSUPP", EOPNOTSUPP}, {"EROFS", EROFS}, {"ENOTTY", ENOTTY}, {"ECONNREFUSED", ECONNREFUSED},
    {"EAFNOSUPPORT", EAFNOSUPPORT},
};

static int parse_u32(const char *s, uint32_t *v)
{
    for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
        if (!strcmp(s, errnos[i].name)) {
            *v = (uint32_t)errnos[i].v;
            return 0;
        }
    char *end;
    unsigned long long x = strtoull(s, &end, 0);
    if (!*s || *end || x > 0xffff)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

/* action words at tok[*i]; advances *i.  0 or -1 */
static int parse_action(char **tok, int ntok, int *i, uint32_t *ret)
{
    const char *w = tok[*i];
    uint32_t data;
    (*i)++;
    if (!strcmp(w, "allow")) *ret = BPFVM_SECCOMP_RET_ALLOW;
    else if (!strcmp(w, "kill") || !strcmp(w, "kill_process") || !strcmp(w, "deny"))
        *ret = BPFVM_SECCOMP_RET_KILL_PROCESS;
    else if (!strcmp(w, "kill_thread")) *ret = BPFVM_SECCOMP_RET_KILL_THREAD;
    else if (!strcmp(w, "trap")) *ret = BPFVM_SECCOMP_RET_TRAP;
    else if (!strcmp(w, "log")) *ret = BPFVM_SECCOMP_RET_LOG;
    else if (!strcmp(w, "user_notif")) *ret = BPFVM_SECCOMP_RET_USER_NOTIF;
    else if (!strcmp(w, "errno") || !strcmp(w, "trace")) {
        if (*i >= ntok || parse_u32(tok[*i], &data))
            return -1;
        (*i)++;
        *ret = (w[0] == 'e' ? BPFVM_SECCOMP_RET_ERRNO : BPFVM_SECCOMP_RET_TRACE) | data;
    } else {
        (*i)--;
        return -1;
    }
    return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (!*s)
        return -1;
    errno = 0;
    if (s[0] == '-') {
        long long x = strtoll(s, &end, 0);
        *v = (uint64_t)x;
    } else {
        *v = strtoull(s, &end, 0);
    }
    return *end || errno ? -1 : 0;
}

static uint32_t arg_lo(int n)
{
    union { uint16_t x; uint8_t b[2]; } e = {1};
    return (uint32_t)SD_ARG(n) + (e.b[0] ? 0u : 4u);
}
static uint32_t arg_hi(int n) { return arg_lo(n) ^ 4u; }

/* one condition "argN OP V" or "argN & M == V"; jumps to `skip` when false */
static int condition(struct pol *p, char **tok, int ntok, int *i, int skip)
{
    if (*i + 2 >= ntok || strncmp(tok[*i], "arg", 3) || !isdigit((unsigned char)tok[*i][3]) ||
        tok[*i][4] || tok[*i][3] > '5')
        return perr(p, "bad condition at '%s' (want argN OP VALUE)", *i < ntok ? tok[*i] : "");
    int n = tok[*i][3] - '0';
    (*i)++;
    uint64_t mask = ~0ull, v;
    if (!strcmp(tok[*i], "&")) {
        if (*i + 3 >= ntok || parse_u64(tok[*i + 1], &mask) || strcmp(tok[*i + 2], "=="))
            return perr(p, "bad masked condition near '%s' (want argN & MASK == VALUE)", tok[*i]);
        *i += 2;
    }
    const char *op = tok[(*i)++];
    if (parse_u64(tok[(*i)++], &v))
        return perr(p, "bad value '%s'", tok[*i - 1]);
    uint32_t vh = (uint32_t)(v >> 32), vl = (uint32_t)v;
    int cont = new_label(p);
    emit(p, 0x20, arg_hi(n));
    if (mask != ~0ull || !strcmp(op, "==")) {
        if (strcmp(op, "=="))
            return perr(p, "'%s' after a mask: only == is allowed", op);
        if (mask != ~0ull)
            emit(p, CBPF_ALU | CBPF_AND | CBPF_K, (uint32_t)(mask >> 32));
        jcc(p, CBPF_JEQ, vh & (uint32_t)(mask >> 32), -1, skip);
        emit(p, 0x20, arg_lo(n));
        if (mask != ~0ull)
            emit(p, CBPF_ALU | CBPF_AND | CBPF_K, (uint32_t)mask);
        jcc(p, CBPF_JEQ, vl & (uint32_t)mask, -1, skip);
    } else if (!strcmp(op, "!=")) {
        jcc(p, CBPF_JEQ, vh, -1, cont);
        emit(p, 0x20, arg_lo(n));
        jcc(p, CBPF_JEQ, vl, skip, cont);
    } else if (!strcmp(op, ">") || !strcmp(op, ">=")) {
        jcc(p, CBPF_JGT, vh, cont, -1);
        jcc(p, CBPF_JEQ, vh, -1, skip);
        emit(p, 0x20, arg_lo(n));
        jcc(p, op[1] ? CBPF_JGE : CBPF_JGT, vl, cont, skip);
    } else if (!strcmp(op, "<") || !strcmp(op, "<=")) {
        jcc(p, CBPF_JGT, vh, skip, -1);
        jcc(p, CBPF_JEQ, vh, -1, cont);
        emit(p, 0x20, arg_lo(n));
        jcc(p, op[1] ? CBPF_JGT : CBPF_JGE, vl, skip, cont);
    } else {
        return perr(p, "unknown operator '%s'", op);
    }
    place(p, cont);
    return 0;
}

static int rule(struct pol *p, char **tok, int ntok, uint32_t *deflt, int *have_default)
{
    int i = 0;
    uint32_t ret;
    if (!strcmp(tok[0], "default")) {
        i = 1;
        if (ntok < 2 || parse_action(tok, ntok, &i, &ret) || i != ntok)
            return perr(p, "bad default action%s", "");
        if (*have_default)
            return perr(p, "default given twice%s", "");
        *deflt = ret;
        *have_default = 1;
        return 0;
    }
    if (parse_action(tok, ntok, &i, &ret))
        return perr(p, "unknown action '%s'", tok[0]);
    int first = i, end = i;
    while (end < ntok && strcmp(tok[end], "if"))
        end++;
    if (end == first)
        return perr(p, "no syscall named after '%s'", tok[0]);
    for (int s = first; s < end; s++) {
        long nr;
        char *e;
        nr = strtol(tok[s], &e, 0);
        if (*e || !isdigit((unsigned char)tok[s][0]))
            nr = bpfvm_syscall_nr(tok[s]);
        if (nr < 0)
            return perr(p, "unknown syscall '%s'", tok[s]);
        int skip = new_label(p);
        emit(p, 0x20, SD_NR);
        jcc(p, CBPF_JEQ, (uint32_t)nr, -1, skip);
        for (int c = end + 1; c < ntok;) {
            int err = condition(p, tok, ntok, &c, skip);
            if (err)
                return err;
            if (c < ntok) {
                if (strcmp(tok[c], "and") && strcmp(tok[c], "&&"))
                    return perr(p, "expected 'and' before '%s'", tok[c]);
                c++;
                if (c >= ntok)
                    return perr(p, "dangling 'and'%s", "");
            }
        }
        if (end < ntok && end + 1 >= ntok)
            return perr(p, "'if' without a condition%s", "");
        emit(p, 0x06, ret);
        place(p, skip);
    }
    return 0;
}

int bpfvm_seccomp_policy_compile(const char *text, struct bpfvm_cbpf_insn **out, size_t *cnt,
                                 char *msg, size_t msg_len)
{
    struct pol p = {0};
    p.msg = msg;
    p.msg_len = msg_len;
    uint32_t deflt = BPFVM_SECCOMP_RET_KILL_PROCESS, arch = bpfvm_seccomp_host_arch();
    int have_default = 0, err = 0, nrules = 0;
    int arch_ok = new_label(&p);
    emit(&p, 0x20, SD_ARCH);
    jcc(&p, CBPF_JEQ, arch, arch_ok, -1);
    emit(&p, 0x06, BPFVM_SECCOMP_RET_KILL_PROCESS);
    place(&p, arch_ok);
#if defined(__x86_64__)
    int nr_ok = new_label(&p);
    emit(&p, 0x20, SD_NR);
    jcc(&p, CBPF_JGE, 0x40000000u, -1, nr_ok); /* x32 syscall numbers */
    emit(&p, 0x06, BPFVM_SECCOMP_RET_KILL_PROCESS);
    place(&p, nr_ok);
#endif
    const char *s = text;
    char line[1024];
    while (*s && !err) {
        const char *e = strchr(s, '\n');
        size_t l = e ? (size_t)(e - s) : strlen(s);
        p.line++;
        if (l >= sizeof line) {
            err = perr(&p, "line too long%s", "");
            break;
        }
        memcpy(line, s, l);
        line[l] = 0;
        s += l + (e ? 1 : 0);
        char *h = strchr(line, '#');
        if (h)
            *h = 0;
        char *tok[64];
        int ntok = 0;
        for (char *t = strtok(line, " \t\r,"); t; t = strtok(NULL, " \t\r,")) {
            if (ntok == 64) {
                err = perr(&p, "too many words%s", "");
                break;
            }
            tok[ntok++] = t;
        }
        if (err || !ntok)
            continue;
        err = rule(&p, tok, ntok, &deflt, &have_default);
        nrules++;
    }
    if (!err) {
        emit(&p, 0x06, deflt);
        if (p.oom)
            err = -ENOMEM;
    }
    for (size_t i = 0; !err && i < p.nfx; i++) {
        size_t target = p.labels[p.fx[i].label];
        size_t off = target - p.fx[i].at - 1;
        if (target == (size_t)-1 || target <= p.fx[i].at || off > 255) {
            cbpf_msg(msg, msg_len, "policy too large: a jump does not fit in 8 bits");
            err = -E2BIG;
            break;
        }
        if (p.fx[i].which == 1)
            p.v[p.fx[i].at].jt = (uint8_t)off;
        else
            p.v[p.fx[i].at].jf = (uint8_t)off;
    }
    if (!err && p.n > BPFVM_CBPF_MAXINSNS) {
        cbpf_msg(msg, msg_len, "policy compiles to %zu insns, more than %d", p.n,
                 BPFVM_CBPF_MAXINSNS);
        err = -E2BIG;
    }
    free(p.fx);
    free(p.labels);
    if (err) {
        if (err == -ENOMEM)
            cbpf_msg(msg, msg_len, "out of memory");
        free(p.v);
        return err;
    }
    (void)nrules;
    *out = p.v;
    *cnt = p.n;
    return 0;
}
