/* helpers/task.c - the "current task" helpers answer for the host thread running the
 * program: get_current_pid_tgid = tgid << 32 | tid, get_current_uid_gid = gid << 32 | uid
 * (real ids), get_current_comm = the thread name. */
#define _GNU_SOURCE
#include "helpers/helpers.h"

#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

HELPER_DECL(helper_get_current_pid_tgid)
{
    return (uint64_t)(uint32_t)getpid() << 32 | (uint32_t)gettid();
}

HELPER_DECL(helper_get_current_uid_gid)
{
    return (uint64_t)(uint32_t)getgid() << 32 | (uint32_t)getuid();
}

/* bpf_get_current_comm(buf, size): the name cut to size - 1 bytes, NUL-padded to size
 * (strscpy_pad).  0, or -EINVAL for size 0, -EFAULT (checked run: buf not writable). */
HELPER_DECL(helper_get_current_comm)
{
    uint32_t size = (uint32_t)r2;
    if (!size || !r1)
        return (uint64_t)-EINVAL;
    if (!helpers_mem_ok(ex, r1, size, true))
        return (uint64_t)-EFAULT;
    char comm[17] = "";
    if (prctl(PR_GET_NAME, comm) != 0)
        comm[0] = 0;
    comm[16] = 0;
    char *buf = (char *)(uintptr_t)r1;
    size_t n = strlen(comm);
    if (n > size - 1)
        n = size - 1;
    memcpy(buf, comm, n);
    memset(buf + n, 0, size - n);
    return 0;
}
