/* test_verifier_objects.c - the running kernel's verdict against bpfvm's on whole BPF
 * objects (ctest verifier.objects).  For every program of every *.o in the directories on
 * the command line, the program is loaded alone (the other programs' autoload off, the
 * object's maps created) into the kernel through libbpf and into bpfvm through
 * bpfvm_object_load.  Kernel: ACCEPT or REJECT.  bpfvm: ACCEPT (verified), REJECT (a load
 * error, with its reason) or UNDECIDED (the verifier returned -EOPNOTSUPP and the program
 * runs with run-time checks, or the type is not supported and the loader fell back to raw
 * code).  An accept/reject disagreement fails unless it is in known_diffs[] below; UNDECIDED
 * is counted and reported.  Objects libbpf 1.x cannot open (legacy "maps" sections) get the
 * kernel's verdict from a raw BPF_PROG_LOAD of bpfvm's linked code; when that is impossible
 * too (map-in-map), or libbpf fails outside the verifier, the program is reported as
 * skipped.  Exit 77 when the kernel's bpf() is unavailable.
 *
 * Usage: test_verifier_objects [-v] DIR...   (-v prints the kernel log of every rejection) */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfvm/helpers.h"
#include "bpfvm/object.h"
#include "bpfvm/vm.h"
#include "testlib.h"

enum verdict { V_ACCEPT, V_REJECT, V_UNDECIDED, V_SKIP };
static const char *const verdict_names[] = {"ACCEPT", "REJECT", "UNDECIDED", "SKIP"};

/* Accept/reject disagreements we know of, each with why.  An entry that stops differing is
 * reported ("known difference now agrees") so the list can be trimmed. */
struct known_diff {
    const char *object; /* file name, e.g. "tc_nat.bpf.o" */
    const char *program;
    const char *why;
};
static const struct known_diff known_diffs[] = {
    /* none: every program agrees with the kernel (keep the list for future differences) */
    {NULL, NULL, NULL},
};

static const struct known_diff *find_known(const char *object, const char *program)
{
    for (size_t i = 0; known_diffs[i].object; i++)
        if (!strcmp(known_diffs[i].object, object) && !strcmp(known_diffs[i].program, program))
            return &known_diffs[i];
    return NULL;
}

static int verbose;
static int raw_loads; /* programs whose kernel verdict came from kernel_verdict_raw */

/* ---- kernel side (libbpf) ---- */

static char klog[1 << 20];
static size_t klog_len;

static int klog_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    if (n > 0 && klog_len + (size_t)n < sizeof(klog)) {
        memcpy(klog + klog_len, text, (size_t)n);
        klog_len += (size_t)n;
        klog[klog_len] = 0;
    }
    free(text);
    return 0;
}

static void klog_reset(void)
{
    klog_len = 0;
    klog[0] = 0;
}

/* Copy line `line` (up to its newline) into out. */
static void copy_line(char *out, size_t len, const char *line)
{
    size_t n = strcspn(line, "\n");
    if (n >= len)
        n = len - 1;
    memcpy(out, line, n);
    out[n] = 0;
}

/* The verifier's reason: the last line of the load log that is not a statistics line. */
static void kernel_reason(char *out, size_t len)
{
    const char *begin = strstr(klog, "-- BEGIN PROG LOAD LOG --");
    const char *end = begin ? strstr(begin, "-- END PROG LOAD LOG --") : NULL;
    out[0] = 0;
    if (!begin || !end) {
        /* no verifier log: libbpf's last warning says why */
        const char *last = NULL;
        for (const char *p = klog; (p = strstr(p, "libbpf: ")); p++)
            last = p;
        if (last)
            copy_line(out, len, last + 8);
        return;
    }
    begin = strchr(begin, '\n') + 1;
    const char *best = NULL;
    for (const char *p = begin; p < end; p = strchr(p, '\n') + 1) {
        if (strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17) &&
            strncmp(p, "stack depth", 11) && strncmp(p, "mark_precise", 12) && *p != '\n')
            best = p;
        if (!strchr(p, '\n'))
            break;
    }
    if (best)
        copy_line(out, len, best);
}

