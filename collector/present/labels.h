/*  labels.h — the Vietnamese words the collector shows people: names of
    periods, levels and period states.  Every output (the dashboard's JSON,
    the CSV/XLSX exports, the printable report, cchcctl) takes its labels from
    here, so one unit, level or period reads the same everywhere.

    Period names, by letter case (cchc_label_case_t):
        kind        SENTENCE                LOWER (inside a sentence)  UPPER (titles)
        month       Tháng 3 năm 2021        tháng 3 năm 2021           THÁNG 3 NĂM 2021
        quarter     Quý I năm 2021          quý I năm 2021             QUÝ I NĂM 2021
        half        6 tháng đầu năm 2021    6 tháng đầu năm 2021       6 THÁNG ĐẦU NĂM 2021
        nine_months 9 tháng năm 2021        9 tháng năm 2021           9 THÁNG NĂM 2021
        year        Năm 2021                năm 2021                   NĂM 2021

    Levels have two names: the full one used for headings, sheet names,
    tabs and table columns ("UBND huyện, thành phố"), and the short one of
    the report's sentences and tables ("UBND cấp huyện").
*/
#ifndef CCHC_LABELS_H
#define CCHC_LABELS_H

#include "collector/figures/criteria.h"
#include "common/period.h"

#include <stddef.h>

typedef enum {
    CCHC_LABEL_SENTENCE = 0, /* first letter capital */
    CCHC_LABEL_LOWER = 1,
    CCHC_LABEL_UPPER = 2
} cchc_label_case_t;

/*  The period's Vietnamese name into buf (truncated to size).  Can't fail. */
void cchc_label_period (const cchc_period_t *p, cchc_label_case_t letter_case, char *buf,
                        size_t size);

/*  Full name of a level: "Sở, ban, ngành", "UBND huyện, thành phố",
    "UBND xã, phường, thị trấn"; "" for anything else. */
const char *cchc_label_level (cchc_level_t level);

/*  Short name of a level: "Sở, ban, ngành", "UBND cấp huyện", "UBND cấp xã";
    "" for anything else. */
const char *cchc_label_level_short (cchc_level_t level);

/*  The province as a whole, in figures per level ("Toàn tỉnh"), and every
    level together in a ranking ("Tất cả các cấp"). */
#define CCHC_LABEL_PROVINCE "Toàn tỉnh"
#define CCHC_LABEL_ALL_LEVELS "Tất cả các cấp"

#endif
