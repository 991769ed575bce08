/* helpers/trace.c - bpf_trace_printk (3 arguments, the kernel's format rules, a 1024-byte
 * message) delivered as trace_pipe lines to a sink the host sets per vm, and bpf_snprintf
 * (up to 12 arguments in a u64 array). */
#define _GNU_SOURCE
#include "helpers/helpers.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "core/vm_internal.h"

/* ---------------------------------------------------------------- sinks */

#define TRACE_MAX_SINKS 64

/* TODO(lead): a field in struct bpfvm_vm would replace this table (and forget the sink when
 * the vm is freed; here a vm freed with a sink set leaves its entry until replaced). */
static struct trace_sink {
    const struct bpfvm_vm *vm;
    bpfvm_trace_fn fn;
    void *user;
} trace_sinks[TRACE_MAX_SINKS];
static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;

int bpfvm_vm_set_trace_sink(struct bpfvm_vm *vm, bpfvm_trace_fn fn, void *user)
{
    if (!vm)
        return -EINVAL;
    int rc = -ENOSPC;
    pthread_mutex_lock(&trace_mu);
    struct trace_sink *free_slot = NULL;
    for (int i = 0; i < TRACE_MAX_SINKS; i++) {
        if (trace_sinks[i].vm == vm) {
            free_slot = &trace_sinks[i];
            break;
        }
        if (!trace_sinks[i].vm && !free_slot)
            free_slot = &trace_sinks[i];
    }
    if (free_slot) {
        *free_slot = (struct trace_sink){fn ? vm : NULL, fn, user};
        rc = 0;
    } else if (!fn) {
        rc = 0;
    }
    pthread_mutex_unlock(&trace_mu);
    return rc;
}

static void trace_emit(const struct bpfvm_exec *ex, const char *msg)
{
    const struct bpfvm_vm *vm = ex->prog->vm;
    bpfvm_trace_fn fn = NULL;
    void *user = NULL;
    pthread_mutex_lock(&trace_mu);
    for (int i = 0; i < TRACE_MAX_SINKS; i++)
        if (trace_sinks[i].vm == vm) {
            fn = trace_sinks[i].fn;
            user = trace_sinks[i].user;
            break;
        }
    pthread_mutex_unlock(&trace_mu);
    if (!fn && !vm->log_fn)
        return;
    char comm[17] = "";
    if (prctl(PR_GET_NAME, comm) != 0)
        strcpy(comm, "<...>");
    comm[16] = 0;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* the kernel's trace_pipe context: "%16s-%-7d [%03d] <irq/preempt flags> %5lu.%06lu: " */
    char line[HELPERS_TRACE_PRINTK_BUF + 128];
    int n = snprintf(line, sizeof(line), "%16s-%-7d [%03u] ..... %5lu.%06lu: bpf_trace_printk: %s\n",
                     comm, (int)gettid(), ex->opts->slot, (unsigned long)ts.tv_sec,
                     (unsigned long)(ts.tv_nsec / 1000), msg);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (fn) {
        fn(line, len, user);
    } else {
        line[len - 1] = 0; /* log messages carry no newline */
        vm->log_fn(1, line, vm->log_user);
    }
}

/* ---------------------------------------------------------------- helpers */

/* bpf_trace_printk(fmt, fmt_size, a1, a2, a3): fmt must hold a NUL within fmt_size.
 * Returns the length of the formatted message (it may exceed the 1023 bytes kept) or
 * -EINVAL / -ENOSPC, printing nothing then. */
HELPER_DECL(helper_trace_printk)
{
    uint32_t fmt_size = (uint32_t)r2;
    if (!fmt_size || !r1)
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r1, fmt_size, false))
        return (uint64_t)-EFAULT;
    const char *fmt = (const char *)(uintptr_t)r1;
    if (!memchr(fmt, 0, fmt_size))
        return (uint64_t)-EINVAL;
    uint64_t args[3] = {r3, r4, r5};
    char msg[HELPERS_TRACE_PRINTK_BUF];
    int n = helpers_bprintf(ex, fmt, args, 3, msg, sizeof(msg));
    if (n < 0)
        return (uint64_t)(int64_t)n;
    trace_emit(ex, msg);
    return (uint64_t)n;
}

/* The kernel's ARG_PTR_TO_CONST_STR: a NUL-terminated string the program may read. */
static bool trace_const_str_ok(const struct bpfvm_exec *ex, uint64_t s)
{
    if (!s)
        return false;
    if (!ex->checked)
        return true;
    for (uint64_t p = s;; p++) {
        if (!exec_mem_ok(ex, p, 1, false))
            return false;
        if (!*(const char *)(uintptr_t)p)
            return true;
    }
}

/* bpf_snprintf(str, str_size, fmt, data, data_len): data holds data_len / 8 u64 arguments.
 * Returns the formatted length plus one (the NUL), or -EINVAL / -ENOSPC. */
HELPER_DECL(helper_snprintf)
{
    uint32_t str_size = (uint32_t)r2, data_len = (uint32_t)r5;
    if (data_len % 8 || data_len > HELPERS_BPRINTF_MAX_ARGS * 8 || (data_len && !r4))
        return (uint64_t)-EINVAL;
    if ((str_size && !r1) || !helpers_mem_ok(ex, r1, str_size, true) ||
        !helpers_mem_ok(ex, r4, data_len, false))
        return (uint64_t)-EFAULT;
    if (!trace_const_str_ok(ex, r3))
        return (uint64_t)-EINVAL;
    uint64_t args[HELPERS_BPRINTF_MAX_ARGS];
    if (data_len)
        memcpy(args, (const void *)(uintptr_t)r4, data_len);
    int n = helpers_bprintf(ex, (const char *)(uintptr_t)r3, args, (int)(data_len / 8),
                            (char *)(uintptr_t)r1, str_size);
    return n < 0 ? (uint64_t)(int64_t)n : (uint64_t)n + 1;
}
