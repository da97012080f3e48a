/* Signal handling for the data commands. */
#include "signals.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
    if (interrupted) { /* second signal: the user insists */
        atomic_file_remove_pending();
        _exit(128 + sig);
    }
    interrupted = sig;
}

void cli_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

const volatile sig_atomic_t *cli_interrupt_flag(void) { return &interrupted; }

int cli_interrupt_exit_code(void) {
    if (interrupted == SIGINT) return 130;
    if (interrupted == SIGTERM) return 143;
    return 0;
}


