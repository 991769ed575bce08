/* harness.c - one differential run (kernel test_run vs bpfvm_prog_exec) and the minimiser.
 *
 * Packet conventions, checked on Linux 6.18:
 *  - SOCKET_FILTER: test_run builds an skb from data_in and pulls the 14-byte Ethernet
 *    header, so LD_ABS offset 0 reads data_in[14]; bpfvm gets pkt = data_in + 14.  The
 *    program cannot write the packet; data_out is data_in with its first 14 bytes zeroed.
 *  - XDP: xdp_md.data = data_in, data_end = data_in + len; data_out is the packet after the
 *    run (same length: the generated programs never adjust head or tail). */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isa/isa.h"
#include "known.h"

#define HARNESS_ETH_HLEN 14
#define HARNESS_LOG_SIZE (1u << 20)

static char *harness_log(void)
{
    static _Thread_local char *log;
    if (!log)
        log = malloc(HARNESS_LOG_SIZE);
    return log;
}

const char *kdiff_log_reason(const char *log, char *buf, size_t len)
{
    /* the reason is the last non-empty line before "processed N insns" */
    const char *end = log + strlen(log), *best = NULL, *best_end = NULL;
    const char *p = log;
    while (p < end) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            nl = end;
        if (nl > p && strncmp(p, "processed ", 10) != 0 && strncmp(p, "verification time", 17) != 0 &&
            strncmp(p, "stack depth", 11) != 0) {
            best = p;
            best_end = nl;
        }
        p = nl + 1;
    }
    if (!best) {
        snprintf(buf, len, "(no log)");
        return buf;
    }
    snprintf(buf, len, "%.*s", (int)(best_end - best), best);
    return buf;
}

static int harness_vm(struct bpfvm_vm *vm, enum kdiff_ptype type, const struct bpfvm_insn *body,
                      size_t body_cnt, const uint8_t *pkt, uint32_t pkt_len,
                      enum bpfvm_engine engine, uint64_t *r0, uint8_t *out_pkt, uint64_t ctx,
                      char *err, size_t errlen);

int kdiff_run_vm(struct bpfvm_vm *vm, enum kdiff_ptype type, const struct bpfvm_insn *body,
                 size_t body_cnt, const uint8_t *pkt, uint32_t pkt_len, enum bpfvm_engine engine,
                 uint64_t *r0, uint8_t *out_pkt, char *err, size_t errlen)
{
    return harness_vm(vm, type, body, body_cnt, pkt, pkt_len, engine, r0, out_pkt, 0, err,
                      errlen);
}

/* Whether the bpfvm result is independent of where the packet, the stack and the context
 * live: a minimisation step that leaves a pointer in a scalar's place (the kernel accepts
 * that from root) changes the result with the addresses and is not a real reduction. */
static int harness_vm_stable(struct bpfvm_vm *vm, enum kdiff_ptype type,
                             const struct bpfvm_insn *body, size_t body_cnt, const uint8_t *pkt,
                             uint32_t pkt_len, enum bpfvm_engine engine)
{
    uint8_t a[KDIFF_MAX_PKT], *b = malloc(KDIFF_MAX_PKT + 4096);
    uint64_t ra = 0, rb = 1;
    char err[256];
    if (!b)
        return 0;
    int ok = harness_vm(vm, type, body, body_cnt, pkt, pkt_len, engine, &ra, a, 0x1000, err,
                        sizeof(err)) == 0;
    volatile uint8_t *shift = __builtin_alloca(1000 + (pkt_len & 0xff)); /* move the C stack */
    shift[0] = 0;
    ok = ok && harness_vm(vm, type, body, body_cnt, pkt, pkt_len, engine, &rb, b + 2048 + 8,
                          0x7654320, err, sizeof(err)) == 0;
    ok = ok && ra == rb && memcmp(a, b + 2048 + 8, pkt_len) == 0;
    free(b);
    return ok;
}

