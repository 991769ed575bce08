/* prog.c - loading a program: structural checks on every slot, jump and call targets, helper
 * and pseudo-source resolution, then the engines' preparation.  bpfvm_prog_exec dispatches. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/vm_internal.h"
#include "core/exec.h"
#include "interp/interp.h"
#include "jit/jit.h"
#include "isa/isa.h"
#include "maps/map.h"
#include "progtype/progtype.h"
#include "bpfvm/verifier.h"

#define BPFVM_MAX_INSNS (1u << 20) /* Linux's BPF_COMPLEXITY_LIMIT_INSNS for privileged programs */

static int opt_flags(const struct bpfvm_load_opts *o) { return o ? (int)o->flags : 0; }

/* Every jump and local call must land on an instruction start inside the program. */
static int check_target(const struct bpfvm_prog *p, const bool *second_slot, size_t pc,
                        int64_t rel, const char *what, char *err, size_t errlen)
{
    int64_t t = (int64_t)pc + 1 + rel;
    if (t < 0 || t >= (int64_t)p->cnt)
        return vm_errorf(err, errlen, EINVAL, "pc %zu: %s target %lld is outside the program (0..%zu)",
                         pc, what, (long long)t, p->cnt - 1);
    if (second_slot[t])
        return vm_errorf(err, errlen, EINVAL, "pc %zu: %s target %lld is the middle of lddw", pc,
                         what, (long long)t);
    return 0;
}

static int check_program(struct bpfvm_prog *p, char *err, size_t errlen)
{
    bool *second = calloc(p->cnt, sizeof(bool));
    char msg[160];
    int rc = 0;
    if (!second)
        return vm_errorf(err, errlen, ENOMEM, "out of memory");
    for (size_t pc = 0; pc < p->cnt; pc++) {
        const struct bpfvm_insn *in = &p->insns[pc];
        const struct bpfvm_insn *next = pc + 1 < p->cnt ? in + 1 : NULL;
        if (isa_check_insn(in, next, msg, sizeof(msg))) {
            rc = vm_errorf(err, errlen, EINVAL, "pc %zu: %s", pc, msg);
            goto out;
        }
        if (isa_is_lddw(in))
            second[++pc] = true;
    }
    for (size_t pc = 0; pc < p->cnt && !rc; pc++) {
        const struct bpfvm_insn *in = &p->insns[pc];
        uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
        if (second[pc])
            continue;
        if (isa_is_lddw(in)) {
            if (in->src_reg == BPF_PSEUDO_FUNC)
                rc = check_target(p, second, pc, in->imm, "function pointer", err, errlen);
            continue;
        }
        if (cls != BPF_JMP && cls != BPF_JMP32)
            continue;
        if (op == BPF_CALL && ISA_SRC(in->code) == BPF_K) {
            if (in->src_reg == BPF_PSEUDO_CALL)
                rc = check_target(p, second, pc, in->imm, "call", err, errlen);
            else if (in->src_reg == BPF_PSEUDO_KFUNC_CALL)
                rc = vm_errorf(err, errlen, EINVAL, "pc %zu: kernel function calls (kfunc %d) are not supported",
                               pc, in->imm);
            else if (!vm_helper_fn(p->vm, (uint32_t)in->imm))
                rc = vm_errorf(err, errlen, EINVAL, "pc %zu: call to unknown helper %d", pc, in->imm);
        } else if (op == BPF_JA) {
            rc = check_target(p, second, pc, cls == BPF_JMP32 ? in->imm : in->off, "jump", err, errlen);
        } else if (op != BPF_CALL && op != BPF_EXIT) {
            rc = check_target(p, second, pc, in->off, "jump", err, errlen);
        }
    }
out:
    free(second);
    return rc;
}

/* The value each lddw loads: the constant, a map pointer, a global-data address or a function
 * pointer (the address of the target slot in the program's copy). */
