/* cmd_prog.c - `bpfvm prog run`: run a program once or N times, BPF_PROG_TEST_RUN style. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_object.h"

/* `prog run` on raw bytecode or assembly: no type unless --type gives one.  Raw programs run
 * checked; typed ones are verified (then run without run-time checks). */
static int prog_run(int argc, char **argv)
{
    struct cli_run_args a;
    int rc = cli_parse_run_args(argc, argv, &a);
    if (rc)
        return rc;
    struct bpfvm_insn *insns = NULL;
    size_t cnt = 0;
    if ((rc = cli_read_program(a.target, a.syntax, &insns, &cnt)))
        return rc;
    char err[256] = "";
    struct bpfvm_vm *vm = cli_new_vm(false);
    struct bpfvm_prog *prog = NULL;
    unsigned flags = !a.type ? BPFVM_LOAD_CHECKED : a.no_verify ? BPFVM_LOAD_NO_VERIFY : 0;
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = flags, .prog_type = a.type,
                                 .errbuf = err, .errbuf_len = sizeof(err)};
    if (!vm) {
        rc = CLI_USAGE;
    } else if (bpfvm_prog_load(vm, insns, cnt, &lo, &prog)) {
        fprintf(stderr, "bpfvm: %s: %s\n", a.target, err);
        rc = CLI_FAIL;
    } else {
        rc = cli_run_and_print(prog, NULL, a.target, &a);
    }
    bpfvm_prog_free(prog);
    bpfvm_vm_free(vm);
    free(insns);
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
