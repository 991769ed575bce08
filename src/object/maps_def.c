/* maps_def.c - the map definitions of an object, in the three styles in use:
 *   "maps"  legacy struct bpf_map_def (20 or 28 bytes: type, key_size, value_size,
 *           max_entries, map_flags[, inner_map_idx, numa_node]) or iproute2's
 *           struct bpf_elf_map (36 bytes: type, size_key, size_value, max_elem, flags, id,
 *           pinning, inner_id, inner_idx); the size per map is the section size divided by
 *           the number of symbols in it, as libbpf and iproute2 do;
 *   ".maps" BTF-defined maps: a struct per map whose members encode numbers as pointers to
 *           arrays (`int (*type)[N]`), key/value as pointers to the types, and `values` as an
 *           array of pointers to the inner map's struct (map-in-map) or to functions (prog
 *           array) initialised through relocations;
 *   global data: .data, .data.*, .rodata, .rodata.*, .bss as one-element array maps. */
#include <ctype.h>
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

static struct bpfvm_object_map *new_map(struct bpfvm_object *obj, const char *name)
{
    if (obj->nmaps >= OBJ_MAX_MAPS) {
        obj_err(obj, E2BIG, "more than %u maps", OBJ_MAX_MAPS);
        return NULL;
    }
    struct bpfvm_object_map *nm = realloc(obj->maps, (obj->nmaps + 1) * sizeof(*nm));
    if (!nm) {
        obj_err(obj, ENOMEM, "out of memory");
        return NULL;
    }
    obj->maps = nm;
    struct bpfvm_object_map *m = &nm[obj->nmaps];
    memset(m, 0, sizeof(*m));
    if (!(m->name = strdup(name))) {
        obj_err(obj, ENOMEM, "out of memory");
        return NULL;
    }
    m->obj = obj;
    obj->nmaps++;
    return m;
}

int obj_map_at(const struct bpfvm_object *obj, uint32_t sec_idx, uint64_t off)
{
    for (size_t i = 0; i < obj->nmaps; i++)
        if (obj->maps[i].kind != OBJ_MAP_DATA && obj->maps[i].sec_idx == sec_idx &&
            obj->maps[i].sec_off == off)
            return (int)i;
    return -1;
}

static bool is_def_sym(const struct obj_sym *s, uint32_t shndx)
{
    return s->shndx == shndx && s->type != STT_SECTION && s->type != STT_FILE && s->name[0];
}

/* ---- "maps": legacy and iproute2 ---- */

