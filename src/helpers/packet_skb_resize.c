/* helpers/packet_skb_resize.c - the __sk_buff helpers that change a packet's size, with the
 * rules Linux 6.18 applies to a test run's skb (linear, no device, CHECKSUM_NONE):
 * bpf_skb_change_tail, bpf_skb_change_head and bpf_skb_adjust_room.  tc programs only (the
 * kernel offers them to no other type bpfvm runs); the packet starts at the MAC header.
 *
 * The run's buffer (progtype/skb.c) holds PT_SKB_MAX_LEN bytes past its headroom, so every
 * size the kernel accepts fits; when one end runs out of room the packet moves inside the
 * buffer, as pskb_expand_head would reallocate it.  Every write is checked against the
 * buffer, whatever the arguments. */
#include "helpers/helpers.h"

#include <errno.h>
#include <string.h>

#include "progtype/packet.h"

#define SKB_ENOTSUPP 524 /* the kernel's internal ENOTSUPP, which these helpers return */
#define SKB_ETH_P_IP 0x0800
#define SKB_ETH_P_IPV6 0x86dd
#define SKB_IPV4_HLEN 20 /* bpf_skb_net_base_len: the fixed headers, options not counted */
#define SKB_IPV6_HLEN 40
#define SKB_ADJ_DIFF_MAX 0xfff

/* bpf_skb_adjust_room modes and flags (UAPI) */
#define ADJ_ROOM_NET 0
#define ADJ_ROOM_MAC 1
#define ADJ_F_FIXED_GSO 0x1ull
#define ADJ_F_ENCAP_L3_IPV4 0x2ull
#define ADJ_F_ENCAP_L3_IPV6 0x4ull
#define ADJ_F_ENCAP_L4_GRE 0x8ull
#define ADJ_F_ENCAP_L4_UDP 0x10ull
#define ADJ_F_NO_CSUM_RESET 0x20ull
#define ADJ_F_ENCAP_L2_ETH 0x40ull
#define ADJ_F_DECAP_L3_IPV4 0x80ull
#define ADJ_F_DECAP_L3_IPV6 0x100ull
#define ADJ_F_ENCAP_L2_SHIFT 56 /* BPF_F_ADJ_ROOM_ENCAP_L2(len): the inner MAC length */
#define ADJ_F_ENCAP_L3 (ADJ_F_ENCAP_L3_IPV4 | ADJ_F_ENCAP_L3_IPV6)
#define ADJ_F_ENCAP_L4 (ADJ_F_ENCAP_L4_GRE | ADJ_F_ENCAP_L4_UDP)
#define ADJ_F_DECAP_L3 (ADJ_F_DECAP_L3_IPV4 | ADJ_F_DECAP_L3_IPV6)
#define ADJ_F_KNOWN (0x1ffull | 0xffull << ADJ_F_ENCAP_L2_SHIFT)
#define ADJ_F_SHRINK (ADJ_F_FIXED_GSO | ADJ_F_DECAP_L3 | ADJ_F_NO_CSUM_RESET)

/* The tc packet whose context is r1, or NULL. */
static struct progtype_pkt *resize_pkt(struct bpfvm_exec *ex, uint64_t ctx)
{
    struct progtype_pkt *p = helper_skb_pkt(ex, ctx);
    return p && p->l2 ? p : NULL;
}

static uint8_t *resize_ctx(struct bpfvm_exec *ex) { return (uint8_t *)ex->opts->ctx; }

static uint32_t resize_get32(const uint8_t *ctx, uint32_t off)
{
    uint32_t v;
    memcpy(&v, ctx + off, 4);
    return v;
}

/* skb->protocol as a host-order ethertype (the context holds it in network order) */
static uint16_t resize_proto(const uint8_t *ctx)
{
    return (uint16_t)(ctx[PT_SKB_PROTOCOL] << 8 | ctx[PT_SKB_PROTOCOL + 1]);
}

static void resize_set_proto(uint8_t *ctx, uint16_t ethertype)
{
    ctx[PT_SKB_PROTOCOL] = (uint8_t)(ethertype >> 8);
    ctx[PT_SKB_PROTOCOL + 1] = (uint8_t)ethertype;
}

