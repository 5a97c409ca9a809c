/*  criteria.h — the criteria catalogue (bộ tiêu chí): metrics, areas and
    indicators the province scores agencies with, loaded from a commented INI
    file the province edits each year (format documented in the shipped
    data/criteria/default.ini and in docs/criteria.md).  Validated on load.

    Contract used by the collector's ingest (metric lookup) and by rollup;
    rollup.h holds the scoring.

    File format (INI, UTF-8; "#" or ";" at the start of a line is a comment,
    " ;" starts a comment after a value; lines are at most 199 bytes):

      section                 key          meaning
      ----------------------  -----------  ------------------------------------
      [catalogue]             name         catalogue title (Vietnamese), required
                              year         plan year, required
                              total        declared total points, required; the
                                           indicators' points must add up to it
                              due_day      day of the window's last month by
                                           which an agency's data is on time,
                                           every level (1..28)
                              due_day.so   the same for one level (Decree
                              due_day.huyen  09/2019 Art. 8: each lower level
                              due_day.xa   its own earlier deadline); default
                                           due_day, else so 18, huyen 17, xa 16
                              lock_day     day the period's figures lock
                                           (1..28, default 22, >= every due day)
                              grades       "90:Xuất sắc, 80:Tốt, ..." index
                                           grades, highest first (optional)
      [metric.CODE]           name         Vietnamese name, required
                              kind         counter | gauge, required
                              levels       so,huyen,xa (default: all three)
      [area.CODE]             name         Vietnamese name, required
      [indicator.CODE]        name         Vietnamese name, required
                              area         area code, required
                              rule         proportional | threshold | bands |
                                           on_time (default proportional)
                              numerator    metric code (not for on_time)
                              denominator  metric code; empty or absent: the
                                           indicator is the numerator's value
                              target       e.g. 0.25 or 25% (all levels), or
                              target.so / target.huyen / target.xa
                              better       higher | lower (default higher)
                              points       points, > 0, required
                              bands        "0.9:1, 0.7:0.5" (bands rule only):
                                           value reaching 0.9 earns all points,
                                           reaching 0.7 half; else nothing
                              levels       levels it applies to (default all)
                              plan         yes | no: one of the plan's targets,
                                           reported for the province (default no)

    Codes (CODE, metric and area references) follow cchc_metric_code_valid:
    [a-z][a-z0-9_]*, at most CCHC_METRIC_MAX bytes.
*/
#ifndef CCHC_CRITERIA_H
#define CCHC_CRITERIA_H

#include <stddef.h>
#include <stdbool.h>

typedef struct cchc_criteria_t cchc_criteria_t;

/*  Load and validate a catalogue file.  NULL with "path:line: reason" in err. */
cchc_criteria_t *cchc_criteria_load (const char *path, char *err, size_t errlen);
/*  The same over text[0..len) (need not be NUL-terminated), as if it were the
    content of a file called `name` (used in messages: "name:line: reason"). */
cchc_criteria_t *cchc_criteria_load_string (const char *name, const char *text, size_t len,
                                            char *err, size_t errlen);
void cchc_criteria_destroy (cchc_criteria_t **self_p);

/*  The file name (or the name given with the text) and the exact text the
    catalogue was parsed from (NUL-terminated): a process loads its
    catalogue once and hands it on; the period keeper stores this text in
    locked snapshots. */
const char *cchc_criteria_source (const cchc_criteria_t *self);
const char *cchc_criteria_text (const cchc_criteria_t *self);

/*  True if `code` is a metric of the catalogue (what agents may send). */
bool cchc_criteria_metric_known (const cchc_criteria_t *self, const char *code);

/* ------------------------------------------------------------------------ */
/*  Levels of scored units.  (The province itself, level "tinh", is not scored.) */

typedef enum {
    CCHC_LEVEL_SO = 0,    /* sở, ban, ngành */
    CCHC_LEVEL_HUYEN = 1, /* UBND cấp huyện */
    CCHC_LEVEL_XA = 2,    /* UBND cấp xã */
    CCHC_LEVEL_COUNT = 3
} cchc_level_t;

#define CCHC_LEVEL_BIT(level) (1u << (level))
#define CCHC_LEVELS_ALL 0x7u

/*  "so", "huyen", "xa".  */
const char *cchc_level_code (cchc_level_t level);
/*  Parse "so" | "huyen" | "xa".  Returns 0 or -1 ("tinh" is -1). */
int cchc_level_parse (const char *text, cchc_level_t *level);

