/* test_asm.c - assembler and disassembler: hand-written text -> bytes in both syntaxes, a round
 * trip (disassemble, reassemble, compare bytes) over every valid opcode/field combination of the
 * eBPF ISA, raw `.8byte` fallback for invalid slots, all bpf_conformance files, error messages,
 * and random/mutated text that must never crash.
 *
 * Extensions beyond the upstream syntaxes (both directions, tested below):
 *   conformance: ldabs{b,h,w} IMM, ldind{b,h,w} %rS, IMM, ldacq{b,h,w,dw} %rD, [%rS+off],
 *     strel{b,h,w,dw} [%rD+off], %rS, call runtime ID[, OFF] (kfunc), may_goto T,
 *     addr_space_cast %rD, %rS, DST_AS, SRC_AS, lddw %rD, map_fd N | map_value N, OFF |
 *     btf_id ID[, FD] | func T | map_idx N | map_idx_value N, OFF
 *   llvm: call kfunc ID[, OFF], call pc+N, r1 = map[fd:N] ll, map[fd:N][0]+OFF, map[idx:N],
 *     map[idx:N][0]+OFF, btf_id[ID], btf_id[ID][fd:FD], func[pc+N] / func[label]
 *   both: `.8byte 0x<little-endian 64-bit slot>` for a slot no mnemonic can express. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/asm.h"
#include "isa/isa.h"
#include "testlib.h"

/* ------------------------------------------------------------------ helpers */

