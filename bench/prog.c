/* prog.c - per-engine prologues: every engine runs the same body, entered with the same
 * registers (see rows.h), after a prologue that fits how that engine passes its input. */
#include "engine.h"

void bench_build_prog(const struct bench_row *row, enum prog_flavour flavour,
                      struct ops_prog *out)
{
    out->cnt = 0;
    if (row->input != IN_NONE) {
        switch (flavour) {
        case FLAVOUR_REGS: /* r1 = data, r2 = length (or r1 = seed) */
            if (row->input == IN_PKT)
                ALU64_X(out, A_ADD, 2, 1);
            break;
        case FLAVOUR_DPDK: /* r1 = data only; the length is fixed per load */
            if (row->input == IN_PKT) {
                MOV_X(out, 2, 1);
                ALU64_K(out, A_ADD, 2, (int32_t)row->pkt_len);
            }
            break;
        case FLAVOUR_XDP: /* r1 = struct xdp_md: data at 0, data_end at 4 */
            LDX(out, OP_W, 2, 1, 4);
            LDX(out, OP_W, 1, 1, 0);
            if (row->input == IN_SEED) {
                MOV_X(out, 3, 1);
                ALU64_K(out, A_ADD, 3, 8);
                JMP_X(out, J_LE, 3, 2, 2);
                MOV_K(out, 0, 0);
                EXIT(out);
                LDX(out, OP_DW, 1, 1, 0);
            }
            break;
        }
    }
    row->body(out); /* appends; its jumps are relative */
}
