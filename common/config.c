/*  config.c — one table of settings per program, filled from defaults, INI
    files (parsed by inih) and "--set section.key=value" overrides.

    inih is tolerant where we want to be strict, so it is driven through
    ini_parse_stream with our own line reader over an in-memory copy of the
    file.  The reader counts lines (so every message carries one), refuses
    lines longer than inih's buffer (which inih would otherwise split into
    two lines silently) and NUL bytes; the handler refuses unknown keys,
    duplicate keys, bad values and inih's "continuation lines" (an indented
    line that inih would append to the previous key).

    A file is applied in two passes over the same text: the first only
    validates, the second stores.  So a file with any error changes nothing.
*/
#include "common/config.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#define S_FILE_MAX (1024 * 1024)  //  a configuration file, not a data set
#define S_KEY_MAX 256
#define S_REASON_MAX 320

//  ---------------------------------------------------------------------------
//  Values

//  Duration units, largest first (for printing).
static const struct {
    const char *suffix;
    int64_t ms;
} s_units [] = {
    { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 }
};
#define S_UNITS (sizeof s_units / sizeof s_units [0])

//  "500ms", "30s", "5m", "2h", "1d" or a plain number of ms.  0 or -1.
static int
s_parse_duration (const char *text, int64_t *ms)
{
    const char *p = text;
    if (!(*p >= '0' && *p <= '9'))
        return -1;
    int64_t value = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (value > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        value = value * 10 + (*p - '0');
    }
    int64_t unit = 1;
    if (*p) {
        unit = 0;
        for (size_t i = 0; i < S_UNITS; i++)
            if (strcmp (p, s_units [i].suffix) == 0)
                unit = s_units [i].ms;
        if (unit == 0)
            return -1;
    }
    if (value > INT64_MAX / unit)
        return -1;
    *ms = value * unit;
    return 0;
}

//  The shortest exact form: 30000 -> "30s", 1500 -> "1500ms", 0 -> "0".
static void
s_format_duration (int64_t ms, char *buf, size_t size)
{
    if (ms == 0) {
        snprintf (buf, size, "0");
        return;
    }
    for (size_t i = 0; i < S_UNITS; i++)
        if (ms % s_units [i].ms == 0) {
            snprintf (buf, size, "%" PRId64 "%s", ms / s_units [i].ms, s_units [i].suffix);
            return;
        }
}

static bool
s_parse_bool (const char *text, bool *value)
{
    static const char *yes [] = { "true", "yes", "on", "1" };
    static const char *no [] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp (text, yes [i]) == 0) {
            *value = true;
            return true;
        }
        if (strcasecmp (text, no [i]) == 0) {
            *value = false;
            return true;
        }
    }
    return false;
}

//  Parse `text` for `entry`; with `conf`, store it.  On failure the reason
//  (starting with the key) goes into reason and -1 is returned.
static int
s_parse_value (const cchc_config_entry_t *entry, void *conf, const char *text, char *reason,
               size_t reason_len)
{
    char *field = conf ? (char *) conf + entry->offset : NULL;
    switch (entry->type) {
        case CCHC_CONFIG_INT: {
            int64_t value;
            if (cchc_parse_int64 (text, INT64_MIN, INT64_MAX, &value) != 0) {
                cchc_errf (reason, reason_len, "%s: '%s' is not an integer", entry->name,
                           text);
                return -1;
            }
            if (value < entry->min || value > entry->max) {
                cchc_errf (reason, reason_len,
                           "%s: %" PRId64 " is out of bounds [%" PRId64 ", %" PRId64 "]",
                           entry->name, value, entry->min, entry->max);
                return -1;
            }
            if (field)
                memcpy (field, &value, sizeof value);
            return 0;
        }
        case CCHC_CONFIG_BOOL: {
            bool value;
            if (!s_parse_bool (text, &value)) {
                cchc_errf (reason, reason_len,
                           "%s: '%s' is not a boolean "
                           "(true/false, yes/no, on/off, 1/0)",
                           entry->name, text);
                return -1;
            }
            if (field)
                memcpy (field, &value, sizeof value);
            return 0;
        }
        case CCHC_CONFIG_STRING:
        case CCHC_CONFIG_SECRET: {
            size_t len = strlen (text);
            if (len >= entry->size) {
                cchc_errf (reason, reason_len,
                           "%s: value is too long (%zu bytes, at most %zu)", entry->name, len,
                           entry->size - 1);
                return -1;
            }
            if (!cchc_utf8_valid (text, len)) {
                cchc_errf (reason, reason_len, "%s: value is not valid UTF-8", entry->name);
                return -1;
            }
            if (field)
                memcpy (field, text, len + 1);
            return 0;
        }
        case CCHC_CONFIG_DURATION: {
            int64_t value;
            if (s_parse_duration (text, &value) != 0) {
                cchc_errf (reason, reason_len,
                           "%s: '%s' is not a duration "
                           "(like 500ms, 30s, 5m, 2h, 1d, or a number of ms)",
                           entry->name, text);
                return -1;
            }
            if (value < entry->min || value > entry->max) {
                char v [32], lo [32], hi [32];
                s_format_duration (value, v, sizeof v);
                s_format_duration (entry->min, lo, sizeof lo);
                s_format_duration (entry->max, hi, sizeof hi);
                cchc_errf (reason, reason_len, "%s: %s is out of bounds [%s, %s]", entry->name,
                           v, lo, hi);
                return -1;
            }
            if (field)
                memcpy (field, &value, sizeof value);
            return 0;
        }
    }
    assert (!"invalid configuration entry type");
    return -1;
}

