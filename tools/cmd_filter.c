/* cmd_filter.c - `bpfvm filter`: classic BPF like tcpdump.  Print a program (-d/-dd/-ddd
 * byte-for-byte like tcpdump, or bpf_asm / bytecode), check it, or filter a pcap file through
 * it on the eBPF engine (socket-filter semantics: 0 drops, N keeps the first N bytes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bpfvm/cbpf.h"
#include "bpfvm/vm.h"
#include "cbpf_tool.h"
#include "cli.h"
#include "net/pcap_file.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bpfvm filter [options] EXPRESSION...\n"
            "  EXPRESSION is a tcpdump expression, an xt_bpf/tc bytecode string, bpf_asm text,\n"
            "  or (with -F) a file holding any of those or a tcpdump -d/-dd/-ddd listing.\n"
            "  -d | -dd | -ddd    print the program as tcpdump does, and exit\n"
            "  --asm | --bytecode print it as bpf_asm text / an xt_bpf bytecode string\n"
            "  --ebpf             print the number of eBPF instructions it translates to\n"
            "  --check            only check the program (exit 1 when rejected)\n"
            "  -F FILE            read the program or expression from FILE\n"
            "  -r FILE            filter the packets of a pcap file ('-' = stdin)\n"
            "  -w FILE            write accepted packets, trimmed, as pcap ('-' = stdout)\n"
            "  -y LINKTYPE        EN10MB (default), RAW, LINUX_SLL (ignored with -r)\n"
            "  -s SNAPLEN         snapshot length for compiled expressions (default 262144)\n"
            "  -O                 do not run libpcap's optimizer\n"
            "  --linux            Linux socket-filter semantics (default: libpcap's, like tcpdump)\n"
            "  --interp | --jit   choose the engine\n");
}

int cmd_filter(int argc, char **argv)
{
    int dflag = 0, optimize = 1, linktype = 1, snaplen = 262144, check_only = 0;
    int want_asm = 0, want_bytecode = 0, want_ebpf = 0, engine = 0;
    enum bpfvm_cbpf_flavor flavor = BPFVM_CBPF_LIBPCAP;
    const char *rfile = NULL, *wfile = NULL, *ffile = NULL;
    char expr[8192] = "";
    size_t elen = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-d") || !strcmp(a, "-dd") || !strcmp(a, "-ddd")) {
            dflag = (int)strlen(a) - 1;
        } else if (!strcmp(a, "--asm")) {
            want_asm = 1;
        } else if (!strcmp(a, "--bytecode")) {
            want_bytecode = 1;
        } else if (!strcmp(a, "--ebpf")) {
            want_ebpf = 1;
        } else if (!strcmp(a, "--check")) {
            check_only = 1;
        } else if (!strcmp(a, "-O")) {
            optimize = 0;
        } else if (!strcmp(a, "--linux")) {
            flavor = BPFVM_CBPF_LINUX;
        } else if (!strcmp(a, "--interp")) {
            engine = BPFVM_ENGINE_INTERP;
        } else if (!strcmp(a, "--jit")) {
            engine = BPFVM_ENGINE_JIT;
        } else if (!strcmp(a, "-r") || !strcmp(a, "-w") || !strcmp(a, "-y") ||
                   !strcmp(a, "-s") || !strcmp(a, "-F")) {
            if (i + 1 >= argc)
                return cli_error("filter: %s needs an argument", a);
            const char *v = argv[++i];
            if (a[1] == 'r') {
                rfile = v;
            } else if (a[1] == 'w') {
                wfile = v;
            } else if (a[1] == 'F') {
                ffile = v;
            } else if (a[1] == 'y') {
                linktype = cbpf_tool_linktype(v);
                if (linktype < 0)
                    return cli_error("filter: unknown link type '%s'", v);
            } else {
                uint64_t s;
                if (!cli_parse_u64(v, &s) || s == 0 || s > 0x7fffffff)
                    return cli_error("filter: bad snaplen '%s'", v);
                snaplen = (int)s;
            }
        } else if (a[0] == '-' && a[1] && elen == 0 && strcmp(a, "-")) {
            return cli_error("filter: unknown option '%s' (try bpfvm filter --help)", a);
        } else {
            size_t l = strlen(a);
            if (elen + l + 2 > sizeof expr)
                return cli_error("filter: expression too long");
            if (elen)
                expr[elen++] = ' ';
            memcpy(expr + elen, a, l + 1);
            elen += l;
        }
    }
    if (ffile && elen)
        return cli_error("filter: give the program either with -F or on the command line");

    struct net_pcap_reader *rd = NULL;
    struct net_pcap_info info = {0};
    char msg[512];
    if (rfile) {
        if (net_pcap_open(rfile, &rd, &info, msg, sizeof msg))
            return cli_error("filter: %s", msg);
        linktype = (int)info.linktype;
        snaplen = info.snaplen ? (int)info.snaplen : 262144;
    }

    struct bpfvm_cbpf_insn *prog = NULL;
    size_t cnt = 0;
    if (cbpf_tool_program(ffile ? ffile : expr, ffile != NULL, linktype, snaplen, optimize,
                          &prog, &cnt, msg, sizeof msg)) {
        net_pcap_close(rd);
        return cli_error("filter: %s", msg);
    }
    int rc = CLI_OK;
    if (dflag || want_asm || want_bytecode) {
        enum bpfvm_cbpf_format fmt = want_asm        ? BPFVM_CBPF_FMT_ASM
                                     : want_bytecode ? BPFVM_CBPF_FMT_BYTECODE
                                     : dflag == 1    ? BPFVM_CBPF_FMT_IMAGE
                                     : dflag == 2    ? BPFVM_CBPF_FMT_C
                                                     : BPFVM_CBPF_FMT_DECIMAL;
        char *s;
        if (bpfvm_cbpf_format(prog, cnt, fmt, &s)) {
            rc = cli_error("filter: out of memory");
        } else {
            fputs(s, stdout);
            free(s);
        }
        if (!rfile && !check_only && !want_ebpf)
            goto out;
    }
    if (bpfvm_cbpf_check(prog, cnt, flavor, msg, sizeof msg)) {
        fprintf(stderr, "bpfvm: filter: rejected: %s\n", msg);
        rc = CLI_FAIL;
        goto out;
    }
    if (check_only && !rfile) {
        printf("ok: %zu instructions\n", cnt);
        goto out;
    }
    struct bpfvm_cbpf_load_opts lo = {.sz = sizeof lo, .flavor = flavor, .engine = engine};
    struct bpfvm_cbpf_prog *lp;
    if (bpfvm_cbpf_load(NULL, prog, cnt, &lo, &lp, msg, sizeof msg)) {
        fprintf(stderr, "bpfvm: filter: cannot load: %s\n", msg);
        rc = CLI_FAIL;
        goto out;
    }
    if (want_ebpf) {
        size_t ecnt;
        bpfvm_cbpf_prog_ebpf(lp, &ecnt);
        printf("%zu classic instructions, %zu eBPF instructions\n", cnt, ecnt);
    }
    if (rfile) {
        FILE *wf = NULL;
        if (wfile) {
            wf = !strcmp(wfile, "-") ? stdout : fopen(wfile, "wb");
            if (!wf) {
                rc = cli_error("filter: cannot write %s: %s", wfile, strerror(errno));
                bpfvm_cbpf_prog_free(lp);
                goto out;
            }
            if (net_pcap_write_header(wf, &info))
                rc = cli_error("filter: write error on %s", wfile);
        }
        unsigned long long n = 0, kept = 0, bytes = 0;
        struct net_pcap_rec rec;
        int r;
        while (rc == CLI_OK && (r = net_pcap_next(rd, &rec, msg, sizeof msg)) == 1) {
            struct bpfvm_cbpf_meta meta;
            uint32_t ret;
            n++;
            bpfvm_cbpf_meta_from_packet(&meta, linktype, rec.data, rec.caplen);
            int e = bpfvm_cbpf_prog_run(lp, rec.data, rec.caplen, rec.wirelen, &meta, &ret);
            if (e) {
                rc = cli_error("filter: packet %llu: run failed (%d)", n, e);
                break;
            }
            if (!ret)
                continue;
            kept++;
            uint32_t keep = ret < rec.caplen ? ret : rec.caplen;
            bytes += keep;
            if (wf && net_pcap_write_rec(wf, &rec, keep))
                rc = cli_error("filter: write error on %s", wfile);
        }
        if (rc == CLI_OK && r < 0)
            rc = cli_error("filter: %s: %s", rfile, msg);
        if (wf && wf != stdout && fclose(wf))
            rc = cli_error("filter: write error on %s", wfile);
        FILE *out = wf == stdout ? stderr : stdout;
        fprintf(out, "%llu packets read, %llu accepted, %llu dropped, %llu bytes written\n", n,
                kept, n - kept, wf ? bytes : 0);
    }
    bpfvm_cbpf_prog_free(lp);
out:
    free(prog);
    net_pcap_close(rd);
    return rc;
}
