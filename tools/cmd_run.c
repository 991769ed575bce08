/* cmd_run.c - what `bpfvm prog run` does once it has a loaded program, for raw programs and
 * objects alike: the options, reading the inputs, the BPF_PROG_TEST_RUN-style run, writing the
 * outputs, and the text or JSON report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/progtype.h"
#include "cli.h"

int cli_run_usage(void)
{
    fprintf(stderr,
            "usage: bpfvm prog run PROG|OBJ[:name] [--type TYPE] [--data-in FILE] [--data-out FILE]\n"
            "                      [--ctx-in FILE] [--ctx-out FILE] [--repeat N] [--interp|--jit]\n"
            "                      [--max-insns N] [--syntax S] [--no-verify] [--json]\n"
            "  PROG is raw bytecode (.bin) or assembly text (.s); OBJ an ELF object (a function or\n"
            "  section name selects the program).  Without a type, r1 = the data and r2 = its\n"
            "  length.  With one (an object's section, or --type xdp, sched_cls/tc, sched_act,\n"
            "  socket_filter, cgroup_skb) r1 = the type's context built around the data like the\n"
            "  kernel's BPF_PROG_TEST_RUN; the program is verified first (--no-verify: run it with\n"
            "  run-time checks instead).\n");
    return CLI_USAGE;
}

int cli_parse_run_args(int argc, char **argv, struct cli_run_args *a)
{
    memset(a, 0, sizeof(*a));
    a->repeat = 1;
    a->engine = BPFVM_ENGINE_DEFAULT;
    a->syntax = BPFVM_SYNTAX_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        bool has_val = i + 1 < argc;
        if (!strcmp(o, "--data-in") && has_val)
            a->data_in = argv[++i];
        else if (!strcmp(o, "--data-out") && has_val)
            a->data_out = argv[++i];
        else if (!strcmp(o, "--ctx-in") && has_val)
            a->ctx_in = argv[++i];
        else if (!strcmp(o, "--ctx-out") && has_val)
            a->ctx_out = argv[++i];
        else if (!strcmp(o, "--repeat") && has_val) {
            if (!cli_parse_u64(argv[++i], &a->repeat) || a->repeat == 0 || a->repeat > UINT32_MAX)
                return cli_error("--repeat needs a count from 1 to %u, not '%s'", UINT32_MAX, argv[i]);
        } else if (!strcmp(o, "--max-insns") && has_val) {
            if (!cli_parse_u64(argv[++i], &a->budget))
                return cli_error("--max-insns needs a count, not '%s'", argv[i]);
        } else if (!strcmp(o, "--type") && has_val) {
            if ((a->type = bpfvm_prog_type_from_name(argv[++i])) < 0)
                return cli_error("unknown program type '%s'", argv[i]);
            if (!bpfvm_prog_type_supported(a->type))
                return cli_error("program type '%s' cannot be run by bpfvm yet", argv[i]);
            a->type_given = true;
        } else if (!strcmp(o, "--syntax") && has_val) {
            const char *s = argv[++i];
            if (!strcmp(s, "llvm") || !strcmp(s, "kernel"))
                a->syntax = BPFVM_SYNTAX_LLVM;
            else if (!strcmp(s, "conformance"))
                a->syntax = BPFVM_SYNTAX_CONFORMANCE;
            else if (strcmp(s, "auto"))
                return cli_error("unknown syntax '%s' (llvm, conformance or auto)", s);
        } else if (!strcmp(o, "--interp"))
            a->engine = BPFVM_ENGINE_INTERP;
        else if (!strcmp(o, "--jit"))
            a->engine = BPFVM_ENGINE_JIT;
        else if (!strcmp(o, "--no-verify"))
            a->no_verify = true;
        else if (!strcmp(o, "--json"))
            a->json = true;
        else if (!strcmp(o, "-h") || !strcmp(o, "--help"))
            return cli_run_usage();
        else if (o[0] == '-' && o[1])
            return cli_error("prog run: unknown option '%s'", o), cli_run_usage();
        else if (!a->target)
            a->target = o;
        else
            return cli_error("prog run: unexpected argument '%s'", o);
    }
    if (!a->target)
        return cli_run_usage();
    return CLI_OK;
}

int cli_run_and_print(const struct bpfvm_prog *prog, const char *name, const char *path,
                      const struct cli_run_args *a)
{
    uint8_t *in = NULL, *ctx = NULL, *out = NULL, *cout = NULL;
    size_t in_len = 0, ctx_len = 0;
    int rc = CLI_USAGE;
    char err[512] = "";
    if ((a->data_in && !(in = cli_read_file(a->data_in, &in_len))) ||
        (a->ctx_in && !(ctx = cli_read_file(a->ctx_in, &ctx_len))))
        goto done;
    if (in_len > UINT32_MAX || ctx_len > UINT32_MAX) {
        cli_error("input larger than 4 GiB");
        goto done;
    }
    /* room for programs that grow the packet (xdp adjust helpers: a page; tc resize
     * helpers: 16064 bytes) */
    size_t out_cap = in_len + 16384, cout_cap = ctx_len + 256;
    if (!(out = malloc(out_cap)) || !(cout = malloc(cout_cap))) {
        cli_error("out of memory");
        goto done;
    }
    struct bpfvm_test_run_opts t = {
        .sz = sizeof(t), .data_in = in, .data_size_in = (uint32_t)in_len, .data_out = out,
        .data_size_out = (uint32_t)out_cap, .ctx_in = ctx, .ctx_size_in = (uint32_t)ctx_len,
        .ctx_out = a->ctx_out ? cout : NULL, .ctx_size_out = a->ctx_out ? (uint32_t)cout_cap : 0,
        .repeat = (uint32_t)a->repeat, .engine = a->engine, .insn_budget = a->budget,
        .errbuf = err, .errbuf_len = sizeof(err),
    };
    if (bpfvm_prog_test_run(prog, &t)) {
        if (name)
            fprintf(stderr, "bpfvm: %s: %s: %s\n", path, name, err);
        else
            fprintf(stderr, "bpfvm: %s: %s\n", path, err);
        rc = CLI_FAIL;
        goto done;
    }
    size_t out_len = t.data_size_out < out_cap ? t.data_size_out : out_cap;
    size_t cout_len = t.ctx_size_out < cout_cap ? t.ctx_size_out : cout_cap;
    if ((a->data_out && cli_write_file(a->data_out, out, out_len)) ||
        (a->ctx_out && cli_write_file(a->ctx_out, cout, cout_len)))
        goto done;
    if (a->json) {
        printf("{");
        if (name) {
            printf("\"program\":");
            cli_print_json_string(name);
            printf(",");
        }
        printf("\"retval\":%llu,\"duration_ns\":%llu,\"repeat\":%llu,\"data_out\":\"",
               (unsigned long long)t.retval, (unsigned long long)t.duration,
               (unsigned long long)a->repeat);
        cli_print_hex(stdout, out, out_len);
        printf("\"");
        if (a->ctx_out) {
            printf(",\"ctx_out\":\"");
            cli_print_hex(stdout, cout, cout_len);
            printf("\"");
        }
        printf("}\n");
    } else {
        printf("retval: %llu (0x%llx)\nduration: %llu ns\n", (unsigned long long)t.retval,
               (unsigned long long)t.retval, (unsigned long long)t.duration);
    }
    rc = CLI_OK;
done:
    free(in);
    free(ctx);
    free(out);
    free(cout);
    return rc;
}
