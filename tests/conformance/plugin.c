/* plugin.c - bpfvm-conformance-plugin: runs one program for the bpf_conformance runner.
 *
 *   bpfvm-conformance-plugin [MEMORY_HEX] [--interp|--jit] [--unchecked] [--elf]
 *
 * stdin: the program as hex bytes (8 per instruction slot, little-endian).  r1 = a private
 * copy of the memory (or 0), r2 = its length.  Prints r0 in hex and exits 0, or prints a
 * one-line error and exits 1.  Helper 5 returns its first argument (the runner's convention). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Parse whitespace-separated hex byte pairs (an optional 0x prefix per token is allowed).
 * Returns the byte count or -1 with a message. */
static long parse_hex(const char *s, uint8_t **out, const char *what)
{
    size_t cap = strlen(s) / 2 + 1, n = 0;
    uint8_t *b = malloc(cap);
    if (!b)
        return -1;
    while (*s) {
        if (isspace((unsigned char)*s)) {
            s++;
            continue;
        }
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
            s += 2;
        int hi = hexval((unsigned char)s[0]), lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
        if (hi < 0 || lo < 0) {
            printf("bad hex digit in %s near \"%.8s\"\n", what, s);
            free(b);
            return -1;
        }
        b[n++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    *out = b;
    return (long)n;
}

static char *read_stdin(void)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n - 1, stdin)) > 0) {
        n += r;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
    }
    if (buf)
        buf[n] = 0;
    return buf;
}

int main(int argc, char **argv)
{
    const char *mem_hex = NULL;
    enum bpfvm_engine engine = BPFVM_ENGINE_DEFAULT;
    unsigned flags = BPFVM_LOAD_CHECKED;
    for (int i = 1; i < argc; i++) {
        if (i == 1 && strncmp(argv[i], "--", 2) != 0)
            mem_hex = argv[i];
        else if (!strcmp(argv[i], "--interp") || !strcmp(argv[i], "--interpret"))
            engine = BPFVM_ENGINE_INTERP;
        else if (!strcmp(argv[i], "--jit"))
            engine = BPFVM_ENGINE_JIT;
        else if (!strcmp(argv[i], "--unchecked"))
            flags &= ~BPFVM_LOAD_CHECKED;
        else if (!strcmp(argv[i], "--elf")) {
            printf("ELF mode is not supported by this plugin yet\n");
            return 1;
        } else if (argv[i][0]) {
            printf("unknown option %s (use --interp, --jit, --unchecked)\n", argv[i]);
            return 1;
        }
    }
    uint8_t *mem = NULL, *code = NULL;
    long mem_len = 0, code_len;
    if (mem_hex && (mem_len = parse_hex(mem_hex, &mem, "memory")) < 0)
        return 1;
    char *text = read_stdin();
    if (!text) {
        printf("cannot read the program from stdin\n");
        return 1;
    }
    code_len = parse_hex(text, &code, "program");
    free(text);
    if (code_len < 0)
        return 1;
    if (code_len == 0 || code_len % 8) {
        printf("program is %ld bytes, not a positive multiple of 8\n", code_len);
        return 1;
    }
    struct bpfvm_insn *insns = malloc((size_t)code_len);
    bpfvm_insns_from_bytes(code, (size_t)code_len, insns);

    char err[256] = "";
    struct bpfvm_vm *vm = bpfvm_vm_new();
    struct bpfvm_prog *prog = NULL;
    bpfvm_vm_add_conformance_helpers(vm);
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = flags, .errbuf = err, .errbuf_len = sizeof(err)};
    int rc = bpfvm_prog_load(vm, insns, (size_t)code_len / 8, &lo, &prog);
    if (!rc) {
        struct bpfvm_exec_opts ex = {
            .sz = sizeof(ex),
            .mem = mem_len ? mem : NULL,
            .mem_size = (size_t)mem_len,
            .mem_writable = true,
            .engine = engine,
            .errbuf = err,
            .errbuf_len = sizeof(err),
        };
        ex.args[0] = mem_len ? (uintptr_t)mem : 0;
        ex.args[1] = (uint64_t)mem_len;
        uint64_t r0 = 0;
        rc = bpfvm_prog_exec(prog, &ex, &r0);
        if (!rc)
            printf("%llx\n", (unsigned long long)r0);
    }
    if (rc)
        printf("%s\n", err[0] ? err : strerror(-rc));
    bpfvm_prog_free(prog);
    bpfvm_vm_free(vm);
    free(insns);
    free(code);
    free(mem);
    return rc ? 1 : 0;
}
