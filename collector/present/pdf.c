/*  pdf.c — the A4 document writer of pdf.h over cairo's PDF surface and
    pango's layout (text shaping, line breaking, font fallback).

    Geometry, in PDF points (1/72 inch): A4 595.28 × 841.89; margins as
    for Vietnamese administrative documents (Decree 30/2020): left 30 mm,
    right 15 mm, top 20 mm, bottom 20 mm; body text 12 pt, tables 10 pt.
    The cursor `y` moves down the page; anything that does not fit what is
    left of it starts a new page (a table row, a paragraph line block).
*/
#include "collector/present/pdf.h"

#include "common/text.h"

#include <assert.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <glib.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MM (72.0 / 25.4)
#define S_PAGE_W 595.28
#define S_PAGE_H 841.89
#define S_LEFT (30 * S_MM)
#define S_RIGHT (15 * S_MM)
#define S_TOP (20 * S_MM)
#define S_BOTTOM (20 * S_MM)
#define S_WIDTH (S_PAGE_W - S_LEFT - S_RIGHT)
#define S_FAMILY "Liberation Serif, DejaVu Serif, serif"
#define S_BODY 12.0
#define S_TABLE 10.0
#define S_PAD 3.0

struct cchc_pdf_t {
    cairo_surface_t *surface;
    cairo_t *cr;
    PangoLayout *layout;
    double y; /* cursor, from the top of the page */
    int page; /* 1.. */
};

static void
s_footer (cchc_pdf_t *self)
{
    char text [32];
    snprintf (text, sizeof text, "%d", self->page);
    PangoFontDescription *fd = pango_font_description_from_string (S_FAMILY);
    pango_font_description_set_absolute_size (fd, 10 * PANGO_SCALE);
    pango_layout_set_font_description (self->layout, fd);
    pango_font_description_free (fd);
    pango_layout_set_width (self->layout, (int) (S_WIDTH * PANGO_SCALE));
    pango_layout_set_alignment (self->layout, PANGO_ALIGN_CENTER);
    pango_layout_set_justify (self->layout, FALSE);
    pango_layout_set_text (self->layout, text, -1);
    cairo_move_to (self->cr, S_LEFT, S_PAGE_H - S_BOTTOM + 6 * S_MM);
    pango_cairo_show_layout (self->cr, self->layout);
}

static void
s_new_page (cchc_pdf_t *self)
{
    s_footer (self);
    cairo_show_page (self->cr);
    self->page++;
    self->y = S_TOP;
}

