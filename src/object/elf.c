/* elf.c - reading a BPF ELF object with libelf: the section table (names, kinds, bounds),
 * the symbol table and every REL/RELA section, each relocation attached to the section it
 * patches.  Everything read from the file is bounds-checked here, so later stages can trust
 * indexes and sizes. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_int.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

const char *obj_sec_desc(const struct obj_sec *s, char *buf, size_t len)
{
    snprintf(buf, len, "section %u (%s)", s->index, s->name && s->name[0] ? s->name : "?");
    return buf;
}

static bool name_is(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(name, prefix, n) && (name[n] == 0 || name[n] == '.');
}

static enum obj_sec_kind classify(const struct obj_sec *s)
{
    if (s->type == SHT_REL || s->type == SHT_RELA)
        return OBJ_SEC_RELOC;
    if (s->type == SHT_SYMTAB)
        return OBJ_SEC_SYMTAB;
    if (!strcmp(s->name, "license"))
        return OBJ_SEC_LICENSE;
    if (!strcmp(s->name, "version"))
        return OBJ_SEC_VERSION;
    if (!strcmp(s->name, ".BTF"))
        return OBJ_SEC_BTF;
    if (!strcmp(s->name, ".maps"))
        return OBJ_SEC_BTF_MAPS;
    if (!strcmp(s->name, "maps") || !strncmp(s->name, "maps/", 5))
        return OBJ_SEC_MAPS;
    if (s->type == SHT_PROGBITS && (s->flags & SHF_EXECINSTR))
        return OBJ_SEC_CODE;
    if (!strcmp(s->name, ".bss") && s->type == SHT_NOBITS)
        return OBJ_SEC_BSS;
    if (s->type == SHT_PROGBITS && (s->flags & SHF_ALLOC)) {
        if (name_is(s->name, ".rodata"))
            return OBJ_SEC_RODATA;
        if (name_is(s->name, ".data"))
            return OBJ_SEC_DATA;
    }
    return OBJ_SEC_OTHER;
}

static int cmp_reloc(const void *a, const void *b)
{
    const struct obj_reloc *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

const struct obj_reloc *obj_reloc_at(const struct obj_sec *s, uint64_t offset)
{
    size_t lo = 0, hi = s->nrelocs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->relocs[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nrelocs && s->relocs[lo].offset == offset ? &s->relocs[lo] : NULL;
}

static int read_symbols(struct bpfvm_object *obj, struct obj_sec *st)
{
    char d[96];
    if (st->link >= obj->nsecs || obj->secs[st->link].type != SHT_STRTAB || !obj->secs[st->link].data)
        return obj_err(obj, EINVAL, "%s: string table index %u is not a string table",
                       obj_sec_desc(st, d, sizeof(d)), st->link);
    const struct obj_sec *strs = &obj->secs[st->link];
    if (st->size % sizeof(Elf64_Sym))
        return obj_err(obj, EINVAL, "%s: size %llu is not a multiple of %zu",
                       obj_sec_desc(st, d, sizeof(d)), (unsigned long long)st->size, sizeof(Elf64_Sym));
    size_t n = st->size / sizeof(Elf64_Sym);
    if (n > OBJ_MAX_SYMBOLS)
        return obj_err(obj, E2BIG, "%s: %zu symbols (limit %u)", obj_sec_desc(st, d, sizeof(d)), n,
                       OBJ_MAX_SYMBOLS);
    obj->syms = calloc(n ? n : 1, sizeof(*obj->syms));
    if (!obj->syms)
        return obj_err(obj, ENOMEM, "out of memory for %zu symbols", n);
    obj->nsyms = n;
    for (size_t i = 0; i < n; i++) {
        Elf64_Sym s;
        memcpy(&s, st->data + i * sizeof(s), sizeof(s));
        struct obj_sym *o = &obj->syms[i];
        if (s.st_name >= strs->size)
            return obj_err(obj, EINVAL, "%s: symbol %zu: name offset %u outside the string table",
                           obj_sec_desc(st, d, sizeof(d)), i, s.st_name);
        const char *nm = (const char *)strs->data + s.st_name;
        if (!memchr(nm, 0, strs->size - s.st_name))
            return obj_err(obj, EINVAL, "%s: symbol %zu: name is not terminated",
                           obj_sec_desc(st, d, sizeof(d)), i);
        o->name = nm;
        o->value = s.st_value;
        o->size = s.st_size;
        o->shndx = s.st_shndx;
        o->type = (uint8_t)GELF_ST_TYPE(s.st_info);
        o->bind = (uint8_t)GELF_ST_BIND(s.st_info);
        if (o->shndx >= obj->nsecs && o->shndx < SHN_LORESERVE)
            return obj_err(obj, EINVAL, "%s: symbol %zu (%s): section index %u out of range (%zu sections)",
                           obj_sec_desc(st, d, sizeof(d)), i, nm, o->shndx, obj->nsecs);
    }
    return 0;
}

static int read_relocs(struct bpfvm_object *obj, struct obj_sec *rs)
{
    char d[96], d2[96];
    bool rela = rs->type == SHT_RELA;
    size_t esz = rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
    if (rs->info == 0 || rs->info >= obj->nsecs)
        return obj_err(obj, EINVAL, "%s: target section %u out of range",
                       obj_sec_desc(rs, d, sizeof(d)), rs->info);
    struct obj_sec *t = &obj->secs[rs->info];
    if (t->kind != OBJ_SEC_CODE && t->kind != OBJ_SEC_BTF_MAPS)
        return 0; /* debug info, .BTF, data pointers: not needed to run */
    if (!rs->data || rs->size % esz)
        return obj_err(obj, EINVAL, "%s: size %llu is not a multiple of %zu",
                       obj_sec_desc(rs, d, sizeof(d)), (unsigned long long)rs->size, esz);
    if (t->relocs)
        return obj_err(obj, EINVAL, "%s: %s already has relocations",
                       obj_sec_desc(rs, d, sizeof(d)), obj_sec_desc(t, d2, sizeof(d2)));
    size_t n = rs->size / esz;
    if (!n)
        return 0;
    if (!(t->relocs = calloc(n, sizeof(*t->relocs))))
        return obj_err(obj, ENOMEM, "out of memory for %zu relocations", n);
    t->nrelocs = n;
    for (size_t i = 0; i < n; i++) {
        struct obj_reloc *r = &t->relocs[i];
        uint64_t info;
        if (rela) {
            Elf64_Rela e;
            memcpy(&e, rs->data + i * esz, esz);
            r->offset = e.r_offset;
            info = e.r_info;
            r->addend = e.r_addend;
        } else {
            Elf64_Rel e;
            memcpy(&e, rs->data + i * esz, esz);
            r->offset = e.r_offset;
            info = e.r_info;
        }
        r->rela = rela;
        r->sym = (uint32_t)ELF64_R_SYM(info);
        r->type = (uint32_t)ELF64_R_TYPE(info);
        if (r->sym >= obj->nsyms)
            return obj_err(obj, EINVAL, "%s: relocation %zu at offset 0x%llx: symbol %u out of range (%zu symbols)",
                           obj_sec_desc(rs, d, sizeof(d)), i, (unsigned long long)r->offset, r->sym,
                           obj->nsyms);
        if (r->offset >= t->size || t->size - r->offset < 4)
            return obj_err(obj, EINVAL, "%s: relocation %zu at offset 0x%llx is outside %s (%llu bytes)",
                           obj_sec_desc(rs, d, sizeof(d)), i, (unsigned long long)r->offset,
                           obj_sec_desc(t, d2, sizeof(d2)), (unsigned long long)t->size);
    }
    qsort(t->relocs, n, sizeof(*t->relocs), cmp_reloc);
    for (size_t i = 1; i < n; i++)
        if (t->relocs[i].offset == t->relocs[i - 1].offset)
            return obj_err(obj, EINVAL, "%s: two relocations at offset 0x%llx",
                           obj_sec_desc(t, d, sizeof(d)), (unsigned long long)t->relocs[i].offset);
    return 0;
}

