/*  text.c — small, careful string helpers shared by every module: hex,
    UTF-8 validation, code syntax checks, bounded copies and number parsing.

    Every function looks at its whole input and refuses anything it does not
    fully understand; none allocates.  See text.h for the contracts.
*/
#include "common/text.h"

#include <stdarg.h>
#include <stdio.h>

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char s_hex_digits [] = "0123456789abcdef";

void
cchc_hex_encode (char *out, const uint8_t *bin, size_t len)
{
    assert (out);
    assert (bin || len == 0);
    for (size_t i = 0; i < len; i++) {
        out [2 * i] = s_hex_digits [bin [i] >> 4];
        out [2 * i + 1] = s_hex_digits [bin [i] & 0x0f];
    }
    out [2 * len] = '\0';
}

//  Value of one hex digit, or -1.
static int
s_hex_value (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
cchc_hex_decode (uint8_t *bin, size_t len, const char *hex)
{
    assert (bin || len == 0);
    if (!hex)
        return -1;
    //  Validate first so that bin is untouched on failure.  A NUL before the
    //  end is not a hex digit, so we never read past the string.
    for (size_t i = 0; i < 2 * len; i++)
        if (s_hex_value (hex [i]) < 0)
            return -1;
    if (hex [2 * len] != '\0')
        return -1;
    for (size_t i = 0; i < len; i++)
        bin [i] = (uint8_t) (s_hex_value (hex [2 * i]) << 4 | s_hex_value (hex [2 * i + 1]));
    return 0;
}

bool
cchc_utf8_valid (const char *bytes, size_t len)
{
    const unsigned char *s = (const unsigned char *) bytes;
    if (!s)
        return len == 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s [i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;                            //  continuation bytes
        unsigned char lo = 0x80, hi = 0xbf;  //  bounds of the 2nd byte
        if (c >= 0xc2 && c <= 0xdf)
            n = 1;
        else if (c == 0xe0) {
            n = 2;
            lo = 0xa0;  //  no overlongs
        }
        else if (c == 0xed) {
            n = 2;
            hi = 0x9f;  //  no surrogates U+D800..U+DFFF
        }
        else if (c >= 0xe1 && c <= 0xef)
            n = 2;
        else if (c == 0xf0) {
            n = 3;
            lo = 0x90;  //  no overlongs
        }
        else if (c >= 0xf1 && c <= 0xf3)
            n = 3;
        else if (c == 0xf4) {
            n = 3;
            hi = 0x8f;  //  nothing above U+10FFFF
        }
        else
            return false;  //  0x80..0xc1 and 0xf5..0xff never lead
        if (len - i <= n)
            return false;  //  truncated sequence
        if (s [i + 1] < lo || s [i + 1] > hi)
            return false;
        for (size_t k = 2; k <= n; k++)
            if (s [i + k] < 0x80 || s [i + k] > 0xbf)
                return false;
        i += n + 1;
    }
    return true;
}

bool
cchc_unit_code_valid (const char *s, size_t len)
{
    if (!s || len < 1 || len > CCHC_UNIT_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s [i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

bool
cchc_metric_code_valid (const char *s, size_t len)
{
    if (!s || len < 1 || len > CCHC_METRIC_MAX)
        return false;
    if (!(s [0] >= 'a' && s [0] <= 'z'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s [i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

size_t
cchc_strlcpy (char *dst, const char *src, size_t size)
{
    assert (src);
    assert (dst || size == 0);
    size_t len = strlen (src);
    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy (dst, src, n);
        dst [n] = '\0';
    }
    return len;
}

int
cchc_parse_int64 (const char *s, int64_t min, int64_t max, int64_t *out)
{
    assert (out);
    if (!s)
        return -1;
    //  strtoll skips leading spaces and accepts a lone sign: refuse both.
    const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
    if (!(*digits >= '0' && *digits <= '9'))
        return -1;
    errno = 0;
    char *end = NULL;
    long long value = strtoll (s, &end, 10);
    if (errno == ERANGE || end == s || *end != '\0')
        return -1;
    if ((int64_t) value < min || (int64_t) value > max)
        return -1;
    *out = (int64_t) value;
    return 0;
}

int
cchc_parse_double (const char *s, double *out)
{
    assert (out);
    if (!s || !*s)
        return -1;
    //  Plain decimal notation only: no spaces, no "inf"/"nan", no hex floats.
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e'
              || c == 'E'))
            return -1;
    }
    const char *mantissa = (*s == '-' || *s == '+') ? s + 1 : s;
    if (!((*mantissa >= '0' && *mantissa <= '9') || *mantissa == '.'))
        return -1;
    errno = 0;
    char *end = NULL;
    double value = strtod (s, &end);
    if (end == s || *end != '\0')
        return -1;
    if (!isfinite (value))
        return -1;  //  overflow (ERANGE with HUGE_VAL)
    *out = value;
    return 0;
}

void
cchc_errf (char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (err, errlen, fmt, ap);
    va_end (ap);
}

void
cchc_csv_field (FILE *out, const char *text, bool text_cell)
{
    assert (out && text);
    bool formula = text_cell && text [0] && strchr ("=+-@\t\r", text [0]);
    if (!formula && !strpbrk (text, ",\"\r\n")) {
        fputs (text, out);
        return;
    }
    fputc ('"', out);
    if (formula)
        fputc ('\'', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc ('"', out);
        fputc (*p, out);
    }
    fputc ('"', out);
}

int
cchc_digits (const char *s, int n)
{
    int value = 0;
    for (int i = 0; i < n; i++) {
        if (s [i] < '0' || s [i] > '9')
            return -1;
        value = value * 10 + (s [i] - '0');
    }
    return value;
}

uint32_t
cchc_str_hash (const char *s)
{
    uint32_t hash = 2166136261u;
    for (const unsigned char *c = (const unsigned char *) s; *c; c++)
        hash = (hash ^ *c) * 16777619u;
    return hash;
}
