/* nmaps.h - plain C maps (array, hash, longest-prefix match) and csum_diff: the native side of
 * the map and helper rows, also handed to DPDK as external functions.  The same entries fill
 * the kernel's maps so every engine looks up the same data. */
#ifndef BENCH_NMAPS_H
#define BENCH_NMAPS_H

#include <stddef.h>
#include <stdint.h>

enum nmap_type { NMAP_ARRAY, NMAP_HASH, NMAP_LPM };

/* Counter maps hold this value; the programs bump count and return id. */
struct nmap_counter {
    uint64_t count;
    uint64_t id;
};

struct nmap_lpm_node {
    int32_t child[2];
    int32_t has_value;
    uint32_t value; /* the LPM rows' value is 4 bytes; kept 16-byte readable below */
};

struct nmap {
    enum nmap_type type;
    uint32_t key_size, value_size, max_entries;
    /* array */
    uint8_t *values;
    /* hash: open addressing, `cap` slots of key + value */
    uint32_t cap;
    uint8_t *slots;
    uint8_t *used;
    /* lpm: binary trie over the address bits */
    struct nmap_lpm_node *nodes;
    uint32_t nnodes, node_cap;
    uint8_t *lpm_values; /* 16 bytes per node, value in the first 4 */
    /* the entries, for filling the kernel's copy */
    uint32_t nentries;
    uint8_t *ekeys, *evals;
};

#define BENCH_MAP_ARRAY 0
#define BENCH_MAP_HASH 1
#define BENCH_MAP_LPM 2
#define BENCH_NMAPS 3

extern struct nmap bench_nmaps[BENCH_NMAPS];

/* Build the three maps (idempotent). 0 or -ENOMEM. */
int nmaps_init(void);

void *nmap_lookup(struct nmap *m, const void *key);

/* The kernel's bpf_csum_diff: ones'-complement sum of ~from and to (32-bit words) plus seed,
 * as a 32-bit partial sum. */
uint64_t nmap_csum_diff(const uint32_t *from, uint32_t from_size, const uint32_t *to,
                        uint32_t to_size, uint32_t seed);

#endif
