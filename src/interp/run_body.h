/* run_body.h - the interpreter's run loop, included once per variant by run.c with
 *   RUN_NAME  the function name
 *   CHECKED   1: every memory access is tested against the stack, the run's memory and the
 *                vm's regions; a bad one stops the run with -EFAULT and the faulting pc
 *   COUNTED   1: every instruction is counted against opts->insn_budget
 * Dispatch is direct threading with computed goto: each slot holds its handler's address.
 * When called with st == NULL it returns its label table through *labels_out. */

static int RUN_NAME(struct bpfvm_exec *st, const struct interp_insn *code, uint64_t *r0,
                    const void *const **labels_out)
{
    static const void *const labels[IOP__COUNT] = {
#define RUN_LABEL(name) &&L_##name,
        INTERP_OPS(RUN_LABEL)
#undef RUN_LABEL
    };
    if (!st) {
        *labels_out = labels;
        return 0;
    }

    uint64_t reg[ISA_NREGS];
    struct {
        const struct interp_insn *ret;
        uint64_t saved[5]; /* r6-r9, r10 */
    } frames[ISA_MAX_FRAMES];
    int depth = 0;
    const struct interp_insn *ip = code + st->entry_pc;
    struct bpfvm_exec_opts *opts = st->opts;
    const struct bpfvm_vm *vm = st->prog->vm;
#if COUNTED
    uint64_t left = opts->insn_budget;
#endif
    int err;

    for (int i = 0; i < 5; i++)
        reg[i + 1] = st->args[i];
    reg[0] = 0;
    reg[6] = reg[7] = reg[8] = reg[9] = 0;
    reg[10] = st->entry_fp;

#define DST reg[ip->dst]
#define SRC reg[ip->src]
#define IMM ((uint64_t)(int64_t)ip->imm)
#if COUNTED
#define DISPATCH()                                                                            \
    do {                                                                                      \
        if (__builtin_expect(left == 0, 0))                                                   \
            goto budget_out;                                                                  \
        left--;                                                                               \
        goto *ip->h;                                                                          \
    } while (0)
#else
#define DISPATCH() goto *ip->h
#endif
#define NEXT()                                                                                \
    do {                                                                                      \
        ip++;                                                                                 \
        DISPATCH();                                                                           \
    } while (0)
#define JUMP(o)                                                                               \
    do {                                                                                      \
        ip += (o) + 1;                                                                        \
        DISPATCH();                                                                           \
    } while (0)
#if CHECKED
#define MEM_CHECK(addr, size, write)                                                          \
    do {                                                                                      \
        if (__builtin_expect(!exec_mem_ok(st, (addr), (size), (write)), 0)) {               \
            st->fault_addr = (addr);                                                          \
            st->fault_size = (size);                                                          \
            st->fault_write = (write);                                                        \
            goto mem_fault;                                                                   \
        }                                                                                     \
    } while (0)
#define ALIGN_CHECK(addr, size)                                                               \
    do {                                                                                      \
        if (__builtin_expect((addr) & ((size)-1), 0)) {                                       \
            st->fault_addr = (addr);                                                          \
            st->fault_size = (size);                                                          \
            goto align_fault;                                                                 \
        }                                                                                     \
    } while (0)
#else
#define MEM_CHECK(addr, size, write) ((void)0)
#define ALIGN_CHECK(addr, size) ((void)0)
#endif
#define PTR(addr) ((void *)(uintptr_t)(addr))

    DISPATCH();

    /* ---- ALU: d and s are the operands, the expression is the result ---------------------- */
#define ALU64_KX(NAME, EXPR)                                                                  \
    L_##NAME##64_X : {                                                                        \
        uint64_t d = DST, s = SRC;                                                            \
        (void)d;                                                                              \
        DST = (EXPR);                                                                         \
        NEXT();                                                                               \
    }                                                                                         \
    L_##NAME##64_K : {                                                                        \
        uint64_t d = DST, s = IMM;                                                            \
        (void)d;                                                                              \
        DST = (EXPR);                                                                         \
        NEXT();                                                                               \
    }
