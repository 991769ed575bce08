/* maps/lpm_trie.c - BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over keys
 * { u32 prefixlen; u8 data[key_size - 4]; } (bits taken most significant first), as a
 * path-compressed binary trie.  Intermediate nodes (no value) join two subtrees.  A
 * reader/writer lock guards the shape; removed nodes go to a free list and are reused but
 * never freed while the map lives, so value pointers held by programs stay valid memory.
 * get_next_key walks in post-order, children (0 before 1) before their parent: the most
 * specific prefixes first, like the kernel. */
#include "maps/map.h"

#include <pthread.h>
#include <stdlib.h>

#define LPM_DATA_MAX 256u

struct lpm_node {
    struct lpm_node *child[2];
    uint32_t prefixlen;
    bool intermediate;
    struct lpm_node *free_next;
    struct lpm_node *alloc_next;
    _Alignas(8) uint8_t data[]; /* data (rounded to 8), then the value */
};

struct lpm_trie {
    struct bpfvm_map map;
    pthread_rwlock_t lock;
    struct lpm_node *root;
    uint32_t data_size, max_prefixlen, value_off, n_entries;
    size_t node_size;
    struct lpm_node *free_list, *allocated;
};

struct lpm_key {
    uint32_t prefixlen;
    uint8_t data[];
};

#define LPM_FLAGS (BPFVM_F_NO_PREALLOC | BPFVM_F_NUMA_NODE | BPFVM_F_RDONLY | BPFVM_F_WRONLY | \
                   BPFVM_F_RDONLY_PROG | BPFVM_F_WRONLY_PROG)

static int lpm_check(const struct map_attr *a)
{
    if ((a->map_flags & ~LPM_FLAGS) || !(a->map_flags & BPFVM_F_NO_PREALLOC))
        return map_err(a, -EINVAL, "map create lpm_trie: flags 0x%x (BPF_F_NO_PREALLOC is "
                       "required)", a->map_flags);
    if (a->key_size <= 4 || a->key_size > 4 + LPM_DATA_MAX)
        return map_err(a, -EINVAL, "map create lpm_trie: key_size %u not in 5..%u",
                       a->key_size, 4 + LPM_DATA_MAX);
    if (!a->value_size || a->value_size > MAP_KMALLOC_MAX - LPM_DATA_MAX - 64 || !a->max_entries)
        return map_err(a, -EINVAL, "map create lpm_trie: bad value_size %u or max_entries %u",
                       a->value_size, a->max_entries);
    return 0;
}

