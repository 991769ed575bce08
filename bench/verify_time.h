/* verify_time.h - the verification-time section of the benchmark report. */
#ifndef BENCH_VERIFY_TIME_H
#define BENCH_VERIFY_TIME_H
#include <stdio.h>
#include "rows.h"
void bench_verify_report(const struct bench_row *rows, size_t nrows, FILE *out);
#endif
