/* kc_side.h - one execution environment for the kernel comparison: the running kernel
 * (through libbpf, kc_kernel.c) or bpfvm (kc_vm.c).  Both open the same BPF object, run its
 * programs with BPF_PROG_TEST_RUN semantics, fill program arrays and map-in-maps from the
 * host, and dump maps into kc_list snapshots (kc_list.c) that the driver compares. */
#ifndef KC_SIDE_H
#define KC_SIDE_H

#include <stddef.h>
#include <stdint.h>

/* A list of byte strings: map entries (key ++ value), queue contents, ring buffer records. */
struct kc_item {
    uint8_t *bytes;
    size_t len;
};
struct kc_list {
    struct kc_item *v;
    size_t n, cap;
};
void kc_list_add(struct kc_list *l, const void *a, size_t alen, const void *b, size_t blen);
void kc_list_sort(struct kc_list *l);
void kc_list_free(struct kc_list *l);
/* Flatten a list into one item of another list, after a prefix (map-in-map: key ++ inner). */
void kc_list_add_nested(struct kc_list *l, const void *key, size_t klen, const struct kc_list *in);
/* 0 when equal; else 1 and a one-line description of the first difference in msg. */
int kc_list_diff(const struct kc_list *a, const struct kc_list *b, char *msg, size_t len);

/* Map types (the kernel's numbers). */
enum {
    KC_HASH = 1, KC_ARRAY = 2, KC_PROG_ARRAY = 3, KC_PERF_EVENT_ARRAY = 4, KC_PERCPU_HASH = 5,
    KC_PERCPU_ARRAY = 6, KC_LRU_HASH = 9, KC_LRU_PERCPU_HASH = 10, KC_LPM_TRIE = 11,
    KC_ARRAY_OF_MAPS = 12, KC_HASH_OF_MAPS = 13, KC_DEVMAP = 14, KC_CPUMAP = 16, KC_XSKMAP = 17, KC_QUEUE = 22, KC_STACK = 23, KC_RINGBUF = 27,
    KC_BLOOM_FILTER = 30,
};

/* A map on one side, with the few primitive operations the snapshot needs. */
struct kc_map;
struct kc_map_ops {
    int (*next_key)(struct kc_map *m, const void *key, void *next); /* key NULL: first */
    int (*lookup)(struct kc_map *m, const void *key, void *val);    /* value_buf bytes */
    int (*lookup_flags)(struct kc_map *m, const void *key, void *val, uint64_t flags);
    int (*pop)(struct kc_map *m, void *val);
    int (*inner)(struct kc_map *m, const void *key, struct kc_map *out); /* map-in-map */
    void (*put)(struct kc_map *m);                                      /* release an inner */
    /* host writes (setup code), returning 0 or -errno like bpf(2) */
    int (*update)(struct kc_map *m, const void *key, const void *val, uint64_t flags);
    int (*del)(struct kc_map *m, const void *key);
};
struct kc_map {
    const struct kc_map_ops *ops;
    void *h;             /* the side's handle */
    long fd;             /* kernel side */
    uint32_t type, key_size, value_size;
    size_t value_buf;    /* bytes a lookup writes (per-CPU: every CPU) */
    uint32_t cpu_slot;   /* which per-CPU copy the test runs used */
    int lpm_raw;         /* LPM_TRIE: keep the key bits past the prefix length */
};
/* Snapshot a map: sorted (key ++ value) entries; per-CPU maps: the run's slot only; program
 * arrays: the keys that hold a program; map-in-maps: key ++ the inner map's snapshot;
 * queues/stacks: their elements in pop order (they are emptied); bloom filters, which cannot
 * be iterated: the peek result of each of KC_BLOOM_PROBES fixed values (kc_list.c). */
int kc_snapshot(struct kc_map *m, struct kc_list *out, char *err, size_t errlen);

struct kc_obj;
/* The context of a test run: ctx_in and where ctx_out goes. */
struct kc_ctx {
    const void *in;
    uint32_t in_len;
    void *out;
    uint32_t out_len; /* in: capacity, out: ctx_size_out */
};
struct kc_side {
    const char *name;
    /* only: load just this program (NULL: all of them) */
    int (*open)(const char *path, const char *only, struct kc_obj **out, char *err, size_t errlen);
    void (*close)(struct kc_obj *o);
    /* BPF_PROG_TEST_RUN once; out_len in: capacity, out: data_size_out.  ctx: ctx_in (NULL:
     * none) and ctx_out (NULL: none; ctx_out_len in: capacity, out: ctx_size_out) */
    int (*run)(struct kc_obj *o, const char *prog, const void *in, uint32_t in_len, void *out,
               uint32_t *out_len, struct kc_ctx *ctx, uint64_t *retval, char *err,
               size_t errlen);
    int (*map_cnt)(struct kc_obj *o);
    const char *(*map_name)(struct kc_obj *o, int i);
    int (*map)(struct kc_obj *o, const char *name, struct kc_map *out);
    int (*prog_array_set)(struct kc_obj *o, const char *map, uint32_t key, const char *prog);
    /* Create an ARRAY (4 x u32 -> u32) holding vals and store it in outer at key. */
    int (*inner_add)(struct kc_obj *o, const char *outer, uint32_t key, const uint32_t vals[4]);
    /* Consume what a RINGBUF or PERF_EVENT_ARRAY holds (records / samples, in order). */
    int (*drain)(struct kc_obj *o, const char *map, struct kc_list *out);
};

extern const struct kc_side kc_kernel_side;
extern const struct kc_side kc_vm_side;
/* The kernel side: 0 when bpf() works here, else -errno and a reason. */
int kc_kernel_probe(char *why, size_t len);
/* The CPU the process is pinned to (kernel test runs execute there). */
extern int kc_cpu;

#endif
