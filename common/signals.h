/*  signals.h — catching a process's signals, for the agent's and the
    collector's main loops (a handler that sets a flag, the default back,
    or ignored). */
#ifndef CCHC_SIGNALS_H
#define CCHC_SIGNALS_H

#include <stddef.h>

/*  Each of signals [0 .. count) to `handler` (a function, SIG_DFL or
    SIG_IGN) with sigaction: no signal blocked while it runs, no flags (a
    system call it interrupts fails with EINTR).  Cannot fail for valid
    signal numbers. */
void cchc_signals_catch (void (*handler) (int), const int *signals, size_t count);

#endif
