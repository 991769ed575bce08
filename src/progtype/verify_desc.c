/* verify_desc.c - the verifier's view of each program type (struct bpfvm_ctx_desc), made
 * from the same progtype entry the loader and the test runs use: context fields with their
 * access rights, LD_ABS, packet writes and the legal return values.  Which helpers a type
 * may call is a column of the helper table (helpers/table.c), not a list here. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpfvm/verifier.h"
#include "progtype/progtype.h"

#define PT_MAX_TYPES 64

static struct bpfvm_ctx_desc descs[PT_MAX_TYPES];
static bool desc_ok[PT_MAX_TYPES];
static pthread_once_t descs_once = PTHREAD_ONCE_INIT;

/* bpfvm's raw programs: no context fields, every helper */
static const struct bpfvm_ctx_desc raw_desc = {"raw", 0, NULL, 0, false, false, false, 0, 0, NULL, 0};

static void descs_build(void)
{
    for (int t = 1; t < PT_MAX_TYPES; t++) {
        const struct progtype *pt = progtype_get((enum bpfvm_prog_type)t);
        if (!pt)
            continue;
        struct bpfvm_ctx_field *f = calloc(pt->nfields ? pt->nfields : 1, sizeof(*f));
        if (!f)
            continue; /* the type then stays unknown to the verifier: its programs run checked */
        for (size_t i = 0; i < pt->nfields; i++) {
            const struct progtype_field *s = &pt->fields[i];
            f[i] = (struct bpfvm_ctx_field){
                .off = s->off, .size = s->size, .kind = s->kind,
                .readable = (s->access & PT_READ) != 0, .writable = (s->access & PT_WRITE) != 0,
                .narrow = s->narrow,
            };
        }
        descs[t] = (struct bpfvm_ctx_desc){
            .name = pt->name, .size = pt->ctx_size, .fields = f, .nfields = pt->nfields,
            .ld_abs = pt->ld_abs, .pkt_write = pt->direct_packet_access,
            .ret_check = pt->ret_min != INT64_MIN || pt->ret_max != INT64_MAX,
            .ret_min = pt->ret_min, .ret_max = pt->ret_max,
        };
        desc_ok[t] = true;
    }
}

const struct bpfvm_ctx_desc *bpfvm_verify_ctx_desc(uint32_t prog_type)
{
    if (prog_type == BPFVM_PROG_TYPE_UNSPEC)
        return &raw_desc;
    if (prog_type >= PT_MAX_TYPES)
        return NULL;
    pthread_once(&descs_once, descs_build);
    return desc_ok[prog_type] ? &descs[prog_type] : NULL;
}

int bpfvm_verify_type_from_name(const char *name)
{
    if (name && !strcasecmp(name, "skf"))
        return BPFVM_PROG_TYPE_SOCKET_FILTER;
    return bpfvm_prog_type_from_name(name);
}