/* skb_is_gso: a test run's skb is GSO when ctx_in gave it a gso_size */
static bool resize_gso(const uint8_t *ctx) { return resize_get32(ctx, PT_SKB_GSO_SIZE) != 0; }

/* Make sure `head` bytes before the packet and `tail` bytes after it are inside the buffer,
 * moving the packet (and its header marks) to the buffer's start when they are not.  The
 * bytes past the end are not kept, as the kernel's reallocation does not keep them.  false
 * when the buffer cannot hold that much. */
static bool resize_room(struct progtype_pkt *p, size_t head, size_t tail)
{
    size_t len = helper_skb_len(p), cap = (size_t)(p->end - p->head);
    if ((size_t)(p->data - p->head) >= head && (size_t)(p->end - p->data_end) >= tail)
        return true;
    if (head > cap || tail > cap - head || len > cap - head - tail)
        return false;
    uint8_t *to = p->head + head;
    ptrdiff_t shift = to - p->data;
    memmove(to, p->data, len);
    p->meta += shift;
    p->data += shift;
    p->data_end += shift;
    p->mac += shift;
    p->net += shift;
    return true;
}

/* The kernel's skb after `n` bytes were pushed before data (n < 0: pulled): its headroom,
 * and its transport header (set by the reallocation of a push past the headroom, see
 * PT_SKB_KERNEL_ROOM; a transport header equal to the network header follows it). */
static void resize_account(struct progtype_pkt *p, int64_t n)
{
    bool same = p->trans_set && p->trans_off == (int64_t)(p->net - p->data);
    if (!p->trans_set && n > p->kroom) {
        p->trans_set = true;
        p->trans_off = n - p->kroom;
        p->kroom = 0;
        return;
    }
    p->kroom -= n;
    if (p->trans_set && !same)
        p->trans_off += n;
}

/* bpf_skb_change_tail(skb, len, flags): the packet becomes len bytes long, new bytes zero.
 * -EINVAL for flags, a length past PT_SKB_MAX_LEN or shorter than the headers up to the
 * transport header (when set and after data) or the network header; then -ENOTSUPP for an encapsulated skb
 * (adjust_room added an outer header).  A GSO skb loses its gso_segs. */
HELPER_DECL(helper_skb_change_tail)
{
    (void)r4, (void)r5;
    struct progtype_pkt *p = resize_pkt(ex, r1);
    uint32_t new_len = (uint32_t)r2, len;
    if (!p)
        return (uint64_t)-EINVAL;
    /* measured: a transport header at or before data counts as none */
    uint32_t min_len = (uint32_t)(p->trans_set && p->trans_off > 0 ? p->trans_off
                                                                    : p->net - p->data);
    if (r3 || new_len > PT_SKB_MAX_LEN || new_len < min_len)
        return (uint64_t)-EINVAL;
    if (p->encap)
        return (uint64_t)-SKB_ENOTSUPP;
    len = helper_skb_len(p);
    if (new_len > len) {
        if (!resize_room(p, 0, new_len - len))
            return (uint64_t)-ENOMEM;
        memset(p->data_end, 0, new_len - len);
    }
    p->data_end = p->data + new_len;
    uint8_t *ctx = resize_ctx(ex);
    if (resize_gso(ctx))
        memset(ctx + PT_SKB_GSO_SEGS, 0, 4);
    progtype_pkt_sync(p, ex->opts);
    return 0;
}

/* bpf_skb_change_head(skb, head_room, flags): head_room zero bytes before the packet, which
 * become its MAC header (the network header stays where it was).  -EINVAL for flags or a
 * length past PT_SKB_MAX_LEN (the kernel lets GSO skbs grow further; bpfvm's buffer does not
 * hold more: -ENOMEM). */
