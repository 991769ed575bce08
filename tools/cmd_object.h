/* cmd_object.h - the object-file parts of the CLI (tools/cmd_object.c): `bpfvm prog list OBJ`,
 * `bpfvm prog run OBJ[:name] ...` and `bpfvm map list|dump|lookup|update|delete OBJ ...`.
 * argv[0] is the subcommand's own word ("list", "run", "map"). */
#ifndef BPFVM_CMD_OBJECT_H
#define BPFVM_CMD_OBJECT_H

#include <stdbool.h>

/* Whether a PROG argument names an ELF object: "FILE" or "FILE:name" where FILE starts with
 * \x7fELF.  cmd_prog's `run` hands such arguments to cmd_prog_run_object. */
bool cmd_object_is_elf(const char *spec);

/* bpfvm prog list OBJ [--json] */
int cmd_prog_list(int argc, char **argv);
/* bpfvm prog run OBJ[:name] [--data-in F] [--data-out F] [--ctx-in F] [--ctx-out F]
 *                [--repeat N] [--interp|--jit] [--max-insns N] [--json] */
int cmd_prog_run_object(int argc, char **argv);
/* bpfvm map list|dump|lookup|update|delete OBJ ... */
int cmd_map(int argc, char **argv);

#endif
