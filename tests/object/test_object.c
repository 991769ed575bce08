/* test_object.c - BPF objects compiled by clang -target bpf (and gcc-bpf when present) load
 * and run in bpfvm with the expected results: sections and program types, the three map
 * definition styles, global data (.rodata frozen), bpf-to-bpf calls, tail calls, map-in-map,
 * program selection, and clear errors for broken files.  argv[1] is the directory of the
 * compiled objects. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "obj_helpers.h"
#include "bpfvm/bpfvm.h"
#include "bpfvm/map.h"
#include "bpfvm/object.h"

static const char *dir = ".";
static char errbuf[512];

static const char *path_of(const char *name)
{
    static char p[4096];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static struct bpfvm_object *open_obj(const char *name)
{
    struct bpfvm_object *obj = NULL;
    struct bpfvm_object_open_opts o = {.sz = sizeof(o), .errbuf = errbuf, .errbuf_len = sizeof(errbuf)};
    int rc = bpfvm_object_open_file(path_of(name), &o, &obj);
    CHECKF(rc == 0, "open %s: %d %s", name, rc, errbuf);
    return obj;
}

static struct bpfvm_vm *new_vm(void)
{
    struct bpfvm_vm *vm = bpfvm_vm_new();
    CHECK(vm && obj_test_add_helpers(vm) == 0);
    return vm;
}

static int load(struct bpfvm_object *obj, struct bpfvm_vm *vm)
{
    struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .errbuf = errbuf, .errbuf_len = sizeof(errbuf)};
    int rc = bpfvm_object_load(obj, vm, &lo);
    CHECKF(rc == 0, "load %s: %d %s", bpfvm_object_name(obj), rc, errbuf);
    return rc;
}

/* Raw convention: r1 = data, r2 = length. */
static uint64_t run_data(struct bpfvm_program *p, const void *data, uint32_t len)
{
    struct bpfvm_test_run_opts t = {.sz = sizeof(t), .data_in = data, .data_size_in = len,
                                            .errbuf = errbuf, .errbuf_len = sizeof(errbuf)};
    int rc = bpfvm_program_test_run(p, &t);
    CHECKF(rc == 0, "run %s: %d %s", bpfvm_program_name(p), rc, errbuf);
    return rc ? ~0ull : t.retval;
}

/* Ethernet + IPv4 + TCP/UDP to a destination port. */
static size_t make_pkt(uint8_t *b, uint16_t ethertype, uint8_t proto, uint16_t dport)
{
    memset(b, 0, 64);
    b[12] = (uint8_t)(ethertype >> 8);
    b[13] = (uint8_t)ethertype;
    b[14] = 0x45;
    b[14 + 9] = proto;
    b[14 + 20 + 2] = (uint8_t)(dport >> 8);
    b[14 + 20 + 3] = (uint8_t)dport;
    return 64;
}

static uint64_t map_u64(struct bpfvm_object *obj, const char *map, const void *key)
{
    struct bpfvm_object_map *m = bpfvm_object_find_map_by_name(obj, map);
    uint64_t v = 0;
    CHECKF(m && bpfvm_object_map_map(m), "map %s", map);
    if (m && bpfvm_object_map_map(m))
        CHECK(bpfvm_map_lookup_elem(bpfvm_object_map_map(m), key, &v) == 0);
    return v;
}

