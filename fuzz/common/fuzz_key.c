/*  fuzz_key.c — libFuzzer target: arbitrary bytes as a secret key file and
    as a public key file (common/key.h): cchc_key_parse_secret_text and
    cchc_key_parse_public_text, and now and then the same bytes written to a
    0600 file for cchc_key_load / cchc_key_load_public.

    Checks, beyond "no crash, no hang, no leak, no undefined behaviour":
    - a refusal names the file, says why, and never echoes key material (no
      run of 32 or more hex digits in the message);
    - an accepted secret file has exactly one key line, and the key is the
      one its 64 hex digits give (same public key, signatures verify); the
      same bytes are refused as a public key file;
    - an accepted public key is the one its line gives, and the canonical
      public file of it reads back to the same key;
    - the CurveZMQ forms of any accepted key can be derived or are refused
      cleanly;
    - the file path and the text path give the same outcome and message.
*/
#include "common/key.h"
#include "common/text.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_SECRET_TAG "cchc-ed25519-secret-v1"
#define S_PUBLIC_TAG "cchc-ed25519-public-v1"

static void
s_check (bool ok, const char *what)
{
    if (!ok) {
        fprintf (stderr, "fuzz_key: invariant broken: %s\n", what);
        abort ();
    }
}

static bool
s_is_hex (char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void
s_check_refusal (const char *err, size_t errlen, const char *name)
{
    s_check (memchr (err, '\0', errlen) != NULL, "message terminated");
    char prefix [128];
    snprintf (prefix, sizeof prefix, "key file %s", name);
    s_check (strncmp (err, prefix, strlen (prefix)) == 0 && strlen (err) > strlen (prefix),
             "a refusal names the file and says why");
    size_t run = 0;
    for (const char *p = err; *p; p++) {
        run = s_is_hex (*p) ? run + 1 : 0;
        s_check (run < 32, "no key material in the message");
    }
}

/*  The one line of text[0..len) that is neither blank nor a '#' comment
    (as key.h describes the files), CR stripped; false if none or several. */
static bool
s_key_line (const char *text, size_t len, const char **line, size_t *line_len)
{
    size_t pos = 0, found = 0;
    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr (start, '\n', len - pos);
        size_t n = nl ? (size_t) (nl - start) : len - pos;
        pos += n + 1;
        if (n > 0 && start [n - 1] == '\r')
            n--;
        if (n == 0 || start [0] == '#')
            continue;
        *line = start;
        *line_len = n;
        found++;
    }
    return found == 1;
}

/*  Decode exactly 64 hex digits at `hex`. */
static bool
s_decode (const char *hex, uint8_t out [32])
{
    char copy [65];
    memcpy (copy, hex, 64);
    copy [64] = '\0';
    return cchc_hex_decode (out, 32, copy) == 0;
}

static void
s_check_secret (const cchc_key_t *key, const char *text, size_t len)
{
    const char *line = NULL;
    size_t line_len = 0;
    s_check (s_key_line (text, len, &line, &line_len), "one key line");
    size_t tag_len = strlen (S_SECRET_TAG);
    s_check (line_len == tag_len + 1 + 64 && memcmp (line, S_SECRET_TAG, tag_len) == 0
                 && line [tag_len] == ' ',
             "the key line is tag + 64 hex digits");
    uint8_t seed [32];
    s_check (s_decode (line + tag_len + 1, seed), "the hex decodes");
    cchc_key_t *again = cchc_key_new_from_seed (seed);
    s_check (again != NULL, "key from seed");
    s_check (memcmp (cchc_key_public (again), cchc_key_public (key), 32) == 0,
             "the key is the seed's");
    cchc_key_destroy (&again);
    sodium_memzero (seed, sizeof seed);

    uint8_t sig [64];
    const uint8_t msg [] = "cchc";
    cchc_key_sign (key, sig, msg, sizeof msg);
    s_check (crypto_sign_verify_detached (sig, msg, sizeof msg, cchc_key_public (key)) == 0,
             "signatures verify");
    char z85 [41];
    s_check (cchc_key_curve_secret_z85 (key, z85) == 0 && strlen (z85) == 40, "curve secret");
    s_check (cchc_key_curve_public_z85 (cchc_key_public (key), z85) == 0, "curve public");
}

