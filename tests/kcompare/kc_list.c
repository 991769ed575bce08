/* kc_list.c - snapshots for the kernel comparison: lists of byte strings, sorting, the first
 * difference, and kc_snapshot, which reads a map through its side's primitives. */
#include "kc_side.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kc_list_add(struct kc_list *l, const void *a, size_t alen, const void *b, size_t blen)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct kc_item *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            abort();
        l->v = v;
        l->cap = cap;
    }
    uint8_t *bytes = malloc(alen + blen + 1);
    if (!bytes)
        abort();
    if (alen)
        memcpy(bytes, a, alen);
    if (blen)
        memcpy(bytes + alen, b, blen);
    l->v[l->n].bytes = bytes;
    l->v[l->n].len = alen + blen;
    l->n++;
}

static int kc_item_cmp(const void *x, const void *y)
{
    const struct kc_item *a = x, *b = y;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->bytes, b->bytes, n) : 0;
    if (c)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

void kc_list_sort(struct kc_list *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(l->v[0]), kc_item_cmp);
}

void kc_list_free(struct kc_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].bytes);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void kc_list_add_nested(struct kc_list *l, const void *key, size_t klen, const struct kc_list *in)
{
    size_t total = 0;
    for (size_t i = 0; i < in->n; i++)
        total += 4 + in->v[i].len;
    uint8_t *flat = malloc(total + 1);
    if (!flat)
        abort();
    size_t off = 0;
    for (size_t i = 0; i < in->n; i++) {
        uint32_t len = (uint32_t)in->v[i].len;
        memcpy(flat + off, &len, 4);
        memcpy(flat + off + 4, in->v[i].bytes, len);
        off += 4 + len;
    }
    kc_list_add(l, key, klen, flat, total);
    free(flat);
}

static void kc_hex(char *out, size_t len, const struct kc_item *it)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < it->len && o + 4 < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%02x", it->bytes[i]);
    if (it->len * 2 + 1 > len && len > 4)
        memcpy(out + len - 4, "...", 4);
}

/* hex of it->bytes[from, from + 24) */
static void kc_hex_at(char *out, size_t len, const struct kc_item *it, size_t from)
{
    struct kc_item part = {it->bytes + from, it->len > from ? it->len - from : 0};
    if (part.len > 24)
        part.len = 24;
    kc_hex(out, len, &part);
}

int kc_list_diff(const struct kc_list *a, const struct kc_list *b, char *msg, size_t len)
{
    size_t n = a->n < b->n ? a->n : b->n;
    char ha[160], hb[160];
    for (size_t i = 0; i < n; i++) {
        if (kc_item_cmp(&a->v[i], &b->v[i])) {
            const struct kc_item *x = &a->v[i], *y = &b->v[i];
            size_t off = 0;
            while (off < x->len && off < y->len && x->bytes[off] == y->bytes[off])
                off++;
            size_t from = off > 8 ? off - 8 : 0;
            kc_hex_at(ha, sizeof(ha), x, from);
            kc_hex_at(hb, sizeof(hb), y, from);
            snprintf(msg, len, "item %zu (%zu and %zu bytes) differs at byte %zu; from byte %zu: "
                     "kernel %s, bpfvm %s", i, x->len, y->len, off, from, ha, hb);
            return 1;
        }
    }
    if (a->n != b->n) {
        const struct kc_item *extra = a->n > b->n ? &a->v[n] : &b->v[n];
        kc_hex(ha, sizeof(ha), extra);
        snprintf(msg, len, "%zu items in the kernel, %zu in bpfvm; first extra (%s): %s", a->n,
                 b->n, a->n > b->n ? "kernel" : "bpfvm", ha);
        return 1;
    }
    return 0;
}

static uint32_t kc_round8(uint32_t x) { return (x + 7) & ~7u; }

/* A bloom filter's answers (present / absent, false positives included) for 512 values:
 * i as 16-bit little-endian, zero-extended, byte 5 = 0x5a (the shape bloom.bpf.c pushes). */
