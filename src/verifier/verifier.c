/* verifier.c - the entry point: sets up the environment, checks the structure (cfg.c), then
 * walks every path of the program depth-first with abstract states, pruning paths whose state
 * is covered by one already proven safe, within a budget of processed instructions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verifier/verifier.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int init_state(struct venv *env)
{
    struct vstate *st = verifier_state_new();
    if (!st)
        return -ENOMEM;
    st->frame[0] = verifier_frame_new(-1, 0, 0);
    if (!st->frame[0]) {
        verifier_state_free(st);
        return -ENOMEM;
    }
    struct vreg *r1 = &st->frame[0]->regs[1];
    reg_mark_ptr(r1, VREG_PTR_TO_CTX);
    env->cur = st;
    return 0;
}

/* Take the next pending branch; false when there is none. */
static bool pop_branch(struct venv *env, int *insn, int *prev)
{
    if (!env->nstack)
        return false;
    struct vpending p = env->stack[--env->nstack];
    verifier_state_free(env->cur);
    env->cur = p.st;
    *insn = p.insn_idx;
    *prev = p.prev_idx;
    if (env->log.level == 1 && p.log_pos <= env->log.len) {
        /* level 1 keeps only the path being explored */
        env->log.len = p.log_pos;
        if (env->log.buf)
            env->log.buf[env->log.len] = 0;
    }
    return true;
}

static int do_check(struct venv *env)
{
    int idx = 0, prev = -1, rc = 0;
    for (;;) {
        if (idx < 0 || (size_t)idx >= env->cnt)
            return verifier_err(env, EINVAL, "invalid insn idx %d insn_cnt %zu", idx, env->cnt);
        if (++env->insn_processed > env->insn_limit)
            return verifier_err(env, E2BIG, "BPF program is too large. Processed %llu insn",
                                (unsigned long long)env->insn_processed - 1);
        env->cur->insn_idx = idx;
        bool done = false;
        if (env->prune_point[idx]) {
            rc = verifier_is_state_visited(env, idx, env->prune_point[idx] == 2);
            if (rc < 0)
                return rc;
            if (rc == 1) {
                if (env->log.level >= 2)
                    verifier_log(env, "%d: safe\n", idx);
                done = true;
            }
        }
        if (!done) {
            if (env->log.level >= 2) {
                verifier_log(env, "%d:", idx);
                verifier_log_state(env, env->cur, env->cur->curframe);
            }
            verifier_log_insn(env, idx);
            if (env->aux)
                env->aux[idx].flags |= BPFVM_VAUX_SEEN;
            const struct bpfvm_insn *in = &env->insns[idx];
            uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
            int next = idx + 1;
            switch (cls) {
            case BPF_ALU:
            case BPF_ALU64:
                rc = verifier_check_alu(env, in);
                break;
            case BPF_LDX:
                rc = verifier_check_load(env, idx, in);
                break;
            case BPF_ST:
                rc = verifier_check_store(env, idx, in);
                break;
            case BPF_STX:
                rc = ISA_MODE(in->code) == BPF_ATOMIC ? verifier_check_atomic(env, idx, in)
                                                      : verifier_check_store(env, idx, in);
                break;
            case BPF_LD:
                if (isa_is_lddw(in)) {
                    rc = verifier_check_lddw(env, idx, in);
                    next = idx + 2;
                } else {
                    rc = verifier_check_ld_abs(env, in);
                }
                break;
            default: /* JMP, JMP32 */
                if (op == BPF_JA) {
                    next = idx + 1 + (cls == BPF_JMP32 ? in->imm : in->off);
                } else if (op == BPF_CALL) {
                    if (ISA_SRC(in->code) == BPF_X)
                        rc = verifier_err(env, EOPNOTSUPP, "insn %d: callx is not supported by the verifier", idx);
                    else
                        rc = verifier_check_pseudo_call(env, idx, in, &next);
                } else if (op == BPF_EXIT) {
                    rc = verifier_check_exit(env, idx, &next, &done);
                } else {
                    rc = verifier_check_cond_jmp(env, idx, in, &next);
                }
                break;
            }
            if (rc)
                return rc;
            if (!done) {
                prev = idx;
                idx = next;
                continue;
            }
        }
        /* this path is finished (exit or pruned) */
        verifier_update_branch_counts(env, env->cur->parent);
        if (!pop_branch(env, &idx, &prev))
            return 0;
        if (env->log.level)
            verifier_log(env, "from %d to %d:", prev, idx);
        if (env->log.level) {
            verifier_log_state(env, env->cur, env->cur->curframe);
        }
    }
}

