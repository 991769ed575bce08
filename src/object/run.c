/* run.c - bpfvm_program_test_run: the BPF_PROG_TEST_RUN contract for an object's program,
 * handed to the loaded program's test run (which builds the context of its type). */
#include <errno.h>
#include <stdio.h>

#include "object/object_int.h"

int bpfvm_program_test_run(const struct bpfvm_program *p, struct bpfvm_program_test_run_opts *o)
{
    if (!p || !o)
        return -EINVAL;
    if (!p->prog) {
        if (o->errbuf && o->errbuf_len)
            snprintf(o->errbuf, o->errbuf_len, "program '%s' is not loaded (bpfvm_object_load, autoload on)",
                     p->name);
        return -ENOENT;
    }
    struct bpfvm_test_run_opts t = {
        .sz = sizeof(t), .data_in = o->data_in, .data_out = o->data_out,
        .data_size_in = o->data_size_in, .data_size_out = o->data_size_out,
        .ctx_in = o->ctx_in, .ctx_out = o->ctx_out, .ctx_size_in = o->ctx_size_in,
        .ctx_size_out = o->ctx_size_out, .repeat = o->repeat, .engine = o->engine,
        .insn_budget = o->insn_budget, .errbuf = o->errbuf, .errbuf_len = o->errbuf_len,
    };
    int rc = bpfvm_prog_test_run(p->prog, &t);
    o->fault_pc = t.fault_pc;
    if (!rc) {
        o->retval = t.retval;
        o->duration = t.duration;
        o->data_size_out = t.data_size_out;
        o->ctx_size_out = t.ctx_size_out;
    }
    return rc;
}
