/* cli.c - file and program reading shared by the subcommands. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/object.h"
#include "cli.h"
#include "cmd_object.h"

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bpfvm: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return CLI_USAGE;
}

uint8_t *cli_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0, r;
    uint8_t *buf = malloc(cap + 1);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = realloc(buf, (cap *= 2) + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
            } else {
                buf = nb;
            }
        }
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!buf || bad) {
        free(buf);
        cli_error("cannot read %s: %s", path, bad ? "read error" : "out of memory");
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int cli_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
    if (!f)
        return cli_error("cannot create %s: %s", path, strerror(errno));
    size_t w = fwrite(data, 1, len, f);
    int bad = (f == stdout) ? fflush(f) : fclose(f);
    if (w != len || bad)
        return cli_error("cannot write %s: %s", path, strerror(errno));
    return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static bool looks_like_text(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!b[i] || (b[i] < 0x20 && !isspace(b[i])))
            return false;
    return true;
}

int cli_open_object_program(const char *spec, struct bpfvm_object **objp,
                            struct bpfvm_program **progp)
{
    char file[4096], err[512] = "";
    const char *colon = strrchr(spec, ':');
    const char *name = NULL;
    snprintf(file, sizeof(file), "%s", spec);
    FILE *probe = fopen(file, "rb");
    if (!probe && colon) { /* FILE:name */
        snprintf(file, sizeof(file), "%.*s", (int)(colon - spec), spec);
        name = colon + 1;
    } else if (probe) {
        fclose(probe);
    }
    struct bpfvm_object *obj = NULL;
    struct bpfvm_program *p = NULL;
    struct bpfvm_object_open_opts oo = {.sz = sizeof(oo), .errbuf = err, .errbuf_len = sizeof(err)};
    int rc = bpfvm_object_open_file(file, &oo, &obj);
    if (!rc)
        rc = bpfvm_object_select_program(obj, name, &p, err, sizeof(err));
    if (rc) { /* the object loader's messages name the file already */
        bpfvm_object_close(obj);
        return err[0] ? cli_error("%s", err) : cli_error("%s: %s", spec, strerror(-rc));
    }
    *objp = obj;
    *progp = p;
    return 0;
}

/* One program of an ELF object ("FILE" or "FILE:name"), as linked by the object loader. */
static int read_object_program(const char *spec, struct bpfvm_insn **insns, size_t *cnt)
{
    struct bpfvm_object *obj = NULL;
    struct bpfvm_program *p = NULL;
    int rc = cli_open_object_program(spec, &obj, &p);
    if (rc)
        return rc;
    {
        *cnt = bpfvm_program_insn_cnt(p);
        *insns = malloc(*cnt * sizeof(**insns));
        if (*insns)
            memcpy(*insns, bpfvm_program_insns(p), *cnt * sizeof(**insns));
        else
            rc = -ENOMEM;
    }
    bpfvm_object_close(obj);
    if (rc)
        return cli_error("%s: %s", spec, strerror(-rc));
    return 0;
}

int cli_read_program(const char *path, enum bpfvm_syntax syntax, struct bpfvm_insn **insns,
                     size_t *cnt)
{
    if (cmd_object_is_elf(path))
        return read_object_program(path, insns, cnt);
    size_t len;
    uint8_t *data = cli_read_file(path, &len);
    if (!data)
        return CLI_USAGE;
    int rc = 0;
    if (ends_with(path, ".bin") || (!ends_with(path, ".s") && !ends_with(path, ".asm") &&
                                           !looks_like_text(data, len))) {
        if (len == 0 || len % 8) {
            rc = cli_error("%s: %zu bytes is not a whole number of 8-byte instructions", path, len);
        } else {
            *insns = malloc(len);
            if (!*insns)
                rc = cli_error("out of memory");
            else
                *cnt = (size_t)bpfvm_insns_from_bytes(data, len, *insns);
        }
    } else {
        char err[256];
        if (bpfvm_asm((const char *)data, syntax, insns, cnt, err, sizeof(err)))
            rc = cli_error("%s: %s", path, err);
    }
    free(data);
    return rc;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

void cli_print_hex(FILE *f, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", data[i]);
}

void cli_print_json_string(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}
