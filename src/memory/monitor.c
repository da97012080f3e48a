/* The memory monitor: a thread that runs the check every check_interval_ms. Stopping it is
 * prompt: it sleeps on a condition variable that cmz_registry_free signals. */
#include "internal.h"

#include <errno.h>
#include <time.h>

static void *monitor_main(void *arg) {
    cmz_registry *reg = arg;
    pthread_mutex_lock(&reg->mu);
    while (!reg->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + (uint64_t)reg->params.check_interval_ms * 1000000u;
        until.tv_sec += (time_t)(ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        int rc = 0;
        while (!reg->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&reg->wake, &reg->mu, &until);
        if (!reg->stopping) cmz__pressure_check(reg);
    }
    pthread_mutex_unlock(&reg->mu);
    return NULL;
}

cmz_status cmz__monitor_start(cmz_registry *reg, cmz_error *err) {
    /* the wake condition waits on CLOCK_MONOTONIC: wall-clock jumps do not stretch a period */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_destroy(&reg->wake);
    pthread_cond_init(&reg->wake, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&reg->monitor, NULL, monitor_main, reg) != 0)
        return cmz__error(err, CMZ_ERR_THREAD, "cannot start the memory monitor thread");
    reg->monitor_running = true;
    return CMZ_OK;
}

void cmz__monitor_stop(cmz_registry *reg) {
    if (!reg->monitor_running) return;
    pthread_mutex_lock(&reg->mu);
    reg->stopping = true;
    pthread_cond_broadcast(&reg->wake);
    pthread_mutex_unlock(&reg->mu);
    pthread_join(reg->monitor, NULL);
    reg->monitor_running = false;
}
