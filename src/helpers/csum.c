/* helpers/csum.c - bpf_csum_diff as Linux 6.18 computes it: the ones'-complement sum of `to`
 * (plus the seed) minus that of `from`, folded to 16 bits (not inverted).  Any sizes are
 * accepted; odd lengths add their last byte as the low byte, like csum_partial on x86. */
#include "helpers/helpers.h"

#include <errno.h>
#include <string.h>

/* csum_partial: 16-bit little-endian words with end-around carry, as a 32-bit partial sum.
 * The 8-byte words are added with a carry count (add/adc); since 2^32 = 1 modulo 2^32 - 1,
 * folding that sum gives what adding the 32-bit words does (0 only when they are all 0). */
static inline __attribute__((always_inline)) uint32_t csum_partial32(const uint8_t *p,
                                                                     size_t len, uint32_t seed)
{
    uint64_t sum = seed, carry = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        sum += w;
        carry += sum < w;
    }
    uint64_t acc = (sum & 0xffffffffu) + (sum >> 32) + carry;
    if (i + 4 <= len) {
        uint32_t w;
        memcpy(&w, p + i, 4);
        acc += w;
        i += 4;
    }
    if (i + 2 <= len) {
        acc += (uint32_t)(p[i] | p[i + 1] << 8);
        i += 2;
    }
    if (i < len)
        acc += p[i];
    while (acc >> 32)
        acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}

static uint32_t csum_fold16(uint32_t sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

/* Checked runs: both buffers must be readable (kept out of the fast path). */
__attribute__((noinline, cold)) static bool csum_args_ok(struct bpfvm_exec *ex, uint64_t from,
                                                        uint32_t fs, uint64_t to, uint32_t ts)
{
    return helpers_mem_ok(ex, from, fs, false) && helpers_mem_ok(ex, to, ts, false);
}

uint64_t helper_csum_diff(uint64_t from, uint64_t from_size, uint64_t to, uint64_t to_size,
                          uint64_t seed, struct bpfvm_exec *ex)
{
    uint32_t fs = (uint32_t)from_size, ts = (uint32_t)to_size;
    if (ex->checked && !csum_args_ok(ex, from, fs, to, ts))
        return (uint64_t)-EFAULT;
    uint32_t t = csum_partial32((const uint8_t *)(uintptr_t)to, ts, (uint32_t)seed);
    uint32_t f = fs ? csum_partial32((const uint8_t *)(uintptr_t)from, fs, 0) : 0;
    uint64_t d = (uint64_t)t + (uint32_t)~f; /* csum_sub: add the complement, end-around carry */
    d = (d & 0xffffffffu) + (d >> 32);
    return csum_fold16((uint32_t)d);
}
