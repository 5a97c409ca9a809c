/*  signals.c — catching a process's signals (signals.h). */
#include "common/signals.h"

#include <assert.h>
#include <signal.h>
#include <string.h>

void
cchc_signals_catch (void (*handler) (int), const int *signals, size_t count)
{
    assert (signals || count == 0);
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset (&action.sa_mask);
    for (size_t i = 0; i < count; i++)
        sigaction (signals [i], &action, NULL);
}
