/* kcompare.c - BPF C programs (progs/, compiled by clang in the build) run in the running
 * kernel (libbpf, BPF_PROG_TEST_RUN) and in bpfvm on the same packets: the return value,
 * data_out, the contents of every map after every run, ring buffer records and perf samples
 * must be the same.  Helpers whose values cannot be equal (clocks, prandom) are checked for
 * properties.  Known bpfvm divergences are expected failures (XFAIL, listed in
 * docs/kcompare.md); one that starts passing (XPASS) fails the test so it gets flipped.
 * Usage: kcompare OBJDIR [case-substring]; exit 77 when the kernel refuses bpf(). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kc_checks.h"
#include "kc_side.h"

int kc_cpu;

/* ---- packets: Ethernet + IPv4 (10.0.0.1 -> 10.1.2.3) + UDP + 32-byte payload ---- */
#define KC_PKT_LEN (42 + 32)

static void kc_packet(uint8_t *pkt, const uint8_t payload[32])
{
    static const uint8_t hdr[42] = {
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,           /* eth */
        0x45, 0, 0, 60, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 1, 2, 3, /* ip */
        0x04, 0xd2, 0x16, 0x2e, 0, 40, 0, 0};                                /* udp */
    memcpy(pkt, hdr, 42);
    memcpy(pkt + 42, payload, 32);
    uint32_t sum = 0;
    for (int i = 14; i < 34; i += 2)
        sum += (uint32_t)pkt[i] << 8 | pkt[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    pkt[24] = (uint8_t)(~sum >> 8);
    pkt[25] = (uint8_t)~sum;
}

static uint64_t kc_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* ---- payload fix-ups for programs that need structured inputs ---- */
static void fix_lpm(uint8_t *p, int run, uint64_t *rng)
{
    (void)run;
    for (int i = 0; i < 3; i++) {
        uint64_t r = kc_rand(rng);
        if (r & 1) { /* a prefix of the packet's destination 10.1.2.3 */
            p[5 * i + 1] = 10;
            p[5 * i + 2] = (r & 2) ? 1 : p[5 * i + 2];
            p[5 * i + 3] = (r & 4) ? 2 : p[5 * i + 3];
            p[5 * i + 4] = (r & 8) ? 3 : p[5 * i + 4];
        }
        p[5 * i] = (uint8_t)((r >> 8) % 40);
    }
}

static void fix_strtol(uint8_t *p, int run, uint64_t *rng)
{
    static const char *const strs[] = {
        "  -123abc", "0x1fZ", "0777", "99999999999999999", "-0x80", "+42", "abc", "",
        "18446744073709551615", "-9223372036854775808", "  0X10", "\t\n 7", "-", "0x", "077 8",
        "0xffffffffffffffff", "-1", "00000000000000012", "1234567890123456", "+-3", "0b101",
    };
    (void)rng;
    const char *s = strs[run % (int)(sizeof(strs) / sizeof(strs[0]))];
    size_t n = strlen(s);
    memset(p, 0, 16);
    memcpy(p, s, n > 16 ? 16 : n);
}

static void fix_small_loop(uint8_t *p, int run, uint64_t *rng)
{
    (void)rng;
    p[1] = (uint8_t)(run * 7 % 70); /* stop index: inside and outside the loop count */
}

/* ---- packet helpers (progs/packet.bpf.c): rows of parameters, one row per run ---- */
static void kc_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* payload[4i..4i+3] = row[i] for the first ncol words of row run % nrows */
static void kc_rows(uint8_t *p, int run, const uint32_t *rows, int nrows, int ncol)
{
    const uint32_t *r = rows + (size_t)(run % nrows) * (size_t)ncol;
    for (int i = 0; i < ncol; i++)
        kc_put32(p + 4 * i, r[i]);
}
#define KC_ROWS_FIX(name, ncol, ...)                                                           \
    static void name(uint8_t *p, int run, uint64_t *rng)                                       \
    {                                                                                          \
        static const uint32_t rows[][ncol] = {__VA_ARGS__};                                    \
        (void)rng;                                                                             \
        kc_rows(p, run, &rows[0][0], (int)(sizeof(rows) / sizeof(rows[0])), ncol);             \
    }
#define N(x) ((uint32_t)(int32_t)(x))

/* deltas: the 14-byte minimum, the 256 - 40 bytes of headroom, INT_MIN/INT_MAX */
KC_ROWS_FIX(fix_xdp_head, 2, {N(-14), 0}, {N(-216), 0}, {N(-217), 0}, {N(-216), N(-1)}, {60, 0},
            {61, 0}, {N(-100), 100}, {0, 0}, {30, N(-246)}, {30, N(-247)}, {1, N(-1)},
            {0x80000000u, 0}, {0x7fffffff, 0}, {N(-256), 0}, {59, 2})
/* meta, head, meta: alignment, the 255-byte limit, the frame header, data */
KC_ROWS_FIX(fix_xdp_meta, 3, {N(-4), 0, 0}, {N(-8), N(-10), 0}, {N(-32), 0, N(-4)},
            {N(-216), 0, 0}, {N(-220), 0, 0}, {0, 60, N(-252)}, {0, 60, N(-256)},
            {N(-3), 0, 0}, {4, 0, 0}, {N(-8), N(-208), 0}, {N(-8), N(-209), 0}, {N(-8), 50, 0},
            {N(-4), 60, 4}, {N(-36), 0, 0}, {N(-40), N(-100), 0}, {N(-8), 0, 8},
            {0x80000000u, 0, 0x7fffffff})
/* tail, head, tail: the page's end (4096 - 320), the 14-byte minimum, zeroed growth */
KC_ROWS_FIX(fix_xdp_tail, 3, {1, 0, 0}, {100, 0, 0}, {3446, 0, 0}, {3447, 0, 0}, {N(-60), 0, 0},
            {N(-61), 0, 0}, {0, N(-200), 3446}, {0, 60, N(-1)}, {0x80000000u, 0, 0},
            {0x7fffffff, 0, 0}, {N(-50), 0, 50}, {N(-10), N(-100), 10}, {3000, 40, 446},
            {0, 0, 0}, {0, 0, 3447})
KC_ROWS_FIX(fix_xdp_bytes, 2, {0, 66}, {66, 0}, {67, 70}, {73, 74}, {74, 67}, {0xffff, 0},
            {0x10000, 0x10000}, {0xffffffff, 0xffff}, {10, 20})
KC_ROWS_FIX(fix_xdp_redirect, 2, {5, 0}, {1, 1}, {0, 2}, {7, 0x80})
/* offset, relative offset, header (0 MAC, 1 network, 2 neither) */
KC_ROWS_FIX(fix_tc_load, 3, {0, 0, 0}, {66, 0, 1}, {67, 52, 0}, {73, 53, 1},
            {0x7fffffff, 66, 0}, {0x80000000u, 67, 1}, {0xffff, 0xffff, 0},
            {0x10000, 0x10000, 1}, {10, 10, 2}, {0, 60, 0}, {0, 61, 0}, {0, 56, 1}, {0, 57, 1})
KC_ROWS_FIX(fix_sock_load, 3, {0, 0, 0}, {52, 0, 1}, {53, 66, 0}, {59, 67, 1},
            {0x7fffffff, 52, 1}, {0xffff, 53, 1}, {10, 10, 2}, {0, 56, 1}, {0, 57, 1})
/* offset, flags */
KC_ROWS_FIX(fix_tc_store, 2, {0, 0}, {70, 0}, {71, 0}, {74, 0}, {0x7fffffff, 0}, {0x80000000u, 0},
            {42, 1}, {42, 2}, {42, 3}, {42, 4}, {12, 0x10}, {0, 0xffffffff})
KC_ROWS_FIX(fix_tc_pull, 1, {0}, {1}, {74}, {75}, {0xffffffff}, {14})
KC_ROWS_FIX(fix_tc_redirect, 2, {3, 0}, {3, 1}, {3, 2}, {0, 0x10}, {1, 0xffffffff})
/* redirect.bpf.c redir_map: map (0 dev, 1 devh, 2 cpus, 3 xsks), key low/high, flags
 * low/high; setup_redirect fills dev 0 and 2, devh 3 and 100, cpus 0 */
KC_ROWS_FIX(fix_redir_map, 5, {0, 0, 0, 0, 0}, {0, 1, 0, 2, 0}, {0, 1, 0, 1, 0}, {0, 1, 0, 3, 0},
            {0, 0, 0, 3, 0}, {0, 1, 0, 8, 0}, {0, 1, 0, 16, 0}, {0, 0, 0, 16, 0}, {0, 2, 0, 4, 0},
            {0, 0, 0, 0x20, 0}, {0, 0, 1, 2, 0}, {0, 8, 0, 2, 0}, {0, 0, 0, 0, 1},
            {0, 0xffffffff, 0, 2, 0}, {0, 5, 0, 9, 0}, {0, 5, 0, 0xffffffff, 0xffffffff},
            {1, 3, 0, 0, 0}, {1, 100, 0, 1, 0}, {1, 7, 0, 2, 0}, {1, 9, 0, 1, 0}, {1, 7, 0, 8, 0},
            {1, 7, 0, 24, 0}, {1, 3, 0, 4, 0}, {1, 3, 1, 0, 0}, {1, 7, 0, 19, 0},
            {2, 0, 0, 0, 0}, {2, 1, 0, 2, 0}, {2, 0, 0, 8, 0}, {2, 3, 0, 3, 0}, {2, 0, 0, 16, 0},
            {2, 4, 0, 1, 0}, {3, 0, 0, 2, 0}, {3, 0, 0, 0, 0}, {3, 0, 0, 3, 0}, {3, 0, 0, 8, 0},
            {3, 9, 0, 1, 0}, {3, 1, 0, 4, 0})

static void fix_redir_lookup(uint8_t *p, int run, uint64_t *rng)
{
    static const uint8_t hkeys[] = {3, 100, 7, 9, 0};
    (void)rng;
    p[0] = (uint8_t)(run % 10);
    p[1] = hkeys[run % 5];
    p[2] = (uint8_t)(run % 5);
}

/* skb resize helpers (progs/skb_resize.bpf.c).  change_tail: length, flags, second length */
KC_ROWS_FIX(fix_rs_tail, 3, {100, 0, 100}, {74, 0, 74}, {14, 0, 14}, {13, 0, 74}, {14, 0, 200},
            {0, 0, 74}, {16064, 0, 16064}, {16065, 0, 74}, {80, 1, 74}, {80, 0x80000000u, 74},
            {0xffffffff, 0, 74}, {40, 0, 3000}, {1500, 0, 60}, {101, 0, 60})
/* change_head: room, flags, second room (16064 - 74 = 15990 at most) */
KC_ROWS_FIX(fix_rs_head, 3, {0, 0, 0}, {1, 0, 0}, {64, 0, 0}, {65, 0, 0}, {200, 0, 300},
            {15990, 0, 0}, {15991, 0, 0}, {15000, 0, 990}, {15000, 0, 991}, {4, 1, 0},
            {4, 0xffffffff, 4}, {0xffffffff, 0, 0}, {0x80000000u, 0, 0}, {10, 0, 10})
/* adjust_room twice: diff, mode, flags low and high word */
#define RS_L2(n) ((uint32_t)(n) << 24) /* BPF_F_ADJ_ROOM_ENCAP_L2(n), high word */
KC_ROWS_FIX(fix_rs_room, 8, {8, 0, 0, 0}, {N(-8), 0, 0, 0}, {8, 1, 0, 0}, {N(-8), 1, 0, 0},
            {N(-40), 0, 0, 0}, {N(-41), 0, 0, 0}, {N(-40), 1, 0, 0}, {N(-41), 1, 0, 0},
            {N(-60), 0, 0, 0}, {4095, 0, 0, 0}, {4096, 0, 0, 0}, {N(-4096), 1, 0, 0},
            {0x80000000u, 0, 0, 0}, {8, 2, 0, 0}, {8, 0xffffffff, 0, 0}, {8, 0, 0x1000, 0},
            {8, 0, 1, 0}, {8, 0, 2, 0, 8, 0, 2, 0}, {8, 0, 4, 0}, {8, 0, 6, 0}, {8, 0, 24, 0},
            {8, 0, 8, 0}, {8, 0, 16, 0}, {20, 0, 0x42, RS_L2(14)}, {20, 0, 0x42, RS_L2(13)},
            {40, 1, 2, RS_L2(40)}, {40, 1, 2, RS_L2(41)}, {20, 0, 0, RS_L2(21)}, {8, 0, 32, 0},
            {8, 0, 64, 0}, {8, 0, 0x80, 0}, {N(-8), 0, 0x80, 0}, {N(-8), 0, 0x100, 0},
            {N(-8), 0, 0x180, 0}, {N(-8), 0, 2, 0}, {N(-8), 0, 1, 0}, {N(-8), 0, 32, 0},
            {0, 0, 0, 0}, {0, 0, 0x80, 0}, {8, 0, 2, 0, N(-8), 0, 0x80, 0},
            {8, 0, 4, 0, N(-20), 0, 0, 0}, {8, 0, 4, 0, 8, 0, 2, 0}, {8, 1, 6, 0, 8, 1, 4, 0},
            {N(-20), 0, 0x100, 0, N(-1), 0, 0, 0}, {N(-20), 0, 0x100, 0, 8, 0, 2, 0},
            {4095, 0, 0, 0, 4095, 1, 0, 0}, {8, 0, 0x200, 0}, {8, 0, 0, 0x00800000},
            {8, 0, 0, RS_L2(1)}, {0x7fffffff, 1, 0, 0})
/* change_head, change_tail, adjust_room (diff, mode, flags), change_tail (0: none) */
KC_ROWS_FIX(fix_rs_mix, 7, {10, 84, N(-40), 0, 0, 0, 0}, {10, 84, 8, 1, 0, 0, 0},
            {10, 84, N(-41), 1, 0, 0, 0}, {0, 20, 8, 0, 0, 0, 0}, {0, 20, N(-8), 0, 0, 0, 0},
            {0, 20, 8, 1, 0, 0, 0}, {0, 14, 8, 1, 0, 0, 0}, {10, 23, 1, 1, 0, 0, 0},
            {10, 24, 1, 1, 0, 0, 0}, {10, 30, N(-1), 0, 0, 0, 0}, {10, 45, N(-1), 0, 0, 0, 0},
            {10, 24, N(-1), 1, 0, 0, 0}, {100, 174, 8, 0, 2, 0, 100},
            {300, 374, 8, 1, 0, 0, 16064}, {0, 74, 0, 0, 0, 0, 16064}, {20, 94, N(-20), 1, 0, 0, 0},
            {16000, 16064, 8, 0, 0, 0, 0}, {16000, 16056, 8, 0, 0, 0, 0},
            /* the kernel's transport header after a push past its headroom, encapsulation */
            {0, 74, 66, 1, 0, 0, 10}, {0, 74, 65, 1, 0, 0, 10}, {30, 104, 36, 1, 0, 0, 10},
            {30, 104, 35, 1, 0, 0, 10}, {0, 74, 8, 0, 0xa, 0, 20}, {0, 74, 8, 0, 0xa, 0, 40},
            {0, 74, 8, 0, 2, 0, 40}, {0, 74, 8, 0, 0x14, 0, 40}, {66, 140, 0, 0, 0, 0, 1},
            {66, 140, 8, 1, 0, 0, 8}, {66, 140, 8, 1, 0, 0, 9}, {66, 140, N(-8), 1, 0, 0, 100},
            {66, 1, 0, 0, 0, 0, 0}, {65, 1, 0, 0, 0, 0, 0}, {67, 141, N(-1), 1, 0, 0, 1},
            {67, 141, N(-2), 1, 0, 0, 80}, {67, 141, N(-2), 1, 0, 0, 81})

/* l3/l4_csum_replace: offset, l3 flags, l4 flags, the field's value first (0x10000: keep it),
 * from/to (0 random, 1 from = 0, 2 to = from, 3 from = the field's value, to = 0) */
static void fix_tc_csum(uint8_t *p, int run, uint64_t *rng)
{
    static const uint32_t rows[][5] = {
        {24, 2, 2, 0x10000, 0},     {24, 4, 4, 0x10000, 0},      {24, 0, 0, 0x10000, 1},
        {24, 0, 0, 0x10000, 0},     {40, 2, 0x22, 0x10000, 0},   {40, 4, 0x64, 0x10000, 0},
        {40, 4, 0x14, 0x10000, 0},  {40, 4, 0x84, 0x10000, 0},   {40, 4, 0x24, 0xffff, 0},
        {40, 2, 0x22, 0x0001, 0},   {24, 1, 3, 0x10000, 0},      {24, 0x10, 0x100, 0x10000, 0},
        {25, 2, 2, 0x10000, 0},     {72, 2, 2, 0x10000, 0},      {74, 2, 2, 0x10000, 0},
        {0x10000, 2, 2, 0x10000, 0}, {24, 2, 2, 0x0000, 2},      {24, 4, 0x24, 0xfffe, 2},
        {24, 2, 0x22, 0xffff, 3},   {40, 4, 0x24, 0x0000, 3},    {24, 2, 2, 0xffff, 2},
        {24, 4, 4, 0x0000, 2},      {40, 0, 0x20, 0x1234, 1},    {40, 0, 0x60, 0x0000, 1},
    };
    const uint32_t *r = rows[run % (int)(sizeof(rows) / sizeof(rows[0]))];
    uint32_t from = (uint32_t)kc_rand(rng), to = (uint32_t)kc_rand(rng);
    if (r[4] == 1)
        from = 0;
    else if (r[4] == 2)
        to = from;
    else if (r[4] == 3)
        from = r[3] & 0xffff, to = 0;
    if (r[2] & 2) { /* 16-bit fields: keep the values within 16 bits sometimes */
        if (run & 1)
            from &= 0xffff, to &= 0xffff;
    }
    kc_put32(p, r[0]);
    kc_put32(p + 4, from);
    kc_put32(p + 8, to);
    p[12] = (uint8_t)r[1];
    p[13] = (uint8_t)r[2];
    p[14] = (uint8_t)(r[2] >> 8);
    p[16] = (uint8_t)(r[3] >> 8); /* network order */
    p[17] = (uint8_t)r[3];
    p[18] = r[3] < 0x10000;
}

/* ctx_in: struct xdp_md with data 0 and data_end the packet's length; struct __sk_buff zero */
static uint32_t kc_ctx_xdp(uint8_t *c, int run)
{
    (void)run;
    kc_put32(c + 4, KC_PKT_LEN);
    return 24;
}
static uint32_t kc_ctx_skb(uint8_t *c, int run)
{
    (void)c, (void)run;
    return 192;
}
/* a GSO skb: gso_segs 3, gso_size 1400 */
static uint32_t kc_ctx_skb_gso(uint8_t *c, int run)
{
    (void)run;
    kc_put32(c + 164, 3);
    kc_put32(c + 176, 1400);
    return 192;
}

/* ---- host-side setup ---- */
static int setup_prog_array(const struct kc_side *s, struct kc_obj *o)
{
    static const char *const progs[] = {"tail_0", "tail_1", "tail_2", "tail_3"};
    for (uint32_t i = 0; i < 4; i++) {
        int rc = s->prog_array_set(o, "jt", i, progs[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* redirect.bpf.c: fill the redirect maps from the host; every bpf(2) return code (errors
 * included) goes to host_rc, which is compared like any map.  Interface 1 is lo. */
static int setup_redirect(const struct kc_side *s, struct kc_obj *o)
{
    struct kc_map dev, devh, cpus, xsks, hrc;
    if (s->map(o, "dev", &dev) || s->map(o, "devh", &devh) || s->map(o, "cpus", &cpus) ||
        s->map(o, "xsks", &xsks) || s->map(o, "host_rc", &hrc))
        return -ENOENT;
    int32_t res[32];
    uint32_t n = 0, k, v[2];
    int udp = socket(AF_INET, SOCK_DGRAM, 0), file = open("/dev/null", O_RDONLY);
#define RD_UPD(m, key, a, b, fl) (k = (key), v[0] = (a), v[1] = (b), res[n++] = m.ops->update(&m, &k, v, fl))
#define RD_DEL(m, key) (k = (key), res[n++] = m.ops->del(&m, &k))
    RD_UPD(dev, 0, 1, 0, 0);
    RD_UPD(dev, 2, 1, 0xffffffff, 2);   /* fd -1: no program */
    RD_UPD(dev, 3, 0x7fff0000, 0, 0);     /* no such interface: -EINVAL */
    RD_UPD(dev, 1, 1, 0, 1);          /* -EEXIST, every index exists */
    RD_UPD(dev, 8, 1, 0, 0);              /* -E2BIG */
    RD_UPD(dev, 5, 1, 0, 0);
    RD_UPD(dev, 5, 0, 0, 0);              /* ifindex 0: no entry */
    RD_UPD(dev, 4, 0, 7, 0);              /* program fd without ifindex: -EINVAL */
    RD_UPD(dev, 0, 1, 0, 4);                    /* BPF_F_LOCK: -EINVAL */
    RD_UPD(dev, 6, 1, 0, 0);
    RD_DEL(dev, 6);
    RD_DEL(dev, 6);                             /* 0 again */
    RD_DEL(dev, 9);                             /* -EINVAL */
    RD_UPD(devh, 3, 1, 0, 0);
    RD_UPD(devh, 100, 1, 0, 0);
    RD_UPD(devh, 7, 0, 0, 0);             /* -EINVAL */
    RD_UPD(devh, 3, 1, 0, 1);         /* -EEXIST */
    RD_UPD(devh, 9, 1, 0, 2);           /* inserts */
    RD_DEL(devh, 9);
    RD_DEL(devh, 9);                            /* -ENOENT */
    RD_UPD(cpus, 0, 192, 0, 0);
    RD_UPD(cpus, 1, 20000, 0, 0);         /* -EOVERFLOW */
    RD_UPD(cpus, 3, 192, 0, 0);           /* -ENODEV with fewer than 4 CPUs */
    RD_UPD(cpus, 2, 192, 0, 1);       /* -EEXIST */
    RD_UPD(cpus, 9, 192, 0, 0);           /* -E2BIG */
    RD_UPD(cpus, 1, 192, 99, 0);          /* a program fd that is none: -ENOMEM */
    RD_UPD(xsks, 0, (uint32_t)udp, 0, 0); /* not AF_XDP: -EOPNOTSUPP */
    RD_UPD(xsks, 0, (uint32_t)file, 0, 0); /* -ENOTSOCK */
    RD_UPD(xsks, 0, 0xffffffff, 0, 0);    /* -EBADF */
    RD_UPD(xsks, 9, (uint32_t)udp, 0, 0); /* -E2BIG */
    RD_DEL(xsks, 1);
    k = 0, res[n++] = xsks.ops->lookup(&xsks, &k, v); /* -EOPNOTSUPP */
#undef RD_UPD
#undef RD_DEL
    if (udp >= 0)
        close(udp);
    if (file >= 0)
        close(file);
    for (uint32_t i = 0; i < n; i++) {
        int rc = hrc.ops->update(&hrc, &i, &res[i], 0);
        if (rc)
            return rc;
    }
    return 0;
}

static int setup_mim(const struct kc_side *s, struct kc_obj *o)
{
    static const uint32_t a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
    int rc = s->inner_add(o, "outer_arr", 2, a);
    return rc ? rc : s->inner_add(o, "outer_hash", 7, b);
}

/* ---- cases ---- */
#define F_CLOCKS 1u   /* nd_time: property checks */
#define F_TASK 2u     /* task: values of this process */
#define F_TRACE 4u    /* trace_printk lines vs trace_pipe */
#define F_LOCKED 8u   /* host lookup with BPF_F_LOCK on locked_map */
#define F_JIFFIES 16u /* nd_time: jiffies64 of both sides */
#define F_LPM_RAW 32u /* LPM_TRIE keys compared with the bits past the prefix */
#define F_OUT_SMALL 64u /* data_size_out 100: longer packets give -ENOSPC on both sides */

static int kc_hz_unknown(void) { return access("/proc/timer_list", R_OK) != 0 && kc_kernel_hz != 250; }

/* Linux 6.12 started zeroing helpers' result arguments on failure (bpf_strtol & co). */
static int kc_kernel_before_6_12(void)
{
    struct utsname u;
    int major = 0, minor = 0;
    if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
        return 0;
    return major < 6 || (major == 6 && minor < 12);
}

struct kc_case {
    const char *obj, *prog;
    int runs;
    void (*fix)(uint8_t *payload, int run, uint64_t *rng);
    int (*setup)(const struct kc_side *s, struct kc_obj *o);
    unsigned flags;
    const char *xfail; /* a known bpfvm divergence: why */
    int (*xfail_if)(void); /* NULL: always expected; else only when this says so */
    /* NULL: no context; else it fills ctx_in for `run` and returns its size, and ctx_out is
     * compared too */
    uint32_t (*ctx)(uint8_t *ctx_in, int run);
};

static const struct kc_case kc_cases[] = {
    {"kv", "kv_array", 40, NULL, NULL, 0, NULL, NULL, NULL},
    {"kv", "kv_percpu_array", 40, NULL, NULL, 0, NULL, NULL, NULL},
    {"kv", "kv_hash", 40, NULL, NULL, 0, NULL, NULL, NULL},
    {"kv", "kv_hash_noprealloc", 40, NULL, NULL, 0, NULL, NULL, NULL},
    {"kv", "kv_percpu_hash", 40, NULL, NULL, 0, NULL, NULL, NULL},
    {"kv", "kv_lru_hash", 40, NULL, NULL, 0, NULL, NULL, NULL},
    {"kv", "kv_lru_percpu_hash", 40, NULL, NULL, 0, NULL, NULL, NULL},
    {"kv", "kv_hash_xdp", 20, NULL, NULL, 0, NULL, NULL, NULL},
    {"lpm", "lpm_trie", 40, fix_lpm, NULL, 0, NULL, NULL, NULL},
    {"lpm", "lpm_trie", 40, fix_lpm, NULL, F_LPM_RAW, NULL, NULL, NULL},
    {"queue_stack", "qs_queue", 30, NULL, NULL, 0, NULL, NULL, NULL},
    {"queue_stack", "qs_stack", 30, NULL, NULL, 0, NULL, NULL, NULL},
    {"queue_stack", "qs_pop_empty", 2, NULL, NULL, 0, NULL, NULL, NULL},
    {"core", "core_fields", 20, NULL, NULL, 0, NULL, NULL, NULL},
    {"bloom", "bloom_tiny_ops", 30, NULL, NULL, 0, NULL, NULL, NULL},
    {"bloom", "bloom_odd_ops", 30, NULL, NULL, 0, NULL, NULL, NULL},
    {"bloom", "bloom_default_xdp", 30, NULL, NULL, 0, NULL, NULL, NULL},
    {"ringbuf", "ringbuf_ops", 16, NULL, NULL, 0, NULL, NULL, NULL},
    {"perf", "perf_output", 16, NULL, NULL, 0, NULL, NULL, NULL},
    {"perf", "perf_output_xdp", 12, NULL, NULL, 0, NULL, NULL, NULL},
    {"perf", "perf_ctxlen", 4, NULL, NULL, 0, NULL, NULL, NULL},
    {"progarray", "tail_entry", 30, NULL, setup_prog_array, 0, NULL, NULL, NULL},
    {"mim", "mim_array", 24, NULL, setup_mim, 0, NULL, NULL, NULL},
    {"mim", "mim_hash", 24, NULL, setup_mim, 0, NULL, NULL, NULL},
    {"nondet", "nd_clocks", 6, NULL, NULL, F_CLOCKS, NULL, NULL, NULL},
    {"nondet", "nd_clocks", 2, NULL, NULL, F_JIFFIES,
     "bpf_jiffies64 could not learn the kernel's HZ (/proc/timer_list needs root) and assumed 250",
     kc_hz_unknown, NULL},
    {"nondet", "nd_current_task", 3, NULL, NULL, F_TASK, NULL, NULL, NULL},
    {"helpers", "fmt_printk", 6, NULL, NULL, F_TRACE, NULL, NULL, NULL},
    {"helpers", "fmt_snprintf", 20, NULL, NULL, 0, NULL, NULL, NULL},
    {"helpers", "loop_helper", 20, fix_small_loop, NULL, 0, NULL, NULL, NULL},
    {"helpers", "for_each_elem", 20, NULL, NULL, 0, NULL, NULL, NULL},
    {"helpers", "str_to_num", 21, fix_strtol, NULL, 0, NULL, NULL, NULL},
    {"helpers", "strtol_error_result", 1, NULL, NULL, 0,
     "bpfvm follows Linux >= 6.12, which sets *res to 0 before parsing; older kernels leave it",
     kc_kernel_before_6_12, NULL},
    {"helpers", "spin_lock_helper", 8, NULL, NULL, 0, NULL, NULL, NULL},
    {"helpers", "spin_lock_helper", 2, NULL, NULL, F_LOCKED, NULL, NULL, NULL},
    {"helpers", "csum_diff_helper", 20, NULL, NULL, 0, NULL, NULL, NULL},
    {"packet", "xdp_head", 15, fix_xdp_head, NULL, 0, NULL, NULL, kc_ctx_xdp},
    {"packet", "xdp_meta", 17, fix_xdp_meta, NULL, 0, NULL, NULL, kc_ctx_xdp},
    {"packet", "xdp_tail", 15, fix_xdp_tail, NULL, 0, NULL, NULL, kc_ctx_xdp},
    {"packet", "xdp_bytes", 9, fix_xdp_bytes, NULL, 0, NULL, NULL, kc_ctx_xdp},
    {"packet", "xdp_redirect", 4, fix_xdp_redirect, NULL, 0, NULL, NULL, NULL},
    {"packet", "tc_load", 13, fix_tc_load, NULL, 0, NULL, NULL, kc_ctx_skb},
    {"packet", "sock_load", 9, fix_sock_load, NULL, 0, NULL, NULL, kc_ctx_skb},
    {"packet", "tc_store", 12, fix_tc_store, NULL, 0, NULL, NULL, kc_ctx_skb},
    {"packet", "tc_csum", 48, fix_tc_csum, NULL, 0, NULL, NULL, kc_ctx_skb},
    {"packet", "tc_pull", 6, fix_tc_pull, NULL, 0, NULL, NULL, kc_ctx_skb},
    {"packet", "tc_redirect", 5, fix_tc_redirect, NULL, 0, NULL, NULL, NULL},
    {"redirect", "redir_map", 37, fix_redir_map, setup_redirect, 0, NULL, NULL, NULL},
    {"redirect", "redir_lookup", 20, fix_redir_lookup, setup_redirect, 0, NULL, NULL, NULL},
    {"redirect", "xsk_def_prog", 2, NULL, setup_redirect, 0, NULL, NULL, NULL},
    {"redirect", "xsk_def_prog_modern", 2, NULL, setup_redirect, 0, NULL, NULL, NULL},
    {"skb_resize", "rs_tail", 14, fix_rs_tail, NULL, 0, NULL, NULL, kc_ctx_skb},
    {"skb_resize", "rs_tail", 14, fix_rs_tail, NULL, F_OUT_SMALL, NULL, NULL, kc_ctx_skb},
    {"skb_resize", "rs_tail", 14, fix_rs_tail, NULL, 0, NULL, NULL, kc_ctx_skb_gso},
    {"skb_resize", "rs_head", 14, fix_rs_head, NULL, 0, NULL, NULL, kc_ctx_skb},
    {"skb_resize", "rs_head", 14, fix_rs_head, NULL, F_OUT_SMALL, NULL, NULL, kc_ctx_skb},
    {"skb_resize", "rs_room", 50, fix_rs_room, NULL, 0, NULL, NULL, kc_ctx_skb},
    {"skb_resize", "rs_room", 50, fix_rs_room, NULL, 0, NULL, NULL, kc_ctx_skb_gso},
    {"skb_resize", "rs_mix", 35, fix_rs_mix, NULL, 0, NULL, NULL, kc_ctx_skb},
};

/* ---- one case ---- */
static unsigned long kc_items; /* entries, records and lines compared in the current case */
struct kc_pair {
    struct kc_obj *k, *v;
};

static int kc_compare_maps(struct kc_pair *pr, unsigned flags, char *msg, size_t len)
{
    int nk = kc_kernel_side.map_cnt(pr->k), nv = kc_vm_side.map_cnt(pr->v);
    if (nk != nv) {
        snprintf(msg, len, "the kernel object has %d maps, bpfvm's %d", nk, nv);
        return 1;
    }
    for (int i = 0; i < nk; i++) {
        const char *name = kc_kernel_side.map_name(pr->k, i);
        if (!strncmp(name, "nd_", 3))
            continue; /* checked for properties */
        struct kc_map mk, mv;
        char err[256] = "";
        if (kc_kernel_side.map(pr->k, name, &mk)) {
            snprintf(msg, len, "map %s: not found in the kernel object", name);
            return 1;
        }
        if (kc_vm_side.map(pr->v, name, &mv)) {
            snprintf(msg, len, "map %s: not found in bpfvm's object", name);
            return 1;
        }
        mk.lpm_raw = mv.lpm_raw = (flags & F_LPM_RAW) != 0;
        struct kc_list lk = {0}, lv = {0};
        int rk, rv;
        if (mk.type == KC_RINGBUF || mk.type == KC_PERF_EVENT_ARRAY) {
            rk = kc_kernel_side.drain(pr->k, name, &lk);
            rv = kc_vm_side.drain(pr->v, name, &lv);
        } else {
            rk = kc_snapshot(&mk, &lk, err, sizeof(err));
            rv = kc_snapshot(&mv, &lv, err, sizeof(err));
        }
        int bad = 0;
        char d[600];
        kc_items += lk.n;
        if (rk || rv) {
            snprintf(msg, len, "map %s: reading failed (kernel %d, bpfvm %d): %s", name, rk, rv, err);
            bad = 1;
        } else if (kc_list_diff(&lk, &lv, d, sizeof(d))) {
            snprintf(msg, len, "map %s: %s", name, d);
            bad = 1;
        }
        kc_list_free(&lk);
        kc_list_free(&lv);
        if (bad)
            return 1;
    }
    return 0;
}

static void kc_hexdiff(char *msg, size_t len, const uint8_t *a, uint32_t alen, const uint8_t *b,
                       uint32_t blen)
{
    uint32_t i = 0;
    while (i < alen && i < blen && a[i] == b[i])
        i++;
    snprintf(msg, len, "data_out differs at byte %u (kernel %u bytes, bpfvm %u): kernel %02x, bpfvm %02x",
             i, alen, blen, i < alen ? a[i] : 0, i < blen ? b[i] : 0);
}

/* Returns 0 pass, 1 mismatch (msg says what), 77 the kernel refused the object. */
static int kc_run_case(const char *dir, const struct kc_case *c, char *msg, size_t len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s.bpf.o", dir, c->obj);
    struct kc_pair pr = {0};
    char err[1200] = "";
    int ret = 0;
    const char *only = c->setup ? NULL : c->prog; /* host setup may need the other programs */
    if (kc_kernel_side.open(path, only, &pr.k, err, sizeof(err))) {
        snprintf(msg, len, "kernel refused %s.bpf.o: %s", c->obj, err);
        return 77;
    }
    if (kc_vm_side.open(path, only, &pr.v, err, sizeof(err))) {
        snprintf(msg, len, "bpfvm could not load %s.bpf.o: %s", c->obj, err);
        kc_kernel_side.close(pr.k);
        return 1;
    }
    if (c->setup) {
        int rk = c->setup(&kc_kernel_side, pr.k), rv = c->setup(&kc_vm_side, pr.v);
        if (rk || rv) {
            snprintf(msg, len, "host setup failed: kernel %d, bpfvm %d", rk, rv);
            ret = rk ? 77 : 1;
            goto out;
        }
    }
    struct kc_trace tr;
    kc_trace_begin(&tr, c->flags & F_TRACE);
    uint64_t rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)c->prog[0] * 0x100000001b3ull;
    for (const char *s = c->prog; *s; s++)
        rng = (rng ^ (uint8_t)*s) * 0x100000001b3ull;
    for (int run = 0; run < c->runs && !ret; run++) {
        /* data_out up to 16 KiB: XDP programs may grow the packet to a page, tc programs
         * to 16064 bytes; zeroed, so that -ENOSPC runs compare the part that was copied */
        static uint8_t ok[16384], ov[16384];
        memset(ok, 0, sizeof(ok));
        memset(ov, 0, sizeof(ov));
        uint8_t payload[32], pkt[KC_PKT_LEN], cin[256], cok[256], cov[256];
        for (int i = 0; i < 32; i++)
            payload[i] = (uint8_t)(kc_rand(&rng) >> 24);
        if (c->fix)
            c->fix(payload, run, &rng);
        kc_packet(pkt, payload);
        uint32_t lk = sizeof(ok), lv = sizeof(ov);
        if (c->flags & F_OUT_SMALL)
            lk = lv = 100;
        memset(cin, 0, sizeof(cin));
        memset(cok, 0, sizeof(cok));
        memset(cov, 0, sizeof(cov));
        uint32_t clen = c->ctx ? c->ctx(cin, run) : 0;
        struct kc_ctx ck = {cin, clen, cok, sizeof(cok)}, cv = {cin, clen, cov, sizeof(cov)};
        uint64_t rk = 0, rv = 0;
        struct kc_clock before_k, after_k, before_v, after_v;
        kc_clock_now(&before_k);
        int ek = kc_kernel_side.run(pr.k, c->prog, pkt, sizeof(pkt), ok, &lk, c->ctx ? &ck : NULL,
                                    &rk, err, sizeof(err));
        kc_clock_now(&after_k);
        char errv[256] = "";
        kc_clock_now(&before_v);
        int ev = kc_vm_side.run(pr.v, c->prog, pkt, sizeof(pkt), ov, &lv, c->ctx ? &cv : NULL,
                                &rv, errv, sizeof(errv));
        kc_clock_now(&after_v);
        if ((ek || ev) && !(ek == -ENOSPC && ev == -ENOSPC)) {
            snprintf(msg, len, "run %d: test run failed: kernel %d (%s), bpfvm %d (%s)", run, ek,
                     ek ? err : "", ev, ev ? errv : "");
            ret = 1;
            break;
        }
        if (getenv("KCOMPARE_VERBOSE")) {
            printf("  run %d in:  ", run);
            for (int i = 0; i < 32; i++)
                printf("%02x", payload[i]);
            printf("\n  kernel %08x out:", (uint32_t)rk);
            for (uint32_t i = 42; i < lk && i < 74; i++)
                printf("%02x", ok[i]);
            printf("\n  bpfvm  %08x out:", (uint32_t)rv);
            for (uint32_t i = 42; i < lv && i < 74; i++)
                printf("%02x", ov[i]);
            printf("\n");
        }
        if ((uint32_t)rv != (uint32_t)rk) {
            snprintf(msg, len, "run %d: retval kernel %u (0x%x), bpfvm %u (0x%x)", run,
                     (uint32_t)rk, (uint32_t)rk, (uint32_t)rv, (uint32_t)rv);
            ret = 1;
            break;
        }
        char d[1000];
        if (lk != lv || memcmp(ok, ov, lk < sizeof(ok) ? lk : sizeof(ok))) {
            kc_hexdiff(d, sizeof(d), ok, lk, ov, lv);
            snprintf(msg, len, "run %d: %s", run, d);
            ret = 1;
            break;
        }
        if (c->ctx && (ck.out_len != cv.out_len || memcmp(cok, cov, sizeof(cok)))) {
            uint32_t i = 0;
            while (i < sizeof(cok) && cok[i] == cov[i])
                i++;
            snprintf(msg, len, "run %d: ctx_out differs at byte %u (kernel %u bytes, bpfvm %u): "
                     "kernel %02x, bpfvm %02x", run, i, ck.out_len, cv.out_len,
                     i < sizeof(cok) ? cok[i] : 0, i < sizeof(cov) ? cov[i] : 0);
            ret = 1;
            break;
        }
        if (c->flags & (F_CLOCKS | F_JIFFIES)) {
            if (kc_check_clocks((c->flags & F_JIFFIES) != 0, &kc_kernel_side, pr.k, &before_k, &after_k, &kc_vm_side, pr.v,
                                &before_v, &after_v, d, sizeof(d))) {
                snprintf(msg, len, "run %d: %s", run, d);
                ret = 1;
                break;
            }
        }
        if ((c->flags & F_TASK) && kc_check_task(&kc_kernel_side, pr.k, &kc_vm_side, pr.v, d, sizeof(d))) {
            snprintf(msg, len, "run %d: %s", run, d);
            ret = 1;
            break;
        }
        if ((c->flags & F_LOCKED) &&
            kc_check_locked(&kc_kernel_side, pr.k, &kc_vm_side, pr.v, "locked_map", d, sizeof(d))) {
            snprintf(msg, len, "run %d: %s", run, d);
            ret = 1;
            break;
        }
        if ((c->flags & F_TRACE) && kc_trace_check(&tr, d, sizeof(d))) {
            snprintf(msg, len, "run %d: %s", run, d);
            ret = 1;
            break;
        }
        if (kc_compare_maps(&pr, c->flags, d, sizeof(d))) {
            snprintf(msg, len, "run %d: %s", run, d);
            ret = 1;
            break;
        }
    }
    kc_trace_end(&tr);
out:
    kc_vm_side.close(pr.v);
    kc_kernel_side.close(pr.k);
    return ret;
}

static void kc_pin_cpu(void)
{
    cpu_set_t set;
    kc_cpu = 0;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        for (int i = 0; i < CPU_SETSIZE; i++) {
            if (CPU_ISSET(i, &set)) {
                kc_cpu = i;
                break;
            }
        }
    }
    CPU_ZERO(&set);
    CPU_SET(kc_cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set))
        fprintf(stderr, "kcompare: sched_setaffinity(%d): %s\n", kc_cpu, strerror(errno));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: kcompare OBJDIR [case-substring]\n");
        return 2;
    }
    char why[256];
    if (kc_kernel_probe(why, sizeof(why))) {
        printf("SKIP: kernel bpf() unavailable: %s\n", why);
        return 77;
    }
    kc_pin_cpu();
    int pass = 0, fail = 0, xfail = 0, xpass = 0, skip = 0;
    for (size_t i = 0; i < sizeof(kc_cases) / sizeof(kc_cases[0]); i++) {
        const struct kc_case *c = &kc_cases[i];
        if (argc > 2 && !strstr(c->prog, argv[2]) && !strstr(c->obj, argv[2]))
            continue;
        char msg[2048] = "";
        kc_items = 0;
        int r = kc_run_case(argv[1], c, msg, sizeof(msg));
        if (r == 77) {
            printf("SKIP  %-22s %s\n", c->prog, msg);
            skip++;
        } else if (r == 0 && !(c->xfail && (!c->xfail_if || c->xfail_if()))) {
            printf("PASS  %-22s %d runs, %lu map entries/records compared\n", c->prog, c->runs,
                   kc_items);
            pass++;
        } else if (r == 0) {
            printf("XPASS %-22s marked as a known divergence (%s) but now matches: flip it\n",
                   c->prog, c->xfail);
            xpass++;
        } else if (c->xfail && (!c->xfail_if || c->xfail_if())) {
            printf("XFAIL %-22s %s\n      known: %s\n", c->prog, msg, c->xfail);
            xfail++;
        } else {
            printf("FAIL  %-22s %s\n", c->prog, msg);
            fail++;
        }
    }
    printf("kcompare: %d passed, %d failed, %d expected failures, %d unexpected passes, %d skipped (kernel refused)\n",
           pass, fail, xfail, xpass, skip);
    return fail || xpass ? 1 : 0;
}
