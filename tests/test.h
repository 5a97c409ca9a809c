/*  test.h — the tiny assertion harness every C test uses.

    A test program is a main() that calls CCHC_TEST_RUN(fn) for each test
    function and returns CCHC_TEST_DONE(); a failing CHECK prints file:line and
    the expression, marks the current test failed and returns from it.  The
    program ends with a line "N passed, N failed" and exit status 1 on failure,
    so ctest and CI both see the outcome.
*/
#ifndef CCHC_TEST_H
#define CCHC_TEST_H

#include <stdio.h>
#include <string.h>
#include <inttypes.h>

static int cchc_test_failed_ = 0, cchc_test_passed_ = 0, cchc_test_cur_ = 0;

#define CHECK(expr)                                                                   \
    do {                                                                              \
        if (!(expr)) {                                                                \
            fprintf (stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
            cchc_test_cur_ = 1;                                                       \
            return;                                                                   \
        }                                                                             \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                               \
    do {                                                                                 \
        long long a_ = (long long) (a), b_ = (long long) (b);                            \
        if (a_ != b_) {                                                                  \
            fprintf (stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, \
                     __LINE__, #a, #b, a_, b_);                                          \
            cchc_test_cur_ = 1;                                                          \
            return;                                                                      \
        }                                                                                \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                                   \
    do {                                                                                     \
        const char *a_ = (a), *b_ = (b);                                                     \
        if (!a_ || !b_ || strcmp (a_, b_) != 0) {                                            \
            fprintf (stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__, \
                     __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");              \
            cchc_test_cur_ = 1;                                                              \
            return;                                                                          \
        }                                                                                    \
    } while (0)

#define CHECK_NEAR(a, b, eps)                                                            \
    do {                                                                                 \
        double a_ = (a), b_ = (b);                                                       \
        if (!(a_ - b_ <= (eps) && b_ - a_ <= (eps))) {                                   \
            fprintf (stderr, "%s:%d: CHECK failed: %s ~= %s (%.9g != %.9g)\n", __FILE__, \
                     __LINE__, #a, #b, a_, b_);                                          \
            cchc_test_cur_ = 1;                                                          \
            return;                                                                      \
        }                                                                                \
    } while (0)

#define CCHC_TEST_RUN(fn)                       \
    do {                                        \
        cchc_test_cur_ = 0;                     \
        fn ();                                  \
        if (cchc_test_cur_) {                   \
            cchc_test_failed_++;                \
            fprintf (stderr, "FAIL %s\n", #fn); \
        }                                       \
        else {                                  \
            cchc_test_passed_++;                \
            fprintf (stderr, "ok   %s\n", #fn); \
        }                                       \
    } while (0)

#define CCHC_TEST_DONE()                                                      \
    (printf ("%d passed, %d failed\n", cchc_test_passed_, cchc_test_failed_), \
     cchc_test_failed_ ? 1 : 0)

#endif
