/* cmd_map_pinned.c - `bpfvm map ... pinned PATH`: create, list, show, dump, lookup, update,
 * delete, freeze and unpin pinned maps from the shell, shaped like bpftool's map commands
 * (keys and values as byte lists, `--json` output in bpftool's format). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "bpfvm/map.h"

int cmd_map_pinned(int argc, char **argv);

static bool mp_json;

static void mp_usage(FILE *f)
{
    fprintf(f,
            "usage: bpfvm map list [pinned DIR] [--json]\n"
            "       bpfvm map show   pinned PATH [--json]\n"
            "       bpfvm map dump   pinned PATH [--json]\n"
            "       bpfvm map lookup pinned PATH [key BYTES] [--json]\n"
            "       bpfvm map update pinned PATH [key BYTES] value BYTES [any|noexist|exist]\n"
            "       bpfvm map delete pinned PATH [key BYTES]\n"
            "       bpfvm map freeze|unpin pinned PATH\n"
            "       bpfvm map create pinned PATH type TYPE key N value N entries N [name NAME]\n"
            "                        [flags F] [reuse]\n"
            "BYTES: bytes as numbers (0x01 1 0 0) or `hex 01000000`; per-CPU values are\n"
            "given once and written to every slot.  Relative PATHs are under the pin dir\n"
            "($BPFVM_PIN_DIR, default /dev/shm/bpfvm; --pin-dir DIR overrides).  Queue and\n"
            "stack: update = push, lookup = peek, delete = pop.\n");
}

/* ---------------------------------------------------------------- parsing */

static bool mp_is_word(const char *s)
{
    static const char *const words[] = {"key", "value", "any", "noexist", "exist", NULL};
    for (int i = 0; words[i]; i++)
        if (!strcmp(s, words[i]))
            return true;
    return false;
}

static int mp_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parse bytes from argv[*i...] into buf (exactly want bytes). */
static int mp_parse_bytes(int argc, char **argv, int *i, const char *what, uint8_t *buf,
                          size_t want)
{
    size_t n = 0;
    bool hex = *i < argc && !strcmp(argv[*i], "hex");
    if (hex)
        (*i)++;
    for (; *i < argc && !mp_is_word(argv[*i]); (*i)++) {
        const char *s = argv[*i];
        if (hex) {
            size_t len = strlen(s);
            if (len % 2)
                return cli_error("%s: hex '%s' has an odd number of digits", what, s);
            for (size_t k = 0; k < len; k += 2) {
                int hi = mp_hexval(s[k]), lo = mp_hexval(s[k + 1]);
                if (hi < 0 || lo < 0)
                    return cli_error("%s: '%s' is not hex", what, s);
                if (n >= want)
                    return cli_error("%s: more than %zu bytes", what, want);
                buf[n++] = (uint8_t)(hi << 4 | lo);
            }
        } else {
            char *end;
            errno = 0;
            unsigned long v = strtoul(s, &end, 0);
            if (!*s || *end || errno || v > 255)
                return cli_error("%s: '%s' is not a byte (0..255, 0x.. hex)", what, s);
            if (n >= want)
                return cli_error("%s: more than %zu bytes", what, want);
            buf[n++] = (uint8_t)v;
        }
    }
    if (n != want)
        return cli_error("%s: expected %zu bytes, got %zu", what, want, n);
    return 0;
}

/* ---------------------------------------------------------------- output */

static void mp_hex_json(const uint8_t *p, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s\"0x%02x\"", i ? "," : "", p[i]);
    putchar(']');
}

static void mp_hex_plain(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%s%02x", i ? " " : "", p[i]);
}

static bool mp_percpu(enum bpfvm_map_type t)
{
    return t == BPFVM_MAP_TYPE_PERCPU_ARRAY || t == BPFVM_MAP_TYPE_PERCPU_HASH ||
           t == BPFVM_MAP_TYPE_LRU_PERCPU_HASH;
}

static bool mp_keyless(enum bpfvm_map_type t)
{
    return t == BPFVM_MAP_TYPE_QUEUE || t == BPFVM_MAP_TYPE_STACK;
}

