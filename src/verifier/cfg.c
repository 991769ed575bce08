/* cfg.c - the program's structure before any state is tracked: valid encodings, jump targets,
 * subprogram boundaries and the call graph, reachability (unreachable code is rejected, as in
 * Linux), back-edges in unprivileged mode, register liveness for pruning, and at the end the
 * combined stack size of every call chain. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/verifier.h"

static bool is_pseudo_call(const struct bpfvm_insn *in)
{
    return in->code == ISA_CALL && in->src_reg == BPF_PSEUDO_CALL;
}

static bool is_cond_jmp(const struct bpfvm_insn *in)
{
    uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
    return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_JA && op != BPF_CALL && op != BPF_EXIT;
}

/* Target of a jump (ja, gotol, conditional, may_goto). */
static int jmp_target(const struct bpfvm_insn *in, int i)
{
    if (in->code == ISA_JA32)
        return i + 1 + in->imm;
    return i + 1 + in->off;
}

static int add_subprog(struct venv *env, int start)
{
    for (int i = 0; i < env->nsubprogs; i++)
        if (env->subprogs[i].start == start)
            return 0;
    if (env->nsubprogs >= VERIFIER_MAX_SUBPROGS)
        return verifier_err(env, E2BIG, "too many subprograms");
    env->subprogs[env->nsubprogs++].start = start;
    return 0;
}

static int cmp_subprog(const void *a, const void *b)
{
    return ((const struct vsubprog *)a)->start - ((const struct vsubprog *)b)->start;
}

static int subprog_of(struct venv *env, int insn)
{
    return env->insn_subprog[insn];
}

static int check_structure(struct venv *env)
{
    int cnt = (int)env->cnt;
    char msg[160];
    for (int i = 0; i < cnt; i++) {
        const struct bpfvm_insn *in = &env->insns[i];
        if (isa_check_insn(in, i + 1 < cnt ? in + 1 : NULL, msg, sizeof(msg)))
            return verifier_err(env, EINVAL, "insn %d: %s", i, msg);
        if (isa_is_lddw(in)) {
            env->second_slot[i + 1] = 1;
            i++;
        }
    }
    for (int i = 0; i < cnt; i++) {
        const struct bpfvm_insn *in = &env->insns[i];
        if (env->second_slot[i])
            continue;
        int t = -1;
        if (isa_is_lddw(in) && in->src_reg == BPF_PSEUDO_FUNC)
            t = i + 1 + in->imm;
        else if (is_pseudo_call(in))
            t = i + 1 + in->imm;
        else if (ISA_CLASS(in->code) == BPF_JMP || ISA_CLASS(in->code) == BPF_JMP32) {
            uint8_t op = ISA_OP(in->code);
            if (op == BPF_CALL || op == BPF_EXIT)
                continue;
            t = jmp_target(in, i);
        } else {
            continue;
        }
        if (t < 0 || t >= cnt)
            return verifier_err(env, EINVAL, "jump out of range from insn %d to %d", i, t);
        if (env->second_slot[t])
            return verifier_err(env, EINVAL, "jump into the middle of ldimm64 insn %d", t - 1);
        if (in->code == ISA_CALL && in->src_reg == BPF_PSEUDO_KFUNC_CALL)
            return verifier_err(env, EOPNOTSUPP, "insn %d: kernel function calls are not supported", i);
    }
    return 0;
}

static int find_subprogs(struct venv *env)
{
    int cnt = (int)env->cnt;
    env->nsubprogs = 0;
    add_subprog(env, 0);
    for (int i = 0; i < cnt; i++) {
        const struct bpfvm_insn *in = &env->insns[i];
        if (env->second_slot[i])
            continue;
        int rc = 0;
        if (is_pseudo_call(in)) {
            if (!env->priv)
                return verifier_err(env, EPERM, "function calls to other bpf functions are allowed for CAP_BPF only");
            rc = add_subprog(env, i + 1 + in->imm);
        } else if (isa_is_lddw(in) && in->src_reg == BPF_PSEUDO_FUNC) {
            rc = add_subprog(env, i + 1 + in->imm);
        }
        if (rc)
            return rc;
    }
    qsort(env->subprogs, (size_t)env->nsubprogs, sizeof(env->subprogs[0]), cmp_subprog);
    for (int s = 0; s < env->nsubprogs; s++) {
        env->subprogs[s].end = s + 1 < env->nsubprogs ? env->subprogs[s + 1].start : cnt;
        for (int i = env->subprogs[s].start; i < env->subprogs[s].end; i++)
            env->insn_subprog[i] = s;
    }
    /* jumps stay inside their subprogram; each ends with exit or an unconditional jump */
    for (int s = 0; s < env->nsubprogs; s++) {
        struct vsubprog *sp = &env->subprogs[s];
        for (int i = sp->start; i < sp->end; i++) {
            const struct bpfvm_insn *in = &env->insns[i];
            if (env->second_slot[i])
                continue;
            uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
            if (cls == BPF_JMP || cls == BPF_JMP32) {
                if (op != BPF_CALL && op != BPF_EXIT) {
                    int t = jmp_target(in, i);
                    if (t < sp->start || t >= sp->end)
                        return verifier_err(env, EINVAL, "jump out of range from insn %d to %d", i, t);
                } else if (is_pseudo_call(in) || (isa_is_lddw(in) && in->src_reg == BPF_PSEUDO_FUNC)) {
                    /* handled below */
                }
            }
            if (is_pseudo_call(in) || (isa_is_lddw(in) && in->src_reg == BPF_PSEUDO_FUNC)) {
                int callee = subprog_of(env, i + 1 + in->imm);
                bool dup = false;
                for (int c = 0; c < sp->ncallees; c++)
                    dup |= sp->callees[c] == callee;
                if (!dup)
                    sp->callees[sp->ncallees++] = callee;
            }
        }
        int last = sp->end - 1;
        if (last > sp->start && env->second_slot[last])
            last--;
        const struct bpfvm_insn *in = &env->insns[last];
        if (in->code != ISA_EXIT && in->code != ISA_JA && in->code != ISA_JA32)
            return verifier_err(env, EINVAL, "last insn is not an exit or jmp");
    }
    return 0;
}

