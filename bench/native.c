/* native.c - each row's logic in plain C: the lower bound every engine is compared with.
 * Kept in its own file and called through a function pointer so nothing is inlined into the
 * timing loop. */
#include <string.h>

#include "nmaps.h"
#include "rows.h"

#define NATIVE __attribute__((noinline))

static inline uint16_t ld16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}

static inline uint32_t ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

NATIVE uint64_t native_empty(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)d, (void)e, (void)s;
    return 0;
}

NATIVE uint64_t native_xdp_drop(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)s;
    return d + 14 > e ? 2 : 1;
}

NATIVE uint64_t native_parse(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)s;
    if (d + 34 > e || ld16(d + 12) != 0x0008 || d[23] != 6)
        return 0;
    unsigned ihl = (d[14] & 15u) << 2;
    if (ihl < 20 || d + ihl + 18 > e)
        return 0;
    return be16(d + ihl + 16);
}

NATIVE uint64_t native_alu_loop(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)d, (void)e;
    uint64_t x = s;
    for (uint64_t i = 0; i < ALU_ITERS; i++) {
        x += i;
        x *= ALU_MUL;
        x ^= x >> 13;
    }
    return x;
}

NATIVE uint64_t native_alu_unrolled(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)d, (void)e;
    uint64_t x = s;
#if defined(__clang__)
#pragma clang loop unroll(full)
#elif defined(__GNUC__)
#pragma GCC unroll 256
#endif
    for (uint64_t i = 0; i < ALU_ITERS; i++) {
        x += i;
        x *= ALU_MUL;
        x ^= x >> 13;
    }
    return x;
}

static uint64_t native_counter(struct nmap *m, const void *key)
{
    struct nmap_counter *c = nmap_lookup(m, key);
    if (!c)
        return 0;
    __atomic_fetch_add(&c->count, 1, __ATOMIC_SEQ_CST);
    return c->id;
}

NATIVE uint64_t native_array_counter(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)d, (void)e, (void)s;
    uint32_t key = 0;
    return native_counter(&bench_nmaps[BENCH_MAP_ARRAY], &key);
}

NATIVE uint64_t native_hash_counter(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)s;
    if (d + 34 > e)
        return 0;
    uint32_t key = ld32(d + 26);
    return native_counter(&bench_nmaps[BENCH_MAP_HASH], &key);
}

NATIVE uint64_t native_lpm(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)s;
    if (d + 34 > e)
        return 0;
    uint32_t key[2] = {32, ld32(d + 30)};
    const uint32_t *v = nmap_lookup(&bench_nmaps[BENCH_MAP_LPM], key);
    return v ? *v : 0;
}

NATIVE uint64_t native_csum(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)s;
    if (d + CSUM_OFF + CSUM_LEN > e)
        return 0;
    uint64_t c = nmap_csum_diff(NULL, 0, (const uint32_t *)(const void *)(d + CSUM_OFF),
                                CSUM_LEN, 0);
    c = (c & 0xffff) + (c >> 16);
    c = (c & 0xffff) + (c >> 16);
    return c;
}

/* Classic filters: the same decisions libpcap's code makes for the expressions in rows.c
 * (IPv4 and, where the expression allows it, IPv6), returning the snap length on a match. */

/* "tcp dst port 80" */
NATIVE uint64_t native_cf_tcp_dst80(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)s;
    size_t len = (size_t)(e - d);
    if (len < 14)
        return 0;
    uint16_t type = be16(d + 12);
    if (type == 0x86dd) {
        if (len < 58 || d[20] != 6)
            return 0;
        return be16(d + 56) == 80 ? CLASSIC_SNAPLEN : 0;
    }
    if (type != 0x0800 || len < 24 || d[23] != 6 || (be16(d + 20) & 0x1fff))
        return 0;
    size_t x = (size_t)(d[14] & 15u) * 4;
    if (len < 14 + x + 4)
        return 0;
    return be16(d + 14 + x + 2) == 80 ? CLASSIC_SNAPLEN : 0;
}

/* "udp port 53 or udp port 123" */
NATIVE uint64_t native_cf_udp_dns_ntp(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)s;
    size_t len = (size_t)(e - d);
    if (len < 14)
        return 0;
    uint16_t type = be16(d + 12);
    const uint8_t *l4;
    if (type == 0x86dd) {
        if (len < 58 || d[20] != 17)
            return 0;
        l4 = d + 54;
    } else {
        if (type != 0x0800 || len < 24 || d[23] != 17 || (be16(d + 20) & 0x1fff))
            return 0;
        size_t x = (size_t)(d[14] & 15u) * 4;
        if (len < 14 + x + 4)
            return 0;
        l4 = d + 14 + x;
    }
    uint16_t sp = be16(l4), dp = be16(l4 + 2);
    return (sp == 53 || dp == 53 || sp == 123 || dp == 123) ? CLASSIC_SNAPLEN : 0;
}

/* "src net 10.0.0.0/8 and dst host 192.168.1.20 and tcp[tcpflags] & tcp-syn != 0" */
NATIVE uint64_t native_cf_net_host_syn(const uint8_t *d, const uint8_t *e, uint64_t s)
{
    (void)s;
    size_t len = (size_t)(e - d);
    if (len < 34 || be16(d + 12) != 0x0800 || d[26] != 10)
        return 0;
    if (d[30] != 192 || d[31] != 168 || d[32] != 1 || d[33] != 20)
        return 0;
    if (d[23] != 6 || (be16(d + 20) & 0x1fff))
        return 0;
    size_t x = (size_t)(d[14] & 15u) * 4;
    if (len < 14 + x + 14)
        return 0;
    return (d[14 + x + 13] & 0x02) ? CLASSIC_SNAPLEN : 0;
}
