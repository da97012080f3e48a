/* The memory monitor: the check (usage against the budget, the level, the reaper called at
 * the warning mark, idle releases) and a thread that runs it every check_interval_ms.
 * Stopping the thread is prompt: it sleeps on a condition variable that cmz_registry_free
 * signals. */
#include "internal.h"

#include <errno.h>
#include <time.h>

/* Calls on_pressure when the level changed (lock released around the call). */
static void set_level(cmz_registry *reg, cmz_pressure level, uint64_t usage) {
    if (level == reg->level) return;
    reg->level = level;
    if (!reg->params.on_pressure) return;
    pthread_mutex_unlock(&reg->mu);
    reg->params.on_pressure(reg->params.opaque, level, usage, reg->budget);
    pthread_mutex_lock(&reg->mu);
}

cmz_pressure cmz__pressure_check(cmz_registry *reg) {
    assert(cmz__mutex_held(&reg->mu));
    uint64_t usage = cmz__usage_now(reg);
    cmz_pressure found = cmz__level_of(reg, usage);
    set_level(reg, found, usage);
    if (found != CMZ_PRESSURE_NONE) {
        uint64_t mark = (uint64_t)((double)reg->budget * reg->params.warning);
        uint64_t keep_free = reg->budget > reg->reserve ? reg->budget - reg->reserve : 0;
        uint64_t target = mark < keep_free ? mark : keep_free;
        /* just under the mark, so that the level drops back to none */
        cmz__reap(reg, target ? target - 1 : 0, found == CMZ_PRESSURE_EMERGENCY);
        usage = cmz__usage_now(reg);
        set_level(reg, cmz__level_of(reg, usage), usage);
    }
    cmz__reap_idle(reg);
    return found;
}

cmz_status cmz_registry_check(cmz_registry *reg, cmz_pressure *level, cmz_error *err) {
    if (!reg) return cmz__error(err, CMZ_ERR_INVALID_ARG, "cmz_registry_check: NULL registry");
    pthread_mutex_lock(&reg->mu);
    cmz_pressure found = cmz__pressure_check(reg);
    pthread_mutex_unlock(&reg->mu);
    if (level) *level = found;
    return CMZ_OK;
}

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
