/* test_cbpf_text.c - classic BPF text formats and checker: the -d listing against libpcap's
 * bpf_image for every opcode; -d/-dd/-ddd against tcpdump itself (skipped when tcpdump is not
 * installed); round trips through every format; bpf_asm syntax; xt_bpf/tc bytecode strings;
 * the checker's rules; Linux ancillary loads on the eBPF engine against the interpreter. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <unistd.h>
#include "bpfvm/cbpf.h"
#include "bpfvm/vm.h"
#include "pktgen.h"
#include "testlib.h"

static const char *const exprs[] = {
    "tcp dst port 22", "ip", "vlan and tcp", "ip6 and udp port 53", "icmp or arp",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "ether host 00:11:22:33:44:55",
    "net 10.0.0.0/8 and not port 22", "len > 100", "ip[8] / (ip[1] & 3) > 10",
    "ip6 protochain 6", "portrange 1000-2000", "ip[6:2] & 0x1fff != 0", "",
};

static void compile(const char *e, int dlt, struct bpfvm_cbpf_insn **out, size_t *cnt)
{
    pcap_t *pc = pcap_open_dead(dlt, 262144);
    struct bpf_program fp;
    *out = NULL;
    *cnt = 0;
    if (pcap_compile(pc, &fp, e, 1, PCAP_NETMASK_UNKNOWN) == 0) {
        *out = malloc(fp.bf_len * sizeof(**out));
        memcpy(*out, fp.bf_insns, fp.bf_len * sizeof(**out));
        *cnt = fp.bf_len;
        pcap_freecode(&fp);
    }
    pcap_close(pc);
}

static void test_image(void)
{
    int bad = 0;
    uint32_t rs = 5;
    for (unsigned code = 0; code < 0x100; code++)
        for (int j = 0; j < 12; j++) {
            uint32_t k = j < 4 ? (uint32_t)j * 7 : j < 6 ? 0xfffff000u + (uint32_t)(j - 4) * 4 :
                                                           pktgen_rand(&rs);
            if (j == 11)
                k = 0xfffff000u + (pktgen_rand(&rs) % 80);
            struct bpf_insn bi = {(u_short)code, (u_char)pktgen_rand(&rs), (u_char)pktgen_rand(&rs), k};
            char mine[128];
            bpfvm_cbpf_image((struct bpfvm_cbpf_insn *)&bi, j * 37, mine, sizeof mine);
            const char *theirs = bpf_image(&bi, j * 37);
            if (strcmp(mine, theirs) && bad++ < 5)
                CHECKF(0, "code 0x%x k 0x%x: '%s' != '%s'", code, k, mine, theirs);
        }
    CHECKF(bad == 0, "%d bpf_image differences", bad);
}

static char *run_cmd(const char *cmd)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    size_t r;
    while ((r = fread(s + n, 1, cap - n - 1, f)) > 0)
        n += r;
    s[n] = 0;
    if (pclose(f) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static void test_tcpdump(void)
{
    if (system("tcpdump --version >/dev/null 2>&1") != 0) {
        printf("SKIP: tcpdump not installed, -d/-dd/-ddd not compared with it\n");
        return;
    }
    static const char *const flags[3] = {"-d", "-dd", "-ddd"};
    static const enum bpfvm_cbpf_format fmts[3] = {BPFVM_CBPF_FMT_IMAGE, BPFVM_CBPF_FMT_C,
                                                   BPFVM_CBPF_FMT_DECIMAL};
    static const struct { const char *y; int dlt; } links[] = {
        {"EN10MB", DLT_EN10MB}, {"RAW", DLT_RAW}, {"LINUX_SLL", DLT_LINUX_SLL}};
    int compared = 0;
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
            if (l && i > 4)
                break;
            struct bpfvm_cbpf_insn *p;
            size_t n;
            compile(exprs[i], links[l].dlt, &p, &n);
            if (!p)
                continue;
            for (int f = 0; f < 3; f++) {
                char cmd[512];
                snprintf(cmd, sizeof cmd, "tcpdump -y %s %s '%s' 2>/dev/null", links[l].y,
                         flags[f], exprs[i]);
                char *want = run_cmd(cmd), *got = NULL;
                CHECKF(want != NULL, "%s failed", cmd);
                CHECK(bpfvm_cbpf_format(p, n, fmts[f], &got) == 0);
                if (want && got) {
                    CHECKF(strcmp(want, got) == 0, "%s differs:\n%s---\n%s", cmd, want, got);
                    compared++;
                }
                free(want);
                free(got);
            }
            free(p);
        }
    printf("compared %d listings with tcpdump\n", compared);
}

/* equal as programs: jt/jf only matter for conditional jumps (listings drop the others) */
static int same_prog(const struct bpfvm_cbpf_insn *a, const struct bpfvm_cbpf_insn *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int cj = (a[i].code & 7) == 5 && (a[i].code & 0xf0) != 0;
        uint16_t c = a[i].code;
        int no_k = (c & 7) == 7 || c == 0x84 || c == 0x16 || c == 0x80 || c == 0x81 ||
                   (((c & 7) == 4 || (c & 7) == 5) && (c & 8));
        if (a[i].code != b[i].code || (!no_k && a[i].k != b[i].k) ||
            (cj && (a[i].jt != b[i].jt || a[i].jf != b[i].jf)))
            return 0;
    }
    return 1;
}

