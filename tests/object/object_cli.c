/* object_cli.c - a driver for the object commands of tools/cmd_object.c, so that the tests can
 * run them before tools/main.c dispatches to them: `object_cli prog list|run ...`,
 * `object_cli map ...`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_object.h"

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "prog") && !strcmp(argv[2], "list"))
        return cmd_prog_list(argc - 2, argv + 2);
    if (argc >= 3 && !strcmp(argv[1], "prog") && !strcmp(argv[2], "run"))
        return cmd_prog_run_object(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[1], "map"))
        return cmd_map(argc - 1, argv + 1);
    fprintf(stderr, "usage: object_cli prog list|run ... | map ...\n");
    return CLI_USAGE;
}
