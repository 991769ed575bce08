/* waitq.h - the wait queue a map reader sleeps on until producers make data ready
 * (ring buffer and perf event array poll).  Producers pay one fence and a relaxed load
 * when nobody waits. */
#ifndef BPFVM_MAPS_WAITQ_H
#define BPFVM_MAPS_WAITQ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct map_waitq {
    atomic_int waiters;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
};

void map_waitq_init(struct map_waitq *q);
void map_waitq_destroy(struct map_waitq *q);
/* Producer side: wake every sleeper, after the data it published is visible. */
void map_waitq_wake(struct map_waitq *q);
/* Reader side: sleep until ready(arg) holds or timeout_ms passes (< 0 = no limit). */
void map_waitq_wait(struct map_waitq *q, int timeout_ms, bool (*ready)(void *arg), void *arg);

#endif