/* One element: bpftool's {"key": [...], "value": [...]} or per-CPU "values". */
static void mp_print_elem(struct bpfvm_map *m, const uint8_t *key, const uint8_t *val)
{
    uint32_t ks = bpfvm_map_key_size(m), vs = bpfvm_map_value_size(m);
    bool pc = mp_percpu(bpfvm_map_type(m));
    size_t stride = (vs + 7u) & ~7u;
    if (mp_json) {
        printf("{");
        if (key) {
            printf("\"key\":");
            mp_hex_json(key, ks);
            printf(",");
        }
        if (!pc) {
            printf("\"value\":");
            mp_hex_json(val, vs);
        } else {
            printf("\"values\":[");
            for (uint32_t s = 0; s < bpfvm_map_nr_slots(m); s++) {
                printf("%s{\"cpu\":%u,\"value\":", s ? "," : "", s);
                mp_hex_json(val + s * stride, vs);
                printf("}");
            }
            printf("]");
        }
        printf("}");
        return;
    }
    if (key) {
        printf("key: ");
        mp_hex_plain(key, ks);
        printf("  ");
    }
    if (!pc) {
        printf("value: ");
        mp_hex_plain(val, vs);
        printf("\n");
        return;
    }
    printf("\n");
    for (uint32_t s = 0; s < bpfvm_map_nr_slots(m); s++) {
        printf("value (CPU %02u): ", s);
        mp_hex_plain(val + s * stride, vs);
        printf("\n");
    }
}

static void mp_print_info(const char *path, const struct bpfvm_pin_info *in, bool first)
{
    if (mp_json) {
        printf("%s{\"id\":%u,\"type\":\"%s\",\"name\":\"%s\",\"flags\":%u,\"bytes_key\":%u,"
               "\"bytes_value\":%u,\"max_entries\":%u,\"bytes_memlock\":%llu,\"frozen\":%d,"
               "\"nr_slots\":%u,\"creator_pid\":%d,\"pinned\":[\"%s\"]}",
               first ? "" : ",", in->id, bpfvm_map_type_name(in->type), in->name,
               in->map_flags, in->key_size, in->value_size, in->max_entries,
               (unsigned long long)in->bytes, in->frozen ? 1 : 0, in->nr_slots,
               in->creator_pid, path);
        return;
    }
    printf("%u: %s  ", in->id, bpfvm_map_type_name(in->type));
    if (in->name[0])
        printf("name %s  ", in->name);
    printf("flags 0x%x%s\n\tkey %uB  value %uB  max_entries %u  memlock %lluB\n\tpinned %s\n",
           in->map_flags, in->frozen ? "  frozen" : "", in->key_size, in->value_size,
           in->max_entries, (unsigned long long)in->bytes, path);
}

/* ---------------------------------------------------------------- commands */

static int mp_open(const char *path, struct bpfvm_map **m)
{
    char msg[256] = "";
    int err = bpfvm_map_open_pinned_msg(path, m, msg, sizeof(msg));
    if (err)
        return cli_error("%s", msg[0] ? msg : strerror(-err));
    return 0;
}

static int mp_list_dir(const char *dir, int depth, bool *first, int *count)
{
    DIR *d = depth < 8 ? opendir(dir) : NULL;
    if (!d)
        return depth ? 0 : (errno == ENOENT ? 0 : cli_error("cannot read %s: %s", dir,
                                                            strerror(errno)));
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue; /* ., .., and the temporary files of pins being created */
        char p[PATH_MAX];
        if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
            continue;
        struct stat st;
        if (lstat(p, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            mp_list_dir(p, depth + 1, first, count);
            continue;
        }
        struct bpfvm_pin_info in;
        if (!S_ISREG(st.st_mode) || bpfvm_pin_info(p, &in))
            continue;
        mp_print_info(p, &in, *first);
        *first = false;
        (*count)++;
    }
    closedir(d);
    return 0;
}

static int mp_create(const char *path, int argc, char **argv)
{
    const char *type = NULL, *name = NULL;
    uint64_t ks = 0, vs = 0, max = 0, flags = 0;
    bool reuse = false;
    for (int i = 0; i < argc; i++) {
        uint64_t *num = NULL;
        if (!strcmp(argv[i], "reuse")) {
            reuse = true;
            continue;
        }
        if (i + 1 >= argc)
            return cli_error("map create: '%s' needs an argument", argv[i]);
        if (!strcmp(argv[i], "type"))
            type = argv[++i];
        else if (!strcmp(argv[i], "name"))
            name = argv[++i];
        else if (!strcmp(argv[i], "key"))
            num = &ks;
        else if (!strcmp(argv[i], "value"))
            num = &vs;
        else if (!strcmp(argv[i], "entries"))
            num = &max;
        else if (!strcmp(argv[i], "flags"))
            num = &flags;
        else
            return cli_error("map create: unknown argument '%s'", argv[i]);
        if (num && (!cli_parse_u64(argv[++i], num) || *num > UINT32_MAX))
            return cli_error("map create: bad number '%s'", argv[i]);
    }
    if (!type)
        return cli_error("map create: no type given");
    int t = -1;
    for (int k = 1; k < 64; k++)
        if (strcmp(bpfvm_map_type_name((enum bpfvm_map_type)k), "unknown") &&
            !strcmp(bpfvm_map_type_name((enum bpfvm_map_type)k), type))
            t = k;
    if (t < 0)
        return cli_error("map create: unknown map type '%s'", type);
    char msg[256] = "";
    struct bpfvm_map_create_opts o = {
        .sz = sizeof(o), .map_flags = (uint32_t)flags, .pin_path = path, .pin_reuse = reuse,
        .errbuf = msg, .errbuf_len = sizeof(msg),
    };
    struct bpfvm_map *m = NULL;
    int err = bpfvm_map_create((enum bpfvm_map_type)t, name, (uint32_t)ks, (uint32_t)vs,
                               (uint32_t)max, &o, &m);
    if (err) {
        cli_error("%s", msg[0] ? msg : strerror(-err));
        return err == -EEXIST || err == -EINVAL ? CLI_FAIL : CLI_USAGE;
    }
    bpfvm_map_free(m);
    return CLI_OK;
}