/* Depth-first walk of the control flow graph: every instruction reachable; back-edges only for
 * privileged programs (bounded loops need CAP_BPF). */
static int walk_cfg(struct venv *env)
{
    int cnt = (int)env->cnt, rc = 0;
    uint8_t *color = calloc((size_t)cnt, 1); /* 0 new, 1 on the DFS stack, 2 done */
    int *stk = malloc((size_t)cnt * sizeof(int));
    int *edge = calloc((size_t)cnt, sizeof(int)); /* next successor to try */
    if (!color || !stk || !edge) {
        rc = -ENOMEM;
        goto out;
    }
    /* the main program and every subprogram start (callees are also entered via calls) */
    for (int s = 0; s < env->nsubprogs && !rc; s++) {
        int root = env->subprogs[s].start;
        if (color[root])
            continue;
        if (s > 0)
            continue; /* subprograms are reached through their calls or not at all */
        int sp = 0;
        stk[sp++] = root;
        color[root] = 1;
        while (sp && !rc) {
            int i = stk[sp - 1];
            const struct bpfvm_insn *in = &env->insns[i];
            int succ[2], ns = 0;
            uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
            if (isa_is_lddw(in)) {
                succ[ns++] = i + 2;
                if (in->src_reg == BPF_PSEUDO_FUNC)
                    succ[ns++] = i + 1 + in->imm;
            } else if (cls == BPF_JMP || cls == BPF_JMP32) {
                if (op == BPF_EXIT) {
                } else if (op == BPF_CALL) {
                    succ[ns++] = i + 1;
                    if (is_pseudo_call(in))
                        succ[ns++] = i + 1 + in->imm;
                } else if (op == BPF_JA) {
                    succ[ns++] = jmp_target(in, i);
                } else {
                    succ[ns++] = i + 1;
                    succ[ns++] = jmp_target(in, i);
                }
            } else {
                succ[ns++] = i + 1;
            }
            if (edge[i] >= ns) {
                color[i] = 2;
                sp--;
                continue;
            }
            int t = succ[edge[i]++];
            if (t >= cnt) {
                rc = verifier_err(env, EINVAL, "jump out of range from insn %d to %d", i, t);
                break;
            }
            bool call_edge = (edge[i] == 2 && (is_pseudo_call(in) ||
                                               (isa_is_lddw(in) && in->src_reg == BPF_PSEUDO_FUNC)));
            if (color[t] == 1 && !call_edge) {
                if (!env->priv)
                    rc = verifier_err(env, EINVAL, "back-edge from insn %d to %d", i, t);
                continue;
            }
            if (color[t] == 0) {
                color[t] = 1;
                stk[sp++] = t;
            }
        }
    }
    for (int i = 0; i < cnt && !rc; i++) {
        if (env->second_slot[i])
            continue;
        if (!color[i])
            rc = verifier_err(env, EINVAL, "unreachable insn %d", i);
    }
    /* prune points: jump targets, both sides of conditional jumps, after calls */
    for (int i = 0; i < cnt && !rc; i++) {
        const struct bpfvm_insn *in = &env->insns[i];
        if (env->second_slot[i])
            continue;
        uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
        if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_EXIT && op != BPF_CALL) {
            int t = jmp_target(in, i);
            if (t <= i)
                env->prune_point[t] = 2; /* a loop head: always keep a state there */
            else if (!env->prune_point[t])
                env->prune_point[t] = 1;
            if (is_cond_jmp(in)) {
                env->prune_point[i] = op == BPF_JCOND ? 2 : (env->prune_point[i] ? env->prune_point[i] : 1);
                if (i + 1 < cnt && !env->prune_point[i + 1])
                    env->prune_point[i + 1] = 1;
            }
        } else if (op == BPF_CALL && cls == BPF_JMP && i + 1 < cnt) {
            if (!env->prune_point[i + 1])
                env->prune_point[i + 1] = 1;
            if (verifier_is_callback_call(in))
                env->prune_point[i] = 2; /* bpf_loop, for_each: iterations meet here */
        }
    }
