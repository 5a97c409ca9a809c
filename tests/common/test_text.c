/*  test_text.c — hex, UTF-8, code syntax, bounded copy and number parsing
    (common/text.h). */
#include "common/text.h"
#include "tests/test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void
test_hex (void)
{
    const uint8_t bin [] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xff };
    char hex [2 * sizeof bin + 1];
    cchc_hex_encode (hex, bin, sizeof bin);
    CHECK_EQ_STR (hex, "00017f80abff");

    uint8_t back [sizeof bin];
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, hex), 0);
    CHECK (memcmp (back, bin, sizeof bin) == 0);
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, "00017F80ABFF"), 0);
    CHECK (memcmp (back, bin, sizeof bin) == 0);

    //  Wrong length, junk, spaces: refused and output untouched.
    memset (back, 0x55, sizeof back);
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, "00017f80abf"), -1);
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, "00017f80abff0"), -1);
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, "00017f80abfg"), -1);
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, " 0017f80abff"), -1);
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, "00017f80abff\n"), -1);
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, ""), -1);
    CHECK_EQ_INT (cchc_hex_decode (back, sizeof back, NULL), -1);
    CHECK_EQ_INT (back [0], 0x55);

    cchc_hex_encode (hex, bin, 0);
    CHECK_EQ_STR (hex, "");
    CHECK_EQ_INT (cchc_hex_decode (back, 0, ""), 0);
}

static void
test_utf8 (void)
{
    CHECK (cchc_utf8_valid ("", 0));
    CHECK (cchc_utf8_valid ("abc", 3));
    const char *vi = "Sở Nội vụ tỉnh Bắc Ninh";
    CHECK (cchc_utf8_valid (vi, strlen (vi)));
    CHECK (cchc_utf8_valid ("\xf4\x8f\xbf\xbf", 4));  //  U+10FFFF
    CHECK (cchc_utf8_valid ("\xed\x9f\xbf", 3));      //  U+D7FF
    CHECK (cchc_utf8_valid ("\xee\x80\x80", 3));      //  U+E000
    CHECK (cchc_utf8_valid ("\xf0\x90\x80\x80", 4));  //  U+10000

    CHECK (!cchc_utf8_valid ("a\0b", 3));      //  NUL
    CHECK (!cchc_utf8_valid ("\xc0\xaf", 2));  //  overlong '/'
    CHECK (!cchc_utf8_valid ("\xc1\xbf", 2));
    CHECK (!cchc_utf8_valid ("\xe0\x80\xaf", 3));      //  overlong
    CHECK (!cchc_utf8_valid ("\xf0\x80\x80\xaf", 4));  //  overlong
    CHECK (!cchc_utf8_valid ("\xed\xa0\x80", 3));      //  surrogate
    CHECK (!cchc_utf8_valid ("\xed\xbf\xbf", 3));      //  surrogate
    CHECK (!cchc_utf8_valid ("\xf4\x90\x80\x80", 4));  //  > U+10FFFF
    CHECK (!cchc_utf8_valid ("\xf5\x80\x80\x80", 4));
    CHECK (!cchc_utf8_valid ("\xff", 1));
    CHECK (!cchc_utf8_valid ("\x80", 1));      //  lone continuation
    CHECK (!cchc_utf8_valid ("\xc3", 1));      //  truncated
    CHECK (!cchc_utf8_valid ("\xe1\x80", 2));  //  truncated
    CHECK (!cchc_utf8_valid ("\xc3\x28", 2));  //  bad continuation
    CHECK (!cchc_utf8_valid ("\xe1\x80\x28", 3));
    //  Length is honoured: a valid prefix of an invalid buffer is valid.
    CHECK (cchc_utf8_valid ("ab\xff", 2));
}

static void
test_codes (void)
{
    CHECK (cchc_unit_code_valid ("SNV", 3));
    CHECK (cchc_unit_code_valid ("UB.huyen-1_a", 12));
    CHECK (cchc_unit_code_valid ("0123456789abcdef", 16));
    CHECK (!cchc_unit_code_valid ("0123456789abcdefg", 17));
    CHECK (!cchc_unit_code_valid ("", 0));
    CHECK (!cchc_unit_code_valid ("a b", 3));
    CHECK (!cchc_unit_code_valid ("a/b", 3));
    CHECK (!cchc_unit_code_valid ("ấ", strlen ("ấ")));

    CHECK (cchc_metric_code_valid ("tthc_received", 13));
    CHECK (cchc_metric_code_valid ("a", 1));
    CHECK (cchc_metric_code_valid ("a1_b2", 5));
    CHECK (!cchc_metric_code_valid ("1a", 2));
    CHECK (!cchc_metric_code_valid ("_a", 2));
    CHECK (!cchc_metric_code_valid ("Abc", 3));
    CHECK (!cchc_metric_code_valid ("a-b", 3));
    CHECK (!cchc_metric_code_valid ("", 0));
    char code [CCHC_METRIC_MAX + 2];
    memset (code, 'a', sizeof code);
    CHECK (cchc_metric_code_valid (code, CCHC_METRIC_MAX));
    CHECK (!cchc_metric_code_valid (code, CCHC_METRIC_MAX + 1));
}

