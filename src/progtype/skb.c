/* skb.c - the struct __sk_buff context: socket filters, tc classifiers and actions,
 * cgroup skb programs.  bpfvm's context keeps every scalar at its UAPI offset and adds 8-byte
 * slots for the packet pointers after the 192-byte UAPI struct and a magic word; the run's
 * packet state (progtype/packet.h) follows.  The packet helpers keep skb->len and the pointers in step. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm_internal.h"
#include "progtype/packet.h"
#include "progtype/progtype.h"

#define SKB_UAPI_SIZE 192
#define SKB_NATIVE_DATA PT_SKB_DATA
#define SKB_NATIVE_DATA_END PT_SKB_DATA_END
#define SKB_NATIVE_DATA_META PT_SKB_DATA_META
#define SKB_NATIVE_SIZE PT_SKB_NATIVE_SIZE
#define ETH_HLEN PT_ETH_HLEN

#define R PT_READ
#define RW (PT_READ | PT_WRITE)
#define S PT_FIELD_SCALAR
/* name, off, size, access, kind, narrow, native_off */
#define F(name, off, size, acc, kind, narrow, native) {name, off, size, acc, kind, narrow, native}

/* tc classifier/action: the fields tc_cls_act_is_valid_access allows */
static const struct progtype_field tc_fields[] = {
    F("len", 0, 4, R, S, true, 0),
    F("pkt_type", 4, 4, R, S, true, 4),
    F("mark", 8, 4, RW, S, true, 8),
    F("queue_mapping", 12, 4, RW, S, true, 12),
    F("protocol", 16, 4, R, S, true, 16),
    F("vlan_present", 20, 4, R, S, true, 20),
    F("vlan_tci", 24, 4, R, S, true, 24),
    F("vlan_proto", 28, 4, R, S, true, 28),
    F("priority", 32, 4, RW, S, true, 32),
    F("ingress_ifindex", 36, 4, R, S, true, 36),
    F("ifindex", 40, 4, R, S, true, 40),
    F("tc_index", 44, 4, RW, S, true, 44),
    F("cb", 48, 20, RW, S, true, 48), /* a buffer: any aligned access of up to 8 bytes */
    F("hash", 68, 4, R, S, true, 68),
    F("tc_classid", 72, 4, RW, S, true, 72),
    F("data", 76, 4, R, PT_FIELD_PKT, false, SKB_NATIVE_DATA),
    F("data_end", 80, 4, R, PT_FIELD_PKT_END, false, SKB_NATIVE_DATA_END),
    F("napi_id", 84, 4, R, S, true, 84),
    F("data_meta", 140, 4, R, PT_FIELD_PKT_META, false, SKB_NATIVE_DATA_META),
    F("tstamp", 152, 8, RW, S, false, 152),
    F("wire_len", 160, 4, R, S, true, 160),
    F("gso_segs", 164, 4, R, S, true, 164),
    F("gso_size", 176, 4, R, S, true, 176),
    F("tstamp_type", 180, 1, R, S, false, 180),
    F("hwtstamp", 184, 8, R, S, false, 184),
};

/* socket filters and cgroup skb programs: no direct packet access, only cb[] is writable */
static const struct progtype_field sock_fields[] = {
    F("len", 0, 4, R, S, true, 0),
    F("pkt_type", 4, 4, R, S, true, 4),
    F("mark", 8, 4, R, S, true, 8),
    F("queue_mapping", 12, 4, R, S, true, 12),
    F("protocol", 16, 4, R, S, true, 16),
    F("vlan_present", 20, 4, R, S, true, 20),
    F("vlan_tci", 24, 4, R, S, true, 24),
    F("vlan_proto", 28, 4, R, S, true, 28),
    F("priority", 32, 4, R, S, true, 32),
    F("ingress_ifindex", 36, 4, R, S, true, 36),
    F("ifindex", 40, 4, R, S, true, 40),
    F("tc_index", 44, 4, R, S, true, 44),
    F("cb", 48, 20, RW, S, true, 48), /* a buffer: any aligned access of up to 8 bytes */
    F("hash", 68, 4, R, S, true, 68),
    F("napi_id", 84, 4, R, S, true, 84),
    F("gso_segs", 164, 4, R, S, true, 164),
    F("gso_size", 176, 4, R, S, true, 176),
};

/* cgroup skb programs (cgroup_skb_is_valid_access, CAP_BPF): packet reads, the socket's
 * addresses and ports, mark/priority/tstamp writable.  bpfvm's test runs have no socket:
 * those fields read 0. */
