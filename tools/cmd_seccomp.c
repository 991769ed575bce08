/* cmd_seccomp.c - `bpfvm seccomp`: compile a seccomp policy (or read a classic filter), print
 * it, evaluate it over a list of syscalls (plain names or strace output) on the eBPF engine,
 * or install it for real and exec a command. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpfvm/cbpf.h"
#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: bpfvm seccomp compile POLICY [-d|-dd|-ddd|--asm|--bytecode]\n"
               "       bpfvm seccomp check POLICY --syscalls FILE\n"
               "       bpfvm seccomp run POLICY -- COMMAND [ARGS...]\n"
               "POLICY is a policy file (docs/cbpf.md) or a classic filter (bpf_asm, bytecode,\n"
               "tcpdump -d/-dd/-ddd listing).  FILE lists syscalls, one per line: strace output\n"
               "(\"openat(AT_FDCWD, \\\"/x\\\", O_RDONLY) = 3\") or \"name [arg...]\" ('-' = stdin).\n");
}

static int is_policy(const char *text)
{
    static const char *const words[] = {"default", "allow", "deny", "kill", "kill_process",
                                        "kill_thread", "trap", "log", "errno", "trace",
                                        "user_notif"};
    const char *p = text;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p != '#')
            break;
        while (*p && *p != '\n')
            p++;
    }
    size_t l = strcspn(p, " \t\r\n");
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == l && !strncmp(p, words[i], l))
            return 1;
    return 0;
}

static int load_filter(const char *path, struct bpfvm_cbpf_insn **prog, size_t *cnt)
{
    size_t len;
    char *text = (char *)cli_read_file(path, &len);
    char msg[300];
    if (!text)
        return cli_error("seccomp: cannot read %s", path);
    int err = is_policy(text)
                  ? bpfvm_seccomp_policy_compile(text, prog, cnt, msg, sizeof msg)
                  : bpfvm_cbpf_parse(text, BPFVM_CBPF_FMT_AUTO, prog, cnt, msg, sizeof msg);
    free(text);
    if (err)
        return cli_error("seccomp: %s: %s", path, msg);
    if (bpfvm_cbpf_check(*prog, *cnt, BPFVM_CBPF_SECCOMP, msg, sizeof msg)) {
        free(*prog);
        fprintf(stderr, "bpfvm: seccomp: %s: filter rejected: %s\n", path, msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static long long arg_value(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!strncmp(s, "AT_FDCWD", 8))
        return -100;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (end != s && !errno)
        return v;
    unsigned long long u = strtoull(s, &end, 0);
    return end != s ? (long long)u : 0; /* flags, strings, structs: 0 */
}

