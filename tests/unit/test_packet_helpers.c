/* test_packet_helpers.c - the packet helpers (src/helpers/packet_xdp.c, packet_skb.c) in typed
 * test runs on the interpreter and the JIT, verified and checked: bpf_xdp_adjust_head/meta/
 * tail and their limits (data_out and ctx_out follow), bpf_xdp_load/store_bytes,
 * bpf_redirect, bpf_skb_load_bytes(_relative), bpf_skb_store_bytes, bpf_l3/l4_csum_replace
 * (checksums recomputed here), bpf_skb_pull_data; bad arguments of unverified programs
 * (pointers, a forged context) give errors, never a crash; the prototypes' program types. */
#include "testlib.h"

#include <errno.h>
#include <stdlib.h>

#include "bpfvm/asm.h"
#include "bpfvm/helpers.h"
#include "bpfvm/progtype.h"
#include "bpfvm/vm.h"
#include "helpers/helpers.h"

static struct bpfvm_vm *vm;

/* Ethernet + IPv4 (valid header checksum) + UDP (checksum 0) + 32 payload bytes 0x40.. */
#define PKT_LEN 74
static uint8_t pkt[PKT_LEN];

static uint16_t ip_csum(const uint8_t *h, int len)
{
    uint32_t sum = 0;
    for (int i = 0; i < len; i += 2)
        sum += (uint32_t)h[i] << 8 | h[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void make_pkt(void)
{
    static const uint8_t hdr[42] = {
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
        0x45, 0, 0, 60, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 1, 2, 3,
        0x04, 0xd2, 0x16, 0x2e, 0, 40, 0, 0};
    memcpy(pkt, hdr, 42);
    for (int i = 42; i < PKT_LEN; i++)
        pkt[i] = (uint8_t)(0x40 + i - 42);
    uint16_t c = ip_csum(pkt + 14, 20);
    pkt[24] = (uint8_t)(c >> 8);
    pkt[25] = (uint8_t)c;
}

/* ---------------------------------------------------------------- running typed programs */

#define M_VERIFIED 1 /* loaded through the verifier (runs unchecked when it accepts) */
#define M_CHECKED 2  /* loaded without verification: run-time checks */
#define M_ALL (M_VERIFIED | M_CHECKED)

struct out {
    uint64_t r0;
    uint8_t data[4096];
    uint32_t len;
    uint32_t ctx[48];
    uint32_t ctx_len;
};

struct in {
    const uint8_t *data;
    uint32_t len;
    const void *ctx;
    uint32_t ctx_len;
};

static int run(const char *text, int type, bool checked, enum bpfvm_engine engine,
               const struct in *in, struct out *o, char *err, size_t errlen)
{
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .prog_type = type, .errbuf = err,
                                 .errbuf_len = errlen,
                                 .flags = checked ? BPFVM_LOAD_NO_VERIFY | BPFVM_LOAD_CHECKED : 0};
    struct bpfvm_prog *p = NULL;
    int rc = test_asm_load(vm, text, &lo, &p);
    if (rc)
        return -2000 + rc;
    memset(o, 0, sizeof(*o));
    struct bpfvm_test_run_opts t = {
        .sz = sizeof(t), .data_in = in->data ? in->data : pkt,
        .data_size_in = in->data ? in->len : PKT_LEN, .data_out = o->data,
        .data_size_out = sizeof(o->data), .ctx_in = in->ctx, .ctx_size_in = in->ctx_len,
        .ctx_out = o->ctx, .ctx_size_out = sizeof(o->ctx), .engine = engine, .errbuf = err,
        .errbuf_len = errlen};
    rc = bpfvm_prog_test_run(p, &t);
    o->r0 = t.retval;
    o->len = t.data_size_out;
    o->ctx_len = t.ctx_size_out;
    bpfvm_prog_free(p);
    return rc;
}

typedef bool (*out_check)(const struct out *o, char *why, size_t len);

/* Run `text` on both engines in the modes asked; r0 must be `want` and `check` (if any) must
 * accept the output. */
static void expect(const char *name, const char *text, int type, int modes, const struct in *in,
                   uint64_t want, out_check check)
{
    static const enum bpfvm_engine engines[] = {BPFVM_ENGINE_INTERP, BPFVM_ENGINE_JIT};
    static const struct in none = {0};
    static struct out o;
    for (int e = 0; e < 2; e++) {
        for (int m = 0; m < 2; m++) {
            if (!(modes & (m ? M_CHECKED : M_VERIFIED)))
                continue;
            char err[512] = "", why[256] = "";
            int rc = run(text, type, m == 1, engines[e], in ? in : &none, &o, err, sizeof(err));
            bool ok = rc == 0 && o.r0 == want && (!check || check(&o, why, sizeof(why)));
            CHECKF(ok, "%s (%s, %s): rc %d %s r0 0x%llx want 0x%llx %s", name,
                   e ? "jit" : "interp", m ? "checked" : "verified", rc, err,
                   (unsigned long long)o.r0, (unsigned long long)want, why);
        }
    }
}

#define XDP BPFVM_PROG_TYPE_XDP
#define TC BPFVM_PROG_TYPE_SCHED_CLS
#define SOCK BPFVM_PROG_TYPE_SOCKET_FILTER
#define EINVAL_ ((uint64_t)-EINVAL)
#define EFAULT_ ((uint64_t)-EFAULT)

/* ---------------------------------------------------------------- XDP */

/* data_out = 14 zero bytes, then the packet with 0xaa written at its new start */
static bool out_head14(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "len %u data %u..%u", o->len, o->ctx[0], o->ctx[1]);
    return o->len == PKT_LEN + 14 && o->data[0] == 0xaa && !memcmp(o->data + 1, "\0\0\0\0", 4) &&
           !memcmp(o->data + 14, pkt, PKT_LEN) && o->ctx[0] == 0 && o->ctx[1] == PKT_LEN + 14;
}

