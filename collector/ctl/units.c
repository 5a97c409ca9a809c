/*  units.c — reading the organisation units CSV files (the format of
    data/units/ files: "code,name,kind,level,parent" with a header line) with
    libcsv, with "file:line: reason" for every row that is not well formed.
*/
#include "collector/ctl/admin.h"

#include "common/mem.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>

#define UNITS_FIELDS 5
#define UNITS_ERRORS_MAX 30

typedef struct {
    const char *path;
    size_t line; /* line being parsed, 1-based */
    bool header_seen;
    char fields [UNITS_FIELDS][256];
    size_t field_len [UNITS_FIELDS];
    size_t nfields;
    bool field_too_long;
    bool field_bad_utf8;
    cchc_db_unit_t *rows;
    size_t count, cap;
    char *err;
    size_t errlen;
    size_t errors;
    bool nomem;
} s_reader_t;

static void
s_error (s_reader_t *self, const char *fmt, ...)
{
    self->errors++;
    if (self->errors > UNITS_ERRORS_MAX)
        return;
    size_t used = strlen (self->err);
    if (used + 2 >= self->errlen)
        return;
    if (used) {
        self->err [used++] = '\n';
        self->err [used] = 0;
    }
    int n = self->line ? snprintf (self->err + used, self->errlen - used,
                                   "%s:%zu: ", self->path, self->line)
                       : snprintf (self->err + used, self->errlen - used, "%s: ", self->path);
    if (n < 0 || (size_t) n >= self->errlen - used)
        return;
    used += (size_t) n;
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->err + used, self->errlen - used, fmt, args);
    va_end (args);
}

static void
s_on_field (void *data, size_t len, void *arg)
{
    s_reader_t *self = arg;
    if (self->nfields < UNITS_FIELDS) {
        char *field = self->fields [self->nfields];
        if (len >= sizeof self->fields [0]) {
            self->field_too_long = true;
            len = sizeof self->fields [0] - 1;
        }
        memcpy (field, data, len);
        field [len] = 0;
        self->field_len [self->nfields] = len;
        if (!cchc_utf8_valid (field, len))
            self->field_bad_utf8 = true;
    }
    self->nfields++;
}

static bool
s_copy (s_reader_t *self, char *dst, size_t size, size_t index, const char *what)
{
    if (self->field_len [index] >= size) {
        s_error (self, "%s is longer than %zu bytes", what, size - 1);
        return false;
    }
    memcpy (dst, self->fields [index], self->field_len [index] + 1);
    return true;
}

static void
s_on_record (int terminator, void *arg)
{
    (void) terminator;
    s_reader_t *self = arg;
    size_t nfields = self->nfields;
    self->nfields = 0;
    bool too_long = self->field_too_long, bad_utf8 = self->field_bad_utf8;
    self->field_too_long = self->field_bad_utf8 = false;

    if (!self->header_seen) {
        self->header_seen = true;
        static const char *names [UNITS_FIELDS] = { "code", "name", "kind", "level",
                                                    "parent" };
        bool ok = nfields == UNITS_FIELDS;
        for (size_t i = 0; ok && i < UNITS_FIELDS; i++)
            ok = strcmp (self->fields [i], names [i]) == 0;
        if (!ok)
            s_error (self, "the first line must be the header "
                           "\"code,name,kind,level,parent\"");
        return;
    }
    if (nfields != UNITS_FIELDS) {
        s_error (self, "%zu fields, expected 5 (code,name,kind,level,parent)", nfields);
        return;
    }
    if (bad_utf8) {
        s_error (self, "a field is not valid UTF-8");
        return;
    }
    if (too_long) {
        s_error (self, "a field is longer than 255 bytes");
        return;
    }
    cchc_db_unit_t row;
    memset (&row, 0, sizeof row);
    if (!s_copy (self, row.code, sizeof row.code, 0, "code")
        || !s_copy (self, row.name, sizeof row.name, 1, "name")
        || !s_copy (self, row.kind, sizeof row.kind, 2, "kind")
        || !s_copy (self, row.level, sizeof row.level, 3, "level")
        || !s_copy (self, row.parent, sizeof row.parent, 4, "parent"))
        return;
    snprintf (row.where, sizeof row.where, "%s:%zu", self->path, self->line);
    if (cchc_grow (&self->rows, &self->cap, self->count, sizeof *self->rows, 256)) {
        self->nomem = true;
        return;
    }
    self->rows [self->count++] = row;
}

int
cchc_units_read_csv (const char *path, cchc_db_unit_t **rows, size_t *count, char *err,
                     size_t errlen)
{
    assert (path && rows && count && err && errlen);
    s_reader_t self;
    memset (&self, 0, sizeof self);
    self.path = path;
    self.err = err;
    self.errlen = errlen;
    FILE *file = fopen (path, "r");
    if (!file) {
        s_error (&self, "%s", strerror (errno));
        return -1;
    }
    struct csv_parser parser;
    if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose (file);
        s_error (&self, "out of memory");
        return -1;
    }
    self.rows = *rows;
    self.count = self.cap = *count;

    char *line = NULL;
    size_t size = 0;
    ssize_t len;
    bool parse_failed = false;
    while ((len = getline (&line, &size, file)) != -1) {
        self.line++;
        const char *data = line;
        if (self.line == 1 && len >= 3 && memcmp (line, "\xEF\xBB\xBF", 3) == 0) {
            data += 3; /* UTF-8 byte order mark */
            len -= 3;
        }
        if (memchr (data, 0, (size_t) len)) {
            s_error (&self, "NUL byte in the file");
            parse_failed = true;
            break;
        }
        if (csv_parse (&parser, data, (size_t) len, s_on_field, s_on_record, &self)
            != (size_t) len) {
            s_error (&self, "%s", csv_strerror (csv_error (&parser)));
            parse_failed = true;
            break;
        }
        if (self.nomem)
            break;
    }
    if (!parse_failed && !self.nomem
        && csv_fini (&parser, s_on_field, s_on_record, &self) != 0) {
        s_error (&self, "%s", csv_strerror (csv_error (&parser)));
        parse_failed = true;
    }
    bool read_error = ferror (file) != 0;
    free (line);
    csv_free (&parser);
    fclose (file);

    /*  Hand the (possibly reallocated) array and its good rows back in
        every case. */
    *rows = self.rows;
    *count = self.count;
    if (self.nomem) {
        s_error (&self, "out of memory");
        return -1;
    }
    if (read_error) {
        s_error (&self, "read error");
        return -1;
    }
    if (!self.header_seen) {
        s_error (&self, "empty file (expected the header "
                        "\"code,name,kind,level,parent\")");
        return -1;
    }
    if (self.errors > UNITS_ERRORS_MAX) {
        size_t used = strlen (err);
        snprintf (err + used, errlen - used, "\n%s: ... %zu errors in all", path, self.errors);
    }
    return self.errors || parse_failed ? -1 : 0;
}
