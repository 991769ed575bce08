/* kc_checks.c - property checks for helpers whose values differ between the kernel and bpfvm
 * (clocks, jiffies, prandom, CPU, NUMA node), the current task's identity, BPF_F_LOCK host
 * lookups, and trace_printk output compared with the kernel's trace_pipe. */
#define _GNU_SOURCE
#include "kc_checks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

struct kc_list kc_vm_trace;

static uint64_t kc_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void kc_clock_now(struct kc_clock *c)
{
    c->mono = kc_ns(CLOCK_MONOTONIC);
    c->boot = kc_ns(CLOCK_BOOTTIME);
    c->coarse = kc_ns(CLOCK_MONOTONIC_COARSE);
}

/* the layout of struct nd_time in progs/nondet.bpf.c */
struct kc_nd_time {
    uint64_t mono0, mono1, boot, coarse, jiffies, rnd0, rnd1, cpu, numa;
};

static int kc_read0(const struct kc_side *s, struct kc_obj *o, const char *map, void *val, size_t size)
{
    struct kc_map m;
    if (s->map(o, map, &m) || m.value_size != size)
        return -ENOENT;
    uint32_t zero = 0;
    return m.ops->lookup(&m, &zero, val);
}

static int kc_clock_props(const char *side, const struct kc_nd_time *t, const struct kc_clock *b,
                          const struct kc_clock *a, uint64_t cpu, char *msg, size_t len)
{
    if (t->mono0 < b->mono || t->mono1 > a->mono || t->mono1 < t->mono0) {
        snprintf(msg, len, "%s: ktime_get_ns %llu, %llu not within the run [%llu, %llu]", side,
                 (unsigned long long)t->mono0, (unsigned long long)t->mono1,
                 (unsigned long long)b->mono, (unsigned long long)a->mono);
        return 1;
    }
    if (t->boot < b->boot || t->boot > a->boot) {
        snprintf(msg, len, "%s: ktime_get_boot_ns %llu not within [%llu, %llu]", side,
                 (unsigned long long)t->boot, (unsigned long long)b->boot, (unsigned long long)a->boot);
        return 1;
    }
    if (t->coarse < b->coarse || t->coarse > a->coarse) {
        snprintf(msg, len, "%s: ktime_get_coarse_ns %llu not within [%llu, %llu]", side,
                 (unsigned long long)t->coarse, (unsigned long long)b->coarse,
                 (unsigned long long)a->coarse);
        return 1;
    }
    if (t->rnd0 > 0xffffffffull || t->rnd1 > 0xffffffffull || t->rnd0 == t->rnd1) {
        snprintf(msg, len, "%s: get_prandom_u32 gave %llx then %llx", side,
                 (unsigned long long)t->rnd0, (unsigned long long)t->rnd1);
        return 1;
    }
    if (t->cpu != cpu) {
        snprintf(msg, len, "%s: get_smp_processor_id %llu, expected %llu", side,
                 (unsigned long long)t->cpu, (unsigned long long)cpu);
        return 1;
    }
    return 0;
}

/* The kernel's HZ, from jiffies64 = INITIAL_JIFFIES + ticks since boot (0 when none fits). */
static unsigned kc_guess_hz(uint64_t jiffies, uint64_t mono)
{
    static const unsigned hzs[] = {100, 250, 300, 1000};
    for (size_t i = 0; i < sizeof(hzs) / sizeof(hzs[0]); i++) {
        uint64_t init = (uint64_t)(uint32_t)(-300 * (int)hzs[i]);
        double expect = (double)init + (double)mono * hzs[i] / 1e9;
        double d = (double)jiffies - expect;
        if (d < 0)
            d = -d;
        if (d < hzs[i] * 2.0) /* within two seconds */
            return hzs[i];
    }
    return 0;
}

unsigned kc_kernel_hz;

