/* log.c - the verifier log: kernel-style lines ("12: (bf) r1 = r6", "R1=ctx() R10=fp0"),
 * errors that also become the one-line reason, and the final statistics line.  At level 1
 * only the path that led to an error is kept (the log rewinds when a branch is abandoned);
 * level 2 keeps every instruction with its state. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfvm/asm.h"
#include "maps/map.h"
#include "verifier/verifier.h"

static void log_append(struct vlog *l, const char *s, size_t n)
{
    if (l->oom)
        return;
    if (l->len + n + 1 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        while (cap < l->len + n + 1)
            cap *= 2;
        char *b = realloc(l->buf, cap);
        if (!b) {
            l->oom = true;
            return;
        }
        l->buf = b;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    l->buf[l->len] = 0;
}

static void log_vprintf(struct vlog *l, const char *fmt, va_list ap)
{
    char tmp[512];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    if (n < 0)
        return;
    log_append(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void verifier_log(struct venv *env, const char *fmt, ...)
{
    if (!env->log.level)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(&env->log, fmt, ap);
    va_end(ap);
}

int verifier_err(struct venv *env, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(env->errmsg, sizeof(env->errmsg), fmt, ap);
    va_end(ap);
    if (env->log.level) {
        log_append(&env->log, env->errmsg, strlen(env->errmsg));
        log_append(&env->log, "\n", 1);
    }
    return -err;
}

static const char *const type_names[] = {
    [VREG_NOT_INIT] = "?",
    [VREG_SCALAR] = "scalar",
    [VREG_PTR_TO_CTX] = "ctx",
    [VREG_CONST_PTR_TO_MAP] = "map_ptr",
    [VREG_PTR_TO_MAP_VALUE] = "map_value",
    [VREG_PTR_TO_MAP_KEY] = "map_key",
    [VREG_PTR_TO_STACK] = "fp",
    [VREG_PTR_TO_PACKET_META] = "pkt_meta",
    [VREG_PTR_TO_PACKET] = "pkt",
    [VREG_PTR_TO_PACKET_END] = "pkt_end",
    [VREG_PTR_TO_MEM] = "mem",
    [VREG_PTR_TO_FUNC] = "func",
};

const char *verifier_reg_type_str(const struct vreg *r)
{
    if (r->maybe_null) {
        if (r->type == VREG_PTR_TO_MAP_VALUE)
            return "map_value_or_null";
        if (r->type == VREG_PTR_TO_MEM)
            return r->mem_ringbuf ? "ringbuf_mem_or_null" : "mem_or_null";
        if (r->type == VREG_CONST_PTR_TO_MAP)
            return "map_ptr_or_null";
    }
    if (r->type == VREG_PTR_TO_MEM && r->mem_ringbuf)
        return "ringbuf_mem";
    return r->type < sizeof(type_names) / sizeof(type_names[0]) ? type_names[r->type] : "?";
}

void verifier_log_insn(struct venv *env, int idx)
{
    if (!env->log.level)
        return;
    char text[160];
    size_t avail = env->cnt - (size_t)idx;
    bpfvm_disasm_insn(&env->insns[idx], avail, BPFVM_SYNTAX_LLVM, text, sizeof(text));
    verifier_log(env, "%d: (%02x) %s\n", idx, env->insns[idx].code, text);
}

/* "scalar(smin=..,umax=..,var_off=(..))" or a constant, "pkt(id=1,off=8,r=8)", "fp-8"... */
static void reg_str(const struct vreg *r, char *buf, size_t len)
{
    char tn[64];
    size_t n = 0;
#define OUT(...) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))
    if (r->type == VREG_SCALAR) {
        if (tnum_is_const(r->var_off)) {
            OUT("%" PRId64, (int64_t)r->var_off.value);
            return;
        }
        OUT("scalar(");
        const char *sep = "";
        if (r->id) {
            OUT("id=%u", r->id);
            sep = ",";
        }
        if (r->smin != INT64_MIN) { OUT("%ssmin=%" PRId64, sep, r->smin); sep = ","; }
        if (r->smax != INT64_MAX) { OUT("%ssmax=%" PRId64, sep, r->smax); sep = ","; }
        if (r->umin) { OUT("%sumin=%" PRIu64, sep, r->umin); sep = ","; }
        if (r->umax != UINT64_MAX) { OUT("%sumax=%" PRIu64, sep, r->umax); sep = ","; }
        if (!tnum_is_unknown(r->var_off)) {
            tnum_str(tn, sizeof(tn), r->var_off);
            OUT("%svar_off=%s", sep, tn);
        }
        OUT(")");
        return;
    }
    if (r->type == VREG_PTR_TO_STACK && tnum_is_const(r->var_off) && !r->var_off.value) {
        OUT("fp%d", r->off);
        return;
    }
    OUT("%s(", verifier_reg_type_str(r));
    const char *sep = "";
    if (r->id) { OUT("id=%u", r->id); sep = ","; }
    if (r->ref_obj_id) { OUT("%sref_obj_id=%u", sep, r->ref_obj_id); sep = ","; }
    if (r->off) { OUT("%soff=%d", sep, r->off); sep = ","; }
    if (reg_is_pkt_pointer(r)) { OUT("%sr=%u", sep, r->range); sep = ","; }
    if (r->map) { OUT("%sks=%u,vs=%u", sep, r->map->key_size, r->map->value_size); sep = ","; }
    if (r->type == VREG_PTR_TO_MEM) { OUT("%ssz=%u", sep, r->mem_size); sep = ","; }
    if (!tnum_is_const(r->var_off) || r->var_off.value) {
        tnum_str(tn, sizeof(tn), r->var_off);
        OUT("%svar_off=%s,umax=%" PRIu64, sep, tn, r->umax);
    }
    OUT(")");
#undef OUT
}

