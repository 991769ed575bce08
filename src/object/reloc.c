/* reloc.c - linking one program: its own instructions, then every function it calls (from
 * .text or any code section) appended once, libbpf-style, with call immediates and function
 * pointers (lddw BPF_PSEUDO_FUNC) fixed to the new layout; map relocations become
 * lddw src=BPF_PSEUDO_MAP_IDX imm=<map index>, global data relocations
 * lddw src=BPF_PSEUDO_MAP_IDX_VALUE imm=<map index>, second imm=<offset in the section>.
 * REL relocations carry the addend in the instruction (lddw imm in bytes, call imm in
 * instructions relative to the symbol); RELA ones add r_addend (bytes) on top. */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"
#include "isa/isa.h"

/* A contiguous piece of a code section copied into the program. */
struct unit {
    uint32_t sec;
    size_t start, cnt; /* in instructions, within the section */
    size_t pos;        /* where it starts in the linked program */
};

struct linker {
    struct bpfvm_object *obj;
    struct bpfvm_program *p;
    struct unit *units;
    size_t nunits, cap_units;
    struct bpfvm_insn *out;
    size_t cnt, cap;
};

static int add_unit(struct linker *l, uint32_t sec, size_t start, size_t cnt, size_t *idx)
{
    struct bpfvm_object *obj = l->obj;
    if (l->nunits == l->cap_units) {
        size_t nc = l->cap_units ? l->cap_units * 2 : 8;
        struct unit *nu = realloc(l->units, nc * sizeof(*nu));
        if (!nu)
            return obj_err(obj, ENOMEM, "out of memory");
        l->units = nu;
        l->cap_units = nc;
    }
    if (l->cnt + cnt > (1u << 20))
        return obj_err(obj, E2BIG, "program '%s' grows beyond 1M instructions when linked", l->p->name);
    if (l->cnt + cnt > l->cap) {
        size_t nc = l->cap ? l->cap : 64;
        while (nc < l->cnt + cnt)
            nc *= 2;
        struct bpfvm_insn *no = realloc(l->out, nc * sizeof(*no));
        if (!no)
            return obj_err(obj, ENOMEM, "out of memory");
        l->out = no;
        l->cap = nc;
    }
    const struct obj_sec *s = &obj->secs[sec];
    memcpy(&l->out[l->cnt], s->data + start * 8, cnt * 8);
    l->units[l->nunits] = (struct unit){.sec = sec, .start = start, .cnt = cnt, .pos = l->cnt};
    *idx = l->nunits++;
    l->cnt += cnt;
    return 0;
}

/* The function containing instruction `t` of code section `sec`: its STT_FUNC symbol's
 * range, or the whole section when it has no function symbols there. */
static void func_range(const struct bpfvm_object *obj, uint32_t sec, size_t t, size_t *start,
                       size_t *cnt)
{
    size_t sec_cnt = obj->secs[sec].size / 8;
    for (size_t i = 0; i < obj->nsyms; i++) {
        const struct obj_sym *s = &obj->syms[i];
        if (s->shndx != sec || s->type != STT_FUNC || s->value % 8)
            continue;
        size_t a = s->value / 8, n = s->size / 8;
        if (a >= sec_cnt)
            continue;
        if (n == 0 || n > sec_cnt - a)
            n = sec_cnt - a;
        if (t >= a && t < a + n) {
            *start = a;
            *cnt = n;
            return;
        }
    }
    *start = 0;
    *cnt = sec_cnt;
}

/* Position in the linked program of instruction `t` of section `sec`, appending its function. */
static int place(struct linker *l, uint32_t sec, size_t t, size_t *pos)
{
    for (size_t i = 0; i < l->nunits; i++) {
        const struct unit *u = &l->units[i];
        if (u->sec == sec && t >= u->start && t < u->start + u->cnt) {
            *pos = u->pos + (t - u->start);
            return 0;
        }
    }
    size_t start, cnt, idx;
    func_range(l->obj, sec, t, &start, &cnt);
    int rc = add_unit(l, sec, start, cnt, &idx);
    if (rc)
        return rc;
    *pos = l->units[idx].pos + (t - start);
    return 0;
}