#define ALU32_KX(NAME, EXPR)                                                                  \
    L_##NAME##32_X : {                                                                        \
        uint32_t d = (uint32_t)DST, s = (uint32_t)SRC;                                        \
        (void)d;                                                                              \
        DST = (uint32_t)(EXPR);                                                               \
        NEXT();                                                                               \
    }                                                                                         \
    L_##NAME##32_K : {                                                                        \
        uint32_t d = (uint32_t)DST, s = (uint32_t)ip->imm;                                    \
        (void)d;                                                                              \
        DST = (uint32_t)(EXPR);                                                               \
        NEXT();                                                                               \
    }

    ALU64_KX(ADD, d + s)
    ALU64_KX(SUB, d - s)
    ALU64_KX(MUL, d * s)
    ALU64_KX(DIV, s ? d / s : 0)
    ALU64_KX(SDIV, interp_sdiv64(d, s))
    ALU64_KX(MOD, s ? d % s : d)
    ALU64_KX(SMOD, interp_smod64(d, s))
    ALU64_KX(OR, d | s)
    ALU64_KX(AND, d & s)
    ALU64_KX(LSH, d << (s & 63))
    ALU64_KX(RSH, d >> (s & 63))
    ALU64_KX(ARSH, (uint64_t)((int64_t)d >> (s & 63)))
    ALU64_KX(XOR, d ^ s)
    ALU64_KX(MOV, s)

    ALU32_KX(ADD, d + s)
    ALU32_KX(SUB, d - s)
    ALU32_KX(MUL, d * s)
    ALU32_KX(DIV, s ? d / s : 0)
    ALU32_KX(SDIV, interp_sdiv32(d, s))
    ALU32_KX(MOD, s ? d % s : d)
    ALU32_KX(SMOD, interp_smod32(d, s))
    ALU32_KX(OR, d | s)
    ALU32_KX(AND, d & s)
    ALU32_KX(LSH, d << (s & 31))
    ALU32_KX(RSH, d >> (s & 31))
    ALU32_KX(ARSH, (uint32_t)((int32_t)d >> (s & 31)))
    ALU32_KX(XOR, d ^ s)
    ALU32_KX(MOV, s)

    /* ---- superinstructions: rX = rY; rX op= K (the second slot's imm is the constant) ----- */
#define MOVX_ALUK(NAME, EXPR)                                                                 \
    L_MOVX_##NAME##K : {                                                                      \
        uint64_t d = SRC, s = (uint64_t)(int64_t)ip[1].imm;                                   \
        DST = (EXPR);                                                                         \
        ip += 2;                                                                              \
        DISPATCH();                                                                           \
    }
    MOVX_ALUK(ADD, d + s)
    MOVX_ALUK(SUB, d - s)
    MOVX_ALUK(AND, d & s)
    MOVX_ALUK(OR, d | s)
    MOVX_ALUK(XOR, d ^ s)
    MOVX_ALUK(LSH, d << (s & 63))
    MOVX_ALUK(RSH, d >> (s & 63))
    MOVX_ALUK(ARSH, (uint64_t)((int64_t)d >> (s & 63)))
    MOVX_ALUK(MUL, d * s)
#undef MOVX_ALUK

L_MOVSX8_64:
    DST = (uint64_t)(int64_t)(int8_t)SRC;
    NEXT();
L_MOVSX16_64:
    DST = (uint64_t)(int64_t)(int16_t)SRC;
    NEXT();
L_MOVSX32_64:
    DST = (uint64_t)(int64_t)(int32_t)SRC;
    NEXT();
L_MOVSX8_32:
    DST = (uint32_t)(int32_t)(int8_t)SRC;
    NEXT();
L_MOVSX16_32:
    DST = (uint32_t)(int32_t)(int16_t)SRC;
    NEXT();
L_NEG64:
    DST = 0 - DST;
    NEXT();
