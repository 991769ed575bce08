/* testlib.c - counting checks and the summary line for unit tests, and what several tests
 * share: loading assembly text, a fresh pin directory, the kernel's bpf(2). */
#define _GNU_SOURCE
#include "testlib.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>

#include "bpfvm/asm.h"
#include "bpfvm/vm.h"

int test_passed, test_failed;

void test_check(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
{
    if (ok) {
        test_passed++;
        return;
    }
    test_failed++;
    fprintf(stderr, "FAIL %s:%d: %s", file, line, expr);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs(" (", stderr);
        vfprintf(stderr, fmt, ap);
        fputs(")", stderr);
        va_end(ap);
    }
    fputc('\n', stderr);
}

static char test_pin_dir[] = "/tmp/bpfvm-test-pins-XXXXXX";

static void test_remove_pin_dir(void)
{
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", test_pin_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", test_pin_dir);
}

void test_fresh_pin_dir(void)
{
    if (!mkdtemp(test_pin_dir)) {
        fprintf(stderr, "warning: mkdtemp %s failed; BPFVM_PIN_DIR left as it is\n", test_pin_dir);
        return;
    }
    setenv("BPFVM_PIN_DIR", test_pin_dir, 1);
    atexit(test_remove_pin_dir);
}

int test_summary(void)
{
    printf("%d passed, %d failed\n", test_passed, test_failed);
    return test_failed ? 1 : 0;
}

char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

int test_asm_load(struct bpfvm_vm *vm, const char *text, const struct bpfvm_load_opts *lo,
                  struct bpfvm_prog **out)
{
    struct bpfvm_insn *insns = NULL;
    size_t cnt = 0;
    char err[256] = "";
    *out = NULL;
    if (bpfvm_asm(text, BPFVM_SYNTAX_LLVM, &insns, &cnt, err, sizeof(err))) {
        CHECKF(0, "asm: %s", err);
        return -EINVAL;
    }
    int rc = bpfvm_prog_load(vm, insns, cnt, lo, out);
    free(insns);
    return rc;
}

struct bpfvm_prog *test_load_asm(struct bpfvm_vm *vm, const char *text, struct bpfvm_map *const *maps,
                                 size_t nmaps, unsigned flags)
{
    char err[256] = "";
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = flags, .errbuf = err,
                                 .errbuf_len = sizeof(err), .maps = maps, .map_cnt = nmaps};
    struct bpfvm_prog *p = NULL;
    int rc = test_asm_load(vm, text, &lo, &p);
    CHECKF(rc == 0, "load: %s", err);
    return rc ? NULL : p;
}

long test_kbpf(int cmd, union bpf_attr *attr)
{
    long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
    return r < 0 ? -errno : r;
}

int test_kmap_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
                     uint32_t flags, uint64_t map_extra)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = type;
    a.key_size = key_size;
    a.value_size = value_size;
    a.max_entries = max_entries;
    a.map_flags = flags;
    a.map_extra = map_extra;
    return (int)test_kbpf(BPF_MAP_CREATE, &a);
}

long test_kmap_elem(int cmd, int fd, const void *key, const void *value, uint64_t flags)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)fd;
    a.key = (uint64_t)(uintptr_t)key;
    a.value = (uint64_t)(uintptr_t)value; /* the same field as next_key */
    a.flags = flags;
    return test_kbpf(cmd, &a);
}
