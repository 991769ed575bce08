/* btf.c - a minimal reader of the .BTF section: the type table and the string table, enough
 * to read BTF-defined maps (structs whose members are pointers to arrays, libbpf's __uint /
 * __type / __array conventions) and the variables of global-data sections.  Every record is
 * bounds-checked at parse time; lookups after that cannot read outside the section. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

#define BTF_MAGIC 0xeB9F
#define BTF_HDR_MIN 24u
#define BTF_MAX_CHAIN 32 /* typedef/modifier/array nesting followed before giving up */

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Bytes after the 12-byte common header for each kind, or -1 for an unknown kind. */
static long tail_size(uint32_t kind, uint32_t vlen)
{
    switch (kind) {
    case OBJ_BTF_KIND_INT:
    case OBJ_BTF_KIND_VAR:
    case OBJ_BTF_KIND_DECL_TAG:
        return 4;
    case OBJ_BTF_KIND_PTR:
    case OBJ_BTF_KIND_FWD:
    case OBJ_BTF_KIND_TYPEDEF:
    case OBJ_BTF_KIND_VOLATILE:
    case OBJ_BTF_KIND_CONST:
    case OBJ_BTF_KIND_RESTRICT:
    case OBJ_BTF_KIND_FUNC:
    case OBJ_BTF_KIND_FLOAT:
    case OBJ_BTF_KIND_TYPE_TAG:
        return 0;
    case OBJ_BTF_KIND_ARRAY:
        return 12;
    case OBJ_BTF_KIND_STRUCT:
    case OBJ_BTF_KIND_UNION:
    case OBJ_BTF_KIND_DATASEC:
    case OBJ_BTF_KIND_ENUM64:
        return 12L * vlen;
    case OBJ_BTF_KIND_ENUM:
    case OBJ_BTF_KIND_FUNC_PROTO:
        return 8L * vlen;
    default:
        return -1;
    }
}

int obj_btf_parse(struct bpfvm_object *obj, const struct obj_sec *s)
{
    struct obj_btf *b = &obj->btf;
    const uint8_t *d = s->data;
    uint64_t len = s->size;
    if (len < BTF_HDR_MIN)
        return obj_err(obj, EINVAL, ".BTF: %llu bytes, shorter than its header", (unsigned long long)len);
    uint16_t magic;
    memcpy(&magic, d, 2);
    if (magic != BTF_MAGIC)
        return obj_err(obj, EINVAL, ".BTF: bad magic 0x%04x", magic);
    if (d[2] != 1)
        return obj_err(obj, EINVAL, ".BTF: version %u not supported", d[2]);
    uint32_t hdr_len = rd32(d + 4), type_off = rd32(d + 8), type_len = rd32(d + 12);
    uint32_t str_off = rd32(d + 16), str_len = rd32(d + 20);
    if (hdr_len < BTF_HDR_MIN || hdr_len > len)
        return obj_err(obj, EINVAL, ".BTF: header length %u out of range", hdr_len);
    uint64_t body = len - hdr_len;
    if ((uint64_t)type_off + type_len > body || (uint64_t)str_off + str_len > body)
        return obj_err(obj, EINVAL, ".BTF: type or string table outside the section");
    if (str_len == 0 || d[hdr_len + str_off + str_len - 1] != 0)
        return obj_err(obj, EINVAL, ".BTF: the string table is empty or not terminated");
    if (type_off % 4)
        return obj_err(obj, EINVAL, ".BTF: type table offset %u not aligned", type_off);
    b->strs = d + hdr_len + str_off;
    b->str_len = str_len;

    const uint8_t *t = d + hdr_len + type_off, *end = t + type_len;
    size_t cap = 64;
    b->types = malloc(cap * sizeof(*b->types));
    if (!b->types)
        return obj_err(obj, ENOMEM, "out of memory");
    b->types[0] = NULL; /* void */
    b->ntypes = 1;
    while (t < end) {
        if (end - t < 12)
            return obj_err(obj, EINVAL, ".BTF: type %u truncated at offset %ld", b->ntypes,
                           (long)(t - d));
        uint32_t info = rd32(t + 4);
        uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
        long extra = tail_size(kind, vlen);
        if (extra < 0)
            return obj_err(obj, EINVAL, ".BTF: type %u has unknown kind %u", b->ntypes, kind);
        if (end - t - 12 < extra)
            return obj_err(obj, EINVAL, ".BTF: type %u (kind %u, %u entries) runs past the type table",
                           b->ntypes, kind, vlen);
        if (b->ntypes >= OBJ_MAX_BTF_TYPES)
            return obj_err(obj, E2BIG, ".BTF: more than %u types", OBJ_MAX_BTF_TYPES);
        if (b->ntypes == cap) {
            const uint8_t **nt = realloc(b->types, (cap *= 2) * sizeof(*b->types));
            if (!nt)
                return obj_err(obj, ENOMEM, "out of memory");
            b->types = nt;
        }
        b->types[b->ntypes++] = t;
        t += 12 + extra;
    }
    obj->has_btf = true;
    return 0;
}

