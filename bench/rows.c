/* rows.c - the benchmark programs as eBPF bodies, their packets and the row table. */
#include <string.h>

#include "nmaps.h"
#include "rows.h"

#define PKT_LEN 128

static uint8_t pkt_tcp[PKT_LEN], pkt_udp[PKT_LEN], pkt_seed[64];

/* Ethernet + IPv4 (no options) + TCP or UDP, 10.0.0.1:12345 -> 192.168.1.20:dport. */
static void rows_make_packet(uint8_t *p, uint8_t proto, uint16_t dport)
{
    static const uint8_t eth[14] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00};
    memset(p, 0, PKT_LEN);
    memcpy(p, eth, 14);
    uint8_t *ip = p + 14;
    ip[0] = 0x45;
    ip[2] = 0, ip[3] = PKT_LEN - 14;
    ip[6] = 0x40; /* don't fragment */
    ip[8] = 64;
    ip[9] = proto;
    ip[12] = 10, ip[13] = 0, ip[14] = 0, ip[15] = 1;
    ip[16] = 192, ip[17] = 168, ip[18] = 1, ip[19] = 20;
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = (uint8_t)(~sum >> 8), ip[11] = (uint8_t)~sum;
    uint8_t *l4 = ip + 20;
    l4[0] = 12345 >> 8, l4[1] = 12345 & 0xff;
    l4[2] = (uint8_t)(dport >> 8), l4[3] = (uint8_t)dport;
    if (proto == 6) {
        l4[12] = 0x50;  /* data offset 5 */
        l4[13] = 0x02;  /* SYN */
        l4[14] = 0xff, l4[15] = 0xff;
    } else {
        l4[5] = PKT_LEN - 34;
    }
    for (int i = 54; i < PKT_LEN; i++)
        p[i] = (uint8_t)(i * 7);
}

/* Jump to the shared "return 0" tail: remember slots, patch them when the tail is emitted. */
struct rows_fixups {
    size_t at[16];
    int n;
};

static void rows_jump_out(struct ops_prog *p, struct rows_fixups *f)
{
    f->at[f->n++] = ops_here(p) - 1;
}

static void rows_emit_out(struct ops_prog *p, struct rows_fixups *f)
{
    size_t tail = ops_here(p);
    for (int i = 0; i < f->n; i++)
        ops_patch(p, f->at[i], tail);
    MOV_K(p, 0, 0);
    EXIT(p);
}

/* if (r1 + len > r2) goto out */
static void rows_check_len(struct ops_prog *p, struct rows_fixups *f, int32_t len)
{
    MOV_X(p, 3, 1);
    ALU64_K(p, A_ADD, 3, len);
    JMP_X(p, J_GT, 3, 2, 0);
    rows_jump_out(p, f);
}

static void body_empty(struct ops_prog *p)
{
    MOV_K(p, 0, 0);
    EXIT(p);
}

static void body_xdp_drop(struct ops_prog *p)
{
    MOV_X(p, 3, 1);
    ALU64_K(p, A_ADD, 3, 14);
    JMP_X(p, J_GT, 3, 2, 2);
    MOV_K(p, 0, 1); /* XDP_DROP */
    EXIT(p);
    MOV_K(p, 0, 2); /* XDP_PASS */
    EXIT(p);
}

/* Ethernet -> IPv4 -> TCP: the destination port, or 0. */
static void body_parse(struct ops_prog *p)
{
    struct rows_fixups f = {0};
    rows_check_len(p, &f, 34);
    LDX(p, OP_H, 4, 1, 12);
    JMP_K(p, J_NE, 4, 0x0008, 0); /* ETH_P_IP as a little-endian load of network bytes */
    rows_jump_out(p, &f);
    LDX(p, OP_B, 4, 1, 23);
    JMP_K(p, J_NE, 4, 6, 0);
    rows_jump_out(p, &f);
    LDX(p, OP_B, 4, 1, 14);
    ALU64_K(p, A_AND, 4, 15);
    ALU64_K(p, A_LSH, 4, 2);
    JMP_K(p, J_LT, 4, 20, 0);
    rows_jump_out(p, &f);
    MOV_X(p, 3, 1);
    ALU64_X(p, A_ADD, 3, 4);
    MOV_X(p, 5, 3);
    ALU64_K(p, A_ADD, 5, 18);
    JMP_X(p, J_GT, 5, 2, 0);
    rows_jump_out(p, &f);
    LDX(p, OP_H, 0, 3, 16);
    BE16(p, 0);
    EXIT(p);
    rows_emit_out(p, &f);
}

