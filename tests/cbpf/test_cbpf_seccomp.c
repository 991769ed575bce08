/* test_cbpf_seccomp.c - seccomp filters: the seed's "allow only read" filter, the policy
 * compiler, and every verdict checked against the kernel by installing the filter in a forked
 * child and observing what the syscall did (errno, SIGSYS, success); precedence across
 * several filters likewise.  Skips when the kernel refuses seccomp. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bpfvm/cbpf.h"
#include "testlib.h"

struct shared {
    volatile long ret;
    volatile int err;
    volatile int done;
};
static struct shared *sh;

/* what the kernel did: "ok", "errno N", "sigsys" */
static void observe(const struct bpfvm_cbpf_insn *const *filters, const size_t *cnts, int nf,
                    long nr, const uint64_t *args, char *out, size_t len)
{
    memset((void *)sh, 0, sizeof *sh);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = nf - 1; i >= 0; i--)
            if (bpfvm_seccomp_install(filters[i], cnts[i], NULL, 0))
                _exit(99);
        long r = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
        sh->err = r < 0 ? errno : 0;
        sh->ret = r;
        sh->done = 1;
        for (;;) /* exit_group may be forbidden: the parent kills us */
            ;
    }
    int st;
    for (;;) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            break;
        if (sh->done) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        usleep(200);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 99)
        snprintf(out, len, "install failed");
    else if (!sh->done && WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
        snprintf(out, len, "sigsys");
    else if (sh->done && sh->ret < 0)
        snprintf(out, len, "errno %d", sh->err);
    else if (sh->done)
        snprintf(out, len, "ok");
    else
        snprintf(out, len, "died %d", st);
}

/* what the verdict predicts for a call whose natural outcome is `natural` */
static void predict(uint32_t ret, const char *natural, char *out, size_t len)
{
    switch (ret & BPFVM_SECCOMP_RET_ACTION_FULL) {
    case BPFVM_SECCOMP_RET_ALLOW:
    case BPFVM_SECCOMP_RET_LOG: snprintf(out, len, "%s", natural); break;
    case BPFVM_SECCOMP_RET_ERRNO: snprintf(out, len, "errno %u", ret & 0xffff); break;
    case BPFVM_SECCOMP_RET_TRACE:
    case BPFVM_SECCOMP_RET_USER_NOTIF: snprintf(out, len, "errno %d", ENOSYS); break;
    default: snprintf(out, len, "sigsys"); break;
    }
}

static uint32_t engine_run(const struct bpfvm_cbpf_insn *p, size_t n,
                           const struct bpfvm_seccomp_data *sd)
{
    struct bpfvm_cbpf_prog *lp;
    struct bpfvm_cbpf_load_opts lo = {.sz = sizeof lo, .flavor = BPFVM_CBPF_SECCOMP, .checked = true};
    char msg[200];
    uint32_t r = 0xdead;
    if (bpfvm_cbpf_load(NULL, p, n, &lo, &lp, msg, sizeof msg)) {
        CHECKF(0, "load: %s", msg);
        return r;
    }
    CHECK(bpfvm_cbpf_prog_run(lp, (const uint8_t *)sd, sizeof *sd, sizeof *sd, NULL, &r) == 0);
    bpfvm_cbpf_prog_free(lp);
    return r;
}

struct call {
    long nr;
    uint64_t args[6];
    const char *natural;
};

