/* pcap_file.h - classic pcap file reading and writing (no libpcap): microsecond and nanosecond
 * magics, both byte orders; hostile or truncated files give an error naming the byte offset. */
#ifndef BPFVM_NET_PCAP_FILE_H
#define BPFVM_NET_PCAP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct net_pcap_info {
    uint32_t linktype;
    uint32_t snaplen;
    bool nsec;    /* nanosecond timestamps */
    bool swapped; /* file byte order differs from the host */
    uint16_t version_major, version_minor;
};

struct net_pcap_rec {
    uint32_t sec, frac; /* frac in us or ns per info.nsec */
    uint32_t caplen, wirelen;
    const uint8_t *data; /* valid until the next read */
};

struct net_pcap_reader;

/* Open `path` ("-" = stdin) and read the file header.  0 or negative errno with a message. */
int net_pcap_open(const char *path, struct net_pcap_reader **out, struct net_pcap_info *info,
                  char *msg, size_t msg_len);
/* Next record: 1 = got one, 0 = clean end of file, negative errno on a bad or truncated record
 * (the message names the byte offset). */
int net_pcap_next(struct net_pcap_reader *r, struct net_pcap_rec *rec, char *msg, size_t msg_len);
void net_pcap_close(struct net_pcap_reader *r);

/* Writing: host byte order, same link type, snaplen and timestamp precision as `info`. */
int net_pcap_write_header(FILE *f, const struct net_pcap_info *info);
int net_pcap_write_rec(FILE *f, const struct net_pcap_rec *rec, uint32_t caplen);

#endif
