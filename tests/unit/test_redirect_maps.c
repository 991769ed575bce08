/* test_redirect_maps.c - DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP from the host: creation
 * rules, updates (interfaces, queue sizes, socket fds, flags), deletes, lookups and the walk
 * order, each compared with the running kernel through bpf(2) when it allows, else with the
 * values measured on Linux 6.18 (the table's `want`). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpfvm/map.h"
#include "testlib.h"

static int kernel_ok;

static int k_create(int type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags)
{
    return test_kmap_create((uint32_t)type, ks, vs, max, flags, 0);
}

static int k_elem(int cmd, int fd, const void *key, void *val, uint64_t flags)
{
    int r = (int)test_kmap_elem(cmd, fd, key, val, flags);
    return r > 0 ? 0 : r;
}

/* Map creation: bpfvm vs the kernel (or the measured answer). */
static const struct {
    int type;
    uint32_t ks, vs, max, flags;
    int want;
} creates[] = {
    {14, 4, 4, 4, 0, 0}, {14, 4, 8, 4, 0, 0}, {14, 4, 12, 4, 0, -EINVAL}, {14, 8, 4, 4, 0, -EINVAL},
    {14, 4, 4, 0, 0, -EINVAL}, {14, 4, 4, 4, BPF_F_NUMA_NODE, 0}, {14, 4, 4, 4, BPF_F_RDONLY, 0},
    {14, 4, 4, 4, BPF_F_RDONLY_PROG, -EINVAL}, {14, 4, 4, 4, BPF_F_NO_PREALLOC, -EINVAL},
    {14, 4, 4, 4, BPF_F_MMAPABLE, -EINVAL},
    {25, 4, 4, 4, 0, 0}, {25, 4, 8, 4, 0, 0}, {25, 4, 0, 4, 0, -EINVAL}, {25, 4, 4, 4, BPF_F_WRONLY, 0},
    {25, 4, 4, 4, BPF_F_RDONLY_PROG, -EINVAL}, {25, 4, 4, 0xffffffffu, 0, -EINVAL},
    {16, 4, 4, 4, 0, 0}, {16, 4, 8, 4, 0, 0}, {16, 4, 12, 4, 0, -EINVAL}, {16, 4, 4, 4, BPF_F_RDONLY, -EINVAL},
    {16, 4, 4, 4, BPF_F_NUMA_NODE, 0}, {16, 4, 4, 1u << 20, 0, -E2BIG},
    {17, 4, 4, 4, 0, 0}, {17, 4, 8, 4, 0, -EINVAL}, {17, 4, 4, 4, BPF_F_RDONLY, 0},
    {17, 4, 4, 4, BPF_F_RDONLY_PROG, -EINVAL}, {17, 4, 4, 0, 0, -EINVAL},
};

static void test_create(void)
{
    for (size_t i = 0; i < sizeof(creates) / sizeof(creates[0]); i++) {
        struct bpfvm_map *m = NULL;
        int want = creates[i].want;
        if (kernel_ok) {
            int fd = k_create(creates[i].type, creates[i].ks, creates[i].vs, creates[i].max,
                              creates[i].flags);
            want = fd < 0 ? fd : 0;
            if (fd >= 0)
                close(fd);
        }
        struct bpfvm_map_create_opts o = {.sz = sizeof(o), .map_flags = creates[i].flags};
        int got = bpfvm_map_create((enum bpfvm_map_type)creates[i].type, "t", creates[i].ks,
                                   creates[i].vs, creates[i].max, &o, &m);
        CHECKF(got == want, "create #%zu type %d: bpfvm %d, want %d", i, creates[i].type, got, want);
        bpfvm_map_free(m);
    }
}

