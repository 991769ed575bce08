/* kc_vm.c - the bpfvm side of the comparison: the object opened and loaded with
 * bpfvm_object_* into a vm with the standard helpers, test runs with bpfvm_program_test_run
 * (worker slot 0), map primitives on struct bpfvm_map, host-made inner maps, ring buffers and
 * perf buffers consumed with the map.h consumers. */
#include "kc_side.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/bpfvm.h"
#include "bpfvm/helpers.h"
#include "bpfvm/map.h"
#include "bpfvm/object.h"
#include "kc_checks.h"

#define KV_MAX_BUF 8

struct kc_obj {
    struct bpfvm_vm *vm;
    struct bpfvm_object *obj;
    struct bpfvm_perf_buffer *pb[KV_MAX_BUF];
    struct bpfvm_map *pb_map[KV_MAX_BUF];
    int npb;
    struct kc_list *target;
};

static void kv_close(struct kc_obj *o)
{
    if (!o)
        return;
    for (int i = 0; i < o->npb; i++)
        bpfvm_perf_buffer_free(o->pb[i]);
    bpfvm_object_close(o->obj);
    if (o->vm)
        bpfvm_vm_set_trace_sink(o->vm, NULL, NULL);
    bpfvm_vm_free(o->vm);
    free(o);
}

static void kv_pb_sample(void *ctx, int cpu, void *data, uint32_t size)
{
    (void)cpu;
    struct kc_obj *o = ctx;
    if (o->target)
        kc_list_add(o->target, data, size, NULL, 0);
}

static void kv_pb_lost(void *ctx, int cpu, uint64_t cnt)
{
    struct kc_obj *o = ctx;
    char s[64];
    snprintf(s, sizeof(s), "lost %d %llu", cpu, (unsigned long long)cnt);
    if (o->target)
        kc_list_add(o->target, s, strlen(s), NULL, 0);
}

static void kv_trace_sink(const char *line, size_t len, void *user)
{
    (void)user;
    kc_list_add(&kc_vm_trace, line, len, "", 1); /* NUL-terminated for strstr */
}

static int kv_open(const char *path, const char *only, struct kc_obj **out, char *err, size_t errlen)
{
    struct kc_obj *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    o->vm = bpfvm_vm_new();
    if (!o->vm || bpfvm_vm_add_std_helpers(o->vm)) {
        snprintf(err, errlen, "bpfvm_vm_new failed");
        kv_close(o);
        return -ENOMEM;
    }
    bpfvm_vm_set_trace_sink(o->vm, kv_trace_sink, NULL);
    struct bpfvm_object_open_opts oo = {.sz = sizeof(oo), .errbuf = err, .errbuf_len = errlen};
    int rc = bpfvm_object_open_file(path, &oo, &o->obj);
    if (rc) {
        kv_close(o);
        return rc;
    }
    for (struct bpfvm_program *p = bpfvm_object_next_program(o->obj, NULL); p;
         p = bpfvm_object_next_program(o->obj, p))
        if (only && strcmp(bpfvm_program_name(p), only))
            bpfvm_program_set_autoload(p, false);
    struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .errbuf = err, .errbuf_len = errlen};
    rc = bpfvm_object_load(o->obj, o->vm, &lo);
    if (rc) {
        kv_close(o);
        return rc;
    }
    for (struct bpfvm_object_map *m = bpfvm_object_next_map(o->obj, NULL); m;
         m = bpfvm_object_next_map(o->obj, m)) {
        struct bpfvm_map *map = bpfvm_object_map_map(m);
        if (bpfvm_map_type(map) == BPFVM_MAP_TYPE_PERF_EVENT_ARRAY && o->npb < KV_MAX_BUF) {
            rc = bpfvm_perf_buffer_new(map, 8, kv_pb_sample, kv_pb_lost, o, &o->pb[o->npb]);
            if (rc) {
                snprintf(err, errlen, "bpfvm_perf_buffer_new: %s", strerror(-rc));
                kv_close(o);
                return rc;
            }
            o->pb_map[o->npb++] = map;
        }
    }
    *out = o;
    return 0;
}

static int kv_run(struct kc_obj *o, const char *prog, const void *in, uint32_t in_len,
                  void *out, uint32_t *out_len, struct kc_ctx *ctx, uint64_t *retval,
                  char *err, size_t errlen)
{
    struct bpfvm_program *p = bpfvm_object_find_program_by_name(o->obj, prog);
    if (!p) {
        snprintf(err, errlen, "no program %s", prog);
        return -ENOENT;
    }
    struct bpfvm_test_run_opts t = {
        .sz = sizeof(t), .data_in = in, .data_size_in = in_len, .data_out = out,
        .data_size_out = *out_len, .repeat = 1, .errbuf = err, .errbuf_len = errlen};
    if (ctx) {
        t.ctx_in = ctx->in;
        t.ctx_size_in = ctx->in_len;
        t.ctx_out = ctx->out;
        t.ctx_size_out = ctx->out_len;
    }
    int rc = bpfvm_program_test_run(p, &t);
    if (rc == -ENOSPC) { /* data_out too small: what fit, the full size and retval */
        *retval = t.retval;
        *out_len = t.data_size_out;
    }
    if (rc)
        return rc;
    *retval = t.retval;
    *out_len = t.data_size_out;
    if (ctx)
        ctx->out_len = t.ctx_size_out;
    return 0;
}

