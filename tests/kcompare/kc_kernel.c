/* kc_kernel.c - the kernel side of the comparison, through libbpf: open and load the object,
 * BPF_PROG_TEST_RUN, map primitives on file descriptors, inner maps created with
 * bpf_map_create, ring buffers consumed with ring_buffer__consume and PERF_EVENT_ARRAYs with
 * perf_buffer__consume.  libbpf's log is kept so a refusal can say why. */
#define _GNU_SOURCE
#include "kc_side.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KK_MAX_BUF 8

struct kc_obj {
    struct bpf_object *obj;
    struct ring_buffer *rb[KK_MAX_BUF];
    int rb_fd[KK_MAX_BUF];
    struct perf_buffer *pb[KK_MAX_BUF];
    int pb_fd[KK_MAX_BUF];
    int nrb, npb;
    struct kc_list *target;   /* where callbacks append */
    int inner_fds[16];
    int ninner;
};

/* libbpf's messages; when full, the older half is dropped (the end says why a load failed) */
static char kk_log[65536];
static size_t kk_log_len;

static int kk_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
    if (level == LIBBPF_DEBUG)
        return 0;
    char *line = NULL;
    int n = vasprintf(&line, fmt, ap);
    if (n <= 0) {
        free(line);
        return 0;
    }
    /* keep the end of long messages (the verifier log comes in one piece) */
    size_t len = (size_t)n, cap = sizeof(kk_log) / 2;
    const char *from = len > cap ? line + len - cap : line;
    if (len > cap)
        len = cap;
    if (kk_log_len + len >= sizeof(kk_log)) {
        memmove(kk_log, kk_log + kk_log_len - (cap - len), cap - len);
        kk_log_len = cap - len;
    }
    memcpy(kk_log + kk_log_len, from, len);
    kk_log_len += len;
    kk_log[kk_log_len] = 0;
    free(line);
    return 0;
}

/* The verifier's last lines, without libbpf's "-- END PROG LOAD LOG --" trailer. */
static const char *kk_log_tail(void)
{
    char *end = strstr(kk_log, "-- END PROG LOAD LOG --");
    if (end)
        *end = 0;
    size_t len = strlen(kk_log);
    int lines = 0;
    while (len > 0 && lines < 8)
        if (kk_log[--len] == '\n' && len + 1 < strlen(kk_log))
            lines++;
    return kk_log + len;
}

static int kk_rb_sample(void *ctx, void *data, size_t size)
{
    struct kc_obj *o = ctx;
    if (o->target)
        kc_list_add(o->target, data, size, NULL, 0);
    return 0;
}

static void kk_pb_sample(void *ctx, int cpu, void *data, __u32 size)
{
    (void)cpu;
    struct kc_obj *o = ctx;
    if (o->target)
        kc_list_add(o->target, data, size, NULL, 0);
}

static void kk_pb_lost(void *ctx, int cpu, __u64 cnt)
{
    struct kc_obj *o = ctx;
    char s[64];
    snprintf(s, sizeof(s), "lost %d %llu", cpu, (unsigned long long)cnt);
    if (o->target)
        kc_list_add(o->target, s, strlen(s), NULL, 0);
}

static void kk_close(struct kc_obj *o)
{
    if (!o)
        return;
    for (int i = 0; i < o->nrb; i++)
        ring_buffer__free(o->rb[i]);
    for (int i = 0; i < o->npb; i++)
        perf_buffer__free(o->pb[i]);
    for (int i = 0; i < o->ninner; i++)
        close(o->inner_fds[i]);
    bpf_object__close(o->obj);
    free(o);
}

