/* mem.h - the memory section of the benchmark report. */
#ifndef BENCH_MEM_H
#define BENCH_MEM_H
#include <stdio.h>
void bench_mem_report(FILE *out);
#endif