static void
test_strlcpy (void)
{
    char buf [6];
    CHECK_EQ_INT (cchc_strlcpy (buf, "abc", sizeof buf), 3);
    CHECK_EQ_STR (buf, "abc");
    CHECK_EQ_INT (cchc_strlcpy (buf, "abcde", sizeof buf), 5);
    CHECK_EQ_STR (buf, "abcde");
    CHECK_EQ_INT (cchc_strlcpy (buf, "abcdefgh", sizeof buf), 8);
    CHECK_EQ_STR (buf, "abcde");
    CHECK_EQ_INT (cchc_strlcpy (buf, "", sizeof buf), 0);
    CHECK_EQ_STR (buf, "");
    buf [0] = 'x';
    CHECK_EQ_INT (cchc_strlcpy (buf, "abc", 0), 3);
    CHECK_EQ_INT (buf [0], 'x');
}

static void
test_parse_int64 (void)
{
    int64_t v = 0;
    CHECK_EQ_INT (cchc_parse_int64 ("0", INT64_MIN, INT64_MAX, &v), 0);
    CHECK_EQ_INT (v, 0);
    CHECK_EQ_INT (cchc_parse_int64 ("-42", -100, 100, &v), 0);
    CHECK_EQ_INT (v, -42);
    CHECK_EQ_INT (cchc_parse_int64 ("+7", 0, 10, &v), 0);
    CHECK_EQ_INT (v, 7);
    CHECK_EQ_INT (cchc_parse_int64 ("9223372036854775807", INT64_MIN, INT64_MAX, &v), 0);
    CHECK (v == INT64_MAX);
    CHECK_EQ_INT (cchc_parse_int64 ("-9223372036854775808", INT64_MIN, INT64_MAX, &v), 0);
    CHECK (v == INT64_MIN);

    v = 99;
    CHECK_EQ_INT (cchc_parse_int64 ("9223372036854775808", INT64_MIN, INT64_MAX, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("-9223372036854775809", INT64_MIN, INT64_MAX, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("101", -100, 100, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("-101", -100, 100, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 (" 1", 0, 10, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("1 ", 0, 10, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("", 0, 10, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("-", 0, 10, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("- 1", -10, 10, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("1.0", 0, 10, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("0x10", 0, 100, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 ("1e3", 0, 10000, &v), -1);
    CHECK_EQ_INT (cchc_parse_int64 (NULL, 0, 10, &v), -1);
    CHECK_EQ_INT (v, 99);
}

static void
test_parse_double (void)
{
    double d = 0;
    CHECK_EQ_INT (cchc_parse_double ("1.5", &d), 0);
    CHECK_NEAR (d, 1.5, 0);
    CHECK_EQ_INT (cchc_parse_double ("-2e3", &d), 0);
    CHECK_NEAR (d, -2000, 0);
    CHECK_EQ_INT (cchc_parse_double (".25", &d), 0);
    CHECK_NEAR (d, 0.25, 0);
    CHECK_EQ_INT (cchc_parse_double ("42", &d), 0);
    CHECK_NEAR (d, 42, 0);
    CHECK_EQ_INT (cchc_parse_double ("1.7976931348623157e308", &d), 0);

    d = 7;
    CHECK_EQ_INT (cchc_parse_double ("1e309", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("-1e309", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("inf", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("nan", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("NAN", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("0x1p3", &d), -1);
    CHECK_EQ_INT (cchc_parse_double (" 1", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("1 ", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("-", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("e5", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("1e", &d), -1);
    CHECK_EQ_INT (cchc_parse_double ("1,5", &d), -1);
    CHECK_EQ_INT (cchc_parse_double (NULL, &d), -1);
    CHECK_NEAR (d, 7, 0);
}

/*  One CSV field written to memory. */
static void
s_csv (const char *text, bool text_cell, char *buf, size_t size)
{
    memset (buf, 0, size);
    FILE *f = fmemopen (buf, size, "w");
    cchc_csv_field (f, text, text_cell);
    fclose (f);
}

static void
test_csv_field (void)
{
    char b [128];
    s_csv ("Sở Nội vụ", true, b, sizeof b);
    CHECK_EQ_STR (b, "Sở Nội vụ");
    s_csv ("a,b \"c\"", true, b, sizeof b);
    CHECK_EQ_STR (b, "\"a,b \"\"c\"\"\"");
    /* formula starts (OWASP): = + - @ tab CR */
    s_csv ("=HYPERLINK(\"http://x\",\"y\")", true, b, sizeof b);
    CHECK_EQ_STR (b, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    s_csv ("+cmd|' /C calc'!A0", true, b, sizeof b);
    CHECK_EQ_STR (b, "\"'+cmd|' /C calc'!A0\"");
    s_csv ("-1+2", true, b, sizeof b);
    CHECK_EQ_STR (b, "\"'-1+2\"");
    s_csv ("@SUM(A1)", true, b, sizeof b);
    CHECK_EQ_STR (b, "\"'@SUM(A1)\"");
    s_csv ("\t=1", true, b, sizeof b);
    CHECK_EQ_STR (b, "\"'\t=1\"");
    s_csv ("\r=1", true, b, sizeof b);
    CHECK_EQ_STR (b, "\"'\r=1\"");
    /* inside a text it is harmless; headers and numbers are left alone */
    s_csv ("a=b", true, b, sizeof b);
    CHECK_EQ_STR (b, "a=b");
    s_csv ("-5", false, b, sizeof b);
    CHECK_EQ_STR (b, "-5");
    s_csv ("", true, b, sizeof b);
    CHECK_EQ_STR (b, "");
}

int
main (void)
{
    CCHC_TEST_RUN (test_hex);
    CCHC_TEST_RUN (test_utf8);
    CCHC_TEST_RUN (test_codes);
    CCHC_TEST_RUN (test_strlcpy);
    CCHC_TEST_RUN (test_parse_int64);
    CCHC_TEST_RUN (test_parse_double);
    CCHC_TEST_RUN (test_csv_field);
    return CCHC_TEST_DONE ();
}
