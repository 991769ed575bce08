/* nmaps.c - the native maps and csum_diff behind the map and checksum rows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nmaps.h"

struct nmap bench_nmaps[BENCH_NMAPS];
static int nmaps_ready;

static uint32_t nmap_hash32(const uint8_t *key, uint32_t size)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < size; i++)
        h = (h ^ key[i]) * 16777619u;
    return h ^ (h >> 15);
}

static void *nmap_hash_lookup(struct nmap *m, const void *key)
{
    uint32_t slot_size = m->key_size + m->value_size;
    uint32_t i = nmap_hash32(key, m->key_size) & (m->cap - 1);
    for (uint32_t probes = 0; probes < m->cap; probes++, i = (i + 1) & (m->cap - 1)) {
        if (!m->used[i])
            return NULL;
        uint8_t *s = m->slots + (size_t)i * slot_size;
        if (memcmp(s, key, m->key_size) == 0)
            return s + m->key_size;
    }
    return NULL;
}

static int nmap_hash_insert(struct nmap *m, const void *key, const void *val)
{
    uint32_t slot_size = m->key_size + m->value_size;
    uint32_t i = nmap_hash32(key, m->key_size) & (m->cap - 1);
    for (uint32_t probes = 0; probes < m->cap; probes++, i = (i + 1) & (m->cap - 1)) {
        uint8_t *s = m->slots + (size_t)i * slot_size;
        if (!m->used[i] || memcmp(s, key, m->key_size) == 0) {
            m->used[i] = 1;
            memcpy(s, key, m->key_size);
            memcpy(s + m->key_size, val, m->value_size);
            return 0;
        }
    }
    return -ENOSPC;
}

/* LPM key: u32 prefix length, then the address bytes (network order). */
static void *nmap_lpm_lookup(struct nmap *m, const void *key)
{
    const uint8_t *k = key;
    uint32_t plen;
    memcpy(&plen, k, 4);
    const uint8_t *addr = k + 4;
    uint32_t bits = (m->key_size - 4) * 8;
    if (plen > bits)
        plen = bits;
    int32_t n = 0;
    void *best = m->nodes[0].has_value ? m->lpm_values : NULL;
    for (uint32_t b = 0; b < plen; b++) {
        int bit = (addr[b >> 3] >> (7 - (b & 7))) & 1;
        n = m->nodes[n].child[bit];
        if (n < 0)
            break;
        if (m->nodes[n].has_value)
            best = m->lpm_values + (size_t)n * 16;
    }
    return best;
}

static int nmap_lpm_insert(struct nmap *m, const uint8_t *key, uint32_t value)
{
    uint32_t plen;
    memcpy(&plen, key, 4);
    int32_t n = 0;
    for (uint32_t b = 0; b < plen; b++) {
        int bit = (key[4 + (b >> 3)] >> (7 - (b & 7))) & 1;
        if (m->nodes[n].child[bit] < 0) {
            if (m->nnodes == m->node_cap)
                return -ENOSPC;
            int32_t c = (int32_t)m->nnodes++;
            m->nodes[c].child[0] = m->nodes[c].child[1] = -1;
            m->nodes[n].child[bit] = c;
        }
        n = m->nodes[n].child[bit];
    }
    m->nodes[n].has_value = 1;
    m->nodes[n].value = value;
    memcpy(m->lpm_values + (size_t)n * 16, &value, 4);
    return 0;
}

void *nmap_lookup(struct nmap *m, const void *key)
{
    switch (m->type) {
    case NMAP_ARRAY: {
        uint32_t k;
        memcpy(&k, key, 4);
        return k < m->max_entries ? m->values + (size_t)k * m->value_size : NULL;
    }
    case NMAP_HASH:
        return nmap_hash_lookup(m, key);
    case NMAP_LPM:
        return nmap_lpm_lookup(m, key);
    }
    return NULL;
}

uint64_t nmap_csum_diff(const uint32_t *from, uint32_t from_size, const uint32_t *to,
                        uint32_t to_size, uint32_t seed)
{
    uint64_t sum = seed;
    for (uint32_t i = 0; i < from_size / 4; i++)
        sum += (uint32_t)~from[i];
    for (uint32_t i = 0; i < to_size / 4; i++)
        sum += to[i];
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    return (uint32_t)sum;
}