L_NEG32:
    DST = (uint32_t)(0 - (uint32_t)DST);
    NEXT();
L_SWAP16:
    DST = __builtin_bswap16((uint16_t)DST);
    NEXT();
L_SWAP32:
    DST = __builtin_bswap32((uint32_t)DST);
    NEXT();
L_SWAP64:
    DST = __builtin_bswap64(DST);
    NEXT();
L_TRUNC16:
    DST = (uint16_t)DST;
    NEXT();
L_TRUNC32:
    DST = (uint32_t)DST;
    NEXT();
L_NOP:
    NEXT();

    /* ---- jumps ------------------------------------------------------------------------------ */
#define JMP64_KX(NAME, COND)                                                                  \
    L_##NAME##64_X : {                                                                        \
        uint64_t d = DST, s = SRC;                                                            \
        if (COND)                                                                             \
            JUMP(ip->off);                                                                    \
        NEXT();                                                                               \
    }                                                                                         \
    L_##NAME##64_K : {                                                                        \
        uint64_t d = DST, s = IMM;                                                            \
        if (COND)                                                                             \
            JUMP(ip->off);                                                                    \
        NEXT();                                                                               \
    }
#define JMP32_KX(NAME, COND)                                                                  \
    L_##NAME##32_X : {                                                                        \
        uint32_t d = (uint32_t)DST, s = (uint32_t)SRC;                                        \
        if (COND)                                                                             \
            JUMP(ip->off);                                                                    \
        NEXT();                                                                               \
    }                                                                                         \
    L_##NAME##32_K : {                                                                        \
        uint32_t d = (uint32_t)DST, s = (uint32_t)ip->imm;                                    \
        if (COND)                                                                             \
            JUMP(ip->off);                                                                    \
        NEXT();                                                                               \
    }
    JMP64_KX(JEQ, d == s)
    JMP64_KX(JNE, d != s)
    JMP64_KX(JGT, d > s)
    JMP64_KX(JGE, d >= s)
    JMP64_KX(JLT, d < s)
    JMP64_KX(JLE, d <= s)
    JMP64_KX(JSGT, (int64_t)d > (int64_t)s)
    JMP64_KX(JSGE, (int64_t)d >= (int64_t)s)
    JMP64_KX(JSLT, (int64_t)d < (int64_t)s)
    JMP64_KX(JSLE, (int64_t)d <= (int64_t)s)
    JMP64_KX(JSET, d & s)
    JMP32_KX(JEQ, d == s)
    JMP32_KX(JNE, d != s)
    JMP32_KX(JGT, d > s)
    JMP32_KX(JGE, d >= s)
    JMP32_KX(JLT, d < s)
    JMP32_KX(JLE, d <= s)
    JMP32_KX(JSGT, (int32_t)d > (int32_t)s)
    JMP32_KX(JSGE, (int32_t)d >= (int32_t)s)
    JMP32_KX(JSLT, (int32_t)d < (int32_t)s)
    JMP32_KX(JSLE, (int32_t)d <= (int32_t)s)
    JMP32_KX(JSET, d & s)
L_JA:
    JUMP(ip->imm);

    /* ---- loads and stores (memcpy: unaligned access is legal in BPF) ------------------------- */
#define LOAD(TYPE, CAST, ADDRREG)                                                             \
    {                                                                                         \
        uint64_t a = ADDRREG + (int64_t)ip->off;                                              \
        TYPE v;                                                                               \
        MEM_CHECK(a, sizeof(TYPE), false);                                                    \
        memcpy(&v, PTR(a), sizeof(TYPE));                                                     \
        DST = (uint64_t)(CAST)v;                                                              \
        NEXT();                                                                               \
    }
#define STORE(TYPE, VALUE)                                                                    \
    {                                                                                         \
        uint64_t a = DST + (int64_t)ip->off;                                                  \
        TYPE v = (TYPE)(VALUE);                                                               \
        MEM_CHECK(a, sizeof(TYPE), true);                                                     \
        memcpy(PTR(a), &v, sizeof(TYPE));                                                     \
        NEXT();                                                                               \
    }
