/* grow.c - doubling growth for the arrays bpfvm builds element by element. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/grow.h"

int core_grow(void **p, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : first;
    if (c < *cap || c > SIZE_MAX / elem)
        return -ENOMEM;
    void *q = realloc(*p, c * elem);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}
