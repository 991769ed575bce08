/* xdp.c - the struct xdp_md context.  bpfvm keeps the three packet pointers as 8-byte
 * slots first, then the 32-bit scalars; the run's packet state (progtype/packet.h) follows.
 * Like the kernel's test run, the frame is a 4096-byte page with data at 256 bytes
 * (XDP_PACKET_HEADROOM; metadata from ctx_in sits just before it) and the end of the page
 * reserved, so bpf_xdp_adjust_head/meta/tail have the kernel's limits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm_internal.h"
#include "progtype/packet.h"
#include "progtype/progtype.h"

#define XDP_UAPI_SIZE 24
#define XDP_NATIVE_SIZE PT_XDP_NATIVE_SIZE

static const struct progtype_field xdp_fields[] = {
    {"data", 0, 4, PT_READ, PT_FIELD_PKT, false, 0},
    {"data_end", 4, 4, PT_READ, PT_FIELD_PKT_END, false, 8},
    {"data_meta", 8, 4, PT_READ, PT_FIELD_PKT_META, false, 16},
    {"ingress_ifindex", 12, 4, PT_READ, PT_FIELD_SCALAR, false, 24},
    {"rx_queue_index", 16, 4, PT_READ, PT_FIELD_SCALAR, false, 28},
    /* egress_ifindex (20) is only for devmap programs (expected_attach_type BPF_XDP_DEVMAP) */
};

struct xdp_native {
    uint64_t data, data_end, data_meta;
    uint32_t ingress_ifindex, rx_queue_index, egress_ifindex;
    uint32_t magic; /* PT_PKT_MAGIC: the packet state follows (progtype/packet.h) */
};

/* The kernel's rules for ctx_in: data_meta 0; data (the metadata length) <= data_end <= the
 * data size, as offsets into data_in; no egress ifindex; an rx queue needs an ifindex.  The
 * default device is loopback (ifindex 1). */
static int xdp_setup(const struct progtype *pt, struct bpfvm_test_run_opts *o,
                     struct progtype_run *r)
{
    if (o->data_size_in < 14)
        return vm_errorf(o->errbuf, o->errbuf_len, EINVAL,
                         "xdp test run: data_in has %u bytes, less than an Ethernet header (14)",
                         o->data_size_in);
    uint32_t in[6] = {0, o->data_size_in, 0, 0, 0, 0};
    if (o->ctx_in) {
        if (o->ctx_size_in > XDP_UAPI_SIZE)
            return vm_errorf(o->errbuf, o->errbuf_len, EINVAL,
                             "ctx_in has %u bytes, more than struct xdp_md (24)", o->ctx_size_in);
        memset(in, 0, sizeof(in));
        memcpy(in, o->ctx_in, o->ctx_size_in);
        if (in[2] || in[5] || in[0] > in[1] || in[1] > o->data_size_in || (!in[3] && in[4]))
            return vm_errorf(o->errbuf, o->errbuf_len, EINVAL,
                             "ctx_in: struct xdp_md needs data_meta = 0, data <= data_end <= %u, "
                             "egress_ifindex = 0 and an ingress_ifindex for rx_queue_index",
                             o->data_size_in);
    }
    /* the kernel's page, or more for inputs it would split into fragments (bpfvm keeps
     * them linear) */
    r->buf_size = PT_XDP_FRAME_SIZE;
    if ((size_t)PT_HEADROOM + o->data_size_in + PT_XDP_TAILROOM > r->buf_size)
        r->buf_size = (size_t)PT_HEADROOM + o->data_size_in + PT_XDP_TAILROOM;
    r->ctx_size = XDP_NATIVE_SIZE;
    r->buf = calloc(1, r->buf_size);
    r->ctx = calloc(1, r->ctx_size + sizeof(struct progtype_pkt));
    if (!r->buf || !r->ctx)
        return vm_errorf(o->errbuf, o->errbuf_len, ENOMEM, "out of memory");
    uint8_t *meta = r->buf + PT_HEADROOM - in[0];
    memcpy(meta, o->data_in, o->data_size_in);
    r->data = meta;
    r->len = o->data_size_in;
    struct xdp_native n = {(uintptr_t)(meta + in[0]), (uintptr_t)(meta + in[1]), (uintptr_t)meta,
                           in[3] ? in[3] : 1, in[4], 0, PT_PKT_MAGIC};
    memcpy(r->ctx, &n, sizeof(n));
    struct progtype_pkt *p = (struct progtype_pkt *)(r->ctx + r->ctx_size);
    p->head = r->buf;
    p->end = r->buf + r->buf_size - PT_XDP_TAILROOM;
    p->meta = meta;
    p->data = meta + in[0];
    p->data_end = meta + in[1];
    p->native_size = XDP_NATIVE_SIZE;
    p->xdp = true;
    /* the whole buffer: helpers like xdp_adjust_head move data inside it */
    r->exec.mem = r->buf;
    r->exec.mem_size = r->buf_size;
    r->exec.mem_writable = true;
    return 0;
}

static int xdp_finish(const struct progtype *pt, struct bpfvm_test_run_opts *o,
                      struct progtype_run *r)
{
    /* the helpers' record of the packet, not the context's copies (a checked program
     * may have written those) */
    const struct progtype_pkt *p = (const struct progtype_pkt *)(r->ctx + r->ctx_size);
    uint8_t *meta = p->meta, *data = p->data, *end = p->data_end;
    uint32_t in[6] = {0, o->data_size_in, 0, 0, 0, 0};
    if (o->ctx_in) {
        memset(in, 0, sizeof(in));
        memcpy(in, o->ctx_in, o->ctx_size_in < sizeof(in) ? o->ctx_size_in : sizeof(in));
    }
    uint32_t in_end = in[1];
    bool moved = meta != r->data || end != r->data + in_end;
    uint32_t len = moved ? (uint32_t)(end - meta) : o->data_size_in;
    int rc = progtype_data_out(o, meta, len);
    if (rc)
        return rc;
    if (o->ctx_out) {
        uint32_t out[6] = {(uint32_t)(data - meta), (uint32_t)(end - meta), 0, 0, 0, 0};
        out[3] = in[3];
        out[4] = in[4];
        memcpy(o->ctx_out, out, o->ctx_size_out < XDP_UAPI_SIZE ? o->ctx_size_out : XDP_UAPI_SIZE);
        o->ctx_size_out = XDP_UAPI_SIZE;
    }
    return 0;
}

const struct progtype progtype_xdp = {
    BPFVM_PROG_TYPE_XDP, "xdp", XDP_UAPI_SIZE, XDP_NATIVE_SIZE, xdp_fields,
    sizeof(xdp_fields) / sizeof(xdp_fields[0]), INT64_MIN, INT64_MAX, true, false, true,
    xdp_setup, xdp_finish,
};
