/* opnames.c - tables of eBPF mnemonics and operator spellings for the assembler and the
 * disassembler (one place, so that both directions always agree). */
#include <string.h>
#include "isa/isa.h"
#include "isa/opnames.h"

struct opnames_entry {
    int value;
    const char *conf;
    const char *llvm;
};

static const struct opnames_entry opnames_alu[] = {
    {BPF_ADD, "add", "+="},  {BPF_SUB, "sub", "-="},   {BPF_MUL, "mul", "*="},
    {BPF_DIV, "div", "/="},  {BPF_OR, "or", "|="},     {BPF_AND, "and", "&="},
    {BPF_LSH, "lsh", "<<="}, {BPF_RSH, "rsh", ">>="},  {BPF_NEG, "neg", NULL},
    {BPF_MOD, "mod", "%="},  {BPF_XOR, "xor", "^="},   {BPF_MOV, "mov", "="},
    {BPF_ARSH, "arsh", "s>>="},
};

static const struct opnames_entry opnames_jmp[] = {
    {BPF_JEQ, "jeq", "=="},   {BPF_JGT, "jgt", ">"},    {BPF_JGE, "jge", ">="},
    {BPF_JSET, "jset", "&"},  {BPF_JNE, "jne", "!="},   {BPF_JSGT, "jsgt", "s>"},
    {BPF_JSGE, "jsge", "s>="}, {BPF_JLT, "jlt", "<"},   {BPF_JLE, "jle", "<="},
    {BPF_JSLT, "jslt", "s<"}, {BPF_JSLE, "jsle", "s<="},
};

static const struct opnames_entry opnames_size[] = {
    {BPF_W, "w", "u32"}, {BPF_H, "h", "u16"}, {BPF_B, "b", "u8"}, {BPF_DW, "dw", "u64"},
};

static const struct opnames_entry opnames_atomic[] = {
    {BPF_ADD, "add", "+="}, {BPF_OR, "or", "|="}, {BPF_AND, "and", "&="}, {BPF_XOR, "xor", "^="},
};

static const struct opnames_entry opnames_pseudo[] = {
    {BPF_PSEUDO_MAP_FD, "map_fd", NULL},       {BPF_PSEUDO_MAP_VALUE, "map_value", NULL},
    {BPF_PSEUDO_BTF_ID, "btf_id", NULL},       {BPF_PSEUDO_FUNC, "func", NULL},
    {BPF_PSEUDO_MAP_IDX, "map_idx", NULL},     {BPF_PSEUDO_MAP_IDX_VALUE, "map_idx_value", NULL},
};

#define OPNAMES_N(t) (sizeof(t) / sizeof((t)[0]))

static const struct opnames_entry *opnames_find(const struct opnames_entry *t, size_t n, int v)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].value == v)
            return &t[i];
    return NULL;
}

static int opnames_eq(const char *name, const char *s, size_t len)
{
    return name && strlen(name) == len && memcmp(name, s, len) == 0;
}

static int opnames_lookup(const struct opnames_entry *t, size_t n, int llvm, const char *s,
                          size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (opnames_eq(llvm ? t[i].llvm : t[i].conf, s, len))
            return t[i].value;
    return -1;
}

#define OPNAMES_GETTERS(kind, table, key_t)                                                   \
    const char *opnames_##kind##_conf(key_t v)                                                \
    {                                                                                         \
        const struct opnames_entry *e = opnames_find(table, OPNAMES_N(table), v);             \
        return e ? e->conf : NULL;                                                            \
    }                                                                                         \
    int opnames_##kind##_by_conf(const char *s, size_t len)                                   \
    {                                                                                         \
        return opnames_lookup(table, OPNAMES_N(table), 0, s, len);                            \
    }

OPNAMES_GETTERS(alu, opnames_alu, uint8_t)
OPNAMES_GETTERS(jmp, opnames_jmp, uint8_t)
OPNAMES_GETTERS(atomic, opnames_atomic, int)
OPNAMES_GETTERS(pseudo, opnames_pseudo, int)

const char *opnames_alu_llvm(uint8_t op)
{
    const struct opnames_entry *e = opnames_find(opnames_alu, OPNAMES_N(opnames_alu), op);
    return e ? e->llvm : NULL;
}

int opnames_alu_by_llvm(const char *s, size_t len)
{
    return opnames_lookup(opnames_alu, OPNAMES_N(opnames_alu), 1, s, len);
}

const char *opnames_jmp_llvm(uint8_t op)
{
    const struct opnames_entry *e = opnames_find(opnames_jmp, OPNAMES_N(opnames_jmp), op);
    return e ? e->llvm : NULL;
}

int opnames_jmp_by_llvm(const char *s, size_t len)
{
    return opnames_lookup(opnames_jmp, OPNAMES_N(opnames_jmp), 1, s, len);
}

const char *opnames_atomic_llvm(int op)
{
    const struct opnames_entry *e = opnames_find(opnames_atomic, OPNAMES_N(opnames_atomic), op);
    return e ? e->llvm : NULL;
}

int opnames_atomic_by_llvm(const char *s, size_t len)
{
    return opnames_lookup(opnames_atomic, OPNAMES_N(opnames_atomic), 1, s, len);
}

const char *opnames_size_suffix(uint8_t size)
{
    const struct opnames_entry *e = opnames_find(opnames_size, OPNAMES_N(opnames_size), size);
    return e ? e->conf : "?";
}

const char *opnames_size_type(uint8_t size)
{
    const struct opnames_entry *e = opnames_find(opnames_size, OPNAMES_N(opnames_size), size);
    return e ? e->llvm : "?";
}

int opnames_size_by_suffix(const char *s, size_t len)
{
    return opnames_lookup(opnames_size, OPNAMES_N(opnames_size), 0, s, len);
}

unsigned opnames_size_bits(uint8_t size)
{
    switch (size) {
    case BPF_B: return 8;
    case BPF_H: return 16;
    case BPF_W: return 32;
    default: return 64;
    }
}

int opnames_size_by_bits(unsigned bits)
{
    switch (bits) {
    case 8: return BPF_B;
    case 16: return BPF_H;
    case 32: return BPF_W;
    case 64: return BPF_DW;
    default: return -1;
    }
}
