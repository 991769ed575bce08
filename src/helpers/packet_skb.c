/* helpers/packet_skb.c - the __sk_buff packet helpers as Linux 6.18 runs them in a test run
 * (a linear skb, ip_summed = CHECKSUM_NONE): bpf_skb_load_bytes(_relative), bpf_skb_store_bytes,
 * bpf_l3_csum_replace, bpf_l4_csum_replace and bpf_skb_pull_data.  Offsets count from
 * skb->data: the Ethernet header for tc, the network header for socket filters.  Every helper
 * works on the run's packet state (progtype/packet.h), never on pointers the program could
 * write. */
#include "helpers/helpers.h"

#include <errno.h>
#include <string.h>

#include "progtype/packet.h"

#define SKB_F_RECOMPUTE_CSUM 0x1ull
#define SKB_F_INVALIDATE_HASH 0x2ull
#define SKB_F_HDR_FIELD_MASK 0xfull
#define SKB_F_PSEUDO_HDR 0x10ull
#define SKB_F_MARK_MANGLED_0 0x20ull
#define SKB_F_MARK_ENFORCE 0x40ull
#define SKB_F_IPV6 0x80ull
#define SKB_CSUM_MANGLED_0 0xffff
#define SKB_HDR_START_MAC 0
#define SKB_HDR_START_NET 1
#define SKB_OFFSET_MAX 0x7fffffffu /* INT_MAX */

struct progtype_pkt *helper_skb_pkt(struct bpfvm_exec *ex, uint64_t ctx)
{
    struct progtype_pkt *p = progtype_pkt_of(ex->opts, ctx, PT_SKB_NATIVE_SIZE, PT_SKB_MAGIC);
    return p && !p->xdp ? p : NULL;
}

uint32_t helper_skb_len(const struct progtype_pkt *p)
{
    return (uint32_t)(p->data_end - p->data);
}

/* bpf_skb_load_bytes(skb, offset, to, len): 0, or -EFAULT with `to` zeroed when the bytes
 * are not all in the packet. */
HELPER_DECL(helper_skb_load_bytes)
{
    (void)r5;
    struct progtype_pkt *p = helper_skb_pkt(ex, r1);
    uint32_t offset = (uint32_t)r2, len = (uint32_t)r4;
    uint8_t *to = (uint8_t *)(uintptr_t)r3;
    if (!helpers_mem_ok(ex, r3, len, true) || (len && !to))
        return (uint64_t)-EFAULT;
    if (!p)
        return (uint64_t)-EINVAL;
    if (offset > SKB_OFFSET_MAX || (uint64_t)offset + len > helper_skb_len(p)) {
        memset(to, 0, len);
        return (uint64_t)-EFAULT;
    }
    memmove(to, p->data + offset, len);
    return 0;
}

/* bpf_skb_load_bytes_relative(skb, offset, to, len, start_header): offset from the MAC
 * (BPF_HDR_START_MAC) or network header (BPF_HDR_START_NET); the bytes must end inside the
 * packet.  0, or -EFAULT with `to` zeroed. */
HELPER_DECL(helper_skb_load_bytes_relative)
{
    struct progtype_pkt *p = helper_skb_pkt(ex, r1);
    uint32_t offset = (uint32_t)r2, len = (uint32_t)r4, start_header = (uint32_t)r5;
    uint8_t *to = (uint8_t *)(uintptr_t)r3;
    if (!helpers_mem_ok(ex, r3, len, true) || (len && !to))
        return (uint64_t)-EFAULT;
    if (!p)
        return (uint64_t)-EINVAL;
    const uint8_t *start = start_header == SKB_HDR_START_MAC   ? p->mac
                           : start_header == SKB_HDR_START_NET ? p->net
                                                               : NULL;
    if (offset > 0xffff || !start ||
        (uint64_t)(start - p->head) + offset + len > (uint64_t)(p->data_end - p->head)) {
        memset(to, 0, len);
        return (uint64_t)-EFAULT;
    }
    memmove(to, start + offset, len);
    return 0;
}

/* bpf_skb_store_bytes(skb, offset, from, len, flags): flags BPF_F_RECOMPUTE_CSUM (no
 * checksum to update: test-run skbs are CHECKSUM_NONE) and BPF_F_INVALIDATE_HASH (clears
 * skb->hash); others -EINVAL; bytes past the packet -EFAULT. */
HELPER_DECL(helper_skb_store_bytes)
{
    struct progtype_pkt *p = helper_skb_pkt(ex, r1);
    uint32_t offset = (uint32_t)r2, len = (uint32_t)r4;
    if (!helpers_mem_ok(ex, r3, len, false) || (len && !r3))
        return (uint64_t)-EFAULT;
    if (!p)
        return (uint64_t)-EINVAL;
    if (r5 & ~(SKB_F_RECOMPUTE_CSUM | SKB_F_INVALIDATE_HASH))
        return (uint64_t)-EINVAL;
    if (offset > SKB_OFFSET_MAX || (uint64_t)offset + len > helper_skb_len(p))
        return (uint64_t)-EFAULT;
    memmove(p->data + offset, (const void *)(uintptr_t)r3, len);
    if (r5 & SKB_F_INVALIDATE_HASH)
        memset((uint8_t *)ex->opts->ctx + PT_SKB_HASH, 0, 4);
    return 0;
}

/* ---- ones'-complement arithmetic on raw (network order) 16/32-bit values, step for step
 * as the kernel's csum_add/csum_fold/csum16_add do it, so that 0 and 0xffff come out the same */

static uint32_t helper_csum_add(uint32_t a, uint32_t b)
{
    uint32_t s = a + b;
    return s + (s < b);
}

