/* helpers/redirect_map.c - bpf_redirect_map(map, key, flags) for XDP: XDP_REDIRECT when the
 * DEVMAP / DEVMAP_HASH / CPUMAP / XSKMAP has an entry at key, else the default action in the
 * low two bits of flags.  Like the kernel's test run (no live frames), nothing is sent: the
 * verdict is the program's return value. */
#include "helpers/helpers.h"

#define XDP_ABORTED 0
#define XDP_REDIRECT 4
#define REDIRECT_ACTION_MASK 3ull          /* XDP_ABORTED..XDP_TX: the miss verdict */
#define REDIRECT_F_BROADCAST (1ull << 3)   /* DEVMAP*: every entry; no lookup miss */
#define REDIRECT_F_EXCLUDE_INGRESS (1ull << 4)

/* The flags each map type takes beyond the action bits (any other bit: XDP_ABORTED). */
static uint64_t redirect_type_flags(enum bpfvm_map_type type)
{
    switch (type) {
    case BPFVM_MAP_TYPE_DEVMAP:
    case BPFVM_MAP_TYPE_DEVMAP_HASH:
        return REDIRECT_F_BROADCAST | REDIRECT_F_EXCLUDE_INGRESS;
    default:
        return 0;
    }
}

/* The key is the low 32 bits of the u64 argument, as in the kernel. */
HELPER_DECL(helper_redirect_map)
{
    (void)r4, (void)r5;
    struct bpfvm_map *m = (struct bpfvm_map *)(uintptr_t)r1;
    if (!helpers_map_arg(ex, m, HELPERS_MAPS_REDIRECT))
        return XDP_ABORTED;
    uint64_t flags = r3;
    if (flags & ~(REDIRECT_ACTION_MASK | redirect_type_flags(m->type)))
        return XDP_ABORTED;
    uint32_t key = (uint32_t)r2;
    if (!map_lookup_fast(m, &key, 0) && !(flags & REDIRECT_F_BROADCAST))
        return flags & REDIRECT_ACTION_MASK;
    return XDP_REDIRECT;
}