/*  Set the layout up for `text` in a box `width` wide; returns its height. */
static double
s_layout (cchc_pdf_t *self, const char *text, double size, bool bold, bool italic,
          PangoAlignment align, bool justify, double width)
{
    PangoFontDescription *fd = pango_font_description_from_string (S_FAMILY);
    pango_font_description_set_absolute_size (fd, size * PANGO_SCALE);
    pango_font_description_set_weight (fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_style (fd, italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
    pango_layout_set_font_description (self->layout, fd);
    pango_font_description_free (fd);
    pango_layout_set_width (self->layout, (int) (width * PANGO_SCALE));
    pango_layout_set_wrap (self->layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment (self->layout, align);
    pango_layout_set_justify (self->layout, justify);
    text = text ? text : "";
    if (g_utf8_validate (text, -1, NULL))
        pango_layout_set_text (self->layout, text, -1);
    else {
        gchar *valid = g_utf8_make_valid (text, -1);
        pango_layout_set_text (self->layout, valid, -1);
        g_free (valid);
    }
    int w, h;
    pango_layout_get_size (self->layout, &w, &h);
    return (double) h / PANGO_SCALE;
}

/*  Lay out and draw a block of text at the cursor, a new page first when
    it does not fit; moves the cursor below it plus `after`. */
static void
s_block (cchc_pdf_t *self, const char *text, double size, bool bold, bool italic,
         PangoAlignment align, bool justify, double after)
{
    double h = s_layout (self, text, size, bold, italic, align, justify, S_WIDTH);
    if (self->y + h > S_PAGE_H - S_BOTTOM && self->y > S_TOP) {
        s_new_page (self);
        s_layout (self, text, size, bold, italic, align, justify, S_WIDTH);
    }
    cairo_move_to (self->cr, S_LEFT, self->y);
    pango_cairo_show_layout (self->cr, self->layout);
    self->y += h + after;
}

cchc_pdf_t *
cchc_pdf_new (const char *path, char *err, size_t errlen)
{
    assert (path);
    cchc_pdf_t *self = calloc (1, sizeof *self);
    if (!self) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    self->surface = cairo_pdf_surface_create (path, S_PAGE_W, S_PAGE_H);
    if (cairo_surface_status (self->surface) != CAIRO_STATUS_SUCCESS) {
        cchc_errf (err, errlen, "%s: %s", path,
                   cairo_status_to_string (cairo_surface_status (self->surface)));
        cairo_surface_destroy (self->surface);
        free (self);
        return NULL;
    }
    cairo_pdf_surface_set_metadata (self->surface, CAIRO_PDF_METADATA_CREATOR, "cchc");
    self->cr = cairo_create (self->surface);
    self->layout = pango_cairo_create_layout (self->cr);
    self->y = S_TOP;
    self->page = 1;
    cairo_set_source_rgb (self->cr, 0, 0, 0);
    cairo_set_line_width (self->cr, 0.5);
    return self;
}

void
cchc_pdf_motto (cchc_pdf_t *self, const char *body, const char *number, const char *place_date)
{
    assert (self);
    /* two columns: 38 % issuing body, 62 % the motto */
    double lw = S_WIDTH * 0.38, rw = S_WIDTH * 0.62, y0 = self->y;
    const double size = 11;
    gchar *upper = g_utf8_validate (body, -1, NULL) ? g_utf8_strup (body, -1) : NULL;
    double h = s_layout (self, upper ? upper : body, size, true, false, PANGO_ALIGN_CENTER,
                         false, lw);
    g_free (upper);
    cairo_move_to (self->cr, S_LEFT, y0);
    pango_cairo_show_layout (self->cr, self->layout);
    /* a short rule under the body's name */
    double ly = y0 + h + 2;
    cairo_move_to (self->cr, S_LEFT + lw * 0.35, ly);
    cairo_line_to (self->cr, S_LEFT + lw * 0.65, ly);
    cairo_stroke (self->cr);
    double h2 = s_layout (self, number, size + 1, false, false, PANGO_ALIGN_CENTER, false, lw);
    cairo_move_to (self->cr, S_LEFT, ly + 6);
    pango_cairo_show_layout (self->cr, self->layout);
    double left_end = ly + 6 + h2;

    double ha = s_layout (self, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size, true, false,
                          PANGO_ALIGN_CENTER, false, rw);
    cairo_move_to (self->cr, S_LEFT + lw, y0);
    pango_cairo_show_layout (self->cr, self->layout);
    double hb = s_layout (self, "Độc lập - Tự do - Hạnh phúc", size + 1, true, false,
                          PANGO_ALIGN_CENTER, false, rw);
    cairo_move_to (self->cr, S_LEFT + lw, y0 + ha);
    pango_cairo_show_layout (self->cr, self->layout);
    int tw, th;
    pango_layout_get_pixel_size (self->layout, &tw, &th);
    (void) th;
    /* the motto's rule: as long as the motto's text */
    double rule_y = y0 + ha + hb + 2, mid = S_LEFT + lw + rw / 2;
    double half = (double) tw / 2 > 10 ? (double) tw / 2 : 10;
    cairo_move_to (self->cr, mid - half, rule_y);
    cairo_line_to (self->cr, mid + half, rule_y);
    cairo_stroke (self->cr);
    double hc =
        s_layout (self, place_date, size + 1, false, true, PANGO_ALIGN_CENTER, false, rw);
    cairo_move_to (self->cr, S_LEFT + lw, rule_y + 8);
    pango_cairo_show_layout (self->cr, self->layout);
    double right_end = rule_y + 8 + hc;
    self->y = (left_end > right_end ? left_end : right_end) + 18;
}

void
cchc_pdf_title (cchc_pdf_t *self, const char *text, double size, bool bold)
{
    assert (self);
    s_block (self, text, size, bold, false, PANGO_ALIGN_CENTER, false, 4);
}

void
cchc_pdf_heading (cchc_pdf_t *self, const char *text)
{
    assert (self);
    /* keep a heading with what follows: a new page when little is left */
    if (self->y + 60 > S_PAGE_H - S_BOTTOM && self->y > S_TOP)
        s_new_page (self);
    self->y += 6;
    s_block (self, text, S_BODY + 0.5, true, false, PANGO_ALIGN_LEFT, false, 4);
}

void
cchc_pdf_paragraph (cchc_pdf_t *self, const char *text, bool italic)
{
    assert (self);
    s_block (self, text, S_BODY, false, italic, PANGO_ALIGN_LEFT, true, 6);
}

/*  Height of one table row (the tallest cell). */
static double
s_row_height (cchc_pdf_t *self, size_t ncols, const double *cw, const char *align,
              const char *const *row, bool bold)
{
    double h = 0;
    for (size_t c = 0; c < ncols; c++) {
        PangoAlignment a = align [c] == 'r'   ? PANGO_ALIGN_RIGHT
                           : align [c] == 'c' ? PANGO_ALIGN_CENTER
                                              : PANGO_ALIGN_LEFT;
        double ch = s_layout (self, row [c], S_TABLE, bold, false,
                              bold ? PANGO_ALIGN_CENTER : a, false, cw [c] - 2 * S_PAD);
        if (ch > h)
            h = ch;
    }
    return h + 2 * S_PAD;
}

static void
s_row_draw (cchc_pdf_t *self, size_t ncols, const double *cw, const char *align,
            const char *const *row, bool bold, double h)
{
    double x = S_LEFT;
    for (size_t c = 0; c < ncols; c++) {
        PangoAlignment a = align [c] == 'r'   ? PANGO_ALIGN_RIGHT
                           : align [c] == 'c' ? PANGO_ALIGN_CENTER
                                              : PANGO_ALIGN_LEFT;
        s_layout (self, row [c], S_TABLE, bold, false, bold ? PANGO_ALIGN_CENTER : a, false,
                  cw [c] - 2 * S_PAD);
        cairo_move_to (self->cr, x + S_PAD, self->y + S_PAD);
        pango_cairo_show_layout (self->cr, self->layout);
        cairo_rectangle (self->cr, x, self->y, cw [c], h);
        cairo_stroke (self->cr);
        x += cw [c];
    }
    self->y += h;
}

void
cchc_pdf_table (cchc_pdf_t *self, size_t ncols, const double *widths, const char *align,
                const char *const *cells, size_t rows)
{
    assert (self && ncols > 0 && widths && align && strlen (align) >= ncols);
    if (rows == 0)
        return;
    double total = 0;
    for (size_t c = 0; c < ncols; c++)
        total += widths [c] > 0 ? widths [c] : 1;
    double *cw = malloc (ncols * sizeof *cw);
    if (!cw)
        return;
    for (size_t c = 0; c < ncols; c++)
        cw [c] = S_WIDTH * (widths [c] > 0 ? widths [c] : 1) / total;
    const char *const *head = cells;
    double hh = s_row_height (self, ncols, cw, align, head, true);
    /* the header and the first row together */
    double h1 = rows > 1 ? s_row_height (self, ncols, cw, align, cells + ncols, false) : 0;
    if (self->y + hh + h1 > S_PAGE_H - S_BOTTOM && self->y > S_TOP)
        s_new_page (self);
    s_row_draw (self, ncols, cw, align, head, true, hh);
    for (size_t r = 1; r < rows; r++) {
        const char *const *row = cells + r * ncols;
        double h = s_row_height (self, ncols, cw, align, row, false);
        if (self->y + h > S_PAGE_H - S_BOTTOM) {
            s_new_page (self);
            s_row_draw (self, ncols, cw, align, head, true, hh);
        }
        s_row_draw (self, ncols, cw, align, row, false, h);
    }
    self->y += 8;
    free (cw);
}

int
cchc_pdf_close (cchc_pdf_t **self_p, char *err, size_t errlen)
{
    assert (self_p);
    cchc_pdf_t *self = *self_p;
    if (!self)
        return 0;
    *self_p = NULL;
    s_footer (self);
    cairo_show_page (self->cr);
    g_object_unref (self->layout);
    cairo_status_t st = cairo_status (self->cr);
    cairo_destroy (self->cr);
    cairo_surface_finish (self->surface);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status (self->surface);
    cairo_surface_destroy (self->surface);
    free (self);
    if (st != CAIRO_STATUS_SUCCESS) {
        cchc_errf (err, errlen, "PDF: %s", cairo_status_to_string (st));
        return -1;
    }
    return 0;
}
