/* grow.h - the one growable-array step every emitter, table and list in bpfvm uses. */
#ifndef BPFVM_CORE_GROW_H
#define BPFVM_CORE_GROW_H

#include <stddef.h>

/* Make room for element n of the array *p (capacity *cap elements of elem bytes): when
 * n == *cap, double the capacity (first when empty).  0, or -ENOMEM leaving *p intact. */
int core_grow(void **p, size_t *cap, size_t n, size_t elem, size_t first);

#endif