void verifier_log_state(struct venv *env, const struct vstate *st, int frame)
{
    if (!env->log.level)
        return;
    const struct vframe *f = st->frame[frame];
    char buf[256];
    if (frame)
        verifier_log(env, "frame%d:", frame);
    for (int i = 0; i < ISA_NREGS; i++) {
        if (f->regs[i].type == VREG_NOT_INIT)
            continue;
        reg_str(&f->regs[i], buf, sizeof(buf));
        verifier_log(env, " R%d=%s", i, buf);
    }
    for (int s = 0; s < f->nslots; s++) {
        const struct vslot *sl = &f->stack[s];
        if (sl->type[0] == VSTACK_SPILL) {
            reg_str(&sl->spilled, buf, sizeof(buf));
            verifier_log(env, " fp%d=%s", -(s + 1) * 8, buf);
            continue;
        }
        char t[9];
        bool any = false;
        for (int b = 0; b < 8; b++) {
            static const char c[] = "?mz r";
            t[7 - b] = c[sl->type[b] < 4 ? sl->type[b] : 4];
            any |= sl->type[b] != VSTACK_INVALID;
        }
        t[8] = 0;
        if (any)
            verifier_log(env, " fp%d=%s", -(s + 1) * 8, t);
    }
    verifier_log(env, "\n");
}

void verifier_log_finish(struct venv *env, int rc)
{
    struct bpfvm_verify_opts *o = env->opts;
    if (env->log.level) {
        verifier_log(env, "processed %" PRIu64 " insns (limit %" PRIu64 ") max_states_per_insn %u "
                     "total_states %u peak_states %u mark_read 0\n",
                     env->insn_processed, env->insn_limit, env->max_states_per_insn,
                     env->total_states, env->peak_states);
        if (env->log.level & 4) {
            verifier_log(env, "verification time %" PRIu64 " usec\n", o->time_ns / 1000);
            verifier_log(env, "stack depth");
            for (int i = 0; i < env->nsubprogs; i++)
                verifier_log(env, "%s%d", i ? "+" : " ", env->subprogs[i].stack_depth);
            verifier_log(env, "\n");
        }
    }
    if (o->log_buf && o->log_size) {
        size_t n = env->log.len < o->log_size - 1 ? env->log.len : o->log_size - 1;
        /* keep the end when it does not fit: the error is there */
        size_t from = env->log.len - n;
        if (n)
            memcpy(o->log_buf, env->log.buf + from, n);
        o->log_buf[n] = 0;
    }
    if (o->log_fn && env->log.buf)
        o->log_fn(env->log.buf, o->log_user);
    if (o->errbuf && o->errbuf_len)
        snprintf(o->errbuf, o->errbuf_len, "%s", rc ? env->errmsg : "");
    free(env->log.buf);
    env->log.buf = NULL;
}
