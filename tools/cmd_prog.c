/* cmd_prog.c - `bpfvm prog run`: run a program once or N times, BPF_PROG_TEST_RUN style. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/progtype.h"
#include "cli.h"
#include "cmd_object.h"

static int prog_run_usage(void)
{
    fprintf(stderr,
            "usage: bpfvm prog run PROG [--type TYPE] [--data-in FILE] [--data-out FILE]\n"
            "                      [--ctx-in FILE] [--ctx-out FILE] [--repeat N] [--interp|--jit]\n"
            "                      [--max-insns N] [--syntax S] [--no-verify] [--json]\n"
            "  PROG is raw bytecode (.bin) or assembly text (.s).  Without --type, r1 = the data and\n"
            "  r2 = its length.  With --type (xdp, sched_cls/tc, sched_act, socket_filter, cgroup_skb)\n"
            "  r1 = the type's context built around the data like the kernel's BPF_PROG_TEST_RUN; the\n"
            "  program is verified first (--no-verify: run it with run-time checks instead).\n");
    return CLI_USAGE;
}

static int parse_syntax(const char *s, enum bpfvm_syntax *out)
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

static int prog_run(int argc, char **argv)
{
    const char *path = NULL, *data_in = NULL, *data_out = NULL, *ctx_in = NULL, *ctx_out = NULL;
    int type = 0;
    bool no_verify = false;
    uint64_t repeat = 1, budget = 0;
    bool json = false;
    enum bpfvm_engine engine = BPFVM_ENGINE_DEFAULT;
    enum bpfvm_syntax syntax = BPFVM_SYNTAX_AUTO;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(a, "--data-in") && has_val)
            data_in = argv[++i];
        else if (!strcmp(a, "--data-out") && has_val)
            data_out = argv[++i];
        else if (!strcmp(a, "--ctx-in") && has_val)
            ctx_in = argv[++i];
        else if (!strcmp(a, "--ctx-out") && has_val)
            ctx_out = argv[++i];
        else if (!strcmp(a, "--type") && has_val) {
            if ((type = bpfvm_prog_type_from_name(argv[++i])) < 0)
                return cli_error("unknown program type '%s'", argv[i]);
            if (!bpfvm_prog_type_supported(type))
                return cli_error("program type '%s' cannot be run by bpfvm yet", argv[i]);
        }
        else if (!strcmp(a, "--repeat") && has_val) {
            if (!cli_parse_u64(argv[++i], &repeat) || repeat == 0 || repeat > UINT32_MAX)
                return cli_error("--repeat needs a count from 1 to %u, not '%s'", UINT32_MAX, argv[i]);
        } else if (!strcmp(a, "--max-insns") && has_val) {
            if (!cli_parse_u64(argv[++i], &budget))
                return cli_error("--max-insns needs a count, not '%s'", argv[i]);
        } else if (!strcmp(a, "--syntax") && has_val) {
            if (parse_syntax(argv[++i], &syntax))
                return CLI_USAGE;
        } else if (!strcmp(a, "--interp"))
            engine = BPFVM_ENGINE_INTERP;
        else if (!strcmp(a, "--jit"))
            engine = BPFVM_ENGINE_JIT;
        else if (!strcmp(a, "--json"))
            json = true;
        else if (!strcmp(a, "--no-verify"))
            no_verify = true;
        else if (a[0] == '-' && a[1])
            return cli_error("prog run: unknown option '%s'", a), prog_run_usage();
        else if (!path)
            path = a;
        else
            return cli_error("prog run: unexpected argument '%s'", a);
    }
    if (!path)
        return prog_run_usage();

    struct bpfvm_insn *insns = NULL;
    size_t cnt = 0, in_len = 0, cin_len = 0;
    uint8_t *in = NULL, *cin = NULL, cout[256];
    int rc = cli_read_program(path, syntax, &insns, &cnt);
    if (rc)
        return rc;
    if (data_in && !(in = cli_read_file(data_in, &in_len))) {
        free(insns);
        return CLI_USAGE;
    }
    if (ctx_in && !(cin = cli_read_file(ctx_in, &cin_len))) {
        free(insns);
        free(in);
        return CLI_USAGE;
    }
    if (in_len > UINT32_MAX) {
        free(insns);
        free(in);
        return cli_error("%s: data larger than 4 GiB", data_in);
    }

    char err[256] = "";
    struct bpfvm_vm *vm = cli_new_vm(false);
    struct bpfvm_prog *prog = NULL;
    /* raw programs run checked; typed ones are verified (then run without run-time checks) */
    unsigned flags = !type ? BPFVM_LOAD_CHECKED : no_verify ? BPFVM_LOAD_NO_VERIFY : 0;
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = flags, .prog_type = type,
                                 .errbuf = err, .errbuf_len = sizeof(err)};
    /* room for packets that grow (xdp headroom/tailroom) */
    size_t out_cap = in_len + 512;
    uint8_t *out = malloc(out_cap);
    rc = bpfvm_prog_load(vm, insns, cnt, &lo, &prog);
    if (rc) {
        fprintf(stderr, "bpfvm: %s: %s\n", path, err);
        rc = CLI_FAIL;
        goto done;
    }
    struct bpfvm_test_run_opts t = {
        .sz = sizeof(t), .data_in = in, .data_size_in = (uint32_t)in_len, .data_out = out,
        .data_size_out = (uint32_t)out_cap, .ctx_in = cin, .ctx_size_in = (uint32_t)cin_len,
        .ctx_out = ctx_out ? cout : NULL, .ctx_size_out = ctx_out ? sizeof(cout) : 0,
        .repeat = (uint32_t)repeat, .engine = engine,
        .insn_budget = budget, .errbuf = err, .errbuf_len = sizeof(err),
    };
    rc = bpfvm_prog_test_run(prog, &t);
    if (rc) {
        fprintf(stderr, "bpfvm: %s: %s\n", path, err);
        rc = CLI_FAIL;
        goto done;
    }
    size_t out_len = t.data_size_out < out_cap ? t.data_size_out : out_cap;
    if ((data_out && cli_write_file(data_out, out, out_len)) ||
        (ctx_out && cli_write_file(ctx_out, cout, t.ctx_size_out < sizeof(cout) ? t.ctx_size_out : sizeof(cout)))) {
        rc = CLI_USAGE;
        goto done;
    }
    if (json) {
        printf("{\"retval\":%llu,\"duration_ns\":%llu,\"repeat\":%llu,\"data_out\":\"",
               (unsigned long long)t.retval, (unsigned long long)t.duration,
               (unsigned long long)repeat);
        cli_print_hex(stdout, out, out_len);
        printf("\"}\n");
    } else {
        printf("retval: %llu (0x%llx)\nduration: %llu ns\n", (unsigned long long)t.retval,
               (unsigned long long)t.retval, (unsigned long long)t.duration);
    }
