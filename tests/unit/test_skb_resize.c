/* test_skb_resize.c - the skb resize helpers (src/helpers/packet_skb_resize.c) in typed test
 * runs, interpreter and JIT: the results the kernel gave (tests/kcompare compares them
 * directly), the verifier's invalidation of packet pointers after them, -ENOSPC from a short
 * data_out, and unverified programs that call them with wild arguments and contexts, or
 * move the packet around its buffer many times: errors, never a crash (ASan watches). */
#include "testlib.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpfvm/asm.h"
#include "bpfvm/vm.h"
#include "helpers/helpers.h"

#define TC BPFVM_PROG_TYPE_SCHED_CLS
#define SOCK BPFVM_PROG_TYPE_SOCKET_FILTER
#define PKT_LEN 74
#define ENOTSUPP_ 524

static struct bpfvm_vm *vm;
static uint8_t pkt[PKT_LEN];
static uint8_t out[20000];

/* Ethernet (IPv4) + 60 bytes 1, 2, 3... */
static void make_pkt(void)
{
    for (int i = 0; i < PKT_LEN; i++)
        pkt[i] = (uint8_t)(i + 1);
    pkt[12] = 0x08;
    pkt[13] = 0x00;
    pkt[14] = 0x45;
}

static struct bpfvm_prog *load(const char *text, int type, bool checked)
{
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .prog_type = type,
                                 .flags = checked ? BPFVM_LOAD_NO_VERIFY | BPFVM_LOAD_CHECKED : 0};
    struct bpfvm_prog *p = NULL;
    return test_asm_load(vm, text, &lo, &p) ? NULL : p;
}

/* run on `engine`; r0, data_size_out; returns the test run's result */
static int run(struct bpfvm_prog *p, enum bpfvm_engine engine, uint32_t out_cap, uint64_t *r0,
               uint32_t *len)
{
    char err[256] = "";
    struct bpfvm_test_run_opts t = {.sz = sizeof(t), .data_in = pkt, .data_size_in = PKT_LEN,
                                    .data_out = out, .data_size_out = out_cap, .engine = engine,
                                    .errbuf = err, .errbuf_len = sizeof(err)};
    int rc = bpfvm_prog_test_run(p, &t);
    *r0 = t.retval;
    *len = t.data_size_out;
    return rc;
}

/* A program on both engines, verified and checked: r0 and the output length. */
static void expect(const char *name, const char *text, uint64_t want, uint32_t want_len)
{
    static const enum bpfvm_engine engines[] = {BPFVM_ENGINE_INTERP, BPFVM_ENGINE_JIT};
    for (int checked = 0; checked < 2; checked++) {
        struct bpfvm_prog *p = load(text, TC, checked);
        CHECKF(p != NULL, "%s: load (%s)", name, checked ? "checked" : "verified");
        for (int e = 0; p && e < 2; e++) {
            uint64_t r0 = 0;
            uint32_t len = 0;
            int rc = run(p, engines[e], sizeof(out), &r0, &len);
            CHECKF(rc == 0 && r0 == want && len == want_len,
                   "%s (%s, %s): rc %d r0 %lld want %lld, len %u want %u", name,
                   e ? "jit" : "interp", checked ? "checked" : "verified", rc, (long long)r0,
                   (long long)want, len, want_len);
        }
        bpfvm_prog_free(p);
    }
}

