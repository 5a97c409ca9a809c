/*  criteria.h — the criteria catalogue (bộ tiêu chí): metrics, areas and
    indicators the province scores agencies with, loaded from a commented INI
    file the province edits each year (format documented in the shipped
    data/criteria/*.ini and in docs/criteria.md).  Validated on load.

    Contract used by the collector's ingest (metric lookup) and by rollup;
    rollup.h holds the scoring.
*/
#ifndef CCHC_CRITERIA_H
#define CCHC_CRITERIA_H

#include <stddef.h>
#include <stdbool.h>

typedef struct cchc_criteria_t cchc_criteria_t;

/*  Load and validate a catalogue file.  NULL with "path:line: reason" in err. */
cchc_criteria_t *cchc_criteria_load (const char *path, char *err, size_t errlen);
void cchc_criteria_destroy (cchc_criteria_t **self_p);

/*  True if `code` is a metric of the catalogue (what agents may send). */
bool cchc_criteria_metric_known (const cchc_criteria_t *self, const char *code);

#endif
