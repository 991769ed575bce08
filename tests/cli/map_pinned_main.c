/* map_pinned_main.c - a stand-alone `bpfvm map ... pinned` for the CLI tests: runs
 * tools/cmd_map_pinned.c without the rest of the command line tool, with the two cli.c helpers
 * it uses. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_map_pinned(int argc, char **argv);

int cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bpfvm: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return CLI_USAGE;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "map")) {
        fprintf(stderr, "usage: %s map ...\n", argv[0]);
        return CLI_USAGE;
    }
    return cmd_map_pinned(argc - 1, argv + 1);
}