static const struct progtype_field cgroup_fields[] = {
    F("len", 0, 4, R, S, true, 0),
    F("pkt_type", 4, 4, R, S, true, 4),
    F("mark", 8, 4, RW, S, true, 8),
    F("queue_mapping", 12, 4, R, S, true, 12),
    F("protocol", 16, 4, R, S, true, 16),
    F("vlan_present", 20, 4, R, S, true, 20),
    F("vlan_tci", 24, 4, R, S, true, 24),
    F("vlan_proto", 28, 4, R, S, true, 28),
    F("priority", 32, 4, RW, S, true, 32),
    F("ingress_ifindex", 36, 4, R, S, true, 36),
    F("ifindex", 40, 4, R, S, true, 40),
    F("tc_index", 44, 4, R, S, true, 44),
    F("cb", 48, 20, RW, S, true, 48),
    F("hash", 68, 4, R, S, true, 68),
    F("data", 76, 4, R, PT_FIELD_PKT, false, SKB_NATIVE_DATA),
    F("data_end", 80, 4, R, PT_FIELD_PKT_END, false, SKB_NATIVE_DATA_END),
    F("napi_id", 84, 4, R, S, true, 84),
    F("family", 88, 4, R, S, true, 88),
    F("remote_ip4", 92, 4, R, S, false, 92),
    F("local_ip4", 96, 4, R, S, false, 96),
    F("remote_ip6[0]", 100, 4, R, S, false, 100),
    F("remote_ip6[1]", 104, 4, R, S, false, 104),
    F("remote_ip6[2]", 108, 4, R, S, false, 108),
    F("remote_ip6[3]", 112, 4, R, S, false, 112),
    F("local_ip6[0]", 116, 4, R, S, false, 116),
    F("local_ip6[1]", 120, 4, R, S, false, 120),
    F("local_ip6[2]", 124, 4, R, S, false, 124),
    F("local_ip6[3]", 128, 4, R, S, false, 128),
    F("remote_port", 132, 4, R, S, true, 132),
    F("local_port", 136, 4, R, S, true, 136),
    F("tstamp", 152, 8, RW, S, false, 152),
    F("gso_segs", 164, 4, R, S, true, 164),
    F("gso_size", 176, 4, R, S, true, 176),
    F("hwtstamp", 184, 8, R, S, false, 184),
};

/* ctx_in fields a test run may set (the kernel's convert___skb_to_skb); all else must be 0 */
static const struct { uint16_t off, size; } skb_ctx_in_fields[] = {
    {8, 4}, {32, 4}, {36, 4}, {40, 4}, {48, 20}, {152, 8}, {160, 4}, {164, 4}, {176, 4}, {184, 8},
};

static bool skb_ctx_in_allowed(uint32_t byte)
{
    for (size_t i = 0; i < sizeof(skb_ctx_in_fields) / sizeof(skb_ctx_in_fields[0]); i++)
        if (byte >= skb_ctx_in_fields[i].off &&
            byte < (uint32_t)skb_ctx_in_fields[i].off + skb_ctx_in_fields[i].size)
            return true;
    return false;
}

static void put32(uint8_t *ctx, uint32_t off, uint32_t v) { memcpy(ctx + off, &v, 4); }
static void put64(uint8_t *ctx, uint32_t off, uint64_t v) { memcpy(ctx + off, &v, 8); }