/* Element operations on one map of each type, applied to both sides in order. */
enum { UPD, DEL, LOOK, NEXT };
struct op {
    int map; /* index into types[] */
    int what;
    uint32_t key, v0, v1;
    uint64_t flags;
    int want;
};
#define SOCK 0xfffffff0u  /* v0: a UDP socket fd */
#define FILEFD 0xfffffff1u /* v0: an fd of /dev/null */
static const struct { int type; uint32_t vs, max; } types[] = {
    {14, 8, 4}, {25, 4, 4}, {16, 8, 4}, {17, 4, 4},
};
static const struct op ops[] = {
    {0, UPD, 0, 1, 0, 0, 0}, {0, UPD, 1, 0x7fff0000, 0, 0, -EINVAL}, {0, UPD, 1, 1, 5, 0, -EINVAL},
    {0, UPD, 1, 0, 5, 0, -EINVAL}, {0, UPD, 1, 0, 0, 0, 0}, {0, UPD, 4, 1, 0, 0, -E2BIG},
    {0, UPD, 1, 1, 0, 1, -EEXIST}, {0, UPD, 4, 1, 0, 1, -E2BIG}, {0, UPD, 2, 1, 0, 2, 0},
    {0, UPD, 2, 1, 0, 3, -EINVAL}, {0, UPD, 9, 1, 0, 3, -EINVAL}, {0, LOOK, 0, 0, 0, 0, 0},
    {0, LOOK, 1, 0, 0, 0, -ENOENT}, {0, LOOK, 9, 0, 0, 0, -ENOENT}, {0, LOOK, 0, 0, 0, 4, -EINVAL},
    {0, NEXT, 3, 0, 0, 0, -ENOENT}, {0, NEXT, 9, 0, 0, 0, 0}, {0, DEL, 2, 0, 0, 0, 0},
    {0, DEL, 2, 0, 0, 0, 0}, {0, DEL, 4, 0, 0, 0, -EINVAL}, {0, LOOK, 2, 0, 0, 0, -ENOENT},
    {1, UPD, 4, 1, 0, 0, 0}, {1, UPD, 0, 1, 0, 0, 0}, {1, UPD, 12, 1, 0, 2, 0}, {1, UPD, 7, 0, 0, 0, -EINVAL},
    {1, UPD, 7, 0x7fff0000, 0, 0, -EINVAL}, {1, UPD, 4, 1, 0, 1, -EEXIST}, {1, UPD, 4, 0x7fff0000, 0, 1, -EEXIST},
    {1, UPD, 8, 1, 0, 0, 0}, {1, UPD, 9, 1, 0, 0, -E2BIG}, {1, UPD, 9, 0x7fff0000, 0, 0, -EINVAL},
    {1, UPD, 0, 1, 0, 0, 0}, {1, NEXT, 0xffffffff, 0, 0, 0, 0}, {1, NEXT, 8, 0, 0, 0, 0},
    {1, NEXT, 0, 0, 0, 0, 0}, {1, NEXT, 4, 0, 0, 0, -ENOENT}, {1, NEXT, 12, 0, 0, 0, 0},
    {1, DEL, 12, 0, 0, 0, 0}, {1, DEL, 12, 0, 0, 0, -ENOENT}, {1, LOOK, 12, 0, 0, 0, -ENOENT},
    {1, LOOK, 4, 0, 0, 0, 0}, {1, NEXT, 0, 0, 0, 0, 0},
    {2, UPD, 0, 192, 0, 0, 0}, {2, UPD, 0, 16384, 0, 0, 0}, {2, UPD, 0, 16385, 0, 0, -EOVERFLOW},
    {2, UPD, 0, 192, 99, 0, -ENOMEM}, {2, UPD, 0, 0, 99, 0, 0}, {2, LOOK, 0, 0, 0, 0, -ENOENT},
    {2, UPD, 0, 64, 0xffffffff, 0, 0}, {2, UPD, 0, 64, 0, 1, -EEXIST}, {2, UPD, 4, 64, 0, 0, -E2BIG},
    {2, UPD, 9, 64, 0, 3, -EINVAL}, {2, LOOK, 0, 0, 0, 0, 0}, {2, DEL, 0, 0, 0, 0, 0},
    {2, DEL, 0, 0, 0, 0, 0}, {2, DEL, 7, 0, 0, 0, -EINVAL}, {2, NEXT, 0, 0, 0, 0, 0},
    {3, UPD, 0, SOCK, 0, 0, -EOPNOTSUPP}, {3, UPD, 0, FILEFD, 0, 0, -ENOTSOCK},
    {3, UPD, 0, 0xffffffff, 0, 0, -EBADF}, {3, UPD, 0, 9999, 0, 0, -EBADF}, {3, UPD, 5, SOCK, 0, 0, -E2BIG},
    {3, UPD, 0, SOCK, 0, 3, -EINVAL}, {3, UPD, 0, SOCK, 0, 2, -EOPNOTSUPP}, {3, LOOK, 0, 0, 0, 0, -EOPNOTSUPP},
    {3, LOOK, 7, 0, 0, 0, -EOPNOTSUPP}, {3, DEL, 0, 0, 0, 0, 0}, {3, DEL, 5, 0, 0, 0, -EINVAL},
    {3, NEXT, 2, 0, 0, 0, 0},
};

