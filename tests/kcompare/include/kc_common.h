/* kc_common.h - packet access shared by the comparison programs: every test packet is
 * Ethernet + IPv4 + UDP (42 bytes) followed by a 32-byte payload; programs read their inputs
 * from payload[0..15] and write results to payload[16..31]. */
#ifndef KC_COMMON_H
#define KC_COMMON_H

#define KC_PAYLOAD_OFF 42
#define KC_PAYLOAD_LEN 32

#define KC_PAYLOAD(skb, p)                                                                     \
    __u8 *p;                                                                                   \
    do {                                                                                       \
        void *kc_d = (void *)(long)(skb)->data, *kc_e = (void *)(long)(skb)->data_end;         \
        if (kc_d + KC_PAYLOAD_OFF + KC_PAYLOAD_LEN > kc_e)                                     \
            return 1;                                                                          \
        p = (__u8 *)kc_d + KC_PAYLOAD_OFF;                                                     \
    } while (0)

#define KC_XDP_PAYLOAD(ctx, p) KC_PAYLOAD(ctx, p)

#endif
