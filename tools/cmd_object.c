/* cmd_object.c - BPF object files on the command line: list programs, run one
 * (BPF_PROG_TEST_RUN style), list and dump the maps an object defines with their initial
 * contents (global data included), in text or bpftool-like JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmd_object.h"
#include "bpfvm/helpers.h"
#include "bpfvm/map.h"
#include "bpfvm/object.h"

/* Split "FILE[:name]": the whole string when it is a file, else at the last ':'. */
static char *split_spec(const char *spec, const char **name)
{
    struct stat st;
    char *path = strdup(spec);
    *name = NULL;
    if (!path || stat(path, &st) == 0)
        return path;
    char *c = strrchr(path, ':');
    if (c) {
        *c = 0;
        *name = spec + (c - path) + 1;
    }
    return path;
}

bool cmd_object_is_elf(const char *spec)
{
    const char *name;
    char *path = split_spec(spec, &name);
    bool elf = false;
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (f) {
        char m[4];
        elf = fread(m, 1, 4, f) == 4 && !memcmp(m, "\x7f" "ELF", 4);
        fclose(f);
    }
    free(path);
    return elf;
}

static void log_stderr(int level, const char *msg, void *user)
{
    (void)user;
    if (level <= 1)
        fprintf(stderr, "bpfvm: %s\n", msg);
}

static struct bpfvm_object *open_object(const char *path, bool quiet)
{
    char err[512] = "";
    struct bpfvm_object *obj = NULL;
    struct bpfvm_object_open_opts o = {.sz = sizeof(o), .errbuf = err, .errbuf_len = sizeof(err),
                                       .log = quiet ? NULL : log_stderr};
    if (bpfvm_object_open_file(path, &o, &obj)) {
        fprintf(stderr, "bpfvm: %s\n", err);
        return NULL;
    }
    return obj;
}


/* ---- prog list ---- */

int cmd_prog_list(int argc, char **argv)
{
    const char *path = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_error("prog list: unknown option '%s'", argv[i]);
        else if (!path)
            path = argv[i];
        else
            return cli_error("prog list: unexpected argument '%s'", argv[i]);
    }
    if (!path) {
        fprintf(stderr, "usage: bpfvm prog list OBJ [--json]\n");
        return CLI_USAGE;
    }
    struct bpfvm_object *obj = open_object(path, json);
    if (!obj)
        return CLI_USAGE;
    if (json)
        putchar('[');
    else
        printf("%-24s %-24s %-16s %6s\n", "NAME", "SECTION", "TYPE", "INSNS");
    for (struct bpfvm_program *p = NULL; (p = bpfvm_object_next_program(obj, p));) {
        if (json) {
            printf("%s{\"name\":", p == bpfvm_object_next_program(obj, NULL) ? "" : ",");
            cli_print_json_string(bpfvm_program_name(p));
            printf(",\"section\":");
            cli_print_json_string(bpfvm_program_section_name(p));
            printf(",\"type\":");
            cli_print_json_string(bpfvm_program_type_name(p));
            printf(",\"type_id\":%u,\"insns\":%zu}", bpfvm_program_type(p), bpfvm_program_insn_cnt(p));
        } else {
            printf("%-24s %-24s %-16s %6zu\n", bpfvm_program_name(p), bpfvm_program_section_name(p),
                   bpfvm_program_type_name(p), bpfvm_program_insn_cnt(p));
        }
    }
    if (json)
        printf("]\n");
    else
        printf("license: %s\n", bpfvm_object_license(obj)[0] ? bpfvm_object_license(obj) : "(none)");
    bpfvm_object_close(obj);
    return CLI_OK;
}

/* ---- prog run ---- */

/* Load the object; when another program cannot be loaded, load the chosen one alone. */
static int load_for(struct bpfvm_object *obj, struct bpfvm_program *chosen, struct bpfvm_vm *vm,
                    unsigned flags)
{
    char err[512] = "";
    struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .flags = flags, .errbuf = err,
                                        .errbuf_len = sizeof(err)};
    if (bpfvm_object_load(obj, vm, &lo) == 0)
        return 0;
    for (struct bpfvm_program *p = NULL; (p = bpfvm_object_next_program(obj, p));)
        bpfvm_program_set_autoload(p, p == chosen);
    char err2[512] = "";
    lo.errbuf = err2;
    lo.errbuf_len = sizeof(err2);
    if (bpfvm_object_load(obj, vm, &lo) == 0)
        return 0;
    fprintf(stderr, "bpfvm: %s\n", err2);
    return -1;
}