L_LDXB:
    LOAD(uint8_t, uint64_t, SRC)
L_LDXH:
    LOAD(uint16_t, uint64_t, SRC)
L_LDXW:
    LOAD(uint32_t, uint64_t, SRC)
L_LDXDW:
    LOAD(uint64_t, uint64_t, SRC)
L_LDXSB:
    LOAD(int8_t, int64_t, SRC)
L_LDXSH:
    LOAD(int16_t, int64_t, SRC)
L_LDXSW:
    LOAD(int32_t, int64_t, SRC)
L_STB:
    STORE(uint8_t, ip->imm)
L_STH:
    STORE(uint16_t, ip->imm)
L_STW:
    STORE(uint32_t, ip->imm)
L_STDW:
    STORE(uint64_t, IMM)
L_STXB:
    STORE(uint8_t, SRC)
L_STXH:
    STORE(uint16_t, SRC)
L_STXW:
    STORE(uint32_t, SRC)
L_STXDW:
    STORE(uint64_t, SRC)

    /* ---- atomics ---------------------------------------------------------------------------- */
#define ATOMIC_PTR(TYPE)                                                                      \
    uint64_t a = DST + (int64_t)ip->off;                                                      \
    MEM_CHECK(a, sizeof(TYPE), true);                                                         \
    ALIGN_CHECK(a, sizeof(TYPE));                                                             \
    TYPE *p = PTR(a)
#define ATOMIC_RMW(NAME, W, TYPE, FN, FETCH)                                                  \
    L_##NAME##W : {                                                                           \
        ATOMIC_PTR(TYPE);                                                                     \
        TYPE old = FN(p, (TYPE)SRC, __ATOMIC_SEQ_CST);                                        \
        if (FETCH)                                                                            \
            SRC = old;                                                                        \
        NEXT();                                                                               \
    }
#define ATOMIC_FAMILY(W, TYPE)                                                                \
    ATOMIC_RMW(AADD, W, TYPE, __atomic_fetch_add, 0)                                          \
    ATOMIC_RMW(AOR, W, TYPE, __atomic_fetch_or, 0)                                            \
    ATOMIC_RMW(AAND, W, TYPE, __atomic_fetch_and, 0)                                          \
    ATOMIC_RMW(AXOR, W, TYPE, __atomic_fetch_xor, 0)                                          \
    ATOMIC_RMW(AFADD, W, TYPE, __atomic_fetch_add, 1)                                         \
    ATOMIC_RMW(AFOR, W, TYPE, __atomic_fetch_or, 1)                                           \
    ATOMIC_RMW(AFAND, W, TYPE, __atomic_fetch_and, 1)                                         \
    ATOMIC_RMW(AFXOR, W, TYPE, __atomic_fetch_xor, 1)                                         \
    ATOMIC_RMW(AXCHG, W, TYPE, __atomic_exchange_n, 1)                                        \
    L_ACMPXCHG##W : {                                                                         \
        ATOMIC_PTR(TYPE);                                                                     \
        TYPE expected = (TYPE)reg[0];                                                         \
        __atomic_compare_exchange_n(p, &expected, (TYPE)SRC, false, __ATOMIC_SEQ_CST,         \
                                    __ATOMIC_SEQ_CST);                                        \
        reg[0] = expected;                                                                    \
        NEXT();                                                                               \
    }
    ATOMIC_FAMILY(32, uint32_t)
    ATOMIC_FAMILY(64, uint64_t)

#define LOAD_ACQ(NAME, TYPE)                                                                  \
    L_##NAME : {                                                                              \
        uint64_t a = SRC + (int64_t)ip->off;                                                  \
        MEM_CHECK(a, sizeof(TYPE), false);                                                    \
        ALIGN_CHECK(a, sizeof(TYPE));                                                         \
        DST = __atomic_load_n((TYPE *)PTR(a), __ATOMIC_ACQUIRE);                              \
        NEXT();                                                                               \
    }
