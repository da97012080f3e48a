/* SIGINT, SIGTERM, SIGHUP and SIGQUIT: the first one sets the flag the library polls
 * (cmz_params.interrupt), so that the work stops between chunks and the temp file is removed
 * by the normal error path; a second one removes the pending temp file and exits at once.
 * The commands act on the flag only where their files are in a known state (docs/CLI.md,
 * "Exit status"). */
#ifndef CMZ_CLI_SIGNALS_H
#define CMZ_CLI_SIGNALS_H

#include <signal.h>

/* Installs the handlers (without SA_RESTART, so that a read from a slow pipe returns EINTR). */
void cli_signals_install(void);

/* The flag to put in cmz_params.interrupt: the signal number received, or 0. */
const volatile sig_atomic_t *cli_interrupt_flag(void);

/* 128 + the signal's number (130 after SIGINT, 143 after SIGTERM, 129 after SIGHUP, 131 after
 * SIGQUIT), 0 when no signal came. */
int cli_interrupt_exit_code(void);

#endif