static int harness_vm(struct bpfvm_vm *vm, enum kdiff_ptype type, const struct bpfvm_insn *body,
                      size_t body_cnt, const uint8_t *pkt, uint32_t pkt_len,
                      enum bpfvm_engine engine, uint64_t *r0, uint8_t *out_pkt, uint64_t ctx,
                      char *err, size_t errlen)
{
    struct bpfvm_insn insns[KDIFF_MAX_INSNS + 8];
    size_t cnt = kdiff_assemble(type, 0, body, body_cnt, insns);
    struct bpfvm_load_opts lo = {.sz = sizeof(lo), .flags = BPFVM_LOAD_CHECKED,
                                 .errbuf = err, .errbuf_len = errlen};
    struct bpfvm_prog *prog = NULL;
    err[0] = 0;
    int rc = bpfvm_prog_load(vm, insns, cnt, &lo, &prog);
    if (rc < 0)
        return rc;
    memcpy(out_pkt, pkt, pkt_len);
    struct bpfvm_exec_opts eo;
    memset(&eo, 0, sizeof(eo));
    eo.sz = sizeof(eo);
    eo.engine = engine;
    /* generated loops are bounded; the budget only guards the interpreter against a
     * harness bug (the JIT does not count instructions) */
    eo.insn_budget = engine == BPFVM_ENGINE_INTERP ? 10000000 : 0;
    eo.errbuf = err;
    eo.errbuf_len = errlen;
    if (type == KDIFF_XDP) {
        eo.args[0] = (uint64_t)(uintptr_t)out_pkt;
        eo.args[1] = pkt_len;
        eo.mem = out_pkt;
        eo.mem_size = pkt_len;
        eo.mem_writable = true;
    } else {
        eo.args[0] = ctx;
        eo.pkt = out_pkt + HARNESS_ETH_HLEN;
        eo.pkt_size = pkt_len - HARNESS_ETH_HLEN;
    }
    rc = bpfvm_prog_exec(prog, &eo, r0);
    bpfvm_prog_free(prog);
    /* the kernel verified it, so it may also run unchecked: when the JIT gives it a direct
     * entry (no calls, no LD_ABS), that separately compiled copy must agree exactly */
    if (rc == 0 && engine == BPFVM_ENGINE_JIT && type == KDIFF_XDP) {
        lo.flags = 0;
        if (bpfvm_prog_load(vm, insns, cnt, &lo, &prog) == 0) {
            bpfvm_direct_fn fn = bpfvm_prog_direct_entry(prog);
            if (fn) {
                uint8_t *copy = malloc(pkt_len);
                if (copy) {
                    memcpy(copy, pkt, pkt_len);
                    uint64_t d = fn((uintptr_t)copy, pkt_len, 0, 0, 0);
                    if (d != *r0 || memcmp(copy, out_pkt, pkt_len)) {
                        snprintf(err, errlen, "direct entry differs: r0 0x%llx vs 0x%llx%s",
                                 (unsigned long long)d, (unsigned long long)*r0,
                                 memcmp(copy, out_pkt, pkt_len) ? ", packet differs" : "");
                        rc = -EINVAL;
                    }
                    free(copy);
                }
            }
            bpfvm_prog_free(prog);
        }
    }
    return rc;
}

enum kdiff_status kdiff_run(struct bpfvm_vm *vm, enum kdiff_ptype type,
                            const struct bpfvm_insn *body, size_t body_cnt, const uint8_t *pkt,
                            uint32_t pkt_len, enum bpfvm_engine engine,
                            struct kdiff_outcome *o)
{
    struct bpfvm_insn insns[KDIFF_MAX_INSNS + 8];
    size_t cnt = kdiff_assemble(type, 1, body, body_cnt, insns);
    char *log = harness_log();

    o->msg[0] = 0;
    o->first_diff = -1;
    o->pkt_len = pkt_len;
    if (!log) {
        snprintf(o->msg, sizeof(o->msg), "out of memory");
        return o->status = KDIFF_KERNEL_ERROR;
    }
    /* without a log first: logging every verifier step costs more than the load itself */
    int fd = kdiff_kernel_load(type, insns, cnt, NULL, 0);
    if (fd == -EINVAL || fd == -EACCES)
        fd = kdiff_kernel_load(type, insns, cnt, log, HARNESS_LOG_SIZE);
    if (fd < 0) {
        char why[300];
        snprintf(o->msg, sizeof(o->msg), "kernel: %s: %s", strerror(-fd),
                 kdiff_log_reason(log, why, sizeof(why)));
        return o->status = KDIFF_REJECTED;
    }
    uint32_t out_len = KDIFF_MAX_PKT;
    int rc = kdiff_kernel_run(fd, pkt, pkt_len, o->kernel_pkt, &out_len, &o->kernel_ret);
    close(fd);
    if (rc < 0 || out_len != pkt_len) {
        snprintf(o->msg, sizeof(o->msg), "kernel test_run: %s (data_size_out %u)",
                 rc < 0 ? strerror(-rc) : "ok", out_len);
        return o->status = KDIFF_KERNEL_ERROR;
    }

    char err[256];
    rc = kdiff_run_vm(vm, type, body, body_cnt, pkt, pkt_len, engine, &o->vm_ret, o->vm_pkt, err,
                      sizeof(err));
    if (rc < 0) {
        snprintf(o->msg, sizeof(o->msg), "bpfvm: %s: %s", strerror(-rc), err);
        return o->status = KDIFF_VM_ERROR;
    }
    /* SOCKET_FILTER: the kernel hands back the 14 header bytes zeroed (6.18), so only the
     * bytes after them are compared (the program cannot write the packet anyway). */
    for (uint32_t i = type == KDIFF_XDP ? 0 : HARNESS_ETH_HLEN; i < pkt_len; i++)
        if (o->kernel_pkt[i] != o->vm_pkt[i]) {
            o->first_diff = (int)i;
            break;
        }
    if ((uint32_t)o->vm_ret != o->kernel_ret || o->first_diff >= 0) {
        if (o->first_diff < 0)
            snprintf(o->msg, sizeof(o->msg), "r0: kernel 0x%08x bpfvm 0x%016llx; packet same",
                     o->kernel_ret, (unsigned long long)o->vm_ret);
        else
            snprintf(o->msg, sizeof(o->msg),
                     "r0: kernel 0x%08x bpfvm 0x%016llx; packet differs from byte %d "
                     "(kernel %02x bpfvm %02x)",
                     o->kernel_ret, (unsigned long long)o->vm_ret, o->first_diff,
                     o->kernel_pkt[o->first_diff], o->vm_pkt[o->first_diff]);
        return o->status = KDIFF_MISMATCH;
    }
    return o->status = KDIFF_AGREE;
}

