/* check.c - is one instruction a valid encoding?  (Linux 6.18's rules on opcodes, reserved
 * fields and register numbers; the semantic rules belong to the verifier.) */
#include <errno.h>
#include <stdio.h>

#include "isa/isa.h"

#define BAD(...) (snprintf(msg, msglen, __VA_ARGS__), -EINVAL)

static int check_alu(const struct bpfvm_insn *in, char *msg, size_t msglen)
{
    uint8_t op = ISA_OP(in->code), cls = ISA_CLASS(in->code);
    int is64 = cls == BPF_ALU64, x = ISA_SRC(in->code) == BPF_X;

    if (op > BPF_END)
        return BAD("unknown ALU opcode 0x%02x", in->code);
    if (in->dst_reg == 10)
        return BAD("frame pointer r10 is read only");
    if (op == BPF_END) {
        if (is64 && x)
            return BAD("unknown ALU opcode 0x%02x", in->code);
        if (in->src_reg || in->off)
            return BAD("byte swap uses reserved fields");
        if (in->imm != 16 && in->imm != 32 && in->imm != 64)
            return BAD("byte swap width %d is not 16, 32 or 64", in->imm);
        return 0;
    }
    if (op == BPF_NEG) {
        if (x || in->src_reg || in->off || in->imm)
            return BAD("neg uses reserved fields");
        return 0;
    }
    if (x) {
        if (in->imm)
            return BAD("ALU with register source has nonzero imm");
    } else if (in->src_reg) {
        return BAD("ALU with immediate source has nonzero src register");
    }
    if (op == BPF_DIV || op == BPF_MOD) {
        if (in->off != 0 && in->off != 1)
            return BAD("div/mod offset %d is not 0 or 1", in->off);
    } else if (op == BPF_MOV) {
        if (in->off) {
            if (!x)
                return BAD("movsx needs a register source");
            if (in->off != 8 && in->off != 16 && !(is64 && in->off == 32))
                return BAD("movsx width %d is not valid", in->off);
        }
    } else if (in->off) {
        return BAD("ALU uses reserved offset field");
    }
    return 0;
}

static int check_jmp(const struct bpfvm_insn *in, char *msg, size_t msglen)
{
    uint8_t op = ISA_OP(in->code), cls = ISA_CLASS(in->code);
    int x = ISA_SRC(in->code) == BPF_X;

    switch (op) {
    case BPF_JA:
        if (x || in->src_reg || in->dst_reg)
            return BAD("ja uses reserved fields");
        if (cls == BPF_JMP && in->imm)
            return BAD("ja uses reserved imm field");
        if (cls == BPF_JMP32 && in->off)
            return BAD("gotol uses reserved offset field");
        return 0;
    case BPF_CALL:
        if (cls != BPF_JMP)
            return BAD("unknown opcode 0x%02x", in->code);
        if (x) {
            if (in->src_reg || in->off || in->imm)
                return BAD("callx uses reserved fields");
            return 0;
        }
        if (in->dst_reg)
            return BAD("call uses reserved dst field");
        if (in->src_reg > BPF_PSEUDO_KFUNC_CALL)
            return BAD("call with unknown src %d", in->src_reg);
        if (in->off && in->src_reg != BPF_PSEUDO_KFUNC_CALL)
            return BAD("call uses reserved offset field");
        return 0;
    case BPF_EXIT:
        if (cls != BPF_JMP || x || in->src_reg || in->dst_reg || in->off || in->imm)
            return BAD("exit uses reserved fields");
        return 0;
    case BPF_JCOND:
        if (cls != BPF_JMP || x || in->src_reg || in->dst_reg || in->imm)
            return BAD("may_goto uses reserved fields");
        return 0;
    case 0xf0:
        return BAD("unknown opcode 0x%02x", in->code);
    default:
        if (x ? in->imm != 0 : in->src_reg != 0)
            return BAD("conditional jump uses reserved fields");
        return 0;
    }
}

