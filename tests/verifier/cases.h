/* cases.h - hand-written verifier test programs (kernel assembly syntax), each with its
 * program type, maps, expected verdict and, for rejections, a piece of bpfvm's message. */
#ifndef VERIFIER_CASES_H
#define VERIFIER_CASES_H
#include <stdint.h>

struct vcase_map {
    uint32_t type, key, value, max; /* kernel BPF_MAP_TYPE_* numbering */
    uint32_t lock;  /* 1 + offset of a struct bpf_spin_lock in the value (0: none); BTF made */
    uint32_t inner; /* map-in-map: 1 + index of the case map that is the inner template */
};

struct vcase {
    const char *name;
    uint32_t prog_type;   /* 1 socket filter, 3 sched_cls, 6 xdp */
    char verdict;         /* 'A' accepted, 'R' rejected */
    const char *msg;      /* substring of bpfvm's reason (rejections), or NULL */
    const char *text;
    struct vcase_map maps[4];
    int unpriv;           /* bpfvm only: the kernel here refuses unprivileged bpf() */
    const char *note;     /* a deliberate difference from the kernel (verdict checked against bpfvm's) */
};

extern const struct vcase vcases[];
extern const int vcase_count;
#endif
