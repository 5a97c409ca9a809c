/*  labels.c — the Vietnamese names of periods and levels (labels.h). */
#include "collector/present/labels.h"

#include <stdio.h>

/*  [kind][case] printf formats; the quarter's take its Roman numeral. */
static const char *s_period_formats [][3] = {
    [CCHC_PERIOD_MONTH] = { "Tháng %d năm %d", "tháng %d năm %d", "THÁNG %d NĂM %d" },
    [CCHC_PERIOD_QUARTER] = { "Quý %s năm %d", "quý %s năm %d", "QUÝ %s NĂM %d" },
    [CCHC_PERIOD_NINE_MONTHS] = { "9 tháng năm %d", "9 tháng năm %d", "9 THÁNG NĂM %d" },
    [CCHC_PERIOD_YEAR] = { "Năm %d", "năm %d", "NĂM %d" },
};
static const char *s_half_formats [2][3] = {
    { "6 tháng đầu năm %d", "6 tháng đầu năm %d", "6 THÁNG ĐẦU NĂM %d" },
    { "6 tháng cuối năm %d", "6 tháng cuối năm %d", "6 THÁNG CUỐI NĂM %d" },
};

void
cchc_label_period (const cchc_period_t *p, cchc_label_case_t letter_case, char *buf,
                   size_t size)
{
    static const char *roman [] = { "", "I", "II", "III", "IV" };
    int c = letter_case >= CCHC_LABEL_SENTENCE && letter_case <= CCHC_LABEL_UPPER
                ? (int) letter_case
                : CCHC_LABEL_SENTENCE;
    switch (p->kind) {
        case CCHC_PERIOD_MONTH:
            snprintf (buf, size, s_period_formats [CCHC_PERIOD_MONTH][c], p->index, p->year);
            break;
        case CCHC_PERIOD_QUARTER:
            snprintf (buf, size, s_period_formats [CCHC_PERIOD_QUARTER][c],
                      p->index >= 1 && p->index <= 4 ? roman [p->index] : "?", p->year);
            break;
        case CCHC_PERIOD_HALF:
            snprintf (buf, size, s_half_formats [p->index == 1 ? 0 : 1][c], p->year);
            break;
        case CCHC_PERIOD_NINE_MONTHS:
            snprintf (buf, size, s_period_formats [CCHC_PERIOD_NINE_MONTHS][c], p->year);
            break;
        default: snprintf (buf, size, s_period_formats [CCHC_PERIOD_YEAR][c], p->year); break;
    }
}

const char *
cchc_label_level (cchc_level_t level)
{
    switch (level) {
        case CCHC_LEVEL_SO: return "Sở, ban, ngành";
        case CCHC_LEVEL_HUYEN: return "UBND huyện, thành phố";
        case CCHC_LEVEL_XA: return "UBND xã, phường, thị trấn";
        default: return "";
    }
}

const char *
cchc_label_level_short (cchc_level_t level)
{
    switch (level) {
        case CCHC_LEVEL_SO: return "Sở, ban, ngành";
        case CCHC_LEVEL_HUYEN: return "UBND cấp huyện";
        case CCHC_LEVEL_XA: return "UBND cấp xã";
        default: return "";
    }
}