static void roundtrip(const struct bpfvm_cbpf_insn *p, size_t n, const char *what)
{
    static const enum bpfvm_cbpf_format fmts[5] = {BPFVM_CBPF_FMT_IMAGE, BPFVM_CBPF_FMT_C,
                                                   BPFVM_CBPF_FMT_DECIMAL,
                                                   BPFVM_CBPF_FMT_BYTECODE, BPFVM_CBPF_FMT_ASM};
    for (int f = 0; f < 5; f++) {
        char *s = NULL, msg[256] = "";
        struct bpfvm_cbpf_insn *q = NULL;
        size_t m = 0;
        CHECK(bpfvm_cbpf_format(p, n, fmts[f], &s) == 0);
        int err = bpfvm_cbpf_parse(s, BPFVM_CBPF_FMT_AUTO, &q, &m, msg, sizeof msg);
        CHECKF(err == 0 && m == n && same_prog(p, q, n),
               "%s: format %d round trip failed (%s)\n%s", what, f + 1, msg, s);
        free(s);
        free(q);
    }
}

static void test_roundtrips(void)
{
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        struct bpfvm_cbpf_insn *p;
        size_t n;
        compile(exprs[i], DLT_EN10MB, &p, &n);
        CHECKF(p != NULL, "compile %s", exprs[i]);
        if (p)
            roundtrip(p, n, exprs[i]);
        free(p);
    }
    /* every valid opcode, including Linux extensions */
    struct bpfvm_cbpf_insn all[] = {
        {0x20, 0, 0, 0xfffff000}, {0x28, 0, 0, 0xfffff004}, {0x30, 0, 0, 0xfffff03c},
        {0x80, 0, 0, 0}, {0x81, 0, 0, 0}, {0x00, 0, 0, 7}, {0x01, 0, 0, 0xffffffff},
        {0x40, 0, 0, 3}, {0x48, 0, 0, 0xfffffffc}, {0x50, 0, 0, 1}, {0xb1, 0, 0, 14},
        {0x02, 0, 0, 1}, {0x03, 0, 0, 15}, {0x60, 0, 0, 1}, {0x61, 0, 0, 15}, {0x84, 0, 0, 0},
        {0x04, 0, 0, 1}, {0x0c, 0, 0, 0}, {0x94, 0, 0, 9}, {0xac, 0, 0, 0}, {0x07, 0, 0, 0},
        {0x87, 0, 0, 0}, {0x05, 0, 0, 1}, {0x15, 0, 1, 5}, {0x4d, 2, 0, 0}, {0x35, 0, 0, 0},
        {0x16, 0, 0, 0}, {0x06, 0, 0, 0xffffffff},
    };
    roundtrip(all, sizeof all / sizeof all[0], "all opcodes");
    char msg[256];
    CHECKF(bpfvm_cbpf_check(all, sizeof all / sizeof all[0], BPFVM_CBPF_LINUX, msg, sizeof msg) == 0,
           "%s", msg);
}