/* The verifier log of a raw load (the fallback below), and its reason line. */
static char rawlog[(1 << 20) - 256];

/* For objects libbpf 1.x cannot open (legacy "maps" sections, iproute2 maps): create the
 * maps bpfvm's loader defines and load bpfvm's linked instructions with BPF_PROG_LOAD.
 * bpfvm leaves map references as BPF_PSEUDO_MAP_IDX / _IDX_VALUE, which the kernel
 * resolves through fd_array, so the code is loaded as is. */
static enum verdict kernel_verdict_raw(const struct bpfvm_object *vobj, const struct bpfvm_program *p,
                                       char *why, size_t len)
{
    int fds[64];
    size_t nfds = 0;
    enum verdict v = V_SKIP;
    for (const struct bpfvm_object_map *m = bpfvm_object_next_map(vobj, NULL); m;
         m = bpfvm_object_next_map(vobj, m)) {
        enum bpfvm_map_type t = bpfvm_object_map_type(m);
        uint32_t max = bpfvm_object_map_max_entries(m);
        if (nfds == sizeof(fds) / sizeof(fds[0]) || t == BPFVM_MAP_TYPE_ARRAY_OF_MAPS ||
            t == BPFVM_MAP_TYPE_HASH_OF_MAPS) {
            snprintf(why, len, "raw load: map '%s' (map-in-map or too many maps) not recreated",
                     bpfvm_object_map_name(m));
            goto out;
        }
        if (t == BPFVM_MAP_TYPE_PERF_EVENT_ARRAY && !max)
            max = (uint32_t)libbpf_num_possible_cpus();
        LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = bpfvm_object_map_flags(m));
        int fd = bpf_map_create((enum bpf_map_type)t, NULL, bpfvm_object_map_key_size(m),
                                bpfvm_object_map_value_size(m), max, &mo);
        if (fd < 0) {
            snprintf(why, len, "raw load: cannot create map '%s': %s", bpfvm_object_map_name(m),
                     strerror(errno));
            goto out;
        }
        fds[nfds++] = fd;
        size_t size = 0;
        const void *init = bpfvm_object_map_initial_value(m, &size);
        uint32_t zero = 0;
        if (init && size && bpf_map_update_elem(fd, &zero, init, 0)) {
            snprintf(why, len, "raw load: cannot fill '%s': %s", bpfvm_object_map_name(m), strerror(errno));
            goto out;
        }
        if (!strcmp(bpfvm_object_map_section(m), ".rodata"))
            bpf_map_freeze(fd);
    }
    rawlog[0] = 0;
    LIBBPF_OPTS(bpf_prog_load_opts, po, .fd_array = fds, .log_buf = rawlog,
                .log_size = sizeof(rawlog), .log_level = 1,
                .expected_attach_type = (enum bpf_attach_type)bpfvm_program_expected_attach_type(p));
    int fd = bpf_prog_load((enum bpf_prog_type)bpfvm_program_type(p), NULL, bpfvm_object_license(vobj),
                           (const struct bpf_insn *)bpfvm_program_insns(p), bpfvm_program_insn_cnt(p), &po);
    if (fd < 0 && errno == ENOSPC) { /* the log did not fit: the verdict without it */
        po.log_buf = NULL;
        po.log_size = 0;
        po.log_level = 0;
        fd = bpf_prog_load((enum bpf_prog_type)bpfvm_program_type(p), NULL, bpfvm_object_license(vobj),
                           (const struct bpf_insn *)bpfvm_program_insns(p), bpfvm_program_insn_cnt(p), &po);
    }
    if (fd >= 0) {
        close(fd);
        v = V_ACCEPT;
    } else {
        int err = errno;
        /* the log in libbpf's markers, so kernel_reason reads it like the other path */
        klog_reset();
        snprintf(klog, sizeof(klog), "-- BEGIN PROG LOAD LOG --\n%s-- END PROG LOAD LOG --\n", rawlog);
        kernel_reason(why, len);
        if (!why[0])
            snprintf(why, len, "BPF_PROG_LOAD: %s", strerror(err));
        v = V_REJECT;
    }
