/* maps/pin.c - pinned maps: a map whose whole memory (header, struct, buckets, elements,
 * values, locks) lives in one file under the pin directory, mapped MAP_SHARED at the same
 * virtual address in every process, so the pointers inside it stay valid everywhere and
 * another process sees and changes the same live map.
 *
 * File layout: [pin_hdr, one page][arena: the map's own allocations].  The creator builds the
 * map in a temporary file, then link()s it to the pin path, so a pin is never seen half made
 * and two racing creators end with one map.  The address is chosen by the creator (from the
 * path's hash, avoiding the ranges of the other pins in the pin directory and anything mapped
 * in its own process) in a window no allocator uses, and recorded in the header.
 *
 * Function pointers differ between processes and binaries, so the shared map's `ops` points
 * at a per-process copy of the ops table kept at one fixed address (PIN_OPS_ADDR): the
 * pointer is the same everywhere, the table behind it is each process's own. */
#define _GNU_SOURCE
#include "maps/map.h"
#include "core/grow.h"

#include <dirent.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The window: above ASan's shadow (which ends at 0x10007fff7fff on x86-64), below PIE
 * executables and the heap (0x55..), the mmap area (0x7f..) and ASan's allocator
 * (0x600000000000-0x640000000000). */
#define PIN_OPS_ADDR 0x300000000000ULL
#define PIN_WIN_LO 0x300040000000ULL
#define PIN_WIN_HI 0x500000000000ULL
#define PIN_GRANULE (1ULL << 30)
#define PIN_HDR_SIZE 4096u
#define PIN_NTYPES 32
#define PIN_MAGIC "BPFVMPN1"
#define PIN_VERSION 2u           /* bump when a pinnable map's layout changes */
#define PIN_DEFAULT_DIR "/dev/shm/bpfvm"

struct pin_hdr {
    char magic[8];
    uint32_t version, hdr_size;
    uint64_t abi;                /* layout fingerprint of the build that made it */
    uint64_t base, len;          /* where the whole file is mapped, and its size */
    _Atomic uint32_t ready;
    uint32_t type, key_size, value_size, max_entries, map_flags, nr_slots;
    int32_t spin_lock_off;
    uint32_t id;
    int32_t creator_pid;
    char name[16];
    uint64_t map_addr;           /* the struct bpfvm_map */
    struct map_arena arena;
    uint64_t map_extra;          /* BLOOM_FILTER's number of hashes */
};

/* A process's view of one pin it has mapped. */
struct pin_entry {
    struct pin_entry *next;
    dev_t dev;
    ino_t ino;
    struct pin_hdr *hdr;
    struct bpfvm_map *map;
    long refs;
    char path[PATH_MAX];
};

static pthread_mutex_t pin_mu = PTHREAD_MUTEX_INITIALIZER;
static struct pin_entry *pin_entries;
static pthread_once_t pin_ops_once = PTHREAD_ONCE_INIT;
static int pin_ops_err;
static atomic_uint pin_tmp_seq;

