/* rows.h - the benchmark rows: one eBPF body (or tcpdump expression) per row, its input and
 * the native C function that computes the same result. */
#ifndef BENCH_ROWS_H
#define BENCH_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include "ops.h"

enum row_kind { ROW_EBPF, ROW_CLASSIC };

/* How the body gets its input.  Each engine adds its own prologue before the body:
 *   IN_NONE  nothing (the body ignores r1);
 *   IN_PKT   body starts with r1 = packet data, r2 = data end;
 *   IN_SEED  body starts with r1 = a 64-bit seed (the kernel reads it from the packet). */
enum row_input { IN_NONE, IN_PKT, IN_SEED };

/* Needs that some engine may not have yet. */
#define NEED_MAPS (1u << 0)
#define NEED_HELPERS (1u << 1)

typedef uint64_t (*bench_native_fn)(const uint8_t *data, const uint8_t *end, uint64_t seed);

struct bench_row {
    const char *name;
    enum row_kind kind;
    enum row_input input;
    void (*body)(struct ops_prog *p);
    const uint8_t *pkt; /* the packet handed to every engine (also carries the seed) */
    size_t pkt_len;
    uint64_t seed;
    bench_native_fn native;
    unsigned needs;
    const char *filter; /* ROW_CLASSIC: tcpdump expression */
};

/* Build packets, maps and the row table; returns the row count. */
size_t bench_rows_init(const struct bench_row **rows);

/* Native functions (native.c, compiled separately so calls cannot be inlined). */
uint64_t native_empty(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_xdp_drop(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_parse(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_alu_loop(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_alu_unrolled(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_array_counter(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_hash_counter(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_lpm(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_csum(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_cf_tcp_dst80(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_cf_udp_dns_ntp(const uint8_t *d, const uint8_t *e, uint64_t s);
uint64_t native_cf_net_host_syn(const uint8_t *d, const uint8_t *e, uint64_t s);

/* The ALU rows: iterations and multiplier shared by bytecode and native code. */
#define ALU_ITERS 256
#define ALU_MUL 0x2545F491
#define CSUM_OFF 14
#define CSUM_LEN 64
/* What a classic filter returns on a match (the snap length the bench compiles with). */
#define CLASSIC_SNAPLEN 262144

#endif
