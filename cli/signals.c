/* Signal handling for the data commands. */
#include "signals.h"

#include <string.h>
#include <unistd.h>

#include "atomic_file.h"

static volatile sig_atomic_t interrupted;

/* The signals that end a run: those a terminal, a session's end or `kill` send by default. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

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
    for (size_t i = 0; i < sizeof stop_signals / sizeof *stop_signals; i++) {
        struct sigaction old;
        /* nohup's SIGHUP stays ignored (a shell's background jobs ignore SIGINT and SIGQUIT
         * too, but `kill -INT` must still stop those) */
        if (stop_signals[i] == SIGHUP && sigaction(SIGHUP, NULL, &old) == 0 &&
            old.sa_handler == SIG_IGN)
            continue;
        sigaction(stop_signals[i], &sa, NULL);
    }
}

const volatile sig_atomic_t *cli_interrupt_flag(void) { return &interrupted; }

int cli_interrupt_exit_code(void) { return interrupted ? 128 + interrupted : 0; }