out:
    for (size_t i = 0; i < nfds; i++)
        close(fds[i]);
    return v;
}

static enum verdict kernel_verdict(const char *path, const struct bpfvm_object *vobj,
                                   const struct bpfvm_program *vprog, char *why, size_t len)
{
    const char *name = bpfvm_program_name(vprog);
    uint32_t type_hint = bpfvm_program_type(vprog);
    klog_reset();
    why[0] = 0;
    struct bpf_object *obj = bpf_object__open_file(path, NULL);
    long e = libbpf_get_error(obj);
    if (e) {
        enum verdict v = kernel_verdict_raw(vobj, vprog, why, len);
        if (v == V_SKIP) {
            char tmp[256];
            snprintf(tmp, sizeof(tmp), "%s", why);
            snprintf(why, len, "libbpf cannot open the object (%s); %s", strerror((int)-e), tmp);
        } else {
            raw_loads++;
        }
        return v;
    }
    struct bpf_program *p, *target = NULL;
    bpf_object__for_each_program(p, obj)
    {
        bool me = !strcmp(bpf_program__name(p), name);
        bpf_program__set_autoload(p, me);
        if (me)
            target = p;
    }
    if (!target) {
        snprintf(why, len, "libbpf does not see program '%s'", name);
        bpf_object__close(obj);
        return V_SKIP;
    }
    /* a section name libbpf does not know: take the type bpfvm derived from it */
    if (bpf_program__type(target) == BPF_PROG_TYPE_UNSPEC && type_hint)
        bpf_program__set_type(target, (enum bpf_prog_type)type_hint);
    struct bpf_map *m;
    bpf_object__for_each_map(m, obj)
        bpf_map__set_pin_path(m, NULL); /* never pin in /sys/fs/bpf from a test */
    int rc = bpf_object__load(obj);
    enum verdict v = V_ACCEPT;
    if (rc) {
        kernel_reason(why, len);
        v = strstr(klog, "BPF program load failed") ? V_REJECT : V_SKIP;
        if (v == V_SKIP) {
            char tmp[256];
            snprintf(tmp, sizeof(tmp), "%s", why);
            snprintf(why, len, "libbpf load failed outside the verifier: %s", tmp);
        }
        if (verbose)
            fprintf(stderr, "---- kernel log %s:%s ----\n%s\n", path, name, klog);
    }
    bpf_object__close(obj);
    return v;
}

/* Whether bpf() works here at all (root, kernel support). */
static int kernel_probe(char *why, size_t len)
{
    int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
    if (fd < 0) {
        snprintf(why, len, "bpf(BPF_MAP_CREATE): %s%s", strerror(errno),
                 geteuid() ? " (not root)" : "");
        return -1;
    }
    close(fd);
    return 0;
}

/* ---- bpfvm side ---- */

struct vm_log {
    char undecided[512]; /* the verifier's "not verified (...)" */
    bool raw;            /* the object loader fell back to raw code (unsupported type) */
};

/* Both the vm's log (verifier) and the object's log (loader) come here. */
static void vm_log_cb(int level, const char *msg, void *user)
{
    (void)level;
    struct vm_log *l = user;
    const char *p;
    if ((p = strstr(msg, "not verified (")))
        copy_line(l->undecided, sizeof(l->undecided), p);
    if (strstr(msg, "loaded as raw code"))
        l->raw = true;
}

