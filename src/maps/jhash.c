/* maps/jhash.c - lookup3 (Bob Jenkins, 2006, public domain), the kernel's jhash: three
 * 32-bit lanes seeded with 0xdeadbeef + length + initval, a reversible mix per 12 bytes and a
 * final avalanche over the last 1..12 bytes (none at all for an empty input). */
#include "maps/jhash.h"

#include <string.h>

#define JHASH_INITVAL 0xdeadbeefu

static inline uint32_t rol32(uint32_t x, unsigned k) { return (x << k) | (x >> (32 - k)); }

struct lanes { uint32_t a, b, c; };

static inline void jh_mix(struct lanes *s)
{
    s->a -= s->c; s->a ^= rol32(s->c, 4);  s->c += s->b;
    s->b -= s->a; s->b ^= rol32(s->a, 6);  s->a += s->c;
    s->c -= s->b; s->c ^= rol32(s->b, 8);  s->b += s->a;
    s->a -= s->c; s->a ^= rol32(s->c, 16); s->c += s->b;
    s->b -= s->a; s->b ^= rol32(s->a, 19); s->a += s->c;
    s->c -= s->b; s->c ^= rol32(s->b, 4);  s->b += s->a;
}

static inline uint32_t jh_final(struct lanes *s)
{
    s->c ^= s->b; s->c -= rol32(s->b, 14);
    s->a ^= s->c; s->a -= rol32(s->c, 11);
    s->b ^= s->a; s->b -= rol32(s->a, 25);
    s->c ^= s->b; s->c -= rol32(s->b, 16);
    s->a ^= s->c; s->a -= rol32(s->c, 4);
    s->b ^= s->a; s->b -= rol32(s->a, 14);
    s->c ^= s->b; s->c -= rol32(s->b, 24);
    return s->c;
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t map_jhash(const void *data, size_t len, uint32_t initval)
{
    const uint8_t *p = data;
    uint32_t init = JHASH_INITVAL + (uint32_t)len + initval;
    struct lanes s = {init, init, init};
    while (len > 12) {
        s.a += load_le32(p);
        s.b += load_le32(p + 4);
        s.c += load_le32(p + 8);
        jh_mix(&s);
        p += 12;
        len -= 12;
    }
    if (!len)
        return s.c;
    uint8_t tail[12] = {0}; /* the last 1..12 bytes, zero-padded: the same sums as byte adds */
    memcpy(tail, p, len);
    s.a += load_le32(tail);
    s.b += load_le32(tail + 4);
    s.c += load_le32(tail + 8);
    return jh_final(&s);
}
