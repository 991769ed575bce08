/* Deterministic helpers: trace_printk and snprintf (formatted bytes and return values),
 * bpf_loop and for_each_map_elem (callbacks, early stop, bad flags), strtol/strtoul on
 * strings from the payload, spin_lock/unlock around a map value, csum_diff. */
#include "kc_bpf.h"
#include "kc_common.h"

/* ---- trace_printk / snprintf ---- */
struct fmt_out {
    __s64 rc[4];
    char s[4][48];
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct fmt_out);
} fmt_res SEC(".maps");

SEC("tc") int fmt_printk(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    static const char f1[] = "kcompare %d %u %x\n";
    static const char f2[] = "kcompare %llx %s|\n";
    long r1 = bpf_trace_printk(f1, sizeof(f1), (int)(p[0] - 128), p[1] * 1000, p[2]);
    long r2 = bpf_trace_printk(f2, sizeof(f2), (__u64)p[3] << 40 | p[4], "str");
    return (int)(r1 * 1000 + r2);
}

SEC("tc") int fmt_snprintf(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 zero = 0;
    struct fmt_out *o = bpf_map_lookup_elem(&fmt_res, &zero);
    if (!o)
        return 1;
    static const char f0[] = "%d|%u|%x|%lld|%llu|%c%%";
    __u64 a0[6] = {(__u64)(__s64)(int)(p[0] - 128), p[1] * 100000u, p[2], -(__s64)p[3] * 1000000007LL,
                   (__u64)p[4] << 56, 'A' + (p[5] & 15)};
    o->rc[0] = bpf_snprintf(o->s[0], 48, f0, a0, sizeof(a0));
    static const char f1[] = "%5d|%-4u|%08x|%pI4|%s";
    __u8 ip[4] = {p[6], p[7], 0, 1};
    static const char str[] = "payload";
    __u64 a1[5] = {p[8], p[9], (__u64)p[10] << 20, (__u64)(long)ip, (__u64)(long)str};
    o->rc[1] = bpf_snprintf(o->s[1], 48, f1, a1, sizeof(a1));
    /* truncation: returns the full length */
    static const char f2[] = "truncated %llu %llu";
    __u64 a2[2] = {0xffffffffffffull, p[11]};
    o->rc[2] = bpf_snprintf(o->s[2], 12, f2, a2, sizeof(a2));
    /* no buffer: only the length */
    o->rc[3] = bpf_snprintf(0, 0, f2, a2, sizeof(a2));
    return (int)(o->rc[0] + o->rc[1] * 64 + o->rc[2] * 4096);
}

/* ---- bpf_loop / for_each_map_elem ---- */
struct loop_ctx {
    __u64 sum;
    __u32 stop;
    __u32 seen;
};

static long loop_cb(__u32 idx, void *c)
{
    struct loop_ctx *lc = c;
    lc->sum += (__u64)idx * idx + 1;
    lc->seen++;
    return idx == lc->stop ? 1 : 0;
}

SEC("tc") int loop_helper(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    struct loop_ctx lc = {.stop = p[1]};
    long n = bpf_loop(p[0] & 63, loop_cb, &lc, 0);
    long bad = bpf_loop(3, loop_cb, &lc, 1);
    long big = bpf_loop(1u << 24, loop_cb, &lc, 0);
    p[16] = (__u8)n;
    p[17] = (__u8)bad;
    p[18] = (__u8)big;
    p[19] = (__u8)lc.sum;
    p[20] = (__u8)lc.seen;
    return (int)(n + lc.sum * 100);
}

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} fe_arr SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} fe_hash SEC(".maps");

static long fe_arr_cb(void *map, __u32 *key, __u64 *val, struct loop_ctx *lc)
{
    *val += *key + 1;
    lc->sum = lc->sum * 3 + *val;
    lc->seen++;
    return *key == lc->stop ? 1 : 0;
}

static long fe_hash_cb(void *map, __u32 *key, __u64 *val, struct loop_ctx *lc)
{
    *val += 1;
    lc->sum += *val + *key;
    lc->seen++;
    return 0;
}

