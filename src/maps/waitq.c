/* waitq.c - the wait queue ring buffer and perf event array readers sleep on. */
#include <time.h>

#include "maps/waitq.h"

void map_waitq_init(struct map_waitq *q)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    atomic_init(&q->waiters, 0);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, &ca);
    pthread_condattr_destroy(&ca);
}

void map_waitq_destroy(struct map_waitq *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
}

void map_waitq_wake(struct map_waitq *q)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&q->waiters, memory_order_relaxed) > 0) {
        pthread_mutex_lock(&q->mu);
        pthread_cond_broadcast(&q->cv);
        pthread_mutex_unlock(&q->mu);
    }
}

void map_waitq_wait(struct map_waitq *q, int timeout_ms, bool (*ready)(void *arg), void *arg)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ms > 0) {
        dl.tv_sec += timeout_ms / 1000;
        dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&q->mu);
    atomic_fetch_add(&q->waiters, 1);
    atomic_thread_fence(memory_order_seq_cst);
    while (!ready(arg)) {
        int err = timeout_ms < 0 ? pthread_cond_wait(&q->cv, &q->mu)
                                 : pthread_cond_timedwait(&q->cv, &q->mu, &dl);
        if (err)
            break;
    }
    atomic_fetch_sub(&q->waiters, 1);
    pthread_mutex_unlock(&q->mu);
}