static int read_sections(struct bpfvm_object *obj, Elf *elf)
{
    size_t shnum, shstrndx;
    if (elf_getshdrnum(elf, &shnum) || elf_getshdrstrndx(elf, &shstrndx))
        return obj_err(obj, EINVAL, "cannot read the section table: %s", elf_errmsg(-1));
    if (shnum > OBJ_MAX_SECTIONS)
        return obj_err(obj, E2BIG, "%zu sections (limit %u)", shnum, OBJ_MAX_SECTIONS);
    if (shnum == 0 || shstrndx >= shnum)
        return obj_err(obj, EINVAL, "no section name table (index %zu of %zu sections)", shstrndx, shnum);
    if (!(obj->secs = calloc(shnum, sizeof(*obj->secs))))
        return obj_err(obj, ENOMEM, "out of memory for %zu sections", shnum);
    obj->nsecs = shnum;

    /* section headers first: bounds against the image, without trusting libelf's data */
    for (size_t i = 0; i < shnum; i++) {
        Elf_Scn *scn = elf_getscn(elf, i);
        GElf_Shdr sh;
        struct obj_sec *s = &obj->secs[i];
        s->index = (uint32_t)i;
        s->map_idx = -1;
        s->name = "";
        if (!scn || !gelf_getshdr(scn, &sh))
            return obj_err(obj, EINVAL, "section %zu: cannot read its header: %s", i, elf_errmsg(-1));
        s->type = sh.sh_type;
        s->flags = sh.sh_flags;
        s->size = sh.sh_size;
        s->file_off = sh.sh_offset;
        s->link = sh.sh_link;
        s->info = sh.sh_info;
        if (i == 0 || sh.sh_type == SHT_NOBITS || sh.sh_type == SHT_NULL)
            continue;
        if (sh.sh_flags & SHF_COMPRESSED)
            return obj_err(obj, EOPNOTSUPP, "section %zu: compressed sections are not supported", i);
        if (sh.sh_offset > obj->image_len || sh.sh_size > obj->image_len - sh.sh_offset)
            return obj_err(obj, EINVAL, "section %zu: bytes 0x%llx..0x%llx are outside the %zu-byte file",
                           i, (unsigned long long)sh.sh_offset,
                           (unsigned long long)(sh.sh_offset + sh.sh_size), obj->image_len);
        s->data = obj->image + sh.sh_offset;
    }
    const struct obj_sec *ss = &obj->secs[shstrndx];
    if (ss->type != SHT_STRTAB || !ss->data || ss->size == 0)
        return obj_err(obj, EINVAL, "section %zu: the section name table is not a string table", shstrndx);
    if (!(obj->shstr = malloc(ss->size + 1)))
        return obj_err(obj, ENOMEM, "out of memory");
    memcpy(obj->shstr, ss->data, ss->size);
    obj->shstr[ss->size] = 0;
    for (size_t i = 1; i < shnum; i++) {
        Elf_Scn *scn = elf_getscn(elf, i);
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_name >= ss->size)
            return obj_err(obj, EINVAL, "section %zu: name offset %u outside the name table (%llu bytes)",
                           i, sh.sh_name, (unsigned long long)ss->size);
        obj->secs[i].name = obj->shstr + sh.sh_name;
        obj->secs[i].kind = classify(&obj->secs[i]);
    }
    return 0;
}