static void test_tc(void)
{
    struct bpfvm_object *obj = open_obj("tc_drop22.bpf.o");
    if (!obj)
        return;
    struct bpfvm_vm *vm = new_vm();
    CHECK_EQ_U64(bpfvm_object_program_cnt(obj), 2);
    struct bpfvm_program *cls = bpfvm_object_find_program_by_section(obj, "classifier");
    struct bpfvm_program *abs = bpfvm_object_find_program_by_name(obj, "drop22_ldabs");
    CHECK(cls && abs);
    CHECK_STR(bpfvm_program_name(cls), "handle_ingress");
    CHECK_STR(bpfvm_program_type_name(cls), "sched_cls");
    CHECK_EQ_U64(bpfvm_program_type(abs), 3);
    CHECK_STR(bpfvm_object_license(obj), "GPL");
    if (load(obj, vm) == 0) {
        uint8_t pkt[64];
        struct { uint16_t et; uint8_t proto; uint16_t port; uint64_t want; } cases[] = {
            {0x0800, 6, 22, 2}, {0x0800, 6, 80, 0}, {0x0800, 17, 22, 0}, {0x86dd, 6, 22, 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            size_t n = make_pkt(pkt, cases[i].et, cases[i].proto, cases[i].port);
            CHECK_EQ_U64(run_data(abs, pkt, (uint32_t)n), cases[i].want);
            CHECK_EQ_U64(run_data(cls, pkt, (uint32_t)n), cases[i].want);
        }
        CHECK_EQ_U64(run_data(cls, pkt, 20), 0); /* too short */
    }
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
}

static void test_sockex1(void)
{
    struct bpfvm_object *obj = open_obj("sockex1.bpf.o");
    if (!obj)
        return;
    struct bpfvm_vm *vm = new_vm();
    struct bpfvm_program *p = NULL;
    CHECK(bpfvm_object_select_program(obj, NULL, &p, errbuf, sizeof(errbuf)) == 0);
    CHECK_STR(bpfvm_program_section_name(p), "socket1");
    CHECK_STR(bpfvm_program_type_name(p), "socket_filter");
    CHECK_EQ_U64(bpfvm_object_kversion(obj), 0x060100);
    struct bpfvm_object_map *m = bpfvm_object_find_map_by_name(obj, "my_map");
    CHECK(m && bpfvm_object_map_type(m) == BPFVM_MAP_TYPE_ARRAY);
    CHECK_STR(bpfvm_object_map_def_kind(m), "legacy");
    CHECK_EQ_U64(bpfvm_object_map_max_entries(m), 256);
    CHECK_EQ_U64(bpfvm_object_map_value_size(m), 8);
    if (load(obj, vm) == 0) {
        /* As in the kernel's test run, a socket filter's data starts at the network header:
         * sockex1's load_byte(skb, 14 + 9) reads packet byte 37 (the low byte of the port). */
        uint8_t pkt[64];
        run_data(p, pkt, (uint32_t)make_pkt(pkt, 0x0800, 1, 6));
        run_data(p, pkt, (uint32_t)make_pkt(pkt, 0x0800, 1, 6));
        run_data(p, pkt, (uint32_t)make_pkt(pkt, 0x0800, 6, 17));
        uint32_t k = 6;
        CHECK_EQ_U64(map_u64(obj, "my_map", &k), 2);
        k = 17;
        CHECK_EQ_U64(map_u64(obj, "my_map", &k), 1);
        k = 1;
        CHECK_EQ_U64(map_u64(obj, "my_map", &k), 0);
    }
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
}

static void test_xdp(void)
{
    struct bpfvm_object *obj = open_obj("xdp_count.bpf.o");
    if (!obj)
        return;
    struct bpfvm_vm *vm = new_vm();
    struct bpfvm_program *p = bpfvm_object_find_program_by_name(obj, "xdp_count");
    CHECK(p && bpfvm_program_type(p) == 6);
    CHECK_EQ_U64(bpfvm_program_expected_attach_type(p), 37 /* BPF_XDP */);
    struct bpfvm_object_map *h = bpfvm_object_find_map_by_name(obj, "proto_count");
    struct bpfvm_object_map *pc = bpfvm_object_find_map_by_name(obj, "pcpu");
    CHECK(h && pc);
    if (h && pc) {
        CHECK_STR(bpfvm_object_map_def_kind(h), "btf");
        CHECK_EQ_U64(bpfvm_object_map_type(h), BPFVM_MAP_TYPE_HASH);
        CHECK_EQ_U64(bpfvm_object_map_key_size(h), 2);
        CHECK_EQ_U64(bpfvm_object_map_value_size(h), 8);
        CHECK_EQ_U64(bpfvm_object_map_max_entries(h), 64);
        CHECK_EQ_U64(bpfvm_object_map_type(pc), BPFVM_MAP_TYPE_PERCPU_ARRAY);
        CHECK_EQ_U64(bpfvm_object_map_pinning(pc), 1);
        CHECK_EQ_U64(bpfvm_object_map_key_size(pc), 4);
    }
    if (p && load(obj, vm) == 0) {
        uint8_t pkt[64];
        size_t n = make_pkt(pkt, 0x0800, 6, 1);
        CHECK_EQ_U64(run_data(p, pkt, (uint32_t)n), 2);
        CHECK_EQ_U64(run_data(p, pkt, (uint32_t)n), 2);
        n = make_pkt(pkt, 0x86dd, 6, 1);
        CHECK_EQ_U64(run_data(p, pkt, (uint32_t)n), 1);
        uint16_t k = 0x0800;
        CHECK_EQ_U64(map_u64(obj, "proto_count", &k), 2);
        k = 0x86dd;
        CHECK_EQ_U64(map_u64(obj, "proto_count", &k), 1);
    }
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
}

static void test_globals(void)
{
    for (int pass = 0; pass < 2; pass++) {
        struct bpfvm_object *obj = open_obj("globals.bpf.o");
        if (!obj)
            return;
        struct bpfvm_vm *vm = new_vm();
        struct bpfvm_object_map *data = bpfvm_object_find_map_by_name(obj, ".data");
        struct bpfvm_object_map *ro = bpfvm_object_find_map_by_name(obj, ".rodata");
        struct bpfvm_object_map *bss = bpfvm_object_find_map_by_name(obj, ".bss");
        CHECK(data && ro && bss);
        if (!data || !ro || !bss) {
            bpfvm_object_close(obj);
            bpfvm_vm_free(vm);
            return;
        }
        CHECK_STR(bpfvm_object_map_name(data), "globals.data");
        CHECK_STR(bpfvm_object_map_def_kind(ro), "data");
        CHECK(bpfvm_object_map_flags(ro) & BPFVM_F_RDONLY_PROG);
        CHECK(bpfvm_object_find_map_by_name(obj, ".data.big") != NULL);
        const char *vn;
        uint32_t off, sz;
        bool found = false;
        for (uint32_t i = 0; bpfvm_object_map_var(ro, i, &vn, &off, &sz); i++)
            if (!strcmp(vn, "factor")) {
                found = true;
                CHECK_EQ_U64(sz, 4);
                uint32_t v;
                size_t isz;
                const uint8_t *iv = bpfvm_object_map_initial_value(ro, &isz);
                CHECK(iv && off + 4 <= isz);
                if (iv && off + 4 <= isz) {
                    memcpy(&v, iv + off, 4);
                    CHECK_EQ_U64(v, 3);
                    if (pass == 1) { /* like a skeleton setting rodata before load */
                        uint8_t *copy = malloc(isz);
                        memcpy(copy, iv, isz);
                        v = 10;
                        memcpy(copy + off, &v, 4);
                        CHECK(bpfvm_object_map_set_initial_value(ro, copy, isz) == 0);
                        free(copy);
                    }
                }
            }
        CHECK(found);
        struct bpfvm_program *p = bpfvm_object_find_program_by_name(obj, "use_globals");
        if (p && load(obj, vm) == 0) {
            uint8_t pkt[64] = {0};
            /* counter + factor + table[hits & 7] + 'e' + calls */
            CHECK_EQ_U64(run_data(p, pkt, sizeof(pkt)), pass ? 110 + 2 + 101 + 2 : 103 + 2 + 101 + 2);
            CHECK_EQ_U64(run_data(p, pkt, sizeof(pkt)), pass ? 120 + 3 + 101 + 4 : 106 + 3 + 101 + 4);
            struct bpfvm_map *rm = bpfvm_object_map_map(ro);
            CHECK(rm && bpfvm_map_is_frozen(rm));
            uint32_t k = 0;
            uint8_t buf[256] = {0};
            CHECK(bpfvm_map_update_elem(rm, &k, buf, 0) == -EPERM);
            CHECK(bpfvm_object_map_set_initial_value(ro, buf, 4) != 0);
            /* .bss: hits == 2 */
            struct bpfvm_map *bm = bpfvm_object_map_map(bss);
            CHECK(bm && bpfvm_map_lookup_elem(bm, &k, buf) == 0);
            uint64_t hits = 0;
            for (uint32_t i = 0; bpfvm_object_map_var(bss, i, &vn, &off, &sz); i++)
                if (!strcmp(vn, "hits"))
                    memcpy(&hits, buf + off, 8);
            CHECK_EQ_U64(hits, 2);
        }
        bpfvm_object_close(obj);
        bpfvm_vm_free(vm);
    }
}

static void test_calls(void)
{
    struct bpfvm_object *obj = open_obj("calls.bpf.o");
    if (!obj)
        return;
    struct bpfvm_vm *vm = new_vm();
    struct bpfvm_program *a = NULL, *b = NULL;
    CHECK(bpfvm_object_select_program(obj, "prog_a", &a, errbuf, sizeof(errbuf)) == 0);
    CHECK(bpfvm_object_select_program(obj, "prog_b", &b, errbuf, sizeof(errbuf)) == 0);
    CHECK(bpfvm_object_select_program(obj, "socket", &a, errbuf, sizeof(errbuf)) == -EINVAL);
    CHECKF(strstr(errbuf, "ambiguous") && strstr(errbuf, "prog_a") && strstr(errbuf, "prog_b"), "%s", errbuf);
    CHECK(bpfvm_object_select_program(obj, NULL, &a, errbuf, sizeof(errbuf)) == -EINVAL);
    CHECK(bpfvm_object_select_program(obj, "nope", &a, errbuf, sizeof(errbuf)) == -ENOENT);
    a = bpfvm_object_find_program_by_name(obj, "prog_a");
    CHECK(bpfvm_object_find_program_by_name(obj, "square") == NULL); /* .text is not a program */
    if (a && b && load(obj, vm) == 0) {
        uint8_t pkt[64] = {0};
        CHECK_EQ_U64(run_data(a, pkt, 64), 25 + 24);
        CHECK_EQ_U64(run_data(a, pkt, 64), 50 + 24);
        CHECK_EQ_U64(run_data(b, pkt, 64), 49 + 5);
        CHECK_EQ_U64(run_data(b, pkt, 64), 49 + 10);
        /* the same through the JIT, where there is one */
        struct bpfvm_test_run_opts t = {.sz = sizeof(t), .data_in = pkt, .data_size_in = 64,
                                                .engine = BPFVM_ENGINE_INTERP};
        CHECK(bpfvm_program_test_run(b, &t) == 0 && t.retval == 49 + 15);
    }
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
}

static void test_iproute2(void)
{
    struct bpfvm_object *obj = open_obj("iproute2.bpf.o");
    if (!obj)
        return;
    struct bpfvm_vm *vm = new_vm();
    struct bpfvm_program *m = bpfvm_object_find_program_by_section(obj, "classifier");
    struct bpfvm_program *t0 = bpfvm_object_find_program_by_section(obj, "1/0");
    CHECK(m && t0);
    CHECK_STR(bpfvm_program_type_name(t0), "sched_cls");
    struct bpfvm_object_map *jmp = bpfvm_object_find_map_by_name(obj, "jmp_tc");
    struct bpfvm_object_map *inner = bpfvm_object_find_map_by_name(obj, "map_inner");
    CHECK(jmp && inner);
    if (jmp) {
        CHECK_STR(bpfvm_object_map_def_kind(jmp), "iproute2");
        CHECK_EQ_U64(bpfvm_object_map_pinning(jmp), 2);
        CHECK_EQ_U64(bpfvm_object_map_type(jmp), BPFVM_MAP_TYPE_PROG_ARRAY);
    }
    if (m && inner && load(obj, vm) == 0) {
        uint8_t pkt[64] = {0};
        CHECK_EQ_U64(run_data(m, pkt, 64), 100); /* inner[0] = 0 -> "1/0" */
        uint32_t k = 0, v = 1;
        CHECK(bpfvm_map_update_elem(bpfvm_object_map_map(inner), &k, &v, 0) == 0);
        CHECK_EQ_U64(run_data(m, pkt, 64), 101);
        v = 5;
        CHECK(bpfvm_map_update_elem(bpfvm_object_map_map(inner), &k, &v, 0) == 0);
        CHECK_EQ_U64(run_data(m, pkt, 64), 3);
    }
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
}

static void test_btf_mim(void)
{
    struct bpfvm_object *obj = open_obj("btf_mim.bpf.o");
    if (!obj)
        return;
    struct bpfvm_vm *vm = new_vm();
    struct bpfvm_program *p = bpfvm_object_find_program_by_name(obj, "mim_main");
    struct bpfvm_object_map *ib = bpfvm_object_find_map_by_name(obj, "inner_b");
    struct bpfvm_object_map *l28 = bpfvm_object_find_map_by_name(obj, "legacy28");
    CHECK(p && ib && l28);
    if (l28) {
        CHECK_STR(bpfvm_object_map_def_kind(l28), "legacy");
        CHECK_EQ_U64(bpfvm_object_map_key_size(l28), 8);
        CHECK_EQ_U64(bpfvm_object_map_value_size(l28), 16);
    }
    struct bpfvm_object_map *outer = bpfvm_object_find_map_by_name(obj, "outer");
    CHECK(outer && bpfvm_object_map_value_size(outer) == 4);
    if (p && ib && load(obj, vm) == 0) {
        uint8_t pkt[64] = {0};
        CHECK_EQ_U64(run_data(p, pkt, 64), 3); /* jmp[0] is empty */
        uint32_t k = 1, v = 1;
        CHECK(bpfvm_map_update_elem(bpfvm_object_map_map(ib), &k, &v, 0) == 0);
        CHECK_EQ_U64(run_data(p, pkt, 64), 77); /* jmp[1] = tail_target */
        void *ptr = NULL;
        k = 0;
        CHECK(bpfvm_map_lookup_ptr(bpfvm_object_map_map(outer), &k, &ptr) == 0 &&
              ptr == bpfvm_object_map_map(bpfvm_object_find_map_by_name(obj, "inner_a")));
        k = 1;
        CHECK(bpfvm_map_lookup_ptr(bpfvm_object_map_map(outer), &k, &ptr) == -ENOENT);
    }
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
}

static void test_gcc(void)
{
    FILE *f = fopen(path_of("gcc_sockex.o"), "rb");
    if (!f) {
        printf("SKIP gcc-bpf object: bpf-gcc not installed (apt-get install gcc-bpf)\n");
        return;
    }
    fclose(f);
    struct bpfvm_object *obj = open_obj("gcc_sockex.o");
    if (!obj)
        return;
    struct bpfvm_vm *vm = new_vm();
    struct bpfvm_program *p = bpfvm_object_find_program_by_name(obj, "gcc_prog");
    CHECK(p);
    /* gcc-bpf 12 emits LD_ABS without the context in r6: the kernel's verifier rejects that,
     * and so does bpfvm's; unverified, the program still runs with run-time checks */
    struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .errbuf = errbuf, .errbuf_len = sizeof(errbuf)};
    CHECK(bpfvm_object_load(obj, vm, &lo) != 0 && strstr(errbuf, "R6 !read_ok"));
    bpfvm_object_close(obj);
    obj = open_obj("gcc_sockex.o");
    lo.flags = BPFVM_LOAD_NO_VERIFY;
    if (obj && (p = bpfvm_object_find_program_by_name(obj, "gcc_prog")) &&
        bpfvm_object_load(obj, vm, &lo) == 0) {
        uint8_t pkt[64];
        size_t n = make_pkt(pkt, 0x0800, 1, 6); /* byte 37 = 6, see test_sockex1 */
        CHECK_EQ_U64(run_data(p, pkt, (uint32_t)n), 42);
        CHECK_EQ_U64(run_data(p, pkt, (uint32_t)n), 42);
        uint32_t k = 6;
        CHECK_EQ_U64(map_u64(obj, "counts", &k), 2);
    }
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
}