static int mp_dump(struct bpfvm_map *m)
{
    enum bpfvm_map_type t = bpfvm_map_type(m);
    if (mp_keyless(t))
        return cli_error("map dump: a %s has no keys (lookup peeks, delete pops)",
                         bpfvm_map_type_name(t));
    uint32_t ks = bpfvm_map_key_size(m);
    uint8_t *key = calloc(1, ks + 8), *next = calloc(1, ks + 8);
    uint8_t *val = calloc(1, bpfvm_map_value_buf_size(m) + 8);
    if (!key || !next || !val) {
        free(key), free(next), free(val);
        return cli_error("out of memory");
    }
    unsigned n = 0;
    bool have = false;
    if (mp_json)
        printf("[");
    while (bpfvm_map_get_next_key(m, have ? key : NULL, next) == 0) {
        memcpy(key, next, ks);
        have = true;
        if (bpfvm_map_lookup_elem(m, key, val))
            continue; /* deleted meanwhile */
        if (mp_json && n)
            printf(",");
        mp_print_elem(m, key, val);
        n++;
        if (n > 100000000u)
            break;
    }
    if (mp_json)
        printf("]\n");
    else
        printf("Found %u element%s\n", n, n == 1 ? "" : "s");
    free(key), free(next), free(val);
    return CLI_OK;
}

static int mp_elem_cmd(const char *cmd, struct bpfvm_map *m, int argc, char **argv)
{
    enum bpfvm_map_type t = bpfvm_map_type(m);
    uint32_t ks = bpfvm_map_key_size(m), vs = bpfvm_map_value_size(m);
    size_t vbuf = bpfvm_map_value_buf_size(m), stride = (vs + 7u) & ~7u;
    uint8_t *key = calloc(1, ks + 8), *val = calloc(1, vbuf + 8), *one = calloc(1, vs + 8);
    int rc = CLI_OK;
    if (!key || !val || !one) {
        rc = cli_error("out of memory");
        goto out;
    }
    bool have_key = false, have_val = false;
    uint64_t flags = BPFVM_ANY;
    for (int i = 0; i < argc;) {
        if (!strcmp(argv[i], "key")) {
            i++;
            if ((rc = mp_parse_bytes(argc, argv, &i, "key", key, ks)))
                goto out;
            have_key = true;
        } else if (!strcmp(argv[i], "value")) {
            i++;
            if ((rc = mp_parse_bytes(argc, argv, &i, "value", one, vs)))
                goto out;
            have_val = true;
        } else if (!strcmp(argv[i], "any") || !strcmp(argv[i], "noexist") ||
                   !strcmp(argv[i], "exist")) {
            flags = !strcmp(argv[i], "any") ? BPFVM_ANY
                    : !strcmp(argv[i], "noexist") ? BPFVM_NOEXIST : BPFVM_EXIST;
            i++;
        } else {
            rc = cli_error("map %s: unexpected argument '%s'", cmd, argv[i]);
            goto out;
        }
    }
    if (!mp_keyless(t) && !have_key) {
        rc = cli_error("map %s: a key is needed (key BYTES)", cmd);
        goto out;
    }
    if (mp_keyless(t) && have_key) {
        rc = cli_error("map %s: a %s has no keys", cmd, bpfvm_map_type_name(t));
        goto out;
    }
    bool is_update = !strcmp(cmd, "update");
    if (is_update != have_val) {
        rc = cli_error("map %s: %s", cmd, is_update ? "a value is needed (value BYTES)"
                                                    : "takes no value");
        goto out;
    }
    int err;
    const void *k = mp_keyless(t) ? NULL : key;
    if (is_update) {
        if (mp_percpu(t))
            for (uint32_t s = 0; s < bpfvm_map_nr_slots(m); s++)
                memcpy(val + s * stride, one, vs);
        else
            memcpy(val, one, vs);
        err = bpfvm_map_update_elem(m, k, val, flags);
    } else if (!strcmp(cmd, "delete")) {
        err = mp_keyless(t) ? bpfvm_map_lookup_and_delete_elem(m, NULL, val)
                            : bpfvm_map_delete_elem(m, key);
        if (!err && mp_keyless(t)) {
            mp_print_elem(m, NULL, val);
            if (mp_json)
                printf("\n");
        }
    } else {
        err = bpfvm_map_lookup_elem(m, k, val);
        if (!err) {
            mp_print_elem(m, mp_keyless(t) ? NULL : key, val);
            if (mp_json)
                printf("\n");
        }
    }
    if (err) {
        cli_error("map %s: %s", cmd, err == -ENOENT ? "no such element" : strerror(-err));
        rc = err == -ENOENT || err == -EEXIST || err == -E2BIG || err == -EPERM ? CLI_FAIL
                                                                             : CLI_USAGE;
    }
out:
    free(key), free(val), free(one);
    return rc;
}

