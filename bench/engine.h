/* engine.h - what the bench driver needs from an engine: load a row, run it N times. */
#ifndef BENCH_ENGINE_H
#define BENCH_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include "rows.h"

/* prepare() results besides 0 (ready to run). */
#define ENGINE_NA 1       /* cannot run this row (yet): the note says why */
#define ENGINE_SKIP 2     /* not this engine's kind of row ("-" in the table) */
#define ENGINE_FAIL (-1)  /* should have worked but did not */

struct bench_engine {
    const char *name;  /* column header */
    const char *key;   /* short name for CSV/JSON */
    int result_bits;   /* 64, or 32 when the engine reports a 32-bit r0 */
    /* 0 when present on this machine, else a reason in why (the column becomes "missing"). */
    int (*init)(char *why, size_t len);
    int (*prepare)(const struct bench_row *row, void **h, char *why, size_t len);
    /* Run n times over the row's input; r0 of the last run in *r0.  0 or -errno. */
    int (*run)(void *h, const struct bench_row *row, uint64_t n, uint64_t *r0);
    void (*release)(void *h);
};

/* Build the engine-specific program: prologue for the row's input, then the body.
 * `flavour` chooses the prologue (see prog.c). */
enum prog_flavour { FLAVOUR_REGS, FLAVOUR_DPDK, FLAVOUR_XDP };
void bench_build_prog(const struct bench_row *row, enum prog_flavour flavour,
                      struct ops_prog *out);

extern const struct bench_engine engine_native, engine_bpfvm_interp, engine_bpfvm_checked,
    engine_bpfvm_jit,
    engine_kernel, engine_dpdk_interp, engine_dpdk_jit, engine_libpcap, engine_hand_asm;

/* bpfvm: instructions one run of the row executes (0 when unknown). */
uint64_t bench_bpfvm_insn_count(const struct bench_row *row);

/* libpcap: compile a tcpdump expression for Ethernet into classic instructions (malloc'ed).
 * 0 or -1 with a reason. */
struct bpfvm_cbpf_insn;
int bench_pcap_compile(const char *filter, struct bpfvm_cbpf_insn **out, size_t *cnt, char *why,
                       size_t len);

/* Kernel: mean ns per run that BPF_PROG_TEST_RUN itself reports for the last run batch. */
double bench_kernel_last_duration(void *h);

#endif
