/* object.c - the public object API: open (ELF, BTF, map definitions, programs, linking),
 * load (maps created and filled, programs loaded, program arrays and map-in-maps populated),
 * lookups by name and section, accessors, close. */
#include <errno.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "object/object_int.h"
#include "bpfvm/helpers.h"
#include "bpfvm/progtype.h"

int obj_err(struct bpfvm_object *obj, int err, const char *fmt, ...)
{
    if (obj->errbuf && obj->errbuf_len) {
        int n = snprintf(obj->errbuf, obj->errbuf_len, "%s: ", obj->path ? obj->path : "object");
        if (n >= 0 && (size_t)n < obj->errbuf_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(obj->errbuf + n, obj->errbuf_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return -err;
}

void obj_log(struct bpfvm_object *obj, int level, const char *fmt, ...)
{
    if (!obj->log_fn)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    obj->log_fn(level, msg, obj->log_user);
}

/* ---- programs ---- */

static int add_program(struct bpfvm_object *obj, const struct obj_sec *s, const char *name,
                       size_t off, size_t cnt)
{
    if (obj->nprogs >= OBJ_MAX_PROGS)
        return obj_err(obj, E2BIG, "more than %u programs", OBJ_MAX_PROGS);
    struct bpfvm_program *np = realloc(obj->progs, (obj->nprogs + 1) * sizeof(*np));
    if (!np)
        return obj_err(obj, ENOMEM, "out of memory");
    obj->progs = np;
    struct bpfvm_program *p = &np[obj->nprogs];
    memset(p, 0, sizeof(*p));
    if (!(p->name = strdup(name)))
        return obj_err(obj, ENOMEM, "out of memory");
    obj->nprogs++;
    p->obj = obj;
    p->sec_name = s->name;
    p->sec_idx = s->index;
    p->sec_insn_off = off;
    p->sec_insn_cnt = cnt;
    p->autoload = true;
    p->tail_map_id = -1;
    struct obj_sec_type st;
    obj_section_type(s->name, &st);
    p->type = st.prog_type;
    p->attach_type = st.attach_type;
    p->type_name = st.type_name;
    uint32_t a, b;
    if (obj_section_tail_call(s->name, &a, &b)) {
        p->tail_map_id = (int)a;
        p->tail_key = b;
    }
    if (!st.known)
        obj_log(obj, 1, "%s: section '%s': unknown program type (runs as raw code)", obj->path, s->name);
    return 0;
}

static int collect_programs(struct bpfvm_object *obj)
{
    char d[96];
    for (size_t si = 1; si < obj->nsecs; si++) {
        const struct obj_sec *s = &obj->secs[si];
        if (s->kind != OBJ_SEC_CODE || !strcmp(s->name, ".text") || s->size == 0)
            continue;
        size_t sec_cnt = s->size / 8, before = obj->nprogs;
        bool any_global = false;
        for (size_t i = 0; i < obj->nsyms; i++) {
            const struct obj_sym *y = &obj->syms[i];
            if (y->shndx == si && y->type == STT_FUNC && y->bind != STB_LOCAL)
                any_global = true;
        }
        for (size_t i = 0; i < obj->nsyms; i++) {
            const struct obj_sym *y = &obj->syms[i];
            if (y->shndx != si || y->type != STT_FUNC || (any_global && y->bind == STB_LOCAL))
                continue;
            if (y->value % 8 || y->value / 8 >= sec_cnt)
                return obj_err(obj, EINVAL, "%s: function '%s' at offset 0x%llx is outside the code",
                               obj_sec_desc(s, d, sizeof(d)), y->name, (unsigned long long)y->value);
            size_t off = y->value / 8, n = y->size / 8;
            if (n == 0 || n > sec_cnt - off)
                n = sec_cnt - off;
            int rc = add_program(obj, s, y->name[0] ? y->name : s->name, off, n);
            if (rc)
                return rc;
        }
        if (obj->nprogs == before) {
            int rc = add_program(obj, s, s->name, 0, sec_cnt);
            if (rc)
                return rc;
        }
    }
    /* iproute2 gives tail-call sections the type of the main tc program */
    uint32_t tc_type = 0;
    for (size_t i = 0; i < obj->nprogs; i++)
        if (obj->progs[i].tail_map_id < 0 && (obj->progs[i].type == 3 || obj->progs[i].type == 4))
            tc_type = obj->progs[i].type;
    for (size_t i = 0; i < obj->nprogs && tc_type; i++)
        if (obj->progs[i].tail_map_id >= 0) {
            obj->progs[i].type = tc_type;
            obj->progs[i].type_name = obj_prog_type_name(tc_type);
        }
    for (size_t i = 0; i < obj->nprogs; i++) {
        int rc = obj_link_program(obj, &obj->progs[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- open / close ---- */

static char *default_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 2 && !strcmp(b + n - 2, ".o"))
        n -= 2;
    if (n > 6 && !strncmp(b + n - 4, ".bpf", 4))
        n -= 4;
    return strndup(b, n);
}

static int open_common(uint8_t *image, size_t len, const char *path,
                       const struct bpfvm_object_open_opts *opts, struct bpfvm_object **out)
{
    struct bpfvm_object *obj = calloc(1, sizeof(*obj));
    char *err = opts ? opts->errbuf : NULL;
    size_t errlen = opts ? opts->errbuf_len : 0;
    if (!obj) {
        free(image);
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", path);
        return -ENOMEM;
    }
    obj->image = image;
    obj->image_len = len;
    obj->errbuf = err;
    obj->errbuf_len = errlen;
    if (opts) {
        obj->log_fn = opts->log;
        obj->log_user = opts->log_user;
    }
    obj->path = strdup(path);
    obj->name = opts && opts->object_name ? strdup(opts->object_name) : default_name(path);
    int rc;
    if (!obj->path || !obj->name)
        rc = obj_err(obj, ENOMEM, "out of memory");
    else if (!(rc = obj_elf_read(obj)) && !(rc = obj_maps_collect(obj)))
        rc = collect_programs(obj);
    if (!rc && obj->nprogs == 0)
        rc = obj_err(obj, ENOENT, "no programs (no executable sections besides .text)");
    obj->errbuf = NULL;
    obj->errbuf_len = 0;
    if (rc) {
        bpfvm_object_close(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

int bpfvm_object_open_mem(const void *buf, size_t len, const struct bpfvm_object_open_opts *opts,
                          struct bpfvm_object **out)
{
    if (!out || (!buf && len))
        return -EINVAL;
    *out = NULL;
    uint8_t *image = malloc(len ? len : 1);
    if (!image)
        return -ENOMEM;
    if (len)
        memcpy(image, buf, len);
    const char *name = opts && opts->object_name ? opts->object_name : "object";
    return open_common(image, len, name, opts, out);
}

int bpfvm_object_open_file(const char *path, const struct bpfvm_object_open_opts *opts,
                           struct bpfvm_object **out)
{
    char *err = opts ? opts->errbuf : NULL;
    size_t errlen = opts ? opts->errbuf_len : 0;
    if (!path || !out)
        return -EINVAL;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(e));
        return -e;
    }
    size_t cap = 1 << 16, n = 0, r;
    uint8_t *buf = malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            uint8_t *nb = cap < ((size_t)1 << 31) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot read: %s", path, bad ? "read error" : "out of memory or too large");
        return bad ? -EIO : -ENOMEM;
    }
    return open_common(buf, n, path, opts, out);
}

static void unload(struct bpfvm_object *obj)
{
    /* empty the program arrays first: their entries point at programs freed below */
    for (size_t i = 0; i < obj->nmaps; i++) {
        struct bpfvm_object_map *om = &obj->maps[i];
        if (!om->map || om->def.type != BPFVM_MAP_TYPE_PROG_ARRAY)
            continue;
        for (size_t s = 0; s < om->nslots; s++)
            bpfvm_map_delete_elem(om->map, &om->slots[s].key);
        for (size_t p = 0; p < obj->nprogs; p++)
            if (om->kind == OBJ_MAP_IPROUTE2 && obj->progs[p].tail_map_id >= 0 &&
                (uint32_t)obj->progs[p].tail_map_id == om->def.id)
                bpfvm_map_delete_elem(om->map, &obj->progs[p].tail_key);
    }
    for (size_t i = 0; i < obj->nprogs; i++) {
        bpfvm_prog_free(obj->progs[i].prog);
        obj->progs[i].prog = NULL;
    }
    for (size_t i = 0; i < obj->nmaps; i++) {
        bpfvm_map_free(obj->maps[i].map);
        obj->maps[i].map = NULL;
    }
    obj->loaded = false;
}

void bpfvm_object_close(struct bpfvm_object *obj)
{
    if (!obj)
        return;
    unload(obj);
    for (size_t i = 0; i < obj->nprogs; i++) {
        free(obj->progs[i].name);
        free(obj->progs[i].insns);
    }
    free(obj->progs);
    for (size_t i = 0; i < obj->nmaps; i++) {
        free(obj->maps[i].name);
        free(obj->maps[i].inner);
        free(obj->maps[i].init);
        free(obj->maps[i].slots);
    }
    free(obj->maps);
    for (size_t i = 0; i < obj->nsecs; i++)
        free(obj->secs[i].relocs);
    free(obj->secs);
    free(obj->syms);
    obj_btf_free(&obj->btf);
    free(obj->shstr);
    free(obj->image);
    free(obj->name);
    free(obj->path);
    free(obj);
}

const char *bpfvm_object_name(const struct bpfvm_object *obj) { return obj ? obj->name : NULL; }
const char *bpfvm_object_license(const struct bpfvm_object *obj) { return obj ? obj->license : ""; }
uint32_t bpfvm_object_kversion(const struct bpfvm_object *obj) { return obj ? obj->kversion : 0; }

/* ---- load ---- */

static int create_map(struct bpfvm_object *obj, struct bpfvm_object_map *m,
                      const struct bpfvm_object_load_opts *lo, const struct bpfvm_map *inner)
{
    char msg[300] = "", pin[1024] = "";
    struct bpfvm_map_create_opts co = {
        .sz = sizeof(co), .map_flags = m->def.map_flags, .numa_node = m->def.numa_node,
        .inner_map = inner, .nr_slots = lo ? lo->nr_slots : 0, .errbuf = msg,
        .errbuf_len = sizeof(msg), .has_spin_lock = m->def.has_spin_lock,
        .spin_lock_off = m->def.has_spin_lock ? (int32_t)m->def.spin_lock_off : -1,
        .map_extra = m->def.map_extra,
    };
    uint32_t t = m->def.type;
    if (t == BPFVM_MAP_TYPE_PERF_EVENT_ARRAY && !m->def.max_entries) {
        /* like libbpf: one slot per possible CPU (bpfvm: per worker slot) */
        long cpus = lo && lo->nr_slots ? (long)lo->nr_slots : sysconf(_SC_NPROCESSORS_CONF);
        m->def.max_entries = cpus > 0 ? (uint32_t)cpus : 1;
    }
    bool pinnable = t != BPFVM_MAP_TYPE_PROG_ARRAY && t != BPFVM_MAP_TYPE_ARRAY_OF_MAPS &&
                    t != BPFVM_MAP_TYPE_HASH_OF_MAPS && t != BPFVM_MAP_TYPE_PERF_EVENT_ARRAY &&
                    t != BPFVM_MAP_TYPE_RINGBUF;
    if (m->def.pinning && !pinnable) /* they hold process-local programs, maps or rings */
        obj_log(obj, 1, "%s: map '%s': a %s cannot be shared between processes; pinning %u ignored",
                obj->path, m->name, bpfvm_map_type_name((enum bpfvm_map_type)t), m->def.pinning);
    if (m->def.pinning && pinnable) {
        /* iproute2's bpf_elf_map: PIN_OBJECT_NS (1) / PIN_GLOBAL_NS (2); libbpf's BTF maps:
         * LIBBPF_PIN_BY_NAME (1).  Object namespaces are named after the object file. */
        int kind = m->kind == OBJ_MAP_IPROUTE2 ? (int)m->def.pinning
                   : m->def.pinning == 1      ? BPFVM_PIN_BY_NAME
                                              : -1;
        int prc = kind < 0 ? -EINVAL : bpfvm_pin_path_for(kind, obj->name, m->name, pin, sizeof(pin));
        if (prc)
            return obj_err(obj, -prc, "map '%s': pinning %u is not supported", m->name, m->def.pinning);
        co.pin_path = pin;
        co.pin_reuse = true;
    }
    int rc = bpfvm_map_create((enum bpfvm_map_type)m->def.type, m->name, m->def.key_size,
                              m->def.value_size, m->def.max_entries, &co, &m->map);
    if (rc && pin[0])
        return obj_err(obj, -rc, "map '%s' pinned at %s: %s", m->name, pin, msg[0] ? msg : strerror(-rc));
    if (rc)
        return obj_err(obj, -rc, "map '%s' (%s, key %u, value %u, max_entries %u): %s", m->name,
                       bpfvm_map_type_name((enum bpfvm_map_type)m->def.type), m->def.key_size,
                       m->def.value_size, m->def.max_entries, msg[0] ? msg : strerror(-rc));
    if (m->def.type == BPFVM_MAP_TYPE_PROG_ARRAY && (rc = bpfvm_prog_array_init(m->map)))
        return obj_err(obj, -rc, "map '%s': cannot prepare the program array", m->name);
    if (m->kind == OBJ_MAP_DATA) {
        uint32_t k = 0;
        if ((rc = bpfvm_map_update_elem(m->map, &k, m->init, BPFVM_ANY)))
            return obj_err(obj, -rc, "map '%s': cannot write its initial value", m->name);
        if (obj->secs[m->sec_idx].kind == OBJ_SEC_RODATA && (rc = bpfvm_map_freeze(m->map)))
            return obj_err(obj, -rc, "map '%s': cannot freeze", m->name);
    }
    return 0;
}

static bool is_map_in_map(uint32_t t)
{
    return t == BPFVM_MAP_TYPE_ARRAY_OF_MAPS || t == BPFVM_MAP_TYPE_HASH_OF_MAPS;
}

/* Memory a map's definition asks for, roughly (elements + per-element overhead). */
static uint64_t map_mem_estimate(const struct obj_map_def *d, uint64_t slots)
{
    uint64_t elem = (uint64_t)d->key_size + (((uint64_t)d->value_size + 7) & ~7ull) + 16;
    bool percpu = d->type == BPFVM_MAP_TYPE_PERCPU_ARRAY || d->type == BPFVM_MAP_TYPE_PERCPU_HASH ||
                  d->type == BPFVM_MAP_TYPE_LRU_PERCPU_HASH;
    if (d->type == BPFVM_MAP_TYPE_RINGBUF)
        return 2ull * d->max_entries;
    uint64_t r;
    if (__builtin_mul_overflow(elem, (uint64_t)d->max_entries, &r) ||
        __builtin_mul_overflow(r, percpu ? slots : 1, &r))
        return UINT64_MAX;
    return r;
}

static int create_maps(struct bpfvm_object *obj, const struct bpfvm_object_load_opts *lo)
{
    int rc = 0;
    uint64_t limit = lo && lo->map_mem_limit ? lo->map_mem_limit : (1ull << 30), total = 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    uint64_t slots = lo && lo->nr_slots ? lo->nr_slots : (cpus > 0 ? (uint64_t)cpus : 1);
    for (size_t i = 0; i < obj->nmaps; i++) {
        const struct bpfvm_object_map *m = &obj->maps[i];
        uint64_t need = map_mem_estimate(&m->def, slots);
        total = need > UINT64_MAX - total ? UINT64_MAX : total + need;
        if (total > limit)
            return obj_err(obj, E2BIG, "map '%s' (max_entries %u, key %u, value %u) brings the maps to about %llu bytes, over the limit of %llu (map_mem_limit)",
                           m->name, m->def.max_entries, m->def.key_size, m->def.value_size,
                           (unsigned long long)total, (unsigned long long)limit);
    }
    for (size_t i = 0; i < obj->nmaps && !rc; i++)
        if (!is_map_in_map(obj->maps[i].def.type))
            rc = create_map(obj, &obj->maps[i], lo, NULL);
    for (size_t i = 0; i < obj->nmaps && !rc; i++) {
        struct bpfvm_object_map *m = &obj->maps[i];
        if (!is_map_in_map(m->def.type))
            continue;
        struct bpfvm_map *tmpl = NULL;
        bool own = false;
        if (m->inner) {
            char nm[32];
            snprintf(nm, sizeof(nm), "%.10s.inner", m->name);
            struct bpfvm_object_map t = {.obj = obj, .name = nm, .def = *m->inner, .kind = OBJ_MAP_BTF};
            if ((rc = create_map(obj, &t, lo, NULL)))
                break;
            tmpl = t.map;
            own = true;
        } else if (m->kind == OBJ_MAP_IPROUTE2 && m->def.inner_id) {
            for (size_t j = 0; j < obj->nmaps && !tmpl; j++)
                if (j != i && obj->maps[j].kind == OBJ_MAP_IPROUTE2 &&
                    obj->maps[j].def.id == m->def.inner_id && obj->maps[j].map)
                    tmpl = obj->maps[j].map;
        }
        if (!tmpl) {
            rc = obj_err(obj, EINVAL, "map '%s': map-in-map without an inner map definition "
                                      "(BTF __array(values, ...), legacy inner_map_idx or iproute2 inner_id)",
                         m->name);
            break;
        }
        rc = create_map(obj, m, lo, tmpl);
        if (own)
            bpfvm_map_free(tmpl);
    }
    return rc;
}

static int fill_map_in_map(struct bpfvm_object *obj)
{
    for (size_t i = 0; i < obj->nmaps; i++) {
        struct bpfvm_object_map *m = &obj->maps[i];
        if (!is_map_in_map(m->def.type))
            continue;
        for (size_t s = 0; s < m->nslots; s++) {
            const struct obj_sym *y = &obj->syms[m->slots[s].sym];
            int j = obj_map_at(obj, y->shndx, y->value);
            if (j < 0 || !obj->maps[j].map)
                return obj_err(obj, EINVAL, "map '%s': slot %u refers to '%s', which is not a map",
                               m->name, m->slots[s].key, y->name);
            int rc = bpfvm_map_update_ptr(m->map, &m->slots[s].key, obj->maps[j].map, BPFVM_ANY);
            if (rc)
                return obj_err(obj, -rc, "map '%s': cannot store map '%s' at slot %u", m->name,
                               obj->maps[j].name, m->slots[s].key);
        }
        if (m->kind == OBJ_MAP_IPROUTE2 && m->def.inner_id) {
            for (size_t j = 0; j < obj->nmaps; j++) {
                struct bpfvm_object_map *in = &obj->maps[j];
                if (j == i || in->kind != OBJ_MAP_IPROUTE2 || in->def.id != m->def.inner_id ||
                    !in->map)
                    continue;
                int rc = bpfvm_map_update_ptr(m->map, &in->def.inner_idx, in->map, BPFVM_ANY);
                if (rc)
                    return obj_err(obj, -rc, "map '%s': cannot store map '%s' at inner_idx %u",
                                   m->name, in->name, in->def.inner_idx);
            }
        }
    }
    return 0;
}

static struct bpfvm_program *prog_by_sym(struct bpfvm_object *obj, const struct obj_sym *y)
{
    for (size_t i = 0; i < obj->nprogs; i++)
        if (obj->progs[i].sec_idx == y->shndx && obj->progs[i].sec_insn_off * 8 == y->value)
            return &obj->progs[i];
    return NULL;
}

static int fill_prog_arrays(struct bpfvm_object *obj)
{
    for (size_t i = 0; i < obj->nmaps; i++) {
        struct bpfvm_object_map *m = &obj->maps[i];
        if (m->def.type != BPFVM_MAP_TYPE_PROG_ARRAY)
            continue;
        for (size_t s = 0; s < m->nslots; s++) {
            const struct obj_sym *y = &obj->syms[m->slots[s].sym];
            struct bpfvm_program *p = prog_by_sym(obj, y);
            if (!p)
                return obj_err(obj, EINVAL, "map '%s': slot %u refers to '%s', which is not a program",
                               m->name, m->slots[s].key, y->name);
            if (!p->prog)
                continue; /* not loaded (autoload off) */
            int rc = bpfvm_map_update_ptr(m->map, &m->slots[s].key, p->prog, BPFVM_ANY);
            if (rc)
                return obj_err(obj, -rc, "map '%s': cannot store program '%s' at slot %u", m->name,
                               p->name, m->slots[s].key);
        }
    }
    for (size_t i = 0; i < obj->nprogs; i++) {
        struct bpfvm_program *p = &obj->progs[i];
        if (p->tail_map_id < 0 || !p->prog)
            continue;
        struct bpfvm_object_map *m = NULL;
        for (size_t j = 0; j < obj->nmaps && !m; j++)
            if (obj->maps[j].kind == OBJ_MAP_IPROUTE2 && obj->maps[j].def.id == (uint32_t)p->tail_map_id &&
                obj->maps[j].def.type == BPFVM_MAP_TYPE_PROG_ARRAY)
                m = &obj->maps[j];
        if (!m) {
            obj_log(obj, 1, "%s: section '%s': no program array with id %d; not installed", obj->path,
                    p->sec_name, p->tail_map_id);
            continue;
        }
        int rc = bpfvm_map_update_ptr(m->map, &p->tail_key, p->prog, BPFVM_ANY);
        if (rc)
            return obj_err(obj, -rc, "section '%s': cannot store the program in '%s' at key %u",
                           p->sec_name, m->name, p->tail_key);
    }
    return 0;
}

int bpfvm_object_load(struct bpfvm_object *obj, struct bpfvm_vm *vm,
                      const struct bpfvm_object_load_opts *lo)
{
    if (!obj || !vm)
        return -EINVAL;
    obj->errbuf = lo ? lo->errbuf : NULL;
    obj->errbuf_len = lo ? lo->errbuf_len : 0;
    int rc = 0;
    if (obj->loaded) {
        rc = obj_err(obj, EBUSY, "already loaded");
        goto out;
    }
    obj->vm = vm;
    if ((rc = create_maps(obj, lo)) || (rc = fill_map_in_map(obj)))
        goto fail;
    struct bpfvm_map **table = calloc(obj->nmaps ? obj->nmaps : 1, sizeof(*table));
    if (!table) {
        rc = obj_err(obj, ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < obj->nmaps; i++)
        table[i] = obj->maps[i].map;
    for (size_t i = 0; i < obj->nprogs && !rc; i++) {
        struct bpfvm_program *p = &obj->progs[i];
        if (!p->autoload)
            continue;
        char msg[256] = "";
        int type = (int)p->type;
        unsigned flags = lo ? lo->flags : 0;
        if (type && !bpfvm_prog_type_supported((enum bpfvm_prog_type)type)) {
            /* nothing verifies it: every access is checked at run time */
            obj_log(obj, 1, "%s: program '%s': type %s is not supported by bpfvm yet; loaded as raw code (r1 = data, r2 = length) with run-time checks",
                    obj->path, p->name, p->type_name);
            type = 0;
            flags |= BPFVM_LOAD_CHECKED;
        }
        struct bpfvm_load_opts o = {
            .sz = sizeof(o), .flags = flags, .errbuf = msg,
            .errbuf_len = sizeof(msg), .maps = table, .map_cnt = obj->nmaps, .prog_type = type,
            .license = obj->license,
        };
        int r = bpfvm_prog_load(vm, p->insns, p->cnt, &o, &p->prog);
        if (r)
            rc = obj_err(obj, -r, "program '%s' (section %s): %s", p->name, p->sec_name, msg);
    }
    free(table);
    if (rc || (rc = fill_prog_arrays(obj)))
        goto fail;
    obj->loaded = true;
    goto out;
fail:
    unload(obj);
out:
    obj->errbuf = NULL;
    obj->errbuf_len = 0;
    return rc;
}

/* ---- programs: lookups and accessors ---- */

struct bpfvm_program *bpfvm_object_next_program(const struct bpfvm_object *obj,
                                                const struct bpfvm_program *prev)
{
    if (!obj || !obj->nprogs)
        return NULL;
    if (!prev)
        return &obj->progs[0];
    size_t i = (size_t)(prev - obj->progs) + 1;
    return i < obj->nprogs ? &obj->progs[i] : NULL;
}

size_t bpfvm_object_program_cnt(const struct bpfvm_object *obj) { return obj ? obj->nprogs : 0; }

struct bpfvm_program *bpfvm_object_find_program_by_name(const struct bpfvm_object *obj,
                                                        const char *name)
{
    for (size_t i = 0; obj && name && i < obj->nprogs; i++)
        if (!strcmp(obj->progs[i].name, name))
            return &obj->progs[i];
    return NULL;
}

struct bpfvm_program *bpfvm_object_find_program_by_section(const struct bpfvm_object *obj,
                                                           const char *sec)
{
    for (size_t i = 0; obj && sec && i < obj->nprogs; i++)
        if (!strcmp(obj->progs[i].sec_name, sec))
            return &obj->progs[i];
    return NULL;
}

static void list_programs(const struct bpfvm_object *obj, const char *name, char *buf, size_t len)
{
    size_t n = strlen(buf);
    bool first = true;
    for (size_t i = 0; i < obj->nprogs && n < len; i++) {
        const struct bpfvm_program *p = &obj->progs[i];
        if (name && strcmp(p->name, name) && strcmp(p->sec_name, name))
            continue;
        int w = snprintf(buf + n, len - n, "%s%s (section %s)", first ? "" : ", ", p->name, p->sec_name);
        if (w < 0)
            break;
        n += (size_t)w;
        first = false;
    }
}

int bpfvm_object_select_program(const struct bpfvm_object *obj, const char *name,
                                struct bpfvm_program **out, char *err, size_t errlen)
{
    char tmp[1];
    if (!err || !errlen) {
        err = tmp;
        errlen = sizeof(tmp);
    }
    err[0] = 0;
    if (!obj || !out)
        return -EINVAL;
    *out = NULL;
    if (!name || !name[0]) {
        if (obj->nprogs == 1) {
            *out = &obj->progs[0];
            return 0;
        }
        snprintf(err, errlen, "%s: %zu programs, choose one with %s:NAME: ", obj->path, obj->nprogs,
                 obj->path);
        list_programs(obj, NULL, err, errlen);
        return -EINVAL;
    }
    size_t by_name = 0, by_sec = 0;
    struct bpfvm_program *pn = NULL, *ps = NULL;
    for (size_t i = 0; i < obj->nprogs; i++) {
        if (!strcmp(obj->progs[i].name, name))
            by_name++, pn = &obj->progs[i];
        if (!strcmp(obj->progs[i].sec_name, name))
            by_sec++, ps = &obj->progs[i];
    }
    if (by_name == 1 && (by_sec == 0 || ps == pn)) {
        *out = pn;
        return 0;
    }
    if (by_name == 0 && by_sec == 1) {
        *out = ps;
        return 0;
    }
    if (by_name + by_sec == 0) {
        snprintf(err, errlen, "%s: no program or section '%s'; programs: ", obj->path, name);
        list_programs(obj, NULL, err, errlen);
        return -ENOENT;
    }
    snprintf(err, errlen, "%s: '%s' is ambiguous: ", obj->path, name);
    list_programs(obj, name, err, errlen);
    return -EINVAL;
}

const char *bpfvm_program_name(const struct bpfvm_program *p) { return p ? p->name : NULL; }
const char *bpfvm_program_section_name(const struct bpfvm_program *p) { return p ? p->sec_name : NULL; }
uint32_t bpfvm_program_type(const struct bpfvm_program *p) { return p ? p->type : 0; }
const char *bpfvm_program_type_name(const struct bpfvm_program *p) { return p ? p->type_name : NULL; }
uint32_t bpfvm_program_expected_attach_type(const struct bpfvm_program *p) { return p ? p->attach_type : 0; }
const struct bpfvm_insn *bpfvm_program_insns(const struct bpfvm_program *p) { return p ? p->insns : NULL; }
size_t bpfvm_program_insn_cnt(const struct bpfvm_program *p) { return p ? p->cnt : 0; }
struct bpfvm_prog *bpfvm_program_prog(const struct bpfvm_program *p) { return p ? p->prog : NULL; }
bool bpfvm_program_autoload(const struct bpfvm_program *p) { return p && p->autoload; }

int bpfvm_program_set_type(struct bpfvm_program *p, uint32_t type)
{
    if (!p)
        return -EINVAL;
    if (p->obj->loaded)
        return -EBUSY;
    p->type = type;
    p->type_name = obj_prog_type_name(type);
    return 0;
}

int bpfvm_program_set_autoload(struct bpfvm_program *p, bool autoload)
{
    if (!p)
        return -EINVAL;
    if (p->obj->loaded)
        return -EBUSY;
    p->autoload = autoload;
    return 0;
}

/* ---- maps: lookups and accessors ---- */

struct bpfvm_object_map *bpfvm_object_next_map(const struct bpfvm_object *obj,
                                               const struct bpfvm_object_map *prev)
{
    if (!obj || !obj->nmaps)
        return NULL;
    if (!prev)
        return &obj->maps[0];
    size_t i = (size_t)(prev - obj->maps) + 1;
    return i < obj->nmaps ? &obj->maps[i] : NULL;
}

size_t bpfvm_object_map_cnt(const struct bpfvm_object *obj) { return obj ? obj->nmaps : 0; }

struct bpfvm_object_map *bpfvm_object_find_map_by_name(const struct bpfvm_object *obj,
                                                       const char *name)
{
    for (size_t i = 0; obj && name && i < obj->nmaps; i++)
        if (!strcmp(obj->maps[i].name, name))
            return &obj->maps[i];
    /* global data also by section name (".rodata") */
    for (size_t i = 0; obj && name && i < obj->nmaps; i++)
        if (obj->maps[i].kind == OBJ_MAP_DATA && !strcmp(obj->secs[obj->maps[i].sec_idx].name, name))
            return &obj->maps[i];
    return NULL;
}

const char *bpfvm_object_map_name(const struct bpfvm_object_map *m) { return m ? m->name : NULL; }
enum bpfvm_map_type bpfvm_object_map_type(const struct bpfvm_object_map *m)
{
    return m ? (enum bpfvm_map_type)m->def.type : BPFVM_MAP_TYPE_UNSPEC;
}
uint32_t bpfvm_object_map_key_size(const struct bpfvm_object_map *m) { return m ? m->def.key_size : 0; }
uint32_t bpfvm_object_map_value_size(const struct bpfvm_object_map *m) { return m ? m->def.value_size : 0; }
uint32_t bpfvm_object_map_max_entries(const struct bpfvm_object_map *m) { return m ? m->def.max_entries : 0; }
uint32_t bpfvm_object_map_flags(const struct bpfvm_object_map *m) { return m ? m->def.map_flags : 0; }
uint32_t bpfvm_object_map_pinning(const struct bpfvm_object_map *m) { return m ? m->def.pinning : 0; }
struct bpfvm_map *bpfvm_object_map_map(const struct bpfvm_object_map *m) { return m ? m->map : NULL; }

const char *bpfvm_object_map_section(const struct bpfvm_object_map *m)
{
    return m ? m->obj->secs[m->sec_idx].name : NULL;
}

const char *bpfvm_object_map_def_kind(const struct bpfvm_object_map *m)
{
    static const char *const k[] = {"legacy", "iproute2", "btf", "data"};
    return m ? k[m->kind] : NULL;
}

const void *bpfvm_object_map_initial_value(const struct bpfvm_object_map *m, size_t *size)
{
    if (!m || !m->init)
        return NULL;
    if (size)
        *size = m->def.value_size;
    return m->init;
}

int bpfvm_object_map_set_initial_value(struct bpfvm_object_map *m, const void *data, size_t size)
{
    if (!m || !m->init || size != m->def.value_size || !data)
        return -EINVAL;
    if (m->obj->loaded)
        return -EBUSY;
    memcpy(m->init, data, size);
    return 0;
}

bool bpfvm_object_map_var(const struct bpfvm_object_map *m, uint32_t i, const char **name,
                          uint32_t *offset, uint32_t *size)
{
    if (!m || m->kind != OBJ_MAP_DATA || !m->obj->has_btf)
        return false;
    const struct bpfvm_object *obj = m->obj;
    const struct obj_sec *s = &obj->secs[m->sec_idx];
    struct obj_btf_type dt, var;
    uint32_t ds = obj_btf_find_datasec(&obj->btf, s->name);
    if (!ds || !obj_btf_type(&obj->btf, ds, &dt) || i >= dt.vlen)
        return false;
    uint32_t vt, off, sz;
    obj_btf_datasec_var(&dt, i, &vt, &off, &sz);
    if (!obj_btf_type(&obj->btf, vt, &var) || var.kind != OBJ_BTF_KIND_VAR)
        return false;
    const char *nm = obj_btf_str(&obj->btf, var.name_off);
    /* the symbol table is authoritative for the offset */
    for (size_t k = 0; k < obj->nsyms; k++)
        if (obj->syms[k].shndx == s->index && !strcmp(obj->syms[k].name, nm) &&
            obj->syms[k].type == STT_OBJECT)
            off = (uint32_t)obj->syms[k].value;
    uint64_t bsz;
    if (!sz && obj_btf_size(&obj->btf, var.size_or_type, &bsz))
        sz = (uint32_t)bsz;
    if ((uint64_t)off + sz > m->def.value_size)
        return false;
    *name = nm;
    *offset = off;
    *size = sz;
    return true;
}