static int kk_open(const char *path, const char *only, struct kc_obj **out, char *err, size_t errlen)
{
    libbpf_set_print(kk_print);
    kk_log_len = 0;
    kk_log[0] = 0;
    struct kc_obj *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    o->obj = bpf_object__open_file(path, NULL);
    long e = libbpf_get_error(o->obj);
    if (e) {
        o->obj = NULL;
        snprintf(err, errlen, "bpf_object__open_file: %s: %s", strerror((int)-e), kk_log);
        kk_close(o);
        return (int)e;
    }
    struct bpf_program *p;
    bpf_object__for_each_program(p, o->obj)
    {
        if (only && strcmp(bpf_program__name(p), only))
            bpf_program__set_autoload(p, false);
    }
    int rc = bpf_object__load(o->obj);
    if (rc && getenv("KCOMPARE_VERBOSE"))
        fprintf(stderr, "%s\n", kk_log);
    if (rc) {
        snprintf(err, errlen, "bpf_object__load: %s: ...%s", strerror(-rc), kk_log_tail());
        kk_close(o);
        return rc;
    }
    struct bpf_map *m;
    bpf_object__for_each_map(m, o->obj)
    {
        int fd = bpf_map__fd(m);
        if (bpf_map__type(m) == BPF_MAP_TYPE_RINGBUF && o->nrb < KK_MAX_BUF) {
            o->rb[o->nrb] = ring_buffer__new(fd, kk_rb_sample, o, NULL);
            if (!o->rb[o->nrb]) {
                snprintf(err, errlen, "ring_buffer__new: %s", strerror(errno));
                kk_close(o);
                return -errno;
            }
            o->rb_fd[o->nrb++] = fd;
        } else if (bpf_map__type(m) == BPF_MAP_TYPE_PERF_EVENT_ARRAY && o->npb < KK_MAX_BUF) {
            o->pb[o->npb] = perf_buffer__new(fd, 8, kk_pb_sample, kk_pb_lost, o, NULL);
            if (!o->pb[o->npb]) {
                rc = -errno;
                snprintf(err, errlen, "perf_buffer__new: %s", strerror(-rc));
                kk_close(o);
                return rc;
            }
            o->pb_fd[o->npb++] = fd;
        }
    }
    *out = o;
    return 0;
}

static int kk_run(struct kc_obj *o, const char *prog, const void *in, uint32_t in_len,
                  void *out, uint32_t *out_len, struct kc_ctx *ctx, uint64_t *retval,
                  char *err, size_t errlen)
{
    struct bpf_program *p = bpf_object__find_program_by_name(o->obj, prog);
    if (!p) {
        snprintf(err, errlen, "no program %s", prog);
        return -ENOENT;
    }
    LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in, .data_size_in = in_len, .data_out = out,
                .data_size_out = *out_len, .repeat = 1);
    if (ctx) {
        t.ctx_in = ctx->in;
        t.ctx_size_in = ctx->in_len;
        t.ctx_out = ctx->out;
        t.ctx_size_out = ctx->out_len;
    }
    int rc = bpf_prog_test_run_opts(bpf_program__fd(p), &t);
    if (rc) {
        rc = -errno;
        if (rc == -ENOSPC) { /* data_out too small: what fit, the full size and retval */
            *retval = t.retval;
            *out_len = t.data_size_out;
        }
        snprintf(err, errlen, "BPF_PROG_TEST_RUN: %s", strerror(-rc));
        return rc;
    }
    *retval = t.retval;
    *out_len = t.data_size_out;
    if (ctx)
        ctx->out_len = t.ctx_size_out;
    return 0;
}

static int kk_map_cnt(struct kc_obj *o)
{
    int n = 0;
    struct bpf_map *m;
    bpf_object__for_each_map(m, o->obj) n++;
    return n;
}

static const char *kk_map_name(struct kc_obj *o, int i)
{
    struct bpf_map *m;
    bpf_object__for_each_map(m, o->obj)
    {
        if (i-- == 0)
            return bpf_map__name(m);
    }
    return NULL;
}

/* ---- primitives on an fd ---- */
static int kk_next_key(struct kc_map *m, const void *key, void *next)
{
    return bpf_map_get_next_key((int)m->fd, key, next) ? -errno : 0;
}
static int kk_lookup(struct kc_map *m, const void *key, void *val)
{
    return bpf_map_lookup_elem((int)m->fd, key, val) ? -errno : 0;
}
static int kk_lookup_flags(struct kc_map *m, const void *key, void *val, uint64_t flags)
{
    return bpf_map_lookup_elem_flags((int)m->fd, key, val, flags) ? -errno : 0;
}
static int kk_pop(struct kc_map *m, void *val)
{
    return bpf_map_lookup_and_delete_elem((int)m->fd, NULL, val) ? -errno : 0;
}
static int kk_fill(int fd, struct kc_map *out);
static int kk_inner(struct kc_map *m, const void *key, struct kc_map *out)
{
    uint32_t id;
    if (bpf_map_lookup_elem((int)m->fd, key, &id))
        return -errno;
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0)
        return -errno;
    int rc = kk_fill(fd, out);
    if (rc)
        close(fd);
    return rc;
}
static void kk_put(struct kc_map *m) { close((int)m->fd); }
static int kk_update(struct kc_map *m, const void *key, const void *val, uint64_t flags)
{
    return bpf_map_update_elem((int)m->fd, key, val, flags) ? -errno : 0;
}
static int kk_del(struct kc_map *m, const void *key)
{
    return bpf_map_delete_elem((int)m->fd, key) ? -errno : 0;
}

