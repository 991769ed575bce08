/* test_verifier_kernel.c - every hand-written case (cases.c) through bpfvm's verifier, its
 * verdict and message checked, and through the running kernel's verifier (BPF_PROG_LOAD with
 * the same program type and real maps): the verdicts must agree.  Without bpf() the kernel
 * half is skipped with a note.  `-v` prints both logs of every case; a name filters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvm/asm.h"
#include "bpfvm/map.h"
#include "bpfvm/verifier.h"
#include "cases.h"
#include "testlib.h"
#include "vkernel.h"

static int kernel_ok(void)
{
    struct bpfvm_insn p[2];
    memset(p, 0, sizeof(p));
    p[0].code = 0xb7;
    p[1].code = 0x95;
    int fd = vkernel_prog_load(1, p, 2, NULL, 0, 0);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static const char *last_line(char *log)
{
    size_t n = strlen(log);
    while (n && log[n - 1] == '\n')
        log[--n] = 0;
    /* skip the statistics line */
    char *p = strrchr(log, '\n');
    if (p && strstr(p, "processed ")) {
        *p = 0;
        p = strrchr(log, '\n');
    }
    return p ? p + 1 : log;
}

int main(int argc, char **argv)
{
    int verbose = 0;
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else
            filter = argv[i];
    }
    int have_kernel = kernel_ok();
    if (!have_kernel)
        printf("note: kernel bpf() unavailable: verdicts checked against the recorded ones only\n");
    int agree = 0, compared = 0, disagree = 0;
    static char blog[1 << 16], klog[1 << 16];
    for (int c = 0; c < vcase_count; c++) {
        const struct vcase *vc = &vcases[c];
        if (filter && !strstr(vc->name, filter))
            continue;
        struct bpfvm_insn *insns = NULL;
        size_t cnt = 0;
        char err[256];
        if (bpfvm_asm(vc->text, BPFVM_SYNTAX_LLVM, &insns, &cnt, err, sizeof(err))) {
            CHECKF(0, "%s: assembler: %s", vc->name, err);
            continue;
        }
        struct bpfvm_map *maps[4] = {0};
        int kfd[4] = {-1, -1, -1, -1};
        size_t nmaps = 0;
        for (int m = 0; m < 4 && vc->maps[m].type; m++) {
            const struct vcase_map *vm = &vc->maps[m];
            int inner = vm->inner && vm->inner <= (uint32_t)m ? (int)vm->inner - 1 : -1;
            struct bpfvm_map_create_opts mo = {
                .sz = sizeof(mo), .spin_lock_off = vm->lock ? (int32_t)vm->lock - 1 : -1,
                .has_spin_lock = vm->lock != 0, .inner_map = inner >= 0 ? maps[inner] : NULL,
            };
            if (bpfvm_map_create((enum bpfvm_map_type)vm->type, "m", vm->key, vm->value, vm->max, &mo, &maps[m]))
                CHECKF(0, "%s: bpfvm map %d", vc->name, m);
            if (have_kernel && !vc->unpriv) {
                kfd[m] = vkernel_map_create_ex(vm->type, vm->key, vm->value, vm->max,
                                               vm->lock ? (int)vm->lock - 1 : -1, inner >= 0 ? kfd[inner] : -1);
                CHECKF(kfd[m] >= 0, "%s: kernel map %d: %s", vc->name, m, strerror(-kfd[m]));
            }
            nmaps = (size_t)m + 1;
        }
        struct bpfvm_verify_opts o;
        memset(&o, 0, sizeof(o));
        o.sz = sizeof(o);
        o.prog_type = vc->prog_type;
        o.maps = maps;
        o.map_cnt = nmaps;
        o.unpriv = vc->unpriv != 0;
        o.log_level = 1;
        o.log_buf = blog;
        o.log_size = sizeof(blog);
        o.errbuf = err;
        o.errbuf_len = sizeof(err);
        err[0] = 0;
        int rc = bpfvm_verify(insns, cnt, &o);
        char got = rc ? 'R' : 'A';
        CHECKF(got == vc->verdict, "%s: bpfvm %c (%s), expected %c", vc->name, got, rc ? err : "accepted",
               vc->verdict);
        if (vc->msg && rc)
            CHECKF(strstr(err, vc->msg) != NULL, "%s: bpfvm says \"%s\", expected \"%s\"", vc->name, err,
                   vc->msg);
        if (verbose)
            printf("=== %s: bpfvm %c (%s), %llu insns\n%s", vc->name, got, rc ? err : "ok",
                   (unsigned long long)o.insns_processed, blog);
        if (have_kernel && !vc->unpriv) {
            for (size_t i = 0; i + 1 < cnt; i++) {
                if (insns[i].code != 0x18)
                    continue;
                if (insns[i].src_reg == 5 || insns[i].src_reg == 6) {
                    int m = insns[i].imm;
                    insns[i].src_reg = insns[i].src_reg == 5 ? 1 : 2;
                    insns[i].imm = m >= 0 && m < 4 ? kfd[m] : -1;
                }
                i++;
            }
            int fd = vkernel_prog_load(vc->prog_type, insns, cnt, klog, sizeof(klog), 1);
            char kgot = fd >= 0 ? 'A' : 'R';
            if (fd >= 0)
                close(fd);
            compared++;
            if (kgot == got) {
                agree++;
            } else {
                disagree++;
                printf("DISAGREE %s: kernel %c (%s), bpfvm %c (%s)%s%s\n", vc->name, kgot,
                       fd >= 0 ? "accepted" : last_line(klog), got, rc ? err : "accepted",
                       vc->note ? " - deliberate: " : "", vc->note ? vc->note : "");
            }
            CHECKF(kgot == got || vc->note, "%s: kernel and bpfvm disagree", vc->name);
            if (verbose)
                printf("--- kernel %c\n%s\n", kgot, klog);
        }
        for (int m = 0; m < 4; m++) {
            bpfvm_map_free(maps[m]);
            if (kfd[m] >= 0)
                close(kfd[m]);
        }
        free(insns);
    }
    printf("kernel comparison: %d programs, %d agree, %d disagree\n", compared, agree, disagree);
    return test_summary();
}
