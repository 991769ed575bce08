/* runner.c - runs the bpf_conformance *.data files against bpfvm.
 *
 *   conformance_runner DIR [--plugin PATH [PLUGIN_OPTS...]] [--unchecked] [-v]
 *
 * In-process by default (assembles the `-- asm` section with bpfvm's assembler, or takes
 * `-- raw`); with --plugin it drives the executable through the bpf_conformance plugin protocol
 * (memory as argv hex, program as hex on stdin, r0 in hex on stdout).  Prints PASS/FAIL per
 * file when -v, then "N passed, N failed". */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpfvm/bpfvm.h"
#include "testlib.h"

struct conf_test {
    char *asm_text;
    size_t asm_len;
    uint64_t raw[64];
    int nraw;
    uint8_t mem[4096];
    size_t mem_len;
    uint64_t result;
    int has_result;
};

static void append(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    char *nb = realloc(*buf, *len + n + 2);
    if (!nb)
        return;
    memcpy(nb + *len, s, n);
    *len += n;
    nb[(*len)++] = '\n';
    nb[*len] = 0;
    *buf = nb;
}

/* Parse one .data file (format: ../shared/conformance/README.md). */
static int parse_test(char *text, struct conf_test *t)
{
    enum { NONE, ASM, RESULT, MEM, RAW, IGNORE } sec = NONE;
    memset(t, 0, sizeof(*t));
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        if (strstr(line, "--")) {
            sec = strstr(line, "asm") ? ASM : strstr(line, "result") ? RESULT
                : strstr(line, "mem") ? MEM : strstr(line, "raw") ? RAW : IGNORE;
            continue;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p)
            continue;
        switch (sec) {
        case ASM:
            append(&t->asm_text, &t->asm_len, p);
            break;
        case RESULT:
            t->result = strtoull(p, NULL, strncmp(p, "0x", 2) ? 10 : 16);
            t->has_result = 1;
            break;
        case MEM:
            for (char *tok = p; *tok;) {
                char *end;
                unsigned long v = strtoul(tok, &end, 16);
                if (end == tok)
                    break;
                if (t->mem_len < sizeof(t->mem))
                    t->mem[t->mem_len++] = (uint8_t)v;
                tok = end;
            }
            break;
        case RAW:
            for (char *tok = p; *tok;) {
                char *end;
                uint64_t v = strtoull(tok, &end, 0);
                if (end == tok)
                    break;
                if (t->nraw < 64)
                    t->raw[t->nraw++] = v;
                tok = end;
            }
            break;
        default:
            break;
        }
    }
    return t->has_result ? 0 : -1;
}

static int get_program(const struct conf_test *t, struct bpfvm_insn **insns, size_t *cnt,
                       char *err, size_t errlen)
{
    if (t->nraw) {
        uint8_t bytes[64 * 8];
        for (int i = 0; i < t->nraw; i++)
            for (int b = 0; b < 8; b++)
                bytes[i * 8 + b] = (uint8_t)(t->raw[i] >> (8 * b));
        *insns = malloc((size_t)t->nraw * sizeof(**insns));
        *cnt = (size_t)bpfvm_insns_from_bytes(bytes, (size_t)t->nraw * 8, *insns);
        return 0;
    }
    return bpfvm_asm(t->asm_text ? t->asm_text : "", BPFVM_SYNTAX_CONFORMANCE, insns, cnt, err,
                     errlen);
}

static enum bpfvm_engine engine = BPFVM_ENGINE_INTERP;

static int run_in_process(const struct bpfvm_insn *insns, size_t cnt, struct conf_test *t,
                          unsigned flags, uint64_t *r0, char *err, size_t errlen)
{
    struct bpfvm_vm *vm = bpfvm_vm_new();
    struct bpfvm_prog *prog = NULL;
    bpfvm_vm_add_conformance_helpers(vm);
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = flags, .errbuf = err, .errbuf_len = errlen};
    int rc = bpfvm_prog_load(vm, insns, cnt, &lo, &prog);
    if (!rc) {
        struct bpfvm_exec_opts ex = {.sz = sizeof(ex), .mem = t->mem_len ? t->mem : NULL,
                                     .mem_size = t->mem_len, .mem_writable = true,
                                     .engine = engine, .errbuf = err, .errbuf_len = errlen};
        ex.args[0] = t->mem_len ? (uintptr_t)t->mem : 0;
        ex.args[1] = t->mem_len;
        rc = bpfvm_prog_exec(prog, &ex, r0);
    }
    bpfvm_prog_free(prog);
    bpfvm_vm_free(vm);
    return rc;
}