static int nmap_alloc_entries(struct nmap *m, uint32_t n)
{
    m->ekeys = calloc(n, m->key_size);
    m->evals = calloc(n, m->value_size);
    return m->ekeys && m->evals ? 0 : -ENOMEM;
}

static void nmap_add_entry(struct nmap *m, const void *key, const void *val)
{
    memcpy(m->ekeys + (size_t)m->nentries * m->key_size, key, m->key_size);
    memcpy(m->evals + (size_t)m->nentries * m->value_size, val, m->value_size);
    m->nentries++;
}

/* Array: one slot, the counter with id 7. */
static int nmaps_build_array(struct nmap *m)
{
    *m = (struct nmap){.type = NMAP_ARRAY, .key_size = 4, .value_size = 16, .max_entries = 1};
    m->values = calloc(1, 16);
    if (!m->values || nmap_alloc_entries(m, 1))
        return -ENOMEM;
    struct nmap_counter c = {0, 7};
    uint32_t k = 0;
    memcpy(m->values, &c, sizeof(c));
    nmap_add_entry(m, &k, &c);
    return 0;
}

/* Hash: 1000 source addresses 10.0.x.y, id = index. */
static int nmaps_build_hash(struct nmap *m)
{
    *m = (struct nmap){.type = NMAP_HASH, .key_size = 4, .value_size = 16, .max_entries = 1024,
                       .cap = 2048};
    m->slots = calloc(m->cap, 20);
    m->used = calloc(m->cap, 1);
    if (!m->slots || !m->used || nmap_alloc_entries(m, 1000))
        return -ENOMEM;
    for (uint32_t i = 1; i <= 1000; i++) {
        uint8_t key[4] = {10, 0, (uint8_t)(i >> 8), (uint8_t)i};
        struct nmap_counter c = {0, i};
        if (nmap_hash_insert(m, key, &c))
            return -ENOSPC;
        nmap_add_entry(m, key, &c);
    }
    return 0;
}

/* LPM: 192.168.0.0/16 -> 1, 192.168.1.0/24 -> 2, 192.168.1.16/28 -> 3, and 300 fillers. */
static int nmaps_build_lpm(struct nmap *m)
{
    *m = (struct nmap){.type = NMAP_LPM, .key_size = 8, .value_size = 4, .max_entries = 1024,
                       .node_cap = 16384};
    m->nodes = calloc(m->node_cap, sizeof(*m->nodes));
    m->lpm_values = calloc(m->node_cap, 16);
    if (!m->nodes || !m->lpm_values || nmap_alloc_entries(m, 303))
        return -ENOMEM;
    m->nnodes = 1;
    m->nodes[0].child[0] = m->nodes[0].child[1] = -1;
    uint32_t seed = 12345;
    for (uint32_t i = 0; i < 303; i++) {
        uint8_t key[8] = {0};
        uint32_t plen, value;
        if (i < 3) {
            static const uint8_t fixed[3][5] = {
                {16, 192, 168, 0, 0}, {24, 192, 168, 1, 0}, {28, 192, 168, 1, 16}};
            plen = fixed[i][0];
            memcpy(key + 4, fixed[i] + 1, 4);
            value = i + 1;
        } else {
            seed = seed * 1103515245u + 12345u;
            plen = 8 + (seed >> 16) % 17;
            key[4] = (uint8_t)(11 + (seed >> 8) % 180); /* never 192 */
            seed = seed * 1103515245u + 12345u;
            key[5] = (uint8_t)(seed >> 16);
            key[6] = (uint8_t)(seed >> 8);
            for (uint32_t b = plen; b < 32; b++)
                key[4 + (b >> 3)] &= (uint8_t)~(0x80u >> (b & 7));
            value = 100 + i;
        }
        memcpy(key, &plen, 4);
        if (nmap_lpm_insert(m, key, value))
            return -ENOSPC;
        nmap_add_entry(m, key, &value);
    }
    return 0;
}

int nmaps_init(void)
{
    if (nmaps_ready)
        return 0;
    if (nmaps_build_array(&bench_nmaps[BENCH_MAP_ARRAY]) ||
        nmaps_build_hash(&bench_nmaps[BENCH_MAP_HASH]) ||
        nmaps_build_lpm(&bench_nmaps[BENCH_MAP_LPM]))
        return -ENOMEM;
    nmaps_ready = 1;
    return 0;
}
