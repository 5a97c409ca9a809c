/*  periods_impl.h — what periods.c shares with the files split from it; private
    to its folder. */
#ifndef CCHC_PERIODS_IMPL_H
#define CCHC_PERIODS_IMPL_H

#include "collector/figures/rollup.h"

#include <stdint.h>

/*  UTC ms at which the window's last local day ends. */
int64_t cchc_periods_close_ms (const cchc_rollup_window_t *w);

#endif