static int kv_map_cnt(struct kc_obj *o) { return (int)bpfvm_object_map_cnt(o->obj); }

static const char *kv_map_name(struct kc_obj *o, int i)
{
    for (struct bpfvm_object_map *m = bpfvm_object_next_map(o->obj, NULL); m;
         m = bpfvm_object_next_map(o->obj, m))
        if (i-- == 0)
            return bpfvm_object_map_name(m);
    return NULL;
}

static struct bpfvm_map *kv_find(struct kc_obj *o, const char *name)
{
    struct bpfvm_object_map *m = bpfvm_object_find_map_by_name(o->obj, name);
    return m ? bpfvm_object_map_map(m) : NULL;
}

/* ---- primitives ---- */
static int kv_next_key(struct kc_map *m, const void *key, void *next)
{
    return bpfvm_map_get_next_key(m->h, key, next);
}
static int kv_lookup(struct kc_map *m, const void *key, void *val)
{
    return bpfvm_map_lookup_elem(m->h, key, val);
}
static int kv_lookup_flags(struct kc_map *m, const void *key, void *val, uint64_t flags)
{
    return bpfvm_map_lookup_elem_flags(m->h, key, val, flags);
}
static int kv_pop(struct kc_map *m, void *val)
{
    return bpfvm_map_lookup_and_delete_elem(m->h, NULL, val);
}
static void kv_fill(struct bpfvm_map *map, struct kc_map *out);
static int kv_inner(struct kc_map *m, const void *key, struct kc_map *out)
{
    void *inner;
    int rc = bpfvm_map_lookup_ptr(m->h, key, &inner);
    if (rc)
        return rc;
    kv_fill(inner, out);
    return 0;
}
static void kv_put(struct kc_map *m) { (void)m; }
static int kv_update(struct kc_map *m, const void *key, const void *val, uint64_t flags)
{
    return bpfvm_map_update_elem(m->h, key, val, flags);
}
static int kv_del(struct kc_map *m, const void *key) { return bpfvm_map_delete_elem(m->h, key); }

static const struct kc_map_ops kv_map_ops = {
    .next_key = kv_next_key, .lookup = kv_lookup, .lookup_flags = kv_lookup_flags,
    .pop = kv_pop, .inner = kv_inner, .put = kv_put, .update = kv_update, .del = kv_del,
};

static void kv_fill(struct bpfvm_map *map, struct kc_map *out)
{
    memset(out, 0, sizeof(*out));
    out->ops = &kv_map_ops;
    out->h = map;
    out->type = bpfvm_map_type(map);
    out->key_size = bpfvm_map_key_size(map);
    out->value_size = bpfvm_map_value_size(map);
    out->value_buf = bpfvm_map_value_buf_size(map);
    out->cpu_slot = 0; /* bpfvm_program_test_run runs in worker slot 0 */
}

static int kv_map(struct kc_obj *o, const char *name, struct kc_map *out)
{
    struct bpfvm_map *map = kv_find(o, name);
    if (!map)
        return -ENOENT;
    kv_fill(map, out);
    return 0;
}

static int kv_prog_array_set(struct kc_obj *o, const char *map, uint32_t key, const char *prog)
{
    struct bpfvm_map *m = kv_find(o, map);
    struct bpfvm_program *p = bpfvm_object_find_program_by_name(o->obj, prog);
    if (!m || !p || !bpfvm_program_prog(p))
        return -ENOENT;
    return bpfvm_map_update_ptr(m, &key, bpfvm_program_prog(p), 0);
}

static int kv_inner_add(struct kc_obj *o, const char *outer, uint32_t key, const uint32_t vals[4])
{
    struct bpfvm_map *m = kv_find(o, outer), *in;
    if (!m)
        return -ENOENT;
    int rc = bpfvm_map_create(BPFVM_MAP_TYPE_ARRAY, "host_inner", 4, 4, 4, NULL, &in);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < 4 && !rc; i++)
        rc = bpfvm_map_update_elem(in, &i, &vals[i], 0);
    if (!rc)
        rc = bpfvm_map_update_ptr(m, &key, in, 0);
    bpfvm_map_free(in); /* the outer map holds it now */
    return rc;
}

static int kv_rb_sample(void *ctx, void *data, size_t size)
{
    kc_list_add(ctx, data, size, NULL, 0);
    return 0;
}

static int kv_drain(struct kc_obj *o, const char *map, struct kc_list *out)
{
    struct bpfvm_map *m = kv_find(o, map);
    if (!m)
        return -ENOENT;
    if (bpfvm_map_type(m) == BPFVM_MAP_TYPE_RINGBUF) {
        int rc = bpfvm_ringbuf_consume(m, kv_rb_sample, out);
        return rc < 0 ? rc : 0;
    }
    for (int i = 0; i < o->npb; i++) {
        if (o->pb_map[i] == m) {
            o->target = out;
            int rc = bpfvm_perf_buffer_consume(o->pb[i]);
            o->target = NULL;
            return rc < 0 ? rc : 0;
        }
    }
    return -ENOENT;
}

const struct kc_side kc_vm_side = {
    .name = "bpfvm", .open = kv_open, .close = kv_close, .run = kv_run,
    .map_cnt = kv_map_cnt, .map_name = kv_map_name, .map = kv_map,
    .prog_array_set = kv_prog_array_set, .inner_add = kv_inner_add, .drain = kv_drain,
};