HELPER_DECL(helper_skb_change_head)
{
    (void)r4, (void)r5;
    struct progtype_pkt *p = resize_pkt(ex, r1);
    if (!p || r3)
        return (uint64_t)-EINVAL;
    uint32_t room = (uint32_t)r2, len = helper_skb_len(p);
    uint64_t new_len = (uint64_t)len + room;
    if (new_len > UINT32_MAX)
        return (uint64_t)-EINVAL;
    if (new_len > PT_SKB_MAX_LEN)
        return (uint64_t)(resize_gso(resize_ctx(ex)) ? -ENOMEM : -EINVAL);
    if (!resize_room(p, room, 0))
        return (uint64_t)-ENOMEM;
    resize_account(p, room);
    p->data -= room;
    p->meta = p->data;
    memset(p->data, 0, room);
    p->mac = p->data;
    progtype_pkt_sync(p, ex->opts);
    return 0;
}

/* Insert `diff` zero bytes at `off` from the packet's start (the bytes before move to the
 * front; the headers keep their offsets).  `off` may pass the end after change_tail
 * shortened the packet: the kernel then moves bytes from past the end into the packet, and
 * so does bpfvm (those the packet's new length shows), from the buffer's stale tail. */
static int resize_push(struct progtype_pkt *p, uint32_t off, uint32_t diff)
{
    uint32_t len = helper_skb_len(p), new_len = len + diff;
    uint32_t copy = off < new_len ? off : new_len;
    if (!resize_room(p, diff, copy > len ? copy - len : 0))
        return -ENOMEM;
    resize_account(p, diff);
    uint8_t *to = p->data - diff;
    memmove(to, p->data, copy);
    if (off < new_len)
        memset(to + off, 0, new_len - off < diff ? new_len - off : diff);
    p->data = p->meta = to;
    p->mac -= diff;
    p->net -= diff;
    return 0;
}

/* Remove `diff` bytes at `off` (the bytes before move back). */
static int resize_pop(struct progtype_pkt *p, uint32_t off, uint32_t diff)
{
    if ((uint64_t)off + diff > helper_skb_len(p))
        return -ENOMEM;
    resize_account(p, -(int64_t)diff);
    memmove(p->data + diff, p->data, off);
    p->data += diff;
    p->meta = p->data;
    p->mac += diff;
    p->net += diff;
    return 0;
}

/* Growing for adjust_room: the checks of an encapsulation (ENCAP_L3 flags), the push, and
 * the new outer protocol. */
static int resize_grow(struct progtype_pkt *p, uint8_t *ctx, uint32_t off, uint32_t diff,
                       uint64_t flags)
{
    uint32_t inner_mac = (uint32_t)(flags >> ADJ_F_ENCAP_L2_SHIFT);
    bool encap = (flags & ADJ_F_ENCAP_L3) != 0;
    if (resize_gso(ctx))
        return -SKB_ENOTSUPP;
    if (encap) {
        if ((flags & ADJ_F_ENCAP_L3) == ADJ_F_ENCAP_L3 || (flags & ADJ_F_ENCAP_L4) == ADJ_F_ENCAP_L4 ||
            ((flags & ADJ_F_ENCAP_L2_ETH) && inner_mac < PT_ETH_HLEN))
            return -EINVAL;
        if (p->encap)
            return -EALREADY;
        if (inner_mac > diff)
            return -EINVAL;
    }
    int rc = resize_push(p, off, diff);
    if (rc || !encap)
        return rc;
    p->encap = true;
    if (flags & ADJ_F_ENCAP_L4) { /* the outer L4 header follows the outer L3 header */
        p->trans_set = true;
        p->trans_off = (p->net - p->mac) +
                       ((flags & ADJ_F_ENCAP_L3_IPV4) ? SKB_IPV4_HLEN : SKB_IPV6_HLEN);
    }
    if (resize_proto(ctx) == SKB_ETH_P_IP && (flags & ADJ_F_ENCAP_L3_IPV6))
        resize_set_proto(ctx, SKB_ETH_P_IPV6);
    else if (resize_proto(ctx) == SKB_ETH_P_IPV6 && (flags & ADJ_F_ENCAP_L3_IPV4))
        resize_set_proto(ctx, SKB_ETH_P_IP);
    return 0;
}