int cmd_map_pinned(int argc, char **argv)
{
    /* argv[0] = "map"; options may come anywhere */
    char *args[64];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j") ||
            !strcmp(argv[i], "--pretty") || !strcmp(argv[i], "-p")) {
            mp_json = true;
        } else if (!strcmp(argv[i], "--pin-dir")) {
            if (i + 1 >= argc)
                return cli_error("--pin-dir needs a directory");
            setenv("BPFVM_PIN_DIR", argv[++i], 1);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") ||
                   !strcmp(argv[i], "help")) {
            mp_usage(stdout);
            return CLI_OK;
        } else if (n < 63) {
            args[n++] = argv[i];
        } else {
            return cli_error("map: too many arguments");
        }
    }
    if (n < 1) {
        mp_usage(stderr);
        return CLI_USAGE;
    }
    const char *cmd = args[0];
    if (!strcmp(cmd, "list")) {
        const char *dir = bpfvm_pin_dir();
        if (n >= 3 && !strcmp(args[1], "pinned"))
            dir = args[2];
        else if (n != 1)
            return cli_error("usage: bpfvm map list [pinned DIR] [--json]");
        bool first = true;
        int count = 0;
        if (mp_json)
            printf("[");
        int rc = mp_list_dir(dir, 0, &first, &count);
        if (mp_json)
            printf("]\n");
        return rc;
    }
    if (n < 3 || strcmp(args[1], "pinned"))
        return cli_error("usage: bpfvm map %s pinned PATH ... (bpfvm map help)", cmd);
    const char *path = args[2];
    if (!strcmp(cmd, "create"))
        return mp_create(path, n - 3, args + 3);
    if (!strcmp(cmd, "unpin")) {
        int err = bpfvm_map_unpin(path);
        if (err)
            return cli_error("unpin %s: %s", path,
                             err == -EINVAL ? "not a bpfvm pinned map" : strerror(-err));
        return CLI_OK;
    }
    if (!strcmp(cmd, "show")) {
        char abs[PATH_MAX];
        struct bpfvm_pin_info in;
        int err = bpfvm_pin_resolve(path, abs, sizeof(abs));
        if (!err)
            err = bpfvm_pin_info(abs, &in);
        if (err)
            return cli_error("show %s: %s", path,
                             err == -EINVAL ? "not a bpfvm pinned map" : strerror(-err));
        mp_print_info(abs, &in, true);
        if (mp_json)
            printf("\n");
        return CLI_OK;
    }
    bool known = !strcmp(cmd, "dump") || !strcmp(cmd, "lookup") || !strcmp(cmd, "update") ||
                 !strcmp(cmd, "delete") || !strcmp(cmd, "freeze");
    if (!known)
        return cli_error("map: unknown command '%s' (bpfvm map help)", cmd);
    struct bpfvm_map *m = NULL;
    int rc = mp_open(path, &m);
    if (rc)
        return rc;
    if (!strcmp(cmd, "dump")) {
        rc = n == 3 ? mp_dump(m) : cli_error("map dump: unexpected argument '%s'", args[3]);
    } else if (!strcmp(cmd, "freeze")) {
        int err = bpfvm_map_freeze(m);
        rc = err ? (cli_error("map freeze: %s", strerror(-err)), CLI_FAIL) : CLI_OK;
    } else {
        rc = mp_elem_cmd(cmd, m, n - 3, args + 3);
    }
    bpfvm_map_free(m);
    return rc;
}