/* Drive an external plugin: returns 0 and r0, or -1 with its message. */
static int run_plugin(const char *plugin, char **popts, int npopts, const struct bpfvm_insn *insns,
                      size_t cnt, const struct conf_test *t, uint64_t *r0, char *err, size_t errlen)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
    char *memhex = malloc(t->mem_len * 4 + 1);
    memhex[0] = 0;
    for (size_t i = 0; i < t->mem_len; i++)
        sprintf(memhex + 4 * i, "%02x  ", t->mem[i]);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[64];
        int n = 0;
        argv[n++] = (char *)plugin;
        if (t->mem_len)
            argv[n++] = memhex;
        for (int i = 0; i < npopts && n < 62; i++)
            argv[n++] = popts[i];
        argv[n] = NULL;
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execv(plugin, argv);
        _exit(127);
    }
    free(memhex);
    close(in[0]);
    close(out[1]);
    uint8_t *bytes = malloc(cnt * 8);
    bpfvm_insns_to_bytes(insns, cnt, bytes);
    FILE *w = fdopen(in[1], "w");
    for (size_t i = 0; i < cnt * 8; i++)
        fprintf(w, "%02x", bytes[i]);
    fputc('\n', w);
    fclose(w);
    free(bytes);
    char buf[512];
    ssize_t n, total = 0;
    while ((n = read(out[0], buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
        total += n;
    buf[total] = 0;
    close(out[0]);
    int status;
    waitpid(pid, &status, 0);
    buf[strcspn(buf, "\r\n")] = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "plugin failed: %.200s", buf);
        return -1;
    }
    char *end;
    *r0 = strtoull(buf, &end, 16);
    if (end == buf) {
        snprintf(err, errlen, "plugin printed no value: %.200s", buf);
        return -1;
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *plugin = NULL;
    char **popts = NULL;
    int npopts = 0, verbose = 0;
    unsigned flags = BPFVM_LOAD_CHECKED;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--plugin") && i + 1 < argc) {
            plugin = argv[++i];
            popts = argv + i + 1;
            npopts = argc - i - 1;
            break;
        } else if (!strcmp(argv[i], "--unchecked"))
            flags = 0;
        else if (!strcmp(argv[i], "--jit"))
            engine = BPFVM_ENGINE_JIT;
        else if (!strcmp(argv[i], "--blind"))
            flags |= BPFVM_LOAD_BLIND;
        else if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else
            dir = argv[i];
    }
    if (!dir) {
        fprintf(stderr, "usage: conformance_runner DIR [--unchecked] [--jit] [--blind] [-v] [--plugin PATH OPTS...]\n");
        return 2;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "cannot open %s: %s\n", dir, strerror(errno));
        return 2;
    }
    char *names[1024];
    int nnames = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nnames < 1024) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".data"))
            names[nnames++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nnames, sizeof(char *), cmp_names);

    for (int i = 0; i < nnames; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        char *text = test_read_file(path, NULL);
        struct conf_test t;
        char err[256] = "";
        struct bpfvm_insn *insns = NULL;
        size_t cnt = 0;
        uint64_t r0 = 0;
        int rc;
        if (!text || parse_test(text, &t)) {
            rc = -1;
            snprintf(err, sizeof(err), "cannot parse the test file");
        } else if ((rc = get_program(&t, &insns, &cnt, err, sizeof(err))) != 0) {
            /* err holds the assembler's message */
        } else if (plugin) {
            rc = run_plugin(plugin, popts, npopts, insns, cnt, &t, &r0, err, sizeof(err));
        } else {
            rc = run_in_process(insns, cnt, &t, flags, &r0, err, sizeof(err));
        }
        int ok = rc == 0 && r0 == t.result;
        char why[1024];
        if (rc)
            snprintf(why, sizeof(why), "ERROR %s", err);
        else
            snprintf(why, sizeof(why), "FAIL r0=0x%llx, expected 0x%llx", (unsigned long long)r0,
                     (unsigned long long)t.result);
        test_check(ok, names[i], 0, "conformance", "%s", why);
        if (verbose)
            printf("%s %s\n", ok ? "PASS" : rc ? "ERROR" : "FAIL", names[i]);
        free(insns);
        free(t.asm_text);
        free(text);
        free(names[i]);
    }
    printf("conformance: %s\n", plugin ? plugin : engine == BPFVM_ENGINE_JIT ? "in-process JIT" : "in-process interpreter");
    return test_summary();
}
