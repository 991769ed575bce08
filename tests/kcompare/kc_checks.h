/* kc_checks.h - comparisons beyond bytes: clocks and other values that differ between runs
 * (checked for properties against host clocks), the current task's identity, host lookups
 * with BPF_F_LOCK, and trace_printk lines (the kernel's trace_pipe vs bpfvm's trace sink). */
#ifndef KC_CHECKS_H
#define KC_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include "kc_side.h"

struct kc_clock {
    uint64_t mono, boot, coarse;
};
void kc_clock_now(struct kc_clock *c);

/* nd_time of each side against the host clocks read around its run (jiffies = 0: the
 * clocks, prandom, CPU and NUMA node; 1: jiffies64 of both sides).  0 or 1 + msg. */
int kc_check_clocks(int jiffies, const struct kc_side *ks, struct kc_obj *k,
                    const struct kc_clock *bk, const struct kc_clock *ak,
                    const struct kc_side *vs, struct kc_obj *v, const struct kc_clock *bv,
                    const struct kc_clock *av, char *msg, size_t len);
/* The kernel's HZ as the last jiffies check inferred it (0 before / unknown). */
extern unsigned kc_kernel_hz;
/* task of each side against getpid/gettid/getuid/getgid/PR_GET_NAME. */
int kc_check_task(const struct kc_side *ks, struct kc_obj *k, const struct kc_side *vs,
                  struct kc_obj *v, char *msg, size_t len);
/* A host lookup of key 0 with BPF_F_LOCK: same result and bytes on both sides. */
int kc_check_locked(const struct kc_side *ks, struct kc_obj *k, const struct kc_side *vs,
                    struct kc_obj *v, const char *map, char *msg, size_t len);

/* trace_printk: the kernel's lines come from /sys/kernel/tracing/trace_pipe (skipped when it
 * cannot be read), bpfvm's from its trace sink (kc_vm.c). */
struct kc_trace {
    int fd;
    int on;
};
void kc_trace_begin(struct kc_trace *t, int on);
int kc_trace_check(struct kc_trace *t, char *msg, size_t len);
void kc_trace_end(struct kc_trace *t);
/* bpfvm's trace lines since the last check (kc_vm.c appends) */
extern struct kc_list kc_vm_trace;

#endif
