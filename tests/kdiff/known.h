/* known.h - classification of mismatches caused by known kernel-oracle bugs (see
 * docs/kernel-oracle.md): each check reruns a variant of the program that sidesteps one
 * kernel bug without changing its meaning under RFC 9669. */
#ifndef KDIFF_KNOWN_H
#define KDIFF_KNOWN_H

#include "bpfvm/vm.h"
#include "gen.h"

/* The name of the known kernel bug that explains the mismatch of body over pkt, or NULL
 * (also NULL when the program agrees). */
const char *kdiff_known_bug(struct bpfvm_vm *vm, enum kdiff_ptype type,
                            const struct bpfvm_insn *body, size_t body_cnt, const uint8_t *pkt,
                            uint32_t pkt_len, enum bpfvm_engine engine);

/* Copy body to out inserting `w0 = w0` after every 32-bit cmpxchg, fixing jump and call
 * offsets.  Returns the new count, or 0 when it would not fit in `cap`. */
size_t kdiff_zext_cmpxchg32(const struct bpfvm_insn *body, size_t cnt, struct bpfvm_insn *out,
                            size_t cap);

#endif