static int harness_is_nop(const struct bpfvm_insn *in)
{
    return in->code == ISA_JA && in->off == 0 && in->imm == 0;
}

/* Remove no-ops, fixing jump and call offsets (a no-op that was a target forwards to the
 * next instruction, which is what executing it did). */
static size_t harness_compact(struct bpfvm_insn *body, size_t cnt)
{
    size_t *map = malloc((cnt + 1) * sizeof(size_t));
    if (!map)
        return cnt;
    size_t n = 0;
    for (size_t i = 0; i < cnt; i++) {
        map[i] = n;
        if (!harness_is_nop(&body[i]))
            n++;
    }
    map[cnt] = n;
    for (size_t i = 0; i < cnt; i++) {
        struct bpfvm_insn *in = &body[i];
        uint8_t cls = ISA_CLASS(in->code), op = ISA_OP(in->code);
        if (harness_is_nop(in) || (cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_EXIT)
            continue;
        if (op == BPF_CALL) {
            if (in->src_reg == BPF_PSEUDO_CALL)
                in->imm = (int32_t)((int64_t)map[(int64_t)i + 1 + in->imm] - (int64_t)map[i] - 1);
        } else if (in->code == ISA_JA32) {
            in->imm = (int32_t)((int64_t)map[(int64_t)i + 1 + in->imm] - (int64_t)map[i] - 1);
        } else {
            in->off = (int16_t)((int64_t)map[(int64_t)i + 1 + in->off] - (int64_t)map[i] - 1);
        }
    }
    for (size_t i = 0, j = 0; i < cnt; i++)
        if (!harness_is_nop(&body[i]))
            body[j++] = body[i];
    free(map);
    return n;
}

size_t kdiff_minimise(struct bpfvm_vm *vm, enum kdiff_ptype type, struct bpfvm_insn *body,
                      size_t body_cnt, const uint8_t *pkt, uint32_t pkt_len,
                      enum bpfvm_engine engine)
{
    struct kdiff_outcome *o = malloc(sizeof(*o));
    if (!o)
        return body_cnt;
    const struct bpfvm_insn nop = isa_make(ISA_JA, 0, 0, 0, 0);
    /* stay on the same kind of mismatch: a known kernel bug or not */
    const char *known = kdiff_known_bug(vm, type, body, body_cnt, pkt, pkt_len, engine);
    int changed = 1;
    while (changed) {
        changed = 0;
        for (size_t i = 0; i < body_cnt; i++) {
            struct bpfvm_insn save[2] = {body[i], i + 1 < body_cnt ? body[i + 1] : nop};
            if (harness_is_nop(&body[i]) || body[i].code == ISA_EXIT)
                continue;
            /* root may read uninitialised stack: keep every plain stack store so that the
             * minimised program never reads garbage */
            if ((ISA_CLASS(body[i].code) == BPF_ST || ISA_CLASS(body[i].code) == BPF_STX) &&
                ISA_MODE(body[i].code) == BPF_MEM && body[i].dst_reg == 10)
                continue;
            if (i > 0 && isa_is_lddw(&body[i - 1]))
                continue; /* second slot of lddw */
            int two = isa_is_lddw(&body[i]);
            body[i] = nop;
            if (two)
                body[i + 1] = nop;
            if (kdiff_run(vm, type, body, body_cnt, pkt, pkt_len, engine, o) == KDIFF_MISMATCH &&
                harness_vm_stable(vm, type, body, body_cnt, pkt, pkt_len, engine) &&
                kdiff_known_bug(vm, type, body, body_cnt, pkt, pkt_len, engine) == known) {
                changed = 1;
            } else {
                body[i] = save[0];
                if (two)
                    body[i + 1] = save[1];
            }
        }
    }
    /* dropping the no-ops moves checkpoints in the kernel's verifier, which can hide a
     * kernel bug again: keep the no-ops when the compact form no longer shows the mismatch */
    struct bpfvm_insn *c = malloc(body_cnt * sizeof(*c));
    size_t n = body_cnt;
    if (c) {
        memcpy(c, body, body_cnt * sizeof(*c));
        size_t cn = harness_compact(c, body_cnt);
        if (kdiff_run(vm, type, c, cn, pkt, pkt_len, engine, o) == KDIFF_MISMATCH &&
            kdiff_known_bug(vm, type, c, cn, pkt, pkt_len, engine) == known) {
            memcpy(body, c, cn * sizeof(*c));
            n = cn;
        }
        free(c);
    }
    free(o);
    return n;
}
