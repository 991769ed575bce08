/* cmd_verify.c - `bpfvm verify PROG [--type TYPE] [--log-level N] [--unpriv] [--map SPEC]...`:
 * run the static verifier on raw bytecode or assembly; exit 0 accepted, 1 rejected, 2 usage.
 * The log goes to stderr.  --map TYPE:KEY:VALUE:MAX creates map index 0, 1, ... for
 * `map[idx:N]` references (TYPE: hash, array, percpu_hash, percpu_array, lru_hash, ringbuf,
 * queue, stack, prog_array, perf_event_array). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/map.h"
#include "bpfvm/verifier.h"
#include "bpfvm/object.h"
#include "cli.h"
#include "cmd_object.h"

int cmd_verify(int argc, char **argv);

#define VERIFY_MAX_MAPS 64

static int map_type_arg(const char *s, enum bpfvm_map_type *t)
{
    static const struct {
        const char *n;
        enum bpfvm_map_type t;
    } types[] = {
        {"hash", BPFVM_MAP_TYPE_HASH}, {"array", BPFVM_MAP_TYPE_ARRAY},
        {"percpu_hash", BPFVM_MAP_TYPE_PERCPU_HASH}, {"percpu_array", BPFVM_MAP_TYPE_PERCPU_ARRAY},
        {"lru_hash", BPFVM_MAP_TYPE_LRU_HASH}, {"ringbuf", BPFVM_MAP_TYPE_RINGBUF},
        {"queue", BPFVM_MAP_TYPE_QUEUE}, {"stack", BPFVM_MAP_TYPE_STACK},
        {"prog_array", BPFVM_MAP_TYPE_PROG_ARRAY}, {"perf_event_array", BPFVM_MAP_TYPE_PERF_EVENT_ARRAY},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(s, types[i].n)) {
            *t = types[i].t;
            return 0;
        }
    return -1;
}

static int parse_map(const char *spec, struct bpfvm_map **out)
{
    char type[32];
    unsigned k, v, m;
    if (sscanf(spec, "%31[a-z_]:%u:%u:%u", type, &k, &v, &m) != 4)
        return cli_error("verify: bad --map '%s' (TYPE:KEY:VALUE:MAX)", spec);
    enum bpfvm_map_type t;
    if (map_type_arg(type, &t))
        return cli_error("verify: unknown map type '%s'", type);
    char err[160] = "";
    struct bpfvm_map_create_opts o;
    memset(&o, 0, sizeof(o));
    o.sz = sizeof(o);
    o.errbuf = err;
    o.errbuf_len = sizeof(err);
    if (bpfvm_map_create(t, "m", k, v, m, &o, out))
        return cli_error("verify: cannot create map '%s': %s", spec, err);
    return 0;
}

static void log_to_stderr(const char *text, void *user)
{
    (void)user;
    fputs(text, stderr);
}

int cmd_verify(int argc, char **argv)
{
    const char *path = NULL;
    struct bpfvm_verify_opts vo;
    struct bpfvm_map *maps[VERIFY_MAX_MAPS];
    size_t nmaps = 0, nowned = 0; /* maps made from --map options are ours to free */
    int rc = CLI_USAGE, type = BPFVM_PROG_TYPE_UNSPEC;
    memset(&vo, 0, sizeof(vo));
    vo.sz = sizeof(vo);
    vo.log_level = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--type") && i + 1 < argc) {
            if ((type = bpfvm_verify_type_from_name(argv[++i])) < 0) {
                cli_error("verify: unknown program type '%s' (xdp, socket_filter, sched_cls, raw)", argv[i]);
                goto out;
            }
        } else if (!strcmp(argv[i], "--log-level") && i + 1 < argc) {
            uint64_t n;
            if (!cli_parse_u64(argv[++i], &n) || n > 7) {
                cli_error("verify: bad log level '%s'", argv[i]);
                goto out;
            }
            vo.log_level = (uint32_t)n;
        } else if (!strcmp(argv[i], "--unpriv")) {
            vo.unpriv = true;
        } else if (!strcmp(argv[i], "--map") && i + 1 < argc) {
            if (nmaps == VERIFY_MAX_MAPS) {
                cli_error("verify: too many maps");
                goto out;
            }
            if (parse_map(argv[++i], &maps[nmaps]))
                goto out;
            nowned = ++nmaps;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: bpfvm verify PROG [--type TYPE] [--log-level N] [--unpriv] [--map TYPE:KEY:VALUE:MAX]...\n");
            rc = CLI_OK;
            goto out;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("verify: unknown option '%s'", argv[i]);
            goto out;
        } else if (!path) {
            path = argv[i];
        } else {
            cli_error("verify: unexpected argument '%s'", argv[i]);
            goto out;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: bpfvm verify PROG [--type TYPE] [--log-level N] [--unpriv] [--map TYPE:KEY:VALUE:MAX]...\n");
        goto out;
    }
    struct bpfvm_insn *insns = NULL;
    size_t cnt = 0;
    char err[256] = "";
    struct bpfvm_object *obj = NULL;
    struct bpfvm_vm *vm = NULL;
    if (cmd_object_is_elf(path)) {
        /* an object: its program's type (unless --type), and the object's maps */
        struct bpfvm_program *p;
        if (cli_open_object_program(path, &obj, &p))
            goto out;
        for (struct bpfvm_program *q = NULL; (q = bpfvm_object_next_program(obj, q));)
            bpfvm_program_set_autoload(q, false);
        struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .errbuf = err, .errbuf_len = sizeof(err)};
        if (!(vm = cli_new_vm(false)) || bpfvm_object_load(obj, vm, &lo)) {
            cli_error("%s: %s", path, err[0] ? err : "out of memory");
            goto out_obj;
        }
        if (type == BPFVM_PROG_TYPE_UNSPEC)
            type = (int)bpfvm_program_type(p);
        vo.license = bpfvm_object_license(obj);
        /* the object's map table, in order (lddw map references index it); owned by obj */
        nowned = nmaps = 0;
        for (struct bpfvm_object_map *m = NULL; (m = bpfvm_object_next_map(obj, m)) && nmaps < VERIFY_MAX_MAPS;)
            maps[nmaps++] = bpfvm_object_map_map(m);
        cnt = bpfvm_program_insn_cnt(p);
        if (!(insns = malloc(cnt * sizeof(*insns)))) {
            cli_error("out of memory");
            goto out_obj;
        }
        memcpy(insns, bpfvm_program_insns(p), cnt * sizeof(*insns));
    } else if (cli_read_program(path, BPFVM_SYNTAX_AUTO, &insns, &cnt)) {
        goto out;
    }
    vo.prog_type = (uint32_t)type;
    vo.maps = maps;
    vo.map_cnt = nmaps;
    vo.errbuf = err;
    vo.errbuf_len = sizeof(err);
    if (vo.log_level) {
        vo.log_fn = log_to_stderr;
    }
    int vrc = bpfvm_verify(insns, cnt, &vo);
    free(insns);
    if (vrc == -ENOMEM) {
        rc = cli_error("verify: out of memory");
    } else if (vrc) {
        if (!vo.log_level)
            fprintf(stderr, "bpfvm: %s: %s\n", path, err);
        rc = CLI_FAIL;
    } else {
        rc = CLI_OK;
    }
out_obj:
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
out:
    for (size_t i = 0; i < nowned; i++)
        bpfvm_map_free(maps[i]);
    return rc;
}