static uint64_t pin_abi(void)
{
    uint64_t h = PIN_VERSION;
    const uint64_t parts[] = {
        sizeof(struct bpfvm_map), offsetof(struct bpfvm_map, ops),
        offsetof(struct bpfvm_map, arena), offsetof(struct bpfvm_map, shared),
        sizeof(struct map_ops), sizeof(struct map_arena), sizeof(struct pin_hdr),
        sizeof(pthread_rwlock_t), sizeof(void *),
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        h = map_mix64(h ^ parts[i]) + i;
    return h;
}

static int pin_msg(char *buf, size_t len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int pin_msg(char *buf, size_t len, int err, const char *fmt, ...)
{
    if (buf && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, len, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* ---------------------------------------------------------------- the ops table */

static size_t pin_ops_bytes(void)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (PIN_NTYPES * sizeof(struct map_ops) + pg - 1) / pg * pg;
}

static void pin_ops_init(void)
{
    size_t sz = pin_ops_bytes();
    void *want = (void *)(uintptr_t)PIN_OPS_ADDR;
    void *p = mmap(want, sz, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || p != want) {
        if (p != MAP_FAILED)
            munmap(p, sz);
        pin_ops_err = -EBUSY;
        return;
    }
    struct map_ops *tbl = p;
    for (int t = 0; t < PIN_NTYPES; t++) {
        const struct map_ops *o = map_ops_for((enum bpfvm_map_type)t);
        if (o && o->mem_size)
            tbl[t] = *o;
    }
    mprotect(p, sz, PROT_READ);
}

static const struct map_ops *pin_ops(enum bpfvm_map_type type, char *buf, size_t len, int *err)
{
    pthread_once(&pin_ops_once, pin_ops_init);
    if (pin_ops_err) {
        *err = pin_msg(buf, len, pin_ops_err, "pinned maps: address 0x%llx for the map "
                       "operation table is taken in this process", PIN_OPS_ADDR);
        return NULL;
    }
    if ((unsigned)type >= PIN_NTYPES)
        return NULL;
    const struct map_ops *o = (const struct map_ops *)(uintptr_t)PIN_OPS_ADDR + type;
    return o->mem_size ? o : NULL;
}

/* ---------------------------------------------------------------- paths */

const char *bpfvm_pin_dir(void)
{
    const char *d = getenv("BPFVM_PIN_DIR");
    return d && *d ? d : PIN_DEFAULT_DIR;
}

static bool pin_has_dotdot(const char *p)
{
    for (const char *s = p; (s = strstr(s, "..")); s += 2)
        if ((s == p || s[-1] == '/') && (s[2] == 0 || s[2] == '/'))
            return true;
    return false;
}

static int pin_resolve_in(const char *dir, const char *path, char *out, size_t len)
{
    if (!path || !*path || !out || pin_has_dotdot(path))
        return -EINVAL;
    int n = path[0] == '/' ? snprintf(out, len, "%s", path)
                           : snprintf(out, len, "%s/%s", dir, path);
    if (n < 0 || (size_t)n >= len)
        return -ENAMETOOLONG;
    return 0;
}

int bpfvm_pin_resolve(const char *path, char *out, size_t len)
{
    return pin_resolve_in(bpfvm_pin_dir(), path, out, len);
}

static bool pin_name_ok(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int bpfvm_pin_path_for(int kind, const char *obj_id, const char *name, char *out, size_t len)
{
    if (!out || !len || !pin_name_ok(name))
        return -EINVAL;
    int n;
    switch (kind) {
    case BPFVM_PIN_BY_NAME:
        n = snprintf(out, len, "%s/%s", bpfvm_pin_dir(), name);
        break;
    case BPFVM_PIN_GLOBAL_NS:
        n = snprintf(out, len, "%s/tc/globals/%s", bpfvm_pin_dir(), name);
        break;
    case BPFVM_PIN_OBJECT_NS:
        if (!pin_name_ok(obj_id))
            return -EINVAL;
        n = snprintf(out, len, "%s/tc/%s/%s", bpfvm_pin_dir(), obj_id, name);
        break;
    default:
        return -EINVAL;
    }
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p of the directory part of path. */
static int pin_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = 0;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, 0755) && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST)
        return -errno;
    return 0;
}

/* ---------------------------------------------------------------- headers */

static int pin_read_hdr(int fd, const char *path, struct pin_hdr *h, char *buf, size_t len)
{
    struct stat st;
    if (fstat(fd, &st))
        return pin_msg(buf, len, -errno, "pinned map %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) || st.st_size < (off_t)PIN_HDR_SIZE ||
        pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h) ||
        memcmp(h->magic, PIN_MAGIC, 8))
        return pin_msg(buf, len, -EINVAL, "%s is not a bpfvm pinned map", path);
    if (h->version != PIN_VERSION || h->abi != pin_abi())
        return pin_msg(buf, len, -EINVAL, "pinned map %s was made by an incompatible bpfvm "
                       "build (layout version %u)", path, h->version);
    uint64_t end = h->base + h->len;
    if (h->hdr_size != PIN_HDR_SIZE || h->base < PIN_WIN_LO || h->len < PIN_HDR_SIZE ||
        end < h->base || end > PIN_WIN_HI || (h->base & (PIN_GRANULE - 1)) ||
        (uint64_t)st.st_size < h->len || h->map_addr < h->base + PIN_HDR_SIZE ||
        h->map_addr + sizeof(struct bpfvm_map) > end || h->type >= PIN_NTYPES)
        return pin_msg(buf, len, -EINVAL, "pinned map %s: corrupt header", path);
    if (!atomic_load(&h->ready))
        return pin_msg(buf, len, -EINVAL, "pinned map %s was not completely created", path);
    return 0;
}

int bpfvm_pin_info(const char *path, struct bpfvm_pin_info *info)
{
    char abs[PATH_MAX];
    int err = bpfvm_pin_resolve(path, abs, sizeof(abs));
    if (err || !info)
        return err ? err : -EINVAL;
    int fd = open(abs, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct pin_hdr h;
    err = pin_read_hdr(fd, abs, &h, NULL, 0);
    if (!err) {
        memset(info, 0, sizeof(*info));
        info->type = (enum bpfvm_map_type)h.type;
        info->key_size = h.key_size;
        info->value_size = h.value_size;
        info->max_entries = h.max_entries;
        info->map_flags = h.map_flags;
        info->nr_slots = h.nr_slots;
        info->id = h.id;
        info->spin_lock_off = h.spin_lock_off;
        memcpy(info->name, h.name, sizeof(info->name));
        info->name[sizeof(info->name) - 1] = 0;
        info->bytes = h.len;
        info->addr = h.base;
        info->creator_pid = h.creator_pid;
        uint8_t fz = 0;
        off_t off = (off_t)(h.map_addr - h.base + offsetof(struct bpfvm_map, frozen));
        if (pread(fd, &fz, 1, off) == 1)
            info->frozen = fz != 0;
    }
    close(fd);
    return err;
}

/* ---------------------------------------------------------------- registry */

static struct pin_entry *pin_find_map(const struct bpfvm_map *map)
{
    for (struct pin_entry *e = pin_entries; e; e = e->next)
        if (e->map == map)
            return e;
    return NULL;
}

void map_pin_get(struct bpfvm_map *map)
{
    pthread_mutex_lock(&pin_mu);
    struct pin_entry *e = pin_find_map(map);
    if (e)
        e->refs++;
    pthread_mutex_unlock(&pin_mu);
}

void map_pin_put(struct bpfvm_map *map)
{
    pthread_mutex_lock(&pin_mu);
    struct pin_entry **pp = &pin_entries, *e;
    while ((e = *pp) && e->map != map)
        pp = &e->next;
    if (e && --e->refs == 0) {
        *pp = e->next;
        munmap(e->hdr, e->hdr->len);
        free(e);
    }
    pthread_mutex_unlock(&pin_mu);
}

const char *bpfvm_map_pin_path(const struct bpfvm_map *map)
{
    if (!map || !map->shared)
        return NULL;
    pthread_mutex_lock(&pin_mu);
    struct pin_entry *e = pin_find_map(map);
    pthread_mutex_unlock(&pin_mu);
    return e ? e->path : NULL;
}

static int pin_register(struct pin_hdr *h, const struct stat *st, const char *path)
{
    struct pin_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->hdr = h;
    e->map = (struct bpfvm_map *)(uintptr_t)h->map_addr;
    e->refs = 1;
    snprintf(e->path, sizeof(e->path), "%s", path);
    e->next = pin_entries;
    pin_entries = e;
    return 0;
}

/* ---------------------------------------------------------------- open */

/* Map an existing pin (fd open on it); pin_mu held. */
static int pin_map_fd(int fd, const char *path, struct bpfvm_map **out, char *buf, size_t len)
{
    struct stat st;
    if (fstat(fd, &st))
        return pin_msg(buf, len, -errno, "pinned map %s: %s", path, strerror(errno));
    for (struct pin_entry *e = pin_entries; e; e = e->next) {
        if (e->dev == st.st_dev && e->ino == st.st_ino) {
            e->refs++;
            *out = e->map;
            return 0;
        }
    }
    struct pin_hdr h;
    int err = pin_read_hdr(fd, path, &h, buf, len);
    if (err)
        return err;
    const struct map_ops *ops = pin_ops((enum bpfvm_map_type)h.type, buf, len, &err);
    if (!ops)
        return err ? err : pin_msg(buf, len, -EINVAL, "pinned map %s: type %u cannot be "
                                   "pinned", path, h.type);
    void *want = (void *)(uintptr_t)h.base;
    void *p = mmap(want, h.len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
    if (p == MAP_FAILED || p != want) {
        int e = p == MAP_FAILED ? errno : EEXIST;
        if (p != MAP_FAILED)
            munmap(p, h.len);
        if (e == EEXIST)
            return pin_msg(buf, len, -EBUSY, "pinned map %s: its address range 0x%llx-0x%llx "
                           "is taken in this process (another pinned map or mapping overlaps "
                           "it)", path, (unsigned long long)h.base,
                           (unsigned long long)(h.base + h.len));
        return pin_msg(buf, len, -e, "pinned map %s: mmap: %s", path, strerror(e));
    }
    struct pin_hdr *sh = p;
    struct bpfvm_map *map = (struct bpfvm_map *)(uintptr_t)sh->map_addr;
    if (sh->map_addr != h.map_addr || !map->shared || map->ops != ops ||
        map->type != (enum bpfvm_map_type)h.type || map->key_size != h.key_size ||
        map->value_size != h.value_size || map->max_entries != h.max_entries ||
        map->arena != &sh->arena) {
        munmap(p, h.len);
        return pin_msg(buf, len, -EINVAL, "pinned map %s: corrupt map header", path);
    }
    if ((err = pin_register(sh, &st, path))) {
        munmap(p, h.len);
        return pin_msg(buf, len, err, "pinned map %s: out of memory", path);
    }
    *out = map;
    return 0;
}

int bpfvm_map_open_pinned_msg(const char *path, struct bpfvm_map **out, char *buf, size_t len)
{
    char abs[PATH_MAX];
    if (!out)
        return pin_msg(buf, len, -EINVAL, "open pinned map: no output pointer");
    *out = NULL;
    int err = bpfvm_pin_resolve(path, abs, sizeof(abs));
    if (err)
        return pin_msg(buf, len, err, "open pinned map: bad pin path '%s'", path ? path : "");
    int fd = open(abs, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return pin_msg(buf, len, -errno, "open pinned map %s: %s", abs, strerror(errno));
    pthread_mutex_lock(&pin_mu);
    err = pin_map_fd(fd, abs, out, buf, len);
    pthread_mutex_unlock(&pin_mu);
    close(fd);
    return err;
}

int bpfvm_map_open_pinned(const char *path, struct bpfvm_map **out)
{
    return bpfvm_map_open_pinned_msg(path, out, NULL, 0);
}

int bpfvm_map_unpin(const char *path)
{
    char abs[PATH_MAX];
    int err = bpfvm_pin_resolve(path, abs, sizeof(abs));
    if (err)
        return err;
    int fd = open(abs, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    char magic[8];
    bool ours = pread(fd, magic, 8, 0) == 8 && !memcmp(magic, PIN_MAGIC, 8);
    close(fd);
    if (!ours)
        return -EINVAL;
    return unlink(abs) ? -errno : 0;
}

/* ---------------------------------------------------------------- create */

struct pin_range {
    uint64_t lo, hi;
};
struct pin_ranges {
    struct pin_range *r;
    size_t n, cap;
};

/* Ranges of the pins under dir, so a new pin does not overlap one another process may map. */
static void pin_collect(const char *dir, int depth, struct pin_ranges *rs)
{
    DIR *d = depth < 8 ? opendir(dir) : NULL;
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[PATH_MAX];
        if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >= (int)sizeof(p))
            continue;
        struct stat st;
        if (lstat(p, &st))
            continue;
        if (S_ISDIR(st.st_mode)) {
            pin_collect(p, depth + 1, rs);
            continue;
        }
        if (!S_ISREG(st.st_mode) || st.st_size < (off_t)PIN_HDR_SIZE)
            continue;
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        struct pin_hdr h;
        if (pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && !memcmp(h.magic, PIN_MAGIC, 8) &&
            h.base && h.len) {
            if (!core_grow((void **)&rs->r, &rs->cap, rs->n, sizeof(*rs->r), 16))
                rs->r[rs->n++] = (struct pin_range){h.base, h.base + h.len};
        }
        close(fd);
    }
    closedir(d);
}

static uint64_t pin_path_hash(const char *s)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (; *s; s++)
        h = map_mix64(h ^ (uint8_t)*s) + 1;
    return h;
}

/* Map fd (len bytes) at a free address; returns the address or 0. */
static void *pin_place(int fd, uint64_t len, const char *path)
{
    struct pin_ranges rs = {0};
    pin_collect(bpfvm_pin_dir(), 0, &rs);
    uint64_t nslots = (PIN_WIN_HI - PIN_WIN_LO) / PIN_GRANULE;
    uint64_t start = pin_path_hash(path) % nslots;
    void *res = NULL;
    for (uint64_t i = 0; i < nslots && !res; i++) {
        uint64_t lo = PIN_WIN_LO + ((start + i) % nslots) * PIN_GRANULE, hi = lo + len;
        if (hi > PIN_WIN_HI || hi < lo)
            continue;
        bool clash = false;
        for (size_t k = 0; k < rs.n && !clash; k++)
            clash = lo < rs.r[k].hi && rs.r[k].lo < hi;
        if (clash)
            continue;
        void *want = (void *)(uintptr_t)lo;
        void *p = mmap(want, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
        if (p == want)
            res = p;
        else if (p != MAP_FAILED)
            munmap(p, len);
        else if (errno != EEXIST)
            break;
    }
    free(rs.r);
    return res;
}

static int pin_def_mismatch(const struct map_attr *a, const struct pin_hdr *h,
                            uint32_t nr_slots_asked)
{
    return h->type != (uint32_t)a->type || h->key_size != a->key_size ||
           h->value_size != a->value_size || h->max_entries != a->max_entries ||
           h->map_flags != a->map_flags || h->spin_lock_off != a->spin_lock_off ||
           h->map_extra != a->map_extra ||
           (nr_slots_asked && h->nr_slots != nr_slots_asked);
}

/* Reuse the pin at path (fd open on it) if its definition matches. */
static int pin_reuse(struct map_attr *a, int fd, const char *path, uint32_t nr_slots_asked,
                     struct bpfvm_map **out)
{
    struct pin_hdr h;
    int err = pin_read_hdr(fd, path, &h, a->errbuf, a->errbuf_len);
    if (err)
        return err;
    if (pin_def_mismatch(a, &h, nr_slots_asked)) {
        char slots[64] = "";
        if (nr_slots_asked && h.nr_slots != nr_slots_asked)
            snprintf(slots, sizeof(slots), " (slots %u, not %u)", h.nr_slots, nr_slots_asked);
        else if (h.map_extra != a->map_extra)
            snprintf(slots, sizeof(slots), " (map_extra 0x%llx, not 0x%llx)",
                     (unsigned long long)h.map_extra, (unsigned long long)a->map_extra);
        return map_err(a, -EINVAL, "pinned map %s has type %s, key %u, value %u, max %u, "
                       "flags 0x%x%s; the definition asks for type %s, key %u, value %u, "
                       "max %u, flags 0x%x", path,
                       bpfvm_map_type_name((enum bpfvm_map_type)h.type), h.key_size,
                       h.value_size, h.max_entries, h.map_flags,
                       h.spin_lock_off != a->spin_lock_off ? " (another spin lock offset)"
                                                           : slots,
                       bpfvm_map_type_name(a->type), a->key_size, a->value_size,
                       a->max_entries, a->map_flags);
    }
    pthread_mutex_lock(&pin_mu);
    err = pin_map_fd(fd, path, out, a->errbuf, a->errbuf_len);
    pthread_mutex_unlock(&pin_mu);
    return err;
}

/* Remove temporary files of creators that died before they could link their pin. */
static void pin_clean_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        int pid = 0;
        if (strncmp(de->d_name, ".bpfvm-tmp.", 11) || sscanf(de->d_name + 11, "%d", &pid) != 1 ||
            pid <= 0 || (kill(pid, 0) && errno == ESRCH) == 0)
            continue;
        char p[PATH_MAX];
        if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) < (int)sizeof(p))
            unlink(p);
    }
    closedir(d);
}

