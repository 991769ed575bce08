/* test_cbpf_diff.c - differential test of classic BPF against libpcap: many tcpdump expressions
 * compiled by pcap_compile (Ethernet, raw IP, Linux cooked; optimized and not) times many
 * packets, each run through libpcap's bpf_filter, bpfvm's classic interpreter and the
 * translation to eBPF on the bpfvm engine; plus random classic programs. 0 mismatches. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include "bpfvm/cbpf.h"
#include "bpfvm/vm.h"
#include "pktgen.h"
#include "testlib.h"

static const char *const exprs[] = {
    "", "ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6", "tcp dst port 22", "port 53",
    "tcp port 80 or udp port 53", "not tcp", "host 10.0.0.1", "src host 192.168.1.1",
    "dst net 10.0.0.0/8", "net 224.0.0.0/4", "ip multicast", "ip broadcast",
    "ether broadcast", "ether multicast", "ether host 00:11:22:33:44:55",
    "ether src 02:00:00:00:00:01", "vlan", "vlan 100", "vlan and tcp", "vlan and vlan",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "tcp[13] & 2 != 0",
    "ip[6:2] & 0x1fff != 0", "ip[2:2] > 40", "len > 60", "len <= 64", "greater 100",
    "less 50", "ip proto 47", "ip6 proto 17", "ip6 and tcp port 443",
    "ip and (tcp or udp) and port 8080", "portrange 1000-2000", "tcp src portrange 0-1024",
    "ip[0] & 0xf > 5", "udp[4:2] > 10", "icmp[icmptype] == icmp-echo",
    "icmp6[icmp6type] == icmp6-echo", "ip6 dst host 2001:db8::2", "ip6 net fe80::/10",
    "ip host 8.8.8.8 and not port 22", "(tcp[12] >> 4) * 4 > 20", "ip[9] * 2 == 12",
    "ip[8] / 2 == 32", "ip[8] % 7 == 1", "ip[1] - 1 == 255", "ip[8] << 1 == 128",
    "ip[8] >> 2 == 16", "ip[8] ^ 0xff == 0xbf", "-ip[8] == -64", "tcp[0:2] + udp[0:2] > 0",
    "ip[ip[0] & 0xf] == 1", "ether[len - 1] == 0", "tcp[tcp[12] >> 4] != 0",
    "ip[8] / (ip[1] & 3) > 10", "ip[8] % (ip[1] & 3) == 0", "ip[8] >> (ip[1] & 63) == 0",
    "ip[8] << (ip[19] & 63) != 0", "udp port 123 or arp or icmp", "ip6 protochain 6",
    "ip protochain 17", "ether proto 0x88a8", "arp[6:2] == 2", "ip[19] & 1 = 1",
    "ip and ip[6] & 0x20 != 0", "ip6[6] == 44", "mpls", "pppoes", "tcp[20:4] = 0x01010101",
};

static const char *const raw_exprs[] = {
    "", "ip", "ip6", "tcp dst port 22", "udp", "host 10.0.0.1", "ip6 and icmp6",
    "ip[6:2] & 0x1fff != 0", "tcp[tcpflags] & tcp-syn != 0", "len > 40", "ip proto 47",
};

static int mismatches;
static long runs;

static void run_prog(struct bpfvm_vm *vm, const struct bpf_insn *bi, size_t n, const char *what,
                     const struct tpkt *pk, size_t npk)
{
    const struct bpfvm_cbpf_insn *p = (const struct bpfvm_cbpf_insn *)bi;
    char msg[256];
    struct bpfvm_cbpf_prog *prog;
    struct bpfvm_cbpf_load_opts lo = {.sz = sizeof lo, .flavor = BPFVM_CBPF_LIBPCAP,
                                      .checked = true};
    int err = bpfvm_cbpf_load(vm, p, n, &lo, &prog, msg, sizeof msg);
    CHECKF(err == 0, "%s: load failed: %s", what, msg);
    if (err)
        return;
    for (size_t i = 0; i < npk; i++) {
        uint32_t want = bpf_filter(bi, pk[i].data, pk[i].wirelen, pk[i].caplen);
        uint32_t ref = bpfvm_cbpf_interp(p, n, BPFVM_CBPF_LIBPCAP, pk[i].data, pk[i].caplen,
                                         pk[i].wirelen, NULL);
        uint32_t got = 0xdeadbeef;
        int e = bpfvm_cbpf_prog_run(prog, pk[i].data, pk[i].caplen, pk[i].wirelen, NULL, &got);
        runs++;
        if (e || got != want || ref != want) {
            if (mismatches++ < 10)
                CHECKF(0, "%s pkt %zu (caplen %u): libpcap %u interp %u ebpf %u (err %d)", what,
                       i, pk[i].caplen, want, ref, got, e);
        }
    }
    bpfvm_cbpf_prog_free(prog);
}

static void exprs_for(struct bpfvm_vm *vm, int dlt, int linktype, const char *const *list,
                      size_t nlist, const struct tpkt *pk, size_t npk)
{
    pcap_t *pc = pcap_open_dead(dlt, 262144);
    for (size_t i = 0; i < nlist; i++) {
        for (int opt = 0; opt < 2; opt++) {
            struct bpf_program fp;
            if (pcap_compile(pc, &fp, list[i], opt, 0xffffff00) != 0) {
                if (linktype == 113) /* some primitives make no sense on cooked captures */
                    continue;
                CHECKF(0, "pcap_compile(%s) failed: %s", list[i], pcap_geterr(pc));
                continue;
            }
            char what[160];
            snprintf(what, sizeof what, "[lt %d, opt %d] '%s'", linktype, opt, list[i]);
            run_prog(vm, fp.bf_insns, fp.bf_len, what, pk, npk);
            pcap_freecode(&fp);
        }
    }
    pcap_close(pc);
}

