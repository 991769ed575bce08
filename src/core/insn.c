/* insn.c - conversion between little-endian instruction bytes and struct bpfvm_insn. */
#include <errno.h>

#include "isa/isa.h"

long bpfvm_insns_from_bytes(const void *bytes, size_t len, struct bpfvm_insn *out)
{
    if (len % 8)
        return -EINVAL;
    const uint8_t *b = bytes;
    for (size_t i = 0; i < len / 8; i++)
        out[i] = isa_decode(b + 8 * i);
    return (long)(len / 8);
}

void bpfvm_insns_to_bytes(const struct bpfvm_insn *insns, size_t cnt, void *out)
{
    uint8_t *b = out;
    for (size_t i = 0; i < cnt; i++)
        isa_encode(&insns[i], b + 8 * i);
}
