/* eng_kernel.c - the running Linux kernel's JIT, through bpf(BPF_PROG_LOAD) of an XDP program
 * and bpf(BPF_PROG_TEST_RUN) with repeat.  Maps are real kernel maps filled with the same
 * entries as the native ones. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "engine.h"
#include "nmaps.h"

struct kernel_cell {
    int fd;
    double last_duration;
};

static int kernel_map_fd[BENCH_NMAPS] = {-1, -1, -1};
static const uint8_t kernel_dummy_pkt[64];

static long kernel_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int kernel_load(const struct bpfvm_insn *insns, size_t cnt, char *log, size_t loglen)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = BPF_PROG_TYPE_XDP;
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = (uint32_t)cnt;
    a.license = (uint64_t)(uintptr_t)"GPL";
    if (log && loglen) {
        log[0] = 0;
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = (uint32_t)loglen;
        a.log_level = 1;
    }
    int fd = (int)kernel_bpf(BPF_PROG_LOAD, &a);
    if (fd < 0 && log && loglen && errno == ENOSPC) { /* log too small: load without it */
        a.log_buf = 0, a.log_size = 0, a.log_level = 0;
        fd = (int)kernel_bpf(BPF_PROG_LOAD, &a);
    }
    return fd < 0 ? -errno : fd;
}

static int kernel_init(char *why, size_t len)
{
    static const struct bpfvm_insn empty[2] = {{.code = OP_ALU64 | A_MOV | OP_K},
                                                {.code = OP_JMP | J_EXIT}};
    int fd = kernel_load(empty, 2, NULL, 0);
    if (fd < 0) {
        snprintf(why, len, "bpf(BPF_PROG_LOAD) refused: %s", strerror(-fd));
        return -1;
    }
    close(fd);
    return 0;
}

static int kernel_make_map(int idx)
{
    struct nmap *m = &bench_nmaps[idx];
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = m->type == NMAP_ARRAY  ? BPF_MAP_TYPE_ARRAY
                 : m->type == NMAP_HASH ? BPF_MAP_TYPE_HASH
                                        : BPF_MAP_TYPE_LPM_TRIE;
    a.key_size = m->key_size;
    a.value_size = m->value_size;
    a.max_entries = m->max_entries;
    if (m->type == NMAP_LPM)
        a.map_flags = BPF_F_NO_PREALLOC;
    int fd = (int)kernel_bpf(BPF_MAP_CREATE, &a);
    if (fd < 0)
        return -errno;
    for (uint32_t i = 0; i < m->nentries; i++) {
        memset(&a, 0, sizeof(a));
        a.map_fd = (uint32_t)fd;
        a.key = (uint64_t)(uintptr_t)(m->ekeys + (size_t)i * m->key_size);
        a.value = (uint64_t)(uintptr_t)(m->evals + (size_t)i * m->value_size);
        a.flags = BPF_ANY;
        if (kernel_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) {
            int err = -errno;
            close(fd);
            return err;
        }
    }
    return fd;
}

static void kernel_release(void *h)
{
    struct kernel_cell *c = h;
    if (c) {
        close(c->fd);
        free(c);
    }
}

static int kernel_prepare(const struct bench_row *row, void **h, char *why, size_t len)
{
    if (row->kind == ROW_CLASSIC) {
        snprintf(why, len, "socket filters (SO_ATTACH_FILTER) cannot be test-run");
        return ENGINE_NA;
    }
    static struct ops_prog p;
    bench_build_prog(row, FLAVOUR_XDP, &p);
    for (size_t i = 0; i + 1 < p.cnt; i++) {
        struct bpfvm_insn *in = &p.insn[i];
        if (in->code == (OP_LD | OP_IMM | OP_DW) && in->src_reg == BPF_PSEUDO_MAP_FD) {
            int idx = in->imm;
            if (kernel_map_fd[idx] < 0)
                kernel_map_fd[idx] = kernel_make_map(idx);
            if (kernel_map_fd[idx] < 0) {
                snprintf(why, len, "map create: %s", strerror(-kernel_map_fd[idx]));
                return ENGINE_FAIL;
            }
            in->imm = kernel_map_fd[idx];
            i++;
        }
    }
    static char log[1 << 16];
    int fd = kernel_load(p.insn, p.cnt, log, sizeof(log));
    if (fd < 0) {
        /* the last line of the verifier log says why */
        size_t n = strlen(log);
        while (n && log[n - 1] == '\n')
            log[--n] = 0;
        const char *last = strrchr(log, '\n');
        snprintf(why, len, "verifier: %s", last ? last + 1 : (n ? log : strerror(-fd)));
        return ENGINE_FAIL;
    }
    struct kernel_cell *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return ENGINE_FAIL;
    }
    c->fd = fd;
    *h = c;
    return 0;
}

static int kernel_run(void *h, const struct bench_row *row, uint64_t n, uint64_t *r0)
{
    struct kernel_cell *c = h;
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.test.prog_fd = (uint32_t)c->fd;
    a.test.data_in = (uint64_t)(uintptr_t)(row->pkt ? row->pkt : kernel_dummy_pkt);
    a.test.data_size_in = (uint32_t)(row->pkt ? row->pkt_len : sizeof(kernel_dummy_pkt));
    a.test.repeat = n > 0xffffffffu ? 0xffffffffu : (uint32_t)n;
    if (kernel_bpf(BPF_PROG_TEST_RUN, &a) < 0)
        return -errno;
    *r0 = a.test.retval;
    c->last_duration = a.test.duration;
    return 0;
}

double bench_kernel_last_duration(void *h)
{
    return h ? ((struct kernel_cell *)h)->last_duration : 0;
}

const struct bench_engine engine_kernel = {"kernel", "kernel_jit", 32, kernel_init,
                                           kernel_prepare, kernel_run, kernel_release};
