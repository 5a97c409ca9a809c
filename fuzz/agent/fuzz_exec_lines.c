/*  fuzz_exec_lines.c — libFuzzer target: arbitrary bytes as an exec
    source's output ("METRIC VALUE [YYYY-MM-DD]" lines) for
    cchc_source_parse_lines.

    Checks, beyond "no crash, no hang, no leak, no undefined behaviour":
    - every observation is valid, dated no later than tomorrow and
      encodable in a report;
    - nothing is lost silently: each line that is not blank or a comment
      gives exactly one observation or one counted bad line, and the
      problems text is there exactly when lines were bad;
    - the observations, printed back as lines (with and without dates,
      with CRLF), parse to the same observations with no bad line.
*/
#include "fuzz/agent/fuzz_agent.h"

/*  Lines that must give an observation or a problem: those that are not
    empty, not only spaces and tabs, and not a '#' comment (a line with a
    NUL or bad UTF-8 always counts). */
static size_t
s_content_lines (const char *text, size_t len)
{
    size_t n = 0, pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr (line, '\n', len - pos);
        size_t llen = nl ? (size_t) (nl - line) : len - pos;
        pos += llen + 1;
        if (llen > 0 && line [llen - 1] == '\r')
            llen--;
        if (memchr (line, '\0', llen) || !cchc_utf8_valid (line, llen)) {
            n++;
            continue;
        }
        size_t i = 0;
        while (i < llen && (line [i] == ' ' || line [i] == '\t'))
            i++;
        if (i < llen && line [i] != '#')
            n++;
    }
    return n;
}

static void
s_round_trip (const cchc_source_result_t *res, cchc_date_t today, bool dated, const char *eol)
{
    size_t cap = res->nobs * 128 + 1;
    char *text = malloc (cap);
    s_check (text != NULL, "malloc");
    size_t len = 0;
    for (size_t i = 0; i < res->nobs; i++) {
        const cchc_obs_t *o = &res->obs [i];
        char value [64], date [16];
        s_value_text (o, value, sizeof value);
        cchc_date_format (o->date, date, sizeof date);
        bool with_date = dated || o->date != today;
        int w = snprintf (text + len, cap - len, "%s%s%s%s%s%s", o->metric, i % 2 ? "\t" : " ",
                          value, with_date ? " " : "", with_date ? date : "", eol);
        s_check (w > 0 && (size_t) w < cap - len, "line fits");
        len += (size_t) w;
    }
    cchc_source_result_t back;
    cchc_source_result_init (&back);
    cchc_source_parse_lines (text, len, today, &back);
    if (back.nbad)
        fprintf (stderr, "printed lines refused: %s\n", back.problems);
    s_check (back.nbad == 0, "printed lines all good");
    s_check_same_obs (res, &back);
    cchc_source_result_clear (&back);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    cchc_date_t today = s_today ();
    cchc_source_result_t res;
    cchc_source_result_init (&res);
    cchc_source_parse_lines ((const char *) data, size, today, &res);
    s_check_result (&res, today);
    s_check (res.nobs + res.nbad == s_content_lines ((const char *) data, size),
             "each content line gives an observation or a problem");
    if (res.nobs > 0) {
        s_round_trip (&res, today, false, "\n");
        s_round_trip (&res, today, true, "\r\n");
    }
    cchc_source_result_clear (&res);
    return 0;
}