int obj_elf_read(struct bpfvm_object *obj)
{
    if (obj->image_len < sizeof(Elf64_Ehdr) || memcmp(obj->image, ELFMAG, SELFMAG))
        return obj_err(obj, EINVAL, "not an ELF file");
    if (obj->image[EI_CLASS] != ELFCLASS64)
        return obj_err(obj, EINVAL, "not a 64-bit ELF file (class %u)", obj->image[EI_CLASS]);
    if (obj->image[EI_DATA] != ELFDATA2LSB)
        return obj_err(obj, EOPNOTSUPP, "big-endian BPF objects (-target bpfeb) are not supported");
    elf_version(EV_CURRENT);
    Elf *elf = elf_memory((char *)obj->image, obj->image_len);
    if (!elf)
        return obj_err(obj, EINVAL, "libelf: %s", elf_errmsg(-1));
    int rc = 0;
    GElf_Ehdr eh;
    if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
        rc = obj_err(obj, EINVAL, "cannot read the ELF header: %s", elf_errmsg(-1));
        goto out;
    }
    if (eh.e_machine != EM_BPF) {
        rc = obj_err(obj, EINVAL, "ELF machine %u is not BPF (%u)", eh.e_machine, EM_BPF);
        goto out;
    }
    if (eh.e_type != ET_REL) {
        rc = obj_err(obj, EINVAL, "ELF type %u is not a relocatable object", eh.e_type);
        goto out;
    }
    if ((rc = read_sections(obj, elf)))
        goto out;
    for (size_t i = 1; i < obj->nsecs && !rc; i++) {
        struct obj_sec *s = &obj->secs[i];
        if (s->kind != OBJ_SEC_SYMTAB)
            continue;
        if (obj->syms)
            rc = obj_err(obj, EINVAL, "section %zu: a second symbol table", i);
        else
            rc = read_symbols(obj, s);
    }
    if (!rc && !obj->syms)
        rc = obj_err(obj, EINVAL, "no symbol table");
    for (size_t i = 1; i < obj->nsecs && !rc; i++)
        if (obj->secs[i].kind == OBJ_SEC_RELOC)
            rc = read_relocs(obj, &obj->secs[i]);
    for (size_t i = 1; i < obj->nsecs && !rc; i++) {
        const struct obj_sec *s = &obj->secs[i];
        char d[96];
        if (s->kind == OBJ_SEC_CODE && s->size % 8)
            rc = obj_err(obj, EINVAL, "%s: size %llu is not a multiple of 8",
                         obj_sec_desc(s, d, sizeof(d)), (unsigned long long)s->size);
        else if (s->kind == OBJ_SEC_LICENSE && s->data) {
            size_t n = s->size < sizeof(obj->license) - 1 ? s->size : sizeof(obj->license) - 1;
            memcpy(obj->license, s->data, n);
            obj->license[n] = 0;
        } else if (s->kind == OBJ_SEC_VERSION && s->data) {
            if (s->size != 4)
                rc = obj_err(obj, EINVAL, "%s: size %llu, expected 4", obj_sec_desc(s, d, sizeof(d)),
                             (unsigned long long)s->size);
            else
                memcpy(&obj->kversion, s->data, 4);
        } else if (s->kind == OBJ_SEC_BTF && s->data && !obj->has_btf) {
            /* BTF is only needed for ".maps"; elsewhere a broken one is skipped */
            bool needed = false;
            for (size_t j = 1; j < obj->nsecs; j++)
                needed |= obj->secs[j].kind == OBJ_SEC_BTF_MAPS;
            int brc = obj_btf_parse(obj, s);
            if (brc && needed)
                rc = brc;
            else if (brc) {
                obj_log(obj, 1, "%s: .BTF ignored: %s", obj->path,
                        obj->errbuf ? obj->errbuf : "malformed");
                if (obj->errbuf && obj->errbuf_len)
                    obj->errbuf[0] = 0;
            }
        }
    }
out:
    elf_end(elf);
    return rc;
}