static void test_elements(void)
{
    struct bpfvm_map *vm[4] = {0};
    int kfd[4] = {-1, -1, -1, -1};
    int udp = socket(AF_INET, SOCK_DGRAM, 0), file = open("/dev/null", O_RDONLY);
    for (int i = 0; i < 4; i++) {
        CHECK(bpfvm_map_create((enum bpfvm_map_type)types[i].type, "t", 4, types[i].vs,
                               types[i].max, NULL, &vm[i]) == 0);
        if (kernel_ok)
            kfd[i] = k_create(types[i].type, 4, types[i].vs, types[i].max, 0);
    }
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && vm[ops[i].map]; i++) {
        const struct op *o = &ops[i];
        uint32_t key = o->key, val[2] = {o->v0, o->v1}, kout[2] = {0}, vout[2] = {0};
        if (o->v0 == SOCK)
            val[0] = (uint32_t)udp;
        else if (o->v0 == FILEFD)
            val[0] = (uint32_t)file;
        struct bpfvm_map *m = vm[o->map];
        int got = 0, want = o->want, fd = kfd[o->map];
        uint32_t knext = 0, vnext = 0;
        switch (o->what) {
        case UPD:
            got = bpfvm_map_update_elem(m, &key, val, o->flags);
            if (fd >= 0)
                want = k_elem(BPF_MAP_UPDATE_ELEM, fd, &key, val, o->flags);
            break;
        case DEL:
            got = bpfvm_map_delete_elem(m, &key);
            if (fd >= 0)
                want = k_elem(BPF_MAP_DELETE_ELEM, fd, &key, NULL, 0);
            break;
        case LOOK:
            got = bpfvm_map_lookup_elem_flags(m, &key, vout, o->flags);
            if (fd >= 0)
                want = k_elem(BPF_MAP_LOOKUP_ELEM, fd, &key, kout, o->flags);
            if (fd >= 0 && !got && !want)
                CHECKF(!memcmp(kout, vout, types[o->map].vs), "op #%zu: value %x %x, kernel %x %x",
                       i, vout[0], vout[1], kout[0], kout[1]);
            break;
        case NEXT:
            got = bpfvm_map_get_next_key(m, &key, &vnext);
            if (fd >= 0)
                want = k_elem(BPF_MAP_GET_NEXT_KEY, fd, &key, &knext, 0);
            if (fd >= 0 && !got && !want)
                CHECKF(knext == vnext, "op #%zu: next key %u, kernel %u", i, vnext, knext);
            break;
        }
        CHECKF(got == want, "op #%zu (map type %d, op %d, key %u): bpfvm %d, %s %d", i,
               types[o->map].type, o->what, o->key, got, fd >= 0 ? "kernel" : "want", want);
    }
    for (int i = 0; i < 4; i++) {
        bpfvm_map_free(vm[i]);
        if (kfd[i] >= 0)
            close(kfd[i]);
    }
    if (udp >= 0)
        close(udp);
    if (file >= 0)
        close(file);
}

/* DEVMAP_HASH walk order (buckets key & (n - 1), newest first; a replaced key moves to its
 * bucket's head) against the kernel's, on a random workload. */
static void test_hash_order(void)
{
    if (!kernel_ok) {
        printf("note: kernel bpf() unavailable: DEVMAP_HASH walk order not compared\n");
        return;
    }
    struct bpfvm_map *m = NULL;
    int fd = k_create(25, 4, 4, 12, 0);
    CHECK(bpfvm_map_create(BPFVM_MAP_TYPE_DEVMAP_HASH, "h", 4, 4, 12, NULL, &m) == 0 && fd >= 0);
    uint64_t rng = 0x1234567;
    for (int i = 0; i < 300 && m && fd >= 0; i++) {
        uint32_t key = (uint32_t)(test_rng(&rng) % 40), one = 1;
        int r1, r2;
        if (test_rng(&rng) % 3 == 0) {
            r1 = bpfvm_map_delete_elem(m, &key);
            r2 = k_elem(BPF_MAP_DELETE_ELEM, fd, &key, NULL, 0);
        } else {
            r1 = bpfvm_map_update_elem(m, &key, &one, 0);
            r2 = k_elem(BPF_MAP_UPDATE_ELEM, fd, &key, &one, 0);
        }
        CHECKF(r1 == r2, "step %d key %u: bpfvm %d, kernel %d", i, key, r1, r2);
        uint32_t kk = 0, vk = 0, kn, vn;
        const void *kp = NULL, *vp = NULL;
        for (int n = 0; n < 20; n++) {
            int a = bpfvm_map_get_next_key(m, vp, &vn), b = k_elem(BPF_MAP_GET_NEXT_KEY, fd, kp, &kn, 0);
            CHECKF(a == b && (a || vn == kn), "step %d walk %d: bpfvm %d/%u, kernel %d/%u", i, n, a, vn, b, kn);
            if (a || b || vn != kn)
                break;
            vk = vn, kk = kn, vp = &vk, kp = &kk;
        }
    }
    bpfvm_map_free(m);
    if (fd >= 0)
        close(fd);
}

int main(void)
{
    /* BPFVM_TEST_NO_KERNEL=1: check against the recorded values even where bpf() works */
    int fd = getenv("BPFVM_TEST_NO_KERNEL") ? -EPERM : k_create(2, 4, 4, 1, 0);
    kernel_ok = fd >= 0;
    if (fd >= 0)
        close(fd);
    else
        printf("note: kernel bpf() unavailable (%d): comparing with the values measured on 6.18\n", fd);
    test_create();
    test_elements();
    test_hash_order();
    return test_summary();
}
