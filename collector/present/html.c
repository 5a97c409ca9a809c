/*  html.c — the printable report as one HTML page (html.h): a report sink
    writing headings, paragraphs and tables into an in-memory document
    styled by web/bao-cao.css (A4, serif, ruled tables whose header repeats
    on every printed page).
*/
#include "collector/present/html.h"

#include "common/text.h"
#include "web/assets.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cchc_html_t {
    FILE *f;
    char *buf;
    size_t len;
};

#define S_STYLESHEET "/bao-cao.css" /* web/bao-cao.css, embedded */

/*  `text` escaped for HTML; \n as <br> when `breaks`. */
static void
s_text (FILE *f, const char *text, bool breaks)
{
    if (!text)
        return;
    bool valid = cchc_utf8_valid (text, strlen (text));
    for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
        switch (*p) {
            case '&': fputs ("&amp;", f); break;
            case '<': fputs ("&lt;", f); break;
            case '>': fputs ("&gt;", f); break;
            case '"': fputs ("&quot;", f); break;
            case '\'': fputs ("&#39;", f); break;
            case '\n': fputs (breaks ? "<br>" : " ", f); break;
            default:
                if (!valid && *p >= 0x80)
                    fputs ("\xEF\xBF\xBD", f);
                else
                    fputc (*p, f);
        }
    }
}

static void
s_motto (void *arg, const char *body, const char *number, const char *place_date)
{
    cchc_html_t *self = arg;
    fputs ("<div class=\"motto\"><div><b>", self->f);
    s_text (self->f, body, true);
    fputs ("</b><span>", self->f);
    s_text (self->f, number, true);
    fputs ("</span>", self->f);
    fputs ("</div><div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><b>Độc lập - Tự do - "
           "Hạnh phúc</b><i>",
           self->f);
    s_text (self->f, place_date, true);
    fputs ("</i></div></div>\n", self->f);
}

static void
s_title (void *arg, const char *text, double size, bool bold)
{
    cchc_html_t *self = arg;
    /*  classes, not style attributes: the dashboard's CSP allows no inline
        style */
    fprintf (self->f, "<h2 class=\"%s%s\">",
             size >= 15   ? "t1"
             : size >= 13 ? "t2"
                          : "t3",
             bold ? "" : " light");
    s_text (self->f, text, true);
    fputs ("</h2>\n", self->f);
}

static void
s_heading (void *arg, const char *text)
{
    cchc_html_t *self = arg;
    fputs ("<h3>", self->f);
    s_text (self->f, text, true);
    fputs ("</h3>\n", self->f);
}

static void
s_paragraph (void *arg, const char *text, bool italic)
{
    cchc_html_t *self = arg;
    fputs (italic ? "<p><i>" : "<p>", self->f);
    s_text (self->f, text, true);
    fputs (italic ? "</i></p>\n" : "</p>\n", self->f);
}

static void
s_table (void *arg, size_t ncols, const double *widths, const char *align,
         const char *const *cells, size_t rows)
{
    cchc_html_t *self = arg;
    double total = 0;
    for (size_t c = 0; c < ncols; c++)
        total += widths [c] > 0 ? widths [c] : 0;
    fputs ("<table><colgroup>", self->f);
    for (size_t c = 0; c < ncols; c++)
        fprintf (self->f, "<col width=\"%.0f%%\">",
                 total > 0 ? 100.0 * widths [c] / total : 100.0 / (double) ncols);
    fputs ("</colgroup>\n", self->f);
    for (size_t r = 0; r < rows; r++) {
        fputs (r == 0 ? "<thead><tr>" : "<tr>", self->f);
        for (size_t c = 0; c < ncols; c++) {
            char a = align && strlen (align) > c ? align [c] : 'l';
            fprintf (self->f, "<%s class=\"%c\">", r == 0 ? "th" : "td",
                     a == 'r' || a == 'c' ? a : 'l');
            s_text (self->f, cells [r * ncols + c], true);
            fputs (r == 0 ? "</th>" : "</td>", self->f);
        }
        fputs (r == 0 ? "</tr></thead><tbody>\n" : "</tr>\n", self->f);
    }
    fputs (rows > 0 ? "</tbody></table>\n" : "</table>\n", self->f);
}

cchc_html_t *
cchc_html_new (const char *title, bool standalone)
{
    cchc_html_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->f = open_memstream (&self->buf, &self->len);
    if (!self->f) {
        free (self);
        return NULL;
    }
    fputs ("<!DOCTYPE html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width\"><title>",
           self->f);
    s_text (self->f, title ? title : "", false);
    const cchc_web_asset_t *css = cchc_web_asset_find (S_STYLESHEET);
    if (standalone && css) {
        fputs ("</title><style>", self->f);
        fwrite (css->data, 1, css->size, self->f);
        fputs ("</style></head><body>\n", self->f);
    }
    else
        fputs ("</title><link rel=\"stylesheet\" href=\"" S_STYLESHEET "\"></head><body>\n",
               self->f);
    return self;
}

cchc_report_sink_t
cchc_html_sink (cchc_html_t *self)
{
    assert (self);
    return (cchc_report_sink_t){ self, s_motto, s_title, s_heading, s_paragraph, s_table };
}

int
cchc_html_close (cchc_html_t **self_p, char **out, size_t *size, char *err, size_t errlen)
{
    assert (self_p && out && size);
    cchc_html_t *self = *self_p;
    *out = NULL;
    *size = 0;
    if (!self)
        return 0;
    *self_p = NULL;
    fputs ("</body></html>\n", self->f);
    bool ok = !ferror (self->f);
    ok = fclose (self->f) == 0 && ok && self->buf;
    if (!ok) {
        free (self->buf);
        free (self);
        cchc_errf (err, errlen, "out of memory");
        return -1;
    }
    *out = self->buf;
    *size = self->len;
    free (self);
    return 0;
}