/* Autoload off: only the selected program is loaded. */
static void test_autoload(void)
{
    struct bpfvm_object *obj = open_obj("calls.bpf.o");
    if (!obj)
        return;
    struct bpfvm_vm *vm = new_vm();
    struct bpfvm_program *a = bpfvm_object_find_program_by_name(obj, "prog_a");
    struct bpfvm_program *b = bpfvm_object_find_program_by_name(obj, "prog_b");
    CHECK(bpfvm_program_set_autoload(a, false) == 0);
    if (load(obj, vm) == 0) {
        CHECK(bpfvm_program_prog(a) == NULL && bpfvm_program_prog(b) != NULL);
        CHECK(bpfvm_program_set_autoload(a, true) == -EBUSY);
        struct bpfvm_test_run_opts t = {.sz = sizeof(t)};
        CHECK(bpfvm_program_test_run(a, &t) == -ENOENT);
    }
    CHECK(bpfvm_object_load(obj, vm, NULL) == -EBUSY);
    bpfvm_object_close(obj);
    bpfvm_vm_free(vm);
}

/* Broken input: clear errors naming the file, never a crash. */
static void test_errors(void)
{
    struct bpfvm_object *obj = NULL;
    struct bpfvm_object_open_opts o = {.sz = sizeof(o), .errbuf = errbuf, .errbuf_len = sizeof(errbuf),
                                       .object_name = "junk.o"};
    CHECK(bpfvm_object_open_mem("hello", 5, &o, &obj) == -EINVAL && !obj);
    CHECKF(strstr(errbuf, "junk.o: not an ELF file"), "%s", errbuf);
    CHECK(bpfvm_object_open_file("/nonexistent/x.o", NULL, &obj) == -ENOENT);

    size_t len;
    char *img = test_read_file(path_of("sockex1.bpf.o"), &len);
    CHECK(img != NULL);
    if (!img)
        return;
    /* truncated: the section table is at the end of the file */
    CHECK(bpfvm_object_open_mem(img, len - 100, &o, &obj) < 0 && !obj);
    CHECKF(strstr(errbuf, "junk.o: "), "%s", errbuf);
    /* wrong machine */
    char *copy = malloc(len);
    memcpy(copy, img, len);
    copy[18] = 62;
    CHECK(bpfvm_object_open_mem(copy, len, &o, &obj) == -EINVAL);
    CHECKF(strstr(errbuf, "not BPF"), "%s", errbuf);
    free(copy);
    free(img);
}

