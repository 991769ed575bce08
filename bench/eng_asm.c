/* eng_asm.c - the hand-written x86-64 engine: for rows whose time is one dependency chain,
 * the shortest instruction sequence of that chain written by hand.  It is the floor no code
 * generator can go under on such a row, so a JIT that ties it has nothing left to win there.
 * Only the ALU unrolled row has one (the other rows are bound by calls, loads and branches,
 * where the native C column is the reference). */
#include <stdio.h>
#include <string.h>

#include "engine.h"

#if defined(__x86_64__)
/* x = seed; 256 rounds of x += i; x *= ALU_MUL; x ^= x >> 13: per round add, imul, shr and
 * xor on the chain (the mov is renamed away), as native_alu_unrolled computes it. */
#define ASM_STR2(x) #x
#define ASM_STR(x) ASM_STR2(x)
__asm__(".text\n"
        ".p2align 4\n"
        ".globl bench_asm_alu_unrolled\n"
        ".type bench_asm_alu_unrolled, @function\n"
        "bench_asm_alu_unrolled:\n"
        "  mov %rdx, %rax\n"
        "  .set bench_asm_i, 0\n"
        "  .rept " ASM_STR(ALU_ITERS) "\n"
        "  add $bench_asm_i, %rax\n"
        "  imul $" ASM_STR(ALU_MUL) ", %rax, %rax\n"
        "  mov %rax, %r11\n"
        "  shr $13, %r11\n"
        "  xor %r11, %rax\n"
        "  .set bench_asm_i, bench_asm_i + 1\n"
        "  .endr\n"
        "  ret\n"
        ".size bench_asm_alu_unrolled, .-bench_asm_alu_unrolled\n");
uint64_t bench_asm_alu_unrolled(const uint8_t *d, const uint8_t *e, uint64_t seed);

static const struct {
    const char *row;
    bench_native_fn fn;
} asm_rows[] = {
    {"ALU unrolled 256x", bench_asm_alu_unrolled},
};
#define ASM_NROWS (sizeof(asm_rows) / sizeof(asm_rows[0]))
#else
#define ASM_NROWS 0
#endif

static int asm_init(char *why, size_t len)
{
    (void)why, (void)len;
#if defined(__x86_64__)
    return 0;
#else
    snprintf(why, len, "hand-written code is x86-64 only");
    return -1;
#endif
}

static int asm_prepare(const struct bench_row *row, void **h, char *why, size_t len)
{
    (void)why, (void)len;
#if defined(__x86_64__)
    for (size_t i = 0; i < ASM_NROWS; i++)
        if (!strcmp(asm_rows[i].row, row->name)) {
            *h = (void *)asm_rows[i].fn;
            return 0;
        }
#else
    (void)row, (void)h;
#endif
    return ENGINE_SKIP;
}

static int asm_run(void *h, const struct bench_row *row, uint64_t n, uint64_t *r0)
{
    bench_native_fn volatile fn = (bench_native_fn)h;
    uint64_t r = 0;
    for (uint64_t i = 0; i < n; i++)
        r = fn(row->pkt, row->pkt ? row->pkt + row->pkt_len : NULL, row->seed);
    *r0 = r;
    return 0;
}

static void asm_release(void *h) { (void)h; }

const struct bench_engine engine_hand_asm = {"hand-x86", "hand_x86", 64, asm_init, asm_prepare,
                                             asm_run, asm_release};