static void body_alu_loop(struct ops_prog *p)
{
    MOV_X(p, 0, 1);
    MOV_K(p, 6, 0);
    size_t top = ops_here(p);
    ALU64_X(p, A_ADD, 0, 6);
    ALU64_K(p, A_MUL, 0, ALU_MUL);
    MOV_X(p, 7, 0);
    ALU64_K(p, A_RSH, 7, 13);
    ALU64_X(p, A_XOR, 0, 7);
    ALU64_K(p, A_ADD, 6, 1);
    JMP_K(p, J_LT, 6, ALU_ITERS, 0);
    ops_patch(p, ops_here(p) - 1, top);
    EXIT(p);
}

static void body_alu_unrolled(struct ops_prog *p)
{
    MOV_X(p, 0, 1);
    for (int i = 0; i < ALU_ITERS; i++) {
        ALU64_K(p, A_ADD, 0, i);
        ALU64_K(p, A_MUL, 0, ALU_MUL);
        MOV_X(p, 7, 0);
        ALU64_K(p, A_RSH, 7, 13);
        ALU64_X(p, A_XOR, 0, 7);
    }
    EXIT(p);
}

/* r0 = lookup(map, key at r10-8+key_off); if found: count += 1, return id. */
static void rows_counter_tail(struct ops_prog *p, struct rows_fixups *f, int map)
{
    MOV_X(p, 2, 10);
    ALU64_K(p, A_ADD, 2, -4);
    LD_MAP(p, 1, map);
    CALL(p, HELPER_MAP_LOOKUP);
    JMP_K(p, J_EQ, 0, 0, 0);
    rows_jump_out(p, f);
    MOV_K(p, 1, 1);
    XADD64(p, 0, 1, 0);
    LDX(p, OP_DW, 0, 0, 8);
    EXIT(p);
    rows_emit_out(p, f);
}

static void body_array_counter(struct ops_prog *p)
{
    struct rows_fixups f = {0};
    ST_K(p, OP_W, 10, -4, 0);
    rows_counter_tail(p, &f, BENCH_MAP_ARRAY);
}

static void body_hash_counter(struct ops_prog *p)
{
    struct rows_fixups f = {0};
    rows_check_len(p, &f, 34);
    LDX(p, OP_W, 3, 1, 26); /* IPv4 source address */
    STX(p, OP_W, 10, 3, -4);
    rows_counter_tail(p, &f, BENCH_MAP_HASH);
}

static void body_lpm(struct ops_prog *p)
{
    struct rows_fixups f = {0};
    rows_check_len(p, &f, 34);
    LDX(p, OP_W, 3, 1, 30); /* IPv4 destination address */
    STX(p, OP_W, 10, 3, -4);
    ST_K(p, OP_W, 10, -8, 32);
    MOV_X(p, 2, 10);
    ALU64_K(p, A_ADD, 2, -8);
    LD_MAP(p, 1, BENCH_MAP_LPM);
    CALL(p, HELPER_MAP_LOOKUP);
    JMP_K(p, J_EQ, 0, 0, 0);
    rows_jump_out(p, &f);
    LDX(p, OP_W, 0, 0, 0);
    EXIT(p);
    rows_emit_out(p, &f);
}