/* Every object, cut short at many lengths and mutated 2000 times: open and load must fail
 * cleanly or succeed; nothing may crash or leak (run under ASan). */
static void test_fuzz(void)
{
    const char *names[] = {"tc_drop22.bpf.o", "sockex1.bpf.o", "xdp_count.bpf.o", "globals.bpf.o",
                           "calls.bpf.o", "iproute2.bpf.o", "btf_mim.bpf.o"};
    size_t nn = sizeof(names) / sizeof(names[0]);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned opened = 0, loaded = 0, total = 0;
    struct bpfvm_vm *vm = new_vm();
    int iters = getenv("BPFVM_OBJECT_FUZZ_ITERS") ? atoi(getenv("BPFVM_OBJECT_FUZZ_ITERS")) : 20000;
    for (size_t f = 0; f < nn; f++) {
        size_t len;
        char *img = test_read_file(path_of(names[f]), &len);
        if (!img)
            continue;
        char *buf = malloc(len);
        for (size_t cut = 0; cut < len; cut += 1 + len / 97) {
            struct bpfvm_object *obj = NULL;
            struct bpfvm_object_open_opts o = {.sz = sizeof(o), .errbuf = errbuf, .errbuf_len = sizeof(errbuf)};
            if (bpfvm_object_open_mem(img, cut, &o, &obj) == 0)
                bpfvm_object_close(obj);
            total++;
        }
        for (int it = 0; it < iters / (int)nn; it++) {
            memcpy(buf, img, len);
            int nmut = 1 + (int)(seed % 4);
            for (int k = 0; k < nmut; k++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                size_t pos = (size_t)(seed >> 33) % len;
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                uint8_t val = (uint8_t)(seed >> 40);
                /* mostly headers and tables: bias towards the ELF header and section table */
                if (k == 0 && (seed >> 20) % 3 == 0)
                    pos = (size_t)(seed >> 45) % (len < 64 ? len : 64);
                buf[pos] = (char)((seed >> 50) % 4 == 0 ? (uint8_t)(buf[pos] ^ (1u << (val & 7))) : val);
            }
            struct bpfvm_object *obj = NULL;
            struct bpfvm_object_open_opts o = {.sz = sizeof(o), .errbuf = errbuf, .errbuf_len = sizeof(errbuf)};
            errbuf[0] = 0;
            int rc = bpfvm_object_open_mem(buf, len, &o, &obj);
            if (rc == 0) {
                opened++;
                struct bpfvm_object_load_opts lo = {.sz = sizeof(lo), .errbuf = errbuf, .errbuf_len = sizeof(errbuf)};
                if (bpfvm_object_load(obj, vm, &lo) == 0)
                    loaded++;
                bpfvm_object_close(obj);
            } else {
                CHECKF(errbuf[0] && obj == NULL, "rc %d without a message", rc);
            }
            total++;
        }
        free(buf);
        free(img);
    }
    printf("fuzz: %u inputs, %u opened, %u loaded\n", total, opened, loaded);
    CHECK(total > 2000);
    bpfvm_vm_free(vm);
}

