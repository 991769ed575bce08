/* helpers/time.c - clocks and per-CPU facts: ktime_get_ns (CLOCK_MONOTONIC), boot_ns
 * (CLOCK_BOOTTIME), coarse_ns (CLOCK_MONOTONIC_COARSE), tai_ns (CLOCK_TAI), jiffies64
 * (monotonic time at HZ=1000 counted from the kernel's INITIAL_JIFFIES), get_prandom_u32 (a
 * per-thread generator seeded from getrandom), get_smp_processor_id (the worker slot) and
 * get_numa_node_id (the node of the CPU the thread runs on). */
#define _GNU_SOURCE
#include "helpers/helpers.h"

#include <sched.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TIME_HZ 1000ull                                          /* CONFIG_HZ assumed */
#define TIME_INITIAL_JIFFIES ((uint64_t)(uint32_t)(-300 * (int)TIME_HZ)) /* the kernel's */

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
    return TIME_INITIAL_JIFFIES + time_ns(CLOCK_MONOTONIC) / (1000000000ull / TIME_HZ);
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
