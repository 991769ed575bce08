/* test_run.c - the BPF_PROG_TEST_RUN contract for raw programs: private copy of the data,
 * repeat, mean duration, data out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/vm_internal.h"
#include "progtype/progtype.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A typed program: the context is built around the packet as the kernel's test run does. */
static int test_run_typed(const struct bpfvm_prog *prog, const struct progtype *pt,
                          struct bpfvm_test_run_opts *o)
{
    struct progtype_run r = {0};
    uint32_t repeat = o->repeat ? o->repeat : 1;
    uint64_t r0 = 0, total = 0;
    int rc = 0;
    for (uint32_t i = 0; i < repeat && !rc; i++) {
        /* a fresh packet and context every repetition, as in the kernel */
        free(r.buf);
        free(r.ctx);
        memset(&r, 0, sizeof(r));
        if ((rc = pt->run_setup(pt, o, &r)))
            break;
        r.exec.sz = sizeof(r.exec);
        r.exec.ctx = r.ctx;
        r.exec.ctx_size = r.ctx_size;
        r.exec.args[0] = (uintptr_t)r.ctx;
        r.exec.insn_budget = o->insn_budget;
        r.exec.engine = o->engine;
        r.exec.errbuf = o->errbuf;
        r.exec.errbuf_len = o->errbuf_len;
        uint64_t t0 = now_ns();
        rc = bpfvm_prog_exec(prog, &r.exec, &r0);
        total += now_ns() - t0;
    }
    o->fault_pc = r.exec.fault_pc;
    if (!rc) {
        o->retval = r0;
        o->duration = total / repeat;
        rc = pt->run_finish(pt, o, &r);
    }
    free(r.buf);
    free(r.ctx);
    return rc;
}

int bpfvm_prog_test_run(const struct bpfvm_prog *prog, struct bpfvm_test_run_opts *o)
{
    if (!prog || !o)
        return -EINVAL;
    if (o->data_size_in && !o->data_in)
        return vm_errorf(o->errbuf, o->errbuf_len, EINVAL, "data_size_in without data_in");
    if (o->ctx_size_in && !o->ctx_in)
        return vm_errorf(o->errbuf, o->errbuf_len, EINVAL, "ctx_size_in without ctx_in");
    const struct progtype *pt = progtype_get((enum bpfvm_prog_type)prog->type);
    if (pt)
        return test_run_typed(prog, pt, o);
    if (o->ctx_in)
        return vm_errorf(o->errbuf, o->errbuf_len, EINVAL,
                         "ctx_in needs a program type (raw programs have no context)");
    if (o->data_size_in && !o->data_in)
        return vm_errorf(o->errbuf, o->errbuf_len, EINVAL, "data_size_in without data_in");
    uint32_t repeat = o->repeat ? o->repeat : 1;
    /* one spare byte so that an empty input still has a distinct, valid pointer */
    uint8_t *buf = malloc((size_t)o->data_size_in + 1);
    if (!buf)
        return vm_errorf(o->errbuf, o->errbuf_len, ENOMEM, "out of memory for %u bytes of data",
                         o->data_size_in);
    struct bpfvm_exec_opts ex = {
        .sz = sizeof(ex),
        .mem = o->data_size_in ? buf : NULL,
        .mem_size = o->data_size_in,
        .mem_writable = true,
        .insn_budget = o->insn_budget,
        .engine = o->engine,
        .errbuf = o->errbuf,
        .errbuf_len = o->errbuf_len,
    };
    ex.args[0] = o->data_size_in ? (uintptr_t)buf : 0;
    ex.args[1] = o->data_size_in;
    uint64_t r0 = 0, total = 0;
    int rc = 0;
    for (uint32_t i = 0; i < repeat; i++) {
        if (o->data_size_in)
            memcpy(buf, o->data_in, o->data_size_in);
        uint64_t t0 = now_ns();
        rc = bpfvm_prog_exec(prog, &ex, &r0);
        total += now_ns() - t0;
        if (rc)
            break;
    }
    o->fault_pc = ex.fault_pc;
    if (!rc) {
        o->retval = r0;
        o->duration = total / repeat;
        if (o->data_out) {
            uint32_t n = o->data_size_out < o->data_size_in ? o->data_size_out : o->data_size_in;
            memcpy(o->data_out, buf, n);
        }
        o->data_size_out = o->data_size_in;
    }
    free(buf);
    return rc;
}