static bool out_pkt_from60(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "len %u", o->len);
    return o->len == 14 && !memcmp(o->data, pkt + 60, 14);
}

/* metadata 0x11223344 then the packet, ctx_out data = 4 */
static bool out_meta4(const struct out *o, char *why, size_t len)
{
    uint32_t m;
    memcpy(&m, o->data, 4);
    snprintf(why, len, "len %u meta %08x ctx %u/%u", o->len, m, o->ctx[0], o->ctx[1]);
    return o->len == PKT_LEN + 4 && m == 0x11223344 && !memcmp(o->data + 4, pkt, PKT_LEN) &&
           o->ctx[0] == 4 && o->ctx[1] == PKT_LEN + 4;
}

/* the page's end: 4096 - 320 - 256 bytes of packet, the growth zeroed */
static bool out_tail_max(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "len %u", o->len);
    if (o->len != 3520 || memcmp(o->data, pkt, PKT_LEN))
        return false;
    for (uint32_t i = PKT_LEN; i < o->len; i++)
        if (o->data[i])
            return false;
    return o->ctx[1] == 3520;
}

static bool out_unchanged(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "len %u", o->len);
    return o->len == PKT_LEN && !memcmp(o->data, pkt, PKT_LEN);
}

static void test_xdp_adjust(void)
{
    /* head -14, then write at the new start */
    const char *head =
        "r6 = r1\n r2 = -14\n call 44\n if r0 != 0 goto out\n"
        "r2 = *(u32 *)(r6 + 0)\n r3 = *(u32 *)(r6 + 4)\n r4 = r2\n r4 += 14\n"
        "if r4 > r3 goto out\n r5 = 0xaa\n *(u8 *)(r2 + 0) = r5\nout:\n exit\n";
    uint32_t xctx[6] = {0, PKT_LEN, 0, 0, 0, 0};
    struct in xin = {NULL, 0, xctx, 24};
    expect("xdp_adjust_head -14", head, XDP, M_ALL, &xin, 0, out_head14);
    /* limits: 256 - 40 bytes of headroom, 14 bytes of packet */
    expect("xdp_adjust_head -216", "r2 = -216\n call 44\n exit\n", XDP, M_ALL, NULL, 0, NULL);
    expect("xdp_adjust_head -217", "r2 = -217\n call 44\n exit\n", XDP, M_ALL, NULL, EINVAL_,
           out_unchanged);
    expect("xdp_adjust_head +60", "r2 = 60\n call 44\n exit\n", XDP, M_ALL, NULL, 0,
           out_pkt_from60);
    expect("xdp_adjust_head +61", "r2 = 61\n call 44\n exit\n", XDP, M_ALL, NULL, EINVAL_,
           out_unchanged);
    expect("xdp_adjust_head INT_MIN", "r2 = 0x80000000 ll\n call 44\n exit\n", XDP, M_ALL, NULL,
           EINVAL_, NULL);
    /* the upper 32 bits of the delta are ignored (an int argument) */
    expect("xdp_adjust_head 64-bit", "r2 = 0x100000000 ll\n r2 += -14\n call 44\n exit\n", XDP,
           M_ALL, NULL, 0, NULL);

    /* meta -4, write it: data_out starts with the metadata */
    const char *meta =
        "r6 = r1\n r2 = -4\n call 54\n if r0 != 0 goto out\n"
        "r2 = *(u32 *)(r6 + 8)\n r3 = *(u32 *)(r6 + 0)\n r4 = r2\n r4 += 4\n"
        "if r4 > r3 goto out\n r5 = 0x11223344\n *(u32 *)(r2 + 0) = r5\nout:\n exit\n";
    expect("xdp_adjust_meta -4", meta, XDP, M_ALL, &xin, 0, out_meta4);
    expect("xdp_adjust_meta -3", "r2 = -3\n call 54\n exit\n", XDP, M_ALL, NULL,
           (uint64_t)-EACCES, out_unchanged);
    expect("xdp_adjust_meta +4", "r2 = 4\n call 54\n exit\n", XDP, M_ALL, NULL, EINVAL_, NULL);
    expect("xdp_adjust_meta -216", "r2 = -216\n call 54\n exit\n", XDP, M_ALL, NULL, 0, NULL);
    expect("xdp_adjust_meta -220", "r2 = -220\n call 54\n exit\n", XDP, M_ALL, NULL, EINVAL_, NULL);
    /* with 60 more bytes of headroom: 252 bytes of metadata, not 256 */
    const char *meta_big = "r6 = r1\n r2 = 60\n call 44\n r1 = r6\n r2 = -252\n call 54\n"
                           "r7 = r0\n r1 = r6\n r2 = -4\n call 54\n r0 <<= 8\n r0 |= r7\n exit\n";
    expect("xdp_adjust_meta 252 then 256", meta_big, XDP, M_ALL, NULL,
           (uint64_t)-EACCES << 8 | 0, NULL);
    /* head moves the metadata along; its limit counts the metadata */
    const char *meta_head =
        "r6 = r1\n r2 = -8\n call 54\n r1 = r6\n r2 = -208\n call 44\n r7 = r0\n"
        "r1 = r6\n r2 = -1\n call 44\n r8 = r0\n"
        "r2 = *(u32 *)(r6 + 8)\n r3 = *(u32 *)(r6 + 0)\n r0 = r3\n r0 -= r2\n"
        "r8 &= 0xff\n r7 &= 0xff\n r0 <<= 8\n r0 |= r8\n r0 <<= 8\n r0 |= r7\n exit\n";
    expect("xdp_adjust_head with 8 bytes of metadata", meta_head, XDP, M_ALL, NULL,
           (8ull << 16) | ((uint64_t)(uint8_t)-EINVAL << 8), NULL);

    /* metadata from ctx_in: data at 256, so the headroom left is 256 - 40 - 8 */
    uint8_t mpkt[PKT_LEN + 8];
    memset(mpkt, 0x77, 8);
    memcpy(mpkt + 8, pkt, PKT_LEN);
    uint32_t mctx[6] = {8, PKT_LEN + 8, 0, 0, 0, 0};
    struct in min = {mpkt, sizeof(mpkt), mctx, 24};
    expect("ctx_in metadata, head -208", "r2 = -208\n call 44\n exit\n", XDP, M_ALL, &min, 0, NULL);
    expect("ctx_in metadata, head -209", "r2 = -209\n call 44\n exit\n", XDP, M_ALL, &min,
           EINVAL_, NULL);

    /* tail: grow to the page's end (zeroed), one more fails; shrink to 14 bytes */
    expect("xdp_adjust_tail +3446", "r2 = 3446\n call 65\n exit\n", XDP, M_ALL, &xin, 0,
           out_tail_max);
    expect("xdp_adjust_tail +3447", "r2 = 3447\n call 65\n exit\n", XDP, M_ALL, NULL, EINVAL_,
           out_unchanged);
    expect("xdp_adjust_tail -60", "r2 = -60\n call 65\n exit\n", XDP, M_ALL, NULL, 0, NULL);
    expect("xdp_adjust_tail -61", "r2 = -61\n call 65\n exit\n", XDP, M_ALL, NULL, EINVAL_, NULL);
    /* shrink then grow back: the bytes come back zeroed */
    const char *regrow = "r6 = r1\n r2 = -30\n call 65\n r1 = r6\n r2 = 30\n call 65\n"
                         "r2 = *(u32 *)(r6 + 0)\n r3 = *(u32 *)(r6 + 4)\n r4 = r2\n r4 += 74\n"
                         "if r4 > r3 goto out\n r0 = *(u8 *)(r2 + 50)\n r1 = *(u8 *)(r2 + 43)\n"
                         "r0 <<= 8\n r0 |= r1\nout:\n exit\n";
    expect("xdp_adjust_tail regrow zeroes", regrow, XDP, M_ALL, NULL, 0x0041, NULL);
}