int kc_check_clocks(int jiffies, const struct kc_side *ks, struct kc_obj *k,
                    const struct kc_clock *bk, const struct kc_clock *ak,
                    const struct kc_side *vs, struct kc_obj *v, const struct kc_clock *bv,
                    const struct kc_clock *av, char *msg, size_t len)
{
    struct kc_nd_time tk, tv;
    if (kc_read0(ks, k, "nd_time", &tk, sizeof(tk)) || kc_read0(vs, v, "nd_time", &tv, sizeof(tv))) {
        snprintf(msg, len, "nd_time cannot be read");
        return 1;
    }
    if (!jiffies && (kc_clock_props("kernel", &tk, bk, ak, (uint64_t)kc_cpu, msg, len) ||
                     kc_clock_props("bpfvm", &tv, bv, av, 0, msg, len)))
        return 1;
    if (tk.numa != tv.numa) {
        snprintf(msg, len, "get_numa_node_id: kernel %llu, bpfvm %llu", (unsigned long long)tk.numa,
                 (unsigned long long)tv.numa);
        return 1;
    }
    if (!jiffies)
        return 0;
    /* jiffies64: bpfvm counts the kernel's ticks (its HZ, learnt from /proc/timer_list): the
     * two readings may differ only by the ticks between them, within 50 ms */
    unsigned hz = kc_guess_hz(tk.jiffies, tk.mono0);
    kc_kernel_hz = hz;
    double vj = (double)tv.jiffies, kj = (double)tk.jiffies;
    double dt_ms = ((double)tv.mono0 - (double)tk.mono0) / 1e6;
    double off_ms = hz ? (vj - kj) * 1000.0 / hz - dt_ms : 1e9;
    if (off_ms > 50 || off_ms < -50) {
        snprintf(msg, len, "jiffies64: kernel %llu (HZ %u by its relation to ktime), bpfvm %llu, "
                 "%.3f ms apart: %.1f ms off",
                 (unsigned long long)tk.jiffies, hz, (unsigned long long)tv.jiffies, dt_ms, off_ms);
        return 1;
    }
    return 0;
}

/* the layout of struct nd_task in progs/nondet.bpf.c */
struct kc_task {
    uint64_t pid_tgid, uid_gid;
    int64_t comm_rc, comm5_rc;
    char comm[16];
    char comm5[8];
};

int kc_check_task(const struct kc_side *ks, struct kc_obj *k, const struct kc_side *vs,
                  struct kc_obj *v, char *msg, size_t len)
{
    struct kc_task t[2], want;
    memset(&want, 0, sizeof(want));
    memset(t, 0, sizeof(t));
    want.pid_tgid = (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)gettid();
    want.uid_gid = (uint64_t)(uint32_t)getgid() << 32 | (uint32_t)getuid();
    char comm[17] = "";
    prctl(PR_GET_NAME, comm);
    memcpy(want.comm, comm, 15);
    memcpy(want.comm5, comm, 4);
    if (kc_read0(ks, k, "task", &t[0], sizeof(t[0])) || kc_read0(vs, v, "task", &t[1], sizeof(t[1]))) {
        snprintf(msg, len, "task cannot be read");
        return 1;
    }
    for (int i = 0; i < 2; i++) {
        const char *side = i ? "bpfvm" : "kernel";
        if (t[i].pid_tgid != want.pid_tgid || t[i].uid_gid != want.uid_gid) {
            snprintf(msg, len, "%s: pid_tgid %llx uid_gid %llx, the process has %llx %llx", side,
                     (unsigned long long)t[i].pid_tgid, (unsigned long long)t[i].uid_gid,
                     (unsigned long long)want.pid_tgid, (unsigned long long)want.uid_gid);
            return 1;
        }
        if (t[i].comm_rc || t[i].comm5_rc || memcmp(t[i].comm, want.comm, 16) ||
            memcmp(t[i].comm5, want.comm5, 8)) {
            snprintf(msg, len, "%s: comm '%.16s' (rc %lld), comm5 '%.8s' (rc %lld); process '%s'",
                     side, t[i].comm, (long long)t[i].comm_rc, t[i].comm5,
                     (long long)t[i].comm5_rc, comm);
            return 1;
        }
    }
    return 0;
}