//  Index of the entry called `name`, or -1.
static int
s_find (const cchc_config_entry_t *table, const char *name)
{
    for (int i = 0; table [i].name; i++)
        if (strcmp (table [i].name, name) == 0)
            return i;
    return -1;
}

static size_t
s_table_size (const cchc_config_entry_t *table)
{
    size_t n = 0;
    while (table [n].name) {
        const cchc_config_entry_t *e = &table [n];
        //  Programming errors in the table itself.
        assert (strchr (e->name, '.'));
        assert (e->type >= CCHC_CONFIG_INT && e->type <= CCHC_CONFIG_SECRET);
        assert ((e->type != CCHC_CONFIG_STRING && e->type != CCHC_CONFIG_SECRET)
                || e->size > 0);
        assert (e->type == CCHC_CONFIG_STRING || e->type == CCHC_CONFIG_SECRET
                || e->type == CCHC_CONFIG_BOOL || e->min <= e->max);
        (void) e;
        n++;
    }
    return n;
}

int
cchc_config_defaults (const cchc_config_entry_t *table, void *conf, char *err, size_t errlen)
{
    assert (table && conf);
    s_table_size (table);
    for (size_t i = 0; table [i].name; i++) {
        const cchc_config_entry_t *e = &table [i];
        if (!e->default_value) {
            //  No default: the zero value.
            char *field = (char *) conf + e->offset;
            if (e->type == CCHC_CONFIG_STRING || e->type == CCHC_CONFIG_SECRET)
                field [0] = '\0';
            else if (e->type == CCHC_CONFIG_BOOL)
                memcpy (field, &(bool){ false }, sizeof (bool));
            else
                memcpy (field, &(int64_t){ 0 }, sizeof (int64_t));
            continue;
        }
        char reason [S_REASON_MAX];
        if (s_parse_value (e, conf, e->default_value, reason, sizeof reason) != 0) {
            cchc_errf (err, errlen, "invalid default: %s", reason);
            return -1;
        }
    }
    return 0;
}

//  ---------------------------------------------------------------------------
//  INI text through inih

typedef struct {
    const cchc_config_entry_t *table;
    void *conf;  //  where to store, NULL in the checking pass
    //  The line reader
    const char *text;
    size_t len;
    size_t pos;
    int line;       //  number of the line inih is working on
    bool indented;  //  that line starts with a space or tab
    //  What the handler saw
    int *seen_line;  //  per entry: the line that set it, or 0
    char last_section [S_KEY_MAX];
    char last_name [S_KEY_MAX];
    bool have_last;
    //  The first error
    int err_line;
    char reason [S_REASON_MAX];
} s_parse_t;

static void s_fail (s_parse_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_fail (s_parse_t *self, const char *fmt, ...)
{
    if (self->err_line)
        return;  //  keep the first
    self->err_line = self->line;
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->reason, sizeof self->reason, fmt, args);
    va_end (args);
}