static bool out_stored(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "len %u bytes %02x %02x", o->len, o->data[66], o->data[73]);
    return o->len == PKT_LEN && o->data[66] == 1 && o->data[73] == 8 && !memcmp(o->data, pkt, 66);
}

static void test_xdp_bytes(void)
{
    /* load 8 bytes at 12 (ethertype, IP version...) into the stack */
    const char *load = "r2 = 12\n r3 = r10\n r3 += -8\n r4 = 8\n call 189\n if r0 != 0 goto out\n"
                       "r0 = *(u64 *)(r10 - 8)\nout:\n exit\n";
    uint64_t want;
    memcpy(&want, pkt + 12, 8);
    expect("xdp_load_bytes", load, XDP, M_ALL, NULL, want, NULL);
    /* past the end: -EINVAL, the buffer untouched; offsets past 0xffff: -EFAULT */
    const char *past = "r6 = r1\n *(u64 *)(r10 - 8) = 7\n r2 = 67\n r3 = r10\n r3 += -8\n r4 = 8\n"
                       "call 189\n r7 = r0\n r1 = r6\n r2 = 0x10000\n r3 = r10\n r3 += -8\n"
                       "r4 = 8\n call 189\n r0 <<= 8\n r7 &= 0xff\n r0 |= r7\n r1 = *(u64 *)(r10 - 8)\n"
                       "r1 <<= 32\n r0 += r1\n exit\n";
    expect("xdp_load_bytes errors", past, XDP, M_ALL, NULL,
           ((uint64_t)-EFAULT << 8 | (uint8_t)-EINVAL) + (7ull << 32), NULL);
    const char *st = "r6 = r1\n r1 = 0x0807060504030201 ll\n *(u64 *)(r10 - 8) = r1\n r1 = r6\n"
                     "r2 = 66\n r3 = r10\n r3 += -8\n r4 = 8\n call 190\n r7 = r0\n"
                     "r1 = r6\n r2 = 67\n r3 = r10\n r3 += -8\n r4 = 8\n call 190\n"
                     "r0 <<= 8\n r0 |= r7\n exit\n";
    expect("xdp_store_bytes", st, XDP, M_ALL, NULL, (uint64_t)-EINVAL << 8, out_stored);
    /* checked: a buffer the program may not touch, a context that is not the run's */
    expect("xdp_load_bytes to a bad pointer (checked)",
           "r2 = 0\n r3 = 0x1000\n r4 = 8\n call 189\n exit\n", XDP, M_CHECKED, NULL, EFAULT_, NULL);
    expect("xdp_store_bytes from a bad pointer (checked)",
           "r2 = 0\n r3 = 0x1000\n r4 = 8\n call 190\n exit\n", XDP, M_CHECKED, NULL, EFAULT_, NULL);
    expect("xdp_adjust_head on the stack (checked)", "r1 = r10\n r1 += -64\n r2 = -14\n call 44\n exit\n",
           XDP, M_CHECKED, NULL, EINVAL_, out_unchanged);
    expect("xdp_load_bytes with ctx + 8 (checked)",
           "r1 += 8\n r2 = 0\n r3 = r10\n r3 += -8\n r4 = 8\n call 189\n exit\n", XDP, M_CHECKED,
           NULL, EINVAL_, NULL);
}

