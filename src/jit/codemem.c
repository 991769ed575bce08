/* codemem.c - executable memory for JIT code: mapped read-write, filled, then switched to
 * read-execute with mprotect, so no page is ever writable and executable at once. */
#include <sys/mman.h>
#include <unistd.h>

#include "jit/jit.h"

void *jit_mem_alloc(size_t size, size_t *mapped)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    size_t len = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *mapped = len;
    return p;
}

int jit_mem_seal(void *mem, size_t mapped)
{
    return mprotect(mem, mapped, PROT_READ | PROT_EXEC) ? -1 : 0;
}

void jit_mem_free(void *mem, size_t mapped)
{
    if (mem)
        munmap(mem, mapped);
}