static int collect_legacy(struct bpfvm_object *obj, const struct obj_sec *s)
{
    char d[96];
    size_t n = 0;
    for (size_t i = 0; i < obj->nsyms; i++)
        n += is_def_sym(&obj->syms[i], s->index);
    if (!n)
        return 0;
    if (!s->data || s->size % n)
        return obj_err(obj, EINVAL, "%s: %llu bytes do not divide into %zu map definitions",
                       obj_sec_desc(s, d, sizeof(d)), (unsigned long long)s->size, n);
    uint64_t def_sz = s->size / n;
    bool iproute2 = def_sz == 36;
    if (def_sz < 16)
        return obj_err(obj, EINVAL, "%s: %llu-byte map definitions are too short",
                       obj_sec_desc(s, d, sizeof(d)), (unsigned long long)def_sz);
    size_t first = obj->nmaps;
    for (size_t i = 0; i < obj->nsyms; i++) {
        const struct obj_sym *sym = &obj->syms[i];
        if (!is_def_sym(sym, s->index))
            continue;
        if (sym->value % def_sz || sym->value >= s->size)
            return obj_err(obj, EINVAL, "%s: map '%s' at offset 0x%llx is not on a %llu-byte definition",
                           obj_sec_desc(s, d, sizeof(d)), sym->name, (unsigned long long)sym->value,
                           (unsigned long long)def_sz);
        if (obj_map_at(obj, s->index, sym->value) >= 0)
            return obj_err(obj, EINVAL, "%s: two maps at offset 0x%llx", obj_sec_desc(s, d, sizeof(d)),
                           (unsigned long long)sym->value);
        uint32_t f[9] = {0};
        const uint8_t *p = s->data + sym->value;
        memcpy(f, p, def_sz < sizeof(f) ? def_sz : sizeof(f));
        if (!iproute2)
            for (uint64_t b = 28; b < def_sz; b++)
                if (p[b])
                    return obj_err(obj, EINVAL, "%s: map '%s': unknown nonzero field at byte %llu of the definition",
                                   obj_sec_desc(s, d, sizeof(d)), sym->name, (unsigned long long)b);
        struct bpfvm_object_map *m = new_map(obj, sym->name);
        if (!m)
            return -ENOMEM;
        m->kind = iproute2 ? OBJ_MAP_IPROUTE2 : OBJ_MAP_LEGACY;
        m->sec_idx = s->index;
        m->sec_off = sym->value;
        m->def.type = f[0];
        m->def.key_size = f[1];
        m->def.value_size = f[2];
        m->def.max_entries = f[3];
        m->def.map_flags = f[4];
        if (iproute2) {
            m->def.id = f[5];
            m->def.pinning = f[6];
            m->def.inner_id = f[7];
            m->def.inner_idx = f[8];
            m->def.has_inner_idx = true;
        } else {
            m->def.inner_idx = f[5]; /* inner_map_idx: position in this section */
            m->def.numa_node = f[6];
            if (f[6])
                m->def.map_flags |= BPFVM_F_NUMA_NODE;
        }
    }
    /* legacy inner_map_idx counts definitions in section order */
    for (size_t i = first; i < obj->nmaps; i++) {
        struct bpfvm_object_map *m = &obj->maps[i];
        if (m->kind != OBJ_MAP_LEGACY ||
            (m->def.type != BPFVM_MAP_TYPE_ARRAY_OF_MAPS && m->def.type != BPFVM_MAP_TYPE_HASH_OF_MAPS))
            continue;
        uint64_t want = (uint64_t)m->def.inner_idx * def_sz;
        int j = obj_map_at(obj, s->index, want);
        if (j < 0 || (size_t)j == i)
            return obj_err(obj, EINVAL, "%s: map '%s': inner_map_idx %u names no other map",
                           obj_sec_desc(s, d, sizeof(d)), m->name, m->def.inner_idx);
        if (!(m->inner = malloc(sizeof(*m->inner))))
            return obj_err(obj, ENOMEM, "out of memory");
        *m->inner = obj->maps[j].def;
    }
    return 0;
}

/* ---- ".maps": BTF-defined ---- */

/* `int (*name)[N]` -> N */
static bool btf_uint(const struct obj_btf *btf, uint32_t type, uint32_t *out)
{
    struct obj_btf_type t;
    uint32_t id = obj_btf_skip_mods(btf, type);
    if (!obj_btf_type(btf, id, &t) || t.kind != OBJ_BTF_KIND_PTR)
        return false;
    id = obj_btf_skip_mods(btf, t.size_or_type);
    if (!obj_btf_type(btf, id, &t) || t.kind != OBJ_BTF_KIND_ARRAY)
        return false;
    uint32_t elem;
    obj_btf_array(&t, &elem, out);
    return true;
}

/* `T *name` -> sizeof(T) */
static bool btf_pointee_size(const struct obj_btf *btf, uint32_t type, uint32_t *out)
{
    struct obj_btf_type t;
    uint64_t sz;
    uint32_t id = obj_btf_skip_mods(btf, type);
    if (!obj_btf_type(btf, id, &t) || t.kind != OBJ_BTF_KIND_PTR ||
        !obj_btf_size(btf, t.size_or_type, &sz) || sz > UINT32_MAX)
        return false;
    *out = (uint32_t)sz;
    return true;
}

/* A struct bpf_spin_lock among the top-level members of the value type (a pointer to it, as
 * libbpf's __type(value, T) encodes it), as the kernel looks for one. */
