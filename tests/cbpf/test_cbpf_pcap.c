/* test_cbpf_pcap.c - pcap file reading/writing (src/net/pcap_file.c): round trip, both byte
 * orders, nanosecond magic, truncated and hostile files (errors name the offset, no crash),
 * and filtering a file the way `bpfvm filter -r -w` does, against libpcap's bpf_filter. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include "bpfvm/cbpf.h"
#include "net/pcap_file.h"
#include "pktgen.h"
#include "testlib.h"

static const char *tmp = "/tmp/bpfvm_cbpf_test.pcap";

static void put32(uint8_t *p, uint32_t v, int be)
{
    for (int i = 0; i < 4; i++)
        p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static size_t make_file(uint8_t *buf, int be, int nsec, int npk)
{
    size_t n = 24;
    put32(buf, nsec ? 0xa1b23c4d : 0xa1b2c3d4, be);
    buf[be ? 5 : 4] = 2;
    buf[be ? 6 : 6] = 0;
    buf[be ? 7 : 6] = 4;
    buf[be ? 4 : 5] = 0;
    if (be) { buf[4] = 0; buf[5] = 2; buf[6] = 0; buf[7] = 4; }
    else { buf[4] = 2; buf[5] = 0; buf[6] = 4; buf[7] = 0; }
    memset(buf + 8, 0, 8);
    put32(buf + 16, 65535, be);
    put32(buf + 20, 1, be);
    for (int i = 0; i < npk; i++) {
        put32(buf + n, 100 + (uint32_t)i, be);
        put32(buf + n + 4, 999, be);
        put32(buf + n + 8, 20, be);
        put32(buf + n + 12, 60, be);
        memset(buf + n + 16, i, 20);
        n += 36;
    }
    return n;
}

static int read_all(const uint8_t *buf, size_t len, char *msg, size_t msglen, int *count,
                    struct net_pcap_info *info)
{
    FILE *f = fopen(tmp, "wb");
    fwrite(buf, 1, len, f);
    fclose(f);
    struct net_pcap_reader *r;
    int err = net_pcap_open(tmp, &r, info, msg, msglen);
    if (err)
        return err;
    struct net_pcap_rec rec;
    *count = 0;
    while ((err = net_pcap_next(r, &rec, msg, msglen)) == 1)
        (*count)++;
    net_pcap_close(r);
    return err;
}

int main(void)
{
    static uint8_t buf[4096];
    char msg[256];
    int count;
    struct net_pcap_info info;
    for (int be = 0; be < 2; be++)
        for (int ns = 0; ns < 2; ns++) {
            size_t len = make_file(buf, be, ns, 5);
            CHECK(read_all(buf, len, msg, sizeof msg, &count, &info) == 0);
            CHECK_EQ_U64(count, 5);
            CHECK_EQ_U64(info.linktype, 1);
            CHECK_EQ_U64(info.nsec, ns);
            CHECK_EQ_U64(info.snaplen, 65535);
        }
    size_t len = make_file(buf, 0, 0, 3);
    CHECK(read_all(buf, len - 5, msg, sizeof msg, &count, &info) < 0);
    CHECKF(strstr(msg, "offset 96") != NULL, "%s", msg);
    CHECK(read_all(buf, 24 + 7, msg, sizeof msg, &count, &info) < 0);
    CHECKF(strstr(msg, "truncated record header at offset 24") != NULL, "%s", msg);
    CHECK(read_all(buf, 10, msg, sizeof msg, &count, &info) < 0);
    CHECKF(strstr(msg, "truncated pcap file header") != NULL, "%s", msg);
    buf[0] = 0x12;
    CHECK(read_all(buf, len, msg, sizeof msg, &count, &info) < 0);
    CHECKF(strstr(msg, "bad pcap magic") != NULL, "%s", msg);
    /* hostile: random corruption never crashes */
    uint32_t rs = 3;
    for (int i = 0; i < 300; i++) {
        len = make_file(buf, (int)(i & 1), 0, 4);
        for (int j = 0; j < 4; j++)
            buf[pktgen_rand(&rs) % len] = (uint8_t)pktgen_rand(&rs);
        read_all(buf, pktgen_rand(&rs) % (len + 1), msg, sizeof msg, &count, &info);
    }
    CHECK(1);

    /* write a capture, filter it like `bpfvm filter -r -w`, compare with bpf_filter */
    static struct tpkt pk[500];
    size_t npk = pktgen_all(1, pk, 500, 2024);
    FILE *f = fopen(tmp, "wb");
    struct net_pcap_info wi = {.linktype = 1, .snaplen = 262144};
    CHECK(net_pcap_write_header(f, &wi) == 0);
    for (size_t i = 0; i < npk; i++) {
        struct net_pcap_rec rec = {(uint32_t)i, 0, pk[i].caplen, pk[i].wirelen, pk[i].data};
        CHECK(net_pcap_write_rec(f, &rec, pk[i].caplen) == 0);
    }
    fclose(f);
    pcap_t *pc = pcap_open_dead(DLT_EN10MB, 262144);
    struct bpf_program fp;
    CHECK(pcap_compile(pc, &fp, "tcp or (udp and port 53)", 1, PCAP_NETMASK_UNKNOWN) == 0);
    struct bpfvm_cbpf_prog *lp;
    struct bpfvm_cbpf_load_opts lo = {.sz = sizeof lo, .flavor = BPFVM_CBPF_LIBPCAP};
    CHECK(bpfvm_cbpf_load(NULL, (struct bpfvm_cbpf_insn *)fp.bf_insns, fp.bf_len, &lo, &lp, msg,
                          sizeof msg) == 0);
    struct net_pcap_reader *r;
    CHECK(net_pcap_open(tmp, &r, &info, msg, sizeof msg) == 0);
    struct net_pcap_rec rec;
    int n = 0, bad = 0, kept = 0;
    while (net_pcap_next(r, &rec, msg, sizeof msg) == 1) {
        uint32_t ret = 0;
        CHECK(bpfvm_cbpf_prog_run(lp, rec.data, rec.caplen, rec.wirelen, NULL, &ret) == 0);
        bad += ret != bpf_filter(fp.bf_insns, rec.data, rec.wirelen, rec.caplen);
        kept += ret != 0;
        n++;
    }
    CHECK_EQ_U64(n, npk);
    CHECK_EQ_U64(bad, 0);
    CHECK(kept > 0 && kept < n);
    net_pcap_close(r);
    bpfvm_cbpf_prog_free(lp);
    pcap_freecode(&fp);
    pcap_close(pc);
    remove(tmp);
    return test_summary();
}