static int lpm_alloc(const struct map_attr *a, struct bpfvm_map **out)
{
    struct lpm_trie *t = map_mem_calloc(a->arena, 1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    /* a pinned trie is locked by several processes */
    pthread_rwlockattr_t la;
    pthread_rwlockattr_init(&la);
    if (a->arena)
        pthread_rwlockattr_setpshared(&la, PTHREAD_PROCESS_SHARED);
    int lerr = pthread_rwlock_init(&t->lock, &la);
    pthread_rwlockattr_destroy(&la);
    if (lerr) {
        map_mem_free(a->arena, t);
        return -ENOMEM;
    }
    t->data_size = a->key_size - 4;
    t->max_prefixlen = t->data_size * 8;
    t->value_off = map_round8(t->data_size);
    t->node_size = sizeof(struct lpm_node) + t->value_off + a->value_stride;
    map_init_common(&t->map, a, &map_lpm_trie_ops);
    *out = &t->map;
    return 0;
}

static void lpm_free(struct bpfvm_map *map)
{
    struct lpm_trie *t = (struct lpm_trie *)map;
    while (t->allocated) {
        struct lpm_node *n = t->allocated;
        t->allocated = n->alloc_next;
        map_mem_free(map->arena, n);
    }
    pthread_rwlock_destroy(&t->lock);
    map_mem_free(map->arena, t);
}

/* Nodes in use: entries plus at most one intermediate node per entry; an update takes two
 * before it knows whether it needs them. */
static size_t lpm_mem_size(const struct map_attr *a)
{
    size_t node = sizeof(struct lpm_node) + map_round8(a->key_size - 4) + a->value_stride;
    return map_mem_round(sizeof(struct lpm_trie)) +
           ((size_t)a->max_entries * 2 + 4) * map_mem_round(node);
}

static inline uint8_t *node_value(const struct lpm_trie *t, struct lpm_node *n)
{
    return n->data + t->value_off;
}

static inline unsigned lpm_bit(const uint8_t *data, uint32_t i)
{
    return (data[i / 8] >> (7 - i % 8)) & 1;
}

/* Number of leading bits node and key agree on, at most min(both prefix lengths). */
static uint32_t lpm_match(const struct lpm_trie *t, const struct lpm_node *n, uint32_t klen,
                          const uint8_t *kdata)
{
    uint32_t limit = n->prefixlen < klen ? n->prefixlen : klen;
    uint32_t bits = 0;
    for (uint32_t i = 0; i < t->data_size && bits < limit; i++) {
        uint8_t x = n->data[i] ^ kdata[i];
        if (x) {
            bits += (uint32_t)__builtin_clz((unsigned)x) - 24;
            break;
        }
        bits += 8;
    }
    return bits < limit ? bits : limit;
}

static struct lpm_node *lpm_node_get(struct lpm_trie *t)
{
    struct lpm_node *n = t->free_list;
    if (n) {
        t->free_list = n->free_next;
    } else {
        n = map_mem_calloc(t->map.arena, 1, t->node_size);
        if (!n)
            return NULL;
        n->alloc_next = t->allocated;
        t->allocated = n;
    }
    struct lpm_node *keep = n->alloc_next;
    memset(n, 0, t->node_size);
    n->alloc_next = keep;
    return n;
}

static void lpm_node_put(struct lpm_trie *t, struct lpm_node *n)
{
    n->free_next = t->free_list;
    t->free_list = n;
}

static struct lpm_node *lpm_find(struct lpm_trie *t, const struct lpm_key *key)
{
    struct lpm_node *found = NULL;
    for (struct lpm_node *n = t->root; n;) {
        uint32_t m = lpm_match(t, n, key->prefixlen, key->data);
        if (m == t->max_prefixlen) {
            if (!n->intermediate)
                found = n;
            break;
        }
        if (m < n->prefixlen)
            break;
        if (!n->intermediate)
            found = n;
        n = n->child[lpm_bit(key->data, n->prefixlen)];
    }
    return found;
}

static void *lpm_lookup(struct bpfvm_map *map, const void *key, unsigned slot)
{
    struct lpm_trie *t = (struct lpm_trie *)map;
    const struct lpm_key *k = key;
    if (k->prefixlen > t->max_prefixlen)
        return NULL;
    pthread_rwlock_rdlock(&t->lock);
    struct lpm_node *n = lpm_find(t, k);
    void *v = n ? node_value(t, n) : NULL;
    pthread_rwlock_unlock(&t->lock);
    return v;
}

static long lpm_update(struct bpfvm_map *map, const void *key, const void *value,
                       uint64_t flags, unsigned slot)
{
    struct lpm_trie *t = (struct lpm_trie *)map;
    const struct lpm_key *k = key;
    int err = map_check_update_flags(map, flags);
    if (err)
        return err;
    if (k->prefixlen > t->max_prefixlen)
        return -EINVAL;
    pthread_rwlock_wrlock(&t->lock);
    struct lpm_node **slotp = &t->root, *n;
    uint32_t m = 0;
    while ((n = *slotp)) {
        m = lpm_match(t, n, k->prefixlen, k->data);
        if (n->prefixlen != m || n->prefixlen == k->prefixlen || n->prefixlen == t->max_prefixlen)
            break;
        slotp = &n->child[lpm_bit(k->data, n->prefixlen)];
    }
    bool exact = n && n->prefixlen == m && m == k->prefixlen;
    if (exact && !n->intermediate) {
        if (flags == BPFVM_NOEXIST) {
            err = -EEXIST;
        } else { /* like the kernel, the node takes the new key: its bits past the prefix too */
            memcpy(n->data, k->data, t->data_size);
            map_copy_value(map, node_value(t, n), value);
        }
        goto out;
    }
    if (flags == BPFVM_EXIST) {
        err = -ENOENT;
        goto out;
    }
    if (t->n_entries >= map->max_entries) {
        err = -ENOSPC;
        goto out;
    }
    if (exact) { /* an intermediate node becomes real, with the new key */
        n->intermediate = false;
        memcpy(n->data, k->data, t->data_size);
        map_copy_value(map, node_value(t, n), value);
        t->n_entries++;
        goto out;
    }
    struct lpm_node *fresh = lpm_node_get(t);
    struct lpm_node *im = (n && m != k->prefixlen) ? lpm_node_get(t) : NULL;
    if (!fresh || (n && m != k->prefixlen && !im)) {
        if (fresh)
            lpm_node_put(t, fresh);
        if (im)
            lpm_node_put(t, im);
        err = -ENOMEM;
        goto out;
    }
    fresh->prefixlen = k->prefixlen;
    memcpy(fresh->data, k->data, t->data_size);
    map_copy_value(map, node_value(t, fresh), value);
    t->n_entries++;
    if (!n) {
        *slotp = fresh;
    } else if (m == k->prefixlen) { /* the new prefix covers n: it becomes n's parent */
        fresh->child[lpm_bit(n->data, m)] = n;
        *slotp = fresh;
    } else { /* they part at bit m: join them under an intermediate node */
        im->intermediate = true;
        im->prefixlen = m;
        memcpy(im->data, k->data, t->data_size);
        im->child[lpm_bit(n->data, m)] = n;
        im->child[lpm_bit(k->data, m)] = fresh;
        *slotp = im;
    }
out:
    pthread_rwlock_unlock(&t->lock);
    return err;
}

static long lpm_delete(struct bpfvm_map *map, const void *key)
{
    struct lpm_trie *t = (struct lpm_trie *)map;
    const struct lpm_key *k = key;
    if (k->prefixlen > t->max_prefixlen)
        return -EINVAL;
    pthread_rwlock_wrlock(&t->lock);
    struct lpm_node **trim = &t->root, **trim2 = trim, *parent = NULL, *n;
    uint32_t m = 0;
    while ((n = *trim)) {
        m = lpm_match(t, n, k->prefixlen, k->data);
        if (n->prefixlen != m || n->prefixlen == k->prefixlen)
            break;
        parent = n;
        trim2 = trim;
        trim = &n->child[lpm_bit(k->data, n->prefixlen)];
    }
    long err = 0;
    if (!n || n->prefixlen != k->prefixlen || n->prefixlen != m || n->intermediate) {
        err = -ENOENT;
        goto out;
    }
    t->n_entries--;
    if (n->child[0] && n->child[1]) {
        n->intermediate = true;
    } else if (parent && parent->intermediate && !n->child[0] && !n->child[1]) {
        *trim2 = parent->child[0] == n ? parent->child[1] : parent->child[0];
        lpm_node_put(t, parent);
        lpm_node_put(t, n);
    } else {
        *trim = n->child[0] ? n->child[0] : n->child[1];
        lpm_node_put(t, n);
    }
out:
    pthread_rwlock_unlock(&t->lock);
    return err;
}

static struct lpm_node *lpm_leftmost(struct lpm_node *n)
{
    while (n && (n->child[0] || n->child[1]))
        n = n->child[0] ? n->child[0] : n->child[1];
    return n;
}

static int lpm_get_next_key(struct bpfvm_map *map, const void *key, void *next_key)
{
    struct lpm_trie *t = (struct lpm_trie *)map;
    const struct lpm_key *k = key;
    struct lpm_node *path[LPM_DATA_MAX * 8 + 2];
    size_t depth = 0;
    struct lpm_node *next = NULL;
    int err = 0;
    pthread_rwlock_rdlock(&t->lock);
    struct lpm_node *n = t->root;
    bool found = false;
    if (k && k->prefixlen <= t->max_prefixlen) {
        while (n) {
            uint32_t m = lpm_match(t, n, k->prefixlen, k->data);
            if (m != n->prefixlen)
                break;
            path[depth++] = n;
            if (n->prefixlen == k->prefixlen) {
                found = !n->intermediate;
                break;
            }
            n = n->child[lpm_bit(k->data, n->prefixlen)];
        }
    }
    if (!found) {
        next = lpm_leftmost(t->root);
    } else {
        /* post-order successor: the right sibling's leftmost leaf, else the parent */
        while (depth > 1) {
            struct lpm_node *cur = path[--depth], *par = path[depth - 1];
            if (par->child[0] == cur && par->child[1]) {
                next = lpm_leftmost(par->child[1]);
                break;
            }
            if (!par->intermediate) {
                next = par;
                break;
            }
        }
    }
    if (!next) {
        err = -ENOENT;
    } else {
        struct lpm_key *out = next_key;
        out->prefixlen = next->prefixlen;
        memcpy(out->data, next->data, t->data_size);
    }
    pthread_rwlock_unlock(&t->lock);
    return err;
}

const struct map_ops map_lpm_trie_ops = {
    .name = "lpm_trie",
    .lookup_may_be_null = true,
    .has_keys = true,
    .check = lpm_check,
    .alloc = lpm_alloc,
    .free = lpm_free,
    .mem_size = lpm_mem_size,
    .lookup = lpm_lookup,
    .update = lpm_update,
    .delete = lpm_delete,
    .get_next_key = lpm_get_next_key,
};