/* Build a new pinned map in a temporary file next to path; 1 when another creator won. */
static int pin_make(struct map_attr *a, const struct map_ops *ops, const char *name,
                    const char *path, struct bpfvm_map **out)
{
    const struct map_ops *pops = NULL;
    int err = 0;
    if (!(pops = pin_ops(a->type, a->errbuf, a->errbuf_len, &err)))
        return err ? err : map_err(a, -EOPNOTSUPP, "map create %s: cannot be pinned", ops->name);
    if ((err = pin_mkdirs(path)))
        return map_err(a, err, "pin %s: cannot create its directory: %s", path, strerror(-err));
    char tmp[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int dl = (int)(slash - path);
    if (snprintf(tmp, sizeof(tmp), "%.*s/.bpfvm-tmp.%d.%u", dl, path, (int)getpid(),
                 atomic_fetch_add(&pin_tmp_seq, 1)) >= (int)sizeof(tmp))
        return map_err(a, -ENAMETOOLONG, "pin %s: path too long", path);
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%.*s", dl, path);
    pin_clean_tmp(dir);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t body = ops->mem_size(a);
    body += body / 8 + 65536; /* slack: alignment, rounding; the file is sparse anyway */
    uint64_t len = ((uint64_t)PIN_HDR_SIZE + body + pg - 1) / pg * pg;
    if (len > (PIN_WIN_HI - PIN_WIN_LO) / 4)
        return map_err(a, -E2BIG, "map create %s: %llu bytes is too big to pin", ops->name,
                       (unsigned long long)len);
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return map_err(a, -errno, "pin %s: cannot create %s: %s", path, tmp, strerror(errno));
    void *base = NULL;
    if (ftruncate(fd, (off_t)len)) {
        err = map_err(a, -errno, "pin %s: cannot size the shared file: %s", path,
                      strerror(errno));
        goto fail;
    }
    if (!(base = pin_place(fd, len, path))) {
        err = map_err(a, -EBUSY, "pin %s: no free address range for %llu bytes", path,
                      (unsigned long long)len);
        goto fail;
    }
    struct pin_hdr *h = base;
    memcpy(h->magic, PIN_MAGIC, 8);
    h->version = PIN_VERSION;
    h->hdr_size = PIN_HDR_SIZE;
    h->abi = pin_abi();
    h->base = (uint64_t)(uintptr_t)base;
    h->len = len;
    h->type = (uint32_t)a->type;
    h->key_size = a->key_size;
    h->value_size = a->value_size;
    h->max_entries = a->max_entries;
    h->map_flags = a->map_flags;
    h->nr_slots = a->nr_slots;
    h->spin_lock_off = a->spin_lock_off;
    h->map_extra = a->map_extra;
    h->creator_pid = (int32_t)getpid();
    if (name)
        strncpy(h->name, name, sizeof(h->name) - 1);
    h->arena.start = (char *)base + PIN_HDR_SIZE;
    h->arena.size = len - PIN_HDR_SIZE;
    a->arena = &h->arena;
    struct bpfvm_map *map = NULL;
    if ((err = ops->alloc(a, &map))) {
        err = map_err(a, err, "map create %s: out of memory for the pinned map", ops->name);
        goto fail;
    }
    memcpy(map->name, h->name, sizeof(map->name));
    map->shared = true;
    map->ops = pops;
    h->map_addr = (uint64_t)(uintptr_t)map;
    h->id = map->id;
    atomic_store(&h->ready, 1);
    struct stat st;
    if (fstat(fd, &st)) {
        err = map_err(a, -errno, "pin %s: %s", path, strerror(errno));
        goto fail;
    }
    if (link(tmp, path)) {
        int e = errno;
        munmap(base, len);
        unlink(tmp);
        close(fd);
        if (e == EEXIST)
            return 1;
        return map_err(a, -e, "pin %s: %s", path, strerror(e));
    }
    unlink(tmp);
    close(fd);
    pthread_mutex_lock(&pin_mu);
    err = pin_register(h, &st, path);
    pthread_mutex_unlock(&pin_mu);
    if (err) {
        munmap(base, len);
        return map_err(a, err, "pin %s: out of memory", path);
    }
    *out = map;
    return 0;
fail:
    if (base)
        munmap(base, len);
    unlink(tmp);
    close(fd);
    return err;
}

int map_pin_create(struct map_attr *a, const struct map_ops *ops, const char *name,
                   const char *pin_path, bool reuse, uint32_t nr_slots_asked,
                   struct bpfvm_map **out)
{
    char path[PATH_MAX];
    if (!ops)
        return map_err(a, -EINVAL, "map create: unknown map type %d", (int)a->type);
    if (!ops->mem_size)
        return map_err(a, -EOPNOTSUPP, "map create %s: maps of type %s cannot be pinned "
                       "(they hold process-local objects or rings)", ops->name, ops->name);
    int err = bpfvm_pin_resolve(pin_path, path, sizeof(path));
    if (err)
        return map_err(a, err, "map create %s: bad pin path '%s'", ops->name, pin_path);
    if ((err = map_create_common(a, &ops)))
        return err;
    for (int attempt = 0; attempt < 8; attempt++) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            if (!reuse) {
                close(fd);
                return map_err(a, -EEXIST, "map create %s: pinned map %s exists (set "
                               "pin_reuse to reuse it)", ops->name, path);
            }
            err = pin_reuse(a, fd, path, nr_slots_asked, out);
            close(fd);
            return err;
        }
        if (errno != ENOENT)
            return map_err(a, -errno, "pin %s: %s", path, strerror(errno));
        err = pin_make(a, ops, name, path, out);
        if (err != 1)
            return err;
        a->arena = NULL; /* lost a race: someone else pinned first, reuse theirs */
    }
    return map_err(a, -EBUSY, "pin %s: keeps changing under us", path);
}