static bool is_call(const struct bpfvm_insn *in)
{
    return in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL;
}

static bool is_lddw(const struct bpfvm_insn *in) { return in->code == (BPF_LD | BPF_IMM | BPF_DW); }

/* Symbol + addend as a byte offset in the symbol's section. */
static int64_t sym_off(const struct obj_sym *sym, const struct obj_reloc *r)
{
    return (int64_t)sym->value + (r->rela ? r->addend : 0);
}

static int relocate_lddw(struct linker *l, const struct unit *u, size_t i, const struct obj_reloc *r)
{
    struct bpfvm_object *obj = l->obj;
    const struct obj_sec *s = &obj->secs[u->sec];
    const struct obj_sym *sym = &obj->syms[r->sym];
    size_t pos = u->pos + i;
    struct bpfvm_insn *in = &l->out[pos];
    char d[96];
    if (pos + 1 >= l->cnt || (u->start + i + 1) >= u->start + u->cnt)
        return obj_err(obj, EINVAL, "%s: offset 0x%llx: lddw is cut off by the end of the function",
                       obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset);
    if (r->type != OBJ_R_BPF_64_64 && r->type != OBJ_R_BPF_64_ABS64)
        return obj_err(obj, EINVAL, "%s: offset 0x%llx: relocation type %u on lddw",
                       obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, r->type);
    if (sym->shndx == SHN_UNDEF)
        return obj_err(obj, EOPNOTSUPP, "%s: offset 0x%llx: extern '%s' (kconfig/ksym) is not supported",
                       obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, sym->name);
    if (sym->shndx >= obj->nsecs)
        return obj_err(obj, EINVAL, "%s: offset 0x%llx: symbol '%s' is in special section 0x%x",
                       obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, sym->name, sym->shndx);
    const struct obj_sec *ts = &obj->secs[sym->shndx];
    int64_t off = sym_off(sym, r) + in->imm;
    switch (ts->kind) {
    case OBJ_SEC_MAPS:
    case OBJ_SEC_BTF_MAPS: {
        int mi = obj_map_at(obj, ts->index, (uint64_t)off);
        if (mi < 0)
            return obj_err(obj, EINVAL, "%s: offset 0x%llx: '%s' (+%lld in %s) is not a map definition",
                           obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, sym->name,
                           (long long)off, ts->name);
        in->src_reg = BPF_PSEUDO_MAP_IDX;
        in->imm = mi;
        in[1].imm = 0;
        return 0;
    }
    case OBJ_SEC_DATA:
    case OBJ_SEC_RODATA:
    case OBJ_SEC_BSS:
        if (ts->map_idx < 0 || off < 0 || (uint64_t)off >= ts->size)
            return obj_err(obj, EINVAL, "%s: offset 0x%llx: '%s' +%lld is outside %s (%llu bytes)",
                           obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, sym->name,
                           (long long)off, ts->name, (unsigned long long)ts->size);
        in->src_reg = BPF_PSEUDO_MAP_IDX_VALUE;
        in->imm = ts->map_idx;
        in[1].imm = (int32_t)off;
        return 0;
    case OBJ_SEC_CODE: {
        /* function pointer (callbacks for bpf_loop, for_each_map_elem, timers) */
        if (off < 0 || off % 8 || (uint64_t)off >= ts->size)
            return obj_err(obj, EINVAL, "%s: offset 0x%llx: function address '%s' +%lld is outside %s",
                           obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, sym->name,
                           (long long)off, ts->name);
        size_t target;
        int rc = place(l, ts->index, (size_t)off / 8, &target);
        if (rc)
            return rc;
        in = &l->out[pos]; /* place() may have moved the buffer */
        in->src_reg = BPF_PSEUDO_FUNC;
        in->imm = (int32_t)((int64_t)target - (int64_t)(pos + 1));
        in[1].imm = 0;
        return 0;
    }
    default:
        return obj_err(obj, EINVAL, "%s: offset 0x%llx: lddw refers to '%s' in %s, which is neither a map nor data",
                       obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, sym->name,
                       obj_sec_desc(ts, d, sizeof(d)));
    }
}