static uint64_t slot_u64(const struct bpfvm_insn *in)
{
    uint8_t b[8];
    uint64_t v = 0;
    isa_encode(in, b);
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static int same_insns(const struct bpfvm_insn *a, const struct bpfvm_insn *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (slot_u64(&a[i]) != slot_u64(&b[i]))
            return 0;
    return 1;
}

/* Assemble text and compare with the expected 64-bit slot values. */
static void check_asm(enum bpfvm_syntax syn, const char *text, const uint64_t *want, size_t nwant)
{
    struct bpfvm_insn *in = NULL;
    size_t cnt = 0;
    char err[256];
    int rc = bpfvm_asm(text, syn, &in, &cnt, err, sizeof(err));
    CHECKF(rc == 0, "'%s': %s", text, err);
    if (rc == 0) {
        int ok = cnt == nwant;
        for (size_t i = 0; ok && i < cnt; i++)
            ok = slot_u64(&in[i]) == want[i];
        CHECKF(ok, "'%s': got %zu slots, first 0x%016llx, want 0x%016llx", text, cnt,
               cnt ? (unsigned long long)slot_u64(&in[0]) : 0ull, (unsigned long long)want[0]);
    }
    free(in);
}

#define ASM1(syn, text, v) do { uint64_t w_[] = {v}; check_asm(syn, text, w_, 1); } while (0)
#define ASM2(syn, text, a, b) do { uint64_t w_[] = {a, b}; check_asm(syn, text, w_, 2); } while (0)

/* Slot value from fields, as the raw section writes it. */
static uint64_t S(int code, int dst, int src, int off, int32_t imm)
{
    struct bpfvm_insn in = isa_make((uint8_t)code, dst, src, off, imm);
    return slot_u64(&in);
}

static void check_error(enum bpfvm_syntax syn, const char *text, const char *want_substr)
{
    struct bpfvm_insn *in = (struct bpfvm_insn *)1;
    size_t cnt = 99;
    char err[256];
    int rc = bpfvm_asm(text, syn, &in, &cnt, err, sizeof(err));
    CHECKF(rc == -EINVAL, "'%s' should fail", text);
    CHECKF(in == NULL && cnt == 0, "'%s': outputs not cleared", text);
    CHECKF(strstr(err, want_substr) != NULL, "'%s': message '%s' lacks '%s'", text, err,
           want_substr);
    if (rc == 0)
        free(in);
}

/* ------------------------------------------------------------------ hand-written cases */

static void test_llvm_cases(void)
{
    enum bpfvm_syntax L = BPFVM_SYNTAX_LLVM;
    ASM1(L, "r0 = 1", S(0xb7, 0, 0, 0, 1));
    ASM1(L, "w0 = w1", S(0xbc, 0, 1, 0, 0));
    ASM1(L, "r0 += r1", S(0x0f, 0, 1, 0, 0));
    ASM1(L, "w0 -= 5", S(0x14, 0, 0, 0, 5));
    ASM1(L, "r0 s/= r1", S(0x3f, 0, 1, 1, 0));
    ASM1(L, "r0 s%= 3", S(0x97, 0, 0, 1, 3));
    ASM1(L, "r0 s>>= 3", S(0xc7, 0, 0, 0, 3));
    ASM1(L, "w2 <<= w3", S(0x6c, 2, 3, 0, 0));
    ASM1(L, "r0 = -r0", S(0x87, 0, 0, 0, 0));
    ASM1(L, "w4 = -w4", S(0x84, 4, 0, 0, 0));
    ASM1(L, "r1 = (s8)r2", S(0xbf, 1, 2, 8, 0));
    ASM1(L, "w1 = (s16)w2", S(0xbc, 1, 2, 16, 0));
    ASM1(L, "r1 = (s32)r2", S(0xbf, 1, 2, 32, 0));
    ASM1(L, "r0 = be16 r0", S(0xdc, 0, 0, 0, 16));
    ASM1(L, "r0 = le32 r0", S(0xd4, 0, 0, 0, 32));
    ASM1(L, "r0 = bswap64 r0", S(0xd7, 0, 0, 0, 64));
    ASM1(L, "r0 = *(u32 *)(r1 + 4)", S(0x61, 0, 1, 4, 0));
    ASM1(L, "r0 = *(s16 *)(r1 - 2)", S(0x89, 0, 1, -2, 0));
    ASM1(L, "r0 = *(u64 *)(r10 -8)", S(0x79, 0, 10, -8, 0));
    ASM1(L, "*(u64 *)(r10 - 8) = r1", S(0x7b, 10, 1, -8, 0));
    ASM1(L, "*(u32 *)(r10 - 8) = 5", S(0x62, 10, 0, -8, 5));
    ASM1(L, "*(u8 *)(r1 + 0x10) = -1", S(0x72, 1, 0, 16, -1));
    ASM1(L, "lock *(u64 *)(r10 - 8) += r1", S(0xdb, 10, 1, -8, 0));
    ASM1(L, "lock *(u32 *)(r10 - 8) |= w1", S(0xc3, 10, 1, -8, 0x40));
    ASM1(L, "r0 = atomic_fetch_add((u64 *)(r10 - 8), r0)", S(0xdb, 10, 0, -8, 1));
    ASM1(L, "w2 = atomic_fetch_and((u32 *)(r10 - 8), w2)", S(0xc3, 10, 2, -8, 0x51));
    ASM1(L, "r2 = atomic64_fetch_xor((u64 *)(r10 -8), r2)", S(0xdb, 10, 2, -8, 0xa1));
    ASM1(L, "r0 = xchg_64(r10 - 8, r0)", S(0xdb, 10, 0, -8, 0xe1));
    ASM1(L, "w0 = xchg32_32(r10 - 8, w0)", S(0xc3, 10, 0, -8, 0xe1));
    ASM1(L, "r0 = cmpxchg_64(r10 - 8, r0, r1)", S(0xdb, 10, 1, -8, 0xf1));
    ASM1(L, "w0 = cmpxchg32_32(r10 - 8, w0, w1)", S(0xc3, 10, 1, -8, 0xf1));
    ASM1(L, "r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)", S(0xdb, 10, 1, -8, 0xf1));
    ASM1(L, "r3 = atomic64_xchg((u64 *)(r10 -8), r3)", S(0xdb, 10, 3, -8, 0xe1));
    ASM1(L, "r0 = load_acquire((u64 *)(r1 + 0))", S(0xdb, 0, 1, 0, 0x100));
    ASM1(L, "w0 = load_acquire((u8 *)(r1 + 2))", S(0xd3, 0, 1, 2, 0x100));
    ASM1(L, "store_release((u64 *)(r1 + 0), r2)", S(0xdb, 1, 2, 0, 0x110));
    ASM1(L, "store_release((u16 *)(r1 - 4), w2)", S(0xcb, 1, 2, -4, 0x110));
    ASM1(L, "if r1 > 0x10 goto +3", S(0x25, 1, 0, 3, 16));
    ASM1(L, "if w1 s< w2 goto -1", S(0xce, 1, 2, -1, 0));
    ASM1(L, "if r1 & 0x4 goto +2", S(0x45, 1, 0, 2, 4));
    ASM1(L, "if r1 != -1 goto pc+2", S(0x55, 1, 0, 2, -1));
    ASM1(L, "if r1 == 0xffffffff goto pc+2", S(0x15, 1, 0, 2, -1));
    ASM1(L, "if r3 s>= r4 goto +0", S(0x7d, 3, 4, 0, 0));
    ASM1(L, "goto +5", S(0x05, 0, 0, 5, 0));
    ASM1(L, "goto pc-1", S(0x05, 0, 0, -1, 0));
    ASM1(L, "gotol +5", S(0x06, 0, 0, 0, 5));
    ASM1(L, "may_goto +7", S(0xe5, 0, 0, 7, 0));
    ASM1(L, "call 1", S(0x85, 0, 0, 0, 1));
    ASM1(L, "call bpf_map_lookup_elem#1", S(0x85, 0, 0, 0, 1));
    ASM1(L, "call pc+3", S(0x85, 0, 1, 0, 3));
    ASM1(L, "call kfunc 1234", S(0x85, 0, 2, 0, 1234));
    ASM1(L, "call kfunc 1234, 2", S(0x85, 0, 2, 2, 1234));
    ASM1(L, "callx r2", S(0x8d, 2, 0, 0, 0));
    ASM1(L, "exit", S(0x95, 0, 0, 0, 0));
    ASM2(L, "r1 = 0x1122334455667788 ll", S(0x18, 1, 0, 0, 0x55667788), S(0, 0, 0, 0, 0x11223344));
    ASM2(L, "r1 = -1 ll", S(0x18, 1, 0, 0, -1), S(0, 0, 0, 0, -1));
    ASM2(L, "r1 = 0x100000000", S(0x18, 1, 0, 0, 0), S(0, 0, 0, 0, 1)); /* too big: lddw */
    ASM2(L, "r1 = map[fd:3] ll", S(0x18, 1, 1, 0, 3), 0);
    ASM2(L, "r1 = map[fd:3][0]+8 ll", S(0x18, 1, 2, 0, 3), S(0, 0, 0, 0, 8));
    ASM2(L, "r1 = btf_id[77]", S(0x18, 1, 3, 0, 77), 0);
    ASM2(L, "r1 = btf_id[77][fd:4] ll", S(0x18, 1, 3, 0, 77), S(0, 0, 0, 0, 4));
    ASM2(L, "r1 = func[pc+3] ll", S(0x18, 1, 4, 0, 3), 0);
    ASM2(L, "r1 = map[idx:0] ll", S(0x18, 1, 5, 0, 0), 0);
    ASM2(L, "r1 = map[idx:2][0]+16 ll", S(0x18, 1, 6, 0, 2), S(0, 0, 0, 0, 16));
    ASM1(L, "r0 = *(u8 *)skb[12]", S(0x30, 0, 0, 0, 12));
    ASM1(L, "r0 = *(u16 *)skb[r1 + 12]", S(0x48, 0, 1, 0, 12));
    ASM1(L, "r0 = *(u32 *)skb[r1 - 2]", S(0x40, 0, 1, 0, -2));
    ASM1(L, "r1 = addr_space_cast(r2, 0, 1)", S(0xbf, 1, 2, 1, 1));
    ASM1(L, "r1 = addr_space_cast(r2, 1, 0)", S(0xbf, 1, 2, 1, 0x10000));
    ASM1(L, ".8byte 0x0000000000000095", S(0x95, 0, 0, 0, 0));
    ASM1(L, "r0 = 1 ; comment", S(0xb7, 0, 0, 0, 1));
    ASM1(L, "r0 = 1 // comment", S(0xb7, 0, 0, 0, 1));
    ASM1(L, "r0 = 1 # comment", S(0xb7, 0, 0, 0, 1));
    /* listings: bpftool / verifier log / llvm-objdump lines */
    ASM1(L, "  12: (b7) r0 = 1  ; R0_w=1", S(0xb7, 0, 0, 0, 1));
    ASM1(L, "       3:\tb7 00 00 00 01 00 00 00\tr0 = 1", S(0xb7, 0, 0, 0, 1));
    ASM2(L, " 4: (18) r1 = 0x5", S(0x18, 1, 0, 0, 5), 0);
    ASM1(L, "       3:\t0a 00 00 00 01 00 00 00\tgoto +1 <LBB0_2>", S(0x05, 0, 0, 1, 0));

    /* labels */
    {
        uint64_t w[] = {S(0x15, 1, 0, 2, 0), S(0xb7, 0, 0, 0, 1), S(0x05, 0, 0, -3, 0),
                        S(0x85, 0, 1, 0, -4), S(0x95, 0, 0, 0, 0)};
        check_asm(L, "top:\nif r1 == 0 goto out\nr0 = 1\ngoto top\nout: call top\nexit\n", w, 5);
    }
    {
        uint64_t w[] = {S(0x18, 2, 4, 0, 2), 0, S(0x95, 0, 0, 0, 0), S(0x06, 0, 0, 0, -1)};
        check_asm(L, "r2 = func[f] ll\nexit\nf:\ngotol f\n", w, 4);
    }
    {
        uint64_t w[] = {S(0x05, 0, 0, 0, 0), S(0x95, 0, 0, 0, 0)};
        check_asm(L, "0000000000000000 <prog>:\n goto next\nnext: exit\n", w, 2);
    }
}

static void test_conf_cases(void)
{
    enum bpfvm_syntax C = BPFVM_SYNTAX_CONFORMANCE;
    ASM1(C, "mov %r0, 1", S(0xb7, 0, 0, 0, 1));
    ASM1(C, "mov32 %r0, 0xffffffff", S(0xb4, 0, 0, 0, -1));
    ASM1(C, "add %r1 %r2", S(0x0f, 1, 2, 0, 0));
    ASM1(C, "neg32 %r3", S(0x84, 3, 0, 0, 0));
    ASM1(C, "sdiv32 %r0, -4", S(0x34, 0, 0, 1, -4));
    ASM1(C, "smod %r1, %r2", S(0x9f, 1, 2, 1, 0));
    ASM1(C, "movsx832 %r0, %r1", S(0xbc, 0, 1, 8, 0));
    ASM1(C, "movsx3264 %r0, %r9", S(0xbf, 0, 9, 32, 0));
    ASM1(C, "be16 %r1", S(0xdc, 1, 0, 0, 16));
    ASM1(C, "le64 %r1", S(0xd4, 1, 0, 0, 64));
    ASM1(C, "bswap32 %r1", S(0xd7, 1, 0, 0, 32));
    ASM1(C, "swap16 %r1", S(0xd7, 1, 0, 0, 16));
    ASM1(C, "ldxw %r0, [%r1+4]", S(0x61, 0, 1, 4, 0));
    ASM1(C, "ldxdw %r0, [%r1]", S(0x79, 0, 1, 0, 0));
    ASM1(C, "ldxb %r8, [%r0+0x1]", S(0x71, 8, 0, 1, 0));
    ASM1(C, "ldxsh %r0, [%r10-2]", S(0x89, 0, 10, -2, 0));
    ASM1(C, "stb [%r10-1], 0xff", S(0x72, 10, 0, -1, 0xff));
    ASM1(C, "stxdw [%r10-8], %r1", S(0x7b, 10, 1, -8, 0));
    ASM1(C, "lock fetch add [%r1+0], %r2", S(0xdb, 1, 2, 0, 1));
    ASM1(C, "lock xor32 [%r10-4], %r1", S(0xc3, 10, 1, -4, 0xa0));
    ASM1(C, "lock xchg [%r10-8], %r1", S(0xdb, 10, 1, -8, 0xe1));
    ASM1(C, "lock cmpxchg32 [%r10-8], %r1", S(0xc3, 10, 1, -8, 0xf1));
    ASM1(C, "ldacqh %r0, [%r1+2]", S(0xcb, 0, 1, 2, 0x100));
    ASM1(C, "streldw [%r1-8], %r3", S(0xdb, 1, 3, -8, 0x110));
    ASM1(C, "ldabsw 12", S(0x20, 0, 0, 0, 12));
    ASM1(C, "ldindb %r1, 12", S(0x50, 0, 1, 0, 12));
    ASM1(C, "jne %r1, %r2, +1", S(0x5d, 1, 2, 1, 0));
    ASM1(C, "jsle32 %r1, -5, -2", S(0xd6, 1, 0, -2, -5));
    ASM1(C, "ja +3", S(0x05, 0, 0, 3, 0));
    ASM1(C, "ja32 -3", S(0x06, 0, 0, 0, -3));
    ASM1(C, "call 5", S(0x85, 0, 0, 0, 5));
    ASM1(C, "call %r2", S(0x8d, 2, 0, 0, 0));
    ASM1(C, "call runtime 7", S(0x85, 0, 2, 0, 7));
    ASM1(C, "call runtime 7, 3", S(0x85, 0, 2, 3, 7));
    ASM1(C, "may_goto +2", S(0xe5, 0, 0, 2, 0));
    ASM1(C, "addr_space_cast %r1, %r2, 0, 1", S(0xbf, 1, 2, 1, 1));
    ASM2(C, "lddw %r0, 0x1122334455667788", S(0x18, 0, 0, 0, 0x55667788),
         S(0, 0, 0, 0, 0x11223344));
    ASM2(C, "lddw %r0, -2", S(0x18, 0, 0, 0, -2), S(0, 0, 0, 0, -1));
    ASM2(C, "lddw %r1, map_fd 3", S(0x18, 1, 1, 0, 3), 0);
    ASM2(C, "lddw %r1, map_value 3, 8", S(0x18, 1, 2, 0, 3), S(0, 0, 0, 0, 8));
    ASM2(C, "lddw %r1, btf_id 9", S(0x18, 1, 3, 0, 9), 0);
    ASM2(C, "lddw %r1, func +1", S(0x18, 1, 4, 0, 1), 0);
    ASM2(C, "lddw %r1, map_idx 1", S(0x18, 1, 5, 0, 1), 0);
    ASM2(C, "lddw %r1, map_idx_value 1, 4", S(0x18, 1, 6, 0, 1), S(0, 0, 0, 0, 4));
    ASM1(C, ".8byte 0x00000000000000ff", S(0xff, 0, 0, 0, 0));
    {
        /* `exit` as an implicit label, call local, labels */
        uint64_t w[] = {S(0x85, 0, 1, 0, 3), S(0x55, 0, 0, 1, 15), S(0x05, 0, 0, 0, 0),
                        S(0x95, 0, 0, 0, 0), S(0xb7, 0, 0, 0, 15), S(0x95, 0, 0, 0, 0)};
        check_asm(C,
                  "call local f\njne %r0, 15, exit # c\nja exit\nexit\nf:\nmov %r0, 15\nexit\n",
                  w, 6);
    }
}

static void test_detect(void)
{
    CHECK(bpfvm_asm_detect("mov %r0, 1\nexit\n") == BPFVM_SYNTAX_CONFORMANCE);
    CHECK(bpfvm_asm_detect("r0 = 1\nexit\n") == BPFVM_SYNTAX_LLVM);
    CHECK(bpfvm_asm_detect("r0 %= r1\n") == BPFVM_SYNTAX_LLVM);
    CHECK(bpfvm_asm_detect("") == BPFVM_SYNTAX_LLVM);
    uint64_t w[] = {S(0xb7, 0, 0, 0, 1)};
    check_asm(BPFVM_SYNTAX_AUTO, "mov %r0, 1", w, 1);
    check_asm(BPFVM_SYNTAX_AUTO, "r0 = 1", w, 1);
}

static void test_errors(void)
{
    enum bpfvm_syntax L = BPFVM_SYNTAX_LLVM, C = BPFVM_SYNTAX_CONFORMANCE;
    check_error(L, "r0 = 1\nfrob r1\n", "line 2: unknown instruction 'frob'");
    check_error(C, "mov %r0, 1\nexit\nfrob %r1\n", "line 3: unknown mnemonic 'frob'");
    check_error(L, "r11 = 1", "line 1: bad register 'r11'");
    check_error(C, "mov %r12, 1", "line 1: bad register");
    check_error(L, "r0 = *(u32 *)(r1 + 40000)", "offset 40000 out of range");
    check_error(C, "ldxw %r0, [%r1-32769]", "out of range");
    check_error(L, "goto +32768", "jump offset 32768 out of range");
    check_error(L, "goto nowhere\nexit", "line 1: undefined label 'nowhere'");
    check_error(C, "ja nowhere\nexit", "line 1: undefined label 'nowhere'");
    check_error(L, "r0 += 0x100000000", "immediate 4294967296 out of range");
    check_error(C, "mov %r0, -2147483649", "out of range");
    check_error(L, "a:\na:\nexit", "line 2: duplicate label 'a'");
    check_error(L, "", "no instructions");
    check_error(L, "; only a comment\n", "no instructions");
    check_error(L, "r0 = r1 r2", "unexpected text");
    check_error(L, "w0 = r1", "mixed");
    check_error(L, "r0 = *(u64 *)(r1 + 0", "expected ')'");
    check_error(L, "r1 = -r2", "must be the same");
    check_error(L, "r1 = cmpxchg_64(r10 - 8, r1, r2)", "r0");
    check_error(L, "r0 = 0x1ffffffffffffffff ll", "too large");
    check_error(L, "r0 = 12abc", "bad number");
    check_error(L, "r0 = 1 @", "unexpected character '@'");
    check_error(L, "r1 = *(s64 *)(r2 + 0)", "sign-extending");
    check_error(C, "lddw %r1, map_foo 3", "expected a number or map_fd");
    check_error(L, "exit\nexit\n  if r1 == r2 goto x", "line 3:");
    check_error(L, "r0 = *(u16 *)skb[r1 + 4294967296]", "out of range");
    check_error(L, "r0 = *(u16 *)skb[r1 + 99999999999999999999]", "too large");

    /* A long line is an error, not an overflow. */
    char big[4096];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "r0 ");
    check_error(L, big, "too long");

    /* NULL arguments */
    struct bpfvm_insn *in;
    size_t cnt;
    CHECK(bpfvm_asm(NULL, L, &in, &cnt, NULL, 0) == -EINVAL);
    CHECK(bpfvm_asm("exit", L, NULL, &cnt, NULL, 0) == -EINVAL);
    CHECK(bpfvm_asm("frob", L, &in, &cnt, NULL, 0) == -EINVAL);
}