#define KC_BLOOM_PROBES 512
static int kc_bloom_snapshot(struct kc_map *m, uint8_t *val, struct kc_list *out, char *err,
                             size_t errlen)
{
    for (uint32_t i = 0; i < KC_BLOOM_PROBES; i++) {
        memset(val, 0, m->value_size);
        val[0] = (uint8_t)i;
        if (m->value_size > 1)
            val[1] = (uint8_t)(i >> 8);
        if (m->value_size > 5)
            val[5] = 0x5a;
        int r = m->ops->lookup(m, NULL, val);
        if (r && r != -ENOENT) {
            snprintf(err, errlen, "bloom filter peek: %s", strerror(-r));
            return r;
        }
        uint8_t present = r == 0;
        uint16_t idx = (uint16_t)i;
        kc_list_add(out, &idx, 2, &present, 1);
    }
    return 0;
}

int kc_snapshot(struct kc_map *m, struct kc_list *out, char *err, size_t errlen)
{
    uint8_t key[64], next[64];
    uint8_t *val = calloc(1, m->value_buf + 8);
    if (!val)
        return -ENOMEM;
    int rc = 0;
    if (m->key_size > sizeof(key)) {
        snprintf(err, errlen, "key size %u too large", m->key_size);
        free(val);
        return -EINVAL;
    }
    switch (m->type) {
    case KC_QUEUE:
    case KC_STACK:
        for (int i = 0; i < 100000 && m->ops->pop(m, val) == 0; i++)
            kc_list_add(out, val, m->value_size, NULL, 0);
        free(val);
        return 0; /* order matters: not sorted */
    case KC_RINGBUF:
    case KC_PERF_EVENT_ARRAY:
        free(val);
        return 0; /* drained separately */
    case KC_BLOOM_FILTER:
        rc = kc_bloom_snapshot(m, val, out, err, errlen);
        free(val);
        return rc; /* in probe order */
    default:
        break;
    }
    const void *prev = NULL;
    for (int i = 0; i < 100000; i++) {
        int r = m->ops->next_key(m, prev, next);
        if (r == -ENOENT)
            break;
        if (r) {
            snprintf(err, errlen, "get_next_key: %s", strerror(-r));
            rc = r;
            break;
        }
        memcpy(key, next, m->key_size);
        prev = key;
        if (m->type == KC_ARRAY_OF_MAPS || m->type == KC_HASH_OF_MAPS) {
            struct kc_map in;
            r = m->ops->inner(m, key, &in);
            if (r == -ENOENT)
                continue;
            if (r) {
                snprintf(err, errlen, "inner map lookup: %s", strerror(-r));
                rc = r;
                break;
            }
            struct kc_list il = {0};
            r = kc_snapshot(&in, &il, err, errlen);
            m->ops->put(&in);
            if (r) {
                kc_list_free(&il);
                rc = r;
                break;
            }
            kc_list_add_nested(out, key, m->key_size, &il);
            kc_list_free(&il);
            continue;
        }
        r = m->ops->lookup(m, key, val);
        if (r == -ENOENT)
            continue;
        if (m->type == KC_XSKMAP) { /* host lookups fail (-EOPNOTSUPP): keep key ++ error */
            int32_t e = r;
            kc_list_add(out, key, m->key_size, &e, 4);
            continue;
        }
        if (r) {
            snprintf(err, errlen, "lookup: %s", strerror(-r));
            rc = r;
            break;
        }
        if (m->type == KC_PROG_ARRAY) {
            kc_list_add(out, key, m->key_size, NULL, 0);
            continue;
        }
        size_t off = 0;
        if (m->type == KC_PERCPU_ARRAY || m->type == KC_PERCPU_HASH ||
            m->type == KC_LRU_PERCPU_HASH)
            off = (size_t)m->cpu_slot * kc_round8(m->value_size);
        if (off + m->value_size > m->value_buf) {
            snprintf(err, errlen, "per-CPU slot %u outside the value", m->cpu_slot);
            rc = -EINVAL;
            break;
        }
        uint8_t shown[64];
        memcpy(shown, key, m->key_size);
        if (m->type == KC_LPM_TRIE && !m->lpm_raw && m->key_size >= 4) {
            /* bits past the prefix length are not part of the entry */
            uint32_t plen;
            memcpy(&plen, shown, 4);
            for (uint32_t b = 0; b < (m->key_size - 4) * 8; b++)
                if (b >= plen)
                    shown[4 + b / 8] &= (uint8_t)~(0x80u >> (b % 8));
        }
        kc_list_add(out, shown, m->key_size, val + off, m->value_size);
    }
    free(val);
    kc_list_sort(out);
    return rc;
}
