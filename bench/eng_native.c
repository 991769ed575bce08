/* eng_native.c - the native engine: the row's C function called through a function pointer
 * the compiler cannot see through, so every call is a real call. */
#include "engine.h"

static int native_init(char *why, size_t len)
{
    (void)why, (void)len;
    return 0;
}

static int native_prepare(const struct bench_row *row, void **h, char *why, size_t len)
{
    (void)why, (void)len;
    *h = (void *)row;
    return 0;
}

static int native_run(void *h, const struct bench_row *row, uint64_t n, uint64_t *r0)
{
    (void)h;
    bench_native_fn volatile fn = row->native;
    const uint8_t *d = row->pkt, *e = row->pkt ? row->pkt + row->pkt_len : NULL;
    uint64_t r = 0;
    for (uint64_t i = 0; i < n; i++)
        r = fn(d, e, row->seed);
    *r0 = r;
    return 0;
}

static void native_release(void *h) { (void)h; }

const struct bench_engine engine_native = {"native", "native", 64, native_init, native_prepare,
                                           native_run, native_release};
