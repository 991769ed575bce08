/* asm.h - assembler and disassembler for eBPF text.
 *
 * Two syntaxes: the kernel / llvm-objdump one (`r0 = *(u32 *)(r1 + 4)`, `if r1 > 0x10 goto +3`,
 * `lock *(u64 *)(r10 - 8) += r1`, `call 1`) and the bpf_conformance one (`ldxw %r0, [%r1+4]`).
 * Both accept labels (`name:`) as jump and call targets. */
#ifndef BPFVM_ASM_H
#define BPFVM_ASM_H

#include <stddef.h>
#include "bpfvm/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

enum bpfvm_syntax {
    BPFVM_SYNTAX_AUTO = 0,     /* guess from the text (for the assembler) */
    BPFVM_SYNTAX_LLVM = 1,     /* kernel / llvm-objdump: r0 = r1 */
    BPFVM_SYNTAX_CONFORMANCE = 2, /* bpf_conformance: mov %r0, %r1 */
};

/* Guess the syntax of a text: CONFORMANCE when registers are written %rN, else LLVM. */
enum bpfvm_syntax bpfvm_asm_detect(const char *text);

/* Assemble `text`.  On success *insns (malloc'd, free with free()) holds *cnt slots.
 * On error returns -EINVAL and writes "line N: what" to err. */
int bpfvm_asm(const char *text, enum bpfvm_syntax syntax, struct bpfvm_insn **insns, size_t *cnt,
              char *err, size_t errlen);

/* Disassemble the instruction at insns[0] (`avail` slots available, for lddw) into buf.
 * Jumps print relative targets (+N / -N).  Returns the slots consumed (1 or 2), or -EINVAL for
 * an instruction that cannot be printed (buf then holds a `.8byte`-style raw form anyway). */
int bpfvm_disasm_insn(const struct bpfvm_insn *insns, size_t avail, enum bpfvm_syntax syntax,
                      char *buf, size_t buflen);

/* Disassemble a whole program into a malloc'd text, one instruction per line, each prefixed by
 * its slot index ("   0: ") when `numbered` is set.  NULL when out of memory. */
char *bpfvm_disasm(const struct bpfvm_insn *insns, size_t cnt, enum bpfvm_syntax syntax,
                   int numbered);

#ifdef __cplusplus
}
#endif
#endif
