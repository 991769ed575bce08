/* maps/jhash.h - Bob Jenkins' lookup3 hash ("jhash"), the hash the kernel's BLOOM_FILTER uses.
 * Written from the public-domain algorithm description. */
#ifndef BPFVM_MAPS_JHASH_H
#define BPFVM_MAPS_JHASH_H

#include <stddef.h>
#include <stdint.h>

/* lookup3's hashlittle over `len` bytes read as little-endian 32-bit words: the kernel's jhash
 * on x86-64/arm64.  For len a multiple of 4 it equals the kernel's word-wise jhash2 there
 * (same seed, same lanes, same tail). */
uint32_t map_jhash(const void *data, size_t len, uint32_t initval);

#endif