static const struct kc_map_ops kk_map_ops = {
    .next_key = kk_next_key, .lookup = kk_lookup, .lookup_flags = kk_lookup_flags,
    .pop = kk_pop, .inner = kk_inner, .put = kk_put, .update = kk_update, .del = kk_del,
};

static int kk_fill(int fd, struct kc_map *out)
{
    struct bpf_map_info info;
    uint32_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    if (bpf_obj_get_info_by_fd(fd, &info, &len))
        return -errno;
    memset(out, 0, sizeof(*out));
    out->ops = &kk_map_ops;
    out->fd = fd;
    out->type = info.type;
    out->key_size = info.key_size;
    out->value_size = info.value_size;
    out->value_buf = info.value_size;
    out->cpu_slot = (uint32_t)kc_cpu;
    if (info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH ||
        info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
        int ncpu = libbpf_num_possible_cpus();
        if (ncpu < 1)
            return -EINVAL;
        out->value_buf = (size_t)ncpu * ((info.value_size + 7) & ~7u);
    }
    return 0;
}

static int kk_map(struct kc_obj *o, const char *name, struct kc_map *out)
{
    struct bpf_map *m = bpf_object__find_map_by_name(o->obj, name);
    if (!m)
        return -ENOENT;
    return kk_fill(bpf_map__fd(m), out);
}

static int kk_prog_array_set(struct kc_obj *o, const char *map, uint32_t key, const char *prog)
{
    struct bpf_map *m = bpf_object__find_map_by_name(o->obj, map);
    struct bpf_program *p = bpf_object__find_program_by_name(o->obj, prog);
    if (!m || !p)
        return -ENOENT;
    int fd = bpf_program__fd(p);
    return bpf_map_update_elem(bpf_map__fd(m), &key, &fd, BPF_ANY) ? -errno : 0;
}

static int kk_inner_add(struct kc_obj *o, const char *outer, uint32_t key, const uint32_t vals[4])
{
    struct bpf_map *m = bpf_object__find_map_by_name(o->obj, outer);
    if (!m || o->ninner >= 16)
        return -ENOENT;
    int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "host_inner", 4, 4, 4, NULL);
    if (fd < 0)
        return -errno;
    o->inner_fds[o->ninner++] = fd;
    for (uint32_t i = 0; i < 4; i++)
        if (bpf_map_update_elem(fd, &i, &vals[i], BPF_ANY))
            return -errno;
    return bpf_map_update_elem(bpf_map__fd(m), &key, &fd, BPF_ANY) ? -errno : 0;
}

static int kk_drain(struct kc_obj *o, const char *map, struct kc_list *out)
{
    struct bpf_map *m = bpf_object__find_map_by_name(o->obj, map);
    if (!m)
        return -ENOENT;
    int fd = bpf_map__fd(m), rc = -ENOENT;
    o->target = out;
    for (int i = 0; i < o->nrb; i++)
        if (o->rb_fd[i] == fd)
            rc = ring_buffer__consume(o->rb[i]);
    for (int i = 0; i < o->npb; i++)
        if (o->pb_fd[i] == fd)
            rc = perf_buffer__consume(o->pb[i]);
    o->target = NULL;
    return rc < 0 ? rc : 0;
}

const struct kc_side kc_kernel_side = {
    .name = "kernel", .open = kk_open, .close = kk_close, .run = kk_run,
    .map_cnt = kk_map_cnt, .map_name = kk_map_name, .map = kk_map,
    .prog_array_set = kk_prog_array_set, .inner_add = kk_inner_add, .drain = kk_drain,
};

int kc_kernel_probe(char *why, size_t len)
{
    struct bpf_insn prog[2];
    memset(prog, 0, sizeof(prog));
    prog[0].code = 0xb7; /* r0 = 0 */
    prog[1].code = 0x95; /* exit */
    int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "probe", "GPL", prog, 2, NULL);
    if (fd < 0) {
        int e = errno;
        snprintf(why, len, "BPF_PROG_LOAD: %s%s", strerror(e),
                 geteuid() ? " (not root)" : "");
        return -e;
    }
    uint8_t pkt[64] = {0};
    LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);
    int rc = bpf_prog_test_run_opts(fd, &t) ? -errno : 0;
    close(fd);
    if (rc)
        snprintf(why, len, "BPF_PROG_TEST_RUN: %s", strerror(-rc));
    return rc;
}