int cmd_prog_run_object(int argc, char **argv)
{
    struct cli_run_args a;
    int rc = cli_parse_run_args(argc, argv, &a);
    if (rc)
        return rc;
    if (a.type_given)
        return cli_error("prog run: --type is for raw programs; an object's section gives the type");
    const char *name;
    char *path = split_spec(a.target, &name);
    struct bpfvm_object *obj = path ? open_object(path, true) : NULL;
    struct bpfvm_vm *vm = NULL;
    char err[512] = "";
    struct bpfvm_program *p = NULL;
    rc = CLI_USAGE;
    if (!obj)
        goto done;
    if (bpfvm_object_select_program(obj, name, &p, err, sizeof(err))) {
        fprintf(stderr, "bpfvm: %s\n", err);
        goto done;
    }
    if (!(vm = cli_new_vm(false)))
        goto done;
    if (load_for(obj, p, vm, a.no_verify ? BPFVM_LOAD_NO_VERIFY : 0)) {
        rc = CLI_FAIL;
        goto done;
    }
    rc = cli_run_and_print(bpfvm_program_prog(p), bpfvm_program_name(p), path, &a);
done:
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
    free(path);
    return rc;
}

/* ---- map list / dump / lookup ---- */

static int map_usage(void)
{
    fprintf(stderr,
            "usage: bpfvm map list OBJ [--json]\n"
            "       bpfvm map dump OBJ [NAME] [--json]    maps with their initial contents\n"
            "       bpfvm map lookup OBJ NAME KEY...      KEY as hex bytes (\"06000000\" or 06 00 00 00)\n"
            "  Maps live only while their object is loaded (no pinning yet), so update and delete\n"
            "  on an object's maps are not meaningful from the command line.\n");
    return CLI_USAGE;
}

static void print_bytes(const uint8_t *b, size_t n, bool json)
{
    for (size_t i = 0; i < n; i++)
        printf(json ? "%s\"0x%02x\"" : "%s%02x", i ? (json ? "," : " ") : "", b[i]);
}

static void map_header(const struct bpfvm_object_map *m, bool json)
{
    if (json) {
        printf("{\"name\":");
        cli_print_json_string(bpfvm_object_map_name(m));
        printf(",\"type\":\"%s\",\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,\"flags\":%u,"
               "\"section\":",
               bpfvm_map_type_name(bpfvm_object_map_type(m)), bpfvm_object_map_key_size(m),
               bpfvm_object_map_value_size(m), bpfvm_object_map_max_entries(m),
               bpfvm_object_map_flags(m));
        cli_print_json_string(bpfvm_object_map_section(m));
        printf(",\"def\":\"%s\",\"pinning\":%u", bpfvm_object_map_def_kind(m), bpfvm_object_map_pinning(m));
    } else {
        printf("%s: %s  key %uB  value %uB  max_entries %u  flags 0x%x  (%s, %s)\n",
               bpfvm_object_map_name(m), bpfvm_map_type_name(bpfvm_object_map_type(m)),
               bpfvm_object_map_key_size(m), bpfvm_object_map_value_size(m),
               bpfvm_object_map_max_entries(m), bpfvm_object_map_flags(m),
               bpfvm_object_map_section(m), bpfvm_object_map_def_kind(m));
    }
}

/* Entries of a created map, like `bpftool map dump` (hex bytes). */
static int map_dump_one(const struct bpfvm_object_map *om, bool json)
{
    struct bpfvm_map *m = bpfvm_object_map_map(om);
    uint32_t ks = bpfvm_map_key_size(m);
    size_t vs = bpfvm_map_value_buf_size(m);
    uint8_t *key = calloc(1, ks + 1), *next = calloc(1, ks + 1), *val = calloc(1, vs + 1);
    size_t n = 0;
    if (!key || !next || !val) {
        free(key), free(next), free(val);
        return cli_error("out of memory");
    }
    map_header(om, json);
    if (json)
        printf(",\"entries\":[");
    const void *prev = NULL;
    while (ks && bpfvm_map_get_next_key(m, prev, next) == 0 && n < 1000000) {
        memcpy(key, next, ks);
        prev = key;
        if (bpfvm_map_lookup_elem(m, key, val))
            continue;
        if (json) {
            printf("%s{\"key\":[", n ? "," : "");
            print_bytes(key, ks, true);
            printf("],\"value\":[");
            print_bytes(val, vs, true);
            printf("]}");
        } else {
            printf("  key: ");
            print_bytes(key, ks, false);
            printf("  value: ");
            print_bytes(val, vs, false);
            printf("\n");
        }
        n++;
    }
    if (json)
        printf("]");
    /* global data: the variables BTF names */
    const char *vn;
    uint32_t off, sz;
    size_t isz;
    const uint8_t *init = bpfvm_object_map_initial_value(om, &isz);
    if (init && bpfvm_object_map_var(om, 0, &vn, &off, &sz)) {
        uint32_t k0 = 0;
        uint8_t *cur = bpfvm_map_lookup_elem(m, &k0, val) == 0 ? val : (uint8_t *)init;
        if (json)
            printf(",\"vars\":[");
        for (uint32_t i = 0; bpfvm_object_map_var(om, i, &vn, &off, &sz); i++) {
            if (json) {
                printf("%s{\"name\":", i ? "," : "");
                cli_print_json_string(vn);
                printf(",\"offset\":%u,\"size\":%u,\"value\":[", off, sz);
                print_bytes(cur + off, sz, true);
                printf("]}");
            } else {
                printf("  var %s @%u: ", vn, off);
                print_bytes(cur + off, sz, false);
                printf("\n");
            }
        }
        if (json)
            printf("]");
    }
    if (json)
        printf("}");
    else
        printf("  Found %zu element%s\n", n, n == 1 ? "" : "s");
    free(key);
    free(next);
    free(val);
    return 0;
}

