/*  criteria_impl.h — the catalogue object as criteria.c (accessors,
    scoring), criteria_ini.c (the INI parser) and criteria_check.c (its
    whole-file checks) see it; private to collector/figures/. */
#ifndef CCHC_CRITERIA_IMPL_H
#define CCHC_CRITERIA_IMPL_H

#include "collector/figures/criteria.h"

#include <stddef.h>

#define CCHC_CRITERIA_KEYS_MAX 16

typedef struct {
    int line;                              /* line of the section header */
    int key_line [CCHC_CRITERIA_KEYS_MAX]; /* line of each key seen, 0 if absent */
} cchc_criteria_where_t;

typedef struct {
    cchc_indicator_t pub;
    cchc_criteria_where_t where;
    char *area_ref; /* resolved after reading */
    char *numerator_ref;
    char *denominator_ref;
} cchc_criteria_indicator_rec_t;

typedef struct {
    cchc_metric_t pub;
    cchc_criteria_where_t where;
} cchc_criteria_metric_rec_t;

typedef struct {
    cchc_area_t pub;
    cchc_criteria_where_t where;
} cchc_criteria_area_rec_t;

struct cchc_criteria_t {
    char *name;
    char *source; /* the file name, or the name given for a text */
    char *text;   /* the text it was parsed from, NUL-terminated */
    int year;
    double total;
    int due_day, lock_day;            /* due_day: the latest level's (below) */
    int due_all;                      /* due_day as written; 0 when absent */
    int level_due [CCHC_LEVEL_COUNT]; /* due_day.LEVEL as written, then
                                           the day each level's data is due */
    cchc_criteria_where_t where;      /* of [catalogue]; line 0 when absent */

    cchc_criteria_metric_rec_t *metrics;
    size_t metric_count, metric_alloc;
    cchc_criteria_area_rec_t *areas;
    size_t area_count, area_alloc;
    cchc_criteria_indicator_rec_t *indicators;
    size_t indicator_count, indicator_alloc;
    cchc_grade_t *grades;
    size_t grade_count;
};

/*  The INI keys of the [catalogue] and [indicator.CODE] sections, in the
    order of cchc_criteria_where_t.key_line (criteria_ini.c), and the index
    of `name` in such a list (-1: none). */
extern const char *const cchc_criteria_keys_catalogue [];
extern const char *const cchc_criteria_keys_indicator [];
int cchc_criteria_key_index (const char *const *keys, const char *name);

/*  The whole-file checks of a catalogue whose sections are all read
    (criteria_check.c): 0, or -1 with the first failed check in msg and the
    line it points at in *line (0: the whole file). */
int cchc_criteria_check (cchc_criteria_t *cat, int *line, char *msg, size_t msglen);

#endif