static enum verdict bpfvm_verdict(const char *path, const char *name, char *why, size_t len)
{
    char err[512] = "";
    why[0] = 0;
    struct bpfvm_vm *vm = bpfvm_vm_new();
    struct vm_log log = {.undecided = "", .raw = false};
    struct bpfvm_object *obj = NULL;
    struct bpfvm_object_open_opts oo = {.sz = sizeof(oo), .errbuf = err, .errbuf_len = sizeof(err),
                                        .log = vm_log_cb, .log_user = &log};
    enum verdict v = V_REJECT;
    if (!vm || bpfvm_vm_add_std_helpers(vm)) {
        snprintf(why, len, "cannot create a vm");
        goto out;
    }
    bpfvm_vm_set_log(vm, vm_log_cb, &log);
    if (bpfvm_object_open_file(path, &oo, &obj)) {
        snprintf(why, len, "open: %s", err);
        goto out;
    }
    struct bpfvm_program *target = NULL;
    for (struct bpfvm_program *p = bpfvm_object_next_program(obj, NULL); p;
         p = bpfvm_object_next_program(obj, p)) {
        bool me = !strcmp(bpfvm_program_name(p), name);
        bpfvm_program_set_autoload(p, me);
        if (me)
            target = p;
    }
    struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .errbuf = err, .errbuf_len = sizeof(err)};
    if (bpfvm_object_load(obj, vm, &lo)) {
        /* "program 'x' (section s): verifier: ..." -> "verifier: ..." */
        const char *r = strstr(err, "): ");
        snprintf(why, len, "%s", r ? r + 3 : err);
        goto out;
    }
    const struct bpfvm_prog *prog = target ? bpfvm_program_prog(target) : NULL;
    if (prog && bpfvm_prog_verified(prog)) {
        v = V_ACCEPT;
    } else if (log.raw) {
        v = V_UNDECIDED;
        snprintf(why, len, "not verified (program type %s not supported: loaded as raw code%s)",
                 bpfvm_program_type_name(target),
                 bpfvm_prog_checked(prog) ? "" : ", and it runs WITHOUT run-time checks");
    } else {
        v = V_UNDECIDED;
        snprintf(why, len, "%s", log.undecided[0] ? log.undecided : "not verified (no reason logged)");
    }
out:
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
    return v;
}

/* ---- the corpus ---- */

static int counts_total, counts_agree, counts_undecided, counts_differ, counts_known,
    counts_skipped;

/* A short key for grouping UNDECIDED reasons: the text inside "not verified (...)". */
#define MAX_REASONS 128
static struct {
    char reason[256];
    int n;
    char first[320];
} reasons[MAX_REASONS];
static int nreasons;

static void add_reason(const char *why, const char *where)
{
    char key[256];
    const char *p = strstr(why, "not verified (");
    snprintf(key, sizeof(key), "%s", p ? p + 14 : why);
    char *close = strstr(key, "): the program runs");
    if (!close && key[0] && key[strlen(key) - 1] == ')')
        close = key + strlen(key) - 1;
    if (close)
        *close = 0;
    for (int i = 0; i < nreasons; i++)
        if (!strcmp(reasons[i].reason, key)) {
            reasons[i].n++;
            return;
        }
    if (nreasons < MAX_REASONS) {
        snprintf(reasons[nreasons].reason, sizeof(reasons[0].reason), "%s", key);
        snprintf(reasons[nreasons].first, sizeof(reasons[0].first), "%s", where);
        reasons[nreasons++].n = 1;
    }
}