int kc_check_locked(const struct kc_side *ks, struct kc_obj *k, const struct kc_side *vs,
                    struct kc_obj *v, const char *map, char *msg, size_t len)
{
    struct kc_map mk, mv;
    if (ks->map(k, map, &mk) || vs->map(v, map, &mv)) {
        snprintf(msg, len, "%s not found", map);
        return 1;
    }
    uint8_t bk[256] = {0}, bv[256] = {0};
    uint32_t zero = 0;
    int rk = mk.ops->lookup_flags(&mk, &zero, bk, 4 /* BPF_F_LOCK */);
    int rv = mv.ops->lookup_flags(&mv, &zero, bv, 4);
    if (rk != rv || memcmp(bk, bv, mk.value_size < 256 ? mk.value_size : 256)) {
        snprintf(msg, len, "%s: host lookup with BPF_F_LOCK: kernel %d, bpfvm %d%s", map, rk, rv,
                 rk == rv ? " (values differ)" : "");
        return 1;
    }
    return 0;
}

/* ---- trace_printk ---- */

static void kc_trace_drain_kernel(struct kc_trace *t, struct kc_list *out)
{
    static char buf[65536];
    size_t have = 0;
    for (;;) {
        ssize_t n = read(t->fd, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        if (have >= sizeof(buf) - 1)
            break;
    }
    buf[have] = 0;
    if (!out)
        return;
    char me[32]; /* our lines only: "<comm>-<tid> [cpu] ..." */
    snprintf(me, sizeof(me), "-%d ", (int)gettid());
    for (char *line = buf, *nl; line && *line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = 0;
        const char *m = strstr(line, "bpf_trace_printk: ");
        if (m && strstr(m, "kcompare") && strstr(line, me))
            kc_list_add(out, m + 18, strlen(m + 18), NULL, 0);
    }
}

void kc_trace_begin(struct kc_trace *t, int on)
{
    t->on = on;
    t->fd = -1;
    kc_list_free(&kc_vm_trace);
    if (!on)
        return;
    t->fd = open("/sys/kernel/tracing/trace_pipe", O_RDONLY | O_NONBLOCK);
    if (t->fd < 0)
        t->fd = open("/sys/kernel/debug/tracing/trace_pipe", O_RDONLY | O_NONBLOCK);
    if (t->fd < 0)
        printf("      (trace_pipe not readable: %s; trace_printk compared by return value only)\n",
               strerror(errno));
    else
        kc_trace_drain_kernel(t, NULL);
}

int kc_trace_check(struct kc_trace *t, char *msg, size_t len)
{
    struct kc_list lk = {0}, lv = {0};
    /* bpfvm's lines: keep the message after "bpf_trace_printk: ", without the newline */
    for (size_t i = 0; i < kc_vm_trace.n; i++) {
        const char *s = (const char *)kc_vm_trace.v[i].bytes;
        const char *m = strstr(s, "bpf_trace_printk: ");
        if (!m)
            continue;
        size_t n = strlen(m + 18);
        while (n && m[18 + n - 1] == '\n')
            n--;
        kc_list_add(&lv, m + 18, n, NULL, 0);
    }
    kc_list_free(&kc_vm_trace);
    if (t->fd < 0) {
        kc_list_free(&lv);
        return 0;
    }
    kc_trace_drain_kernel(t, &lk);
    char d[600];
    int bad = kc_list_diff(&lk, &lv, d, sizeof(d));
    if (bad)
        snprintf(msg, len, "trace_printk lines: %s", d);
    else if (!lk.n) {
        snprintf(msg, len, "trace_printk: no line in trace_pipe");
        bad = 1;
    }
    if (getenv("KCOMPARE_VERBOSE"))
        for (size_t i = 0; i < lk.n; i++)
            printf("  trace: %.*s", (int)lk.v[i].len, (const char *)lk.v[i].bytes);
    kc_list_free(&lk);
    kc_list_free(&lv);
    return bad;
}

void kc_trace_end(struct kc_trace *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    kc_list_free(&kc_vm_trace);
}