static void
s_check_public (const uint8_t pk [32], const char *text, size_t len)
{
    const char *line = NULL;
    size_t line_len = 0;
    s_check (s_key_line (text, len, &line, &line_len), "one key line");
    size_t tag_len = strlen (S_PUBLIC_TAG);
    const char *hex = NULL;
    if (line_len == 64)
        hex = line;
    else {
        s_check (line_len == tag_len + 1 + 64 && memcmp (line, S_PUBLIC_TAG, tag_len) == 0
                     && line [tag_len] == ' ',
                 "the key line is [tag +] 64 hex digits");
        hex = line + tag_len + 1;
    }
    uint8_t expect [32];
    s_check (s_decode (hex, expect) && memcmp (expect, pk, 32) == 0, "the key is the line's");
    /*  The canonical public file reads back. */
    char canon [128], hexbuf [65];
    cchc_hex_encode (hexbuf, pk, 32);
    int n = snprintf (canon, sizeof canon, "%s %s\n", S_PUBLIC_TAG, hexbuf);
    uint8_t back [32];
    char err [256];
    s_check (cchc_key_parse_public_text ("canon", canon, (size_t) n, back, err, sizeof err)
                     == 0
                 && memcmp (back, pk, 32) == 0,
             "canonical public file reads back");
    char z85 [41];
    memset (z85, 0, sizeof z85);
    int rc = cchc_key_curve_public_z85 (pk, z85);
    s_check (rc == -1 || (rc == 0 && strlen (z85) == 40), "curve public or a refusal");
}

static char s_tmp_path [64];

static void
s_tmp_remove (void)
{
    if (s_tmp_path [0])
        unlink (s_tmp_path);
}

/*  The same bytes through a 0600 file: same outcome, same message. */
static void
s_check_file (const uint8_t *data, size_t size)
{
    if (!s_tmp_path [0]) {
        snprintf (s_tmp_path, sizeof s_tmp_path, "/tmp/fuzz_key.%d.key", (int) getpid ());
        atexit (s_tmp_remove);
    }
    unlink (s_tmp_path);
    int fd = open (s_tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    s_check (fd >= 0, "temp file");
    s_check (fchmod (fd, 0600) == 0 && write (fd, data, size) == (ssize_t) size
                 && close (fd) == 0,
             "temp file written");
    char e1 [512], e2 [512];
    cchc_key_t *a = cchc_key_load (s_tmp_path, e1, sizeof e1);
    cchc_key_t *b =
        cchc_key_parse_secret_text (s_tmp_path, (const char *) data, size, e2, sizeof e2);
    s_check ((a == NULL) == (b == NULL), "secret: file and text, same outcome");
    if (a)
        s_check (memcmp (cchc_key_public (a), cchc_key_public (b), 32) == 0,
                 "secret: file and text, same key");
    else
        s_check (strcmp (e1, e2) == 0, "secret: file and text, same message");
    cchc_key_destroy (&a);
    cchc_key_destroy (&b);

    uint8_t p1 [32], p2 [32];
    int r1 = cchc_key_load_public (s_tmp_path, p1, e1, sizeof e1);
    int r2 =
        cchc_key_parse_public_text (s_tmp_path, (const char *) data, size, p2, e2, sizeof e2);
    s_check (r1 == r2, "public: file and text, same outcome");
    if (r1 == 0)
        s_check (memcmp (p1, p2, 32) == 0, "public: file and text, same key");
    else
        s_check (strcmp (e1, e2) == 0, "public: file and text, same message");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    char err [512];
    memset (err, 'x', sizeof err);
    cchc_key_t *key = cchc_key_parse_secret_text ("fuzz.key", text, size, err, sizeof err);
    if (!key)
        s_check_refusal (err, sizeof err, "fuzz.key");
    else
        s_check_secret (key, text, size);

    uint8_t pk [32];
    memset (err, 'x', sizeof err);
    int rc = cchc_key_parse_public_text ("fuzz.pub", text, size, pk, err, sizeof err);
    s_check (rc == 0 || rc == -1, "returns 0 or -1");
    if (rc != 0)
        s_check_refusal (err, sizeof err, "fuzz.pub");
    else
        s_check_public (pk, text, size);
    s_check (!(key && rc == 0), "never both a secret and a public key file");
    cchc_key_destroy (&key);

    /*  A cheap pick of about one input in 16 for the file path. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size && i < 64; i++)
        h = (h ^ data [i]) * 16777619u;
    if ((h & 15) == 0)
        s_check_file (data, size);
    return 0;
}