static uint16_t helper_csum_fold(uint32_t s)
{
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint16_t helper_csum16_add(uint16_t a, uint16_t b)
{
    uint16_t s = (uint16_t)(a + b);
    return (uint16_t)(s + (s < b));
}

/* csum_replace_by_diff: fold the 32-bit difference into the field */
static uint16_t helper_csum_by_diff(uint16_t sum, uint32_t diff)
{
    return helper_csum_fold(helper_csum_add(diff, ~(uint32_t)sum));
}

/* csum_replace4: the field covered `from`, now covers `to` */
static uint16_t helper_csum_replace4(uint16_t sum, uint32_t from, uint32_t to)
{
    uint32_t t = helper_csum_add(~(uint32_t)sum, ~from);
    return helper_csum_fold(helper_csum_add(t, to));
}

/* csum_replace2, the 16-bit form (l3 only; l4 widens to csum_replace4) */
static uint16_t helper_csum_replace2(uint16_t sum, uint16_t from, uint16_t to)
{
    uint16_t t = helper_csum16_add((uint16_t)~sum, (uint16_t)~from);
    return (uint16_t)~helper_csum16_add(t, to);
}

/* The 2-byte checksum field at offset for l3/l4_csum_replace: -EFAULT for an odd offset, one
 * past 0xffff or past the packet. */
static uint8_t *helper_csum_field(struct progtype_pkt *p, uint32_t offset)
{
    if (offset > 0xffff || (offset & 1) || (uint64_t)offset + 2 > helper_skb_len(p))
        return NULL;
    return p->data + offset;
}

/* Update checksum *sum for a changed field of `size` bytes (flags' low 4 bits): 2 or 4
 * (from/to its old and new value; l4 widens 16-bit values to csum_replace4 as the kernel's
 * inet_proto_csum_replace2 does), or 0 (`to` a csum_diff result, `from` must be 0).  0 or
 * -EINVAL. */
static int helper_csum_update(uint16_t *sum, uint64_t size, uint64_t from, uint64_t to, bool l4)
{
    switch (size) {
    case 0:
        if (from)
            return -EINVAL;
        *sum = helper_csum_by_diff(*sum, (uint32_t)to);
        return 0;
    case 2:
        *sum = l4 ? helper_csum_replace4(*sum, (uint16_t)from, (uint16_t)to)
                  : helper_csum_replace2(*sum, (uint16_t)from, (uint16_t)to);
        return 0;
    case 4:
        *sum = helper_csum_replace4(*sum, (uint32_t)from, (uint32_t)to);
        return 0;
    default:
        return -EINVAL;
    }
}

/* bpf_l3_csum_replace(skb, offset, from, to, flags): flags are the field's size (see
 * helper_csum_update).  0, -EINVAL (flags, size), -EFAULT (offset). */
HELPER_DECL(helper_l3_csum_replace)
{
    struct progtype_pkt *p = helper_skb_pkt(ex, r1);
    if (!p || (r5 & ~SKB_F_HDR_FIELD_MASK))
        return (uint64_t)-EINVAL;
    uint8_t *field = helper_csum_field(p, (uint32_t)r2);
    if (!field)
        return (uint64_t)-EFAULT;
    uint16_t sum;
    memcpy(&sum, field, 2);
    int rc = helper_csum_update(&sum, r5 & SKB_F_HDR_FIELD_MASK, r3, r4, false);
    if (!rc)
        memcpy(field, &sum, 2);
    return (uint64_t)(int64_t)rc;
}

/* bpf_l4_csum_replace(skb, offset, from, to, flags): as l3, plus BPF_F_PSEUDO_HDR and
 * BPF_F_IPV6 (they only matter for CHECKSUM_PARTIAL/COMPLETE skbs, which a test run never
 * has), BPF_F_MARK_MANGLED_0 (a zero field stays zero, a result of zero becomes 0xffff: UDP)
 * and BPF_F_MARK_ENFORCE (update a zero field too). */
HELPER_DECL(helper_l4_csum_replace)
{
    struct progtype_pkt *p = helper_skb_pkt(ex, r1);
    uint64_t known = SKB_F_MARK_MANGLED_0 | SKB_F_MARK_ENFORCE | SKB_F_PSEUDO_HDR |
                     SKB_F_HDR_FIELD_MASK | SKB_F_IPV6;
    if (!p || (r5 & ~known))
        return (uint64_t)-EINVAL;
    uint8_t *field = helper_csum_field(p, (uint32_t)r2);
    if (!field)
        return (uint64_t)-EFAULT;
    bool mangled0 = (r5 & SKB_F_MARK_MANGLED_0) != 0;
    uint16_t sum;
    memcpy(&sum, field, 2);
    if (mangled0 && !(r5 & SKB_F_MARK_ENFORCE) && !sum)
        return 0;
    int rc = helper_csum_update(&sum, r5 & SKB_F_HDR_FIELD_MASK, r3, r4, true);
    if (rc)
        return (uint64_t)(int64_t)rc;
    if (mangled0 && !sum)
        sum = SKB_CSUM_MANGLED_0;
    memcpy(field, &sum, 2);
    return 0;
}

/* bpf_skb_pull_data(skb, len): make the first len bytes (0: all of the linear part) directly
 * accessible.  bpfvm's packets are always linear: 0, or -ENOMEM past the packet's end. */
HELPER_DECL(helper_skb_pull_data)
{
    (void)r3, (void)r4, (void)r5;
    struct progtype_pkt *p = helper_skb_pkt(ex, r1);
    if (!p)
        return (uint64_t)-EINVAL;
    if ((uint32_t)r2 > helper_skb_len(p))
        return (uint64_t)-ENOMEM;
    progtype_pkt_sync(p, ex->opts);
    return 0;
}
