/* data_out.c - the output packet of a typed test run: how much of it reaches data_out, and
 * Linux's -ENOSPC when the caller's buffer is smaller (the copied part, the full length and
 * retval are still reported; ctx_out is not written). */
#include <errno.h>
#include <string.h>

#include "core/vm_internal.h"
#include "progtype/progtype.h"

int progtype_data_out(struct bpfvm_test_run_opts *o, const uint8_t *data, uint32_t len)
{
    uint32_t cap = o->data_size_out;
    if (o->data_out && cap)
        memcpy(o->data_out, data, cap < len ? cap : len);
    o->data_size_out = len;
    if (cap && cap < len)
        return vm_errorf(o->errbuf, o->errbuf_len, ENOSPC,
                         "data_out: the packet has %u bytes, data_size_out only %u", len, cap);
    return 0;
}
