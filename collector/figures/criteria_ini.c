/*  criteria_ini.c — loads and validates the criteria catalogue from its INI
    text (criteria.h has the format).

    Parsing is inih's (ini_parse_stream) with our own line reader, which counts
    lines so every error can say "path:line: reason", refuses over-long and
    continuation lines (inih would silently cut or join them), and opens the
    sections so empty and duplicate sections are caught.  References between
    sections (an indicator's area and metrics) are resolved after the whole
    file is read, so sections may come in any order.
*/
#include "collector/figures/criteria.h"
#include "collector/figures/criteria_impl.h"
#include "common/text.h"

#include <ini.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define S_LINE_MAX 200 /* inih's INI_MAX_LINE (Debian build) */

/* ------------------------------------------------------------------------ */
/*  The catalogue */

typedef enum {
    S_SEC_NONE,
    S_SEC_CATALOGUE,
    S_SEC_METRIC,
    S_SEC_AREA,
    S_SEC_INDICATOR
} s_sec_kind_t;

/*  Keys of each section kind; a section remembers which it has seen (bit i)
    and the line of each. */
const char *const cchc_criteria_keys_catalogue [] = {
    "name",   "year",       "total",         "due_day",    "lock_day",
    "grades", "due_day.so", "due_day.huyen", "due_day.xa", NULL
};
static const char *const s_keys_metric [] = { "name", "kind", "levels", NULL };
static const char *const s_keys_area [] = { "name", NULL };
const char *const cchc_criteria_keys_indicator [] = { "name",      "area",         "rule",
                                                      "numerator", "denominator",  "target",
                                                      "target.so", "target.huyen", "target.xa",
                                                      "better",    "points",       "bands",
                                                      "levels",    "plan",         NULL };

/*  Parser state shared by the reader and the handler. */
typedef struct {
    cchc_criteria_t *cat;
    const char *path; /* file name, or the name given for a text */
    const char *text; /* the text (cchc_criteria_load reads the file) */
    size_t text_len, text_pos;
    bool oom;  /* no memory for a line of the text */
    char *buf; /* current line (getline buffer) */
    size_t buf_size;
    int lineno;
    bool failed;
    int fail_line; /* line of the first error (0: none given) */
    char *err;
    size_t errlen;
    /* current section */
    s_sec_kind_t sec_kind;
    const char *const *sec_keys;
    cchc_criteria_where_t *sec_where; /* where-record of the current section */
    size_t sec_index;                 /* its index in its array */
    int sec_key_count;                /* keys seen in it */
    bool catalogue_seen;
} s_parser_t;