/* A checked program overwrites the context's data and data_end slots through an alias; the
 * helpers keep to the run's real packet and refresh the slots. */
static void test_xdp_forged_ctx(void)
{
    const char *forge =
        "r6 = r1\n r2 = r1\n r2 += 8\n r3 = r10\n *(u64 *)(r2 - 8) = r3\n *(u64 *)(r2 + 0) = r3\n"
        "r1 = r6\n r2 = -20\n call 44\n r7 = r0\n r1 = r6\n r2 = 10\n call 65\n r7 |= r0\n"
        "r1 = r6\n r2 = 0\n r3 = r10\n r3 += -8\n r4 = 8\n call 189\n r7 |= r0\n"
        "r2 = *(u32 *)(r6 + 0)\n r3 = *(u32 *)(r6 + 4)\n r0 = r3\n r0 -= r2\n r0 <<= 8\n r0 |= r7\n exit\n";
    expect("forged xdp_md slots (checked)", forge, XDP, M_CHECKED, NULL, (uint64_t)(PKT_LEN + 30) << 8,
           NULL);
}

static void test_redirect(void)
{
    expect("xdp redirect", "r1 = 3\n r2 = 0\n call 23\n exit\n", XDP, M_ALL, NULL, 4, NULL);
    expect("xdp redirect flags", "r1 = 3\n r2 = 1\n call 23\n exit\n", XDP, M_ALL, NULL, 0, NULL);
    expect("tc redirect", "r1 = 3\n r2 = 0\n call 23\n exit\n", TC, M_ALL, NULL, 7, NULL);
    expect("tc redirect ingress", "r1 = 3\n r2 = 1\n call 23\n exit\n", TC, M_ALL, NULL, 7, NULL);
    expect("tc redirect bad flags", "r1 = 3\n r2 = 2\n call 23\n exit\n", TC, M_ALL, NULL, 2, NULL);
}

