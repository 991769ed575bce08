/* testlib.h - the tiny test framework every unit test uses: checks that count, a summary line
 * "N passed, N failed" (read by CI), and small file helpers. */
#ifndef BPFVM_TESTLIB_H
#define BPFVM_TESTLIB_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern int test_passed, test_failed;

void test_check(int ok, const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define CHECK(cond) test_check(!!(cond), __FILE__, __LINE__, #cond, NULL)
#define CHECKF(cond, ...) test_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK_EQ_U64(a, b)                                                                    \
    do {                                                                                      \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                      \
        test_check(a_ == b_, __FILE__, __LINE__, #a " == " #b, "0x%llx != 0x%llx",            \
                   (unsigned long long)a_, (unsigned long long)b_);                           \
    } while (0)
#define CHECK_STR(a, b)                                                                       \
    do {                                                                                      \
        const char *a_ = (a), *b_ = (b);                                                      \
        test_check(a_ && b_ && strcmp(a_, b_) == 0, __FILE__, __LINE__, #a " == " #b,         \
                   "\"%s\" != \"%s\"", a_ ? a_ : "(null)", b_ ? b_ : "(null)");               \
    } while (0)

/* Assemble `text` (kernel syntax) and load it into `vm` with the given maps and
 * BPFVM_LOAD_* flags; a failure is a failed check and gives NULL. */
struct bpfvm_vm;
struct bpfvm_map;
struct bpfvm_prog;
struct bpfvm_prog *test_load_asm(struct bpfvm_vm *vm, const char *text, struct bpfvm_map *const *maps,
                                 size_t nmaps, unsigned flags);
/* The same with the caller's load options (type, errbuf, ...): assembling failures are failed
 * checks; returns bpfvm_prog_load's result, which tests may expect to be an error. */
struct bpfvm_load_opts;
int test_asm_load(struct bpfvm_vm *vm, const char *text, const struct bpfvm_load_opts *lo,
                  struct bpfvm_prog **out);

/* One xorshift64 step of *state (never 0): the tests' reproducible random numbers. */
static inline uint64_t test_rng(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Print the summary and return the process exit code (0 when nothing failed). */
int test_summary(void);
/* The running kernel through bpf(2), for tests that compare with it: the raw call (-errno on
 * failure), BPF_MAP_CREATE, and an element command (value doubles as next_key). */
union bpf_attr;
long test_kbpf(int cmd, union bpf_attr *attr);
int test_kmap_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
                     uint32_t flags, uint64_t map_extra);
long test_kmap_elem(int cmd, int fd, const void *key, const void *value, uint64_t flags);

/* Point BPFVM_PIN_DIR at a new empty directory, removed at exit: maps pinned by name must not
 * meet pins an earlier run (or another bpfvm build, with another layout) left behind. */
void test_fresh_pin_dir(void);

/* Read a whole file (NUL-terminated); NULL on error.  *len may be NULL. */
char *test_read_file(const char *path, size_t *len);

#endif