int main(void)
{
    sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(sh != MAP_FAILED);
    char got[64], want[64], msg[256];
    struct bpfvm_seccomp_data sd;

    /* the seed's filter: only read is allowed (arch check omitted, as in the talk) */
    struct bpfvm_cbpf_insn seed[] = {{0x20, 0, 0, 0},
                                     {0x15, 0, 1, SYS_read},
                                     {0x06, 0, 0, BPFVM_SECCOMP_RET_ALLOW},
                                     {0x06, 0, 0, BPFVM_SECCOMP_RET_KILL_THREAD}};
    CHECK(bpfvm_cbpf_check(seed, 4, BPFVM_CBPF_SECCOMP, msg, sizeof msg) == 0);
    memset(&sd, 0, sizeof sd);
    sd.nr = SYS_read;
    CHECK_EQ_U64(bpfvm_seccomp_run(seed, 4, &sd), BPFVM_SECCOMP_RET_ALLOW);
    CHECK_EQ_U64(engine_run(seed, 4, &sd), BPFVM_SECCOMP_RET_ALLOW);
    sd.nr = SYS_write;
    CHECK_EQ_U64(bpfvm_seccomp_run(seed, 4, &sd), BPFVM_SECCOMP_RET_KILL_THREAD);

    const struct bpfvm_cbpf_insn *f1[1] = {seed};
    size_t c1[1] = {4};
    uint64_t badfd[6] = {(uint64_t)-1, 0, 0, 0, 0, 0};
    observe(f1, c1, 1, SYS_read, badfd, got, sizeof got);
    if (!strcmp(got, "install failed")) {
        printf("SKIP: the kernel refuses seccomp filters here\n");
        return test_summary();
    }
    CHECK_STR(got, "errno 9");
    observe(f1, c1, 1, SYS_getpid, badfd, got, sizeof got);
    CHECK_STR(got, "sigsys");

    /* a policy, evaluated by bpfvm and by the kernel */
    const char *policy =
        "# test policy\n"
        "default errno EACCES\n"
        "allow read getpid\n"
        "errno 5 close\n"
        "trap dup\n"
        "log getppid\n"
        "trace 7 getuid\n"
        "allow dup2 if arg0 == 1\n"
        "allow dup3 if arg1 > 0x100000000\n"
        "errno EPERM dup3 if arg1 >= 5 and arg2 & 0xff == 0\n"
        "allow fcntl if arg1 != 3\n"
        "allow lseek if arg2 < 2\n"
        "allow lseek if arg2 <= 7 and arg1 == -1\n";
    struct bpfvm_cbpf_insn *pp;
    size_t pn;
    CHECKF(bpfvm_seccomp_policy_compile(policy, &pp, &pn, msg, sizeof msg) == 0, "%s", msg);
    const struct call calls[] = {
        {SYS_read, {(uint64_t)-1}, "errno 9"}, {SYS_getpid, {0}, "ok"},
        {SYS_close, {(uint64_t)-1}, "errno 9"}, {SYS_dup, {(uint64_t)-1}, "errno 9"},
        {SYS_getppid, {0}, "ok"}, {SYS_getuid, {0}, "ok"}, {SYS_write, {(uint64_t)-1}, "errno 9"},
        {SYS_dup2, {1, (uint64_t)-1}, "errno 9"}, {SYS_dup2, {2, (uint64_t)-1}, "errno 9"},
        {SYS_dup3, {(uint64_t)-1, 0x100000001ull, 0}, "errno 9"},
        {SYS_dup3, {(uint64_t)-1, 0x100000000ull, 0}, "errno 9"},
        {SYS_dup3, {(uint64_t)-1, 6, 0x100}, "errno 9"},
        {SYS_dup3, {(uint64_t)-1, 6, 0x101}, "errno 9"},
        {SYS_fcntl, {(uint64_t)-1, 3}, "errno 9"}, {SYS_fcntl, {(uint64_t)-1, 1}, "errno 9"},
        {SYS_lseek, {(uint64_t)-1, 0, 1}, "errno 9"}, {SYS_lseek, {(uint64_t)-1, 0, 5}, "errno 9"},
        {SYS_lseek, {(uint64_t)-1, (uint64_t)-1, 5}, "errno 9"},
        {SYS_lseek, {(uint64_t)-1, (uint64_t)-1, 8}, "errno 9"},
    };
    const struct bpfvm_cbpf_insn *fp[1] = {pp};
    size_t cp[1] = {pn};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        memset(&sd, 0, sizeof sd);
        sd.nr = (int)calls[i].nr;
        sd.arch = bpfvm_seccomp_host_arch();
        memcpy(sd.args, calls[i].args, sizeof sd.args);
        uint32_t v = bpfvm_seccomp_run(pp, pn, &sd);
        CHECK_EQ_U64(engine_run(pp, pn, &sd), v);
        predict(v, calls[i].natural, want, sizeof want);
        observe(fp, cp, 1, calls[i].nr, calls[i].args, got, sizeof got);
        CHECKF(!strcmp(want, got), "call %zu (nr %ld): bpfvm predicts %s, kernel did %s", i,
               calls[i].nr, want, got);
    }
    free(pp);

    /* precedence across two filters */
    static const uint32_t acts[] = {BPFVM_SECCOMP_RET_ALLOW, BPFVM_SECCOMP_RET_LOG,
                                    BPFVM_SECCOMP_RET_ERRNO | 5, BPFVM_SECCOMP_RET_ERRNO | 13,
                                    BPFVM_SECCOMP_RET_TRACE, BPFVM_SECCOMP_RET_TRAP,
                                    BPFVM_SECCOMP_RET_KILL_PROCESS};
    int na = sizeof acts / sizeof acts[0];
    for (int a = 0; a < na; a++)
        for (int b = 0; b < na; b++) {
            struct bpfvm_cbpf_insn fa[] = {{0x20, 0, 0, 0}, {0x15, 0, 1, SYS_getppid},
                                           {0x06, 0, 0, acts[a]}, {0x06, 0, 0, BPFVM_SECCOMP_RET_ALLOW}};
            struct bpfvm_cbpf_insn fb[] = {{0x20, 0, 0, 0}, {0x15, 0, 1, SYS_getppid},
                                           {0x06, 0, 0, acts[b]}, {0x06, 0, 0, BPFVM_SECCOMP_RET_ALLOW}};
            const struct bpfvm_cbpf_insn *ff[2] = {fa, fb};
            size_t cc[2] = {4, 4};
            memset(&sd, 0, sizeof sd);
            sd.nr = SYS_getppid;
            uint32_t r[2] = {bpfvm_seccomp_run(fa, 4, &sd), bpfvm_seccomp_run(fb, 4, &sd)};
            predict(bpfvm_seccomp_combine(r, 2), "ok", want, sizeof want);
            uint64_t none[6] = {0};
            observe(ff, cc, 2, SYS_getppid, none, got, sizeof got);
            CHECKF(!strcmp(want, got), "filters %08x + %08x: bpfvm %s, kernel %s", acts[a],
                   acts[b], want, got);
        }
    /* policy errors name the line */
    CHECK(bpfvm_seccomp_policy_compile("default allow\nallow nosuchcall\n", &pp, &pn, msg,
                                       sizeof msg) < 0);
    CHECKF(strstr(msg, "line 2: unknown syscall 'nosuchcall'") != NULL, "%s", msg);
    CHECK(bpfvm_seccomp_policy_compile("allow read if arg9 == 1\n", &pp, &pn, msg, sizeof msg) < 0);
    CHECKF(strstr(msg, "line 1:") != NULL, "%s", msg);
    return test_summary();
}