/* ---------------------------------------------------------------- __sk_buff */

static void test_skb_load(void)
{
    uint64_t want;
    /* tc: offsets from the Ethernet header; socket filters: from the IP header */
    const char *load = "r2 = 14\n r3 = r10\n r3 += -8\n r4 = 8\n call 26\n if r0 != 0 goto out\n"
                       "r0 = *(u64 *)(r10 - 8)\nout:\n exit\n";
    memcpy(&want, pkt + 14, 8);
    expect("tc skb_load_bytes", load, TC, M_ALL, NULL, want, NULL);
    memcpy(&want, pkt + 28, 8);
    expect("socket skb_load_bytes", load, SOCK, M_ALL, NULL, want, NULL);
    /* past the end: -EFAULT and the buffer zeroed */
    const char *past = "*(u64 *)(r10 - 8) = 7\n r2 = 67\n r3 = r10\n r3 += -8\n r4 = 8\n call 26\n"
                       "r1 = *(u64 *)(r10 - 8)\n r0 += r1\n exit\n";
    expect("tc skb_load_bytes past the end", past, TC, M_ALL, NULL, EFAULT_, NULL);
    expect("tc skb_load_bytes offset > INT_MAX",
           "r2 = 0x80000000 ll\n r3 = r10\n r3 += -8\n r4 = 1\n call 26\n exit\n", TC, M_ALL, NULL,
           EFAULT_, NULL);
    /* relative: MAC header (also for socket filters), network header, a bad header */
    const char *rel = "r2 = 6\n r3 = r10\n r3 += -8\n r4 = 8\n r5 = %d\n call 68\n"
                      "if r0 != 0 goto out\n r0 = *(u64 *)(r10 - 8)\nout:\n exit\n";
    char text[256];
    snprintf(text, sizeof(text), rel, 0);
    memcpy(&want, pkt + 6, 8);
    expect("tc load_bytes_relative MAC", text, TC, M_ALL, NULL, want, NULL);
    expect("socket load_bytes_relative MAC", text, SOCK, M_ALL, NULL, want, NULL);
    snprintf(text, sizeof(text), rel, 1);
    memcpy(&want, pkt + 20, 8);
    expect("socket load_bytes_relative NET", text, SOCK, M_ALL, NULL, want, NULL);
    snprintf(text, sizeof(text), rel, 2);
    expect("load_bytes_relative bad header", text, TC, M_ALL, NULL, EFAULT_, NULL);
    expect("load_bytes_relative NET past the end",
           "r2 = 53\n r3 = r10\n r3 += -8\n r4 = 8\n r5 = 1\n call 68\n exit\n", TC, M_ALL, NULL,
           EFAULT_, NULL);
    expect("skb_load_bytes to a bad pointer (checked)",
           "r2 = 0\n r3 = 0x1000\n r4 = 8\n call 26\n exit\n", TC, M_CHECKED, NULL, EFAULT_, NULL);
    expect("skb_load_bytes with a stack context (checked)",
           "r1 = r10\n r1 += -200\n r2 = 0\n r3 = r10\n r3 += -8\n r4 = 8\n call 26\n exit\n", TC,
           M_CHECKED, NULL, EINVAL_, NULL);
}