#define STORE_REL(NAME, TYPE)                                                                 \
    L_##NAME : {                                                                              \
        uint64_t a = DST + (int64_t)ip->off;                                                  \
        MEM_CHECK(a, sizeof(TYPE), true);                                                     \
        ALIGN_CHECK(a, sizeof(TYPE));                                                         \
        __atomic_store_n((TYPE *)PTR(a), (TYPE)SRC, __ATOMIC_RELEASE);                        \
        NEXT();                                                                               \
    }
    LOAD_ACQ(LDACQB, uint8_t)
    LOAD_ACQ(LDACQH, uint16_t)
    LOAD_ACQ(LDACQW, uint32_t)
    LOAD_ACQ(LDACQDW, uint64_t)
    STORE_REL(STRELB, uint8_t)
    STORE_REL(STRELH, uint16_t)
    STORE_REL(STRELW, uint32_t)
    STORE_REL(STRELDW, uint64_t)

L_LDDW:
    DST = ip[1].imm64;
    ip += 2;
    DISPATCH();

    /* ---- legacy packet loads: big-endian; out of bounds ends the program with r0 = 0 ---------- */
#define LD_PKT(NAME, SIZE, OFFSET)                                                            \
    L_##NAME : {                                                                              \
        const uint8_t *p = exec_pkt_ptr(opts, (OFFSET), SIZE);                              \
        if (!p)                                                                               \
            goto pkt_out_of_bounds;                                                           \
        reg[0] = SIZE == 1 ? p[0]                                                             \
                 : SIZE == 2 ? (uint64_t)((p[0] << 8) | p[1])                                 \
                             : ((uint64_t)p[0] << 24) | ((uint64_t)p[1] << 16) |              \
                                   ((uint64_t)p[2] << 8) | p[3];                              \
        NEXT();                                                                               \
    }
    LD_PKT(LDABSB, 1, ip->imm)
    LD_PKT(LDABSH, 2, ip->imm)
    LD_PKT(LDABSW, 4, ip->imm)
    LD_PKT(LDINDB, 1, (int32_t)((uint32_t)SRC + (uint32_t)ip->imm))
    LD_PKT(LDINDH, 2, (int32_t)((uint32_t)SRC + (uint32_t)ip->imm))
    LD_PKT(LDINDW, 4, (int32_t)((uint32_t)SRC + (uint32_t)ip->imm))

    /* ---- calls ------------------------------------------------------------------------------ */
L_CALL: {
    bpfvm_helper_fn fn = vm_helper_fn(vm, (uint32_t)ip->imm);
    if (__builtin_expect(!fn, 0))
        goto bad_call;
    uint64_t ctx = reg[1];
    st->cur_fp = reg[10];
    reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5], st);
    if (__builtin_expect(st->tail_next != NULL, 0) && ip->imm == EXEC_TAIL_CALL_HELPER) {
        st->tail_ctx = ctx;
        return EXEC_TAIL;
    }
    if (__builtin_expect(st->pending_err != 0, 0))
        return st->pending_err; /* a callback failed; its message and pc are set */
    NEXT();
}
L_CALL_LOCAL: {
    const struct interp_insn *target = ip + ip->imm + 1;
    if (depth + 1 >= ISA_MAX_FRAMES || reg[10] - ISA_STACK_SIZE < st->stack_lo)
        goto too_deep;
    frames[depth].ret = ip + 1;
    memcpy(frames[depth].saved, &reg[6], sizeof(frames[depth].saved));
    depth++;
    reg[10] -= ISA_STACK_SIZE;
    ip = target;
    DISPATCH();
}
L_CALLX: {
    uint64_t v = DST;
    uintptr_t base = (uintptr_t)st->prog->insns;
    size_t cnt = st->prog->cnt;
    if (v >= base && v < base + cnt * 8 && (v - base) % 8 == 0) {
        const struct interp_insn *target = code + (v - base) / 8;
        /* same frame push as a local call */
        if (depth + 1 >= ISA_MAX_FRAMES || reg[10] - ISA_STACK_SIZE < st->stack_lo)
            goto too_deep;
        frames[depth].ret = ip + 1;
        memcpy(frames[depth].saved, &reg[6], sizeof(frames[depth].saved));
        depth++;
        reg[10] -= ISA_STACK_SIZE;
        ip = target;
        DISPATCH();
    }
    bpfvm_helper_fn fn = v <= UINT32_MAX ? vm_helper_fn(vm, v) : NULL;
    if (!fn)
        goto bad_callx;
    st->cur_fp = reg[10];
    reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5], st);
    if (__builtin_expect(st->pending_err != 0, 0))
        return st->pending_err;
    NEXT();
}
L_EXIT:
    if (depth == 0) {
        *r0 = reg[0];
#if COUNTED
        opts->insns_executed = opts->insn_budget - left;
#endif
        return 0;
    }
    depth--;
    memcpy(&reg[6], frames[depth].saved, sizeof(frames[depth].saved));
    ip = frames[depth].ret;
    DISPATCH();