static int check_atomic(const struct bpfvm_insn *in, char *msg, size_t msglen)
{
    uint8_t size = ISA_SIZE(in->code);
    switch (in->imm) {
    case BPF_ADD: case BPF_ADD | BPF_FETCH:
    case BPF_OR: case BPF_OR | BPF_FETCH:
    case BPF_AND: case BPF_AND | BPF_FETCH:
    case BPF_XOR: case BPF_XOR | BPF_FETCH:
    case BPF_XCHG:
    case BPF_CMPXCHG:
        if (size != BPF_W && size != BPF_DW)
            return BAD("atomic operation needs a 32 or 64-bit size");
        return 0;
    case BPF_LOAD_ACQ:
        if (in->dst_reg == 10)
            return BAD("frame pointer r10 is read only");
        return 0;
    case BPF_STORE_REL:
        return 0;
    default:
        return BAD("unknown atomic operation 0x%x", (unsigned)in->imm);
    }
}

int isa_check_insn(const struct bpfvm_insn *in, const struct bpfvm_insn *next, char *msg,
                   size_t msglen)
{
    if (in->dst_reg > 10 || in->src_reg > 10) {
        /* lddw and calls use src for a pseudo kind, not a register; checked below */
        if (in->dst_reg > 10)
            return BAD("invalid register r%d", in->dst_reg);
    }
    switch (ISA_CLASS(in->code)) {
    case BPF_ALU:
    case BPF_ALU64:
        if (in->src_reg > 10)
            return BAD("invalid register r%d", in->src_reg);
        return check_alu(in, msg, msglen);
    case BPF_JMP:
    case BPF_JMP32:
        if (in->src_reg > 10)
            return BAD("invalid register r%d", in->src_reg);
        return check_jmp(in, msg, msglen);
    case BPF_LDX:
        if (in->src_reg > 10)
            return BAD("invalid register r%d", in->src_reg);
        if (in->imm)
            return BAD("load uses reserved imm field");
        if (ISA_MODE(in->code) == BPF_MEMSX) {
            if (ISA_SIZE(in->code) == BPF_DW)
                return BAD("sign-extending load of 8 bytes does not exist");
        } else if (ISA_MODE(in->code) != BPF_MEM) {
            return BAD("unknown load mode 0x%02x", in->code);
        }
        if (in->dst_reg == 10)
            return BAD("frame pointer r10 is read only");
        return 0;
    case BPF_ST:
        if (ISA_MODE(in->code) != BPF_MEM)
            return BAD("unknown store mode 0x%02x", in->code);
        if (in->src_reg)
            return BAD("store of an immediate uses reserved src field");
        return 0;
    case BPF_STX:
        if (in->src_reg > 10)
            return BAD("invalid register r%d", in->src_reg);
        if (ISA_MODE(in->code) == BPF_ATOMIC)
            return check_atomic(in, msg, msglen);
        if (ISA_MODE(in->code) != BPF_MEM)
            return BAD("unknown store mode 0x%02x", in->code);
        if (in->imm)
            return BAD("store uses reserved imm field");
        return 0;
    case BPF_LD:
        if (in->code == ISA_LDDW) {
            if (in->dst_reg == 10)
                return BAD("frame pointer r10 is read only");
            if (in->off)
                return BAD("lddw uses reserved offset field");
            if (in->src_reg > BPF_PSEUDO_MAP_IDX_VALUE)
                return BAD("lddw with unknown pseudo source %d", in->src_reg);
            if (!next)
                return BAD("lddw is missing its second slot");
            if (next->code || next->dst_reg || next->src_reg || next->off)
                return BAD("second slot of lddw uses reserved fields");
            return 0;
        }
        if (ISA_MODE(in->code) == BPF_ABS || ISA_MODE(in->code) == BPF_IND) {
            if (ISA_SIZE(in->code) == BPF_DW)
                return BAD("packet load of 8 bytes does not exist");
            if (in->dst_reg || in->off || (ISA_MODE(in->code) == BPF_ABS && in->src_reg))
                return BAD("packet load uses reserved fields");
            if (in->src_reg > 10)
                return BAD("invalid register r%d", in->src_reg);
            return 0;
        }
        return BAD("unknown opcode 0x%02x", in->code);
    }
    return BAD("unknown opcode 0x%02x", in->code);
}
