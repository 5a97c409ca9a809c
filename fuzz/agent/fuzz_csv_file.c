/*  fuzz_csv_file.c — libFuzzer target: arbitrary bytes as a CSV drop file
    (metric,date,value) for cchc_csv_parse.

    Checks, beyond "no crash, no hang, no leak, no undefined behaviour":
    - the result is 0 exactly when no row was bad, with the problems text
      there exactly when rows were bad;
    - every observation is valid, dated no later than tomorrow and
      encodable in a report;
    - a file that is taken is text: valid UTF-8 without NUL bytes (a file
      with anything else must be refused, not read in part);
    - nothing is lost silently: in a file without quotes, each line that is
      not blank gives an observation (or is the header);
    - the observations, written back as CSV (plain and quoted, LF and
      CRLF, with and without a header), parse to the same observations.
*/
#include "fuzz/agent/fuzz_agent.h"

#include <strings.h>

/*  "metric,date,value" in any case, spaces and tabs around the names. */
static bool
s_is_header (const char *line, size_t len)
{
    static const char *names [3] = { "metric", "date", "value" };
    size_t pos = 0;
    for (int i = 0; i < 3; i++) {
        size_t end = pos;
        while (end < len && line [end] != ',')
            end++;
        if ((i < 2) != (end < len))
            return false; /* not exactly three fields */
        size_t a = pos, b = end;
        while (a < b && (line [a] == ' ' || line [a] == '\t'))
            a++;
        while (b > a && (line [b - 1] == ' ' || line [b - 1] == '\t'))
            b--;
        if (b - a != strlen (names [i]) || strncasecmp (line + a, names [i], b - a) != 0)
            return false;
        pos = end + 1;
    }
    return true;
}

/*  Rows of a quote-free file that must give an observation: lines that are
    not only spaces and tabs (libcsv's trimmed blanks), less a header on the
    first of them.  CR, LF and CRLF all end lines. */
static size_t
s_content_rows (const char *text, size_t len)
{
    size_t n = 0, pos = 0;
    bool first = true;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text [end] != '\n' && text [end] != '\r')
            end++;
        bool blank = true;
        for (size_t i = pos; i < end; i++)
            if (text [i] != ' ' && text [i] != '\t')
                blank = false;
        if (!blank) {
            if (!(first && s_is_header (text + pos, end - pos)))
                n++;
            first = false;
        }
        pos = end + 1;
    }
    return n;
}

static void
s_round_trip (const cchc_source_result_t *res, cchc_date_t today, bool quoted, bool header,
              const char *eol)
{
    size_t cap = res->nobs * 160 + 64;
    char *text = malloc (cap);
    s_check (text != NULL, "malloc");
    size_t len = 0;
    if (header)
        len = (size_t) snprintf (text, cap, "%smetric,date,value%s",
                                 quoted ? "\xEF\xBB\xBF" : "", eol);
    for (size_t i = 0; i < res->nobs; i++) {
        const cchc_obs_t *o = &res->obs [i];
        char value [64], date [16];
        s_value_text (o, value, sizeof value);
        cchc_date_format (o->date, date, sizeof date);
        const char *q = quoted ? "\"" : "";
        int w = snprintf (text + len, cap - len, "%s%s%s,%s%s%s,%s%s%s%s", q, o->metric, q, q,
                          date, q, q, value, q, eol);
        s_check (w > 0 && (size_t) w < cap - len, "row fits");
        len += (size_t) w;
    }
    cchc_source_result_t back;
    cchc_source_result_init (&back);
    int rc = cchc_csv_parse (text, len, today, &back);
    if (rc != 0)
        fprintf (stderr, "written CSV refused: %s\n", back.problems);
    s_check (rc == 0 && back.nbad == 0, "written CSV is taken");
    s_check_same_obs (res, &back);
    cchc_source_result_clear (&back);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    cchc_date_t today = s_today ();
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    int rc = cchc_csv_parse (text, size, today, &res);
    s_check (rc == 0 || rc == -1, "returns 0 or -1");
    s_check ((rc == 0) == (res.nbad == 0), "0 exactly when no row is bad");
    s_check_result (&res, today);
    if (rc == 0) {
        const char *body = text;
        size_t blen = size;
        if (blen >= 3 && memcmp (body, "\xEF\xBB\xBF", 3) == 0) {
            body += 3;
            blen -= 3;
        }
        s_check (cchc_utf8_valid (body, blen), "a taken file is UTF-8 text, no NUL");
        if (!memchr (body, '"', blen))
            s_check (res.nobs == s_content_rows (body, blen),
                     "each row of a taken file gives an observation");
        if (res.nobs > 0) {
            s_round_trip (&res, today, false, false, "\n");
            s_round_trip (&res, today, true, true, "\r\n");
        }
    }
    cchc_source_result_clear (&res);
    return 0;
}
