/* x86_csum.c - bpf_csum_diff compiled in line when both sizes are constants: the ones'-
 * complement sums of `to` (with the seed) and `from` as add/adc chains over 8-byte words,
 * folded to 32 bits, then `to - from` and the fold to 16 bits of helpers/csum.c.
 *
 * An add/adc chain ending in `adc 0` is the end-around-carry sum of its words modulo
 * 2^64 - 1, and 0 only when every word is 0.  2^32 - 1 divides 2^64 - 1, so folding it to
 * 32 bits gives exactly the helper's 32-bit partial sum (which is also 0 only then). */
#include <stdbool.h>

#include "jit/x86_emit.h"

/* acc32 = the 32-bit partial sum of [base, base + size) (little-endian words) started from
 * the value acc holds (below 2^32). */
static void csum_chain(struct x86_buf *b, int acc, int base, uint32_t size)
{
    bool first = true;
    uint32_t i = 0;
    for (; i + 8 <= size; i += 8, first = false) /* add/adc acc, [base + i] */
        x_op_mem(b, 1, 0, first ? 0x03 : 0x13, acc, base, (int32_t)i, 0);
    for (uint32_t part = 4; part; part >>= 1) {
        if (i + part > size)
            continue;
        if (part == 4)
            x_op_mem(b, 0, 0, 0x8b, R10, base, (int32_t)i, 0);          /* mov r10d, [..] */
        else
            x_op0f_mem(b, 0, part == 2 ? 0xb7 : 0xb6, R10, base, (int32_t)i); /* movzx */
        x_op_rr(b, 1, first ? 0x01 : 0x11, acc, R10); /* add/adc acc, r10 */
        i += part;
        first = false;
    }
    if (!first) /* adc acc, 0: the last carry (an add that carries leaves at most 2^64 - 2) */
        x_alu_ri(b, 1, 2, acc, 0);
    /* fold to 32 bits: acc32 = lo + hi with end-around carry */
    x_mov_rr(b, 1, R10, acc);
    x_shift_ri(b, 1, 5, R10, 32);
    x_op_rr(b, 0, 0x01, acc, R10);
    x_alu_ri(b, 0, 2, acc, 0);
}

void x86_emit_csum_diff(struct x86_buf *b, uint32_t from_size, uint32_t to_size)
{
    x_mov_rr(b, 0, RAX, R8); /* the seed, 32 bits */
    csum_chain(b, RAX, RDX, to_size);
    if (from_size) {
        x_op_rr(b, 0, 0x31, R11, R11); /* xor r11d, r11d */
        csum_chain(b, R11, RDI, from_size);
        x_grp3(b, 0, 2, R11);          /* not r11d */
        x_op_rr(b, 0, 0x01, RAX, R11); /* add eax, r11d */
    } else {
        x_alu_ri(b, 0, 0, RAX, -1);    /* add eax, ~0 (the complement of an empty sum) */
    }
    x_alu_ri(b, 0, 2, RAX, 0);         /* adc eax, 0 */
    for (int k = 0; k < 2; k++) {      /* fold to 16 bits */
        x_mov_rr(b, 0, R10, RAX);
        x_shift_ri(b, 0, 5, R10, 16);
        x_op0f_rr(b, 0, 0xb7, RAX, RAX, 0); /* movzx eax, ax */
        x_op_rr(b, 0, 0x01, RAX, R10);
    }
}