/* Shrinking for adjust_room: only FIXED_GSO, DECAP_L3 and NO_CSUM_RESET; a DECAP flag names
 * the protocol left outside. */
static int resize_shrink(struct progtype_pkt *p, uint8_t *ctx, uint32_t off, uint32_t diff,
                         uint64_t flags)
{
    if (flags & ~ADJ_F_SHRINK)
        return -EINVAL;
    if (resize_gso(ctx))
        return -SKB_ENOTSUPP;
    int rc = resize_pop(p, off, diff);
    if (rc)
        return rc;
    if (resize_proto(ctx) == SKB_ETH_P_IP && (flags & ADJ_F_DECAP_L3_IPV6))
        resize_set_proto(ctx, SKB_ETH_P_IPV6);
    else if (resize_proto(ctx) == SKB_ETH_P_IPV6 && (flags & ADJ_F_DECAP_L3_IPV4))
        resize_set_proto(ctx, SKB_ETH_P_IP);
    return 0;
}

/* bpf_skb_adjust_room(skb, s32 len_diff, mode, flags): grow or shrink the packet by
 * len_diff bytes after the MAC header (BPF_ADJ_ROOM_MAC) or after the network header's fixed
 * part (BPF_ADJ_ROOM_NET).  In the kernel's order: -EINVAL for unknown flags, -EFAULT for
 * |len_diff| > 0xfff, -ENOTSUPP for a protocol other than IPv4/IPv6 or an unknown mode,
 * -EINVAL for DECAP flags when growing (or both), -ENOTSUPP when the packet would exceed
 * PT_SKB_MAX_LEN or keep less than the network header after it, then the grow or shrink
 * rules above. */
HELPER_DECL(helper_skb_adjust_room)
{
    struct progtype_pkt *p = resize_pkt(ex, r1);
    int32_t diff = (int32_t)r2;
    uint32_t mode = (uint32_t)r3;
    uint64_t flags = r4;
    (void)r5;
    if (!p || (flags & ~ADJ_F_KNOWN))
        return (uint64_t)-EINVAL;
    uint32_t abs_diff = diff < 0 ? (uint32_t)-(int64_t)diff : (uint32_t)diff;
    bool shrink = diff < 0;
    if (abs_diff > SKB_ADJ_DIFF_MAX)
        return (uint64_t)-EFAULT;
    uint8_t *ctx = resize_ctx(ex);
    uint16_t proto = resize_proto(ctx);
    if (proto != SKB_ETH_P_IP && proto != SKB_ETH_P_IPV6)
        return (uint64_t)-SKB_ENOTSUPP;
    uint32_t base = proto == SKB_ETH_P_IP ? SKB_IPV4_HLEN : SKB_IPV6_HLEN, len_min = base;
    uint32_t net_off = (uint32_t)(p->net - p->data), off = (uint32_t)(p->net - p->mac);
    if (mode == ADJ_ROOM_NET)
        off += base;
    else if (mode != ADJ_ROOM_MAC)
        return (uint64_t)-SKB_ENOTSUPP;
    if (flags & ADJ_F_DECAP_L3) {
        if (!shrink || (flags & ADJ_F_DECAP_L3) == ADJ_F_DECAP_L3)
            return (uint64_t)-EINVAL;
        len_min = (flags & ADJ_F_DECAP_L3_IPV4) ? SKB_IPV4_HLEN : SKB_IPV6_HLEN;
    }
    uint32_t len = helper_skb_len(p), len_cur = len - net_off; /* u32, as the kernel's */
    if (shrink ? abs_diff >= len_cur || len_cur - abs_diff < len_min
               : len + abs_diff > PT_SKB_MAX_LEN && !resize_gso(ctx))
        return (uint64_t)-SKB_ENOTSUPP;
    int rc = shrink ? resize_shrink(p, ctx, off, abs_diff, flags)
                    : resize_grow(p, ctx, off, abs_diff, flags);
    progtype_pkt_sync(p, ex->opts);
    return (uint64_t)(int64_t)rc;
}