int progtype_skb_setup(const struct progtype *pt, struct bpfvm_test_run_opts *o,
                       struct progtype_run *r)
{
    if (o->data_size_in < ETH_HLEN)
        return vm_errorf(o->errbuf, o->errbuf_len, EINVAL,
                         "%s test run: data_in has %u bytes, less than an Ethernet header (14)",
                         pt->name, o->data_size_in);
    if (o->ctx_size_in > SKB_UAPI_SIZE)
        return vm_errorf(o->errbuf, o->errbuf_len, EINVAL,
                         "ctx_in has %u bytes, more than struct __sk_buff (%d)", o->ctx_size_in,
                         SKB_UAPI_SIZE);
    const uint8_t *cin = o->ctx_in;
    for (uint32_t i = 0; cin && i < o->ctx_size_in; i++)
        if (cin[i] && !skb_ctx_in_allowed(i))
            return vm_errorf(o->errbuf, o->errbuf_len, EINVAL,
                             "ctx_in: byte %u of struct __sk_buff cannot be set in a test run", i);
    /* room for the resize helpers (packet_skb_resize.c) to grow the packet to its maximum */
    r->buf_size = PT_HEADROOM +
                  (o->data_size_in > PT_SKB_MAX_LEN ? o->data_size_in : PT_SKB_MAX_LEN) +
                  PT_SKB_TAILSLACK;
    r->ctx_size = SKB_NATIVE_SIZE;
    r->buf = calloc(1, r->buf_size);
    r->ctx = calloc(1, r->ctx_size + sizeof(struct progtype_pkt));
    if (!r->buf || !r->ctx)
        return vm_errorf(o->errbuf, o->errbuf_len, ENOMEM, "out of memory");
    uint8_t *frame = r->buf + PT_HEADROOM;
    memcpy(frame, o->data_in, o->data_size_in);
    if (cin)
        memcpy(r->ctx, cin, o->ctx_size_in);
    /* what eth_type_trans and the kernel's test run set up (the device is loopback) */
    const uint8_t *dst = frame;
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6] = {0};
    uint32_t pkt_type = !memcmp(dst, bcast, 6) ? 1 : (dst[0] & 1) ? 2 : !memcmp(dst, zero, 6) ? 0 : 3;
    uint16_t proto;
    memcpy(&proto, frame + 12, 2); /* network byte order, as skb->protocol holds it */
    r->data = pt->l2 ? frame : frame + ETH_HLEN;
    r->len = pt->l2 ? o->data_size_in : o->data_size_in - ETH_HLEN;
    put32(r->ctx, 0, (uint32_t)r->len);
    put32(r->ctx, 4, pkt_type);
    put32(r->ctx, 16, proto);
    if (!cin || !((const uint32_t *)(const void *)cin)[40 / 4])
        put32(r->ctx, 40, 1); /* ifindex: loopback */
    if (!cin || o->ctx_size_in < 164 || !memcmp(r->ctx + 160, zero, 4))
        put32(r->ctx, 160, (uint32_t)r->len); /* wire_len: skb->len after the pull */
    put64(r->ctx, SKB_NATIVE_DATA, (uintptr_t)r->data);
    put64(r->ctx, SKB_NATIVE_DATA_END, (uintptr_t)(r->data + r->len));
    put64(r->ctx, SKB_NATIVE_DATA_META, (uintptr_t)r->data);
    put32(r->ctx, PT_SKB_MAGIC, PT_PKT_MAGIC);
    r->exec.mem = r->data;
    r->exec.mem_size = r->len;
    r->exec.mem_writable = pt->direct_packet_access;
    r->exec.pkt = r->data; /* LD_ABS offset 0: the Ethernet header for tc, L3 for sockets */
    r->exec.pkt_size = r->len;
    r->exec.pkt_net_off = pt->l2 ? ETH_HLEN : 0;
    struct progtype_pkt *p = (struct progtype_pkt *)(r->ctx + r->ctx_size);
    p->head = r->buf;
    p->end = r->buf + r->buf_size;
    p->meta = p->data = r->data;
    p->data_end = r->data + r->len;
    p->mac = frame;
    p->net = frame + ETH_HLEN;
    p->native_size = SKB_NATIVE_SIZE;
    p->l2 = pt->l2;
    p->kroom = PT_SKB_KERNEL_ROOM;
    return 0;
}

int progtype_skb_finish(const struct progtype *pt, struct bpfvm_test_run_opts *o,
                        struct progtype_run *r)
{
    /* data_out: the frame from its Ethernet header (sockets: the header bytes read as 0), as
     * long as the packet is now (the helpers' record, not the context's copies) */
    const struct progtype_pkt *p = (const struct progtype_pkt *)(r->ctx + r->ctx_size);
    uint8_t *frame = p->data;
    uint32_t full = (uint32_t)(p->data_end - p->data);
    if (!pt->l2) {
        frame -= ETH_HLEN;
        full += ETH_HLEN;
        memset(frame, 0, ETH_HLEN);
    }
    int rc = progtype_data_out(o, frame, full);
    if (rc)
        return rc;
    if (o->ctx_out) {
        uint8_t out[SKB_UAPI_SIZE] = {0};
        for (uint32_t i = 0; i < SKB_UAPI_SIZE; i++)
            if (skb_ctx_in_allowed(i))
                out[i] = r->ctx[i];
        memcpy(o->ctx_out, out, o->ctx_size_out < SKB_UAPI_SIZE ? o->ctx_size_out : SKB_UAPI_SIZE);
        o->ctx_size_out = SKB_UAPI_SIZE;
    }
    return 0;
}

#define NF(t) (sizeof(t) / sizeof(t[0]))
const struct progtype progtype_socket_filter = {
    BPFVM_PROG_TYPE_SOCKET_FILTER, "socket_filter", SKB_UAPI_SIZE, SKB_NATIVE_SIZE, sock_fields,
    NF(sock_fields), INT64_MIN, INT64_MAX, false, true, false, progtype_skb_setup, progtype_skb_finish,
};
const struct progtype progtype_sched_cls = {
    BPFVM_PROG_TYPE_SCHED_CLS, "sched_cls", SKB_UAPI_SIZE, SKB_NATIVE_SIZE, tc_fields,
    NF(tc_fields), INT64_MIN, INT64_MAX, true, true, true, progtype_skb_setup, progtype_skb_finish,
};
const struct progtype progtype_sched_act = {
    BPFVM_PROG_TYPE_SCHED_ACT, "sched_act", SKB_UAPI_SIZE, SKB_NATIVE_SIZE, tc_fields,
    NF(tc_fields), INT64_MIN, INT64_MAX, true, true, true, progtype_skb_setup, progtype_skb_finish,
};
const struct progtype progtype_cgroup_skb = {
    BPFVM_PROG_TYPE_CGROUP_SKB, "cgroup_skb", SKB_UAPI_SIZE, SKB_NATIVE_SIZE, cgroup_fields,
    NF(cgroup_fields), 0, 1, false, true, false, progtype_skb_setup, progtype_skb_finish,
};