/* Parse hex bytes from one or more words into exactly `want` bytes. */
static int parse_hex(char **words, int nwords, uint8_t *out, size_t want)
{
    size_t n = 0;
    for (int w = 0; w < nwords; w++) {
        const char *s = words[w];
        if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2))
            s += 2;
        size_t len = strlen(s);
        if (len % 2)
            return cli_error("'%s' is not whole hex bytes", words[w]);
        for (size_t i = 0; i < len; i += 2) {
            unsigned v;
            char b[3] = {s[i], s[i + 1], 0};
            if (sscanf(b, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[i]) ||
                !strchr("0123456789abcdefABCDEF", s[i + 1]))
                return cli_error("'%s' is not hex", words[w]);
            if (n == want)
                return cli_error("key longer than %zu bytes", want);
            out[n++] = (uint8_t)v;
        }
    }
    if (n != want)
        return cli_error("key has %zu bytes, the map's keys have %zu", n, want);
    return 0;
}

int cmd_map(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
        return map_usage();
    const char *sub = argv[1];
    if (!strcmp(sub, "update") || !strcmp(sub, "delete"))
        return cli_error("map %s: maps live only while their object is loaded and bpfvm has no pinning yet; "
                         "use the library API (bpfvm_object_map_map + bpfvm_map_%s_elem)", sub,
                         sub[0] == 'u' ? "update" : "delete");
    bool list = !strcmp(sub, "list"), dump = !strcmp(sub, "dump"), lookup = !strcmp(sub, "lookup");
    if (!list && !dump && !lookup)
        return cli_error("map: unknown subcommand '%s'", sub), map_usage();
    bool json = false;
    char *pos[64];
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_error("map %s: unknown option '%s'", sub, argv[i]);
        else if (npos < 64)
            pos[npos++] = argv[i];
        else
            return cli_error("map %s: too many arguments", sub);
    }
    if (npos < 1 || (list && npos > 1) || (dump && npos > 2) || (lookup && npos < 3))
        return map_usage();
    struct bpfvm_object *obj = open_object(pos[0], true);
    if (!obj)
        return CLI_USAGE;
    int rc = CLI_OK;
    struct bpfvm_vm *vm = NULL;
    const char *want = npos > 1 ? pos[1] : NULL;
    struct bpfvm_object_map *only = want ? bpfvm_object_find_map_by_name(obj, want) : NULL;
    if (want && !only) {
        rc = cli_error("%s: no map '%s'", pos[0], want);
        goto done;
    }
    if (list) {
        if (json)
            putchar('[');
        for (struct bpfvm_object_map *m = NULL; (m = bpfvm_object_next_map(obj, m));) {
            if (json) {
                printf("%s", m == bpfvm_object_next_map(obj, NULL) ? "" : ",");
                map_header(m, true);
                printf("}");
            } else {
                map_header(m, false);
            }
        }
        if (json)
            printf("]\n");
        goto done;
    }
    /* create the maps (no programs) to read their initial contents */
    char err[512] = "";
    for (struct bpfvm_program *p = NULL; (p = bpfvm_object_next_program(obj, p));)
        bpfvm_program_set_autoload(p, false);
    vm = bpfvm_vm_new();
    struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .errbuf = err, .errbuf_len = sizeof(err)};
    if (!vm || bpfvm_object_load(obj, vm, &lo)) {
        fprintf(stderr, "bpfvm: %s\n", vm ? err : "out of memory");
        rc = CLI_FAIL;
        goto done;
    }
    if (dump) {
        bool first = true;
        if (json)
            putchar('[');
        for (struct bpfvm_object_map *m = NULL; (m = bpfvm_object_next_map(obj, m));) {
            if (only && m != only)
                continue;
            if (json && !first)
                putchar(',');
            first = false;
            map_dump_one(m, json);
        }
        if (json)
            printf("]\n");
        goto done;
    }
    /* lookup */
    struct bpfvm_map *m = bpfvm_object_map_map(only);
    size_t ks = bpfvm_map_key_size(m), vs = bpfvm_map_value_buf_size(m);
    uint8_t *key = calloc(1, ks + 1), *val = calloc(1, vs + 1);
    if (!key || !val || parse_hex(pos + 2, npos - 2, key, ks)) {
        rc = CLI_USAGE;
    } else if ((rc = bpfvm_map_lookup_elem(m, key, val))) {
        fprintf(stderr, "bpfvm: %s: lookup: %s\n", want, strerror(-rc));
        rc = CLI_FAIL;
    } else if (json) {
        printf("{\"key\":[");
        print_bytes(key, ks, true);
        printf("],\"value\":[");
        print_bytes(val, vs, true);
        printf("]}\n");
    } else {
        printf("key: ");
        print_bytes(key, ks, false);
        printf("  value: ");
        print_bytes(val, vs, false);
        printf("\n");
    }
    free(key);
    free(val);
done:
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
    return rc;
}
