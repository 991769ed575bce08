/* meta.c - packet metadata for classic filters: Linux ancillary loads (SKF_AD_*), the
 * SKF_NET_OFF / SKF_LL_OFF negative offsets, and deriving metadata from a captured packet. */
#include <string.h>
#include "cbpf/cbpf_int.h"

static uint16_t rd16be(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

void bpfvm_cbpf_meta_from_packet(struct bpfvm_cbpf_meta *m, int linktype, const uint8_t *pkt,
                                 uint32_t caplen)
{
    memset(m, 0, sizeof(*m));
    m->net_off = -1;
    switch (linktype) {
    case BPFVM_LINKTYPE_ETHERNET:
        m->hatype = 1; /* ARPHRD_ETHER */
        if (caplen >= 14) {
            uint16_t t = rd16be(pkt + 12);
            if (t >= 0x600)
                m->protocol = t;
            else if (caplen >= 16 && rd16be(pkt + 14) == 0xffff)
                m->protocol = 0x0001; /* ETH_P_802_3 */
            else
                m->protocol = 0x0004; /* ETH_P_802_2 */
            m->net_off = 14;
            if (pkt[0] & 1) {
                static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
                m->pkttype = memcmp(pkt, bcast, 6) == 0 ? 1 : 2;
            }
        }
        break;
    case BPFVM_LINKTYPE_RAW:
        m->hatype = 0xfffe; /* ARPHRD_NONE */
        m->net_off = 0;
        if (caplen >= 1)
            m->protocol = (pkt[0] >> 4) == 6 ? 0x86dd : (pkt[0] >> 4) == 4 ? 0x0800 : 0;
        break;
    case BPFVM_LINKTYPE_LINUX_SLL:
        if (caplen >= 16) {
            m->pkttype = rd16be(pkt);
            m->hatype = rd16be(pkt + 2);
            m->protocol = rd16be(pkt + 14);
            m->net_off = 16;
        }
        break;
    default:
        break;
    }
}

/* Netlink attribute search (struct nlattr: u16 len, u16 type, native order, 4-aligned). */
static uint32_t nla_find_off(const uint8_t *pkt, uint32_t start, uint32_t len, uint32_t type)
{
    uint32_t off = start, end = start + len;
    while (end - off >= 4) {
        uint16_t alen, atype;
        memcpy(&alen, pkt + off, 2);
        memcpy(&atype, pkt + off + 2, 2);
        if (alen < 4 || alen > end - off)
            break;
        if ((atype & 0x3fff) == type)
            return off;
        uint32_t step = (alen + 3u) & ~3u;
        if (step > end - off)
            break;
        off += step;
    }
    return 0;
}

/* The payload offset the kernel's flow dissector would report: transport header offset plus
 * the transport header length, 0 when the packet cannot be dissected. */
static uint32_t pay_offset(const struct bpfvm_cbpf_run_ctx *rc)
{
    const struct bpfvm_cbpf_meta *m = rc->meta;
    if (!m || m->net_off < 0)
        return 0;
    uint32_t n = (uint32_t)m->net_off, len = rc->caplen, th;
    const uint8_t *p = rc->pkt;
    uint8_t proto;
    if (m->protocol == 0x0800) {
        if (n + 20 > len || (p[n] >> 4) != 4 || (p[n] & 0xf) < 5)
            return 0;
        th = n + (p[n] & 0xfu) * 4;
        proto = p[n + 9];
        if (rd16be(p + n + 6) & 0x1fff)
            return th; /* a later fragment: no transport header */
    } else if (m->protocol == 0x86dd) {
        if (n + 40 > len)
            return 0;
        th = n + 40;
        proto = p[n + 6];
    } else {
        return 0;
    }
    switch (proto) {
    case 6: /* TCP */
        if (th + 20 > len)
            return th;
        return th + ((p[th + 12] >> 4) * 4u < 20 ? 20 : (p[th + 12] >> 4) * 4u);
    case 17: case 136: /* UDP, UDP-Lite */
        return th + 8;
    case 1: case 58: case 2: /* ICMP, ICMPv6, IGMP */
        return th + 8;
    case 132: /* SCTP */
        return th + 12;
    case 33: /* DCCP */
        return th + 16;
    default:
        return th;
    }
}

uint32_t cbpf_anc_value(struct bpfvm_cbpf_run_ctx *rc, uint32_t ad, uint32_t a, uint32_t x)
{
    static const struct bpfvm_cbpf_meta zero;
    const struct bpfvm_cbpf_meta *m = rc->meta ? rc->meta : &zero;
    switch (ad) {
    case BPFVM_SKF_AD_PROTOCOL: return m->protocol & 0xffff;
    case BPFVM_SKF_AD_PKTTYPE: return m->pkttype;
    case BPFVM_SKF_AD_IFINDEX: return m->ifindex;
    case BPFVM_SKF_AD_MARK: return m->mark;
    case BPFVM_SKF_AD_QUEUE: return m->queue & 0xffff;
    case BPFVM_SKF_AD_HATYPE: return m->hatype & 0xffff;
    case BPFVM_SKF_AD_RXHASH: return m->rxhash;
    case BPFVM_SKF_AD_CPU: return m->cpu;
    case BPFVM_SKF_AD_ALU_XOR_X: return a ^ x;
    case BPFVM_SKF_AD_VLAN_TAG: return m->vlan_present ? (m->vlan_tci & 0xffff) : 0;
    case BPFVM_SKF_AD_VLAN_TAG_PRESENT: return m->vlan_present ? 1 : 0;
    case BPFVM_SKF_AD_VLAN_TPID: return m->vlan_present ? (m->vlan_tpid & 0xffff) : 0;
    case BPFVM_SKF_AD_PAY_OFFSET: return pay_offset(rc);
    case BPFVM_SKF_AD_RANDOM: {
        uint32_t s = rc->rand_state;
        if (!s)
            s = m->random_seed ? m->random_seed : 0x9e3779b9u;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        rc->rand_state = s;
        return s;
    }
    case BPFVM_SKF_AD_NLATTR:
        if (rc->caplen < 4 || a > rc->caplen - 4)
            return 0;
        return nla_find_off(rc->pkt, a, rc->caplen - a, x);
    case BPFVM_SKF_AD_NLATTR_NEST: {
        if (rc->caplen < 4 || a > rc->caplen - 4)
            return 0;
        uint16_t alen;
        memcpy(&alen, rc->pkt + a, 2);
        if (alen > rc->caplen - a || alen < 4)
            return 0;
        return nla_find_off(rc->pkt, a + 4, alen - 4u, x);
    }
    default:
        return 0;
    }
}

int cbpf_load_neg(const struct bpfvm_cbpf_run_ctx *rc, int32_t off, unsigned size, uint32_t *val)
{
    int64_t base;
    int64_t o = off;
    if (o >= BPFVM_SKF_NET_OFF) {
        if (!rc->meta || rc->meta->net_off < 0)
            return -1;
        base = rc->meta->net_off;
        o -= BPFVM_SKF_NET_OFF;
    } else if (o >= BPFVM_SKF_LL_OFF) {
        base = rc->meta ? rc->meta->mac_off : 0;
        o -= BPFVM_SKF_LL_OFF;
    } else {
        return -1;
    }
    int64_t at = base + o;
    if (at < 0 || at + size > (int64_t)rc->caplen)
        return -1;
    const uint8_t *p = rc->pkt + at;
    *val = size == 1 ? p[0] : size == 2 ? rd16be(p)
                                        : (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                                              (uint32_t)p[2] << 8 | p[3];
    return 0;
}
