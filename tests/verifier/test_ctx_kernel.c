/* test_ctx_kernel.c - every context access of every program type bpfvm knows, against the
 * running kernel's verifier: for each byte offset of the UAPI context, each size (1, 2, 4, 8)
 * and both a load and a store, a two-instruction program is loaded into the kernel and given
 * to bpfvm's verifier; the verdicts must agree.  This checks the progtype tables (which fields
 * exist, which are readable, writable, narrow) as a whole.  Exit 77 without bpf(). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bpfvm/progtype.h"
#include "bpfvm/verifier.h"
#include "testlib.h"
#include "vkernel.h"

static struct bpfvm_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    struct bpfvm_insn i;
    memset(&i, 0, sizeof(i));
    i.code = code;
    i.dst_reg = dst;
    i.src_reg = src;
    i.off = off;
    i.imm = imm;
    return i;
}

/* Fields Linux has and bpfvm deliberately does not show (offset ranges, per type). */
struct known {
    uint32_t type, lo, hi;
    const char *why;
};
static const struct known knowns[] = {
    {BPFVM_PROG_TYPE_SOCKET_FILTER, 168, 176, "skb->sk: bpfvm has no struct bpf_sock"},
    {BPFVM_PROG_TYPE_SCHED_CLS, 168, 176, "skb->sk: bpfvm has no struct bpf_sock"},
    {BPFVM_PROG_TYPE_SCHED_ACT, 168, 176, "skb->sk: bpfvm has no struct bpf_sock"},
    {BPFVM_PROG_TYPE_CGROUP_SKB, 168, 176, "skb->sk: bpfvm has no struct bpf_sock"},
    {0, 0, 0, NULL},
};

static const char *known_why(uint32_t type, uint32_t off)
{
    for (size_t i = 0; knowns[i].why; i++)
        if (knowns[i].type == type && off >= knowns[i].lo && off < knowns[i].hi)
            return knowns[i].why;
    return NULL;
}

int main(int argc, char **argv)
{
    int verbose = argc > 1 && !strcmp(argv[1], "-v");
    struct bpfvm_insn probe[2] = {insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)};
    int fd = vkernel_prog_load(1, probe, 2, NULL, 0, 0);
    if (fd < 0) {
        printf("skipped: the kernel refuses bpf() here\n");
        return 77;
    }
    close(fd);
    static const uint32_t types[] = {BPFVM_PROG_TYPE_SOCKET_FILTER, BPFVM_PROG_TYPE_SCHED_CLS,
                                     BPFVM_PROG_TYPE_SCHED_ACT, BPFVM_PROG_TYPE_XDP,
                                     BPFVM_PROG_TYPE_CGROUP_SKB};
    static const uint8_t sizes[] = {0x10 /* B */, 0x08 /* H */, 0x00 /* W */, 0x18 /* DW */};
    static char klog[1 << 14];
    int compared = 0, agree = 0, known = 0;
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        const struct bpfvm_ctx_desc *d = bpfvm_verify_ctx_desc(types[t]);
        CHECKF(d != NULL, "type %u has no context description", types[t]);
        if (!d)
            continue;
        for (uint32_t off = 0; off < d->size + 8; off++) {
            for (size_t s = 0; s < 4; s++) {
                for (int store = 0; store < 2; store++) {
                    struct bpfvm_insn p[3];
                    p[0] = insn(0xb7, 2, 0, 0, 0); /* r2 = 0 */
                    p[1] = store ? insn(0x63 | sizes[s], 1, 2, (int16_t)off, 0)  /* *(size *)(r1 + off) = r2 */
                                 : insn(0x61 | sizes[s], 0, 1, (int16_t)off, 0); /* r0 = *(size *)(r1 + off) */
                    struct bpfvm_insn prog[4] = {p[0], p[1], insn(0xb7, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 0)};
                    int kfd = vkernel_prog_load(types[t], prog, 4, klog, sizeof(klog), 1);
                    char kv = kfd >= 0 ? 'A' : 'R';
                    if (kfd >= 0)
                        close(kfd);
                    char err[256] = "";
                    struct bpfvm_verify_opts o;
                    memset(&o, 0, sizeof(o));
                    o.sz = sizeof(o);
                    o.prog_type = types[t];
                    o.errbuf = err;
                    o.errbuf_len = sizeof(err);
                    int rc = bpfvm_verify(prog, 4, &o);
                    char bv = rc ? 'R' : 'A';
                    compared++;
                    if (kv == bv) {
                        agree++;
                        continue;
                    }
                    const char *why = known_why(types[t], off);
                    if (why) {
                        known++;
                        continue;
                    }
                    int bytes = 1 << s;
                    CHECKF(0, "%s %s %d bytes at %u: kernel %c, bpfvm %c (%s)%s%s",
                           bpfvm_prog_type_name((enum bpfvm_prog_type)types[t]), store ? "store" : "load",
                           bytes, off, kv, bv, rc ? err : "accepted", verbose ? "\n  kernel: " : "",
                           verbose ? klog : "");
                }
            }
        }
    }
    printf("context accesses: %d compared, %d agree, %d known differences\n", compared, agree, known);
    return test_summary();
}