SEC("tc") int for_each_elem(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 k = p[2] & 15;
    __u64 v = p[3];
    bpf_map_update_elem(&fe_hash, &k, &v, BPF_ANY);
    struct loop_ctx a = {.stop = p[0] & 15}, h = {};
    long na = bpf_for_each_map_elem(&fe_arr, fe_arr_cb, &a, 0);
    long nh = bpf_for_each_map_elem(&fe_hash, fe_hash_cb, &h, 0);
    long bad = bpf_for_each_map_elem(&fe_arr, fe_arr_cb, &a, 2);
    p[16] = (__u8)na;
    p[17] = (__u8)nh;
    p[18] = (__u8)bad;
    p[19] = (__u8)a.sum;
    p[20] = (__u8)h.sum;
    p[21] = (__u8)h.seen;
    return (int)((a.sum & 0xffff) * 1000 + na * 100 + nh);
}

/* ---- strtol / strtoul ---- */
struct conv_out {
    __s64 rc[6];
    __s64 val[6];
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct conv_out);
} conv_res SEC(".maps");

/* the payload's first 16 bytes are a string; parsed with several lengths and bases */
SEC("tc") int str_to_num(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    char s[16];
    __builtin_memcpy(s, p, 16);
    __u32 zero = 0;
    struct conv_out *o = bpf_map_lookup_elem(&conv_res, &zero);
    if (!o)
        return 1;
    long l = 0;
    unsigned long u = 0;
    o->rc[0] = bpf_strtol(s, 16, 0, &l);
    o->val[0] = l;
    o->rc[1] = bpf_strtol(s, 4, 10, &l);
    o->val[1] = l;
    o->rc[2] = bpf_strtoul(s, 16, 16, &u);
    o->val[2] = (__s64)u;
    o->rc[3] = bpf_strtoul(s, 16, 8, &u);
    o->val[3] = (__s64)u;
    o->rc[4] = bpf_strtol(s, 16, 2, &l);  /* base 2: -EINVAL */
    o->rc[5] = bpf_strtoul(s, 1, 0, &u);
    /* the result argument after a failure: see strtol_error_result */
    for (int i = 0; i < 6; i++)
        if (o->rc[i] < 0)
            o->val[i] = 0x77;
    return (int)(o->rc[0] * 100 + o->rc[2]);
}

/* the result argument after a failed conversion (the kernel zeroes it) */
SEC("tc") int strtol_error_result(struct __sk_buff *skb)
{
    char s[4] = "zz";
    long l = 12345;
    unsigned long u = 678;
    long r1 = bpf_strtol(s, 4, 0, &l);
    long r2 = bpf_strtoul(s, 4, 3, &u);
    return (int)(l * 1000 + (long)u + r1 + r2);
}

/* ---- spin lock ---- */
struct locked {
    struct bpf_spin_lock lock;
    __u32 cnt;
    __u64 sum;
};
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, struct locked);
} locked_map SEC(".maps");

SEC("tc") int spin_lock_helper(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 k = p[0] & 1;
    struct locked *v = bpf_map_lookup_elem(&locked_map, &k);
    if (!v)
        return 1;
    __u64 add = p[1];
    bpf_spin_lock(&v->lock);
    v->cnt++;
    v->sum += add;
    __u32 c = v->cnt;
    bpf_spin_unlock(&v->lock);
    return (int)c;
}

/* ---- csum_diff ---- */
SEC("tc") int csum_diff_helper(struct __sk_buff *skb)
{
    KC_PAYLOAD(skb, p);
    __u32 a[4], b[2];
    __builtin_memcpy(a, p, 16);
    __builtin_memcpy(b, p + 4, 8);
    __s64 r0 = bpf_csum_diff(0, 0, a, 16, p[15]);
    __s64 r1 = bpf_csum_diff(b, 8, a, 16, 0);
    __s64 r2 = bpf_csum_diff(a, 16, 0, 0, 0xffff);
    __s64 r3 = bpf_csum_diff(a, 6, b, 8, 0); /* not a multiple of 4: -EINVAL */
    __builtin_memcpy(p + 16, &r0, 4);
    __builtin_memcpy(p + 20, &r1, 4);
    __builtin_memcpy(p + 24, &r2, 4);
    __builtin_memcpy(p + 28, &r3, 4);
    return (int)(r0 ^ r1 ^ r2);
}

char LICENSE[] SEC("license") = "GPL";
