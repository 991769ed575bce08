/* main.c - the bpfvm command: dispatches to one subcommand per file (cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_object.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static const struct command commands[] = {
    {"prog", cmd_prog, "prog run PROG|OBJ[:name] [--type T] [--data-in F] [--data-out F] [--repeat N] [--json] ..."},
    {"prog", cmd_prog, "prog list OBJ [--json]"},
    {"map", cmd_map_any, "map list|show|dump|lookup|update|delete|create|freeze|unpin pinned PATH ..."},
    {"map", cmd_map_any, "map list|dump|lookup OBJ ..."},
    {"verify", cmd_verify, "verify PROG|OBJ[:name] [--type TYPE] [--log-level N] [--unpriv] [--map TYPE:KEY:VALUE:MAX]..."},
    {"asm", cmd_asm, "asm FILE.s -o FILE.bin [--syntax llvm|conformance]"},
    {"filter", cmd_filter, "filter EXPR|FILE [-r in.pcap [-w out.pcap]] [-d|-dd|-ddd] [--linux] ..."},
    {"seccomp", cmd_seccomp, "seccomp compile|check|run POLICY ... (see bpfvm seccomp --help)"},
    {"trace", cmd_trace, "trace [-f|--follow] [--clear]   (bpf_trace_printk output)"},
    {"disasm", cmd_disasm, "disasm FILE.bin [--syntax llvm|conformance] [--no-numbers] [--jited [--direct] [--unchecked] [--blind]]"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: bpfvm COMMAND ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  bpfvm %s\n", commands[i].help);
    fprintf(f, "\nbpfvm %s - user-space BPF runtime and toolchain\n", BPFVM_VERSION);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("bpfvm %s\n", BPFVM_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    cli_error("unknown command '%s' (try bpfvm --help)", argv[1]);
    return CLI_USAGE;
}
