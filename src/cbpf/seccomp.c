/* seccomp.c - seccomp filters: running one over struct seccomp_data, combining several the way
 * the kernel does, naming actions, and installing a filter in the calling thread. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "cbpf/cbpf_int.h"

uint32_t bpfvm_seccomp_host_arch(void)
{
#if defined(__x86_64__)
    return 0xc000003eu; /* AUDIT_ARCH_X86_64 */
#elif defined(__aarch64__)
    return 0xc00000b7u; /* AUDIT_ARCH_AARCH64 */
#elif defined(__i386__)
    return 0x40000003u; /* AUDIT_ARCH_I386 */
#elif defined(__riscv) && __riscv_xlen == 64
    return 0xc00000f3u; /* AUDIT_ARCH_RISCV64 */
#else
    return 0;
#endif
}

uint32_t bpfvm_seccomp_run(const struct bpfvm_cbpf_insn *insns, size_t cnt,
                           const struct bpfvm_seccomp_data *sd)
{
    if (bpfvm_cbpf_check(insns, cnt, BPFVM_CBPF_SECCOMP, NULL, 0))
        return BPFVM_SECCOMP_RET_KILL_PROCESS;
    uint8_t buf[CBPF_SECCOMP_DATA_SIZE];
    memcpy(buf, sd, sizeof buf);
    return bpfvm_cbpf_interp(insns, cnt, BPFVM_CBPF_SECCOMP, buf, sizeof buf, sizeof buf, NULL);
}

/* The kernel compares actions as signed 32-bit values of (ret & ACTION_FULL): the smallest
 * wins, so KILL_PROCESS (0x80000000) beats everything and ALLOW (0x7fff0000) loses. */
uint32_t bpfvm_seccomp_combine(const uint32_t *results, size_t cnt)
{
    uint32_t best = BPFVM_SECCOMP_RET_ALLOW;
    for (size_t i = 0; i < cnt; i++)
        if ((int32_t)(results[i] & BPFVM_SECCOMP_RET_ACTION_FULL) <
            (int32_t)(best & BPFVM_SECCOMP_RET_ACTION_FULL))
            best = results[i];
    return best;
}

void bpfvm_seccomp_action_str(uint32_t ret, char *buf, size_t len)
{
    uint32_t data = ret & BPFVM_SECCOMP_RET_DATA;
    switch (ret & BPFVM_SECCOMP_RET_ACTION_FULL) {
    case BPFVM_SECCOMP_RET_KILL_PROCESS: snprintf(buf, len, "kill_process"); break;
    case BPFVM_SECCOMP_RET_KILL_THREAD: snprintf(buf, len, "kill_thread"); break;
    case BPFVM_SECCOMP_RET_TRAP: snprintf(buf, len, "trap(%u)", data); break;
    case BPFVM_SECCOMP_RET_ERRNO: snprintf(buf, len, "errno(%u)", data); break;
    case BPFVM_SECCOMP_RET_USER_NOTIF: snprintf(buf, len, "user_notif"); break;
    case BPFVM_SECCOMP_RET_TRACE: snprintf(buf, len, "trace(%u)", data); break;
    case BPFVM_SECCOMP_RET_LOG: snprintf(buf, len, "log"); break;
    case BPFVM_SECCOMP_RET_ALLOW: snprintf(buf, len, "allow"); break;
    default: snprintf(buf, len, "kill_process (unknown action 0x%08x)", ret); break;
    }
}

int bpfvm_seccomp_install(const struct bpfvm_cbpf_insn *insns, size_t cnt, char *msg,
                          size_t msg_len)
{
    char why[200];
    if (bpfvm_cbpf_check(insns, cnt, BPFVM_CBPF_SECCOMP, why, sizeof why)) {
        cbpf_msg(msg, msg_len, "seccomp filter rejected: %s", why);
        return -EINVAL;
    }
    /* struct sock_fprog: unsigned short len; struct sock_filter *filter; */
    struct {
        unsigned short len;
        const struct bpfvm_cbpf_insn *filter;
    } fprog = {(unsigned short)cnt, insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
        int e = errno;
        cbpf_msg(msg, msg_len, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(e));
        return -e;
    }
#ifdef SYS_seccomp
    if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &fprog) == 0)
        return 0;
    if (errno != ENOSYS) {
        int e = errno;
        cbpf_msg(msg, msg_len, "seccomp(SECCOMP_SET_MODE_FILTER): %s", strerror(e));
        return -e;
    }
#endif
    if (prctl(PR_SET_SECCOMP, 2 /* SECCOMP_MODE_FILTER */, &fprog, 0, 0)) {
        int e = errno;
        cbpf_msg(msg, msg_len, "prctl(PR_SET_SECCOMP): %s", strerror(e));
        return -e;
    }
    return 0;
}
