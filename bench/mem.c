/* mem.c - memory per hash-map entry: bpfvm's HASH map (preallocated and not) measured as the
 * growth of what the allocator handed out while the map is created and filled, the kernel's
 * own figure for the same map (the memlock line of /proc/self/fdinfo), and the 12 bytes of
 * payload (4-byte key, 8-byte value) as the floor. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "bpfvm/map.h"
#include "mem.h"

#define MEM_ENTRIES (1u << 18)

/* bytes the allocator has handed out: in-use heap plus mmapped blocks */
static long rss_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (long)(mi.uordblks + mi.hblkhd);
}

static double bpfvm_bytes_per_entry(uint32_t flags)
{
    long before = rss_bytes();
    struct bpfvm_map *m = NULL;
    struct bpfvm_map_create_opts o = {.sz = sizeof(o), .map_flags = flags};
    if (bpfvm_map_create(BPFVM_MAP_TYPE_HASH, "mem", 4, 8, MEM_ENTRIES, &o, &m))
        return -1;
    uint64_t v = 1;
    for (uint32_t k = 0; k < MEM_ENTRIES; k++)
        if (bpfvm_map_update_elem(m, &k, &v, BPFVM_ANY)) {
            bpfvm_map_free(m);
            return -1;
        }
    long after = rss_bytes();
    bpfvm_map_free(m);
    return (double)(after - before) / MEM_ENTRIES;
}

static double kernel_bytes_per_entry(uint32_t flags, char *why, size_t len)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = BPF_MAP_TYPE_HASH;
    a.key_size = 4;
    a.value_size = 8;
    a.max_entries = MEM_ENTRIES;
    a.map_flags = flags;
    int fd = (int)syscall(__NR_bpf, BPF_MAP_CREATE, &a, sizeof(a));
    if (fd < 0) {
        snprintf(why, len, "bpf() refused: %s", strerror(errno));
        return -1;
    }
    uint64_t v = 1;
    for (uint32_t k = 0; k < MEM_ENTRIES; k++) {
        memset(&a, 0, sizeof(a));
        a.map_fd = (uint32_t)fd;
        a.key = (uint64_t)(uintptr_t)&k;
        a.value = (uint64_t)(uintptr_t)&v;
        if (syscall(__NR_bpf, BPF_MAP_UPDATE_ELEM, &a, sizeof(a)) < 0) {
            snprintf(why, len, "update: %s", strerror(errno));
            close(fd);
            return -1;
        }
    }
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    double memlock = -1;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "memlock:", 8))
            memlock = strtod(line + 8, NULL);
    if (f)
        fclose(f);
    close(fd);
    if (memlock < 0)
        snprintf(why, len, "no memlock in fdinfo");
    return memlock < 0 ? -1 : memlock / MEM_ENTRIES;
}

void bench_mem_report(FILE *out)
{
    char why[128] = "", why2[128] = "";
    double bp = bpfvm_bytes_per_entry(0), bn = bpfvm_bytes_per_entry(BPFVM_F_NO_PREALLOC);
    double kp = kernel_bytes_per_entry(0, why, sizeof(why));
    double kn = kernel_bytes_per_entry(BPF_F_NO_PREALLOC, why2, sizeof(why2));
    fprintf(out, "\nMemory per hash-map entry (key 4 B, value 8 B, %u entries, full):\n", MEM_ENTRIES);
    fprintf(out, "  native payload 12 B;");
    if (bp >= 0)
        fprintf(out, " bpfvm %.1f B (allocated);", bp);
    if (bn >= 0)
        fprintf(out, " bpfvm no-prealloc %.1f B;", bn);
    if (kp >= 0)
        fprintf(out, " kernel %.1f B (its memlock figure);", kp);
    else
        fprintf(out, " kernel missing (%s);", why);
    if (kn >= 0)
        fprintf(out, " kernel no-prealloc %.1f B;", kn);
    fputc('\n', out);
}