static bool out_store(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "len %u %02x%02x%02x%02x", o->len, o->data[70], o->data[71], o->data[72],
             o->data[73]);
    return o->len == PKT_LEN && !memcmp(o->data + 70, "\x01\x02\x03\x04", 4) &&
           !memcmp(o->data, pkt, 70);
}

static void test_skb_store(void)
{
    const char *st = "r6 = r1\n *(u32 *)(r10 - 4) = 0x04030201\n"
                     "r2 = 70\n r3 = r10\n r3 += -4\n r4 = 4\n r5 = 3\n call 9\n r7 = r0\n"
                     "r1 = r6\n r2 = 71\n r3 = r10\n r3 += -4\n r4 = 4\n r5 = 0\n call 9\n"
                     "r0 &= 0xff\n r7 <<= 8\n r7 |= r0\n"
                     "r1 = r6\n r2 = 0\n r3 = r10\n r3 += -4\n r4 = 4\n r5 = 4\n call 9\n"
                     "r0 &= 0xff\n r7 <<= 8\n r7 |= r0\n"
                     "r7 &= 0xffff\n r0 = r7\n exit\n";
    expect("skb_store_bytes", st, TC, M_ALL, NULL,
           ((uint64_t)(uint8_t)-EFAULT << 8) | (uint8_t)-EINVAL, out_store);
    expect("skb_store_bytes from a bad pointer (checked)",
           "r2 = 0\n r3 = 0x1000\n r4 = 4\n r5 = 0\n call 9\n exit\n", TC, M_CHECKED, NULL, EFAULT_,
           out_unchanged);
}

/* the IP header's checksum is valid again after the TTL changed */
static bool out_ttl(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "ttl %u csum %02x%02x", o->data[22], o->data[24], o->data[25]);
    return o->data[22] == 0x3f && ip_csum(o->data + 14, 20) == 0;
}

/* the UDP checksum field after an l4 replace */
static uint16_t udp_field(const struct out *o) { return (uint16_t)(o->data[40] << 8 | o->data[41]); }

static bool out_udp_ffff(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "udp csum %04x", udp_field(o));
    return udp_field(o) == 0xffff;
}

static bool out_udp_zero(const struct out *o, char *why, size_t len)
{
    snprintf(why, len, "udp csum %04x", udp_field(o));
    return udp_field(o) == 0;
}

