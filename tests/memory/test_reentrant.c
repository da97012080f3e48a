/* Registry calls from inside the registry's own callbacks: on_release runs with the lock
 * released while the reaper is still at work, and may register or reap (an application
 * rebuilding a smaller stand-in for what was released, say). Such a call must not wait for the
 * reaper it runs inside, which would wait for it in turn. An alarm turns a hang into a
 * failure. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KiB ((size_t)1 << 10)

typedef struct {
    cmz_registry *reg;
    unsigned released, added, reaped;
    cmz_status last;
} callback_state;

/* Each release registers a 1 KiB stand-in of a type the rules never release, and asks the
 * reaper for a little more room: both from inside the reaper's own callback. */
static void on_release(void *opaque, const char *id, const char *type, uint64_t raw_size) {
    (void)type;
    (void)raw_size;
    callback_state *c = opaque;
    char stub[CMZ_REGISTRY_ID_MAX + 1];
    uint8_t small[KiB];
    memset(small, 'x', sizeof small);
    snprintf(stub, sizeof stub, "thumbnails:stub-%u", c->released++);
    c->last = cmz_registry_add(c->reg, stub, small, sizeof small, CMZ_REGISTER_COPY, NULL);
    if (c->last == CMZ_OK) c->added++;
    uint64_t freed = 0;
    if (cmz_registry_reap(c->reg, KiB, &freed, NULL) == CMZ_OK) c->reaped++;
    (void)id;
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "test_reentrant: a registry call inside on_release hung\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    _exit(1);
}

static void test_calls_from_on_release(void **state) {
    (void)state;
    signal(SIGALRM, on_alarm);
    alarm(20);
    callback_state c = {0};
    cmz_registry_params p = tu_registry_params(512 * KiB, 0);
    p.on_release = on_release;
    p.opaque = &c;
    c.reg = tu_registry_new(&p);
    cmz_error err;
    /* temp_buffers are released under pressure; random bytes do not compress, so the reaper
     * has to release them to make room */
    uint8_t *data = tu_random(64 * KiB, 3);
    for (unsigned i = 0; i < 32; i++) {
        char id[64];
        snprintf(id, sizeof id, "temp_buffers:t%u", i);
        if (cmz_registry_add(c.reg, id, data, 64 * KiB, CMZ_REGISTER_COPY, &err) != CMZ_OK)
            fail_msg("adding %s: %s", id, err.message);
    }
    alarm(0);
    assert_true(c.released > 0);
    assert_int_equal(c.added, c.released); /* every stand-in registered */
    assert_int_equal(c.reaped, c.released);
    assert_int_equal(c.last, CMZ_OK);
    for (unsigned i = 0; i < c.released; i++) {
        char stub[CMZ_REGISTRY_ID_MAX + 1];
        snprintf(stub, sizeof stub, "thumbnails:stub-%u", i);
        cmz_resource_info info;
        assert_int_equal(cmz_registry_info(c.reg, stub, &info, NULL), CMZ_OK);
    }
    cmz_registry_free(c.reg);
    free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_from_on_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
