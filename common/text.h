/*  text.h — small, careful string helpers shared by every module:
    hex, UTF-8 validation, code syntax checks, bounded copies, number parsing,
    CSV fields, a string hash.  All functions validate their whole input; none allocates. */
#ifndef CCHC_TEXT_H
#define CCHC_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>

/*  Lowercase hex of `len` bytes into out (size >= 2*len+1).  Can't fail. */
void cchc_hex_encode (char *out, const uint8_t *bin, size_t len);

/*  Decode exactly `len` bytes from `hex` (must be exactly 2*len hex digits,
    either case, nothing else).  Returns 0 or -1. */
int cchc_hex_decode (uint8_t *bin, size_t len, const char *hex);

/*  True if bytes[0..len) are well-formed UTF-8 (no overlongs, no surrogates,
    nothing above U+10FFFF).  NUL bytes are refused too. */
bool cchc_utf8_valid (const char *bytes, size_t len);

/*  Unit codes: 1..CCHC_UNIT_MAX bytes of [A-Za-z0-9_.-].  */
#define CCHC_UNIT_MAX 16
bool cchc_unit_code_valid (const char *s, size_t len);

/*  Metric and indicator codes: 1..CCHC_METRIC_MAX bytes of [a-z0-9_],
    starting with a letter. */
#define CCHC_METRIC_MAX 48
bool cchc_metric_code_valid (const char *s, size_t len);

/*  strlcpy semantics: copies at most size-1 bytes, always terminates,
    returns strlen(src) so truncation is detectable (>= size). */
size_t cchc_strlcpy (char *dst, const char *src, size_t size);

/*  Parse a whole decimal integer / finite double with range check.
    Leading/trailing spaces are refused.  Return 0 or -1. */
int cchc_parse_int64 (const char *s, int64_t min, int64_t max, int64_t *out);
int cchc_parse_double (const char *s, double *out);

/*  Value of exactly n decimal digits at s (n <= 9; no sign, no spaces), or
    -1 if any of them is not a digit.  For fixed-width fields of dates and
    times. */
int cchc_digits (const char *s, int n);

/*  Write one CSV field (RFC 4180: quoted when it holds a comma, a quote, CR
    or LF; quotes doubled).  A text cell (`text_cell`) that begins with
    = + - @, a tab or a carriage return would be run by a spreadsheet as a
    formula (CSV formula injection: a unit named "=HYPERLINK(...)" becomes a
    live link), so it is written quoted with a leading single quote — the
    OWASP rule; the spreadsheet shows the text after the quote.  Headers and
    numbers pass text_cell false: a negative number stays a number.
    Can't fail (errors stay in the FILE). */
void cchc_csv_field (FILE *out, const char *text, bool text_cell);

/*  Format an error message into a caller's buffer (the "err, errlen" pair
    most functions take).  Does nothing when err is NULL or errlen is 0;
    a long message is cut.  Can't fail. */
void cchc_errf (char *err, size_t errlen, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/*  FNV-1a hash of a NUL-terminated string (for open-addressing tables of
    codes; not for anything an adversary could aim at).  Can't fail. */
uint32_t cchc_str_hash (const char *s);

#endif