/* ------------------------------------------------------------------ all valid encodings */

struct gen {
    struct bpfvm_insn *v;
    size_t n, cap;
    int regs; /* rotating register counter */
    uint8_t opcodes[256];
};

static void gen_push(struct gen *g, int code, int dst, int src, int off, int32_t imm)
{
    if (g->n + 2 > g->cap) {
        g->cap = g->cap ? g->cap * 2 : 1024;
        g->v = realloc(g->v, g->cap * sizeof(*g->v));
        if (!g->v)
            abort();
    }
    g->v[g->n++] = isa_make((uint8_t)code, dst, src, off, imm);
    g->opcodes[code & 0xff] = 1;
}

static int gen_reg(struct gen *g) { return g->regs++ % 11; }

static const int32_t gen_imms[] = {0, 1, -1, 7, 0x7fffffff, INT32_MIN, 0x12345678, -4096};
static const int gen_offs[] = {0, 1, -1, 8, -512, 32767, -32768, 100};
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Every valid opcode/field combination (RFC 9669 + Linux 6.18), with varied operands. */
static void gen_all(struct gen *g)
{
    static const int alu_ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH,
                                  BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH};
    static const int jcc[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
                              BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE};
    static const int sizes[] = {BPF_W, BPF_H, BPF_B, BPF_DW};
    static const int aops[] = {BPF_ADD, BPF_OR, BPF_AND, BPF_XOR};

    for (int c = 0; c < 2; c++) {
        int cls = c ? BPF_ALU64 : BPF_ALU;
        for (int i = 0; i < NELEM(alu_ops); i++) {
            int op = alu_ops[i];
            for (int k = 0; k < NELEM(gen_imms); k++) {
                gen_push(g, cls | op | BPF_K, gen_reg(g), 0, 0, gen_imms[k]);
                if (op == BPF_DIV || op == BPF_MOD)
                    gen_push(g, cls | op | BPF_K, gen_reg(g), 0, 1, gen_imms[k]);
            }
            for (int r = 0; r < 11; r++) {
                gen_push(g, cls | op | BPF_X, r, gen_reg(g), 0, 0);
                if (op == BPF_DIV || op == BPF_MOD)
                    gen_push(g, cls | op | BPF_X, r, gen_reg(g), 1, 0);
            }
        }
        for (int r = 0; r < 11; r++) {
            gen_push(g, cls | BPF_NEG, r, 0, 0, 0);
            gen_push(g, cls | BPF_MOV | BPF_X, r, gen_reg(g), 8, 0);
            gen_push(g, cls | BPF_MOV | BPF_X, r, gen_reg(g), 16, 0);
            if (cls == BPF_ALU64) {
                gen_push(g, cls | BPF_MOV | BPF_X, r, gen_reg(g), 32, 0);
                gen_push(g, cls | BPF_MOV | BPF_X, r, gen_reg(g), 1, 1);
                gen_push(g, cls | BPF_MOV | BPF_X, r, gen_reg(g), 1, 0x10000);
                gen_push(g, cls | BPF_MOV | BPF_X, r, gen_reg(g), 1, -1);
            }
            for (int bits = 16; bits <= 64; bits *= 2) {
                if (cls == BPF_ALU) {
                    gen_push(g, BPF_ALU | BPF_END | BPF_TO_LE, r, 0, 0, bits);
                    gen_push(g, BPF_ALU | BPF_END | BPF_TO_BE, r, 0, 0, bits);
                } else {
                    gen_push(g, BPF_ALU64 | BPF_END, r, 0, 0, bits);
                }
            }
        }
    }
    for (int c = 0; c < 2; c++) {
        int cls = c ? BPF_JMP32 : BPF_JMP;
        for (int i = 0; i < NELEM(jcc); i++) {
            for (int k = 0; k < NELEM(gen_imms); k++)
                gen_push(g, cls | jcc[i] | BPF_K, gen_reg(g), 0, gen_offs[k], gen_imms[k]);
            for (int r = 0; r < 11; r++)
                gen_push(g, cls | jcc[i] | BPF_X, r, gen_reg(g), gen_offs[r % NELEM(gen_offs)], 0);
        }
    }
    for (int k = 0; k < NELEM(gen_offs); k++) {
        gen_push(g, ISA_JA, 0, 0, gen_offs[k], 0);
        gen_push(g, BPF_JMP | BPF_JCOND, 0, 0, gen_offs[k], 0);
        gen_push(g, ISA_JA32, 0, 0, 0, gen_imms[k]);
        gen_push(g, ISA_CALL, 0, 0, 0, gen_imms[k]);
        gen_push(g, ISA_CALL, 0, BPF_PSEUDO_CALL, 0, gen_imms[k]);
        gen_push(g, ISA_CALL, 0, BPF_PSEUDO_KFUNC_CALL, gen_offs[k], gen_imms[k]);
    }
    for (int r = 0; r < 11; r++)
        gen_push(g, ISA_CALLX, r, 0, 0, 0);
    gen_push(g, ISA_EXIT, 0, 0, 0, 0);
    for (int s = 0; s < 4; s++) {
        int sz = sizes[s];
        for (int k = 0; k < NELEM(gen_offs); k++) {
            int off = gen_offs[k];
            gen_push(g, BPF_LDX | BPF_MEM | sz, gen_reg(g), gen_reg(g), off, 0);
            if (sz != BPF_DW)
                gen_push(g, BPF_LDX | BPF_MEMSX | sz, gen_reg(g), gen_reg(g), off, 0);
            gen_push(g, BPF_ST | BPF_MEM | sz, gen_reg(g), 0, off, gen_imms[k]);
            gen_push(g, BPF_STX | BPF_MEM | sz, gen_reg(g), gen_reg(g), off, 0);
            gen_push(g, BPF_STX | BPF_ATOMIC | sz, gen_reg(g), gen_reg(g), off, BPF_LOAD_ACQ);
            gen_push(g, BPF_STX | BPF_ATOMIC | sz, gen_reg(g), gen_reg(g), off, BPF_STORE_REL);
            if (sz == BPF_W || sz == BPF_DW) {
                for (int a = 0; a < NELEM(aops); a++) {
                    gen_push(g, BPF_STX | BPF_ATOMIC | sz, gen_reg(g), gen_reg(g), off, aops[a]);
                    gen_push(g, BPF_STX | BPF_ATOMIC | sz, gen_reg(g), gen_reg(g), off,
                             aops[a] | BPF_FETCH);
                }
                gen_push(g, BPF_STX | BPF_ATOMIC | sz, gen_reg(g), gen_reg(g), off, BPF_XCHG);
                gen_push(g, BPF_STX | BPF_ATOMIC | sz, gen_reg(g), gen_reg(g), off, BPF_CMPXCHG);
            }
            if (sz != BPF_DW) {
                gen_push(g, BPF_LD | BPF_ABS | sz, 0, 0, 0, gen_imms[k]);
                gen_push(g, BPF_LD | BPF_IND | sz, 0, gen_reg(g), 0, gen_imms[k]);
            }
        }
    }
    for (int src = 0; src <= BPF_PSEUDO_MAP_IDX_VALUE; src++) {
        for (int k = 0; k < NELEM(gen_imms); k++) {
            int hi_ok = src == 0 || src == BPF_PSEUDO_MAP_VALUE ||
                        src == BPF_PSEUDO_MAP_IDX_VALUE || src == BPF_PSEUDO_BTF_ID;
            gen_push(g, ISA_LDDW, gen_reg(g), src, 0, gen_imms[k]);
            gen_push(g, 0, 0, 0, 0, hi_ok ? gen_imms[(k + 3) % NELEM(gen_imms)] : 0);
        }
    }
}

