/* run.c - bpfvm_program_test_run: the BPF_PROG_TEST_RUN contract for an object's program,
 * handed to the loaded program's test run (which builds the context of its type). */
#include <errno.h>
#include <stdio.h>

#include "object/object_int.h"

int bpfvm_program_test_run(const struct bpfvm_program *p, struct bpfvm_test_run_opts *o)
{
    if (!p || !o)
        return -EINVAL;
    if (!p->prog) {
        if (o->errbuf && o->errbuf_len)
            snprintf(o->errbuf, o->errbuf_len, "program '%s' is not loaded (bpfvm_object_load, autoload on)",
                     p->name);
        return -ENOENT;
    }
    return bpfvm_prog_test_run(p->prog, o);
}
