/* progtype/packet.h - the packet of a test run as the context setup (xdp.c, skb.c) builds it
 * and the packet helpers (src/helpers/packet_*.c) change it: bpfvm's native context layouts
 * for struct xdp_md and struct __sk_buff, and the run's packet state.
 *
 * The state lives right after the native context, outside the bytes the run hands to the
 * program (bpfvm_exec_opts.ctx_size), so even an unverified, checked program cannot forge the
 * buffer bounds or packet pointers that helpers trust.  The context's data/data_end/
 * data_meta slots and skb->len are copies that helpers refresh (progtype_pkt_sync).  A magic
 * word inside the context tells contexts the setup built (with a state behind them) from
 * ones an embedder or a test made itself, before anything past the context is read. */
#ifndef BPFVM_PROGTYPE_PACKET_H
#define BPFVM_PROGTYPE_PACKET_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bpfvm/vm.h"

#define PT_ETH_HLEN 14

/* struct xdp_md: three 8-byte packet pointers, then the 32-bit scalars */
#define PT_XDP_DATA 0
#define PT_XDP_DATA_END 8
#define PT_XDP_DATA_META 16
#define PT_XDP_MAGIC 36 /* the padding after egress_ifindex */
#define PT_XDP_NATIVE_SIZE 40
/* the kernel's test run: one 4096-byte page per frame, data at XDP_PACKET_HEADROOM (256), the
 * frame's struct xdp_frame (40 bytes) at its start, SKB_DATA_ALIGN(struct skb_shared_info)
 * (320 bytes) reserved at its end */
#define PT_XDP_FRAME_SIZE 4096
#define PT_XDP_FRAME_HDR 40
#define PT_XDP_TAILROOM 320

/* struct __sk_buff: scalars at their UAPI offsets, packet pointers after the 192 bytes */
#define PT_SKB_LEN 0
#define PT_SKB_PROTOCOL 16 /* the ethertype, network order, in the low 16 bits */
#define PT_SKB_HASH 68
#define PT_SKB_GSO_SEGS 164
#define PT_SKB_GSO_SIZE 176
#define PT_SKB_DATA 192
#define PT_SKB_DATA_END 200
#define PT_SKB_DATA_META 208
#define PT_SKB_MAGIC 216
#define PT_SKB_NATIVE_SIZE 224
/* the kernel's SKB_MAX_ALLOC (16 KiB less struct skb_shared_info): the longest packet the skb
 * resize helpers make (measured on 6.18: the test run's skb has no device to take an MTU from) */
#define PT_SKB_MAX_LEN 16064
/* past PT_SKB_MAX_LEN: adjust_room may show up to its 0xfff-byte maximum from past the end */
#define PT_SKB_TAILSLACK 4096
/* The kernel's test-run skb has 64 bytes of headroom; pushes of up to 65 bytes measure as
 * fitting.  A push past it reallocates the head, which on 6.18 turns the unset transport
 * header into a set one pointing at the old head (offset: the push less this room); from
 * then on bpf_skb_change_tail's minimum length is that offset, not the network header's. */
#define PT_SKB_KERNEL_ROOM 65

#define PT_PKT_MAGIC 0x31544b50u /* "PKT1": a context with a packet state behind it */

/* The packet of one run.  XDP: [head, end) is the frame, end excluding the reserved tailroom;
 * skb: [head, end) the buffer.  meta <= data <= data_end always. */
struct progtype_pkt {
    uint8_t *head, *end;
    uint8_t *meta, *data, *data_end;
    uint8_t *mac, *net;     /* skb: the MAC and network headers */
    uint32_t native_size;   /* where the state sits: right after this many context bytes */
    bool xdp;
    bool l2;                /* skb: data starts at the MAC header (tc) */
    bool encap;             /* skb: adjust_room added an outer L3 header (a second: -EALREADY) */
    /* skb, what the kernel's skb would have: its headroom (a push past it reallocates) and
     * the transport header's offset from data, once set (progtype_skb_setup explains) */
    int64_t kroom, trans_off;
    bool trans_set;
};

/* The state of the context `ctx` built for a run of `opts` (NULL when `ctx` is not the run's
 * context or the run has none: a raw program, an embedder's own context). */
static inline struct progtype_pkt *progtype_pkt_of(const struct bpfvm_exec_opts *opts,
                                                   uint64_t ctx, uint32_t native_size,
                                                   uint32_t magic_off)
{
    uint32_t magic;
    if (!ctx || (uintptr_t)opts->ctx != ctx || opts->ctx_size != native_size)
        return NULL;
    memcpy(&magic, (const uint8_t *)opts->ctx + magic_off, 4);
    if (magic != PT_PKT_MAGIC)
        return NULL;
    struct progtype_pkt *p = (struct progtype_pkt *)((uint8_t *)opts->ctx + native_size);
    return p->native_size == native_size ? p : NULL;
}

/* Copy the packet pointers (and skb->len) into the context and point the run's checked-mode
 * windows at the packet: XDP runs may access the whole frame, skb runs the packet only. */
static inline void progtype_pkt_sync(struct progtype_pkt *p, struct bpfvm_exec_opts *opts)
{
    uint8_t *ctx = (uint8_t *)opts->ctx;
    uint64_t data = (uintptr_t)p->data, end = (uintptr_t)p->data_end, meta = (uintptr_t)p->meta;
    if (p->xdp) {
        memcpy(ctx + PT_XDP_DATA, &data, 8);
        memcpy(ctx + PT_XDP_DATA_END, &end, 8);
        memcpy(ctx + PT_XDP_DATA_META, &meta, 8);
        return;
    }
    uint32_t len = (uint32_t)(p->data_end - p->data);
    memcpy(ctx + PT_SKB_LEN, &len, 4);
    memcpy(ctx + PT_SKB_DATA, &data, 8);
    memcpy(ctx + PT_SKB_DATA_END, &end, 8);
    memcpy(ctx + PT_SKB_DATA_META, &meta, 8);
    opts->mem = p->data;
    opts->mem_size = len;
    opts->pkt = p->data;
    opts->pkt_size = len;
}

#endif