static void btf_find_spin_lock(const struct obj_btf *btf, uint32_t ptr_type, struct obj_map_def *def)
{
    struct obj_btf_type pt, vt, mt;
    if (!obj_btf_type(btf, obj_btf_skip_mods(btf, ptr_type), &pt) || pt.kind != OBJ_BTF_KIND_PTR ||
        !obj_btf_type(btf, obj_btf_skip_mods(btf, pt.size_or_type), &vt) ||
        (vt.kind != OBJ_BTF_KIND_STRUCT && vt.kind != OBJ_BTF_KIND_UNION))
        return;
    for (uint32_t i = 0; i < vt.vlen; i++) {
        struct obj_btf_member mb;
        obj_btf_member(&vt, i, &mb);
        if (obj_btf_type(btf, obj_btf_skip_mods(btf, mb.type), &mt) && mt.kind == OBJ_BTF_KIND_STRUCT &&
            !strcmp(obj_btf_str(btf, mt.name_off), "bpf_spin_lock")) {
            uint32_t bits = vt.kflag ? (mb.offset & 0xffffff) : mb.offset;
            def->has_spin_lock = true;
            def->spin_lock_off = bits / 8;
            return;
        }
    }
}

static int btf_map_def(struct bpfvm_object *obj, const char *map_name, uint32_t struct_id,
                       struct obj_map_def *def, struct obj_map_def **inner, int64_t *values_off,
                       bool is_inner)
{
    const struct obj_btf *btf = &obj->btf;
    struct obj_btf_type t;
    if (!obj_btf_type(btf, struct_id, &t) || t.kind != OBJ_BTF_KIND_STRUCT)
        return obj_err(obj, EINVAL, ".maps: map '%s': its BTF type %u is not a struct", map_name, struct_id);
    bool has_key = false, has_value = false;
    uint32_t key_sz = 0, value_sz = 0;
    *values_off = -1;
    for (uint32_t i = 0; i < t.vlen; i++) {
        struct obj_btf_member mb;
        obj_btf_member(&t, i, &mb);
        const char *fn = obj_btf_str(btf, mb.name_off);
        uint32_t v;
        bool ok = true;
        if (!strcmp(fn, "type"))
            ok = btf_uint(btf, mb.type, &def->type);
        else if (!strcmp(fn, "max_entries"))
            ok = btf_uint(btf, mb.type, &def->max_entries);
        else if (!strcmp(fn, "map_flags"))
            ok = btf_uint(btf, mb.type, &def->map_flags);
        else if (!strcmp(fn, "numa_node"))
            ok = btf_uint(btf, mb.type, &def->numa_node);
        else if (!strcmp(fn, "pinning"))
            ok = btf_uint(btf, mb.type, &def->pinning);
        else if (!strcmp(fn, "map_extra"))
            ok = btf_uint(btf, mb.type, &def->map_extra);
        else if (!strcmp(fn, "key_size") || !strcmp(fn, "value_size")) {
            bool is_key = fn[0] == 'k';
            ok = btf_uint(btf, mb.type, &v);
            if (ok && ((is_key && has_key && key_sz != v) || (!is_key && has_value && value_sz != v)))
                return obj_err(obj, EINVAL, ".maps: map '%s': %s %u disagrees with the %s type's size",
                               map_name, fn, v, is_key ? "key" : "value");
            if (is_key)
                key_sz = v, has_key = true;
            else
                value_sz = v, has_value = true;
        } else if (!strcmp(fn, "key") || !strcmp(fn, "value")) {
            bool is_key = fn[0] == 'k';
            ok = btf_pointee_size(btf, mb.type, &v);
            if (ok && !is_key)
                btf_find_spin_lock(btf, mb.type, def);
            if (ok && ((is_key && has_key && key_sz != v) || (!is_key && has_value && value_sz != v)))
                return obj_err(obj, EINVAL, ".maps: map '%s': %s type size %u disagrees with %s_size",
                               map_name, fn, v, fn);
            if (is_key)
                key_sz = v, has_key = true;
            else
                value_sz = v, has_value = true;
        } else if (!strcmp(fn, "values")) {
            struct obj_btf_type at, pt;
            uint32_t elem, n, id = obj_btf_skip_mods(btf, mb.type);
            if (is_inner)
                return obj_err(obj, EINVAL, ".maps: map '%s': an inner map cannot have values", map_name);
            if (!obj_btf_type(btf, id, &at) || at.kind != OBJ_BTF_KIND_ARRAY)
                return obj_err(obj, EINVAL, ".maps: map '%s': 'values' is not an array", map_name);
            obj_btf_array(&at, &elem, &n);
            id = obj_btf_skip_mods(btf, elem);
            if (!obj_btf_type(btf, id, &pt) || pt.kind != OBJ_BTF_KIND_PTR)
                return obj_err(obj, EINVAL, ".maps: map '%s': 'values' is not an array of pointers", map_name);
            id = obj_btf_skip_mods(btf, pt.size_or_type);
            struct obj_btf_type it;
            if (!obj_btf_type(btf, id, &it))
                return obj_err(obj, EINVAL, ".maps: map '%s': 'values' points to no type", map_name);
            if (it.kind == OBJ_BTF_KIND_STRUCT) {
                int64_t dummy;
                if (!(*inner = calloc(1, sizeof(**inner))))
                    return obj_err(obj, ENOMEM, "out of memory");
                int rc = btf_map_def(obj, map_name, id, *inner, NULL, &dummy, true);
                if (rc)
                    return rc;
            } else if (it.kind != OBJ_BTF_KIND_FUNC_PROTO) {
                return obj_err(obj, EINVAL, ".maps: map '%s': 'values' must point to a map struct or a function",
                               map_name);
            }
            if (mb.offset % 64)
                return obj_err(obj, EINVAL, ".maps: map '%s': 'values' is not 8-byte aligned", map_name);
            *values_off = mb.offset / 8;
            /* map-in-map and prog arrays hold 4-byte ids */
            if (!has_value)
                value_sz = 4, has_value = true;
            if (!has_key)
                key_sz = 4, has_key = true;
        } else {
            return obj_err(obj, EINVAL, ".maps: map '%s': unknown field '%s'", map_name, fn);
        }
        if (!ok)
            return obj_err(obj, EINVAL, ".maps: map '%s': field '%s' is not encoded as libbpf's __uint/__type",
                           map_name, fn);
    }
    def->key_size = key_sz;
    def->value_size = value_sz;
    if (def->numa_node)
        def->map_flags |= BPFVM_F_NUMA_NODE;
    return 0;
}