/* Disassemble insns[0..n) one by one in `syn`, reassemble each, compare. */
static int roundtrip_each(const struct bpfvm_insn *v, size_t n, enum bpfvm_syntax syn, int *bad)
{
    int fails = 0;
    for (size_t i = 0; i < n;) {
        char line[200], err[256];
        struct bpfvm_insn *out = NULL;
        size_t cnt = 0;
        int r = bpfvm_disasm_insn(v + i, n - i, syn, line, sizeof(line));
        size_t used = r > 0 ? (size_t)r : 1;
        if (r < 0)
            (*bad)++;
        if (bpfvm_asm(line, syn, &out, &cnt, err, sizeof(err)) != 0 || cnt != used ||
            !same_insns(out, v + i, used)) {
            if (fails++ < 10)
                CHECKF(0, "syntax %d slot %zu (0x%016llx): '%s' -> %s", syn, i,
                       (unsigned long long)slot_u64(&v[i]), line,
                       cnt ? "different bytes" : err);
        }
        free(out);
        i += used;
    }
    return fails;
}

/* Whole-program round trip through bpfvm_disasm (plain and numbered). */
static void roundtrip_program(const struct bpfvm_insn *v, size_t n, enum bpfvm_syntax syn,
                              int numbered, const char *what)
{
    char *text = bpfvm_disasm(v, n, syn, numbered);
    struct bpfvm_insn *out = NULL;
    size_t cnt = 0;
    char err[256] = "";
    CHECKF(text != NULL, "%s: disasm failed", what);
    if (!text)
        return;
    int rc = bpfvm_asm(text, syn, &out, &cnt, err, sizeof(err));
    CHECKF(rc == 0 && cnt == n && same_insns(out, v, n), "%s (syntax %d, numbered %d): %s", what,
           syn, numbered, rc ? err : "different bytes");
    free(out);
    free(text);
}

