/* test_progtype.c - typed programs run in bpfvm and in the kernel: the same instructions,
 * packet and ctx_in must give the same return value, data_out and ctx_out; programs that
 * access the context in a way the type forbids are rejected by both. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvm/bpfvm.h"
#include "bpfvm/progtype.h"
#include "bpfvm/helpers.h"
#include "kdiff/kernel.h"
#include "testlib.h"

struct typed_case {
    const char *name;
    int type;
    const char *text;   /* kernel-syntax assembly */
    int pkt;            /* which packet: 0 tcp/22, 1 udp/53, 2 short (14 bytes) */
    int ctx;            /* 0 none, 1 __sk_buff with mark/priority/cb set, 2 xdp_md */
    int reject;         /* both must refuse to load */
};

static const struct typed_case cases[] = {
    {"tc drop tcp 22 (direct packet access)", BPFVM_PROG_TYPE_SCHED_CLS,
     "r2 = *(u32 *)(r1 + 76)\n r3 = *(u32 *)(r1 + 80)\n r4 = r2\n r4 += 54\n"
     " if r4 > r3 goto pass\n r5 = *(u16 *)(r2 + 12)\n if r5 != 0x8 goto pass\n"
     " r5 = *(u8 *)(r2 + 23)\n if r5 != 6 goto pass\n r5 = *(u16 *)(r2 + 36)\n"
     " if r5 != 0x1600 goto pass\n r0 = 2\n exit\npass:\n r0 = 0\n exit\n", 0, 0, 0},
    {"tc same on udp", BPFVM_PROG_TYPE_SCHED_CLS,
     "r2 = *(u32 *)(r1 + 76)\n r3 = *(u32 *)(r1 + 80)\n r4 = r2\n r4 += 54\n"
     " if r4 > r3 goto pass\n r5 = *(u8 *)(r2 + 23)\n if r5 != 6 goto pass\n r0 = 2\n exit\n"
     "pass:\n r0 = 0\n exit\n", 1, 0, 0},
    {"tc scalar fields", BPFVM_PROG_TYPE_SCHED_CLS,
     "r0 = *(u32 *)(r1 + 0)\n r2 = *(u32 *)(r1 + 16)\n r0 <<= 16\n r0 += r2\n"
     " r2 = *(u32 *)(r1 + 4)\n r0 <<= 4\n r0 += r2\n r2 = *(u32 *)(r1 + 40)\n r0 <<= 4\n"
     " r0 += r2\n r2 = *(u32 *)(r1 + 8)\n r0 += r2\n r2 = *(u32 *)(r1 + 32)\n r0 += r2\n"
     " r2 = *(u32 *)(r1 + 48)\n r0 += r2\n r2 = *(u32 *)(r1 + 160)\n r0 += r2\n exit\n", 0, 1, 0},
    {"tc narrow load of protocol", BPFVM_PROG_TYPE_SCHED_CLS,
     "r0 = *(u16 *)(r1 + 16)\n r2 = *(u8 *)(r1 + 0)\n r0 += r2\n exit\n", 1, 0, 0},
    {"tc writes mark, priority, cb and the packet", BPFVM_PROG_TYPE_SCHED_CLS,
     "r2 = 77\n *(u32 *)(r1 + 8) = r2\n *(u32 *)(r1 + 32) = 5\n *(u32 *)(r1 + 64) = 9\n"
     " r2 = *(u32 *)(r1 + 76)\n r3 = *(u32 *)(r1 + 80)\n r4 = r2\n r4 += 20\n"
     " if r4 > r3 goto out\n r5 = 0xab\n *(u8 *)(r2 + 19) = r5\nout:\n r0 = 0\n exit\n", 0, 1, 0},
    {"tc ctx pointer copied to r6 and across a call", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = r1\n call f\n r2 = *(u32 *)(r6 + 0)\n r0 += r2\n exit\nf:\n r0 = *(u32 *)(r1 + 16)\n exit\n", 1, 0, 0},
    {"tc write to read-only len", BPFVM_PROG_TYPE_SCHED_CLS, "*(u32 *)(r1 + 0) = 1\n r0 = 0\n exit\n", 0, 0, 1},
    {"tc read past the context", BPFVM_PROG_TYPE_SCHED_CLS, "r0 = *(u32 *)(r1 + 192)\n exit\n", 0, 0, 1},
    {"socket filter ld_abs and len", BPFVM_PROG_TYPE_SOCKET_FILTER,
     "r6 = r1\n r0 = *(u8 *)skb[9]\n r7 = r0\n r0 = *(u16 *)skb[2]\n r7 <<= 16\n r7 += r0\n"
     " r2 = *(u32 *)(r6 + 0)\n r7 += r2\n r0 = r7\n exit\n", 0, 0, 0},
    {"socket filter ld_abs out of bounds", BPFVM_PROG_TYPE_SOCKET_FILTER,
     "r6 = r1\n r0 = *(u32 *)skb[1000]\n r0 = 5\n exit\n", 0, 0, 0},
    {"socket filter cannot read skb->data", BPFVM_PROG_TYPE_SOCKET_FILTER,
     "r0 = *(u32 *)(r1 + 76)\n exit\n", 0, 0, 1},
    {"socket filter writes cb", BPFVM_PROG_TYPE_SOCKET_FILTER,
     "*(u32 *)(r1 + 48) = 3\n r0 = *(u32 *)(r1 + 48)\n exit\n", 1, 1, 0},
    {"xdp swap macs and XDP_TX", BPFVM_PROG_TYPE_XDP,
     "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n r4 = r2\n r4 += 14\n if r4 > r3 goto drop\n"
     " r5 = *(u32 *)(r2 + 0)\n r6 = *(u32 *)(r2 + 6)\n *(u32 *)(r2 + 0) = r6\n *(u32 *)(r2 + 6) = r5\n"
     " r5 = *(u16 *)(r2 + 4)\n r6 = *(u16 *)(r2 + 10)\n *(u16 *)(r2 + 4) = r6\n *(u16 *)(r2 + 10) = r5\n"
     " r0 = 3\n exit\ndrop:\n r0 = 1\n exit\n", 0, 0, 0},
    {"xdp length and ingress fields", BPFVM_PROG_TYPE_XDP,
     "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n r0 = r3\n r0 -= r2\n r2 = *(u32 *)(r1 + 12)\n"
     " r0 <<= 8\n r0 += r2\n r2 = *(u32 *)(r1 + 16)\n r0 += r2\n exit\n", 1, 2, 0},
    {"xdp metadata before data (ctx_in data = 8)", BPFVM_PROG_TYPE_XDP,
     "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n r4 = *(u32 *)(r1 + 8)\n r0 = r3\n r0 -= r2\n"
     " r0 <<= 16\n r5 = r2\n r5 -= r4\n r0 += r5\n r5 = r4\n r5 += 4\n if r5 > r2 goto out\n"
     " r5 = *(u32 *)(r4 + 0)\n r0 += r5\nout:\n exit\n", 0, 3, 0},
    {"xdp short packet bounds", BPFVM_PROG_TYPE_XDP,
     "r2 = *(u32 *)(r1 + 0)\n r3 = *(u32 *)(r1 + 4)\n r4 = r2\n r4 += 34\n r0 = 2\n"
     " if r4 > r3 goto out\n r0 = *(u8 *)(r2 + 23)\nout:\n exit\n", 2, 0, 0},
    {"xdp write to data is refused", BPFVM_PROG_TYPE_XDP, "*(u32 *)(r1 + 0) = 0\n r0 = 0\n exit\n", 0, 0, 1},
    {"tc csum_diff from 0 stack bytes to 20 packet bytes at 14, seed 0x1234", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 34\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = 0\n r2 = 0\n r3 = r6\n r3 += 14\n r4 = 20\n r5 = 4660 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 8 stack bytes to 8 packet bytes at 34, seed 0x0", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 42\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = r10\n r1 += -16\n r2 = 8\n r3 = r6\n r3 += 34\n r4 = 8\n r5 = 0 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 0 stack bytes to 6 packet bytes at 0, seed 0x0", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 6\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = 0\n r2 = 0\n r3 = r6\n r3 += 0\n r4 = 6\n r5 = 0 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 3 stack bytes to 5 packet bytes at 20, seed 0x7", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 25\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = r10\n r1 += -16\n r2 = 3\n r3 = r6\n r3 += 20\n r4 = 5\n r5 = 7 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 16 stack bytes to 0 packet bytes at 0, seed 0x55aa", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 0\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = r10\n r1 += -16\n r2 = 16\n r3 = r6\n r3 += 0\n r4 = 0\n r5 = 21930 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 0 stack bytes to 64 packet bytes at 0, seed 0xffffffff", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 64\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = 0\n r2 = 0\n r3 = r6\n r3 += 0\n r4 = 64\n r5 = 4294967295 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 12 stack bytes to 40 packet bytes at 14, seed 0x0", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 54\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = r10\n r1 += -16\n r2 = 12\n r3 = r6\n r3 += 14\n r4 = 40\n r5 = 0 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 5 stack bytes to 0 packet bytes at 0, seed 0x0", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 0\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = r10\n r1 += -16\n r2 = 5\n r3 = r6\n r3 += 0\n r4 = 0\n r5 = 0 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 0 stack bytes to 1 packet bytes at 9, seed 0x0", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 10\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = 0\n r2 = 0\n r3 = r6\n r3 += 9\n r4 = 1\n r5 = 0 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"tc csum_diff from 8 stack bytes to 8 packet bytes at 0, seed 0x10000", BPFVM_PROG_TYPE_SCHED_CLS,
     "r6 = *(u32 *)(r1 + 76)\n r7 = *(u32 *)(r1 + 80)\n r4 = r6\n r4 += 8\n r0 = 0\n if r4 > r7 goto out\n r2 = 0x0a0bfc0d\n *(u32 *)(r10 - 16) = r2\n r2 = -1\n *(u32 *)(r10 - 12) = r2\n r2 = 0x00ff1234\n *(u32 *)(r10 - 8) = r2\n r2 = 0x7f00ff01\n *(u32 *)(r10 - 4) = r2\n r1 = r10\n r1 += -16\n r2 = 8\n r3 = r6\n r3 += 0\n r4 = 8\n r5 = 65536 ll\n call 28\nout:\n exit\n", 0, 0, 0},
    {"cgroup_skb reads len", BPFVM_PROG_TYPE_CGROUP_SKB,
     "r0 = *(u32 *)(r1 + 0)\n r0 &= 1\n exit\n", 0, 0, 0},
};

static void make_packet(int which, uint8_t *p, uint32_t *len)
{
    static const uint8_t eth[] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x02, 0x66, 0x77, 0x88, 0x99, 0xaa, 0x08, 0x00};
    memset(p, 0, 128);
    memcpy(p, eth, 14);
    if (which == 2) {
        *len = 14;
        return;
    }
    uint8_t ip[20] = {0x45, 0, 0, 60, 0, 1, 0, 0, 64, which ? 17 : 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    memcpy(p + 14, ip, 20);
    p[34] = 0x30, p[35] = 0x39;               /* sport 12345 */
    p[36] = 0, p[37] = which ? 53 : 22;        /* dport */
    for (int i = 38; i < 74; i++)
        p[i] = (uint8_t)(i * 7);
    *len = 74;
}

static void make_ctx(int which, uint8_t *ctx, uint32_t *len)
{
    memset(ctx, 0, 192);
    *len = 0;
    if (which == 1) { /* __sk_buff: mark, priority, cb[0] */
        uint32_t v[3] = {0x1234, 7, 0xabcdef};
        memcpy(ctx + 8, &v[0], 4);
        memcpy(ctx + 32, &v[1], 4);
        memcpy(ctx + 48, &v[2], 4);
        *len = 192;
    } else if (which == 2) { /* xdp_md: ingress_ifindex = 1 (lo), rx_queue_index = 0 */
        uint32_t v[6] = {0, 74, 0, 1, 0, 0};
        memcpy(ctx, v, 24);
        *len = 24;
    } else if (which == 3) { /* xdp_md: 8 bytes of metadata, packet up to byte 60 */
        uint32_t v[6] = {8, 60, 0, 0, 0, 0};
        memcpy(ctx, v, 24);
        *len = 24;
    }
}

int main(void)
{
    char why[256];
    if (kdiff_kernel_probe(why, sizeof(why))) {
        printf("SKIP: kernel bpf() unavailable: %s\n", why);
        return 77;
    }
    struct bpfvm_vm *vm = bpfvm_vm_new();
    bpfvm_vm_add_std_helpers(vm);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct typed_case *c = &cases[i];
        struct bpfvm_insn *insns = NULL;
        size_t cnt = 0;
        char err[512] = "";
        if (bpfvm_asm(c->text, BPFVM_SYNTAX_LLVM, &insns, &cnt, err, sizeof(err))) {
            CHECKF(0, "%s: assembler: %s", c->name, err);
            continue;
        }
        char klog[4096];
        int fd = kdiff_kernel_load_type((uint32_t)c->type, insns, cnt, klog, sizeof(klog));
        for (int e = 0; e < 2; e++) {
            struct bpfvm_prog *prog = NULL;
            struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = e ? BPFVM_LOAD_CHECKED : 0,
                                         .prog_type = c->type, .errbuf = err, .errbuf_len = sizeof(err)};
            int rc = bpfvm_prog_load(vm, insns, cnt, &lo, &prog);
            if (c->reject) {
                CHECKF(fd < 0, "%s: the kernel accepted it", c->name);
                CHECKF(rc != 0, "%s: bpfvm accepted it", c->name);
                bpfvm_prog_free(prog);
                continue;
            }
            CHECKF(fd >= 0, "%s: kernel rejected: %.300s", c->name, klog);
            CHECKF(rc == 0, "%s: bpfvm rejected: %s", c->name, err);
            if (fd < 0 || rc)
                continue;
            uint8_t pkt[128], kout[512], bout[512], kctx[192], bctx[192], ctx_in[192];
            uint32_t len, klen = sizeof(kout), ctx_len, kret = 0;
            make_packet(c->pkt, pkt, &len);
            make_ctx(c->ctx, ctx_in, &ctx_len);
            struct kdiff_ctx kc = {ctx_len ? ctx_in : NULL, ctx_len, kctx, sizeof(kctx)};
            memset(kctx, 0, sizeof(kctx));
            int krc = kdiff_kernel_run_ctx(fd, pkt, len, kout, &klen, ctx_len ? &kc : NULL, &kret);
            CHECKF(krc == 0, "%s: kernel test run failed: %s", c->name, strerror(-krc));
            struct bpfvm_test_run_opts t = {
                .sz = sizeof(t), .data_in = pkt, .data_size_in = len, .data_out = bout,
                .data_size_out = sizeof(bout), .ctx_in = ctx_len ? ctx_in : NULL, .ctx_size_in = ctx_len,
                .ctx_out = ctx_len ? bctx : NULL, .ctx_size_out = ctx_len ? sizeof(bctx) : 0,
                .engine = e ? BPFVM_ENGINE_INTERP : BPFVM_ENGINE_JIT, .errbuf = err, .errbuf_len = sizeof(err),
            };
            rc = bpfvm_prog_test_run(prog, &t);
            CHECKF(rc == 0, "%s: bpfvm test run: %s", c->name, err);
            if (!rc && !krc) {
                CHECKF((uint32_t)t.retval == kret, "%s: retval bpfvm %llu kernel %u", c->name,
                       (unsigned long long)t.retval, kret);
                CHECKF(t.data_size_out == klen && !memcmp(bout, kout, klen),
                       "%s: data_out differs (bpfvm %u bytes, kernel %u)", c->name, t.data_size_out, klen);
                if (ctx_len)
                    CHECKF(t.ctx_size_out == kc.out_len && !memcmp(bctx, kctx, kc.out_len),
                           "%s: ctx_out differs", c->name);
            }
            bpfvm_prog_free(prog);
        }
        if (fd >= 0)
            close(fd);
        free(insns);
    }
    bpfvm_vm_free(vm);
    return test_summary();
}
