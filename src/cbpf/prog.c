/* prog.c - a classic program on the eBPF engine: check, translate, load into a vm, run over a
 * packet; and the helpers translated programs call for Linux ancillary loads and negative
 * offsets (they read the run context handed over as the exec user pointer). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bpfvm/vm.h"
#include "cbpf/cbpf_int.h"

struct bpfvm_cbpf_prog {
    struct bpfvm_vm *vm;
    struct bpfvm_vm *own_vm; /* non-NULL when we created the vm */
    struct bpfvm_prog *prog;
    enum bpfvm_cbpf_flavor flavor;
    enum bpfvm_engine engine;
    bool loops; /* libpcap program with a backward jump: run under a budget */
    bpfvm_direct_fn direct; /* JIT code that needs no run state (no ancillary loads) */
};

static uint64_t helper_anc(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                           struct bpfvm_exec *ex)
{
    struct bpfvm_cbpf_run_ctx *rc = bpfvm_exec_user(ex);
    if (!rc)
        return 0;
    return cbpf_anc_value(rc, (uint32_t)r1, (uint32_t)r2, (uint32_t)r3);
}

static uint64_t helper_loadneg(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                               struct bpfvm_exec *ex)
{
    const struct bpfvm_cbpf_run_ctx *rc = bpfvm_exec_user(ex);
    uint32_t v;
    if (!rc || (r2 != 1 && r2 != 2 && r2 != 4) ||
        cbpf_load_neg(rc, (int32_t)(uint32_t)r1, (unsigned)r2, &v))
        return 1ull << 32;
    return v;
}

int bpfvm_cbpf_register_helpers(struct bpfvm_vm *vm)
{
    int err = bpfvm_vm_set_helper(vm, BPFVM_CBPF_HELPER_ANC, "cbpf_ancillary", helper_anc);
    if (!err)
        err = bpfvm_vm_set_helper(vm, BPFVM_CBPF_HELPER_LOADNEG, "cbpf_load_neg",
                                  helper_loadneg);
    return err;
}

int bpfvm_cbpf_load(struct bpfvm_vm *vm, const struct bpfvm_cbpf_insn *insns, size_t cnt,
                    const struct bpfvm_cbpf_load_opts *opts, struct bpfvm_cbpf_prog **out,
                    char *msg, size_t len)
{
    enum bpfvm_cbpf_flavor fl = opts ? opts->flavor : BPFVM_CBPF_LINUX;
    struct bpfvm_insn *e;
    size_t ecnt;
    *out = NULL;
    int err = bpfvm_cbpf_translate(insns, cnt, fl, &e, &ecnt, msg, len);
    if (err)
        return err;
    struct bpfvm_cbpf_prog *p = calloc(1, sizeof(*p));
    if (!p) {
        free(e);
        cbpf_msg(msg, len, "out of memory");
        return -ENOMEM;
    }
    p->flavor = fl;
    p->loops = cbpf_has_backjump(insns, cnt) != 0;
    p->engine = opts ? (enum bpfvm_engine)opts->engine : BPFVM_ENGINE_DEFAULT;
    if (!vm) {
        vm = p->own_vm = bpfvm_vm_new();
        if (!vm) {
            err = -ENOMEM;
            cbpf_msg(msg, len, "out of memory");
            goto fail;
        }
    }
    p->vm = vm;
    err = bpfvm_cbpf_register_helpers(vm);
    if (err) {
        cbpf_msg(msg, len, "cannot register the cbpf helpers (%d)", err);
        goto fail;
    }
    struct bpfvm_load_opts lo = {.sz = sizeof(lo),
                                 .flags = opts && opts->checked ? BPFVM_LOAD_CHECKED : 0,
                                 .errbuf = msg,
                                 .errbuf_len = len};
    err = bpfvm_prog_load(vm, e, ecnt, &lo, &p->prog);
    if (err)
        goto fail;
    /* filters without ancillary loads or loops run straight from native code */
    if (!p->loops && p->engine != BPFVM_ENGINE_INTERP)
        p->direct = bpfvm_prog_direct_entry(p->prog);
    free(e);
    *out = p;
    return 0;
fail:
    free(e);
    bpfvm_cbpf_prog_free(p);
    return err;
}

void bpfvm_cbpf_prog_free(struct bpfvm_cbpf_prog *p)
{
    if (!p)
        return;
    bpfvm_prog_free(p->prog);
    bpfvm_vm_free(p->own_vm);
    free(p);
}

const struct bpfvm_insn *bpfvm_cbpf_prog_ebpf(const struct bpfvm_cbpf_prog *p, size_t *cnt)
{
    *cnt = bpfvm_prog_insn_cnt(p->prog);
    return bpfvm_prog_insns(p->prog);
}

int bpfvm_cbpf_prog_run(const struct bpfvm_cbpf_prog *p, const uint8_t *pkt, uint32_t caplen,
                        uint32_t wirelen, const struct bpfvm_cbpf_meta *meta, uint32_t *ret)
{
    /* the fast path first: native code that needs no run state */
    if (p->direct && pkt && (p->flavor != BPFVM_CBPF_SECCOMP || caplen >= CBPF_SECCOMP_DATA_SIZE)) {
        *ret = (uint32_t)p->direct((uint64_t)(uintptr_t)pkt, caplen, wirelen, 0, 0);
        return 0;
    }
    static const uint8_t empty[8];
    struct bpfvm_cbpf_run_ctx rc = {pkt ? pkt : empty, pkt ? caplen : 0, wirelen, meta, 0};
    if (p->flavor == BPFVM_CBPF_SECCOMP && rc.caplen < CBPF_SECCOMP_DATA_SIZE)
        return -EINVAL;
    struct bpfvm_exec_opts o = {.sz = sizeof(o)};
    o.args[0] = (uint64_t)(uintptr_t)rc.pkt;
    o.args[1] = rc.caplen;
    o.args[2] = wirelen;
    o.mem = (void *)(uintptr_t)rc.pkt;
    o.mem_size = rc.caplen;
    o.mem_writable = false;
    o.pkt = rc.pkt;
    o.pkt_size = rc.caplen;
    o.engine = p->engine;
    o.user = &rc;
    if (p->loops)
        o.insn_budget = CBPF_LOOP_BUDGET;
    uint64_t r0 = 0;
    int err = bpfvm_prog_exec(p->prog, &o, &r0);
    if (err == -ETIME && p->loops)
        r0 = 0; /* a libpcap program that loops too long rejects the packet */
    else if (err)
        return err;
    *ret = (uint32_t)r0;
    return 0;
}

bpfvm_direct_fn bpfvm_cbpf_prog_direct_entry(const struct bpfvm_cbpf_prog *p)
{
    return p && p->flavor != BPFVM_CBPF_SECCOMP ? p->direct : NULL;
}