static void test_all_encodings(void)
{
    struct gen g;
    memset(&g, 0, sizeof(g));
    gen_all(&g);
    int nops = 0;
    for (int i = 0; i < 256; i++)
        nops += g.opcodes[i];
    printf("valid encodings generated: %zu slots, %d distinct opcodes\n", g.n, nops);

    for (int s = 1; s <= 2; s++) {
        int bad = 0;
        int fails = roundtrip_each(g.v, g.n, (enum bpfvm_syntax)s, &bad);
        CHECKF(fails == 0, "syntax %d: %d round-trip failures", s, fails);
        CHECKF(bad == 0, "syntax %d: %d valid slots printed raw", s, bad);
        roundtrip_program(g.v, g.n, (enum bpfvm_syntax)s, 0, "all encodings");
        roundtrip_program(g.v, g.n, (enum bpfvm_syntax)s, 1, "all encodings");
    }

    /* Random slots over the whole field space: valid ones must print, invalid ones print raw;
     * both reassemble to the same bytes, and no opcode outside the generated set prints. */
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int printed = 0, raw = 0, stray = 0, rt_fail = 0;
    static const int32_t imms[] = {0, 1, 16, 32, 64, 0x100, 0x110, 0xe1, 0xf1, 0x41, -1};
    struct bpfvm_insn rnd[2];
    for (int iter = 0; iter < 200000; iter++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        uint64_t x = seed;
        rnd[0].code = (uint8_t)x;
        rnd[0].dst_reg = (x >> 8) & 1 ? (x >> 9) & 0xf : (x >> 9) % 11;
        rnd[0].src_reg = (x >> 13) & 1 ? (x >> 14) & 0xf : (x >> 14) % 7;
        rnd[0].off = (x >> 18) & 3 ? (int16_t)((x >> 20) % 3 * 8 * ((x >> 22) & 1))
                                   : (int16_t)(x >> 24);
        rnd[0].imm = (x >> 40) & 3 ? imms[(x >> 42) % NELEM(imms)] : (int32_t)(x >> 32);
        rnd[1] = isa_make(0, 0, 0, 0, (int32_t)(x >> 16));
        if ((x >> 60) & 1)
            rnd[1] = isa_make((uint8_t)(x >> 50), 0, 0, 0, 0);
        size_t avail = (x >> 61) & 1 ? 1 : 2;
        for (int s = 1; s <= 2; s++) {
            char line[200], err[256];
            struct bpfvm_insn *out = NULL;
            size_t cnt = 0;
            int r = bpfvm_disasm_insn(rnd, avail, (enum bpfvm_syntax)s, line, sizeof(line));
            size_t used = r > 0 ? (size_t)r : 1;
            if (r > 0) {
                printed++;
                if (!g.opcodes[rnd[0].code])
                    stray++;
            } else {
                raw++;
                CHECKF(strncmp(line, ".8byte 0x", 9) == 0, "raw form '%s'", line);
            }
            if (bpfvm_asm(line, (enum bpfvm_syntax)s, &out, &cnt, err, sizeof(err)) != 0 ||
                cnt != used || !same_insns(out, rnd, used)) {
                if (rt_fail++ < 10)
                    CHECKF(0, "random slot 0x%016llx syntax %d: '%s' does not round-trip (%s)",
                           (unsigned long long)slot_u64(rnd), s, line, err);
            }
            free(out);
        }
    }
    printf("random slots: %d printed, %d raw\n", printed, raw);
    CHECKF(stray == 0, "%d slots with opcodes outside the ISA printed as instructions", stray);
    CHECK(rt_fail == 0);
    CHECK(printed > 10000 && raw > 10000);

    /* Every opcode outside the generated set prints raw whatever its fields. */
    int wrong = 0;
    for (int code = 0; code < 256; code++) {
        if (g.opcodes[code])
            continue;
        for (int k = 0; k < NELEM(imms); k++) {
            struct bpfvm_insn in[2] = {isa_make((uint8_t)code, 1, 0, 0, imms[k]),
                                       isa_make(0, 0, 0, 0, 0)};
            char line[100];
            if (bpfvm_disasm_insn(in, 2, BPFVM_SYNTAX_LLVM, line, sizeof(line)) != -EINVAL)
                wrong++;
        }
    }
    CHECKF(wrong == 0, "%d unknown-opcode slots printed as instructions", wrong);

    /* Tiny output buffers never overflow and stay terminated. */
    for (size_t len = 1; len < 12; len++) {
        char small[16];
        memset(small, 'X', sizeof(small));
        bpfvm_disasm_insn(&g.v[len * 37 % g.n], 1, BPFVM_SYNTAX_LLVM, small, len);
        CHECK(memchr(small, '\0', len) != NULL && small[len] == 'X');
    }
    free(g.v);
}