/* values measured on Linux 6.18 (see docs/kcompare.md) */
static void test_results(void)
{
    expect("change_tail grows, zeroed", "r2 = 100\n r3 = 0\n call 38\n exit\n", 0, 100);
    CHECK(out[73] == 74 && out[74] == 0 && out[99] == 0);
    expect("change_tail to the 16064 maximum", "r2 = 16064\n r3 = 0\n call 38\n exit\n", 0, 16064);
    expect("change_tail past it", "r2 = 16065\n r3 = 0\n call 38\n exit\n", (uint64_t)-EINVAL,
           PKT_LEN);
    expect("change_tail below the network header", "r2 = 13\n r3 = 0\n call 38\n exit\n",
           (uint64_t)-EINVAL, PKT_LEN);
    expect("change_tail flags", "r2 = 80\n r3 = 1\n call 38\n exit\n", (uint64_t)-EINVAL, PKT_LEN);
    expect("change_head", "r2 = 10\n r3 = 0\n call 43\n exit\n", 0, PKT_LEN + 10);
    CHECK(out[0] == 0 && out[9] == 0 && out[10] == 1);
    expect("change_head past the headroom, twice",
           "r6 = r1\n r2 = 3000\n r3 = 0\n call 43\n r1 = r6\n r2 = 3000\n r3 = 0\n call 43\n exit\n",
           0, PKT_LEN + 6000);
    expect("change_head to the maximum", "r2 = 15990\n r3 = 0\n call 43\n exit\n", 0, 16064);
    expect("change_head past it", "r2 = 15991\n r3 = 0\n call 43\n exit\n", (uint64_t)-EINVAL,
           PKT_LEN);
    expect("adjust_room NET grows after the IPv4 header",
           "r2 = 8\n r3 = 0\n r4 = 0\n call 50\n exit\n", 0, PKT_LEN + 8);
    CHECK(out[33] == 34 && out[34] == 0 && out[41] == 0 && out[42] == 35);
    expect("adjust_room MAC shrinks after the Ethernet header",
           "r2 = -8\n r3 = 1\n r4 = 0\n call 50\n exit\n", 0, PKT_LEN - 8);
    CHECK(out[13] == 0 && out[14] == 23);
    expect("adjust_room keeps 20 bytes of IPv4", "r2 = -41\n r3 = 1\n r4 = 0\n call 50\n exit\n",
           (uint64_t)-ENOTSUPP_, PKT_LEN);
    expect("adjust_room |diff| > 0xfff", "r2 = 4096\n r3 = 0\n r4 = 0\n call 50\n exit\n",
           (uint64_t)-EFAULT, PKT_LEN);
    expect("adjust_room unknown mode", "r2 = 8\n r3 = 2\n r4 = 0\n call 50\n exit\n",
           (uint64_t)-ENOTSUPP_, PKT_LEN);
    expect("adjust_room encapsulates once",
           "r6 = r1\n r2 = 8\n r3 = 0\n r4 = 2\n call 50\n r1 = r6\n r2 = 8\n r3 = 0\n r4 = 2\n"
           "call 50\n exit\n", (uint64_t)-EALREADY, PKT_LEN + 8);
    expect("adjust_room ENCAP_L3_IPV6 sets skb->protocol",
           "r6 = r1\n r2 = 8\n r3 = 0\n r4 = 4\n call 50\n r0 = *(u32 *)(r6 + 16)\n exit\n", 0xdd86,
           PKT_LEN + 8);
    expect("change_tail after an encapsulation",
           "r6 = r1\n r2 = 8\n r3 = 0\n r4 = 2\n call 50\n r1 = r6\n r2 = 40\n r3 = 0\n call 38\n"
           "exit\n", (uint64_t)-ENOTSUPP_, PKT_LEN + 8);
    /* skb->len and the packet pointers follow; direct access after reloading them */
    expect("len and data_end after change_tail",
           "r6 = r1\n r2 = 200\n r3 = 0\n call 38\n r2 = *(u32 *)(r6 + 76)\n"
           "r3 = *(u32 *)(r6 + 80)\n r4 = r2\n r4 += 200\n if r4 > r3 goto bad\n"
           "r5 = 0x77\n *(u8 *)(r2 + 199) = r5\n r0 = *(u32 *)(r6 + 0)\n exit\nbad: r0 = 1\n exit\n",
           200, 200);
    CHECK(out[199] == 0x77);
}

/* The verifier forgets packet pointers across the helpers (HELPER_F_CHANGES_PKT). */
static void test_invalidation(void)
{
    static const char *const calls[] = {
        "r2 = 100\n r3 = 0\n call 38\n",
        "r2 = 10\n r3 = 0\n call 43\n",
        "r2 = 8\n r3 = 0\n r4 = 0\n call 50\n",
    };
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "r6 = r1\n r7 = *(u32 *)(r6 + 76)\n r8 = *(u32 *)(r6 + 80)\n r2 = r7\n r2 += 14\n"
                 "if r2 > r8 goto out\n r1 = r6\n %s r0 = *(u8 *)(r7 + 0)\n exit\n"
                 "out: r0 = 0\n exit\n", calls[i]);
        struct bpfvm_prog *p = load(text, TC, false);
        CHECKF(p == NULL, "packet pointer kept across helper call %zu", i);
        bpfvm_prog_free(p);
    }
}

/* A grown packet and a short data_out: -ENOSPC, what fits copied, the full length, r0. */
static void test_enospc(void)
{
    struct bpfvm_prog *p = load("r2 = 200\n r3 = 0\n call 38\n r0 = 7\n exit\n", TC, false);
    CHECK(p != NULL);
    if (!p)
        return;
    memset(out, 0xcc, 200);
    uint64_t r0 = 0;
    uint32_t len = 0;
    CHECK(run(p, BPFVM_ENGINE_INTERP, 100, &r0, &len) == -ENOSPC);
    CHECK(r0 == 7 && len == 200 && out[73] == 74 && out[99] == 0 && out[100] == 0xcc);
    CHECK(run(p, BPFVM_ENGINE_INTERP, 200, &r0, &len) == 0 && len == 200);
    bpfvm_prog_free(p);
}