/* A BTF map with pinning = LIBBPF_PIN_BY_NAME is shared by two loads of the object. */
static void test_pinning(void)
{
    struct bpfvm_object *a = open_obj("xdp_count.bpf.o"), *b = open_obj("xdp_count.bpf.o");
    struct bpfvm_vm *vm = new_vm();
    if (!a || !b || load(a, vm) || load(b, vm)) {
        bpfvm_object_close(a);
        bpfvm_object_close(b);
        bpfvm_vm_free(vm);
        return;
    }
    struct bpfvm_map *ma = bpfvm_object_map_map(bpfvm_object_find_map_by_name(a, "pcpu"));
    struct bpfvm_map *mb = bpfvm_object_map_map(bpfvm_object_find_map_by_name(b, "pcpu"));
    CHECK(ma && mb);
    char pin[1024] = "";
    if (ma && bpfvm_map_pin_path(ma))
        snprintf(pin, sizeof(pin), "%s", bpfvm_map_pin_path(ma));
    CHECKF(strstr(pin, "/pcpu"), "pin path '%s'", pin);
    /* the unpinned map of the same object is private to each load */
    struct bpfvm_map *ha = bpfvm_object_map_map(bpfvm_object_find_map_by_name(a, "proto_count"));
    CHECK(ha && !bpfvm_map_pin_path(ha));
    if (ma && mb) {
        uint32_t key = 0, slots = bpfvm_map_nr_slots(ma);
        uint64_t *in = calloc(slots, 8), *out = calloc(slots, 8);
        for (uint32_t i = 0; in && i < slots; i++)
            in[i] = 1000 + i;
        CHECK(in && out && bpfvm_map_update_elem(ma, &key, in, BPFVM_ANY) == 0);
        CHECK(out && bpfvm_map_lookup_elem(mb, &key, out) == 0 && out[0] == 1000);
        free(in);
        free(out);
    }
    bpfvm_object_close(a);
    bpfvm_object_close(b);
    if (pin[0])
        bpfvm_map_unpin(pin);
    bpfvm_vm_free(vm);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        dir = argv[1];
    test_fresh_pin_dir();
    test_tc();
    test_sockex1();
    test_xdp();
    test_globals();
    test_calls();
    test_iproute2();
    test_btf_mim();
    test_gcc();
    test_autoload();
    test_errors();
    test_pinning();
    test_fuzz();
    return test_summary();
}