static void test_numbered(void)
{
    struct bpfvm_insn p[4] = {isa_make(ISA_LDDW, 1, 0, 0, 5), isa_make(0, 0, 0, 0, 0),
                              isa_make(0xb7, 0, 0, 0, 1), isa_make(ISA_EXIT, 0, 0, 0, 0)};
    char *t = bpfvm_disasm(p, 4, BPFVM_SYNTAX_LLVM, 1);
    CHECK_STR(t, "   0: r1 = 0x5 ll\n   2: r0 = 1\n   3: exit\n");
    free(t);
    t = bpfvm_disasm(p, 4, BPFVM_SYNTAX_CONFORMANCE, 0);
    CHECK_STR(t, "lddw %r1, 0x5\nmov %r0, 1\nexit\n");
    free(t);
    /* truncated lddw: raw slot */
    t = bpfvm_disasm(p, 1, BPFVM_SYNTAX_LLVM, 1);
    CHECK_STR(t, "   0: .8byte 0x0000000500000118\n");
    free(t);
    t = bpfvm_disasm(p, 0, BPFVM_SYNTAX_LLVM, 1);
    CHECK_STR(t, "");
    free(t);
    char buf[64];
    CHECK(bpfvm_disasm_insn(p, 1, BPFVM_SYNTAX_LLVM, buf, sizeof(buf)) == -EINVAL);
    CHECK(bpfvm_disasm_insn(p, 2, BPFVM_SYNTAX_LLVM, buf, sizeof(buf)) == 2);
    CHECK(bpfvm_disasm_insn(p + 2, 2, BPFVM_SYNTAX_LLVM, buf, sizeof(buf)) == 1);
    CHECK(bpfvm_disasm_insn(NULL, 2, BPFVM_SYNTAX_LLVM, buf, sizeof(buf)) == -EINVAL);
}

