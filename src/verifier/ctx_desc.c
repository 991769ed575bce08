/* ctx_desc.c - built-in context descriptions of the program types the verifier knows
 * (XDP's xdp_md, __sk_buff for socket filters and tc), as Linux 6.18 allows them.
 * TEMPORARY until src/progtype/progtype.h lands: then these come from that table. */
#include <string.h>
#include <strings.h>

#include "verifier/verifier.h"

#define F(o, s, k, r, w, n) {(o), (s), (k), (r), (w), (n)}
#define SC BPFVM_CTX_SCALAR

static const struct bpfvm_ctx_field xdp_fields[] = {
    F(0, 4, BPFVM_CTX_PKT, true, false, false),
    F(4, 4, BPFVM_CTX_PKT_END, true, false, false),
    F(8, 4, BPFVM_CTX_PKT_META, true, false, false),
    F(12, 4, SC, true, false, false), /* ingress_ifindex */
    F(16, 4, SC, true, false, false), /* rx_queue_index */
};

/* __sk_buff: 0 len .. 44 tc_index, 48..67 cb[5], 68 hash, 72 tc_classid, 76 data,
 * 80 data_end, 84 napi_id, 140 data_meta, 160 wire_len, 164 gso_segs, 176 gso_size */
#define SKB_COMMON(cbw, markw)                                                                     \
    F(0, 4, SC, true, false, true), F(4, 4, SC, true, false, true), F(8, 4, SC, true, markw, true), \
    F(12, 4, SC, true, markw, true), F(16, 4, SC, true, false, true), F(20, 4, SC, true, false, true), \
    F(24, 4, SC, true, false, true), F(28, 4, SC, true, false, true), F(32, 4, SC, true, markw, true), \
    F(36, 4, SC, true, false, true), F(40, 4, SC, true, false, true), F(44, 4, SC, true, markw, true), \
    F(48, 4, SC, true, cbw, true), F(52, 4, SC, true, cbw, true), F(56, 4, SC, true, cbw, true),     \
    F(60, 4, SC, true, cbw, true), F(64, 4, SC, true, cbw, true), F(68, 4, SC, true, false, true)

static const struct bpfvm_ctx_field skf_fields[] = {
    SKB_COMMON(true, false),
    F(84, 4, SC, true, false, true),  /* napi_id */
    F(164, 4, SC, true, false, true), /* gso_segs */
    F(176, 4, SC, true, false, true), /* gso_size */
};

static const struct bpfvm_ctx_field tc_fields[] = {
    SKB_COMMON(true, true),
    F(72, 4, SC, true, true, true),   /* tc_classid */
    F(76, 4, BPFVM_CTX_PKT, true, false, false),
    F(80, 4, BPFVM_CTX_PKT_END, true, false, false),
    F(84, 4, SC, true, false, true),
    F(140, 4, BPFVM_CTX_PKT_META, true, false, false),
    F(160, 4, SC, true, false, true),
    F(164, 4, SC, true, false, true),
    F(176, 4, SC, true, false, true),
};

static const uint32_t base_helpers[] = {1, 2, 3, 5, 6, 7, 8, 12, 25, 87, 88, 89, 125, 130, 131, 132, 133, 134, 181};
static const uint32_t xdp_helpers[] = {1, 2, 3, 5, 6, 7, 8, 12, 25, 44, 54, 65, 87, 88, 89, 125, 130, 131, 132, 133, 134, 181};
static const uint32_t skb_helpers[] = {1, 2, 3, 5, 6, 7, 8, 12, 25, 26, 87, 88, 89, 125, 130, 131, 132, 133, 134, 181};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct bpfvm_ctx_desc xdp_desc = {
    "xdp_md", 24, xdp_fields, N(xdp_fields), false, true, false, 0, 0, xdp_helpers, N(xdp_helpers)};
static const struct bpfvm_ctx_desc skf_desc = {
    "__sk_buff", 192, skf_fields, N(skf_fields), true, false, false, 0, 0, skb_helpers, N(skb_helpers)};
static const struct bpfvm_ctx_desc tc_desc = {
    "__sk_buff", 192, tc_fields, N(tc_fields), true, true, false, 0, 0, skb_helpers, N(skb_helpers)};
static const struct bpfvm_ctx_desc raw_desc = {
    "raw", 0, NULL, 0, false, false, false, 0, 0, base_helpers, N(base_helpers)};

const struct bpfvm_ctx_desc *bpfvm_verify_ctx_desc(uint32_t prog_type)
{
    switch (prog_type) {
    case BPFVM_PROG_TYPE_UNSPEC: return &raw_desc;
    case BPFVM_PROG_TYPE_SOCKET_FILTER: return &skf_desc;
    case BPFVM_PROG_TYPE_SCHED_CLS:
    case BPFVM_PROG_TYPE_SCHED_ACT: return &tc_desc;
    case BPFVM_PROG_TYPE_XDP: return &xdp_desc;
    default: return NULL;
    }
}

static const struct {
    const char *name;
    uint32_t type;
} names[] = {
    {"raw", BPFVM_PROG_TYPE_UNSPEC},
    {"socket_filter", BPFVM_PROG_TYPE_SOCKET_FILTER},
    {"socket", BPFVM_PROG_TYPE_SOCKET_FILTER},
    {"skf", BPFVM_PROG_TYPE_SOCKET_FILTER},
    {"sched_cls", BPFVM_PROG_TYPE_SCHED_CLS},
    {"tc", BPFVM_PROG_TYPE_SCHED_CLS},
    {"classifier", BPFVM_PROG_TYPE_SCHED_CLS},
    {"sched_act", BPFVM_PROG_TYPE_SCHED_ACT},
    {"action", BPFVM_PROG_TYPE_SCHED_ACT},
    {"xdp", BPFVM_PROG_TYPE_XDP},
};

int bpfvm_verify_type_from_name(const char *name)
{
    for (size_t i = 0; name && i < N(names); i++)
        if (!strcasecmp(name, names[i].name))
            return (int)names[i].type;
    return -1;
}

const char *verifier_prog_type_name(uint32_t type)
{
    for (size_t i = 0; i < N(names); i++)
        if (names[i].type == type)
            return names[i].name;
    return "unknown";
}