/* random valid programs: a straight mix of every instruction kind with small forward jumps */
static size_t random_prog(uint32_t *rs, struct bpf_insn *v)
{
    size_t n = 4 + pktgen_rand(rs) % 40;
    static const uint16_t codes[] = {0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44,
                                     0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94,
                                     0x9c, 0xa4, 0xac, 0x00, 0x20, 0x28, 0x30, 0x40, 0x48,
                                     0x50, 0x80, 0x01, 0xb1, 0x07, 0x87, 0x15, 0x1d, 0x25,
                                     0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x05, 0x16, 0x06, 0x02,
                                     0x03, 0x60, 0x61};
    for (size_t i = 0; i < n; i++) {
        uint16_t c = codes[pktgen_rand(rs) % (sizeof codes / sizeof codes[0])];
        uint32_t r = pktgen_rand(rs), k;
        switch (r % 5) {
        case 0: k = r >> 8 & 0x3f; break;
        case 1: k = pktgen_rand(rs); break;
        case 2: k = r >> 16 & 0x3; break;
        case 3: k = 0xffffffffu - (r >> 20 & 7); break;
        default: k = r >> 4 & 0xff; break;
        }
        if ((c == 0x34 || c == 0x94) && k == 0)
            k = 3;
        if (c == 0x64 || c == 0x74)
            k &= 31;
        if (c == 0x60 || c == 0x61 || c == 0x02 || c == 0x03)
            k &= 3;
        size_t left = n - i - 1;
        uint8_t jt = 0, jf = 0;
        if ((c & 7) == 5) {
            if (left == 0) {
                c = 0x16;
            } else if (c == 0x05) {
                k = pktgen_rand(rs) % left;
            } else {
                jt = (uint8_t)(pktgen_rand(rs) % (left < 8 ? left : 8));
                jf = (uint8_t)(pktgen_rand(rs) % (left < 8 ? left : 8));
            }
        }
        if (i == n - 1)
            c = pktgen_rand(rs) & 1 ? 0x16 : 0x06;
        v[i] = (struct bpf_insn){c, jt, jf, k};
    }
    /* make every M[] read defined: start by storing to all four used slots */
    v[0] = (struct bpf_insn){0x02, 0, 0, 0};
    v[1] = (struct bpf_insn){0x02, 0, 0, 1};
    v[2] = (struct bpf_insn){0x03, 0, 0, 2};
    v[3] = (struct bpf_insn){0x03, 0, 0, 3};
    return n;
}

int main(void)
{
    static struct tpkt eth[3000], raw[1000], sll[600];
    size_t neth = pktgen_all(1, eth, 3000, 12345);
    size_t nraw = pktgen_all(101, raw, 1000, 777);
    size_t nsll = pktgen_all(113, sll, 600, 4242);
    struct bpfvm_vm *vm = bpfvm_vm_new();
    CHECK(vm != NULL);

    exprs_for(vm, DLT_EN10MB, 1, exprs, sizeof exprs / sizeof exprs[0], eth, neth);
    exprs_for(vm, DLT_RAW, 101, raw_exprs, sizeof raw_exprs / sizeof raw_exprs[0], raw, nraw);
    exprs_for(vm, DLT_LINUX_SLL, 113, exprs, 40, sll, nsll);

    /* random programs */
    uint32_t rs = 99;
    int checked_ok = 0;
    for (int i = 0; i < 3000; i++) {
        struct bpf_insn v[64];
        size_t n = random_prog(&rs, v);
        char what[64];
        if (bpfvm_cbpf_check((struct bpfvm_cbpf_insn *)v, n, BPFVM_CBPF_LIBPCAP, NULL, 0))
            continue;
        checked_ok++;
        snprintf(what, sizeof what, "random prog %d", i);
        run_prog(vm, v, n, what, eth, 200);
    }
    CHECKF(checked_ok > 1000, "only %d random programs passed the checker", checked_ok);
    printf("cbpf differential: %ld runs, %d mismatches\n", runs, mismatches);
    CHECK(mismatches == 0);
    bpfvm_vm_free(vm);
    return test_summary();
}