/* "name(a, b, ...) = r" or "name a b"; fills sd, returns the name (in line) or NULL */
static char *parse_call(char *line, struct bpfvm_seccomp_data *sd, int *nargs)
{
    char *p = line;
    if (!strncmp(p, "[pid", 4)) {
        p = strchr(p, ']');
        if (!p)
            return NULL;
        p++;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (isdigit((unsigned char)*p)) { /* strace -f pid column, unless a number is all there is */
        char *q = p;
        while (isdigit((unsigned char)*q))
            q++;
        if (isspace((unsigned char)*q) && isalpha((unsigned char)q[strspn(q, " \t")]))
            p = q;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (!*p || !strncmp(p, "+++", 3) || !strncmp(p, "---", 3) || !strncmp(p, "<...", 4) ||
        *p == '#')
        return NULL;
    char *name = p;
    while (isalnum((unsigned char)*p) || *p == '_')
        p++;
    if (p == name)
        return NULL;
    char sep = *p;
    *p++ = 0;
    *nargs = 0;
    if (sep == '(') {
        int depth = 0, quote = 0;
        char *start = p;
        for (; *p && *nargs < 6; p++) {
            if (quote) {
                if (*p == '\\' && p[1])
                    p++;
                else if (*p == '"')
                    quote = 0;
                continue;
            }
            if (*p == '"')
                quote = 1;
            else if (*p == '(' || *p == '[' || *p == '{')
                depth++;
            else if ((*p == ')' || *p == ']' || *p == '}') && depth > 0)
                depth--;
            else if ((*p == ',' || *p == ')') && depth == 0) {
                char c = *p;
                *p = 0;
                if (*start || c == ',')
                    sd->args[(*nargs)++] = (uint64_t)arg_value(start);
                start = p + 1;
                if (c == ')')
                    break;
            }
        }
    } else if (sep) {
        for (char *t = strtok(p, " \t\r"); t && *nargs < 6; t = strtok(NULL, " \t\r"))
            sd->args[(*nargs)++] = (uint64_t)arg_value(t);
    }
    return name;
}

static int do_check(const char *policy, const char *sysfile)
{
    struct bpfvm_cbpf_insn *prog;
    size_t cnt;
    int rc = load_filter(policy, &prog, &cnt);
    if (rc)
        return rc;
    char msg[300];
    struct bpfvm_cbpf_load_opts lo = {.sz = sizeof lo, .flavor = BPFVM_CBPF_SECCOMP};
    struct bpfvm_cbpf_prog *lp;
    if (bpfvm_cbpf_load(NULL, prog, cnt, &lo, &lp, msg, sizeof msg)) {
        free(prog);
        fprintf(stderr, "bpfvm: seccomp: cannot load: %s\n", msg);
        return CLI_FAIL;
    }
    FILE *f = !strcmp(sysfile, "-") ? stdin : fopen(sysfile, "r");
    if (!f) {
        bpfvm_cbpf_prog_free(lp);
        free(prog);
        return cli_error("seccomp: cannot read %s: %s", sysfile, strerror(errno));
    }
    char line[4096];
    int lineno = 0;
    while (rc == CLI_OK && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\n")] = 0;
        struct bpfvm_seccomp_data sd = {0};
        int nargs = 0;
        char *name = parse_call(line, &sd, &nargs);
        if (!name)
            continue;
        long nr = bpfvm_syscall_nr(name);
        if (nr < 0) {
            char *end;
            nr = strtol(name, &end, 0);
            if (*end || !isdigit((unsigned char)name[0])) {
                printf("%-16s unknown syscall (line %d)\n", name, lineno);
                continue;
            }
        }
        sd.nr = (int32_t)nr;
        sd.arch = bpfvm_seccomp_host_arch();
        uint32_t ret;
        int e = bpfvm_cbpf_prog_run(lp, (const uint8_t *)&sd, sizeof sd, sizeof sd, NULL, &ret);
        if (e) {
            rc = cli_error("seccomp: line %d: run failed (%d)", lineno, e);
            break;
        }
        char act[64], args[200] = "";
        size_t al = 0;
        for (int i = 0; i < nargs && al < sizeof args; i++)
            al += (size_t)snprintf(args + al, sizeof args - al, "%s%lld", i ? ", " : "",
                                   (long long)sd.args[i]);
        bpfvm_seccomp_action_str(ret, act, sizeof act);
        printf("%s(%s) -> %s\n", name, args, act);
    }
    if (f != stdin)
        fclose(f);
    bpfvm_cbpf_prog_free(lp);
    free(prog);
    return rc;
}

int cmd_seccomp(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    if (argc < 3)
        return cli_error("seccomp %s: missing POLICY (try bpfvm seccomp --help)", sub);
    const char *policy = argv[2];
    if (!strcmp(sub, "compile")) {
        enum bpfvm_cbpf_format fmt = BPFVM_CBPF_FMT_IMAGE;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "-d")) fmt = BPFVM_CBPF_FMT_IMAGE;
            else if (!strcmp(argv[i], "-dd")) fmt = BPFVM_CBPF_FMT_C;
            else if (!strcmp(argv[i], "-ddd")) fmt = BPFVM_CBPF_FMT_DECIMAL;
            else if (!strcmp(argv[i], "--asm")) fmt = BPFVM_CBPF_FMT_ASM;
            else if (!strcmp(argv[i], "--bytecode")) fmt = BPFVM_CBPF_FMT_BYTECODE;
            else return cli_error("seccomp compile: unknown option '%s'", argv[i]);
        }
        struct bpfvm_cbpf_insn *prog;
        size_t cnt;
        int rc = load_filter(policy, &prog, &cnt);
        if (rc)
            return rc;
        char *s;
        if (bpfvm_cbpf_format(prog, cnt, fmt, &s) == 0) {
            fputs(s, stdout);
            free(s);
        }
        free(prog);
        return CLI_OK;
    }
    if (!strcmp(sub, "check")) {
        const char *sysfile = NULL;
        for (int i = 3; i < argc; i++) {
            if (!strcmp(argv[i], "--syscalls") && i + 1 < argc)
                sysfile = argv[++i];
            else
                return cli_error("seccomp check: unknown argument '%s'", argv[i]);
        }
        if (!sysfile)
            return cli_error("seccomp check: --syscalls FILE is required");
        return do_check(policy, sysfile);
    }
    if (!strcmp(sub, "run")) {
        int i = 3;
        if (i < argc && !strcmp(argv[i], "--"))
            i++;
        if (i >= argc)
            return cli_error("seccomp run: no command given (bpfvm seccomp run POLICY -- CMD)");
        struct bpfvm_cbpf_insn *prog;
        size_t cnt;
        int rc = load_filter(policy, &prog, &cnt);
        if (rc)
            return rc;
        char msg[300];
        if (bpfvm_seccomp_install(prog, cnt, msg, sizeof msg)) {
            free(prog);
            fprintf(stderr, "bpfvm: seccomp run: %s\n", msg);
            return CLI_FAIL;
        }
        free(prog);
        execvp(argv[i], argv + i);
        /* the policy may forbid execve itself; this message may not even get out */
        return cli_error("seccomp run: cannot exec %s: %s", argv[i], strerror(errno));
    }
    return cli_error("seccomp: unknown subcommand '%s' (compile, check, run)", sub);
}