static int resolve_lddw(struct bpfvm_prog *p, const struct bpfvm_load_opts *o, char *err,
                        size_t errlen)
{
    size_t nmaps = o ? o->map_cnt : 0;
    if (!(p->lddw_value = calloc(p->cnt, sizeof(uint64_t))))
        return vm_errorf(err, errlen, ENOMEM, "out of memory");
    for (size_t pc = 0; pc + 1 < p->cnt; pc++) {
        const struct bpfvm_insn *in = &p->insns[pc];
        if (!isa_is_lddw(in))
            continue;
        uint64_t v = (uint64_t)(uint32_t)in->imm | (uint64_t)(uint32_t)in[1].imm << 32;
        switch (in->src_reg) {
        case 0:
            break;
        case BPF_PSEUDO_FUNC:
            v = (uintptr_t)&p->insns[pc + 1 + (size_t)(int64_t)in->imm];
            break;
        case BPF_PSEUDO_MAP_FD:
        case BPF_PSEUDO_MAP_IDX:
        case BPF_PSEUDO_MAP_VALUE:
        case BPF_PSEUDO_MAP_IDX_VALUE: {
            uint32_t idx = (uint32_t)in->imm;
            if (idx >= nmaps || !o->maps[idx])
                return vm_errorf(err, errlen, EINVAL, "pc %zu: map reference %u, but the program has %zu maps",
                                 pc, idx, nmaps);
            struct bpfvm_map *m = o->maps[idx];
            if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_IDX) {
                if (in[1].imm)
                    return vm_errorf(err, errlen, EINVAL, "pc %zu: map reference with a nonzero second imm", pc);
                v = (uintptr_t)m;
                break;
            }
            uint32_t off = (uint32_t)in[1].imm, key = 0;
            if (m->type != BPFVM_MAP_TYPE_ARRAY || m->max_entries != 1)
                return vm_errorf(err, errlen, EINVAL,
                                 "pc %zu: direct value access needs a one-element array map ('%s' is not)",
                                 pc, m->name);
            if (off >= m->value_size)
                return vm_errorf(err, errlen, EINVAL, "pc %zu: offset %u is outside the %u-byte value of '%s'",
                                 pc, off, m->value_size, m->name);
            v = (uintptr_t)map_lookup_fast(m, &key, 0) + off;
            break;
        }
        default:
            return vm_errorf(err, errlen, EINVAL, "pc %zu: lddw with pseudo source %d (BTF object) is not supported",
                             pc, in->src_reg);
        }
        p->lddw_value[pc] = v;
        pc++;
    }
    if (nmaps) {
        if (!(p->maps = calloc(nmaps, sizeof(*p->maps))))
            return vm_errorf(err, errlen, ENOMEM, "out of memory");
        for (size_t i = 0; i < nmaps; i++)
            if ((p->maps[i] = o->maps[i]))
                map_get(p->maps[i]);
        p->map_cnt = nmaps;
    }
    return 0;
}

static void verifier_log_to_vm(const char *text, void *user)
{
    const struct bpfvm_vm *vm = user;
    if (vm->log_fn)
        vm->log_fn(1, text, vm->log_user);
}

/* Verify a typed program (unless the caller opted out).  Fills access[] with the verifier's
 * context accesses when it accepts; sets BPFVM_LOAD_CHECKED when it cannot decide. */
static int verify_typed(struct bpfvm_prog *p, const struct bpfvm_load_opts *o, bool *access,
                        bool *have_access, char *err, size_t errlen)
{
    if (p->flags & BPFVM_LOAD_NO_VERIFY) {
        p->flags |= BPFVM_LOAD_CHECKED;
        return 0;
    }
    struct bpfvm_verify_aux *aux = calloc(p->cnt, sizeof(*aux));
    if (!aux)
        return vm_errorf(err, errlen, ENOMEM, "out of memory");
    char why[256] = "";
    struct bpfvm_verify_opts vo = {
        .sz = sizeof(vo), .prog_type = (uint32_t)p->type, .maps = o ? o->maps : NULL,
        .map_cnt = o ? o->map_cnt : 0, .unpriv = (p->flags & BPFVM_LOAD_UNPRIV) != 0,
        .log_level = p->vm->log_fn ? 1 : 0, .log_fn = p->vm->log_fn ? verifier_log_to_vm : NULL,
        .log_user = p->vm, .aux = aux, .errbuf = why, .errbuf_len = sizeof(why),
        .license = o && o->sz >= sizeof(*o) ? o->license : NULL,
    };
    int rc = bpfvm_verify(p->insns, p->cnt, &vo);
    if (rc == -EOPNOTSUPP) { /* safe anyway: every access is checked at run time */
        if (p->vm->log_fn) {
            char msg[320];
            snprintf(msg, sizeof(msg), "not verified (%s): the program runs with run-time checks", why);
            p->vm->log_fn(1, msg, p->vm->log_user);
        }
        p->flags |= BPFVM_LOAD_CHECKED;
        rc = 0;
    } else if (rc) {
        rc = vm_errorf(err, errlen, -rc, "verifier: %s", why[0] ? why : "program rejected");
    } else {
        p->verified = true;
        p->zero_stack = (vo.out_flags & BPFVM_VERIFY_READS_UNINIT_STACK) != 0;
        for (size_t i = 0; i < p->cnt; i++)
            access[i] = (aux[i].flags & (BPFVM_VAUX_CTX_LOAD | BPFVM_VAUX_CTX_STORE)) != 0;
        *have_access = true;
    }
    free(aux);
    return rc;
}