//  inih's reader: the next line into str (num bytes with the NUL), without
//  its newline.  NULL at the end, or to stop at a line we refuse.
static char *
s_reader (char *str, int num, void *stream)
{
    s_parse_t *self = (s_parse_t *) stream;
    if (self->pos >= self->len || self->err_line)
        return NULL;
    const char *start = self->text + self->pos;
    const char *nl = memchr (start, '\n', self->len - self->pos);
    size_t line_len = nl ? (size_t) (nl - start) : self->len - self->pos;
    self->pos += line_len + (nl ? 1 : 0);
    self->line++;
    if (memchr (start, '\0', line_len)) {
        s_fail (self, "line contains a NUL byte");
        return NULL;
    }
    if (num < 2 || line_len > (size_t) num - 1) {
        s_fail (self, "line is too long (at most %d bytes)", num - 1);
        return NULL;
    }
    memcpy (str, start, line_len);
    str [line_len] = '\0';
    self->indented = line_len > 0 && (start [0] == ' ' || start [0] == '\t');
    //  A section header ends what an indented line could continue.
    const char *p = str;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '[')
        self->have_last = false;
    return str;
}

static int
s_handler (void *user, const char *section, const char *name, const char *value)
{
    s_parse_t *self = (s_parse_t *) user;
    if (self->err_line)
        return 0;
    //  inih hands an indented line to the previous key as more of its value.
    if (self->indented && self->have_last && strcmp (self->last_section, section) == 0
        && strcmp (self->last_name, name) == 0) {
        s_fail (self,
                "indented line would continue the value of '%s'; "
                "remove the indentation",
                name);
        return 0;
    }
    char key [S_KEY_MAX];
    int n = *section ? snprintf (key, sizeof key, "%s.%s", section, name)
                     : snprintf (key, sizeof key, "%s", name);
    int index = n > 0 && (size_t) n < sizeof key ? s_find (self->table, key) : -1;
    if (index < 0) {
        s_fail (self, "unknown key '%s'%s", n > 0 && (size_t) n < sizeof key ? key : name,
                *section ? "" : " (outside any [section])");
        return 0;
    }
    cchc_strlcpy (self->last_section, section, sizeof self->last_section);
    cchc_strlcpy (self->last_name, name, sizeof self->last_name);
    self->have_last = true;
    if (self->seen_line [index]) {
        s_fail (self, "duplicate key '%s' (first set on line %d)", key,
                self->seen_line [index]);
        return 0;
    }
    self->seen_line [index] = self->line;
    char reason [S_REASON_MAX];
    if (s_parse_value (&self->table [index], self->conf, value, reason, sizeof reason) != 0) {
        s_fail (self, "%s", reason);
        return 0;
    }
    return 1;
}

//  One pass over text; 0, or -1 with "name:line: reason" in err.
static int
s_parse_pass (const cchc_config_entry_t *table, void *conf, const char *name, const char *text,
              size_t len, int *seen_line, size_t entries, char *err, size_t errlen)
{
    s_parse_t self;
    memset (&self, 0, sizeof self);
    self.table = table;
    self.conf = conf;
    self.text = text;
    self.len = len;
    self.seen_line = seen_line;
    memset (seen_line, 0, entries * sizeof (int));

    int rc = ini_parse_stream (s_reader, &self, s_handler, &self);
    if (self.err_line && (rc <= 0 || self.err_line <= rc)) {
        cchc_errf (err, errlen, "%s:%d: %s", name, self.err_line, self.reason);
        return -1;
    }
    if (rc > 0) {
        //  inih's own refusal: find the line again to say what is wrong.
        const char *p = text, *end = text + len;
        for (int line = 1; line < rc && p < end; line++) {
            const char *nl = memchr (p, '\n', (size_t) (end - p));
            p = nl ? nl + 1 : end;
        }
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        cchc_errf (err, errlen, "%s:%d: %s", name, rc,
                   p < end && *p == '[' ? "section header without a closing ']'"
                                        : "expected 'key = value', '[section]' or a comment");
        return -1;
    }
    if (rc < 0) {
        cchc_errf (err, errlen, "%s: out of memory", name);
        return -1;
    }
    return 0;
}

int
cchc_config_load_string (const cchc_config_entry_t *table, void *conf, const char *name,
                         const char *text, size_t len, char *err, size_t errlen)
{
    assert (table && conf && name);
    assert (text || len == 0);
    size_t entries = s_table_size (table);
    int *seen_line = (int *) calloc (entries + 1, sizeof (int));
    if (!seen_line) {
        cchc_errf (err, errlen, "%s: out of memory", name);
        return -1;
    }
    //  Check everything first, then store: an invalid file changes nothing.
    int rc = s_parse_pass (table, NULL, name, text ? text : "", len, seen_line, entries, err,
                           errlen);
    if (rc == 0) {
        rc = s_parse_pass (table, conf, name, text ? text : "", len, seen_line, entries, err,
                           errlen);
        assert (rc == 0);
    }
    free (seen_line);
    return rc;
}