pkt_out_of_bounds:
    reg[0] = 0;
    depth = 0;
    goto L_EXIT;
L_MAY_GOTO:
    if (st->may_goto_left == 0)
        JUMP(ip->off);
    st->may_goto_left--;
    NEXT();
L_FALLOFF:
    err = vm_errorf(opts->errbuf, opts->errbuf_len, EINVAL,
                    "pc %ld: fell off the end of the program", (long)(ip - code));
    goto fail;

    /* ---- faults ----------------------------------------------------------------------------- */
bad_call:
    err = vm_errorf(opts->errbuf, opts->errbuf_len, EINVAL, "pc %ld: call to unknown helper %d",
                    (long)(ip - code), ip->imm);
    goto fail;
bad_callx:
    err = vm_errorf(opts->errbuf, opts->errbuf_len, EINVAL,
                    "pc %ld: callx r%d = 0x%llx is neither a helper nor a function",
                    (long)(ip - code), ip->dst, (unsigned long long)DST);
    goto fail;
too_deep:
    err = vm_errorf(opts->errbuf, opts->errbuf_len, E2BIG,
                    "pc %ld: call nests deeper than %d frames", (long)(ip - code), ISA_MAX_FRAMES);
    goto fail;
#if CHECKED
mem_fault:
    err = vm_errorf(opts->errbuf, opts->errbuf_len, EFAULT,
                    "pc %ld: invalid %s of %d bytes at 0x%llx", (long)(ip - code),
                    st->fault_write ? "write" : "read", st->fault_size,
                    (unsigned long long)st->fault_addr);
    goto fail;
align_fault:
    err = vm_errorf(opts->errbuf, opts->errbuf_len, EFAULT,
                    "pc %ld: misaligned atomic access of %d bytes at 0x%llx", (long)(ip - code),
                    st->fault_size, (unsigned long long)st->fault_addr);
    goto fail;
#endif
#if COUNTED
budget_out:
    err = vm_errorf(opts->errbuf, opts->errbuf_len, ETIME,
                    "pc %ld: instruction budget of %llu exhausted", (long)(ip - code),
                    (unsigned long long)opts->insn_budget);
    opts->insns_executed = opts->insn_budget;
    goto fail;
#endif
fail:
    st->fault_pc = ip - code;
    return err;

#undef DST
#undef SRC
#undef IMM
#undef DISPATCH
#undef NEXT
#undef JUMP
#undef MEM_CHECK
#undef ALIGN_CHECK
#undef PTR
#undef ALU64_KX
#undef ALU32_KX
#undef JMP64_KX
#undef JMP32_KX
#undef LOAD
#undef STORE
#undef ATOMIC_PTR
#undef ATOMIC_RMW
#undef ATOMIC_FAMILY
#undef LOAD_ACQ
#undef STORE_REL
#undef LD_PKT
}