/* Context accesses go to bpfvm's own layout of the type's context. */
static int apply_progtype(struct bpfvm_prog *p, const struct bpfvm_load_opts *o, char *err,
                          size_t errlen)
{
    const struct progtype *pt = progtype_get((enum bpfvm_prog_type)p->type);
    if (!pt) {
        const char *name = bpfvm_prog_type_name((enum bpfvm_prog_type)p->type);
        return vm_errorf(err, errlen, ENOTSUP, "program type %s (%d) is not supported yet",
                         name ? name : "unknown", p->type);
    }
    bool *access = calloc(p->cnt, sizeof(bool)), have_access = false;
    if (!access)
        return vm_errorf(err, errlen, ENOMEM, "out of memory");
    int rc = verify_typed(p, o, access, &have_access, err, errlen);
    /* without the verifier's annotations, a data-flow pass finds the context accesses */
    if (!rc && !have_access && (rc = progtype_find_ctx_accesses(p->insns, p->cnt, access)))
        rc = vm_errorf(err, errlen, -rc, "out of memory");
    if (!rc)
        rc = progtype_rewrite_ctx(pt, p->insns, p->cnt, access, err, errlen);
    free(access);
    return rc;
}

int bpfvm_prog_load(struct bpfvm_vm *vm, const struct bpfvm_insn *insns, size_t cnt,
                    const struct bpfvm_load_opts *opts, struct bpfvm_prog **out)
{
    char *err = opts ? opts->errbuf : NULL;
    size_t errlen = opts ? opts->errbuf_len : 0;
    if (!vm || !out || (!insns && cnt))
        return vm_errorf(err, errlen, EINVAL, "invalid arguments");
    *out = NULL;
    if (cnt == 0)
        return vm_errorf(err, errlen, EINVAL, "the program is empty");
    if (cnt > BPFVM_MAX_INSNS)
        return vm_errorf(err, errlen, E2BIG, "the program has %zu instructions (limit %u)", cnt,
                         BPFVM_MAX_INSNS);
    struct bpfvm_prog *p = calloc(1, sizeof(*p));
    if (!p || !(p->insns = malloc(cnt * sizeof(*insns)))) {
        free(p);
        return vm_errorf(err, errlen, ENOMEM, "out of memory");
    }
    memcpy(p->insns, insns, cnt * sizeof(*insns));
    p->cnt = cnt;
    p->vm = vm;
    p->flags = (unsigned)opt_flags(opts);
    p->type = opts ? opts->prog_type : 0;
    int rc = check_program(p, err, errlen);
    if (!rc && p->type)
        rc = apply_progtype(p, opts, err, errlen);
    if (!rc)
        rc = resolve_lddw(p, opts, err, errlen);
    if (!rc)
        rc = interp_prepare(p, err, errlen);
    if (!rc && !(p->flags & BPFVM_LOAD_NO_JIT)) {
        /* a program the JIT does not take still runs in the interpreter */
        int jrc = jit_compile(p, p->jit_why, sizeof(p->jit_why));
        if (jrc == -ENOMEM)
            rc = vm_errorf(err, errlen, ENOMEM, "%s", p->jit_why);
    } else if (!rc) {
        snprintf(p->jit_why, sizeof(p->jit_why), "loaded with BPFVM_LOAD_NO_JIT");
    }
    if (rc) {
        bpfvm_prog_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void bpfvm_prog_free(struct bpfvm_prog *prog)
{
    if (!prog)
        return;
    interp_free(prog->interp);
    jit_free(prog->jit);
    for (size_t i = 0; i < prog->map_cnt; i++)
        if (prog->maps[i])
            map_put(prog->maps[i]);
    free(prog->maps);
    free(prog->lddw_value);
    free(prog->insns);
    free(prog);
}

size_t bpfvm_prog_insn_cnt(const struct bpfvm_prog *prog) { return prog ? prog->cnt : 0; }
int bpfvm_prog_type(const struct bpfvm_prog *prog) { return prog ? prog->type : 0; }
bool bpfvm_prog_verified(const struct bpfvm_prog *prog) { return prog && prog->verified; }
bool bpfvm_prog_checked(const struct bpfvm_prog *prog)
{
    return prog && (prog->flags & BPFVM_LOAD_CHECKED);
}
const struct bpfvm_insn *bpfvm_prog_insns(const struct bpfvm_prog *prog)
{
    return prog ? prog->insns : NULL;
}

/* One program on the engine the run asked for. */
int exec_one(struct bpfvm_exec *st, uint64_t *retval)
{
    const struct bpfvm_prog *prog = st->prog;
    struct bpfvm_exec_opts *opts = st->opts;
    switch (opts->engine) {
    case BPFVM_ENGINE_JIT:
        if (!prog->jit)
            return vm_errorf(opts->errbuf, opts->errbuf_len, ENOTSUP, "no JIT code: %s",
                             prog->jit_why[0] ? prog->jit_why : "not compiled");
        if (opts->insn_budget)
            return vm_errorf(opts->errbuf, opts->errbuf_len, ENOTSUP,
                             "the JIT does not count instructions; use the interpreter for a budget");
        st->running_jit = true;
        return jit_run(st, retval);
    case BPFVM_ENGINE_DEFAULT:
        st->running_jit = prog->jit && !opts->insn_budget;
        return st->running_jit ? jit_run(st, retval) : interp_run(st, retval);
    default:
        st->running_jit = false;
        return interp_run(st, retval);
    }
}

int exec_finish(struct bpfvm_exec *st, int rc, uint64_t *retval)
{
    while (rc == EXEC_TAIL) {
        /* bpf_tail_call: the next program starts afresh with r1 = the context */
        st->prog = st->tail_next;
        st->tail_next = NULL;
        st->args[0] = st->tail_ctx;
        st->checked = (st->prog->flags & BPFVM_LOAD_CHECKED) != 0;
        st->jit_depth = 0;
        st->jit_pkt_oob = 0;
        st->entry_pc = 0;
        st->entry_fp = st->stack_hi;
        rc = exec_one(st, retval);
    }
    if (st->at_end)
        st->at_end(st);
    st->opts->fault_pc = rc ? st->fault_pc : -1;
    return rc;
}

int bpfvm_prog_exec(const struct bpfvm_prog *prog, struct bpfvm_exec_opts *opts, uint64_t *retval)
{
    if (!prog || !opts || !retval)
        return -EINVAL;
    _Alignas(16) uint8_t stack[EXEC_STACK_BYTES];
    struct bpfvm_exec st;
    exec_init(&st, prog, opts, stack);
    if (st.checked || prog->zero_stack)
        memset(stack, 0, sizeof(stack)); /* code that may read before writing */
    return exec_finish(&st, exec_one(&st, retval), retval);
}

bool bpfvm_prog_jited(const struct bpfvm_prog *prog, const char **why)
{
    if (why)
        *why = prog && !prog->jit ? prog->jit_why : NULL;
    return prog && prog->jit;
}

const void *bpfvm_prog_jited_code(const struct bpfvm_prog *prog, size_t *size,
                                  const uint32_t **insn_off)
{
    if (!prog || !prog->jit)
        return NULL;
    if (size)
        *size = prog->jit->code_size;
    if (insn_off)
        *insn_off = prog->jit->insn_off;
    return prog->jit->mem;
}

const void *bpfvm_prog_jited_direct_code(const struct bpfvm_prog *prog, size_t *size,
                                         const uint32_t **insn_off)
{
    if (!prog || !prog->jit || !prog->jit->direct_mem)
        return NULL;
    if (size)
        *size = prog->jit->direct_code_size;
    if (insn_off)
        *insn_off = prog->jit->direct_insn_off;
    return prog->jit->direct_mem;
}

bpfvm_direct_fn bpfvm_prog_direct_entry(const struct bpfvm_prog *prog)
{
    if (!prog || !prog->jit || prog->jit->direct_off == UINT32_MAX)
        return NULL;
    uint8_t *base = prog->jit->direct_mem ? prog->jit->direct_mem : prog->jit->mem;
    return (bpfvm_direct_fn)(void *)(base + prog->jit->direct_off);
}