static int collect_btf(struct bpfvm_object *obj, const struct obj_sec *s)
{
    char d[96];
    const struct obj_btf *btf = &obj->btf;
    if (!obj->has_btf)
        return obj_err(obj, EINVAL, "%s: BTF-defined maps need a .BTF section", obj_sec_desc(s, d, sizeof(d)));
    uint32_t ds = obj_btf_find_datasec(btf, ".maps");
    struct obj_btf_type dt;
    if (!ds || !obj_btf_type(btf, ds, &dt))
        return obj_err(obj, EINVAL, "%s: no DATASEC '.maps' in BTF", obj_sec_desc(s, d, sizeof(d)));
    for (size_t i = 0; i < obj->nsyms; i++) {
        const struct obj_sym *sym = &obj->syms[i];
        if (!is_def_sym(sym, s->index))
            continue;
        uint32_t struct_id = 0;
        for (uint32_t v = 0; v < dt.vlen && !struct_id; v++) {
            uint32_t vt, off, sz;
            struct obj_btf_type var;
            obj_btf_datasec_var(&dt, v, &vt, &off, &sz);
            if (obj_btf_type(btf, vt, &var) && var.kind == OBJ_BTF_KIND_VAR &&
                !strcmp(obj_btf_str(btf, var.name_off), sym->name))
                struct_id = obj_btf_skip_mods(btf, var.size_or_type);
        }
        if (!struct_id)
            return obj_err(obj, EINVAL, "%s: map '%s' has no variable in BTF's .maps", obj_sec_desc(s, d, sizeof(d)),
                           sym->name);
        if (obj_map_at(obj, s->index, sym->value) >= 0)
            return obj_err(obj, EINVAL, "%s: two maps at offset 0x%llx", obj_sec_desc(s, d, sizeof(d)),
                           (unsigned long long)sym->value);
        struct bpfvm_object_map *m = new_map(obj, sym->name);
        if (!m)
            return -ENOMEM;
        m->kind = OBJ_MAP_BTF;
        m->sec_idx = s->index;
        m->sec_off = sym->value;
        int64_t values_off;
        int rc = btf_map_def(obj, sym->name, struct_id, &m->def, &m->inner, &values_off, false);
        if (rc)
            return rc;
        if (values_off < 0)
            continue;
        /* `.values = { [i] = &x }`: one ABS64 relocation per initialised slot */
        struct obj_btf_type st;
        obj_btf_type(btf, struct_id, &st);
        /* `values` is a flexible array: the initialised slots lie past the struct's BTF size,
         * inside the symbol's size */
        uint64_t span = sym->size > st.size_or_type ? sym->size : st.size_or_type;
        uint64_t lo = sym->value + (uint64_t)values_off, hi = sym->value + span;
        for (size_t r = 0; r < s->nrelocs; r++) {
            const struct obj_reloc *rl = &s->relocs[r];
            if (rl->offset < lo || rl->offset >= hi)
                continue;
            if ((rl->offset - lo) % 8)
                return obj_err(obj, EINVAL, "%s: relocation at offset 0x%llx is not on a slot of '%s'",
                               obj_sec_desc(s, d, sizeof(d)), (unsigned long long)rl->offset, sym->name);
            uint64_t key = (rl->offset - lo) / 8;
            if (key >= m->def.max_entries)
                return obj_err(obj, EINVAL, "%s: map '%s': initial slot %llu beyond max_entries %u",
                               obj_sec_desc(s, d, sizeof(d)), sym->name, (unsigned long long)key,
                               m->def.max_entries);
            struct obj_init_slot *ns = realloc(m->slots, (m->nslots + 1) * sizeof(*ns));
            if (!ns)
                return obj_err(obj, ENOMEM, "out of memory");
            m->slots = ns;
            ns[m->nslots].key = (uint32_t)key;
            ns[m->nslots].sym = rl->sym;
            m->nslots++;
        }
    }
    return 0;
}