/* The kernel's license_is_gpl_compatible; no license given means "not checked". */
static bool verifier_license_gpl(const char *license)
{
    static const char *const gpl[] = {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                                      "Dual MIT/GPL", "Dual MPL/GPL"};
    if (!license)
        return true;
    for (size_t i = 0; i < sizeof(gpl) / sizeof(gpl[0]); i++)
        if (!strcmp(license, gpl[i]))
            return true;
    return false;
}

int bpfvm_verify(const struct bpfvm_insn *insns, size_t cnt, struct bpfvm_verify_opts *opts)
{
    if (!opts || opts->sz < offsetof(struct bpfvm_verify_opts, license) || (!insns && cnt))
        return -EINVAL;
    uint64_t t0 = now_ns();
    struct venv *env = calloc(1, sizeof(*env));
    if (!env)
        return -ENOMEM;
    env->insns = insns;
    env->cnt = cnt;
    env->opts = opts;
    env->prog_type = opts->prog_type;
    env->ctx = opts->ctx ? opts->ctx : bpfvm_verify_ctx_desc(opts->prog_type);
    env->priv = !opts->unpriv;
    env->gpl = verifier_license_gpl(opts->sz >= sizeof(*opts) ? opts->license : NULL);
    env->aux = opts->aux;
    env->insn_limit = opts->insn_limit ? opts->insn_limit : VERIFIER_INSN_LIMIT;
    env->log.level = opts->log_level;
    opts->insns_processed = 0;
    opts->total_states = opts->peak_states = opts->max_states_per_insn = 0;
    opts->stack_depth = 0;
    opts->out_flags = 0;
    int rc;
    if (!env->ctx) {
        rc = verifier_err(env, EOPNOTSUPP, "program type %u is not known to bpfvm's verifier yet",
                          opts->prog_type);
        goto out;
    }
    if (!cnt) {
        rc = verifier_err(env, EINVAL, "the program is empty");
        goto out;
    }
    if (cnt > (1u << 20)) {
        rc = verifier_err(env, E2BIG, "the program has %zu instructions (limit %u)", cnt, 1u << 20);
        goto out;
    }
    if (!env->priv && cnt > 4096) {
        rc = verifier_err(env, E2BIG, "the program has %zu instructions (unprivileged limit 4096)", cnt);
        goto out;
    }
    if (opts->unpriv && opts->prog_type != BPFVM_PROG_TYPE_SOCKET_FILTER && opts->prog_type != BPFVM_PROG_TYPE_UNSPEC) {
        rc = verifier_err(env, EPERM, "program type %s needs privileges", bpfvm_prog_type_name((enum bpfvm_prog_type)opts->prog_type));
        goto out;
    }
    env->explored = calloc(cnt, sizeof(*env->explored));
    env->prune_point = calloc(cnt, 1);
    env->live_in = calloc(cnt, sizeof(uint16_t));
    env->second_slot = calloc(cnt + 1, 1);
    env->insn_subprog = calloc(cnt, sizeof(int));
    env->insn_ptr_type = calloc(cnt, 1);
    if (!env->explored || !env->prune_point || !env->live_in || !env->second_slot ||
        !env->insn_subprog || !env->insn_ptr_type) {
        rc = -ENOMEM;
        goto out;
    }
    if (env->aux)
        memset(env->aux, 0, cnt * sizeof(*env->aux));
    rc = verifier_check_cfg(env);
    if (!rc)
        rc = init_state(env);
    if (!rc)
        rc = do_check(env);
    if (!rc)
        rc = verifier_check_stack_depth(env);
out:
    opts->insns_processed = env->insn_processed;
    opts->total_states = env->total_states;
    opts->peak_states = env->peak_states;
    opts->max_states_per_insn = env->max_states_per_insn;
    if (env->reads_uninit_stack)
        opts->out_flags |= BPFVM_VERIFY_READS_UNINIT_STACK;
    if (rc == -ENOMEM && !env->errmsg[0])
        verifier_err(env, ENOMEM, "out of memory");
    opts->time_ns = now_ns() - t0;
    verifier_log_finish(env, rc);
    while (env->nstack)
        verifier_state_free(env->stack[--env->nstack].st);
    free(env->stack);
    verifier_state_free(env->cur);
    verifier_free_checkpoints(env);
    free(env->explored);
    free(env->prune_point);
    free(env->live_in);
    free(env->second_slot);
    free(env->insn_subprog);
    free(env->insn_ptr_type);
    for (size_t i = 0; i < env->ninner; i++)
        free(env->inner[i].tmpl);
    free(env->inner);
    free(env);
    return rc;
}
