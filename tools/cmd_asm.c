/* cmd_asm.c - `bpfvm asm` (text to bytecode) and `bpfvm disasm` (bytecode to text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int syntax_arg(const char *s, enum bpfvm_syntax *out)
{
    if (!strcmp(s, "llvm") || !strcmp(s, "kernel"))
        *out = BPFVM_SYNTAX_LLVM;
    else if (!strcmp(s, "conformance"))
        *out = BPFVM_SYNTAX_CONFORMANCE;
    else if (!strcmp(s, "auto"))
        *out = BPFVM_SYNTAX_AUTO;
    else
        return cli_error("unknown syntax '%s' (llvm, conformance or auto)", s);
    return 0;
}

int cmd_asm(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    enum bpfvm_syntax syntax = BPFVM_SYNTAX_AUTO;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--syntax") && i + 1 < argc) {
            if (syntax_arg(argv[++i], &syntax))
                return CLI_USAGE;
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_error("asm: unknown option '%s'", argv[i]);
        else if (!in)
            in = argv[i];
        else
            return cli_error("asm: unexpected argument '%s'", argv[i]);
    }
    if (!in || !out) {
        fprintf(stderr, "usage: bpfvm asm FILE.s -o FILE.bin [--syntax llvm|conformance]\n");
        return CLI_USAGE;
    }
    size_t len;
    uint8_t *text = cli_read_file(in, &len);
    if (!text)
        return CLI_USAGE;
    struct bpfvm_insn *insns = NULL;
    size_t cnt = 0;
    char err[256];
    int rc = CLI_OK;
    if (bpfvm_asm((const char *)text, syntax, &insns, &cnt, err, sizeof(err))) {
        fprintf(stderr, "bpfvm: %s: %s\n", in, err);
        rc = CLI_FAIL;
    } else {
        uint8_t *bytes = malloc(cnt * 8 + 1);
        if (!bytes)
            rc = cli_error("out of memory");
        else {
            bpfvm_insns_to_bytes(insns, cnt, bytes);
            rc = cli_write_file(out, bytes, cnt * 8);
            free(bytes);
        }
    }
    free(insns);
    free(text);
    return rc;
}

int cmd_disasm(int argc, char **argv)
{
    const char *in = NULL;
    enum bpfvm_syntax syntax = BPFVM_SYNTAX_LLVM;
    int numbered = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--syntax") && i + 1 < argc) {
            if (syntax_arg(argv[++i], &syntax))
                return CLI_USAGE;
        } else if (!strcmp(argv[i], "--no-numbers"))
            numbered = 0;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_error("disasm: unknown option '%s'", argv[i]);
        else if (!in)
            in = argv[i];
        else
            return cli_error("disasm: unexpected argument '%s'", argv[i]);
    }
    if (!in) {
        fprintf(stderr, "usage: bpfvm disasm FILE.bin [--syntax llvm|conformance] [--no-numbers]\n");
        return CLI_USAGE;
    }
    if (syntax == BPFVM_SYNTAX_AUTO)
        syntax = BPFVM_SYNTAX_LLVM;
    struct bpfvm_insn *insns = NULL;
    size_t cnt = 0;
    int rc = cli_read_program(in, BPFVM_SYNTAX_AUTO, &insns, &cnt);
    if (rc)
        return rc;
    char *text = bpfvm_disasm(insns, cnt, syntax, numbered);
    if (!text)
        rc = cli_error("out of memory");
    else
        fputs(text, stdout);
    free(text);
    free(insns);
    return rc;
}
