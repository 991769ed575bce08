/* test_map_pin.c - pinned maps shared between processes: a child (fork + exec of this binary,
 * so it has its own address-space layout) opens and changes a map the parent created; a
 * SIGKILLed creator leaves an intact pin; definition mismatches; every pinnable type round
 * trip; two processes updating one hash map concurrently; unpin; the path rules. */
#define _GNU_SOURCE
#include "testlib.h"
#include "maps/map.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char pin_dir[64];

/* ---------------------------------------------------------------- child side */

static int child_fail;
#define CCHECK(c)                                                                          \
    do {                                                                                   \
        if (!(c)) {                                                                        \
            fprintf(stderr, "child %s:%d: check failed: %s\n", __FILE__, __LINE__, #c);      \
            child_fail++;                                                                  \
        }                                                                                  \
    } while (0)

struct lpm4 {
    uint32_t prefixlen;
    uint8_t addr[4];
};

/* Round trip per type: role 0 parent fills, 1 child checks and changes, 2 parent checks. */
static void roundtrip(struct bpfvm_map *m, int role, int *fails)
{
    int before = child_fail;
    uint32_t slots = bpfvm_map_nr_slots(m);
    size_t vbuf = bpfvm_map_value_buf_size(m);
    uint64_t *v = calloc(1, vbuf + 64);
    switch (bpfvm_map_type(m)) {
    case BPFVM_MAP_TYPE_ARRAY:
    case BPFVM_MAP_TYPE_HASH:
    case BPFVM_MAP_TYPE_LRU_HASH: {
        uint32_t k = 7, k2 = 8;
        if (role == 0) {
            v[0] = 0x1234;
            CCHECK(bpfvm_map_update_elem(m, &k, v, BPFVM_ANY) == 0);
        } else if (role == 1) {
            CCHECK(bpfvm_map_lookup_elem(m, &k, v) == 0 && v[0] == 0x1234);
            v[0] = 0x5678;
            CCHECK(bpfvm_map_update_elem(m, &k2, v, BPFVM_ANY) == 0);
            uint64_t *p = map_lookup_fast(m, &k, 0); /* the program fast path */
            CCHECK(p && *p == 0x1234);
            if (p)
                __atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
        } else {
            CCHECK(bpfvm_map_lookup_elem(m, &k2, v) == 0 && v[0] == 0x5678);
            CCHECK(bpfvm_map_lookup_elem(m, &k, v) == 0 && v[0] == 0x1235);
        }
        break;
    }
    case BPFVM_MAP_TYPE_PERCPU_ARRAY:
    case BPFVM_MAP_TYPE_PERCPU_HASH:
    case BPFVM_MAP_TYPE_LRU_PERCPU_HASH: {
        uint32_t k = 3;
        if (role == 0) {
            for (uint32_t s = 0; s < slots; s++)
                v[s] = 100 + s;
            CCHECK(bpfvm_map_update_elem(m, &k, v, BPFVM_ANY) == 0);
        } else if (role == 1) {
            CCHECK(bpfvm_map_lookup_elem(m, &k, v) == 0);
            for (uint32_t s = 0; s < slots; s++)
                CCHECK(v[s] == 100 + s);
            uint64_t one = 999;
            CCHECK(map_update_fast(m, &k, &one, BPFVM_EXIST, slots - 1) == 0);
        } else {
            CCHECK(bpfvm_map_lookup_elem(m, &k, v) == 0);
            CCHECK(v[slots - 1] == 999 && v[0] == (slots == 1 ? 999 : 100));
        }
        break;
    }
    case BPFVM_MAP_TYPE_LPM_TRIE: {
        struct lpm4 net = {16, {10, 1, 0, 0}}, host = {32, {10, 1, 2, 3}};
        struct lpm4 other = {8, {192, 0, 0, 0}}, q = {32, {192, 9, 9, 9}};
        if (role == 0) {
            v[0] = 16;
            CCHECK(bpfvm_map_update_elem(m, &net, v, BPFVM_ANY) == 0);
        } else if (role == 1) {
            CCHECK(bpfvm_map_lookup_elem(m, &host, v) == 0 && v[0] == 16);
            v[0] = 8;
            CCHECK(bpfvm_map_update_elem(m, &other, v, BPFVM_ANY) == 0);
        } else {
            CCHECK(bpfvm_map_lookup_elem(m, &q, v) == 0 && v[0] == 8);
            CCHECK(bpfvm_map_lookup_elem(m, &host, v) == 0 && v[0] == 16);
        }
        break;
    }
    case BPFVM_MAP_TYPE_QUEUE:
    case BPFVM_MAP_TYPE_STACK: {
        bool stack = bpfvm_map_type(m) == BPFVM_MAP_TYPE_STACK;
        if (role == 0) {
            for (uint64_t i = 1; i <= 3; i++)
                CCHECK(bpfvm_map_update_elem(m, NULL, &i, BPFVM_ANY) == 0);
        } else if (role == 1) {
            CCHECK(bpfvm_map_lookup_and_delete_elem(m, NULL, v) == 0 && v[0] == (stack ? 3 : 1));
            uint64_t x = 42;
            CCHECK(map_push_fast(m, &x, BPFVM_ANY) == 0);
        } else {
            uint64_t want[3] = {2, 3, 42}, wants[3] = {42, 2, 1};
            for (int i = 0; i < 3; i++)
                CCHECK(bpfvm_map_lookup_and_delete_elem(m, NULL, v) == 0 &&
                       v[0] == (stack ? wants[i] : want[i]));
            CCHECK(bpfvm_map_lookup_and_delete_elem(m, NULL, v) == -ENOENT);
        }
        break;
    }
    default:
        CCHECK(0);
    }
    free(v);
    if (fails)
        *fails += child_fail - before;
}

struct stress_val {
    uint32_t lock, pad;
    uint64_t a, b;              /* b == ~a always */
};

/* Both processes: a shared counter bumped through the fast path, a private key range with a
 * local model of what is present, and a shared range both overwrite; values under F_LOCK. */
static uint64_t stress_run(struct bpfvm_map *m, struct bpfvm_map *res, unsigned id, double secs)
{
    uint32_t base = 1000 + id * 1000;
    uint8_t present[500] = {0};
    uint64_t incs = 0, ops = 0, seed = 0x1234567 + id;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint32_t zero = 0;
    for (;;) {
        if ((ops & 255) == 0) {
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((double)(t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
                break;
        }
        ops++;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t r = (uint32_t)(seed >> 33);
        struct stress_val *c = map_lookup_fast(m, &zero, 0);
        CCHECK(c != NULL);
        if (c) {
            __atomic_fetch_add(&c->a, 1, __ATOMIC_RELAXED);
            incs++;
        }
        struct stress_val v = {0};
        if (r % 3 == 0) { /* own range */
            uint32_t i = r / 3 % 500, k = base + i;
            if (present[i] && (r & 64)) {
                CCHECK(bpfvm_map_delete_elem(m, &k) == 0);
                present[i] = 0;
            } else {
                v.a = r;
                v.b = ~v.a;
                CCHECK(bpfvm_map_update_elem(m, &k, &v, BPFVM_F_LOCK) == 0);
                present[i] = 1;
            }
        } else if (r % 3 == 1) { /* shared range */
            uint32_t k = 100 + r / 3 % 50;
            v.a = r;
            v.b = ~v.a;
            CCHECK(bpfvm_map_update_elem(m, &k, &v, BPFVM_F_LOCK) == 0);
        } else {
            uint32_t k = 100 + r / 3 % 50;
            int err = bpfvm_map_lookup_elem_flags(m, &k, &v, BPFVM_F_LOCK);
            CCHECK(err == 0 || err == -ENOENT);
            CCHECK(err || v.b == ~v.a);
            uint32_t i = r / 3 % 500, ko = base + i;
            err = bpfvm_map_lookup_elem_flags(m, &ko, &v, BPFVM_F_LOCK);
            CCHECK(present[i] ? (err == 0 && v.b == ~v.a) : err == -ENOENT);
        }
    }
    for (uint32_t i = 0; i < 500; i++) { /* the model matches the map */
        struct stress_val v;
        uint32_t k = base + i;
        int err = bpfvm_map_lookup_elem_flags(m, &k, &v, BPFVM_F_LOCK);
        CCHECK(present[i] ? err == 0 && v.b == ~v.a : err == -ENOENT);
    }
    CCHECK(bpfvm_map_update_elem(res, &id, &incs, BPFVM_ANY) == 0);
    return ops;
}

static int child_main(int argc, char **argv)
{
    const char *mode = argv[2];
    struct bpfvm_map *m = NULL;
    char msg[256] = "";
    int err = bpfvm_map_open_pinned_msg(argv[3], &m, msg, sizeof(msg));
    if (err) {
        fprintf(stderr, "child: open %s: %d %s\n", argv[3], err, msg);
        return 3;
    }
    if (!strcmp(mode, "update")) { /* hash: key 1 is 100; set 2 = 200, 1 = 101 */
        uint32_t k = 1;
        uint64_t v = 0;
        CCHECK(bpfvm_map_lookup_elem(m, &k, &v) == 0 && v == 100);
        k = 2, v = 200;
        CCHECK(bpfvm_map_update_elem(m, &k, &v, BPFVM_NOEXIST) == 0);
        k = 1, v = 101;
        CCHECK(bpfvm_map_update_elem(m, &k, &v, BPFVM_EXIST) == 0);
        CCHECK(!strcmp(bpfvm_map_name(m), "shared"));
    } else if (!strcmp(mode, "roundtrip")) {
        roundtrip(m, 1, NULL);
    } else if (!strcmp(mode, "frozen")) {
        uint32_t k = 0;
        uint64_t v = 1;
        CCHECK(bpfvm_map_is_frozen(m));
        CCHECK(bpfvm_map_update_elem(m, &k, &v, BPFVM_ANY) == -EPERM);
    } else if (!strcmp(mode, "create-and-wait")) {
        /* unused: the killed creator is forked */
    } else if (!strcmp(mode, "stress")) {
        struct bpfvm_map *res = NULL;
        if (argc < 5 || bpfvm_map_open_pinned(argv[4], &res))
            return 3;
        stress_run(m, res, 1, 0.5);
        bpfvm_map_free(res);
    } else {
        return 3;
    }
    bpfvm_map_free(m);
    return child_fail ? 1 : 0;
}

/* ---------------------------------------------------------------- parent helpers */

static int run_child(const char *mode, const char *path, const char *path2)
{
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {"test_map_pin", "child", (char *)mode, (char *)path, (char *)path2, NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        struct stat st;
        if (!lstat(p, &st) && S_ISDIR(st.st_mode))
            rm_rf(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int mk_pinned(enum bpfvm_map_type t, const char *name, uint32_t ks, uint32_t vs,
                     uint32_t max, uint32_t flags, const char *pin, bool reuse,
                     struct bpfvm_map **out, char *msg, size_t msglen)
{
    struct bpfvm_map_create_opts o = {
        .sz = sizeof(o), .map_flags = flags, .pin_path = pin, .pin_reuse = reuse,
        .errbuf = msg, .errbuf_len = msglen,
    };
    return bpfvm_map_create(t, name, ks, vs, max, &o, out);
}

/* ---------------------------------------------------------------- tests */

static void test_paths(void)
{
    char p[256];
    CHECK_STR(bpfvm_pin_dir(), pin_dir);
    CHECK(bpfvm_pin_resolve("x/y", p, sizeof(p)) == 0);
    char want[256];
    snprintf(want, sizeof(want), "%s/x/y", pin_dir);
    CHECK_STR(p, want);
    CHECK(bpfvm_pin_resolve("/abs/z", p, sizeof(p)) == 0);
    CHECK_STR(p, "/abs/z");
    CHECK(bpfvm_pin_resolve("a/../b", p, sizeof(p)) == -EINVAL);
    CHECK(bpfvm_pin_resolve("", p, sizeof(p)) == -EINVAL);
    CHECK(bpfvm_pin_resolve("abc", p, 4) == -ENAMETOOLONG);
    CHECK(bpfvm_pin_path_for(BPFVM_PIN_GLOBAL_NS, NULL, "jmp", p, sizeof(p)) == 0);
    snprintf(want, sizeof(want), "%s/tc/globals/jmp", pin_dir);
    CHECK_STR(p, want);
    CHECK(bpfvm_pin_path_for(BPFVM_PIN_OBJECT_NS, "abc123", "jmp", p, sizeof(p)) == 0);
    snprintf(want, sizeof(want), "%s/tc/abc123/jmp", pin_dir);
    CHECK_STR(p, want);
    CHECK(bpfvm_pin_path_for(BPFVM_PIN_BY_NAME, NULL, "counts", p, sizeof(p)) == 0);
    snprintf(want, sizeof(want), "%s/counts", pin_dir);
    CHECK_STR(p, want);
    CHECK(bpfvm_pin_path_for(BPFVM_PIN_OBJECT_NS, NULL, "jmp", p, sizeof(p)) == -EINVAL);
    CHECK(bpfvm_pin_path_for(BPFVM_PIN_NONE, NULL, "jmp", p, sizeof(p)) == -EINVAL);
    CHECK(bpfvm_pin_path_for(BPFVM_PIN_BY_NAME, NULL, "a/b", p, sizeof(p)) == -EINVAL);
    CHECK(bpfvm_pin_path_for(BPFVM_PIN_BY_NAME, NULL, "..", p, sizeof(p)) == -EINVAL);
}

static void test_two_processes(void)
{
    struct bpfvm_map *m = NULL;
    char msg[256] = "";
    int err = mk_pinned(BPFVM_MAP_TYPE_HASH, "shared", 4, 8, 64, 0, "tc/globals/shared", false,
                        &m, msg, sizeof(msg));
    CHECKF(err == 0, "%d %s", err, msg);
    if (err)
        return;
    char path[256];
    snprintf(path, sizeof(path), "%s/tc/globals/shared", pin_dir);
    CHECK_STR(bpfvm_map_pin_path(m), path);
    uint32_t k = 1;
    uint64_t v = 100;
    CHECK(bpfvm_map_update_elem(m, &k, &v, BPFVM_ANY) == 0);
    CHECK_EQ_U64(run_child("update", path, NULL), 0);
    CHECK(bpfvm_map_lookup_elem(m, &k, &v) == 0 && v == 101);
    k = 2;
    CHECK(bpfvm_map_lookup_elem(m, &k, &v) == 0 && v == 200);
    /* a second open in the same process gives the same map */
    struct bpfvm_map *m2 = NULL;
    CHECK(bpfvm_map_open_pinned("tc/globals/shared", &m2) == 0 && m2 == m);
    bpfvm_map_free(m2);
    struct bpfvm_pin_info info;
    CHECK(bpfvm_pin_info(path, &info) == 0);
    CHECK(info.type == BPFVM_MAP_TYPE_HASH && info.key_size == 4 && info.value_size == 8 &&
          info.max_entries == 64 && !strcmp(info.name, "shared") && !info.frozen);
    /* freeze is a property of the shared map */
    struct bpfvm_map *fa = NULL;
    CHECK(mk_pinned(BPFVM_MAP_TYPE_ARRAY, "frz", 4, 8, 4, 0, "frz", false, &fa, NULL, 0) == 0);
    if (fa) {
        CHECK(bpfvm_map_freeze(fa) == 0);
        snprintf(path, sizeof(path), "%s/frz", pin_dir);
        CHECK_EQ_U64(run_child("frozen", path, NULL), 0);
        CHECK(bpfvm_pin_info("frz", &info) == 0 && info.frozen);
        bpfvm_map_free(fa);
    }
    /* unpin: the name goes, the memory stays while we hold it */
    CHECK(bpfvm_map_unpin("tc/globals/shared") == 0);
    CHECK(bpfvm_map_open_pinned("tc/globals/shared", &m2) == -ENOENT);
    k = 2;
    CHECK(bpfvm_map_lookup_elem(m, &k, &v) == 0 && v == 200);
    bpfvm_map_free(m);
    CHECK(bpfvm_map_unpin("tc/globals/shared") == -ENOENT);
    CHECK(bpfvm_map_unpin("frz") == 0);
}

static void test_killed_creator(void)
{
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        close(pfd[0]);
        struct bpfvm_map *m = NULL, *a = NULL;
        int rc = mk_pinned(BPFVM_MAP_TYPE_HASH, "survivor", 4, 8, 1024, BPFVM_F_NO_PREALLOC,
                           "survivor", false, &m, NULL, 0);
        rc |= mk_pinned(BPFVM_MAP_TYPE_ARRAY, "surv_arr", 4, 8, 16, 0, "surv_arr", false, &a,
                        NULL, 0);
        for (uint32_t k = 0; !rc && k < 500; k++) {
            uint64_t v = (uint64_t)k * k + 1;
            rc |= bpfvm_map_update_elem(m, &k, &v, BPFVM_ANY);
            if (k < 16)
                rc |= bpfvm_map_update_elem(a, &k, &v, BPFVM_ANY);
        }
        char c = rc ? 'E' : 'R';
        if (write(pfd[1], &c, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(pfd[1]);
    char c = 0;
    CHECK(read(pfd[0], &c, 1) == 1 && c == 'R');
    close(pfd[0]);
    kill(pid, SIGKILL);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    struct bpfvm_map *m = NULL, *a = NULL;
    char msg[256] = "";
    int err = bpfvm_map_open_pinned_msg("survivor", &m, msg, sizeof(msg));
    CHECKF(err == 0, "%d %s", err, msg);
    CHECK(bpfvm_map_open_pinned("surv_arr", &a) == 0);
    if (!m || !a)
        return;
    int bad = 0, n = 0;
    for (uint32_t k = 0; k < 500; k++) {
        uint64_t v = 0;
        bad += bpfvm_map_lookup_elem(m, &k, &v) != 0 || v != (uint64_t)k * k + 1;
        if (k < 16)
            bad += bpfvm_map_lookup_elem(a, &k, &v) != 0 || v != (uint64_t)k * k + 1;
    }
    CHECK_EQ_U64(bad, 0);
    uint32_t key, *prev = NULL;
    while (bpfvm_map_get_next_key(m, prev, &key) == 0 && n < 1000) {
        n++;
        prev = &key;
    }
    CHECK_EQ_U64(n, 500);
    /* the map goes on working: new elements from the creator's arena */
    for (uint32_t k = 500; k < 1024; k++) {
        uint64_t v = k;
        bad += bpfvm_map_update_elem(m, &k, &v, BPFVM_NOEXIST) != 0;
    }
    CHECK_EQ_U64(bad, 0);
    uint32_t k = 5000;
    uint64_t v = 1;
    CHECK(bpfvm_map_update_elem(m, &k, &v, BPFVM_ANY) == -E2BIG);
    bpfvm_map_free(m);
    bpfvm_map_free(a);
    CHECK(bpfvm_map_unpin("survivor") == 0 && bpfvm_map_unpin("surv_arr") == 0);
}

static void test_mismatch(void)
{
    struct bpfvm_map *m = NULL, *m2 = NULL;
    char msg[256] = "";
    CHECK(mk_pinned(BPFVM_MAP_TYPE_HASH, "mm", 4, 8, 1024, 0, "mm", false, &m, msg,
                    sizeof(msg)) == 0);
    /* the same definition is reused (iproute2 / libbpf semantics) */
    CHECK(mk_pinned(BPFVM_MAP_TYPE_HASH, "mm", 4, 8, 1024, 0, "mm", true, &m2, msg,
                    sizeof(msg)) == 0 && m2 == m);
    bpfvm_map_free(m2);
    m2 = NULL;
    /* without pin_reuse an existing pin is an error */
    CHECK(mk_pinned(BPFVM_MAP_TYPE_HASH, "mm", 4, 8, 1024, 0, "mm", false, &m2, msg,
                    sizeof(msg)) == -EEXIST);
    CHECKF(strstr(msg, "exists") != NULL, "%s", msg);
    msg[0] = 0;
    CHECK(mk_pinned(BPFVM_MAP_TYPE_HASH, "mm", 4, 16, 1024, 0, "mm", true, &m2, msg,
                    sizeof(msg)) == -EINVAL && !m2);
    char want[256];
    snprintf(want, sizeof(want), "pinned map %s/mm has type hash, key 4, value 8, max 1024",
             pin_dir);
    CHECKF(strstr(msg, want) != NULL, "%s", msg);
    CHECKF(strstr(msg, "asks for type hash, key 4, value 16, max 1024") != NULL, "%s", msg);
    CHECK(mk_pinned(BPFVM_MAP_TYPE_ARRAY, "mm", 4, 8, 1024, 0, "mm", true, &m2, msg,
                    sizeof(msg)) == -EINVAL);
    CHECK(mk_pinned(BPFVM_MAP_TYPE_HASH, "mm", 4, 8, 1024, BPFVM_F_NO_PREALLOC, "mm", true,
                    &m2, msg, sizeof(msg)) == -EINVAL);
    CHECK(mk_pinned(BPFVM_MAP_TYPE_HASH, "mm", 4, 8, 512, 0, "mm", true, &m2, msg,
                    sizeof(msg)) == -EINVAL);
    /* a bad definition fails its checks before any pin is looked at */
    CHECK(mk_pinned(BPFVM_MAP_TYPE_ARRAY, "x", 8, 8, 4, 0, "badarr", false, &m2, msg,
                    sizeof(msg)) == -EINVAL);
    CHECK(bpfvm_map_open_pinned("badarr", &m2) == -ENOENT);
    bpfvm_map_free(m);
    CHECK(bpfvm_map_unpin("mm") == 0);
    /* not pinnable */
    static const enum bpfvm_map_type nopin[] = {
        BPFVM_MAP_TYPE_PROG_ARRAY, BPFVM_MAP_TYPE_PERF_EVENT_ARRAY, BPFVM_MAP_TYPE_RINGBUF,
        BPFVM_MAP_TYPE_ARRAY_OF_MAPS, BPFVM_MAP_TYPE_HASH_OF_MAPS,
    };
    for (size_t i = 0; i < sizeof(nopin) / sizeof(nopin[0]); i++) {
        msg[0] = 0;
        CHECK(mk_pinned(nopin[i], "np", 4, 4, 4096, 0, "np", false, &m2, msg, sizeof(msg)) ==
              -EOPNOTSUPP);
        CHECKF(strstr(msg, "cannot be pinned") != NULL, "%s", msg);
    }
    /* files that are not pins */
    char p[256];
    snprintf(p, sizeof(p), "%s/junk", pin_dir);
    FILE *f = fopen(p, "w");
    if (f) {
        for (int i = 0; i < 5000; i++)
            fputc('x', f);
        fclose(f);
    }
    CHECK(bpfvm_map_open_pinned_msg("junk", &m2, msg, sizeof(msg)) == -EINVAL);
    CHECKF(strstr(msg, "not a bpfvm pinned map") != NULL, "%s", msg);
    CHECK(bpfvm_map_unpin("junk") == -EINVAL);
    unlink(p);
    CHECK(bpfvm_map_open_pinned("nothere", &m2) == -ENOENT);
    /* a creator that died mid-creation leaves a temporary file: the next creator removes it */
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    snprintf(p, sizeof(p), "%s/.bpfvm-tmp.%d.0", pin_dir, (int)dead);
    f = fopen(p, "w");
    if (f)
        fclose(f);
    CHECK(mk_pinned(BPFVM_MAP_TYPE_ARRAY, "t", 4, 4, 1, 0, "tmpclean", false, &m2, NULL, 0) == 0);
    CHECK(access(p, F_OK) != 0);
    bpfvm_map_free(m2);
    CHECK(bpfvm_map_unpin("tmpclean") == 0);
}

static void test_all_types(void)
{
    static const struct {
        enum bpfvm_map_type t;
        uint32_t ks, vs, max, flags;
    } types[] = {
        {BPFVM_MAP_TYPE_ARRAY, 4, 8, 16, 0},
        {BPFVM_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16, 0},
        {BPFVM_MAP_TYPE_HASH, 4, 8, 16, 0},
        {BPFVM_MAP_TYPE_HASH, 4, 8, 16, BPFVM_F_NO_PREALLOC},
        {BPFVM_MAP_TYPE_PERCPU_HASH, 4, 8, 16, 0},
        {BPFVM_MAP_TYPE_LRU_HASH, 4, 8, 16, 0},
        {BPFVM_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 16, 0},
        {BPFVM_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPFVM_F_NO_PREALLOC},
        {BPFVM_MAP_TYPE_QUEUE, 0, 8, 16, 0},
        {BPFVM_MAP_TYPE_STACK, 0, 8, 16, 0},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char name[32], msg[256] = "", path[256];
        snprintf(name, sizeof(name), "rt%zu", i);
        struct bpfvm_map *m = NULL;
        int err = mk_pinned(types[i].t, name, types[i].ks, types[i].vs, types[i].max,
                            types[i].flags, name, false, &m, msg, sizeof(msg));
        CHECKF(err == 0, "%s: %d %s", bpfvm_map_type_name(types[i].t), err, msg);
        if (err)
            continue;
        int fails = 0;
        child_fail = 0;
        roundtrip(m, 0, &fails);
        snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
        int rc = run_child("roundtrip", path, NULL);
        CHECKF(rc == 0, "%s: child exit %d", bpfvm_map_type_name(types[i].t), rc);
        roundtrip(m, 2, &fails);
        CHECKF(fails == 0, "%s: %d failed checks", bpfvm_map_type_name(types[i].t), fails);
        bpfvm_map_free(m);
        CHECK(bpfvm_map_unpin(name) == 0);
    }
}

static void test_concurrent(void)
{
    struct bpfvm_map *m = NULL, *res = NULL;
    char msg[256] = "", p1[256], p2[256];
    struct bpfvm_map_create_opts o = {
        .sz = sizeof(o), .pin_path = "stress", .errbuf = msg, .errbuf_len = sizeof(msg),
        .spin_lock_off = 0, .has_spin_lock = true,
    };
    int err = bpfvm_map_create(BPFVM_MAP_TYPE_HASH, "stress", 4, sizeof(struct stress_val),
                               4096, &o, &m);
    CHECKF(err == 0, "%d %s", err, msg);
    CHECK(mk_pinned(BPFVM_MAP_TYPE_ARRAY, "res", 4, 8, 2, 0, "stress_res", false, &res, msg,
                    sizeof(msg)) == 0);
    if (!m || !res)
        return;
    struct stress_val zero = {0};
    uint32_t k0 = 0;
    CHECK(bpfvm_map_update_elem(m, &k0, &zero, BPFVM_ANY) == 0);
    snprintf(p1, sizeof(p1), "%s/stress", pin_dir);
    snprintf(p2, sizeof(p2), "%s/stress_res", pin_dir);
    pid_t pid = fork();
    if (pid == 0) {
        char *args[] = {"test_map_pin", "child", "stress", p1, p2, NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    child_fail = 0;
    uint64_t ops = stress_run(m, res, 0, 0.5);
    CHECKF(child_fail == 0, "%d failed checks in the parent", child_fail);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    uint64_t mine = 0, theirs = 0;
    uint32_t i0 = 0, i1 = 1;
    CHECK(bpfvm_map_lookup_elem(res, &i0, &mine) == 0 && bpfvm_map_lookup_elem(res, &i1, &theirs) == 0);
    struct stress_val c;
    CHECK(bpfvm_map_lookup_elem(m, &k0, &c) == 0);
    CHECKF(c.a == mine + theirs, "counter %llu, increments %llu + %llu",
           (unsigned long long)c.a, (unsigned long long)mine, (unsigned long long)theirs);
    CHECK(theirs > 0);
    printf("concurrent: parent %llu ops, counter %llu (parent %llu + child %llu)\n",
           (unsigned long long)ops, (unsigned long long)c.a, (unsigned long long)mine,
           (unsigned long long)theirs);
    /* every key belongs to a range and holds a consistent value */
    uint32_t key, *prev = NULL;
    int n = 0, bad = 0;
    while (bpfvm_map_get_next_key(m, prev, &key) == 0 && n < 5000) {
        struct stress_val v;
        n++;
        prev = &key;
        if (key == 0)
            continue;
        bad += !((key >= 100 && key < 150) || (key >= 1000 && key < 1500) ||
                 (key >= 2000 && key < 2500));
        bad += bpfvm_map_lookup_elem_flags(m, &key, &v, BPFVM_F_LOCK) != 0 || v.b != ~v.a;
    }
    CHECK_EQ_U64(bad, 0);
    CHECK(n > 50 && n < 1101);
    bpfvm_map_free(m);
    bpfvm_map_free(res);
    CHECK(bpfvm_map_unpin("stress") == 0 && bpfvm_map_unpin("stress_res") == 0);
}

static void test_race_create(void)
{
    /* two processes create the same pin at once with pin_reuse: both end on one map */
    pid_t pid = fork();
    struct bpfvm_map *m = NULL;
    char msg[256] = "";
    int err = mk_pinned(BPFVM_MAP_TYPE_ARRAY, "race", 4, 8, 8, 0, "race", true, &m, msg,
                        sizeof(msg));
    if (pid == 0) {
        uint32_t k = 1;
        uint64_t one = 1;
        int rc = err || !m;
        if (!rc) {
            uint64_t *p = map_lookup_fast(m, &k, 0);
            __atomic_fetch_add(p, one, __ATOMIC_SEQ_CST);
        }
        _exit(rc);
    }
    CHECKF(err == 0, "%d %s", err, msg);
    if (m) {
        uint32_t k = 1;
        uint64_t *p = map_lookup_fast(m, &k, 0);
        __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    uint32_t k = 1;
    uint64_t v = 0;
    CHECK(m && bpfvm_map_lookup_elem(m, &k, &v) == 0 && v == 2);
    bpfvm_map_free(m);
    CHECK(bpfvm_map_unpin("race") == 0);
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "child"))
        return child_main(argc, argv);
    snprintf(pin_dir, sizeof(pin_dir), "/dev/shm/bpfvm-pintest-XXXXXX");
    if (!mkdtemp(pin_dir)) {
        snprintf(pin_dir, sizeof(pin_dir), "/tmp/bpfvm-pintest-XXXXXX");
        if (!mkdtemp(pin_dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    setenv("BPFVM_PIN_DIR", pin_dir, 1);
    test_paths();
    test_two_processes();
    test_killed_creator();
    test_mismatch();
    test_all_types();
    test_concurrent();
    test_race_create();
    rm_rf(pin_dir);
    return test_summary();
}