/* ------------------------------------------------------------------ conformance files */

static const char *conformance_dir(char *buf, size_t len)
{
    const char *env = getenv("BPFVM_CONFORMANCE_DIR");
    if (env && *env)
        return env;
    const char *slash = strrchr(__FILE__, '/');
    int dirlen = slash ? (int)(slash - __FILE__) : 1;
    snprintf(buf, len, "%.*s/../../../shared/conformance/tests", dirlen, slash ? __FILE__ : ".");
    return buf;
}

/* Copy the lines of section `name` (e.g. "asm") of a .data file into a new string. */
static char *data_section(const char *text, const char *name)
{
    size_t cap = strlen(text) + 1, n = 0;
    char *out = malloc(cap);
    int in = 0;
    if (!out)
        return NULL;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        const char *hash = memchr(p, '#', l);
        const char *dash = memmem(p, hash ? (size_t)(hash - p) : l, "--", 2);
        if (dash)
            in = memmem(p, l, name, strlen(name)) != NULL;
        else if (in) {
            memcpy(out + n, p, l);
            n += l;
            out[n++] = '\n';
        }
        p += l + (nl ? 1 : 0);
    }
    out[n] = '\0';
    return out;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_conformance_files(void)
{
    char dbuf[1024];
    const char *dir = conformance_dir(dbuf, sizeof(dbuf));
    DIR *d = opendir(dir);
    CHECKF(d != NULL, "cannot open conformance dir %s (set BPFVM_CONFORMANCE_DIR)", dir);
    if (!d)
        return;
    char *names[1024];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nn < 1024) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".data") == 0)
            names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nn, sizeof(names[0]), name_cmp);

    int ok = 0, raw_ok = 0, rt_ok = 0;
    for (int i = 0; i < nn; i++) {
        char path[2048], err[256];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        char *text = test_read_file(path, NULL);
        CHECKF(text != NULL, "read %s", path);
        if (!text)
            continue;
        char *src = data_section(text, "asm");
        struct bpfvm_insn *in = NULL;
        size_t cnt = 0;
        int rc = bpfvm_asm(src, BPFVM_SYNTAX_CONFORMANCE, &in, &cnt, err, sizeof(err));
        CHECKF(rc == 0, "%s: %s", names[i], err);
        if (rc == 0) {
            ok++;
            if (strstr(src, "%r"))
                CHECKF(bpfvm_asm_detect(src) == BPFVM_SYNTAX_CONFORMANCE, "%s: detect", names[i]);
            char *raw = data_section(text, "raw");
            if (raw && raw[0]) {
                uint64_t want[64];
                size_t nw = 0;
                for (char *p = raw, *q; nw < 64; p = q) {
                    uint64_t v = strtoull(p, &q, 0);
                    if (q == p)
                        break;
                    want[nw++] = v;
                }
                int same = nw == cnt;
                for (size_t k = 0; same && k < cnt; k++)
                    same = slot_u64(&in[k]) == want[k];
                CHECKF(same, "%s: asm differs from the raw section", names[i]);
                raw_ok += same;
            }
            free(raw);
            int rt = 1;
            for (int s = 1; s <= 2; s++) {
                char *t = bpfvm_disasm(in, cnt, (enum bpfvm_syntax)s, s == 1);
                struct bpfvm_insn *back = NULL;
                size_t bc = 0;
                int r2 = t ? bpfvm_asm(t, (enum bpfvm_syntax)s, &back, &bc, err, sizeof(err)) : -1;
                int same = r2 == 0 && bc == cnt && same_insns(back, in, cnt);
                CHECKF(same, "%s: syntax %d round trip: %s", names[i], s, r2 ? err : "bytes");
                rt &= same;
                free(back);
                free(t);
            }
            rt_ok += rt;
        }
        free(in);
        free(src);
        free(text);
        free(names[i]);
    }
    printf("conformance files: %d found, %d assembled, %d raw sections match, %d round-trip\n",
           nn, ok, raw_ok, rt_ok);
    CHECKF(nn == 313, "expected 313 files, found %d", nn);
    CHECK(ok == nn && rt_ok == nn && raw_ok == 1);
}