out:
    free(color);
    free(stk);
    free(edge);
    return rc;
}

/* ---- liveness: registers that may be read before being written, per instruction ---- */

#define R(n) (1u << (n))
#define ARGS (R(1) | R(2) | R(3) | R(4) | R(5))
#define CALLER_SAVED (R(0) | ARGS)

static void use_def(const struct bpfvm_insn *in, uint16_t *use, uint16_t *def)
{
    uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
    uint16_t d = (uint16_t)R(in->dst_reg), s = (uint16_t)R(in->src_reg & 0xf);
    bool x = ISA_SRC(in->code) == BPF_X;
    *use = *def = 0;
    switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
        if (op == BPF_MOV) {
            *use = x ? s : 0;
        } else {
            *use = d | (x && op != BPF_NEG && op != BPF_END ? s : 0);
        }
        *def = d;
        break;
    case BPF_LDX:
        *use = s;
        *def = d;
        break;
    case BPF_ST:
        *use = d;
        break;
    case BPF_STX:
        *use = d | s;
        if (ISA_MODE(in->code) == BPF_ATOMIC) {
            if (in->imm == BPF_CMPXCHG) {
                *use |= R(0);
                *def = R(0);
            } else if (in->imm == BPF_LOAD_ACQ) {
                *use = s;
                *def = d;
            } else if (in->imm & BPF_FETCH) {
                *def = s;
            }
        }
        break;
    case BPF_LD:
        if (isa_is_lddw(in)) {
            *def = d;
        } else {
            *use = R(6) | (ISA_MODE(in->code) == BPF_IND ? s : 0);
            *def = CALLER_SAVED;
        }
        break;
    default: /* JMP, JMP32 */
        if (op == BPF_EXIT) {
            *use = R(0);
        } else if (op == BPF_CALL) {
            *use = ARGS | (x ? d : 0);
            *def = CALLER_SAVED;
        } else if (op != BPF_JA && op != BPF_JCOND) {
            *use = d | (x ? s : 0);
        }
        break;
    }
}

static int compute_liveness(struct venv *env)
{
    int cnt = (int)env->cnt;
    uint16_t *use = malloc((size_t)cnt * sizeof(uint16_t));
    uint16_t *def = malloc((size_t)cnt * sizeof(uint16_t));
    if (!use || !def) {
        free(use);
        free(def);
        return -ENOMEM;
    }
    for (int i = 0; i < cnt; i++) {
        if (env->second_slot[i]) {
            use[i] = def[i] = 0;
            continue;
        }
        use_def(&env->insns[i], &use[i], &def[i]);
    }
    bool changed = true;
    while (changed) {
        changed = false;
        for (int i = cnt - 1; i >= 0; i--) {
            if (env->second_slot[i])
                continue;
            const struct bpfvm_insn *in = &env->insns[i];
            uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
            uint16_t out = 0;
            if (isa_is_lddw(in)) {
                if (i + 2 < cnt)
                    out = env->live_in[i + 2];
            } else if (cls == BPF_JMP || cls == BPF_JMP32) {
                if (op == BPF_EXIT) {
                } else if (op == BPF_CALL) {
                    if (i + 1 < cnt)
                        out = env->live_in[i + 1];
                } else {
                    int t = jmp_target(in, i);
                    if (t >= 0 && t < cnt)
                        out |= env->live_in[t];
                    if (op != BPF_JA && i + 1 < cnt)
                        out |= env->live_in[i + 1];
                }
            } else if (i + 1 < cnt) {
                out = env->live_in[i + 1];
            }
            uint16_t in_set = (uint16_t)(use[i] | (out & ~def[i]));
            if (in_set != env->live_in[i]) {
                env->live_in[i] = in_set;
                changed = true;
            }
        }
    }
    free(use);
    free(def);
    return 0;
}

int verifier_check_cfg(struct venv *env)
{
    int rc = check_structure(env);
    if (!rc)
        rc = find_subprogs(env);
    if (!rc)
        rc = walk_cfg(env);
    if (!rc)
        rc = compute_liveness(env);
    return rc;
}

/* ---- combined stack of every call chain (after verification) ---- */

static int frame_bytes(int depth) { return (depth + 15) & ~15; }

static int stack_walk(struct venv *env, int s, int frames, int total, int *max_total)
{
    total += frame_bytes(env->subprogs[s].stack_depth);
    if (frames > VERIFIER_MAX_FRAMES)
        return verifier_err(env, E2BIG, "the call stack of %d frames is too deep !", frames);
    if (total > VERIFIER_STACK_SIZE)
        return verifier_err(env, EACCES, "combined stack size of %d calls is %d. Too large", frames, total);
    if (total > *max_total)
        *max_total = total;
    for (int c = 0; c < env->subprogs[s].ncallees; c++) {
        int rc = stack_walk(env, env->subprogs[s].callees[c], frames + 1, total, max_total);
        if (rc)
            return rc;
    }
    return 0;
}

int verifier_check_stack_depth(struct venv *env)
{
    int max_total = 0;
    int rc = stack_walk(env, 0, 1, 0, &max_total);
    env->opts->stack_depth = (uint32_t)max_total;
    return rc;
}
