/* dis.c - printing programs in kdiff's reports, through bpfvm's own disassembler (kernel
 * syntax, one numbered instruction per line). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/asm.h"
#include "gen.h"

void kdiff_dump(FILE *f, const struct bpfvm_insn *insns, size_t cnt)
{
    char *text = bpfvm_disasm(insns, cnt, BPFVM_SYNTAX_LLVM, 1);
    if (!text) {
        fprintf(f, "    (out of memory printing %zu instructions)\n", cnt);
        return;
    }
    /* indent every line like the rest of the report */
    for (char *line = text, *nl; *line; line = nl ? nl + 1 : line + strlen(line)) {
        nl = strchr(line, '\n');
        fprintf(f, "  %.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
        if (!nl)
            break;
    }
    free(text);
}
