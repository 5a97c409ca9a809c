/*  pdf.h — a small A4 document writer for the printable report (cairo +
    pango, Debian libcairo2 / libpango-1.0): the national motto header,
    centred titles, headings, paragraphs and ruled tables that break across
    pages (the header row repeated), page numbers at the foot.

    Text is UTF-8, laid out by pango (Vietnamese diacritics shaped and
    placed correctly; fonts found by fontconfig: "Liberation Serif", else
    "DejaVu Serif" — fonts-dejavu-core is a dependency of the collector
    package).  Invalid UTF-8 is repaired (U+FFFD), never refused.  Text is
    set as text, not markup: nothing in it is interpreted.

        cchc_pdf_t *pdf = cchc_pdf_new ("bao-cao.pdf", err, sizeof err);
        cchc_pdf_motto (pdf, "ỦY BAN NHÂN DÂN\nTỈNH TUYÊN QUANG", "Số:   /BC-UBND",
                        "Tuyên Quang, ngày 22 tháng 3 năm 2021");
        cchc_pdf_title (pdf, "BÁO CÁO", 15, true);
        cchc_pdf_table (pdf, 3, widths, "rlr", cells, rows);
        cchc_pdf_close (&pdf, err, sizeof err);     //  writes the file
*/
#ifndef CCHC_PDF_H
#define CCHC_PDF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cchc_pdf_t cchc_pdf_t;

/*  Start a document to be written at `path`.  NULL with err. */
cchc_pdf_t *cchc_pdf_new (const char *path, char *err, size_t errlen);

/*  The header of an administrative document: the issuing body (bold
    lines, set in capitals) and its reference number on the left; the national motto
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" / "Độc lập - Tự do - Hạnh phúc")
    and `place_date` (italic) on the right. */
void cchc_pdf_motto (cchc_pdf_t *self, const char *body, const char *number,
                     const char *place_date);

/*  A centred line (or lines) in `size` points. */
void cchc_pdf_title (cchc_pdf_t *self, const char *text, double size, bool bold);

/*  A section heading (bold, left). */
void cchc_pdf_heading (cchc_pdf_t *self, const char *text);

/*  A justified paragraph; `italic` for notes. */
void cchc_pdf_paragraph (cchc_pdf_t *self, const char *text, bool italic);

/*  A ruled table: `ncols` columns of relative `widths` (any positive
    numbers, scaled to the text width), `align` one of l, c, r per column,
    `cells` rows × ncols strings (NULL is empty), row 0 the header (bold,
    repeated on every page the table continues on). */
void cchc_pdf_table (cchc_pdf_t *self, size_t ncols, const double *widths, const char *align,
                     const char *const *cells, size_t rows);

/*  Finish the document and write it; destroys it (accepts NULL).  0, or -1
    with err (the file may then be partial: write to a temporary name). */
int cchc_pdf_close (cchc_pdf_t **self_p, char *err, size_t errlen);

#endif