/* ---- global data ---- */

static int collect_data(struct bpfvm_object *obj, struct obj_sec *s)
{
    char name[16], pfx[9];
    size_t pl = 0;
    for (const char *c = obj->name; *c && pl < 8; c++)
        pfx[pl++] = isalnum((unsigned char)*c) || *c == '_' ? *c : '_';
    pfx[pl] = 0;
    snprintf(name, sizeof(name), "%s%s", pfx, s->name);
    if (s->size > UINT32_MAX) {
        char d[96];
        return obj_err(obj, E2BIG, "%s: %llu bytes of global data", obj_sec_desc(s, d, sizeof(d)),
                       (unsigned long long)s->size);
    }
    struct bpfvm_object_map *m = new_map(obj, name);
    if (!m)
        return -ENOMEM;
    m->kind = OBJ_MAP_DATA;
    m->sec_idx = s->index;
    m->def.type = BPFVM_MAP_TYPE_ARRAY;
    m->def.key_size = 4;
    m->def.value_size = (uint32_t)s->size;
    m->def.max_entries = 1;
    if (s->kind == OBJ_SEC_RODATA)
        m->def.map_flags = BPFVM_F_RDONLY_PROG;
    if (!(m->init = calloc(1, s->size)))
        return obj_err(obj, ENOMEM, "out of memory for %llu bytes of %s", (unsigned long long)s->size, s->name);
    if (s->data)
        memcpy(m->init, s->data, s->size);
    s->map_idx = (int)(obj->nmaps - 1);
    return 0;
}

int obj_maps_collect(struct bpfvm_object *obj)
{
    int rc = 0;
    for (size_t i = 1; i < obj->nsecs && !rc; i++) {
        struct obj_sec *s = &obj->secs[i];
        switch (s->kind) {
        case OBJ_SEC_MAPS:
            rc = collect_legacy(obj, s);
            break;
        case OBJ_SEC_BTF_MAPS:
            rc = collect_btf(obj, s);
            break;
        case OBJ_SEC_DATA:
        case OBJ_SEC_RODATA:
        case OBJ_SEC_BSS:
            if (s->size)
                rc = collect_data(obj, s);
            break;
        default:
            break;
        }
    }
    return rc;
}