static void test_csum(void)
{
    /* TTL 64 -> 63: rewrite the byte, then fix the checksum with the 16-bit words (size 2),
     * with the 32-bit words (size 4) and with a diff (size 0) */
    const char *ttl2 = "r6 = r1\n r2 = *(u32 *)(r6 + 76)\n r3 = *(u32 *)(r6 + 80)\n r4 = r2\n"
                       "r4 += 34\n if r4 > r3 goto out\n r5 = 0x3f\n *(u8 *)(r2 + 22) = r5\n"
                       "r1 = r6\n r2 = 24\n r3 = 0x1140\n r4 = 0x113f\n r5 = 2\n call 10\n exit\n"
                       "out: r0 = 1\n exit\n";
    expect("l3_csum_replace size 2", ttl2, TC, M_ALL, NULL, 0, out_ttl);
    const char *ttl4 = "r6 = r1\n r2 = *(u32 *)(r6 + 76)\n r3 = *(u32 *)(r6 + 80)\n r4 = r2\n"
                       "r4 += 34\n if r4 > r3 goto out\n r5 = 0x3f\n *(u8 *)(r2 + 22) = r5\n"
                       "r1 = r6\n r2 = 24\n r3 = 0x00001140\n r4 = 0x0000113f\n r5 = 4\n call 10\n exit\n"
                       "out: r0 = 1\n exit\n";
    expect("l3_csum_replace size 4", ttl4, TC, M_ALL, NULL, 0, out_ttl);
    /* size 0: to = csum_diff of the old and new word */
    const char *ttl0 = "r6 = r1\n r2 = *(u32 *)(r6 + 76)\n r3 = *(u32 *)(r6 + 80)\n r4 = r2\n"
                       "r4 += 34\n if r4 > r3 goto out\n r5 = 0x3f\n *(u8 *)(r2 + 22) = r5\n"
                       "*(u32 *)(r10 - 8) = 0x1140\n *(u32 *)(r10 - 4) = 0x113f\n"
                       "r1 = r10\n r1 += -8\n r2 = 4\n r3 = r10\n r3 += -4\n r4 = 4\n r5 = 0\n call 28\n"
                       "r4 = r0\n r1 = r6\n r2 = 24\n r3 = 0\n r5 = 0\n call 10\n exit\n"
                       "out: r0 = 1\n exit\n";
    expect("l3_csum_replace size 0", ttl0, TC, M_ALL, NULL, 0, out_ttl);
    /* errors: size 0 with from != 0, size 3, unknown flags, odd offset, past the end */
    const char *errs = "r6 = r1\n r2 = 24\n r3 = 1\n r4 = 2\n r5 = 0\n call 10\n r7 = r0\n"
                       "r1 = r6\n r2 = 24\n r3 = 1\n r4 = 2\n r5 = 3\n call 10\n r7 += r0\n"
                       "r1 = r6\n r2 = 24\n r3 = 1\n r4 = 2\n r5 = 0x12\n call 10\n r7 += r0\n"
                       "r1 = r6\n r2 = 25\n r3 = 1\n r4 = 2\n r5 = 2\n call 10\n r7 += r0\n"
                       "r1 = r6\n r2 = 74\n r3 = 1\n r4 = 2\n r5 = 2\n call 10\n r7 += r0\n"
                       "r1 = r6\n r2 = 72\n r3 = 0\n r4 = 2\n r5 = 0x40\n call 11\n r7 += r0\n"
                       "r0 = r7\n exit\n";
    expect("l3/l4_csum_replace errors", errs, TC, M_ALL, NULL, (uint64_t)(-3 * EINVAL - 2 * EFAULT),
           NULL);
    /* l4 on a zero UDP checksum: BPF_F_MARK_MANGLED_0 leaves it; with ENFORCE a result of
     * zero becomes 0xffff; without either, it is just updated */
    expect("l4 mangled_0 keeps 0", "r2 = 40\n r3 = 0x1234\n r4 = 0x1234\n r5 = 0x22\n call 11\n exit\n",
           TC, M_ALL, NULL, 0, out_udp_zero);
    expect("l4 mangled_0 enforce -> 0xffff",
           "r2 = 40\n r3 = 0\n r4 = 0xffff\n r5 = 0x62\n call 11\n exit\n", TC, M_ALL, NULL, 0,
           out_udp_ffff);
    expect("l4 pseudo + ipv6 flags, size 4",
           "r2 = 40\n r3 = 0\n r4 = 0\n r5 = 0x94\n call 11\n exit\n", TC, M_ALL, NULL, 0,
           out_udp_zero);
    expect("l4 flags outside the known ones",
           "r2 = 40\n r3 = 0\n r4 = 0\n r5 = 0x100\n call 11\n exit\n", TC, M_ALL, NULL, EINVAL_,
           NULL);
}

static void test_pull(void)
{
    expect("skb_pull_data 0", "r2 = 0\n call 39\n exit\n", TC, M_ALL, NULL, 0, NULL);
    expect("skb_pull_data len", "r2 = 74\n call 39\n exit\n", TC, M_ALL, NULL, 0, NULL);
    expect("skb_pull_data past the end", "r2 = 75\n call 39\n exit\n", TC, M_ALL, NULL,
           (uint64_t)-ENOMEM, NULL);
    /* the context's len and pointers are refreshed: direct access still works after it */
    const char *after = "r6 = r1\n r2 = 20\n call 39\n r2 = *(u32 *)(r6 + 76)\n r3 = *(u32 *)(r6 + 80)\n"
                        "r4 = r2\n r4 += 14\n if r4 > r3 goto out\n r0 = *(u8 *)(r2 + 13)\n"
                        "r1 = *(u32 *)(r6 + 0)\n r0 <<= 8\n r0 |= r1\n exit\nout: r0 = 1\n exit\n";
    expect("skb_pull_data then direct access", after, TC, M_ALL, NULL, 0x0000 | PKT_LEN, NULL);
}

