/*  html.h — the printable report as one HTML page (the print view served
    by the dashboard): the same composition as the PDF (a report sink,
    report.h) written as HTML with an A4 print stylesheet, so the page a
    browser prints and the PDF say the same thing in the same order.

    Text is UTF-8 and escaped (&, <, >, ", '): nothing in it is markup.
    Invalid UTF-8 is written as U+FFFD.

        cchc_html_t *page = cchc_html_new ("Xếp hạng ...", false);
        cchc_report_sink_t sink = cchc_html_sink (page);
        ... compose through sink ...
        cchc_html_close (&page, &out, &size, err, sizeof err);
*/
#ifndef CCHC_HTML_H
#define CCHC_HTML_H

#include "collector/present/report.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct cchc_html_t cchc_html_t;

/*  A page titled `title` (the browser tab), styled by the dashboard's
    web/bao-cao.css: linked (the page the dashboard serves: its CSP allows
    no inline style), or with `standalone` copied in (a file opened on its
    own).  NULL when out of memory. */
cchc_html_t *cchc_html_new (const char *title, bool standalone);

/*  The sink drawing on the page. */
cchc_report_sink_t cchc_html_sink (cchc_html_t *self);

/*  Finish the page: *out (malloc'ed) and *size; destroys it (accepts
    NULL).  0, or -1 with err. */
int cchc_html_close (cchc_html_t **self_p, char **out, size_t *size, char *err, size_t errlen);

#endif
