/* pcap_file.c - classic pcap file reader/writer (see pcap_file.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "net/pcap_file.h"

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAP_MAX_CAPLEN (256u * 1024 * 1024)

struct net_pcap_reader {
    FILE *f;
    bool own;
    struct net_pcap_info info;
    uint64_t off; /* byte offset of the next record header */
    uint8_t *buf;
    size_t cap;
};

static uint32_t swap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}
static uint16_t swap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }

static void msgf(char *msg, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void msgf(char *msg, size_t len, const char *fmt, ...)
{
    if (!msg || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, len, fmt, ap);
    va_end(ap);
}

int net_pcap_open(const char *path, struct net_pcap_reader **out, struct net_pcap_info *info,
                  char *msg, size_t msg_len)
{
    *out = NULL;
    struct net_pcap_reader *r = calloc(1, sizeof(*r));
    if (!r) {
        msgf(msg, msg_len, "out of memory");
        return -ENOMEM;
    }
    if (!strcmp(path, "-")) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "rb");
        r->own = true;
        if (!r->f) {
            int e = errno;
            msgf(msg, msg_len, "%s: %s", path, strerror(e));
            free(r);
            return -e;
        }
    }
    uint8_t h[24];
    size_t got = fread(h, 1, sizeof h, r->f);
    if (got < 4) {
        msgf(msg, msg_len, "%s: not a pcap file (only %zu bytes)", path, got);
        goto bad;
    }
    uint32_t magic;
    memcpy(&magic, h, 4);
    if (magic == PCAP_MAGIC_US || magic == PCAP_MAGIC_NS) {
        r->info.swapped = false;
    } else if (swap32(magic) == PCAP_MAGIC_US || swap32(magic) == PCAP_MAGIC_NS) {
        r->info.swapped = true;
        magic = swap32(magic);
    } else if (magic == 0x0a0d0d0a) {
        msgf(msg, msg_len, "%s: pcapng files are not supported (offset 0); convert with "
                           "editcap -F pcap", path);
        goto bad;
    } else {
        msgf(msg, msg_len, "%s: bad pcap magic 0x%08x at offset 0", path, magic);
        goto bad;
    }
    if (got < sizeof h) {
        msgf(msg, msg_len, "%s: truncated pcap file header at offset %zu (24 bytes needed)",
             path, got);
        goto bad;
    }
    r->info.nsec = magic == PCAP_MAGIC_NS;
    uint16_t vmaj, vmin;
    uint32_t snap, lt;
    memcpy(&vmaj, h + 4, 2);
    memcpy(&vmin, h + 6, 2);
    memcpy(&snap, h + 16, 4);
    memcpy(&lt, h + 20, 4);
    if (r->info.swapped) {
        vmaj = swap16(vmaj);
        vmin = swap16(vmin);
        snap = swap32(snap);
        lt = swap32(lt);
    }
    if (vmaj != 2) {
        msgf(msg, msg_len, "%s: unsupported pcap version %u.%u at offset 4", path, vmaj, vmin);
        goto bad;
    }
    r->info.version_major = vmaj;
    r->info.version_minor = vmin;
    r->info.snaplen = snap;
    r->info.linktype = lt & 0x0fffffff; /* upper bits: FCS length flags */
    r->off = 24;
    *info = r->info;
    *out = r;
    return 0;
bad:
    if (r->own)
        fclose(r->f);
    free(r);
    return -EINVAL;
}

int net_pcap_next(struct net_pcap_reader *r, struct net_pcap_rec *rec, char *msg, size_t msg_len)
{
    uint8_t h[16];
    size_t got = fread(h, 1, sizeof h, r->f);
    if (got == 0)
        return 0;
    if (got < sizeof h) {
        msgf(msg, msg_len, "truncated record header at offset %llu (%zu of 16 bytes)",
             (unsigned long long)r->off, got);
        return -EINVAL;
    }
    uint32_t v[4];
    memcpy(v, h, 16);
    if (r->info.swapped)
        for (int i = 0; i < 4; i++)
            v[i] = swap32(v[i]);
    if (v[2] > PCAP_MAX_CAPLEN) {
        msgf(msg, msg_len, "record at offset %llu: captured length %u is absurd",
             (unsigned long long)r->off, v[2]);
        return -EINVAL;
    }
    if (v[2] > r->cap) {
        size_t cap = v[2] < 65536 ? 65536 : v[2];
        uint8_t *b = realloc(r->buf, cap);
        if (!b) {
            msgf(msg, msg_len, "out of memory");
            return -ENOMEM;
        }
        r->buf = b;
        r->cap = cap;
    }
    got = v[2] ? fread(r->buf, 1, v[2], r->f) : 0;
    if (got < v[2]) {
        msgf(msg, msg_len, "truncated record at offset %llu: %u bytes of packet data "
                           "announced, %zu present", (unsigned long long)r->off, v[2], got);
        return -EINVAL;
    }
    rec->sec = v[0];
    rec->frac = v[1];
    rec->caplen = v[2];
    rec->wirelen = v[3] < v[2] ? v[2] : v[3];
    rec->data = r->buf ? r->buf : (const uint8_t *)"";
    r->off += 16 + v[2];
    return 1;
}

void net_pcap_close(struct net_pcap_reader *r)
{
    if (!r)
        return;
    if (r->own)
        fclose(r->f);
    free(r->buf);
    free(r);
}

int net_pcap_write_header(FILE *f, const struct net_pcap_info *info)
{
    uint32_t magic = info->nsec ? PCAP_MAGIC_NS : PCAP_MAGIC_US;
    uint16_t vmaj = 2, vmin = 4;
    int32_t zone = 0;
    uint32_t sigfigs = 0, snap = info->snaplen, lt = info->linktype;
    uint8_t h[24];
    memcpy(h, &magic, 4);
    memcpy(h + 4, &vmaj, 2);
    memcpy(h + 6, &vmin, 2);
    memcpy(h + 8, &zone, 4);
    memcpy(h + 12, &sigfigs, 4);
    memcpy(h + 16, &snap, 4);
    memcpy(h + 20, &lt, 4);
    return fwrite(h, 1, sizeof h, f) == sizeof h ? 0 : -EIO;
}

int net_pcap_write_rec(FILE *f, const struct net_pcap_rec *rec, uint32_t caplen)
{
    if (caplen > rec->caplen)
        caplen = rec->caplen;
    uint32_t v[4] = {rec->sec, rec->frac, caplen, rec->wirelen};
    if (fwrite(v, 1, 16, f) != 16 || (caplen && fwrite(rec->data, 1, caplen, f) != caplen))
        return -EIO;
    return 0;
}