/* Unverified programs: every helper with wild lengths, modes, flags and contexts. */
static void test_hostile(void)
{
    static const char *const ctxs[] = {"r1 = r6", "r1 = r6\n r1 += 8", "r1 = 0", "r1 = r10",
                                       "r1 = r6\n r1 += 224"};
    static const char *const vals[] = {"0", "1", "-1", "13", "14", "65", "66", "4095", "-4095",
                                       "16064", "16065", "0x7fffffff", "-0x80000000",
                                       "0xffffffffffffffff ll", "0x80000000000000ff ll",
                                       "0x0e00000000000042 ll"};
    static const int ids[] = {38, 43, 50};
    size_t nv = sizeof(vals) / sizeof(vals[0]);
    unsigned runs = 0;
    for (size_t c = 0; c < sizeof(ctxs) / sizeof(ctxs[0]); c++)
        for (size_t h = 0; h < 3; h++)
            for (size_t a = 0; a < nv; a++)
                for (size_t b = 0; b < nv; b += 3) {
                    char text[512];
                    snprintf(text, sizeof(text),
                             "r6 = r1\n %s\n r2 = %s\n r3 = %s\n r4 = %s\n call %d\n r7 = r0\n"
                             "r1 = r6\n r2 = %s\n r3 = %s\n r4 = 0\n call %d\n exit\n",
                             ctxs[c], vals[a], vals[b], vals[(a + b) % nv], ids[h], vals[b],
                             vals[a % 4], ids[(h + 1) % 3]);
                    struct bpfvm_prog *p = load(text, TC, true);
                    CHECKF(p != NULL, "hostile load: %s", text);
                    uint64_t r0 = 0;
                    uint32_t len = 0;
                    if (p && run(p, (a + b) & 1 ? BPFVM_ENGINE_JIT : BPFVM_ENGINE_INTERP,
                                 sizeof(out), &r0, &len) == 0)
                        runs++;
                    CHECKF(len <= 16064 + PKT_LEN, "length %u", len);
                    bpfvm_prog_free(p);
                }
    CHECKF(runs > 0, "%u hostile runs", runs);
    /* the context's packet slots forged through an alias, then the helpers: they use the
     * run's own state and refresh the slots */
    struct bpfvm_prog *p =
        load("r6 = r1\n r2 = r1\n r2 += 192\n r3 = r10\n *(u64 *)(r2 + 0) = r3\n"
             "*(u64 *)(r2 + 8) = r3\n r1 = r6\n r2 = 100\n r3 = 0\n call 38\n exit\n", TC, true);
    uint64_t r0 = 1;
    uint32_t len = 0;
    CHECK(p && run(p, BPFVM_ENGINE_JIT, sizeof(out), &r0, &len) == 0 && r0 == 0 && len == 100);
    bpfvm_prog_free(p);
    /* socket filters (l3 data) are refused, even unverified */
    p = load("r2 = 100\n r3 = 0\n call 38\n exit\n", SOCK, true);
    CHECK(p && run(p, BPFVM_ENGINE_INTERP, sizeof(out), &r0, &len) == 0 &&
          r0 == (uint64_t)-EINVAL);
    bpfvm_prog_free(p);
}

/* Moving the packet around its buffer: grow at the head past the headroom and shrink the
 * tail, over and over (bpf_loop-free: an unrolled chain), then adjust_room both ways. */
static void test_churn(void)
{
    char text[16384];
    size_t n = (size_t)snprintf(text, sizeof(text), "r6 = r1\n");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "r1 = r6\n r2 = %d\n r3 = 0\n call 43\n r1 = r6\n r2 = %d\n r3 = 0\n"
                              "call 38\n r1 = r6\n r2 = %d\n r3 = %d\n r4 = 0\n call 50\n",
                              1000 + 300 * i, 60 + i, (i & 1) ? 4000 : -10, i & 1);
    snprintf(text + n, sizeof(text) - n, "r0 = *(u32 *)(r6 + 0)\n exit\n");
    for (int checked = 0; checked < 2; checked++) {
        struct bpfvm_prog *p = load(text, TC, checked);
        CHECK(p != NULL);
        uint64_t r0 = 0;
        uint32_t len = 0;
        CHECK(p && run(p, BPFVM_ENGINE_JIT, sizeof(out), &r0, &len) == 0 && r0 == len);
        bpfvm_prog_free(p);
    }
}

static void test_protos(void)
{
    static const uint32_t ids[] = {38, 43, 50};
    for (size_t i = 0; i < 3; i++) {
        const struct helper_proto *p = helper_proto_get(ids[i]);
        CHECKF(p && (p->flags & HELPER_F_CHANGES_PKT), "helper %u changes the packet", ids[i]);
        CHECKF(p && helper_allowed_in(p, TC) && helper_allowed_in(p, BPFVM_PROG_TYPE_SCHED_ACT) &&
                   !helper_allowed_in(p, SOCK) && !helper_allowed_in(p, BPFVM_PROG_TYPE_CGROUP_SKB) &&
                   !helper_allowed_in(p, BPFVM_PROG_TYPE_XDP),
               "helper %u program types", ids[i]);
    }
}

int main(void)
{
    vm = bpfvm_vm_new();
    if (!vm || bpfvm_vm_add_std_helpers(vm))
        return 1;
    make_pkt();
    test_results();
    test_invalidation();
    test_enospc();
    test_hostile();
    test_churn();
    test_protos();
    bpfvm_vm_free(vm);
    return test_summary();
}