/* ------------------------------------------------------------------ robustness */

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void) { return test_rng(&rng_state); }

static void try_text(const char *text)
{
    for (int s = 0; s <= 2; s++) {
        struct bpfvm_insn *in = NULL;
        size_t cnt = 0;
        char err[128];
        int rc = bpfvm_asm(text, (enum bpfvm_syntax)s, &in, &cnt, err, sizeof(err));
        if (rc == 0) {
            char *t = bpfvm_disasm(in, cnt, (enum bpfvm_syntax)(s ? s : 1), 0);
            free(t);
        } else if (strncmp(err, "line ", 5) != 0) {
            CHECKF(0, "error message without a line: '%s'", err);
        }
        free(in);
    }
}

static void test_robustness(void)
{
    static const char *seeds[] = {
        "r0 = *(u32 *)(r1 + 4)\nif r1 > 0x10 goto +3\nlock *(u64 *)(r10 - 8) += r1\n"
        "r0 = cmpxchg_64(r10 - 8, r0, r1)\nr1 = map[fd:3][0]+8 ll\nr0 = *(u16 *)skb[r1 + 12]\n"
        "l: call pc+3\ngoto l\nr1 = (s8)r2\nw0 = atomic_fetch_add((u32 *)(r1 + 0), w0)\nexit\n",
        "mov %r0, 1\nldxw %r0, [%r1+4]\nlock fetch add [%r1+0], %r2\nlddw %r1, map_value 3, 8\n"
        "jne %r1, 5, exit\ncall local f\nf: movsx832 %r0, %r1\nbe16 %r0\nexit\n",
    };
    char buf[1024];
    int runs = 0;
    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[iter % 2];
        size_t len = strlen(seed);
        if (iter % 5 == 0) { /* random bytes */
            size_t n = rng() % 200;
            for (size_t i = 0; i < n; i++) {
                buf[i] = (char)(rng() % 255 + 1);
            }
            buf[n] = '\0';
        } else { /* mutations of valid text */
            memcpy(buf, seed, len + 1);
            int muts = 1 + (int)(rng() % 4);
            for (int m = 0; m < muts; m++) {
                size_t at = rng() % len;
                static const char alphabet[] = "r%w0123456789x+-*()[],:=<>&|^!#;/ \n.sbu" "lfe";
                switch (rng() % 3) {
                case 0: buf[at] = alphabet[rng() % (sizeof(alphabet) - 1)]; break;
                case 1: buf[at] = (char)(rng() % 255 + 1); break;
                default: memmove(buf + at, buf + at + 1, len - at); if (len > 1) len--; break;
                }
            }
        }
        try_text(buf);
        runs++;
    }
    printf("robustness: %d texts assembled without crashing\n", runs);
    CHECK(runs == 20000);
}

int main(void)
{
    test_llvm_cases();
    test_conf_cases();
    test_detect();
    test_errors();
    test_numbered();
    test_all_encodings();
    test_conformance_files();
    test_robustness();
    return test_summary();
}
