/* helpers/csum.c - bpf_csum_diff as Linux 6.18 computes it: the ones'-complement sum of `to`
 * (plus the seed) minus that of `from`, folded to 16 bits (not inverted).  Any sizes are
 * accepted; odd lengths add their last byte as the low byte, like csum_partial on x86. */
#include "helpers/helpers.h"

#include <errno.h>
#include <string.h>

/* csum_partial: 16-bit little-endian words with end-around carry, as a 32-bit partial sum */
static uint32_t csum_partial32(const uint8_t *p, uint32_t len, uint32_t seed)
{
    uint64_t sum = seed;
    uint32_t i = 0;
    for (; i + 4 <= len; i += 4) {
        uint32_t w;
        memcpy(&w, p + i, 4);
        sum += w;
    }
    for (; i + 2 <= len; i += 2)
        sum += (uint32_t)(p[i] | p[i + 1] << 8);
    if (i < len)
        sum += p[i];
    while (sum >> 32)
        sum = (sum & 0xffffffffu) + (sum >> 32);
    return (uint32_t)sum;
}

static uint32_t csum_fold16(uint32_t sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint64_t helper_csum_diff(uint64_t from, uint64_t from_size, uint64_t to, uint64_t to_size,
                          uint64_t seed, struct bpfvm_exec *ex)
{
    uint32_t fs = (uint32_t)from_size, ts = (uint32_t)to_size;
    if ((fs && !helpers_mem_ok(ex, from, fs, false)) || (ts && !helpers_mem_ok(ex, to, ts, false)))
        return (uint64_t)-EFAULT;
    uint32_t t = csum_partial32((const uint8_t *)(uintptr_t)to, ts, (uint32_t)seed);
    uint32_t f = csum_partial32((const uint8_t *)(uintptr_t)from, fs, 0);
    uint64_t d = (uint64_t)t + (uint32_t)~f; /* csum_sub: add the complement, end-around carry */
    d = (d & 0xffffffffu) + (d >> 32);
    return csum_fold16((uint32_t)d);
}