static void s_fail (s_parser_t *p, int line, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_fail (s_parser_t *p, int line, const char *fmt, ...)
{
    if (p->failed)
        return; /* keep the first error */
    p->failed = true;
    p->fail_line = line;
    if (!p->err || p->errlen == 0)
        return;
    int n;
    if (line > 0)
        n = snprintf (p->err, p->errlen, "%s:%d: ", p->path, line);
    else
        n = snprintf (p->err, p->errlen, "%s: ", p->path);
    if (n < 0 || (size_t) n >= p->errlen)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (p->err + n, p->errlen - (size_t) n, fmt, ap);
    va_end (ap);
}

static void *
s_grow (void *array, size_t *alloc, size_t count, size_t size)
{
    if (count < *alloc)
        return array;
    size_t want = *alloc ? *alloc * 2 : 16;
    void *bigger = realloc (array, want * size);
    if (!bigger)
        return NULL;
    memset ((char *) bigger + *alloc * size, 0, (want - *alloc) * size);
    *alloc = want;
    return bigger;
}

static char *
s_trim (char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen (s);
    while (
        n > 0
        && (s [n - 1] == ' ' || s [n - 1] == '\t' || s [n - 1] == '\r' || s [n - 1] == '\n'))
        s [--n] = '\0';
    return s;
}

/*  Number with an optional '%' suffix (25% = 0.25).  0 or -1. */
static int
s_parse_number (const char *text, double *out)
{
    char buf [64];
    size_t n = cchc_strlcpy (buf, text, sizeof buf);
    if (n >= sizeof buf || n == 0)
        return -1;
    bool percent = false;
    if (buf [n - 1] == '%') {
        percent = true;
        buf [--n] = '\0';
        while (n > 0 && buf [n - 1] == ' ')
            buf [--n] = '\0';
    }
    double v;
    if (cchc_parse_double (buf, &v) != 0)
        return -1;
    *out = percent ? v / 100.0 : v;
    return 0;
}

/*  "so,huyen, xa" into a level mask.  0 or -1 (bad or duplicate level). */
static int
s_parse_levels (const char *text, unsigned *mask)
{
    char buf [S_LINE_MAX];
    if (cchc_strlcpy (buf, text, sizeof buf) >= sizeof buf)
        return -1;
    unsigned m = 0;
    char *save = NULL;
    for (char *tok = strtok_r (buf, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
        cchc_level_t level;
        if (cchc_level_parse (s_trim (tok), &level) != 0)
            return -1;
        if (m & CCHC_LEVEL_BIT (level))
            return -1;
        m |= CCHC_LEVEL_BIT (level);
    }
    if (m == 0)
        return -1;
    *mask = m;
    return 0;
}

int
cchc_criteria_key_index (const char *const *keys, const char *name)
{
    for (int i = 0; keys [i]; i++)
        if (strcmp (keys [i], name) == 0)
            return i;
    return -1;
}

/*  A [metric.CODE] section: a new record.  false when refused (s_fail). */
static bool
s_open_metric (s_parser_t *p, const char *code)
{
    cchc_criteria_t *cat = p->cat;
    for (size_t i = 0; i < cat->metric_count; i++)
        if (strcmp (cat->metrics [i].pub.code, code) == 0) {
            s_fail (p, p->lineno, "duplicate metric '%s' (first at line %d)", code,
                    cat->metrics [i].where.line);
            return false;
        }
    cchc_criteria_metric_rec_t *grown =
        s_grow (cat->metrics, &cat->metric_alloc, cat->metric_count, sizeof *grown);
    if (!grown || !(grown [cat->metric_count].pub.code = strdup (code))) {
        cat->metrics = grown ? grown : cat->metrics;
        s_fail (p, p->lineno, "out of memory");
        return false;
    }
    cat->metrics = grown;
    cchc_criteria_metric_rec_t *m = &cat->metrics [cat->metric_count];
    m->pub.levels = CCHC_LEVELS_ALL;
    m->where.line = p->lineno;
    p->sec_keys = s_keys_metric;
    p->sec_where = &m->where;
    p->sec_index = cat->metric_count++;
    return true;
}

/*  A [area.CODE] section: a new record.  false when refused (s_fail). */
static bool
s_open_area (s_parser_t *p, const char *code)
{
    cchc_criteria_t *cat = p->cat;
    for (size_t i = 0; i < cat->area_count; i++)
        if (strcmp (cat->areas [i].pub.code, code) == 0) {
            s_fail (p, p->lineno, "duplicate area '%s' (first at line %d)", code,
                    cat->areas [i].where.line);
            return false;
        }
    cchc_criteria_area_rec_t *grown =
        s_grow (cat->areas, &cat->area_alloc, cat->area_count, sizeof *grown);
    if (!grown || !(grown [cat->area_count].pub.code = strdup (code))) {
        cat->areas = grown ? grown : cat->areas;
        s_fail (p, p->lineno, "out of memory");
        return false;
    }
    cat->areas = grown;
    cchc_criteria_area_rec_t *a = &cat->areas [cat->area_count];
    a->where.line = p->lineno;
    p->sec_keys = s_keys_area;
    p->sec_where = &a->where;
    p->sec_index = cat->area_count++;
    return true;
}

/*  A [indicator.CODE] section: a new record.  false when refused (s_fail). */
static bool
s_open_indicator (s_parser_t *p, const char *code)
{
    cchc_criteria_t *cat = p->cat;
    for (size_t i = 0; i < cat->indicator_count; i++)
        if (strcmp (cat->indicators [i].pub.code, code) == 0) {
            s_fail (p, p->lineno, "duplicate indicator '%s' (first at line %d)", code,
                    cat->indicators [i].where.line);
            return false;
        }
    cchc_criteria_indicator_rec_t *grown =
        s_grow (cat->indicators, &cat->indicator_alloc, cat->indicator_count, sizeof *grown);
    if (!grown || !(grown [cat->indicator_count].pub.code = strdup (code))) {
        cat->indicators = grown ? grown : cat->indicators;
        s_fail (p, p->lineno, "out of memory");
        return false;
    }
    cat->indicators = grown;
    cchc_criteria_indicator_rec_t *ind = &cat->indicators [cat->indicator_count];
    ind->pub.rule = CCHC_RULE_PROPORTIONAL;
    ind->pub.higher = true;
    ind->pub.levels = CCHC_LEVELS_ALL;
    ind->pub.numerator = -1;
    ind->pub.denominator = -1;
    for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
        ind->pub.target [l] = NAN;
    ind->where.line = p->lineno;
    p->sec_keys = cchc_criteria_keys_indicator;
    p->sec_where = &ind->where;
    p->sec_index = cat->indicator_count++;
    return true;
}

/*  A header line "[kind.code]" was read: open the section. */
static void
s_section_open (s_parser_t *p, char *header)
{
    cchc_criteria_t *cat = p->cat;
    p->sec_kind = S_SEC_NONE;
    p->sec_where = NULL;
    p->sec_key_count = 0;

    char *close = strchr (header, ']');
    if (!close) {
        s_fail (p, p->lineno, "section header without ']'");
        return;
    }
    *close = '\0';
    char *name = s_trim (header + 1);
    const char *dot = strchr (name, '.');
    const char *code = dot ? dot + 1 : NULL;

    if (strcmp (name, "catalogue") == 0) {
        if (p->catalogue_seen) {
            s_fail (p, p->lineno, "duplicate section [catalogue] (first at line %d)",
                    cat->where.line);
            return;
        }
        p->catalogue_seen = true;
        cat->where.line = p->lineno;
        p->sec_kind = S_SEC_CATALOGUE;
        p->sec_keys = cchc_criteria_keys_catalogue;
        p->sec_where = &cat->where;
        return;
    }
    size_t kind_len = dot ? (size_t) (dot - name) : strlen (name);
    s_sec_kind_t kind = S_SEC_NONE;
    if (kind_len == 6 && strncmp (name, "metric", 6) == 0)
        kind = S_SEC_METRIC;
    else if (kind_len == 4 && strncmp (name, "area", 4) == 0)
        kind = S_SEC_AREA;
    else if (kind_len == 9 && strncmp (name, "indicator", 9) == 0)
        kind = S_SEC_INDICATOR;
    if (kind == S_SEC_NONE) {
        s_fail (p, p->lineno,
                "unknown section [%s] (expected [catalogue], "
                "[metric.CODE], [area.CODE] or [indicator.CODE])",
                name);
        return;
    }
    if (!code || !cchc_metric_code_valid (code, strlen (code))) {
        s_fail (p, p->lineno,
                "bad code in [%s]: codes are a lowercase letter "
                "then [a-z0-9_], at most %d bytes",
                name, CCHC_METRIC_MAX);
        return;
    }
    bool opened = kind == S_SEC_METRIC ? s_open_metric (p, code)
                  : kind == S_SEC_AREA ? s_open_area (p, code)
                                       : s_open_indicator (p, code);
    if (opened)
        p->sec_kind = kind;
}

/*  Checks the section just finished has keys at all. */
static void
s_section_close (s_parser_t *p)
{
    if (p->sec_where && p->sec_key_count == 0)
        s_fail (p, p->sec_where->line, "empty section");
}

/*  The next line, with its '\n' if any, into p->buf (NUL-terminated; the
    line itself may hold NULs), from the text.  Returns its length, or -1 at
    the end. */
static ssize_t
s_getline (s_parser_t *p)
{
    if (p->text_pos >= p->text_len)
        return -1;
    const char *start = p->text + p->text_pos;
    size_t left = p->text_len - p->text_pos;
    const char *nl = memchr (start, '\n', left);
    size_t n = nl ? (size_t) (nl - start) + 1 : left;
    if (n >= (size_t) SSIZE_MAX)
        return -1;
    if (n + 1 > p->buf_size) {
        char *bigger = realloc (p->buf, n + 1);
        if (!bigger) {
            p->oom = true;
            return -1;
        }
        p->buf = bigger;
        p->buf_size = n + 1;
    }
    memcpy (p->buf, start, n);
    p->buf [n] = '\0';
    p->text_pos += n;
    return (ssize_t) n;
}

/*  inih reader: one line per call, counted; refuses what inih would
    misread. */
static char *
s_reader (char *str, int num, void *stream)
{
    s_parser_t *p = stream;
    for (;;) {
        ssize_t n = s_getline (p);
        if (n < 0) {
            s_section_close (p);
            return NULL;
        }
        p->lineno++;
        char *line = p->buf;
        if (p->lineno == 1 && n >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            n -= 3;
        }
        while (n > 0 && (line [n - 1] == '\n' || line [n - 1] == '\r'))
            line [--n] = '\0';
        if (n + 1 > num) {
            s_fail (p, p->lineno, "line longer than %d bytes", num - 1);
            line [num - 1] = '\0';
        }
        if (memchr (line, '\0', (size_t) n) || !cchc_utf8_valid (line, strlen (line)))
            s_fail (p, p->lineno, "not valid UTF-8 text");
        char *start = line;
        while (*start == ' ' || *start == '\t')
            start++;
        bool blank = *start == '\0' || *start == '#' || *start == ';';
        if (!blank && start != line)
            s_fail (p, p->lineno,
                    "line starts with spaces (continuation lines "
                    "are not supported: keep each value on one line)");
        if (!blank && *start == '[' && !p->failed) {
            s_section_close (p);
            char header [S_LINE_MAX];
            cchc_strlcpy (header, start, sizeof header);
            s_section_open (p, header);
        }
        if (p->failed) {
            /* Keep inih from acting on anything more: hand it comments. */
            str [0] = '#';
            str [1] = '\0';
            return str;
        }
        cchc_strlcpy (str, line, (size_t) num);
        return str;
    }
}

static int
s_set_string (s_parser_t *p, char **slot, const char *value)
{
    if (*value == '\0') {
        s_fail (p, p->lineno, "empty value");
        return -1;
    }
    char *copy = strdup (value);
    if (!copy) {
        s_fail (p, p->lineno, "out of memory");
        return -1;
    }
    free (*slot);
    *slot = copy;
    return 0;
}

static int
s_set_code_ref (s_parser_t *p, char **slot, const char *value, bool empty_ok)
{
    if (*value == '\0' && empty_ok)
        return 0;
    if (!cchc_metric_code_valid (value, strlen (value))) {
        s_fail (p, p->lineno, "bad code '%s'", value);
        return -1;
    }
    return s_set_string (p, slot, value);
}

/*  "90:Xuất sắc, 80:Tốt, 0:Yếu" */
static void
s_parse_grades (s_parser_t *p, const char *value)
{
    cchc_criteria_t *cat = p->cat;
    char buf [S_LINE_MAX];
    cchc_strlcpy (buf, value, sizeof buf);
    char *save = NULL;
    for (char *tok = strtok_r (buf, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
        char *colon = strchr (tok, ':');
        double at;
        if (!colon) {
            s_fail (p, p->lineno, "grades: expected 'index:name' items");
            return;
        }
        *colon = '\0';
        char *label = s_trim (colon + 1);
        if (s_parse_number (s_trim (tok), &at) != 0 || at < 0 || at > 100 || *label == '\0') {
            s_fail (p, p->lineno,
                    "grades: bad item '%s:%s' (index 0..100, then "
                    "a name)",
                    s_trim (tok), label);
            return;
        }
        if (cat->grade_count > 0 && !(at < cat->grades [cat->grade_count - 1].at)) {
            s_fail (p, p->lineno, "grades must go from the highest index down");
            return;
        }
        cchc_grade_t *grown = realloc (cat->grades, (cat->grade_count + 1) * sizeof *grown);
        if (!grown) {
            s_fail (p, p->lineno, "out of memory");
            return;
        }
        cat->grades = grown;
        grown [cat->grade_count].at = at;
        if (!(grown [cat->grade_count].name = strdup (label))) {
            s_fail (p, p->lineno, "out of memory");
            return;
        }
        cat->grade_count++;
    }
    if (cat->grade_count == 0)
        s_fail (p, p->lineno, "grades: empty list");
}

/*  "0.9:1, 0.7:0.5" */
static void
s_parse_bands (s_parser_t *p, cchc_indicator_t *ind, const char *value)
{
    char buf [S_LINE_MAX];
    cchc_strlcpy (buf, value, sizeof buf);
    char *save = NULL;
    ind->band_count = 0;
    for (char *tok = strtok_r (buf, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
        char *colon = strchr (tok, ':');
        double at, share;
        if (!colon) {
            s_fail (p, p->lineno,
                    "bands: expected 'value:share' items, e.g. "
                    "\"0.9:1, 0.7:0.5\"");
            return;
        }
        *colon = '\0';
        if (s_parse_number (s_trim (tok), &at) != 0
            || s_parse_number (s_trim (colon + 1), &share) != 0 || share < 0 || share > 1) {
            s_fail (p, p->lineno, "bands: bad item (value:share, share 0..1)");
            return;
        }
        if (ind->band_count == CCHC_BANDS_MAX) {
            s_fail (p, p->lineno, "bands: at most %d bands", CCHC_BANDS_MAX);
            return;
        }
        ind->bands [ind->band_count].at = at;
        ind->bands [ind->band_count].share = share;
        ind->band_count++;
    }
    if (ind->band_count == 0)
        s_fail (p, p->lineno, "bands: empty list");
}

static void
s_handle_catalogue (s_parser_t *p, int key, const char *value)
{
    cchc_criteria_t *cat = p->cat;
    int64_t n = 0;
    double d = 0;
    switch (key) {
        case 0: s_set_string (p, &cat->name, value); break;
        case 1:
            if (cchc_parse_int64 (value, 1900, 9999, &n) != 0)
                s_fail (p, p->lineno, "year: expected a year, got '%s'", value);
            cat->year = (int) n;
            break;
        case 2:
            if (s_parse_number (value, &d) != 0 || d <= 0)
                s_fail (p, p->lineno, "total: expected a positive number, got '%s'", value);
            cat->total = d;
            break;
        case 3:
        case 4:
        case 6:
        case 7:
        case 8:
            if (cchc_parse_int64 (value, 1, 28, &n) != 0)
                s_fail (p, p->lineno, "%s: expected a day 1..28, got '%s'",
                        cchc_criteria_keys_catalogue [key], value);
            if (key == 3)
                cat->due_all = (int) n;
            else if (key == 4)
                cat->lock_day = (int) n;
            else
                cat->level_due [key - 6] = (int) n;
            break;
        case 5: s_parse_grades (p, value); break;
        default: assert (false);
    }
}

static void
s_handle_metric (s_parser_t *p, int key, const char *value)
{
    cchc_metric_t *m = &p->cat->metrics [p->sec_index].pub;
    switch (key) {
        case 0: s_set_string (p, (char **) &m->name, value); break;
        case 1:
            if (strcmp (value, "counter") == 0)
                m->kind = CCHC_METRIC_COUNTER;
            else if (strcmp (value, "gauge") == 0)
                m->kind = CCHC_METRIC_GAUGE;
            else
                s_fail (p, p->lineno, "kind: expected counter or gauge, got '%s'", value);
            break;
        case 2:
            if (s_parse_levels (value, &m->levels) != 0)
                s_fail (p, p->lineno,
                        "levels: expected a list of so, huyen, xa; "
                        "got '%s'",
                        value);
            break;
        default: assert (false);
    }
}

static void
s_handle_indicator (s_parser_t *p, int key, const char *value)
{
    cchc_criteria_indicator_rec_t *si = &p->cat->indicators [p->sec_index];
    cchc_indicator_t *ind = &si->pub;
    double d = 0;
    switch (key) {
        case 0: s_set_string (p, (char **) &ind->name, value); break;
        case 1: s_set_code_ref (p, &si->area_ref, value, false); break;
        case 2:
            if (strcmp (value, "proportional") == 0)
                ind->rule = CCHC_RULE_PROPORTIONAL;
            else if (strcmp (value, "threshold") == 0)
                ind->rule = CCHC_RULE_THRESHOLD;
            else if (strcmp (value, "bands") == 0)
                ind->rule = CCHC_RULE_BANDS;
            else if (strcmp (value, "on_time") == 0)
                ind->rule = CCHC_RULE_ON_TIME;
            else
                s_fail (p, p->lineno,
                        "rule: expected proportional, threshold, "
                        "bands or on_time; got '%s'",
                        value);
            break;
        case 3: s_set_code_ref (p, &si->numerator_ref, value, false); break;
        case 4: s_set_code_ref (p, &si->denominator_ref, value, true); break;
        case 5:
        case 6:
        case 7:
        case 8:
            if (s_parse_number (value, &d) != 0 || d < 0)
                s_fail (p, p->lineno,
                        "%s: expected a number >= 0 such as 0.82 "
                        "or 82%%, got '%s'",
                        cchc_criteria_keys_indicator [key], value);
            else if (key == 5) {
                for (int l = 0; l < CCHC_LEVEL_COUNT; l++)
                    if (!si->where.key_line [6 + l])
                        ind->target [l] = d;
            }
            else
                ind->target [key - 6] = d;
            break;
        case 9:
            if (strcmp (value, "higher") == 0)
                ind->higher = true;
            else if (strcmp (value, "lower") == 0)
                ind->higher = false;
            else
                s_fail (p, p->lineno, "better: expected higher or lower, got '%s'", value);
            break;
        case 10:
            if (s_parse_number (value, &d) != 0 || d <= 0)
                s_fail (p, p->lineno, "points: expected a number > 0, got '%s'", value);
            ind->points = d;
            break;
        case 11: s_parse_bands (p, ind, value); break;
        case 12:
            if (s_parse_levels (value, &ind->levels) != 0)
                s_fail (p, p->lineno,
                        "levels: expected a list of so, huyen, xa; "
                        "got '%s'",
                        value);
            break;
        case 13:
            if (strcmp (value, "yes") == 0 || strcmp (value, "true") == 0)
                ind->plan = true;
            else if (strcmp (value, "no") == 0 || strcmp (value, "false") == 0)
                ind->plan = false;
            else
                s_fail (p, p->lineno, "plan: expected yes or no, got '%s'", value);
            break;
        default: assert (false);
    }
}

static int
s_handler (void *user, const char *section, const char *name, const char *value)
{
    s_parser_t *p = user;
    (void) section; /* the reader opened it already */
    if (p->failed)
        return 0;
    if (p->sec_kind == S_SEC_NONE) {
        s_fail (p, p->lineno, "'%s' outside any section", name);
        return 0;
    }
    int key = cchc_criteria_key_index (p->sec_keys, name);
    if (key < 0) {
        s_fail (p, p->lineno, "unknown key '%s' in this section", name);
        return 0;
    }
    assert (key < CCHC_CRITERIA_KEYS_MAX);
    if (p->sec_where->key_line [key]) {
        s_fail (p, p->lineno, "duplicate key '%s' (first at line %d)", name,
                p->sec_where->key_line [key]);
        return 0;
    }
    p->sec_key_count++;
    switch (p->sec_kind) {
        case S_SEC_CATALOGUE: s_handle_catalogue (p, key, value); break;
        case S_SEC_METRIC: s_handle_metric (p, key, value); break;
        case S_SEC_AREA:
            s_set_string (p, (char **) &p->cat->areas [p->sec_index].pub.name, value);
            break;
        case S_SEC_INDICATOR: s_handle_indicator (p, key, value); break;
        default: assert (false);
    }
    p->sec_where->key_line [key] = p->lineno;
    return p->failed ? 0 : 1;
}

/*  Whole-file checks, after every section is read (criteria_check.c). */
static void
s_validate (s_parser_t *p)
{
    if (!p->catalogue_seen) {
        s_fail (p, 0, "no [catalogue] section (name, year, total)");
        return;
    }
    int line = 0;
    char msg [512] = "";
    if (cchc_criteria_check (p->cat, &line, msg, sizeof msg) != 0)
        s_fail (p, line, "%s", msg);
}

/*  The one loading path: `p` reads from its file or its text. */
static cchc_criteria_t *
s_load (s_parser_t *p)
{
    cchc_criteria_t *cat = calloc (1, sizeof *cat);
    if (!cat) {
        if (p->err)
            snprintf (p->err, p->errlen, "%s: out of memory", p->path);
        return NULL;
    }
    cat->due_day = 18;
    cat->lock_day = 22;
    p->cat = cat;
    int rc = ini_parse_stream (s_reader, p, s_handler, p);
    free (p->buf);
    p->buf = NULL;
    if (rc > 0 && p->failed && rc < p->fail_line)
        p->failed = false; /* inih's syntax error came first */
    if (p->oom)
        rc = -2;
    if (rc != 0 && !p->failed)
        s_fail (p, rc > 0 ? rc : 0,
                rc > 0     ? "syntax error (expected [section], "
                             "key = value, or a # comment)"
                : rc == -2 ? "out of memory"
                           : "cannot read the file");
    if (!p->failed)
        s_validate (p);
    if (p->failed) {
        cchc_criteria_destroy (&cat);
        return NULL;
    }
    return cat;
}

cchc_criteria_t *
cchc_criteria_load (const char *path, char *err, size_t errlen)
{
    assert (path);
    if (err && errlen)
        err [0] = '\0';
    FILE *f = fopen (path, "r");
    if (!f) {
        cchc_errf (err, errlen, "%s: cannot open: %s", path, strerror (errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream (&text, &len);
    char buf [4096];
    size_t n;
    while (mem && (n = fread (buf, 1, sizeof buf, f)) > 0)
        if (fwrite (buf, 1, n, mem) != n)
            break;
    bool failed = !mem || ferror (f);
    if (mem && fclose (mem) != 0)
        failed = true;
    fclose (f);
    cchc_criteria_t *cat = NULL;
    if (failed || !text)
        cchc_errf (err, errlen, "%s: cannot read: %s", path,
                   !mem || !text ? "out of memory" : strerror (errno));
    else
        cat = cchc_criteria_load_string (path, text, len, err, errlen);
    free (text);
    return cat;
}

cchc_criteria_t *
cchc_criteria_load_string (const char *name, const char *text, size_t len, char *err,
                           size_t errlen)
{
    assert (name);
    assert (text || len == 0);
    if (err && errlen)
        err [0] = '\0';
    s_parser_t p = {
        .path = name, .text = text ? text : "", .text_len = len, .err = err, .errlen = errlen
    };
    cchc_criteria_t *cat = s_load (&p);
    if (!cat)
        return NULL;
    cat->source = strdup (name);
    cat->text = malloc (len + 1);
    if (!cat->source || !cat->text) {
        cchc_criteria_destroy (&cat);
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    memcpy (cat->text, text ? text : "", len);
    cat->text [len] = 0;
    return cat;
}
