/* cbpf_compile.c - tcpdump expressions to classic BPF through libpcap's compiler (pcap_compile
 * on a pcap_open_dead handle), and picking the right reader for a program given on the command
 * line.  The only part of bpfvm that needs libpcap. */
#include <ctype.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cbpf_tool.h"
#include "cli.h"

int cbpf_tool_linktype(const char *name)
{
    char *end;
    long v = strtol(name, &end, 0);
    if (*name && !*end)
        return v >= 0 && v < 0x10000 ? (int)v : -1;
    int dlt = pcap_datalink_name_to_val(name);
    if (dlt < 0)
        return -1;
    if (dlt == DLT_RAW)
        return 101;
    return dlt; /* DLT_EN10MB = 1 and DLT_LINUX_SLL = 113 equal their LINKTYPE values */
}

static int dlt_of_linktype(int linktype)
{
    switch (linktype) {
    case 101: return DLT_RAW;
    default: return linktype;
    }
}

int cbpf_tool_compile(const char *expr, int linktype, int snaplen, int optimize,
                      struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg, size_t msg_len)
{
    pcap_t *pc = pcap_open_dead(dlt_of_linktype(linktype), snaplen);
    if (!pc) {
        snprintf(msg, msg_len, "libpcap cannot handle link type %d", linktype);
        return -1;
    }
    struct bpf_program fp;
    if (pcap_compile(pc, &fp, expr, optimize, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(msg, msg_len, "%s", pcap_geterr(pc));
        pcap_close(pc);
        return -1;
    }
    pcap_close(pc);
    *out = malloc((fp.bf_len ? fp.bf_len : 1) * sizeof(**out));
    if (!*out) {
        pcap_freecode(&fp);
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < fp.bf_len; i++) {
        (*out)[i].code = fp.bf_insns[i].code;
        (*out)[i].jt = fp.bf_insns[i].jt;
        (*out)[i].jf = fp.bf_insns[i].jf;
        (*out)[i].k = fp.bf_insns[i].k;
    }
    *cnt = fp.bf_len;
    pcap_freecode(&fp);
    return 0;
}

int cbpf_tool_program(const char *arg, int is_file, int linktype, int snaplen, int optimize,
                      struct bpfvm_cbpf_insn **out, size_t *cnt, char *msg, size_t msg_len)
{
    char *text = NULL;
    const char *src = arg;
    if (is_file) {
        size_t len;
        text = (char *)cli_read_file(arg, &len);
        if (!text) {
            snprintf(msg, msg_len, "cannot read %s", arg);
            return -1;
        }
        if (strlen(text) != len) {
            snprintf(msg, msg_len, "%s: binary data in a program text file", arg);
            free(text);
            return -1;
        }
        src = text;
    }
    /* classic text forms first (bytecode strings, listings, bpf_asm), then tcpdump syntax */
    char perr[256] = "";
    int r = bpfvm_cbpf_parse(src, BPFVM_CBPF_FMT_AUTO, out, cnt, perr, sizeof perr);
    if (r == 0) {
        free(text);
        return 0;
    }
    const char *p = src;
    while (isspace((unsigned char)*p))
        p++;
    int numeric = isdigit((unsigned char)*p) && !strpbrk(p, "abcdfghijklmnopqrstuvwyz");
    char cerr[256] = "";
    if (!numeric && cbpf_tool_compile(src, linktype, snaplen, optimize, out, cnt, cerr,
                                      sizeof cerr) == 0) {
        free(text);
        return 0;
    }
    /* report the reader that most likely applied: numbers and multi-line text are classic
     * programs, a single line is a tcpdump expression */
    const char *nl = strchr(p, '\n');
    int multiline = nl && nl[strspn(nl, " \t\r\n")] != 0;
    snprintf(msg, msg_len, "%s", numeric || multiline || !cerr[0] ? perr : cerr);
    free(text);
    return -1;
}
