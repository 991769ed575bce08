/* eng_pcap.c - libpcap's classic BPF interpreter (pcap_compile + bpf_filter) for the classic
 * rows.  Kept apart from the eBPF engines: pcap.h has its own struct bpf_insn. */
#include <stdio.h>
#include <stdlib.h>
#include <pcap/pcap.h>

#include "bpfvm/cbpf.h"
#include "engine.h"

struct pcap_cell {
    struct bpf_program prog;
};

static int pcap_eng_init(char *why, size_t len)
{
    (void)why, (void)len;
    return 0;
}

static int pcap_eng_prepare(const struct bench_row *row, void **h, char *why, size_t len)
{
    if (row->kind != ROW_CLASSIC)
        return ENGINE_SKIP;
    pcap_t *p = pcap_open_dead(DLT_EN10MB, CLASSIC_SNAPLEN);
    if (!p) {
        snprintf(why, len, "pcap_open_dead failed");
        return ENGINE_FAIL;
    }
    struct pcap_cell *c = calloc(1, sizeof(*c));
    if (!c || pcap_compile(p, &c->prog, row->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(why, len, "pcap_compile: %s", pcap_geterr(p));
        pcap_close(p);
        free(c);
        return ENGINE_FAIL;
    }
    pcap_close(p);
    *h = c;
    return 0;
}

int bench_pcap_compile(const char *filter, struct bpfvm_cbpf_insn **out, size_t *cnt, char *why,
                       size_t len)
{
    pcap_t *p = pcap_open_dead(DLT_EN10MB, CLASSIC_SNAPLEN);
    struct bpf_program prog;
    if (!p) {
        snprintf(why, len, "pcap_open_dead failed");
        return -1;
    }
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(why, len, "pcap_compile: %s", pcap_geterr(p));
        pcap_close(p);
        return -1;
    }
    pcap_close(p);
    *out = calloc(prog.bf_len ? prog.bf_len : 1, sizeof(**out));
    if (!*out) {
        pcap_freecode(&prog);
        return -1;
    }
    for (u_int i = 0; i < prog.bf_len; i++) {
        (*out)[i].code = prog.bf_insns[i].code;
        (*out)[i].jt = prog.bf_insns[i].jt;
        (*out)[i].jf = prog.bf_insns[i].jf;
        (*out)[i].k = prog.bf_insns[i].k;
    }
    *cnt = prog.bf_len;
    pcap_freecode(&prog);
    return 0;
}

static int pcap_eng_run(void *h, const struct bench_row *row, uint64_t n, uint64_t *r0)
{
    struct pcap_cell *c = h;
    u_int r = 0, len = (u_int)row->pkt_len;
    for (uint64_t i = 0; i < n; i++)
        r = bpf_filter(c->prog.bf_insns, row->pkt, len, len);
    *r0 = r;
    return 0;
}

static void pcap_eng_release(void *h)
{
    struct pcap_cell *c = h;
    if (c) {
        pcap_freecode(&c->prog);
        free(c);
    }
}

const struct bench_engine engine_libpcap = {"libpcap", "libpcap", 32, pcap_eng_init,
                                            pcap_eng_prepare, pcap_eng_run, pcap_eng_release};