/* ---------------------------------------------------------------- prototypes */

static void test_protos(void)
{
    static const struct {
        uint32_t id;
        int type_ok, type_not;
        bool changes;
    } rows[] = {
        {9, TC, SOCK, true},     {10, TC, XDP, true},     {11, TC, SOCK, true},
        {23, XDP, SOCK, false},  {26, SOCK, XDP, false},  {39, TC, SOCK, true},
        {44, XDP, TC, true},     {54, XDP, TC, true},     {65, XDP, TC, true},
        {68, SOCK, XDP, false},  {189, XDP, TC, false},   {190, XDP, SOCK, false},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct helper_proto *p = helper_proto_get(rows[i].id);
        CHECKF(p != NULL, "helper %u", rows[i].id);
        if (!p)
            continue;
        CHECKF(helper_allowed_in(p, (uint32_t)rows[i].type_ok), "%s in type %d", p->name, rows[i].type_ok);
        CHECKF(!helper_allowed_in(p, (uint32_t)rows[i].type_not), "%s in type %d", p->name,
               rows[i].type_not);
        CHECKF(((p->flags & HELPER_F_CHANGES_PKT) != 0) == rows[i].changes, "%s changes_pkt", p->name);
        CHECKF(!(p->flags & HELPER_F_PKT_ACCESS), "%s pkt_access", p->name);
    }
    CHECK_STR(bpfvm_std_helper_name(44), "bpf_xdp_adjust_head");
    CHECK_STR(bpfvm_std_helper_name(68), "bpf_skb_load_bytes_relative");
    /* a raw program has no context: the helpers refuse */
    struct in raw = {pkt, PKT_LEN, NULL, 0};
    expect("raw program calls xdp_adjust_head", "r2 = -14\n call 44\n exit\n", 0, M_CHECKED, &raw,
           EINVAL_, NULL);
    expect("raw program calls skb_load_bytes",
           "r2 = 0\n r3 = r10\n r3 += -8\n r4 = 8\n call 26\n exit\n", 0, M_CHECKED, &raw, EINVAL_,
           NULL);
}

/* An embedder's own xdp_md-shaped context (no packet state behind it): the helpers refuse
 * without reading past it (ASan watches the exact-size context). */
static void test_foreign_ctx(void)
{
    struct bpfvm_insn *insns = NULL;
    size_t cnt = 0;
    char err[256] = "";
    CHECK(bpfvm_asm("r2 = -14\n call 44\n exit\n", BPFVM_SYNTAX_LLVM, &insns, &cnt, err,
                    sizeof(err)) == 0);
    for (int checked = 0; checked < 2; checked++) {
        struct bpfvm_load_opts lo = {.sz = sizeof(lo), .prog_type = XDP, .errbuf = err,
                                     .errbuf_len = sizeof(err),
                                     .flags = checked ? BPFVM_LOAD_NO_VERIFY : 0};
        struct bpfvm_prog *p = NULL;
        CHECKF(bpfvm_prog_load(vm, insns, cnt, &lo, &p) == 0, "load: %s", err);
        if (!p)
            continue;
        uint8_t *buf = malloc(PKT_LEN);
        uint64_t *ctx = calloc(1, 40);
        memcpy(buf, pkt, PKT_LEN);
        ctx[0] = ctx[2] = (uintptr_t)buf;
        ctx[1] = (uintptr_t)(buf + PKT_LEN);
        struct bpfvm_exec_opts o = {.sz = sizeof(o), .mem = buf, .mem_size = PKT_LEN,
                                    .mem_writable = true, .ctx = ctx, .ctx_size = 40};
        o.args[0] = (uintptr_t)ctx;
        uint64_t r0 = 0;
        CHECK(bpfvm_prog_exec(p, &o, &r0) == 0 && r0 == EINVAL_);
        free(ctx);
        free(buf);
        bpfvm_prog_free(p);
    }
    free(insns);
}

int main(void)
{
    vm = bpfvm_vm_new();
    if (!vm || bpfvm_vm_add_std_helpers(vm))
        return 1;
    make_pkt();
    test_xdp_adjust();
    test_xdp_bytes();
    test_xdp_forged_ctx();
    test_redirect();
    test_skb_load();
    test_skb_store();
    test_csum();
    test_pull();
    test_protos();
    test_foreign_ctx();
    bpfvm_vm_free(vm);
    return test_summary();
}