/* csum_diff(NULL, 0, data + 14, 64, 0), folded to 16 bits. */
static void body_csum(struct ops_prog *p)
{
    struct rows_fixups f = {0};
    rows_check_len(p, &f, CSUM_OFF + CSUM_LEN);
    MOV_X(p, 3, 1);
    ALU64_K(p, A_ADD, 3, CSUM_OFF);
    MOV_K(p, 1, 0);
    MOV_K(p, 2, 0);
    MOV_K(p, 4, CSUM_LEN);
    MOV_K(p, 5, 0);
    CALL(p, HELPER_CSUM_DIFF);
    for (int i = 0; i < 2; i++) {
        MOV_X(p, 1, 0);
        ALU64_K(p, A_RSH, 1, 16);
        ALU64_K(p, A_AND, 0, 0xffff);
        ALU64_X(p, A_ADD, 0, 1);
    }
    EXIT(p);
    rows_emit_out(p, &f);
}

static struct bench_row rows_table[] = {
    {"empty program", ROW_EBPF, IN_NONE, body_empty, NULL, 0, 0, native_empty, 0, NULL},
    {"XDP drop", ROW_EBPF, IN_PKT, body_xdp_drop, pkt_tcp, PKT_LEN, 0, native_xdp_drop, 0, NULL},
    {"parse TCP pkt", ROW_EBPF, IN_PKT, body_parse, pkt_tcp, PKT_LEN, 0, native_parse, 0, NULL},
    {"parse UDP pkt", ROW_EBPF, IN_PKT, body_parse, pkt_udp, PKT_LEN, 0, native_parse, 0, NULL},
    {"ALU loop 256x", ROW_EBPF, IN_SEED, body_alu_loop, pkt_seed, sizeof(pkt_seed), 0,
     native_alu_loop, 0, NULL},
    {"ALU unrolled 256x", ROW_EBPF, IN_SEED, body_alu_unrolled, pkt_seed, sizeof(pkt_seed), 0,
     native_alu_unrolled, 0, NULL},
    {"array counter", ROW_EBPF, IN_NONE, body_array_counter, NULL, 0, 0, native_array_counter,
     NEED_MAPS, NULL},
    {"hash counter", ROW_EBPF, IN_PKT, body_hash_counter, pkt_tcp, PKT_LEN, 0,
     native_hash_counter, NEED_MAPS, NULL},
    {"LPM lookup", ROW_EBPF, IN_PKT, body_lpm, pkt_tcp, PKT_LEN, 0, native_lpm, NEED_MAPS, NULL},
    {"csum_diff 64B", ROW_EBPF, IN_PKT, body_csum, pkt_tcp, PKT_LEN, 0, native_csum,
     NEED_HELPERS, NULL},
    {"cBPF tcp dst port 80", ROW_CLASSIC, IN_PKT, NULL, pkt_tcp, PKT_LEN, 0, native_cf_tcp_dst80,
     0, "tcp dst port 80"},
    {"cBPF udp 53/123", ROW_CLASSIC, IN_PKT, NULL, pkt_udp, PKT_LEN, 0, native_cf_udp_dns_ntp, 0,
     "udp port 53 or udp port 123"},
    {"cBPF net+host+syn", ROW_CLASSIC, IN_PKT, NULL, pkt_tcp, PKT_LEN, 0, native_cf_net_host_syn,
     0, "src net 10.0.0.0/8 and dst host 192.168.1.20 and tcp[tcpflags] & tcp-syn != 0"},
};

size_t bench_rows_init(const struct bench_row **rows)
{
    rows_make_packet(pkt_tcp, 6, 80);
    rows_make_packet(pkt_udp, 17, 53);
    uint64_t seed = 0x0123456789abcdefull;
    memcpy(pkt_seed, &seed, 8);
    memset(pkt_seed + 8, 0x5a, sizeof(pkt_seed) - 8);
    for (size_t i = 0; i < sizeof(rows_table) / sizeof(rows_table[0]); i++)
        rows_table[i].seed = seed;
    *rows = rows_table;
    return sizeof(rows_table) / sizeof(rows_table[0]);
}
