/* cmd_asm.c - `bpfvm asm` (text to bytecode) and `bpfvm disasm` (bytecode to text). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvm/object.h"
#include "cli.h"
#include "cmd_object.h"

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

/* One line of objdump output for the native code: "  1f:\tmov ..." -> offset and text. */
struct native_line {
    uint32_t off;
    char *text;
};

/* Decode x86-64 code with objdump (binutils); NULL when it is not available. */
static struct native_line *objdump_lines(const void *code, size_t size, size_t *n)
{
    char path[] = "/tmp/bpfvm-jit-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    ssize_t w = write(fd, code, size);
    close(fd);
    struct native_line *lines = NULL;
    *n = 0;
    if (w == (ssize_t)size) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "objdump -D -b binary -mi386:x86-64 --no-show-raw-insn %s 2>/dev/null", path);
        FILE *f = popen(cmd, "r");
        char buf[512];
        size_t cap = 0;
        while (f && fgets(buf, sizeof(buf), f)) {
            unsigned off;
            char *tab = strchr(buf, '\t');
            if (!tab || sscanf(buf, " %x:", &off) != 1)
                continue;
            tab[strcspn(tab, "\n")] = 0;
            if (*n == cap) {
                cap = cap ? cap * 2 : 256;
                struct native_line *nl = realloc(lines, cap * sizeof(*lines));
                if (!nl)
                    break;
                lines = nl;
            }
            lines[*n].off = off;
            lines[(*n)++].text = strdup(tab + 1);
        }
        if (f)
            pclose(f);
    }
    unlink(path);
    return lines;
}

/* The JIT dump of a loaded program: each instruction (as loaded, context accesses rewritten)
 * followed by the native code made from it.  direct: the copy bpfvm_prog_direct_entry calls
 * instead of the code bpfvm_prog_exec runs. */
static int dump_jited(const struct bpfvm_prog *prog, enum bpfvm_syntax syntax, bool direct)
{
    const char *why = NULL;
    if (!bpfvm_prog_jited(prog, &why)) {
        fprintf(stderr, "bpfvm: not JIT-compiled: %s\n", why ? why : "no JIT for this CPU");
        return CLI_FAIL;
    }
    const struct bpfvm_insn *insns = bpfvm_prog_insns(prog);
    size_t cnt = bpfvm_prog_insn_cnt(prog), size, nlines = 0, li = 0;
    const uint32_t *off;
    size_t direct_size = 0;
    const uint8_t *direct_code = bpfvm_prog_jited_direct_code(prog, &direct_size, &off);
    if (direct && !direct_code) {
        fprintf(stderr, "bpfvm: no direct-entry copy: %s\n",
                bpfvm_prog_direct_entry(prog) ? "the direct entry is a stub before the ordinary code"
                                              : "the program needs a run state (helper calls, "
                                                "bpf-to-bpf calls, LD_ABS/LD_IND, may_goto or "
                                                "run-time checks)");
        return CLI_FAIL;
    }
    const uint8_t *code = direct ? direct_code : bpfvm_prog_jited_code(prog, &size, &off);
    if (direct)
        size = direct_size;
    struct native_line *lines = objdump_lines(code, size, &nlines);
    printf("; %zu BPF instructions -> %zu bytes of x86-64%s%s%s\n", cnt, size,
           direct ? " (direct-entry copy)" : "", bpfvm_prog_verified(prog) ? " (verified)" : "",
           bpfvm_prog_checked(prog) ? " (checked)" : "");
    if (!direct && direct_code)
        printf("; bpfvm_prog_direct_entry calls a separate copy (%zu bytes): --direct shows it\n",
               direct_size);
    if (li < nlines && lines[li].off < off[0])
        printf("; prologue\n");
    for (; li < nlines && lines[li].off < off[0]; li++)
        printf("      %5x:  %s\n", lines[li].off, lines[li].text);
    for (size_t pc = 0; pc <= cnt; pc++) {
        uint32_t end = pc < cnt ? off[pc + 1] : (uint32_t)size;
        if (pc < cnt) {
            char text[160];
            int n = bpfvm_disasm_insn(&insns[pc], cnt - pc, syntax, text, sizeof(text));
            printf("%4zu: %s\n", pc, text);
            if (n == 2)
                end = pc + 2 <= cnt ? off[pc + 2] : (uint32_t)size;
        } else {
            printf("; fall-through guard and stubs\n");
        }
        uint32_t start = pc < cnt ? off[pc] : off[cnt];
        for (; li < nlines && lines[li].off < end; li++)
            if (lines[li].off >= start)
                printf("      %5x:  %s\n", lines[li].off, lines[li].text);
        if (!lines) { /* no objdump: raw bytes */
            printf("      ");
            for (uint32_t i = start; i < end; i++)
                printf("%02x ", code[i]);
            printf("\n");
        }
        if (pc < cnt && insns[pc].code == 0x18)
            pc++;
    }
    for (size_t i = 0; i < nlines; i++)
        free(lines[i].text);
    free(lines);
    return CLI_OK;
}