/* ------------------------------------------------------------------------ */
/*  Catalogue contents: read-only views, valid until the catalogue is destroyed.
    Indices are stable: metric i, area i, indicator i in file order. */

typedef enum {
    CCHC_METRIC_COUNTER = 1, /* window value = sum of its days */
    CCHC_METRIC_GAUGE = 2    /* window value = latest value dated <= window end */
} cchc_metric_kind_t;

typedef enum {
    CCHC_RULE_PROPORTIONAL = 1, /* higher: points × min(1, value/target);
                                   lower: full at or below target, else
                                   points × target/value */
    CCHC_RULE_THRESHOLD = 2,    /* full points when the target is met, else 0 */
    CCHC_RULE_BANDS = 3,        /* share of points of the first band reached */
    CCHC_RULE_ON_TIME = 4       /* full points when the agency's data for the
                                   window is complete and arrived by the due day */
} cchc_rule_t;

#define CCHC_BANDS_MAX 8

typedef struct {
    double at;    /* value threshold (same scale as the value: 0.9 = 90%) */
    double share; /* share of the points earned, 0..1 */
} cchc_band_t;

typedef struct {
    const char *code;
    const char *name; /* Vietnamese */
    cchc_metric_kind_t kind;
    unsigned levels; /* CCHC_LEVEL_BIT mask of levels that report it */
} cchc_metric_t;

typedef struct {
    const char *code;
    const char *name; /* Vietnamese */
    double points;    /* sum of its indicators' points */
} cchc_area_t;

typedef struct {
    const char *code;
    const char *name; /* Vietnamese */
    size_t area;      /* index of its area */
    cchc_rule_t rule;
    int numerator;                    /* metric index; -1 for on_time */
    int denominator;                  /* metric index; -1: the value is the numerator */
    bool higher;                      /* higher is better (false: lower is better) */
    double target [CCHC_LEVEL_COUNT]; /* per level; NAN where it does not apply */
    double points;
    unsigned levels; /* CCHC_LEVEL_BIT mask it applies to */
    bool plan;       /* one of the plan's targets (province summary) */
    size_t band_count;
    cchc_band_t bands [CCHC_BANDS_MAX]; /* best first */
} cchc_indicator_t;

typedef struct {
    double at;        /* lowest index of the grade */
    const char *name; /* Vietnamese, e.g. "Xuất sắc" */
} cchc_grade_t;

const char *cchc_criteria_name (const cchc_criteria_t *self);
int cchc_criteria_year (const cchc_criteria_t *self);
double cchc_criteria_total (const cchc_criteria_t *self);
/*  The latest level's due day (the last deadline of any agency). */
int cchc_criteria_due_day (const cchc_criteria_t *self);
/*  The due day of a level's units. */
int cchc_criteria_level_due_day (const cchc_criteria_t *self, cchc_level_t level);
int cchc_criteria_lock_day (const cchc_criteria_t *self);

size_t cchc_criteria_metric_count (const cchc_criteria_t *self);
const cchc_metric_t *cchc_criteria_metric (const cchc_criteria_t *self, size_t index);
/*  Index of metric `code`, or -1. */
int cchc_criteria_metric_find (const cchc_criteria_t *self, const char *code);

size_t cchc_criteria_area_count (const cchc_criteria_t *self);
const cchc_area_t *cchc_criteria_area (const cchc_criteria_t *self, size_t index);

size_t cchc_criteria_indicator_count (const cchc_criteria_t *self);
const cchc_indicator_t *cchc_criteria_indicator (const cchc_criteria_t *self, size_t index);
int cchc_criteria_indicator_find (const cchc_criteria_t *self, const char *code);

/*  Grades, highest first (may be 0). */
size_t cchc_criteria_grade_count (const cchc_criteria_t *self);
const cchc_grade_t *cchc_criteria_grade (const cchc_criteria_t *self, size_t index);
/*  Name of the grade `index` (0..100) falls in, or NULL when none. */
const char *cchc_criteria_grade_of (const cchc_criteria_t *self, double index);

/*  Points earned by `value` on indicator `ind` for `level` (rules above).
    The indicator must apply to the level and must not be on_time. */
double cchc_indicator_score (const cchc_indicator_t *ind, cchc_level_t level, double value);
/*  True when `value` meets the target (>= for higher, <= for lower). */
bool cchc_indicator_met (const cchc_indicator_t *ind, double target, double value);

#endif
