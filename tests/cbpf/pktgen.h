/* pktgen.h - packets for the classic BPF tests: crafted Ethernet/VLAN/IPv4/IPv6/ARP frames with
 * TCP/UDP/ICMP, fragments and extension headers, their truncations, and random bytes. */
#ifndef CBPF_PKTGEN_H
#define CBPF_PKTGEN_H
#include <stddef.h>
#include <stdint.h>

struct tpkt {
    uint8_t data[256];
    uint32_t caplen, wirelen;
};

/* Fill up to `max` packets for link type 1 (Ethernet), 101 (raw IP) or 113 (Linux SLL);
 * deterministic for a given seed.  Returns the count. */
size_t pktgen_all(int linktype, struct tpkt *out, size_t max, uint32_t seed);
uint32_t pktgen_rand(uint32_t *state);
#endif