int
cchc_config_load (const cchc_config_entry_t *table, void *conf, const char *path, char *err,
                  size_t errlen)
{
    assert (table && conf && path);
    FILE *file = fopen (path, "rb");
    if (!file) {
        cchc_errf (err, errlen, "%s: %s", path, strerror (errno));
        return -1;
    }
    char *text = (char *) malloc (S_FILE_MAX + 1);
    if (!text) {
        fclose (file);
        cchc_errf (err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t len = fread (text, 1, S_FILE_MAX + 1, file);
    int read_error = ferror (file);
    int saved_errno = errno;
    fclose (file);
    int rc = -1;
    if (read_error)
        cchc_errf (err, errlen, "%s: %s", path, strerror (saved_errno));
    else if (len > S_FILE_MAX)
        cchc_errf (err, errlen, "%s: larger than %d bytes; not a configuration file", path,
                   S_FILE_MAX);
    else
        rc = cchc_config_load_string (table, conf, path, text, len, err, errlen);
    free (text);
    return rc;
}

int
cchc_config_set (const cchc_config_entry_t *table, void *conf, const char *assignment,
                 char *err, size_t errlen)
{
    assert (table && conf && assignment);
    s_table_size (table);
    const char *eq = strchr (assignment, '=');
    if (!eq || eq == assignment) {
        cchc_errf (err, errlen, "--set %s: expected section.key=value", assignment);
        return -1;
    }
    char key [S_KEY_MAX];
    size_t key_len = (size_t) (eq - assignment);
    int index = -1;
    if (key_len < sizeof key) {
        memcpy (key, assignment, key_len);
        key [key_len] = '\0';
        index = s_find (table, key);
    }
    if (index < 0) {
        cchc_errf (err, errlen, "--set: unknown key '%.*s'",
                   (int) (key_len < 200 ? key_len : 200), assignment);
        return -1;
    }
    char reason [S_REASON_MAX];
    if (s_parse_value (&table [index], conf, eq + 1, reason, sizeof reason) != 0) {
        cchc_errf (err, errlen, "--set %s", reason);
        return -1;
    }
    return 0;
}

//  ---------------------------------------------------------------------------
//  Printing

void
cchc_config_print (const cchc_config_entry_t *table, const void *conf, FILE *out)
{
    assert (table && conf && out);
    s_table_size (table);
    const char *prev = NULL;
    size_t prev_len = 0;
    for (size_t i = 0; table [i].name; i++) {
        const cchc_config_entry_t *e = &table [i];
        const char *dot = strchr (e->name, '.');
        size_t section_len = (size_t) (dot - e->name);
        if (!prev || prev_len != section_len || memcmp (prev, e->name, section_len) != 0) {
            fprintf (out, "%s[%.*s]\n", prev ? "\n" : "", (int) section_len, e->name);
            prev = e->name;
            prev_len = section_len;
        }
        if (e->help)
            fprintf (out, "# %s\n", e->help);
        const char *field = (const char *) conf + e->offset;
        const char *key = dot + 1;
        switch (e->type) {
            case CCHC_CONFIG_INT: {
                int64_t v;
                memcpy (&v, field, sizeof v);
                fprintf (out, "%s = %" PRId64 "\n", key, v);
                break;
            }
            case CCHC_CONFIG_BOOL: {
                bool v;
                memcpy (&v, field, sizeof v);
                fprintf (out, "%s = %s\n", key, v ? "true" : "false");
                break;
            }
            case CCHC_CONFIG_STRING:
                //  inih takes " ;" as the start of a comment: a value that
                //  starts with ';' must follow the '=' directly.
                fprintf (out, "%s =%s%.*s\n", key, field [0] == ';' ? "" : " ",
                         (int) strnlen (field, e->size), field);
                break;
            case CCHC_CONFIG_SECRET:
                //  Settings are printed to terminals, tickets and logs.
                fprintf (out, "%s =%s\n", key, field [0] ? " ***" : "");
                break;
            case CCHC_CONFIG_DURATION: {
                int64_t v;
                memcpy (&v, field, sizeof v);
                char buf [32];
                s_format_duration (v, buf, sizeof buf);
                fprintf (out, "%s = %s\n", key, buf);
                break;
            }
        }
    }
}
