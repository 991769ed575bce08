/* tc_fields.bpf.c - tc programs touching the writable __sk_buff fields: mark, priority,
 * tc_index, cb[] (passed between chained programs), tc_classid for a direct-action
 * classifier, and queue_mapping; reading ingress_ifindex, vlan and hash. */
#include "vobj_bpf.h"

SEC("tc")
int tc_classify(struct __sk_buff *skb)
{
    __u32 prio = skb->vlan_present ? (skb->vlan_tci >> 13) : 0;
    skb->priority = prio;
    skb->tc_classid = 0x10000 | (prio + 1); /* major 1, minor prio+1 */
    skb->mark = skb->hash & 0xffff;
    skb->cb[0] = skb->ingress_ifindex;
    skb->cb[4] = 0xc0ffee;
    skb->tc_index = prio;
    return TC_ACT_OK;
}

SEC("tc")
int tc_read_cb(struct __sk_buff *skb)
{
    if (skb->cb[4] != 0xc0ffee)
        return TC_ACT_UNSPEC;
    if (skb->cb[0] == skb->ifindex)
        return TC_ACT_SHOT;
    skb->queue_mapping = skb->cb[1] & 7;
    return TC_ACT_OK;
}

SEC("action")
int act_mark_big(struct __sk_buff *skb)
{
    if (skb->len > 1400)
        skb->mark |= 0x100;
    return TC_ACT_PIPE;
}

char LICENSE[] SEC("license") = "GPL";
