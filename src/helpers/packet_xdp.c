/* helpers/packet_xdp.c - the XDP packet helpers: bpf_xdp_adjust_head/meta/tail move the
 * packet's start, metadata start and end inside the frame with the limits of Linux 6.18's test
 * run (progtype/packet.h), bpf_xdp_load_bytes/store_bytes copy from and to the packet, and
 * bpf_redirect gives XDP_REDIRECT (and TC_ACT_REDIRECT to tc programs).
 * Every helper works on the run's packet state, never on pointers the program could write. */
#include "helpers/helpers.h"

#include <errno.h>
#include <string.h>

#include "progtype/packet.h"

#define XDP_ABORTED 0
#define XDP_REDIRECT 4
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7
#define BPF_F_INGRESS 1
#define XDP_META_MAX 255 /* the kernel's limit: skb_shared_info.meta_len is a u8 */
#define XDP_BYTES_MAX 0xffff

/* The XDP packet whose context is r1, or NULL (not this run's XDP context). */
static struct progtype_pkt *helper_xdp_pkt(struct bpfvm_exec *ex, uint64_t ctx)
{
    struct progtype_pkt *p = progtype_pkt_of(ex->opts, ctx, PT_XDP_NATIVE_SIZE, PT_XDP_MAGIC);
    return p && p->xdp ? p : NULL;
}

/* bpf_xdp_adjust_head(ctx, int delta): data += delta, the metadata moving with it.  The packet
 * keeps at least an Ethernet header; data (and the metadata before it) may not reach into
 * the frame's struct xdp_frame.  0 or -EINVAL. */
HELPER_DECL(helper_xdp_adjust_head)
{
    (void)r3, (void)r4, (void)r5;
    struct progtype_pkt *p = helper_xdp_pkt(ex, r1);
    if (!p)
        return (uint64_t)-EINVAL;
    int64_t delta = (int32_t)r2;
    uintptr_t head = (uintptr_t)p->head, data = (uintptr_t)p->data;
    size_t metalen = (size_t)(p->data - p->meta);
    intptr_t to = (intptr_t)(data - head) + delta; /* the new data offset in the frame */
    if (to < (intptr_t)(PT_XDP_FRAME_HDR + metalen) ||
        to > (intptr_t)(p->data_end - p->head) - PT_ETH_HLEN)
        return (uint64_t)-EINVAL;
    if (metalen)
        memmove(p->head + to - metalen, p->meta, metalen);
    p->data = p->head + to;
    p->meta = p->data - metalen;
    progtype_pkt_sync(p, ex->opts);
    return 0;
}

/* bpf_xdp_adjust_meta(ctx, int delta): data_meta += delta.  -EINVAL when it would leave
 * [end of struct xdp_frame, data]; -EACCES when the metadata would not be a multiple of 4
 * bytes or longer than 255. */
HELPER_DECL(helper_xdp_adjust_meta)
{
    (void)r3, (void)r4, (void)r5;
    struct progtype_pkt *p = helper_xdp_pkt(ex, r1);
    if (!p)
        return (uint64_t)-EINVAL;
    int64_t delta = (int32_t)r2;
    intptr_t to = (intptr_t)(p->meta - p->head) + delta;
    if (to < PT_XDP_FRAME_HDR || to > (intptr_t)(p->data - p->head))
        return (uint64_t)-EINVAL;
    size_t metalen = (size_t)((p->data - p->head) - to);
    if ((metalen & 3) || metalen > XDP_META_MAX)
        return (uint64_t)-EACCES;
    p->meta = p->head + to;
    progtype_pkt_sync(p, ex->opts);
    return 0;
}

/* bpf_xdp_adjust_tail(ctx, int delta): data_end += delta.  Growing is limited by the frame's
 * tailroom (the new bytes are zeroed), shrinking by the Ethernet header.  0 or -EINVAL. */
HELPER_DECL(helper_xdp_adjust_tail)
{
    (void)r3, (void)r4, (void)r5;
    struct progtype_pkt *p = helper_xdp_pkt(ex, r1);
    if (!p)
        return (uint64_t)-EINVAL;
    int64_t delta = (int32_t)r2;
    intptr_t to = (intptr_t)(p->data_end - p->head) + delta;
    if (to > (intptr_t)(p->end - p->head) || to < (intptr_t)(p->data - p->head) + PT_ETH_HLEN)
        return (uint64_t)-EINVAL;
    if (delta > 0)
        memset(p->data_end, 0, (size_t)delta);
    p->data_end = p->head + to;
    progtype_pkt_sync(p, ex->opts);
    return 0;
}

/* The packet bytes [offset, offset + len) for xdp_load_bytes/store_bytes: -EFAULT for an
 * offset or length past 0xffff, -EINVAL past the end of the packet. */
static int64_t helper_xdp_bytes(struct progtype_pkt *p, uint32_t offset, uint32_t len,
                                uint8_t **at)
{
    if (offset > XDP_BYTES_MAX || len > XDP_BYTES_MAX)
        return -EFAULT;
    if ((uint64_t)offset + len > (uint64_t)(p->data_end - p->data))
        return -EINVAL;
    *at = p->data + offset;
    return 0;
}

/* bpf_xdp_load_bytes(ctx, offset, buf, len): copy packet bytes to buf (left alone on error). */
HELPER_DECL(helper_xdp_load_bytes)
{
    (void)r5;
    struct progtype_pkt *p = helper_xdp_pkt(ex, r1);
    uint32_t len = (uint32_t)r4;
    if (!p)
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r3, len, true) || (len && !r3))
        return (uint64_t)-EFAULT;
    uint8_t *at = NULL;
    int64_t rc = helper_xdp_bytes(p, (uint32_t)r2, len, &at);
    if (!rc && len)
        memmove((void *)(uintptr_t)r3, at, len);
    return (uint64_t)rc;
}

/* bpf_xdp_store_bytes(ctx, offset, buf, len): copy buf into the packet. */
HELPER_DECL(helper_xdp_store_bytes)
{
    (void)r5;
    struct progtype_pkt *p = helper_xdp_pkt(ex, r1);
    uint32_t len = (uint32_t)r4;
    if (!p)
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r3, len, false) || (len && !r3))
        return (uint64_t)-EFAULT;
    uint8_t *at = NULL;
    int64_t rc = helper_xdp_bytes(p, (uint32_t)r2, len, &at);
    if (!rc && len)
        memmove(at, (const void *)(uintptr_t)r3, len);
    return (uint64_t)rc;
}

/* bpf_redirect(ifindex, flags).  XDP: XDP_REDIRECT, or XDP_ABORTED for any flag; tc (and raw
 * programs): TC_ACT_REDIRECT, or TC_ACT_SHOT for a flag other than BPF_F_INGRESS.  bpfvm has
 * no devices: like the kernel's test run, the verdict is only the program's return value. */
HELPER_DECL(helper_redirect)
{
    (void)r1, (void)r3, (void)r4, (void)r5;
    if (ex->prog->type == BPFVM_PROG_TYPE_XDP)
        return r2 ? XDP_ABORTED : XDP_REDIRECT;
    return (r2 & ~(uint64_t)BPF_F_INGRESS) ? TC_ACT_SHOT : TC_ACT_REDIRECT;
}