static void check_program(const char *path, const char *file, const struct bpfvm_object *obj,
                          struct bpfvm_program *p)
{
    const char *name = bpfvm_program_name(p);
    const char *tname = bpfvm_program_type_name(p);
    char kwhy[512], vwhy[512], where[320];
    int raw_before = raw_loads;
    enum verdict k = kernel_verdict(path, obj, p, kwhy, sizeof(kwhy));
    bool raw = raw_loads != raw_before;
    enum verdict b = bpfvm_verdict(path, name, vwhy, sizeof(vwhy));
    snprintf(where, sizeof(where), "%s:%s", file, name);
    printf("%-44s %-14s kernel=%-6s bpfvm=%-9s", where, tname && *tname ? tname : "?",
           verdict_names[k], verdict_names[b]);
    if (b != V_ACCEPT && vwhy[0])
        printf(" %s", vwhy);
    if (k == V_REJECT)
        printf(" | kernel: %s", kwhy);
    if (k == V_SKIP)
        printf(" | skipped: %s", kwhy);
    if (raw)
        printf(" (kernel: raw BPF_PROG_LOAD)");
    printf("\n");
    fflush(stdout); /* failures go to stderr: keep them after their line */
    if (k == V_SKIP) {
        counts_skipped++;
        return;
    }
    counts_total++;
    if (b == V_UNDECIDED) {
        counts_undecided++;
        add_reason(vwhy, where);
        return;
    }
    const struct known_diff *kd = find_known(file, name);
    if (k == b) {
        counts_agree++;
        if (kd)
            printf("    note: known difference now agrees (%s): remove it from known_diffs\n", kd->why);
        CHECK(1);
        return;
    }
    counts_differ++;
    if (kd) {
        counts_known++;
        printf("    known difference: %s\n", kd->why);
        CHECK(1);
        return;
    }
    CHECKF(0, "%s: kernel %s, bpfvm %s (%s%s%s)", where, verdict_names[k], verdict_names[b],
           k == V_REJECT ? kwhy : "", k == V_REJECT && vwhy[0] ? "; bpfvm: " : "", vwhy);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int object_filter(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 2 && !strcmp(d->d_name + n - 2, ".o");
}

static void check_dir(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, object_filter, by_name);
    if (n < 0) {
        printf("note: %s: %s (directory skipped)\n", dir, strerror(errno));
        return;
    }
    for (int i = 0; i < n; i++) {
        char path[4096], err[512] = "";
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        struct bpfvm_object *obj = NULL;
        struct bpfvm_object_open_opts oo = {.sz = sizeof(oo), .errbuf = err, .errbuf_len = sizeof(err)};
        if (bpfvm_object_open_file(path, &oo, &obj)) {
            CHECKF(0, "%s: bpfvm cannot open it: %s", path, err);
        } else {
            for (struct bpfvm_program *p = bpfvm_object_next_program(obj, NULL); p;
                 p = bpfvm_object_next_program(obj, p))
                check_program(path, list[i]->d_name, obj, p);
        }
        bpfvm_object_close(obj);
        free(list[i]);
    }
    free(list);
}

int main(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && !strcmp(argv[1], "-v")) {
        verbose = 1;
        first = 2;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: test_verifier_objects [-v] DIR...\n");
        return 2;
    }
    char why[256];
    libbpf_set_print(klog_print);
    if (kernel_probe(why, sizeof(why))) {
        printf("SKIP: the kernel's bpf() is unavailable: %s\n", why);
        return 77;
    }
    test_fresh_pin_dir(); /* pins left by an earlier (other) build would be reused */
    for (int i = first; i < argc; i++)
        check_dir(argv[i]);

    printf("\nobjects: %d programs, agree %d, undecided %d, differ %d\n", counts_total, counts_agree,
           counts_undecided, counts_differ);
    printf("differences known %d, new %d; kernel skipped %d programs; %d kernel verdicts from a raw "
           "BPF_PROG_LOAD (libbpf could not open the object)\n",
           counts_known, counts_differ - counts_known, counts_skipped, raw_loads);
    if (nreasons)
        printf("undecided, by reason:\n");
    for (int i = 0; i < nreasons; i++)
        printf("  %3d  %s  (e.g. %s)\n", reasons[i].n, reasons[i].reason, reasons[i].first);
    return test_summary();
}
