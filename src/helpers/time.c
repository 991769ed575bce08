/* helpers/time.c - clocks and per-CPU facts: ktime_get_ns (CLOCK_MONOTONIC), boot_ns
 * (CLOCK_BOOTTIME), coarse_ns (CLOCK_MONOTONIC_COARSE), tai_ns (CLOCK_TAI), jiffies64
 * (monotonic time in ticks of the running kernel's HZ, counted from its INITIAL_JIFFIES), get_prandom_u32 (a
 * per-thread generator seeded from getrandom), get_smp_processor_id (the worker slot) and
 * get_numa_node_id (the node of the CPU the thread runs on). */
#define _GNU_SOURCE
#include "helpers/helpers.h"

#include <sched.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* The kernel's INITIAL_JIFFIES: the counter starts 5 minutes before wrapping 32 bits. */
static uint64_t time_initial_jiffies(uint64_t hz) { return (uint64_t)(uint32_t)(-300 * (int64_t)hz); }

/* The running kernel's HZ: /proc/timer_list (root) gives jiffies and the monotonic time
 * together; the candidate rate that predicts that jiffies value wins.  Without it, 250 (the
 * common distribution setting). */
static uint64_t time_hz = 250;
static uint64_t time_anchor_ns, time_anchor_jiffies; /* a reading of both, when available */
static pthread_once_t time_hz_once = PTHREAD_ONCE_INIT;

static void time_detect_hz(void)
{
    FILE *f = fopen("/proc/timer_list", "r");
    char line[256];
    unsigned long long now = 0, jiffies = 0;
    while (f && fgets(line, sizeof(line), f) && !(now && jiffies)) {
        if (!now && sscanf(line, "now at %llu nsecs", &now) == 1)
            continue;
        if (!jiffies && !strncmp(line, "jiffies:", 8))
            jiffies = strtoull(line + 8, NULL, 10);
    }
    if (f)
        fclose(f);
    if (!now || !jiffies)
        return;
    static const uint64_t candidates[] = {100, 250, 300, 1000};
    uint64_t best = 0, best_err = UINT64_MAX;
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        uint64_t hz = candidates[i];
        uint64_t predicted = time_initial_jiffies(hz) + now / (1000000000ull / hz);
        uint64_t err = predicted > jiffies ? predicted - jiffies : jiffies - predicted;
        if (err < best_err)
            best = hz, best_err = err;
    }
    if (best && best_err < best) { /* within a second of ticks */
        time_hz = best;
        time_anchor_ns = now; /* the kernel's own counter, boot offset included */
        time_anchor_jiffies = jiffies;
    }
}

static uint64_t time_ns(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts))
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

HELPER_DECL(helper_ktime_get_ns) { return time_ns(CLOCK_MONOTONIC); }
HELPER_DECL(helper_ktime_get_boot_ns) { return time_ns(CLOCK_BOOTTIME); }
HELPER_DECL(helper_ktime_get_coarse_ns) { return time_ns(CLOCK_MONOTONIC_COARSE); }
HELPER_DECL(helper_ktime_get_tai_ns) { return time_ns(CLOCK_TAI); }

HELPER_DECL(helper_jiffies64)
{
    pthread_once(&time_hz_once, time_detect_hz);
    uint64_t now = time_ns(CLOCK_MONOTONIC), tick = 1000000000ull / time_hz;
    if (time_anchor_jiffies && now >= time_anchor_ns)
        return time_anchor_jiffies + (now - time_anchor_ns) / tick;
    return time_initial_jiffies(time_hz) + now / tick;
}

/* xoshiro-style state per thread; seeded once per thread */
static _Thread_local uint64_t prandom_state[2];

static uint64_t prandom_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != sizeof(s))
        s = time_ns(CLOCK_MONOTONIC) ^ ((uint64_t)(uintptr_t)&s << 16) ^ (uint64_t)getpid();
    return s;
}

HELPER_DECL(helper_get_prandom_u32)
{
    uint64_t *st = prandom_state;
    if (__builtin_expect(!st[0] && !st[1], 0)) {
        st[0] = map_mix64(prandom_seed()) | 1;
        st[1] = map_mix64(st[0] ^ 0x9e3779b97f4a7c15ull);
    }
    /* xorshift128+ */
    uint64_t a = st[0], b = st[1];
    st[0] = b;
    a ^= a << 23;
    st[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
    return (uint32_t)((st[1] + b) >> 32);
}

HELPER_DECL(helper_get_smp_processor_id) { return ex->opts->slot; }

HELPER_DECL(helper_get_numa_node_id)
{
    unsigned cpu = 0, node = 0;
    if (syscall(SYS_getcpu, &cpu, &node, NULL))
        return 0;
    return node;
}
