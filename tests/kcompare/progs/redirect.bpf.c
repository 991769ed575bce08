/* XDP redirect maps and bpf_redirect_map: DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP filled from
 * the host (kcompare.c setup_redirect, whose bpf(2) return codes land in host_rc); redirects
 * to present and absent keys with default actions and invalid flags in the payload; lookups
 * from the program on the devmaps and the XSKMAP; the AF_XDP default program. */
#include "kc_bpf.h"
#include "kc_common.h"

#define RD_DEVMAP 14
#define RD_CPUMAP 16
#define RD_XSKMAP 17
#define RD_DEVMAP_HASH 25
BPF_HELPER(long, bpf_redirect_map, (void *map, __u64 key, __u64 flags), 51);

struct {
    __uint(type, RD_DEVMAP);
    __uint(max_entries, 8);
    __uint(key_size, 4);
    __uint(value_size, 8);   /* struct bpf_devmap_val: ifindex, program fd/id */
} dev SEC(".maps");

struct {
    __uint(type, RD_DEVMAP_HASH);
    __uint(max_entries, 8);
    __uint(key_size, 4);
    __uint(value_size, 4);   /* ifindex only */
} devh SEC(".maps");

struct {
    __uint(type, RD_CPUMAP);
    __uint(max_entries, 4);
    __uint(key_size, 4);
    __uint(value_size, 8);   /* struct bpf_cpumap_val: qsize, program fd/id */
} cpus SEC(".maps");

struct {
    __uint(type, RD_XSKMAP);
    __uint(max_entries, 4);
    __uint(key_size, 4);
    __uint(value_size, 4);
} xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 32);
    __type(key, __u32);
    __type(value, __s32);
} host_rc SEC(".maps");

/* payload: [0] map (0 dev, 1 devh, 2 cpus, 3 xsks), [4..7] key low, [8..11] key high,
 * [12..15] flags low, [16..19] flags high */
SEC("xdp") int redir_map(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    __u64 key = *(__u32 *)(p + 4) | (__u64) * (__u32 *)(p + 8) << 32;
    __u64 flags = *(__u32 *)(p + 12) | (__u64) * (__u32 *)(p + 16) << 32;
    switch (p[0] & 3) {
    case 0: return bpf_redirect_map(&dev, key, flags);
    case 1: return bpf_redirect_map(&devh, key, flags);
    case 2: return bpf_redirect_map(&cpus, key, flags);
    default: return bpf_redirect_map(&xsks, key, flags);
    }
}

/* lookups from the program: key p[0] in dev, p[1] in devh, p[2] in xsks; the values read
 * (devmaps: ifindex and program id) go to payload[20..31] */
SEC("xdp") int redir_lookup(struct xdp_md *ctx)
{
    KC_XDP_PAYLOAD(ctx, p);
    __u32 k0 = p[0] & 15, k1 = p[1], k2 = p[2] & 7;
    int found = 0;
    __u32 *v = bpf_map_lookup_elem(&dev, &k0);
    if (v) {
        found |= 1;
        *(__u32 *)(p + 20) = v[0];
        *(__u32 *)(p + 24) = v[1];
    }
    __u32 *h = bpf_map_lookup_elem(&devh, &k1);
    if (h) {
        found |= 2;
        *(__u32 *)(p + 28) = h[0];
    }
    if (bpf_map_lookup_elem(&xsks, &k2))
        found |= 4;
    return 100 + found;
}

/* The AF_XDP default program (libxdp's xsk_def_prog), both forms. */
SEC("xdp") int xsk_def_prog(struct xdp_md *ctx)
{
    int index = ctx->rx_queue_index;
    if (bpf_map_lookup_elem(&xsks, &index))
        return bpf_redirect_map(&xsks, index, XDP_PASS);
    return XDP_PASS;
}

SEC("xdp") int xsk_def_prog_modern(struct xdp_md *ctx)
{
    return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
