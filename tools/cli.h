/* cli.h - shared pieces of the bpfvm command line: file reading, program loading, errors.
 * Exit status convention: 0 success, 1 the thing checked failed, 2 bad usage or input. */
#ifndef BPFVM_CLI_H
#define BPFVM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "bpfvm/bpfvm.h"

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/* Print "bpfvm: <msg>" on stderr and return CLI_USAGE (for one-line returns). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file (NUL-terminated for convenience).  NULL with a message on error. */
uint8_t *cli_read_file(const char *path, size_t *len);
int cli_write_file(const char *path, const void *data, size_t len);

/* Read a program: raw bytecode (.bin, or any non-text file) or assembly text (.s / text),
 * syntax auto-detected unless `syntax` says.  On success *insns is malloc'd. */
int cli_read_program(const char *path, enum bpfvm_syntax syntax, struct bpfvm_insn **insns,
                     size_t *cnt);

/* Open an ELF object ("FILE" or "FILE:name") and select the program (not loaded yet).
 * 0, or CLI_USAGE after printing why. */
struct bpfvm_object;
struct bpfvm_program;
int cli_open_object_program(const char *spec, struct bpfvm_object **obj,
                            struct bpfvm_program **prog);

/* Parse an unsigned number (decimal or 0x hex); false when it is not one. */
bool cli_parse_u64(const char *s, uint64_t *out);

/* Print a JSON string literal (quotes and escapes included). */
void cli_print_json_string(const char *s);

/* Print bytes as lowercase hex (no separators). */
void cli_print_hex(FILE *f, const uint8_t *data, size_t len);

/* A vm for the CLI: the kernel's helpers, and bpf_trace_printk lines appended to the trace
 * file that `bpfvm trace` reads (echoed to stderr too when echo_trace is set).  NULL when out
 * of memory (with a message). */
struct bpfvm_vm *cli_new_vm(bool echo_trace);
/* The trace file: <pin dir>/trace_pipe. */
const char *cli_trace_path(void);

/* `prog run` (tools/cmd_run.c): its options, and the run + report once a program is loaded. */
struct cli_run_args {
    const char *target; /* PROG or OBJ[:name] */
    const char *data_in, *data_out, *ctx_in, *ctx_out;
    uint64_t repeat, budget;
    enum bpfvm_engine engine;
    enum bpfvm_syntax syntax;
    int type;           /* --type (raw programs only) */
    bool type_given, json, no_verify;
};
int cli_run_usage(void);
/* 0, or CLI_USAGE after printing why (argv[0] is "run"). */
int cli_parse_run_args(int argc, char **argv, struct cli_run_args *a);
/* Test-run prog with the inputs a names, write the outputs, print the report (name: the
 * program's name in messages and JSON, or NULL).  CLI_OK, CLI_FAIL or CLI_USAGE. */
int cli_run_and_print(const struct bpfvm_prog *prog, const char *name, const char *path,
                      const struct cli_run_args *a);

/* Subcommands: argv[0] is the subcommand's own name. */
int cmd_prog(int argc, char **argv);
int cmd_asm(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_seccomp(int argc, char **argv);
int cmd_map_pinned(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_verify(int argc, char **argv);
/* bpfvm map ...: pinned maps (`pinned PATH`, `list` without an object) or an object's maps */
int cmd_map_any(int argc, char **argv);

#endif