done:
    bpfvm_prog_free(prog);
    bpfvm_vm_free(vm);
    free(insns);
    free(in);
    free(cin);
    free(out);
    return rc;
}

/* The PROG argument of `prog run`: the first word that is neither an option nor its value. */
static const char *prog_run_target(int argc, char **argv)
{
    static const char *const with_value[] = {"--data-in", "--data-out", "--ctx-in", "--ctx-out",
                                             "--repeat", "--max-insns", "--syntax", "--type"};
    for (int i = 1; i < argc; i++) {
        bool takes = false;
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
            takes |= !strcmp(argv[i], with_value[k]);
        if (takes)
            i++;
        else if (argv[i][0] != '-')
            return argv[i];
    }
    return NULL;
}

int cmd_prog(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "list"))
        return cmd_prog_list(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "run")) {
        const char *target = prog_run_target(argc - 1, argv + 1);
        if (target && cmd_object_is_elf(target))
            return cmd_prog_run_object(argc - 1, argv + 1);
        return prog_run(argc - 1, argv + 1);
    }
    fprintf(stderr, "usage: bpfvm prog list OBJ [--json]\n"
                    "       bpfvm prog run PROG|OBJ[:name] ...   (bpfvm prog run --help)\n");
    return CLI_USAGE;
}

int cmd_map_any(int argc, char **argv)
{
    bool pinned = argc < 3 && argc >= 2 && !strcmp(argv[1], "list");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "pinned") || !strcmp(argv[i], "create") || !strcmp(argv[i], "unpin"))
            pinned = true;
        if (!strcmp(argv[i], "--pin-dir"))
            pinned = true;
    }
    if (argc >= 2 && !strcmp(argv[1], "list")) { /* list with only options: the pins */
        bool positional = false;
        for (int i = 2; i < argc; i++)
            positional |= argv[i][0] != '-';
        pinned |= !positional;
    }
    return pinned ? cmd_map_pinned(argc, argv) : cmd_map(argc, argv);
}