void obj_btf_free(struct obj_btf *btf)
{
    free(btf->types);
    memset(btf, 0, sizeof(*btf));
}

bool obj_btf_type(const struct obj_btf *btf, uint32_t id, struct obj_btf_type *out)
{
    if (!btf->types || id == 0 || id >= btf->ntypes)
        return false;
    const uint8_t *t = btf->types[id];
    uint32_t info = rd32(t + 4);
    out->name_off = rd32(t);
    out->kind = (info >> 24) & 0x1f;
    out->vlen = info & 0xffff;
    out->kflag = info >> 31;
    out->size_or_type = rd32(t + 8);
    out->extra = t + 12;
    return true;
}

const char *obj_btf_str(const struct obj_btf *btf, uint32_t off)
{
    return btf->strs && off < btf->str_len ? (const char *)btf->strs + off : "";
}

static bool is_mod(uint32_t kind)
{
    return kind == OBJ_BTF_KIND_TYPEDEF || kind == OBJ_BTF_KIND_VOLATILE ||
           kind == OBJ_BTF_KIND_CONST || kind == OBJ_BTF_KIND_RESTRICT ||
           kind == OBJ_BTF_KIND_TYPE_TAG;
}

uint32_t obj_btf_skip_mods(const struct obj_btf *btf, uint32_t id)
{
    struct obj_btf_type t;
    for (int i = 0; i < BTF_MAX_CHAIN; i++) {
        if (!obj_btf_type(btf, id, &t))
            return 0;
        if (!is_mod(t.kind))
            return id;
        id = t.size_or_type;
    }
    return 0;
}

bool obj_btf_size(const struct obj_btf *btf, uint32_t id, uint64_t *size)
{
    uint64_t mul = 1;
    struct obj_btf_type t;
    for (int i = 0; i < BTF_MAX_CHAIN; i++) {
        if (!obj_btf_type(btf, id, &t))
            return false;
        switch (t.kind) {
        case OBJ_BTF_KIND_INT:
        case OBJ_BTF_KIND_STRUCT:
        case OBJ_BTF_KIND_UNION:
        case OBJ_BTF_KIND_ENUM:
        case OBJ_BTF_KIND_ENUM64:
        case OBJ_BTF_KIND_FLOAT:
        case OBJ_BTF_KIND_DATASEC:
            if (mul && t.size_or_type > UINT64_MAX / mul)
                return false;
            *size = mul * t.size_or_type;
            return true;
        case OBJ_BTF_KIND_PTR:
            *size = mul * 8;
            return true;
        case OBJ_BTF_KIND_ARRAY: {
            uint32_t elem, n;
            obj_btf_array(&t, &elem, &n);
            if (n && mul > UINT32_MAX)
                return false;
            mul *= n;
            id = elem;
            break;
        }
        case OBJ_BTF_KIND_VAR:
            id = t.size_or_type;
            break;
        default:
            if (!is_mod(t.kind))
                return false;
            id = t.size_or_type;
        }
    }
    return false;
}

void obj_btf_member(const struct obj_btf_type *t, uint32_t i, struct obj_btf_member *m)
{
    const uint8_t *p = t->extra + 12u * i;
    m->name_off = rd32(p);
    m->type = rd32(p + 4);
    m->offset = rd32(p + 8);
}

void obj_btf_datasec_var(const struct obj_btf_type *t, uint32_t i, uint32_t *var_type,
                         uint32_t *offset, uint32_t *size)
{
    const uint8_t *p = t->extra + 12u * i;
    *var_type = rd32(p);
    *offset = rd32(p + 4);
    *size = rd32(p + 8);
}

void obj_btf_array(const struct obj_btf_type *t, uint32_t *elem_type, uint32_t *nelems)
{
    *elem_type = rd32(t->extra);
    *nelems = rd32(t->extra + 8);
}

uint32_t obj_btf_find_datasec(const struct obj_btf *btf, const char *name)
{
    struct obj_btf_type t;
    for (uint32_t id = 1; id < btf->ntypes; id++)
        if (obj_btf_type(btf, id, &t) && t.kind == OBJ_BTF_KIND_DATASEC &&
            !strcmp(obj_btf_str(btf, t.name_off), name))
            return id;
    return 0;
}