static void test_asm(void)
{
    const char *src =
        "; bpf_asm with every addressing mode\n"
        "start:  ldh [12]          ; ethertype\n"
        "        jne #0x800, drop\n"
        "        ldb [23]\n"
        "        jeq #6, tcp, drop\n"
        "tcp:    ldx 4*([14]&0xf)\n"
        "        ldh [x + 16]\n"
        "        jlt #1024, drop\n"
        "        ld proto\n"
        "        ld #len\n"
        "        ldx #len\n"
        "        ld vlan_tci\n"
        "        ldb #rand\n"
        "        st M[3]\n"
        "        ld M[3]\n"
        "        ld #0x10\n"
        "        lsh #2\n"
        "        and %x\n"
        "        jset x, keep, drop\n"
        "keep:   ret a\n"
        "drop:   ret #0\n";
    struct bpfvm_cbpf_insn *p;
    size_t n;
    char msg[256] = "";
    CHECKF(bpfvm_cbpf_parse(src, BPFVM_CBPF_FMT_AUTO, &p, &n, msg, sizeof msg) == 0, "%s", msg);
    if (!p)
        return;
    CHECK_EQ_U64(n, 20);
    CHECK_EQ_U64(p[1].code, 0x15);
    CHECK_EQ_U64(p[1].jt, 0);
    CHECK_EQ_U64(p[1].jf, 17);
    CHECK_EQ_U64(p[3].jt, 0);
    CHECK_EQ_U64(p[4].code, 0xb1);
    CHECK_EQ_U64(p[4].k, 14);
    CHECK_EQ_U64(p[5].code, 0x48);
    CHECK_EQ_U64(p[6].code, 0x35); /* jlt = jge with swapped targets */
    CHECK_EQ_U64(p[6].jf, 12);
    CHECK_EQ_U64(p[7].k, 0xfffff000);
    CHECK_EQ_U64(p[8].code, 0x80);
    CHECK_EQ_U64(p[9].code, 0x81);
    CHECK_EQ_U64(p[10].k, 0xfffff02c);
    CHECK_EQ_U64(p[11].code, 0x30);
    CHECK_EQ_U64(p[11].k, 0xfffff038);
    CHECK_EQ_U64(p[16].code, 0x5c);
    CHECK_EQ_U64(p[18].code, 0x16);
    CHECKF(bpfvm_cbpf_check(p, n, BPFVM_CBPF_LINUX, msg, sizeof msg) == 0, "%s", msg);
    free(p);

    static const struct { const char *src, *err; } bad[] = {
        {"ld [12]\nlod #1\nret #0\n", "line 2: unknown mnemonic 'lod'"},
        {"ja nowhere\nret #0\n", "line 1: undefined label 'nowhere'"},
        {"back: ld #1\njeq #1, back, back\nret #0\n", "line 2: jump to 'back' goes backwards"},
        {"ldh #5\n", "line 1: bad load operand '#5'"},
        {"a: ret #1\na: ret #0\n", "defined twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = NULL;
        int err = bpfvm_cbpf_parse(bad[i].src, BPFVM_CBPF_FMT_ASM, &p, &n, msg, sizeof msg);
        CHECKF(err < 0 && strstr(msg, bad[i].err), "'%s': got '%s'", bad[i].err, msg);
        free(p);
    }
}

static void test_bytecode(void)
{
    struct bpfvm_cbpf_insn *p;
    size_t n;
    char msg[256] = "";
    /* the seed's xt_bpf example: IPv4 protocol field == TCP (raw IP packets) */
    CHECK(bpfvm_cbpf_parse("4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0", BPFVM_CBPF_FMT_AUTO, &p, &n,
                           msg, sizeof msg) == 0);
    CHECK_EQ_U64(n, 4);
    CHECK_EQ_U64(p[1].code, 21);
    CHECK_EQ_U64(p[1].jf, 1);
    uint8_t tcp[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6};
    uint8_t udp[40] = {0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17};
    struct bpfvm_cbpf_prog *lp;
    struct bpfvm_cbpf_load_opts lo = {.sz = sizeof lo, .flavor = BPFVM_CBPF_LINUX, .checked = true};
    CHECKF(bpfvm_cbpf_load(NULL, p, n, &lo, &lp, msg, sizeof msg) == 0, "%s", msg);
    uint32_t r = 9;
    CHECK(bpfvm_cbpf_prog_run(lp, tcp, 40, 40, NULL, &r) == 0 && r == 1);
    CHECK(bpfvm_cbpf_prog_run(lp, udp, 40, 40, NULL, &r) == 0 && r == 0);
    CHECK(bpfvm_cbpf_prog_run(lp, tcp, 9, 40, NULL, &r) == 0 && r == 0); /* truncated */
    bpfvm_cbpf_prog_free(lp);
    free(p);
    /* the seed's tc example, trailing comma; a bytecode file with newlines and a comment */
    CHECK(bpfvm_cbpf_parse("1,6 0 0 4294967295,", BPFVM_CBPF_FMT_AUTO, &p, &n, msg, sizeof msg) == 0);
    CHECK(n == 1 && p[0].k == 0xffffffffu);
    free(p);
    p = NULL;
    CHECK(bpfvm_cbpf_parse("# tcp-syn\n2,\n6 0 0 1,\n6 0 0 0\n", BPFVM_CBPF_FMT_AUTO, &p, &n, msg,
                           sizeof msg) == 0 && n == 2);
    free(p);
    CHECK(bpfvm_cbpf_parse("3,6 0 0 1,6 0 0 0", BPFVM_CBPF_FMT_AUTO, &p, &n, msg, sizeof msg) < 0);
    CHECKF(strstr(msg, "only 2 follow") != NULL, "%s", msg);
    CHECK(bpfvm_cbpf_parse("1,6 0 300 1", BPFVM_CBPF_FMT_AUTO, &p, &n, msg, sizeof msg) < 0);
    CHECK(bpfvm_cbpf_parse("2,6 0 0 1,6 0 0 0,6 0 0 0", BPFVM_CBPF_FMT_AUTO, &p, &n, msg, sizeof msg) < 0);
}

static void test_checker(void)
{
    static const struct {
        struct bpfvm_cbpf_insn p[4];
        size_t n;
        enum bpfvm_cbpf_flavor fl;
        const char *err;
    } cases[] = {
        {{{0x20, 0, 0, 0}}, 1, BPFVM_CBPF_LINUX, "insn 0: last instruction is not a return"},
        {{{0x15, 0, 5, 0}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "insn 0: conditional jump"},
        {{{0x05, 0, 0, 1}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "insn 0: ja +1 jumps past"},
        {{{0x60, 0, 0, 16}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "M[16] out of range"},
        {{{0x60, 0, 0, 2}, {0x16, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "insn 0: M[2] may be read before"},
        {{{0x15, 0, 1, 1}, {0x02, 0, 0, 2}, {0x61, 0, 0, 2}, {0x16, 0, 0, 0}}, 4, BPFVM_CBPF_LINUX,
         "insn 2: M[2] may be read"},
        {{{0x34, 0, 0, 0}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "insn 0: division by constant zero"},
        {{{0x94, 0, 0, 0}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "modulo by constant zero"},
        {{{0x64, 0, 0, 32}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "shift by constant 32"},
        {{{0xff, 0, 0, 0}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "insn 0: invalid opcode 0xff"},
        {{{0x0e, 0, 0, 0}}, 1, BPFVM_CBPF_LINUX, "invalid opcode 0xe"},
        {{{0x20, 0, 0, 0xfffff040}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "unknown ancillary"},
        {{{0x28, 0, 0, 0}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_SECCOMP, "not allowed in a seccomp"},
        {{{0x20, 0, 0, 2}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_SECCOMP, "unaligned"},
        {{{0x20, 0, 0, 64}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_SECCOMP, "outside struct seccomp_data"},
        {{{0x05, 0, 0, 0xffffffff}, {0x06, 0, 0, 0}}, 2, BPFVM_CBPF_LINUX, "jumps past"},
    };
    char msg[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        msg[0] = 0;
        int err = bpfvm_cbpf_check(cases[i].p, cases[i].n, cases[i].fl, msg, sizeof msg);
        CHECKF(err == -22 && strstr(msg, cases[i].err), "case %zu: want '%s', got %d '%s'", i,
               cases[i].err, err, msg);
    }
    struct bpfvm_cbpf_insn big[4097];
    for (int i = 0; i < 4097; i++)
        big[i] = (struct bpfvm_cbpf_insn){0x06, 0, 0, 0};
    CHECK(bpfvm_cbpf_check(big, 4097, BPFVM_CBPF_LINUX, msg, sizeof msg) < 0);
    CHECK(bpfvm_cbpf_check(big, 4096, BPFVM_CBPF_LINUX, msg, sizeof msg) == 0);
    /* libpcap flavor accepts protochain's backward ja */
    struct bpfvm_cbpf_insn loop[] = {{0x00, 0, 0, 0}, {0x04, 0, 0, 1}, {0x15, 1, 0, 100},
                                     {0x05, 0, 0, (uint32_t)-3}, {0x16, 0, 0, 0}};
    CHECK(bpfvm_cbpf_check(loop, 5, BPFVM_CBPF_LINUX, msg, sizeof msg) < 0);
    CHECK(bpfvm_cbpf_check(loop, 5, BPFVM_CBPF_LIBPCAP, msg, sizeof msg) == 0);
    CHECK_EQ_U64(bpfvm_cbpf_interp(loop, 5, BPFVM_CBPF_LIBPCAP, NULL, 0, 0, NULL), 100);
}

/* Linux ancillary loads and negative offsets: eBPF translation == interpreter */
static void test_ancillary(void)
{
    static struct tpkt pk[300];
    size_t npk = pktgen_all(1, pk, 300, 31337);
    struct bpfvm_vm *vm = bpfvm_vm_new();
    int bad = 0, runs = 0;
    for (uint32_t ad = 0; ad < 64; ad += 4)
        for (int size = 0; size < 3; size++) {
            struct bpfvm_cbpf_insn p[] = {
                {0x00, 0, 0, 14}, {0x01, 0, 0, 1},
                {(uint16_t)(0x20 | (size << 3)), 0, 0, 0xfffff000u + ad},
                {0x02, 0, 0, 0}, {0x40, 0, 0, (uint32_t)BPFVM_SKF_NET_OFF + 9},
                {0x0c, 0, 0, 0}, {0x30, 0, 0, (uint32_t)BPFVM_SKF_LL_OFF + 12},
                {0x0c, 0, 0, 0}, {0xb1, 0, 0, (uint32_t)BPFVM_SKF_NET_OFF}, {0x0c, 0, 0, 0},
                {0x16, 0, 0, 0}};
            size_t n = sizeof p / sizeof p[0];
            struct bpfvm_cbpf_prog *lp;
            char msg[256];
            struct bpfvm_cbpf_load_opts lo = {.sz = sizeof lo, .flavor = BPFVM_CBPF_LINUX, .checked = true};
            if (bpfvm_cbpf_load(vm, p, n, &lo, &lp, msg, sizeof msg)) {
                CHECKF(0, "ad %u: %s", ad, msg);
                continue;
            }
            for (size_t i = 0; i < npk; i++) {
                struct bpfvm_cbpf_meta m;
                bpfvm_cbpf_meta_from_packet(&m, 1, pk[i].data, pk[i].caplen);
                m.ifindex = 7; m.mark = 0x1234; m.rxhash = 0xabcdef; m.vlan_present = i & 1;
                m.vlan_tci = 100; m.vlan_tpid = 0x8100; m.cpu = 3; m.queue = 2;
                m.random_seed = (uint32_t)i + 1;
                uint32_t want = bpfvm_cbpf_interp(p, n, BPFVM_CBPF_LINUX, pk[i].data,
                                                  pk[i].caplen, pk[i].wirelen, &m), got = 0;
                int e = bpfvm_cbpf_prog_run(lp, pk[i].data, pk[i].caplen, pk[i].wirelen, &m, &got);
                runs++;
                if ((e || got != want) && bad++ < 5)
                    CHECKF(0, "ad %u size %d pkt %zu: interp %u ebpf %u (%d)", ad, size, i, want, got, e);
            }
            bpfvm_cbpf_prog_free(lp);
        }
    CHECKF(bad == 0, "%d ancillary mismatches in %d runs", bad, runs);
    /* a few known values */
    uint8_t eth[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45};
    struct bpfvm_cbpf_meta m;
    bpfvm_cbpf_meta_from_packet(&m, 1, eth, sizeof eth);
    struct bpfvm_cbpf_insn proto[] = {{0x20, 0, 0, 0xfffff000}, {0x16, 0, 0, 0}};
    struct bpfvm_cbpf_insn type[] = {{0x20, 0, 0, 0xfffff004}, {0x16, 0, 0, 0}};
    struct bpfvm_cbpf_insn net[] = {{0x30, 0, 0, (uint32_t)BPFVM_SKF_NET_OFF}, {0x16, 0, 0, 0}};
    CHECK_EQ_U64(bpfvm_cbpf_interp(proto, 2, BPFVM_CBPF_LINUX, eth, 60, 60, &m), 0x800);
    CHECK_EQ_U64(bpfvm_cbpf_interp(type, 2, BPFVM_CBPF_LINUX, eth, 60, 60, &m), 1);
    CHECK_EQ_U64(bpfvm_cbpf_interp(net, 2, BPFVM_CBPF_LINUX, eth, 60, 60, &m), 0x45);
    bpfvm_vm_free(vm);
}

int main(void)
{
    test_image();
    test_tcpdump();
    test_roundtrips();
    test_asm();
    test_bytecode();
    test_checker();
    test_ancillary();
    return test_summary();
}
