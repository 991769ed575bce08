/* pktgen.c - deterministic packet sets for the classic BPF tests (see pktgen.h). */
#include <string.h>
#include "pktgen.h"

uint32_t pktgen_rand(uint32_t *s)
{
    uint32_t x = *s ? *s : 1;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

struct builder {
    uint8_t b[256];
    size_t n;
};

static void put(struct builder *b, const void *p, size_t l)
{
    if (b->n + l > sizeof b->b)
        l = sizeof b->b - b->n;
    memcpy(b->b + b->n, p, l);
    b->n += l;
}
static void put8(struct builder *b, unsigned v) { uint8_t x = (uint8_t)v; put(b, &x, 1); }
static void put16(struct builder *b, unsigned v) { put8(b, v >> 8); put8(b, v); }
static void put32(struct builder *b, uint32_t v) { put16(b, v >> 16); put16(b, v & 0xffff); }

static void l4(struct builder *b, int proto, uint32_t *rs)
{
    static const unsigned ports[] = {22, 80, 53, 443, 8080, 1024, 65535, 0, 123, 25};
    unsigned sp = ports[pktgen_rand(rs) % 10], dp = ports[pktgen_rand(rs) % 10];
    if (proto == 6) {
        put16(b, sp); put16(b, dp); put32(b, pktgen_rand(rs)); put32(b, pktgen_rand(rs));
        unsigned flags = pktgen_rand(rs) & 0x3f;
        put8(b, 0x50 + (pktgen_rand(rs) % 4 == 0 ? 0x30 : 0)); put8(b, flags);
        put16(b, 1024); put16(b, 0); put16(b, 0);
        if (pktgen_rand(rs) & 1) { put32(b, 0x01010101); put32(b, 0x01010101); put32(b, 0x01010101); }
        for (unsigned i = pktgen_rand(rs) % 12; i; i--) put8(b, pktgen_rand(rs));
    } else if (proto == 17) {
        put16(b, sp); put16(b, dp); put16(b, 8 + 4); put16(b, 0); put32(b, pktgen_rand(rs));
    } else if (proto == 1 || proto == 58) {
        put8(b, pktgen_rand(rs) % 2 ? 8 : (proto == 58 ? 128 : 0)); put8(b, 0); put16(b, 0);
        put32(b, pktgen_rand(rs));
    } else {
        for (unsigned i = pktgen_rand(rs) % 16; i; i--) put8(b, pktgen_rand(rs));
    }
}

static void ipv4(struct builder *b, uint32_t *rs)
{
    static const int protos[] = {6, 17, 1, 2, 47, 132};
    int proto = protos[pktgen_rand(rs) % 6];
    unsigned ihl = pktgen_rand(rs) % 5 == 0 ? 6 : 5;
    unsigned frag = 0;
    switch (pktgen_rand(rs) % 6) {
    case 0: frag = 0x2000; break;            /* MF, first fragment */
    case 1: frag = 0x2000 | 0x00b9; break;   /* middle fragment */
    case 2: frag = 0x0040; break;            /* last fragment */
    case 3: frag = 0x4000; break;            /* DF */
    }
    static const uint32_t addrs[] = {0x0a000001, 0xc0a80101, 0x7f000001, 0x08080808,
                                     0xe0000001, 0xffffffff, 0x0a0000ff};
    put8(b, 0x40 | ihl); put8(b, 0); put16(b, 60); put16(b, pktgen_rand(rs) & 0xffff);
    put16(b, frag); put8(b, 64); put8(b, (unsigned)proto); put16(b, 0);
    put32(b, addrs[pktgen_rand(rs) % 7]); put32(b, addrs[pktgen_rand(rs) % 7]);
    if (ihl == 6) put32(b, 0x01010101);
    l4(b, proto, rs);
}

static void ipv6(struct builder *b, uint32_t *rs)
{
    static const int protos[] = {6, 17, 58, 0, 44, 43};
    int nh = protos[pktgen_rand(rs) % 6];
    put32(b, 0x60000000); put16(b, 40); put8(b, (unsigned)nh); put8(b, 64);
    for (int i = 0; i < 2; i++) {
        if (pktgen_rand(rs) & 1) { put32(b, 0xfe800000); put32(b, 0); put32(b, 0); put32(b, pktgen_rand(rs) % 3); }
        else { put32(b, 0x20010db8); put32(b, 0); put32(b, 0); put32(b, 1 + i); }
    }
    if (nh == 0 || nh == 43 || nh == 44) { /* one extension header, then TCP/UDP */
        int next = pktgen_rand(rs) & 1 ? 6 : 17;
        put8(b, (unsigned)next); put8(b, 0); put16(b, nh == 44 ? (pktgen_rand(rs) & 1 ? 0x0001 : 0x0008) : 0);
        put32(b, 0);
        nh = next;
    }
    l4(b, nh, rs);
}

static void l3(struct builder *b, unsigned *ethertype, uint32_t *rs)
{
    switch (pktgen_rand(rs) % 5) {
    case 0: case 1: *ethertype = 0x0800; ipv4(b, rs); break;
    case 2: case 3: *ethertype = 0x86dd; ipv6(b, rs); break;
    default: /* ARP */
        *ethertype = 0x0806;
        put16(b, 1); put16(b, 0x0800); put8(b, 6); put8(b, 4); put16(b, 1 + pktgen_rand(rs) % 2);
        for (int i = 0; i < 20; i++) put8(b, pktgen_rand(rs));
        break;
    }
}

static void one(int linktype, struct builder *b, uint32_t *rs)
{
    struct builder inner = {{0}, 0};
    unsigned et;
    l3(&inner, &et, rs);
    b->n = 0;
    if (linktype == 1) {
        static const uint8_t macs[4][6] = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
                                           {0x01, 0x00, 0x5e, 0, 0, 1},
                                           {0x02, 0, 0, 0, 0, 1},
                                           {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}};
        put(b, macs[pktgen_rand(rs) % 4], 6);
        put(b, macs[2 + pktgen_rand(rs) % 2], 6);
        unsigned tags = pktgen_rand(rs) % 4 == 0 ? 1 + pktgen_rand(rs) % 2 : 0;
        for (unsigned t = 0; t < tags; t++) {
            put16(b, t == 0 && tags == 2 ? 0x88a8 : 0x8100);
            put16(b, pktgen_rand(rs) % 3 == 0 ? 100 : pktgen_rand(rs) & 0xfff);
        }
        put16(b, et);
    } else if (linktype == 113) {
        put16(b, pktgen_rand(rs) % 5); put16(b, 1); put16(b, 6);
        put32(b, 0x02000000); put32(b, 0x00010000); put16(b, et);
    }
    put(b, inner.b, inner.n);
}

size_t pktgen_all(int linktype, struct tpkt *out, size_t max, uint32_t seed)
{
    uint32_t rs = seed;
    size_t n = 0;
    struct builder b;
    while (n < max) {
        one(linktype, &b, &rs);
        unsigned mode = pktgen_rand(&rs) % 8;
        struct tpkt *p = &out[n++];
        memcpy(p->data, b.b, b.n);
        p->caplen = p->wirelen = (uint32_t)b.n;
        if (mode == 0) { /* truncated capture */
            p->caplen = pktgen_rand(&rs) % (b.n + 1);
        } else if (mode == 1) { /* a few random byte flips */
            for (int i = 0; i < 3; i++)
                p->data[pktgen_rand(&rs) % b.n] = (uint8_t)pktgen_rand(&rs);
        } else if (mode == 2) { /* random bytes */
            p->caplen = p->wirelen = pktgen_rand(&rs) % 120;
            for (uint32_t i = 0; i < p->caplen; i++)
                p->data[i] = (uint8_t)pktgen_rand(&rs);
        } else if (mode == 3) {
            p->wirelen = p->caplen + pktgen_rand(&rs) % 1000;
        }
    }
    return n;
}