static int disasm_jited(const struct bpfvm_insn *insns, size_t cnt, enum bpfvm_syntax syntax,
                        unsigned flags, bool direct)
{
    char err[256] = "";
    struct bpfvm_vm *vm = cli_new_vm(false);
    struct bpfvm_prog *prog = NULL;
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = flags, .errbuf = err, .errbuf_len = sizeof(err)};
    int rc;
    if (bpfvm_prog_load(vm, insns, cnt, &lo, &prog)) {
        rc = CLI_FAIL;
        fprintf(stderr, "bpfvm: %s\n", err);
    } else {
        rc = dump_jited(prog, syntax, direct);
    }
    bpfvm_prog_free(prog);
    bpfvm_vm_free(vm);
    return rc;
}

/* An object's program, loaded the way `prog run` loads it (its type, maps, verification). */
static int disasm_jited_object(const char *spec, enum bpfvm_syntax syntax, unsigned flags,
                               bool direct)
{
    struct bpfvm_object *obj = NULL;
    struct bpfvm_program *p = NULL;
    struct bpfvm_vm *vm = NULL;
    char err[512] = "";
    int rc = CLI_USAGE;
    if (cli_open_object_program(spec, &obj, &p))
        return rc;
    for (struct bpfvm_program *q = NULL; (q = bpfvm_object_next_program(obj, q));)
        bpfvm_program_set_autoload(q, q == p);
    struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .flags = flags & ~BPFVM_LOAD_CHECKED,
                                        .errbuf = err, .errbuf_len = sizeof(err)};
    if (!(vm = cli_new_vm(false)) || bpfvm_object_load(obj, vm, &lo)) {
        fprintf(stderr, "bpfvm: %s\n", err[0] ? err : "out of memory");
        rc = CLI_FAIL;
    } else {
        rc = dump_jited(bpfvm_program_prog(p), syntax, direct);
    }
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
    return rc;
}

int cmd_disasm(int argc, char **argv)
{
    const char *in = NULL;
    enum bpfvm_syntax syntax = BPFVM_SYNTAX_LLVM;
    int numbered = 1, jited = 0;
    bool direct = false;
    unsigned flags = BPFVM_LOAD_CHECKED;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--jited"))
            jited = 1;
        else if (!strcmp(argv[i], "--direct"))
            jited = 1, direct = true;
        else if (!strcmp(argv[i], "--unchecked"))
            flags &= ~BPFVM_LOAD_CHECKED;
        else if (!strcmp(argv[i], "--blind"))
            flags |= BPFVM_LOAD_BLIND;
        else if (!strcmp(argv[i], "--syntax") && i + 1 < argc) {
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
        fprintf(stderr, "usage: bpfvm disasm FILE.bin [--syntax llvm|conformance] [--no-numbers]\n"
                        "       bpfvm disasm FILE.bin|OBJ[:name] --jited [--direct] [--unchecked] [--blind]\n");
        return CLI_USAGE;
    }
    if (syntax == BPFVM_SYNTAX_AUTO)
        syntax = BPFVM_SYNTAX_LLVM;
    if (jited && cmd_object_is_elf(in))
        return disasm_jited_object(in, syntax, flags, direct);
    struct bpfvm_insn *insns = NULL;
    size_t cnt = 0;
    int rc = cli_read_program(in, BPFVM_SYNTAX_AUTO, &insns, &cnt);
    if (rc)
        return rc;
    if (jited) {
        rc = disasm_jited(insns, cnt, syntax, flags, direct);
        free(insns);
        return rc;
    }
    char *text = bpfvm_disasm(insns, cnt, syntax, numbered);
    if (!text)
        rc = cli_error("out of memory");
    else
        fputs(text, stdout);
    free(text);
    free(insns);
    return rc;
}
