/* cmd_trace.c - `bpfvm trace`: bpf_trace_printk output, like `bpftool prog tracelog` reading
 * the kernel's trace_pipe.  Runs started by the CLI append their lines to
 * <pin dir>/trace_pipe (one O_APPEND write per line, so lines from several processes never
 * interleave); reading consumes them: the file is renamed away first, so lines written while
 * it is read go to a new file and are not lost. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpfvm/helpers.h"
#include "bpfvm/map.h"
#include "cli.h"

const char *cli_trace_path(void)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/trace_pipe", bpfvm_pin_dir());
    return path;
}

static void trace_to_file(const char *line, size_t len, void *user)
{
    bool echo = user != NULL;
    int fd = open(cli_trace_path(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) { /* the pin dir does not exist yet */
        mkdir(bpfvm_pin_dir(), 0700);
        fd = open(cli_trace_path(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    }
    if (fd >= 0) {
        ssize_t w = write(fd, line, len);
        (void)w;
        close(fd);
    }
    if (echo)
        fwrite(line, 1, len, stderr);
}

struct bpfvm_vm *cli_new_vm(bool echo_trace)
{
    struct bpfvm_vm *vm = bpfvm_vm_new();
    if (!vm || bpfvm_vm_add_std_helpers(vm) ||
        bpfvm_vm_set_trace_sink(vm, trace_to_file, echo_trace ? (void *)1 : NULL)) {
        bpfvm_vm_free(vm);
        cli_error("out of memory");
        return NULL;
    }
    return vm;
}

/* Print and consume what is in the trace file; returns the bytes printed or -1. */
static long trace_drain(void)
{
    char taken[1100];
    snprintf(taken, sizeof(taken), "%s.%d", cli_trace_path(), (int)getpid());
    if (rename(cli_trace_path(), taken)) {
        if (errno == ENOENT)
            return 0;
        cli_error("cannot read %s: %s", cli_trace_path(), strerror(errno));
        return -1;
    }
    FILE *f = fopen(taken, "rb");
    long total = 0;
    char buf[4096];
    size_t n;
    while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
        fwrite(buf, 1, n, stdout);
        total += (long)n;
    }
    if (f)
        fclose(f);
    fflush(stdout);
    unlink(taken);
    return total;
}

int cmd_trace(int argc, char **argv)
{
    bool follow = false, clear = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow"))
            follow = true;
        else if (!strcmp(argv[i], "--clear"))
            clear = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf("usage: bpfvm trace [-f|--follow] [--clear]\n"
                   "  prints (and consumes) the bpf_trace_printk lines of programs run by bpfvm,\n"
                   "  from %s; with -f keeps waiting for more (Ctrl-C to stop)\n",
                   cli_trace_path());
            return CLI_OK;
        } else
            return cli_error("trace: unknown argument '%s' (try bpfvm trace --help)", argv[i]);
    }
    if (clear) {
        if (unlink(cli_trace_path()) && errno != ENOENT)
            return cli_error("cannot remove %s: %s", cli_trace_path(), strerror(errno));
        return CLI_OK;
    }
    do {
        if (trace_drain() < 0)
            return CLI_USAGE;
        if (follow)
            usleep(100000);
    } while (follow);
    return CLI_OK;
}