static int relocate_call(struct linker *l, const struct unit *u, size_t i, const struct obj_reloc *r)
{
    struct bpfvm_object *obj = l->obj;
    const struct obj_sec *s = &obj->secs[u->sec];
    size_t pos = u->pos + i;
    char d[96];
    uint32_t tsec = u->sec;
    int64_t t;
    int32_t imm = l->out[pos].imm;
    if (r) {
        const struct obj_sym *sym = &obj->syms[r->sym];
        if (r->type != OBJ_R_BPF_64_32 && r->type != OBJ_R_BPF_64_ABS32)
            return obj_err(obj, EINVAL, "%s: offset 0x%llx: relocation type %u on a call",
                           obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, r->type);
        if (sym->shndx == SHN_UNDEF || sym->shndx >= obj->nsecs ||
            obj->secs[sym->shndx].kind != OBJ_SEC_CODE)
            return obj_err(obj, EINVAL, "%s: offset 0x%llx: call to '%s', which is not a function in this object",
                           obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, sym->name);
        int64_t base = sym_off(sym, r);
        if (base % 8)
            return obj_err(obj, EINVAL, "%s: offset 0x%llx: call target '%s' is not instruction aligned",
                           obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, sym->name);
        tsec = sym->shndx;
        t = base / 8 + (int64_t)imm + 1;
    } else {
        t = (int64_t)(u->start + i) + 1 + imm;
    }
    const struct obj_sec *ts = &obj->secs[tsec];
    if (t < 0 || (uint64_t)t >= ts->size / 8)
        return obj_err(obj, EINVAL, "%s: offset 0x%llx: call target %lld is outside %s (%llu instructions)",
                       obj_sec_desc(s, d, sizeof(d)), (unsigned long long)((u->start + i) * 8),
                       (long long)t, ts->name, (unsigned long long)(ts->size / 8));
    size_t target;
    int rc = place(l, tsec, (size_t)t, &target);
    if (rc)
        return rc;
    l->out[pos].imm = (int32_t)((int64_t)target - (int64_t)(pos + 1));
    return 0;
}

int obj_link_program(struct bpfvm_object *obj, struct bpfvm_program *p)
{
    struct linker l = {.obj = obj, .p = p};
    size_t idx;
    int rc = add_unit(&l, p->sec_idx, p->sec_insn_off, p->sec_insn_cnt, &idx);
    /* units appended while walking are walked too */
    for (size_t ui = 0; ui < l.nunits && !rc; ui++) {
        const struct unit u = l.units[ui]; /* copy: add_unit may move the array */
        const struct obj_sec *s = &obj->secs[u.sec];
        for (size_t i = 0; i < u.cnt && !rc; i++) {
            const struct obj_reloc *r = obj_reloc_at(s, (u.start + i) * 8);
            const struct bpfvm_insn *in = &l.out[u.pos + i];
            char d[96];
            if (is_lddw(in)) {
                if (r)
                    rc = relocate_lddw(&l, &u, i, r);
                i++; /* skip the second slot */
                if (!rc && i < u.cnt && obj_reloc_at(s, (u.start + i) * 8))
                    rc = obj_err(obj, EINVAL, "%s: offset 0x%llx: relocation on the second half of lddw",
                                 obj_sec_desc(s, d, sizeof(d)), (unsigned long long)((u.start + i) * 8));
            } else if (is_call(in)) {
                rc = relocate_call(&l, &u, i, r);
            } else if (r && r->type != OBJ_R_BPF_NONE) {
                rc = obj_err(obj, EINVAL, "%s: offset 0x%llx: relocation (type %u, symbol '%s') on an instruction that is neither lddw nor call",
                             obj_sec_desc(s, d, sizeof(d)), (unsigned long long)r->offset, r->type,
                             obj->syms[r->sym].name);
            }
        }
    }
    free(l.units);
    if (rc) {
        free(l.out);
        return rc;
    }
    free(p->insns);
    p->insns = l.out;
    p->cnt = l.cnt;
    return 0;
}
