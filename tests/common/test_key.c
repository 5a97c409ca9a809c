/*  test_key.c — Ed25519 key pairs and key files (common/key.h): RFC 8032
    known answers, file round trips in a temporary folder, refusal of unsafe
    modes, overwrites and malformed files, Z85 and the CurveZMQ keys
    (cross-checked against libzmq, which the test links but common does not). */
#define _XOPEN_SOURCE 700
#include "common/key.h"
#include "common/text.h"
#include "tests/test.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

static char s_dir [256];

//  Path of `name` inside the test folder (one of a few static buffers).
static const char *
s_path (const char *name)
{
    static char bufs [4][512];
    static int next = 0;
    char *buf = bufs [next++ % 4];
    snprintf (buf, 512, "%s/%s", s_dir, name);
    return buf;
}

static int
s_write (const char *name, const char *text, mode_t mode)
{
    const char *path = s_path (name);
    unlink (path);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    size_t len = strlen (text);
    int rc = write (fd, text, len) == (ssize_t) len ? 0 : -1;
    close (fd);
    return chmod (path, mode) == 0 ? rc : -1;
}

static size_t
s_read (const char *path, char *buf, size_t size)
{
    FILE *f = fopen (path, "r");
    if (!f)
        return 0;
    size_t n = fread (buf, 1, size - 1, f);
    buf [n] = '\0';
    fclose (f);
    return n;
}

static const char *s_seed1 =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char *s_pk1 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *s_sig1 = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

//  RFC 8032, 7.1, TEST 1: seed -> public key, and the signature of "".
static void
test_rfc8032_vector (void)
{
    uint8_t seed [32];
    CHECK_EQ_INT (cchc_hex_decode (seed, 32, s_seed1), 0);
    cchc_key_t *key = cchc_key_new_from_seed (seed);
    CHECK (key);
    char hex [65];
    cchc_key_public_hex (key, hex);
    CHECK_EQ_STR (hex, s_pk1);

    uint8_t sig [64];
    cchc_key_sign (key, sig, NULL, 0);
    char sig_hex [129];
    cchc_hex_encode (sig_hex, sig, 64);
    CHECK_EQ_STR (sig_hex, s_sig1);

    //  Same seed, same pair; a signature verifies and a flipped bit does not.
    cchc_key_t *again = cchc_key_new_from_seed (seed);
    CHECK (again);
    CHECK (memcmp (cchc_key_public (again), cchc_key_public (key), 32) == 0);
    const uint8_t msg [] = "bao cao quy 1";
    cchc_key_sign (again, sig, msg, sizeof msg);
    CHECK_EQ_INT (crypto_sign_verify_detached (sig, msg, sizeof msg, cchc_key_public (key)),
                  0);
    sig [10] ^= 0x01;
    CHECK_EQ_INT (crypto_sign_verify_detached (sig, msg, sizeof msg, cchc_key_public (key)),
                  -1);
    cchc_key_destroy (&again);
    CHECK (again == NULL);
    cchc_key_destroy (&key);
    CHECK (key == NULL);
    cchc_key_destroy (&key);  //  NULL is fine
}

static void
test_random_keys (void)
{
    cchc_key_t *a = cchc_key_new ();
    cchc_key_t *b = cchc_key_new ();
    CHECK (a && b);
    CHECK (memcmp (cchc_key_public (a), cchc_key_public (b), 32) != 0);
    uint8_t sig [64];
    cchc_key_sign (a, sig, (const uint8_t *) "x", 1);
    CHECK_EQ_INT (
        crypto_sign_verify_detached (sig, (const uint8_t *) "x", 1, cchc_key_public (a)), 0);
    CHECK_EQ_INT (
        crypto_sign_verify_detached (sig, (const uint8_t *) "x", 1, cchc_key_public (b)), -1);
    cchc_key_destroy (&a);
    cchc_key_destroy (&b);
}

static void
test_public_hex (void)
{
    uint8_t pk [32];
    CHECK_EQ_INT (cchc_key_parse_public (s_pk1, pk), 0);
    char hex [65];
    cchc_hex_encode (hex, pk, 32);
    CHECK_EQ_STR (hex, s_pk1);
    CHECK_EQ_INT (cchc_key_parse_public ("D75A980182B10AB7D54BFED3C964073A"
                                         "0EE172F3DAA62325AF021A68F707511A",
                                         pk),
                  0);
    CHECK_EQ_INT (cchc_key_parse_public ("d75a98", pk), -1);
    CHECK_EQ_INT (cchc_key_parse_public ("d75a980182b10ab7d54bfed3c964073a"
                                         "0ee172f3daa62325af021a68f707511az",
                                         pk),
                  -1);
    CHECK_EQ_INT (cchc_key_parse_public ("d75a980182b10ab7d54bfed3c964073a"
                                         "0ee172f3daa62325af021a68f707511a0",
                                         pk),
                  -1);
    CHECK_EQ_INT (cchc_key_parse_public ("", pk), -1);
    CHECK_EQ_INT (cchc_key_parse_public (NULL, pk), -1);
}

static void
test_save_load (void)
{
    uint8_t seed [32];
    CHECK_EQ_INT (cchc_hex_decode (seed, 32, s_seed1), 0);
    cchc_key_t *key = cchc_key_new_from_seed (seed);
    CHECK (key);
    char err [256] = "";
    const char *sec = s_path ("agent.key");
    const char *pub = s_path ("agent.pub");
    int rc = cchc_key_save (key, sec, pub, err, sizeof err);
    if (rc != 0)
        fprintf (stderr, "save: %s\n", err);
    CHECK_EQ_INT (rc, 0);

    struct stat st;
    CHECK_EQ_INT (stat (sec, &st), 0);
    CHECK_EQ_INT (st.st_mode & 07777, 0600);
    CHECK_EQ_INT (stat (pub, &st), 0);
    CHECK_EQ_INT (st.st_mode & 07777, 0644);

    char text [512];
    s_read (sec, text, sizeof text);
    char expect [512];
    snprintf (expect, sizeof expect,
              "# cchc secret key: keep private, mode 0600\n"
              "cchc-ed25519-secret-v1 %s\n",
              s_seed1);
    CHECK_EQ_STR (text, expect);
    s_read (pub, text, sizeof text);
    snprintf (expect, sizeof expect, "cchc-ed25519-public-v1 %s\n", s_pk1);
    CHECK_EQ_STR (text, expect);

    //  No temporary file is left behind.
    int entries = 0;
    char cmd [600];
    snprintf (cmd, sizeof cmd, "ls -A '%s' | grep -c tmp", s_dir);
    FILE *p = popen (cmd, "r");
    CHECK (p);
    CHECK_EQ_INT (fscanf (p, "%d", &entries), 1);
    pclose (p);
    CHECK_EQ_INT (entries, 0);

    cchc_key_t *loaded = cchc_key_load (sec, err, sizeof err);
    if (!loaded)
        fprintf (stderr, "load: %s\n", err);
    CHECK (loaded);
    CHECK (memcmp (cchc_key_public (loaded), cchc_key_public (key), 32) == 0);
    uint8_t sig_a [64], sig_b [64];
    cchc_key_sign (key, sig_a, (const uint8_t *) "abc", 3);
    cchc_key_sign (loaded, sig_b, (const uint8_t *) "abc", 3);
    CHECK (memcmp (sig_a, sig_b, 64) == 0);
    cchc_key_destroy (&loaded);

    uint8_t pk [32];
    CHECK_EQ_INT (cchc_key_load_public (pub, pk, err, sizeof err), 0);
    CHECK (memcmp (pk, cchc_key_public (key), 32) == 0);

    //  A save without a public file; a random key round-trips too.
    cchc_key_t *fresh = cchc_key_new ();
    CHECK (fresh);
    CHECK_EQ_INT (cchc_key_save (fresh, s_path ("fresh.key"), NULL, err, sizeof err), 0);
    CHECK (access (s_path ("fresh.key"), F_OK) == 0);
    loaded = cchc_key_load (s_path ("fresh.key"), err, sizeof err);
    CHECK (loaded);
    CHECK (memcmp (cchc_key_public (loaded), cchc_key_public (fresh), 32) == 0);
    cchc_key_destroy (&loaded);
    cchc_key_destroy (&fresh);
    cchc_key_destroy (&key);
}

static void
test_overwrite_refused (void)
{
    cchc_key_t *key = cchc_key_new ();
    CHECK (key);
    char err [256] = "";
    const char *sec = s_path ("twice.key");
    const char *pub = s_path ("twice.pub");
    CHECK_EQ_INT (cchc_key_save (key, sec, pub, err, sizeof err), 0);
    char before [512], after [512];
    s_read (sec, before, sizeof before);

    cchc_key_t *other = cchc_key_new ();
    CHECK (other);
    CHECK_EQ_INT (cchc_key_save (other, sec, NULL, err, sizeof err), -1);
    CHECK (strstr (err, "already exists") != NULL);
    s_read (sec, after, sizeof after);
    CHECK_EQ_STR (after, before);

    //  Existing public file: nothing is written, not even the secret.
    err [0] = '\0';
    CHECK_EQ_INT (cchc_key_save (other, s_path ("new.key"), pub, err, sizeof err), -1);
    CHECK (strstr (err, "already exists") != NULL);
    CHECK (access (s_path ("new.key"), F_OK) != 0);

    //  A dangling symlink counts as existing too.
    CHECK_EQ_INT (symlink (s_path ("nowhere"), s_path ("link.key")), 0);
    CHECK_EQ_INT (cchc_key_save (other, s_path ("link.key"), NULL, err, sizeof err), -1);
    CHECK (access (s_path ("nowhere"), F_OK) != 0);

    //  Missing folder: a clear error.
    err [0] = '\0';
    CHECK_EQ_INT (cchc_key_save (other, s_path ("no/such/dir.key"), NULL, err, sizeof err),
                  -1);
    CHECK (strlen (err) > 0);
    cchc_key_destroy (&key);
    cchc_key_destroy (&other);
}

static void
test_modes (void)
{
    char text [256];
    snprintf (text, sizeof text, "cchc-ed25519-secret-v1 %s\n", s_seed1);
    char err [512] = "";

    CHECK_EQ_INT (s_write ("m644.key", text, 0644), 0);
    cchc_key_t *key = cchc_key_load (s_path ("m644.key"), err, sizeof err);
    CHECK (key == NULL);
    char expect [512];
    snprintf (expect, sizeof expect,
              "key file %s has mode 0644; it must be 0600 "
              "(chmod 600 %s)",
              s_path ("m644.key"), s_path ("m644.key"));
    CHECK_EQ_STR (err, expect);

    const mode_t bad [] = { 0640, 0604, 0610, 0601, 0660, 0666, 0700 | 0004 };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        CHECK_EQ_INT (s_write ("bad.key", text, bad [i]), 0);
        key = cchc_key_load (s_path ("bad.key"), err, sizeof err);
        CHECK (key == NULL);
        CHECK (strstr (err, "chmod 600") != NULL);
    }
    //  Owner-only modes are fine.
    const mode_t good [] = { 0600, 0400 };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        CHECK_EQ_INT (s_write ("good.key", text, good [i]), 0);
        key = cchc_key_load (s_path ("good.key"), err, sizeof err);
        CHECK (key);
        char hex [65];
        cchc_key_public_hex (key, hex);
        CHECK_EQ_STR (hex, s_pk1);
        cchc_key_destroy (&key);
        chmod (s_path ("good.key"), 0600);
    }
    //  A public file may have any mode.
    snprintf (text, sizeof text, "cchc-ed25519-public-v1 %s\n", s_pk1);
    CHECK_EQ_INT (s_write ("world.pub", text, 0644), 0);
    uint8_t pk [32];
    CHECK_EQ_INT (cchc_key_load_public (s_path ("world.pub"), pk, err, sizeof err), 0);

    //  Not regular files: a folder, a FIFO (must not hang), a missing file.
    CHECK_EQ_INT (mkdir (s_path ("dir.key"), 0700), 0);
    key = cchc_key_load (s_path ("dir.key"), err, sizeof err);
    CHECK (key == NULL);
    CHECK (strstr (err, "not a regular file") != NULL);
    CHECK_EQ_INT (mkfifo (s_path ("fifo.key"), 0600), 0);
    key = cchc_key_load (s_path ("fifo.key"), err, sizeof err);
    CHECK (key == NULL);
    CHECK (strstr (err, "not a regular file") != NULL);
    CHECK_EQ_INT (cchc_key_load_public (s_path ("fifo.key"), pk, err, sizeof err), -1);
    key = cchc_key_load (s_path ("missing.key"), err, sizeof err);
    CHECK (key == NULL);
    CHECK (strstr (err, "missing.key") != NULL);
}

//  Each malformed secret file is refused (written with mode 0600).
static void
test_malformed (void)
{
    char big [6000];
    memset (big, '#', sizeof big - 1);
    big [sizeof big - 1] = '\0';
    char good_line [128];
    snprintf (good_line, sizeof good_line, "cchc-ed25519-secret-v1 %s\n", s_seed1);
    char two_keys [300];
    snprintf (two_keys, sizeof two_keys, "%s%s", good_line, good_line);
    char trailing [300];
    snprintf (trailing, sizeof trailing, "%sjunk\n", good_line);
    char pub_line [128];
    snprintf (pub_line, sizeof pub_line, "cchc-ed25519-public-v1 %s\n", s_pk1);

    const char *cases [] = {
        "",
        "# only a comment\n",
        "\n\n",
        "cchc-ed25519-secret-v1\n",
        "cchc-ed25519-secret-v1 9d61b19deffd5a60ba844af492ec2cc4\n",
        "cchc-ed25519-secret-v1 "
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6\n",
        "cchc-ed25519-secret-v1 "
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f600\n",
        "cchc-ed25519-secret-v1 "
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7fzz\n",
        "cchc-ed25519-secret-v1  "
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f6\n",
        "cchc-ed25519-secret-v2 "
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
        " cchc-ed25519-secret-v1 "
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
        two_keys,
        trailing,
        pub_line,
        big,
        NULL
    };
    char err [512];
    for (int i = 0; cases [i]; i++) {
        CHECK_EQ_INT (s_write ("bad.key", cases [i], 0600), 0);
        err [0] = '\0';
        cchc_key_t *key = cchc_key_load (s_path ("bad.key"), err, sizeof err);
        if (key)
            fprintf (stderr, "accepted malformed case %d\n", i);
        CHECK (key == NULL);
        CHECK (strlen (err) > 0);
    }
    CHECK_EQ_INT (s_write ("bad.key", pub_line, 0600), 0);
    cchc_key_t *key = cchc_key_load (s_path ("bad.key"), err, sizeof err);
    CHECK (key == NULL);
    CHECK (strstr (err, "public key") != NULL);

    //  Comments and blank lines around the key, and CRLF, are fine.
    char ok [400];
    snprintf (ok, sizeof ok, "# one\n\n# two\r\ncchc-ed25519-secret-v1 %s\r\n\n# end\n",
              s_seed1);
    CHECK_EQ_INT (s_write ("ok.key", ok, 0600), 0);
    key = cchc_key_load (s_path ("ok.key"), err, sizeof err);
    CHECK (key);
    cchc_key_destroy (&key);
    //  No final newline.
    snprintf (ok, sizeof ok, "cchc-ed25519-secret-v1 %s", s_seed1);
    CHECK_EQ_INT (s_write ("ok.key", ok, 0600), 0);
    key = cchc_key_load (s_path ("ok.key"), err, sizeof err);
    CHECK (key);
    cchc_key_destroy (&key);
}

static void
test_public_files (void)
{
    uint8_t pk [32];
    char err [512];
    char text [256];
    //  Bare hex, and the tagged form after comments.
    snprintf (text, sizeof text, "%s\n", s_pk1);
    CHECK_EQ_INT (s_write ("bare.pub", text, 0644), 0);
    CHECK_EQ_INT (cchc_key_load_public (s_path ("bare.pub"), pk, err, sizeof err), 0);
    char hex [65];
    cchc_hex_encode (hex, pk, 32);
    CHECK_EQ_STR (hex, s_pk1);
    snprintf (text, sizeof text, "# collector\ncchc-ed25519-public-v1 %s\n", s_pk1);
    CHECK_EQ_INT (s_write ("tag.pub", text, 0644), 0);
    memset (pk, 0, sizeof pk);
    CHECK_EQ_INT (cchc_key_load_public (s_path ("tag.pub"), pk, err, sizeof err), 0);
    cchc_hex_encode (hex, pk, 32);
    CHECK_EQ_STR (hex, s_pk1);

    //  A secret file is not a public one; junk is refused.
    snprintf (text, sizeof text, "cchc-ed25519-secret-v1 %s\n", s_seed1);
    CHECK_EQ_INT (s_write ("sec.pub", text, 0600), 0);
    CHECK_EQ_INT (cchc_key_load_public (s_path ("sec.pub"), pk, err, sizeof err), -1);
    CHECK (strstr (err, "secret key") != NULL);
    CHECK_EQ_INT (s_write ("junk.pub", "hello\n", 0644), 0);
    CHECK_EQ_INT (cchc_key_load_public (s_path ("junk.pub"), pk, err, sizeof err), -1);
    CHECK_EQ_INT (s_write ("empty.pub", "", 0644), 0);
    CHECK_EQ_INT (cchc_key_load_public (s_path ("empty.pub"), pk, err, sizeof err), -1);
    CHECK_EQ_INT (cchc_key_load_public (s_path ("none.pub"), pk, err, sizeof err), -1);
}

static void
test_z85 (void)
{
    //  ZeroMQ RFC 32 test vector.
    const uint8_t hello [8] = { 0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B };
    char out [11];
    cchc_key_z85_encode (out, hello, sizeof hello);
    CHECK_EQ_STR (out, "HelloWorld");
    cchc_key_z85_encode (out, hello, 0);
    CHECK_EQ_STR (out, "");
    //  Extremes and agreement with libzmq on random data.
    const uint8_t zeros [4] = { 0, 0, 0, 0 }, ones [4] = { 0xff, 0xff, 0xff, 0xff };
    cchc_key_z85_encode (out, zeros, 4);
    CHECK_EQ_STR (out, "00000");
    cchc_key_z85_encode (out, ones, 4);
    CHECK_EQ_STR (out, "%nSc0");
    for (int i = 0; i < 100; i++) {
        uint8_t data [32];
        randombytes_buf (data, sizeof data);
        char ours [41], theirs [41];
        cchc_key_z85_encode (ours, data, sizeof data);
        CHECK (zmq_z85_encode (theirs, data, sizeof data) != NULL);
        CHECK_EQ_STR (ours, theirs);
    }
}

static void
test_curve_keys (void)
{
    cchc_key_t *key = cchc_key_new ();
    CHECK (key);
    char pub [41], sec [41];
    CHECK_EQ_INT (cchc_key_curve_public_z85 (cchc_key_public (key), pub), 0);
    CHECK_EQ_INT (cchc_key_curve_secret_z85 (key, sec), 0);
    CHECK_EQ_INT (strlen (pub), 40);
    CHECK_EQ_INT (strlen (sec), 40);
    //  libzmq derives the same transport public key from our secret.
    char derived [41];
    CHECK_EQ_INT (zmq_curve_public (derived, sec), 0);
    CHECK_EQ_STR (derived, pub);

    //  Deterministic for a seed.
    uint8_t seed [32];
    CHECK_EQ_INT (cchc_hex_decode (seed, 32, s_seed1), 0);
    cchc_key_t *k1 = cchc_key_new_from_seed (seed);
    cchc_key_t *k2 = cchc_key_new_from_seed (seed);
    CHECK (k1 && k2);
    char a [41], b [41];
    CHECK_EQ_INT (cchc_key_curve_secret_z85 (k1, a), 0);
    CHECK_EQ_INT (cchc_key_curve_secret_z85 (k2, b), 0);
    CHECK_EQ_STR (a, b);
    CHECK (strcmp (a, sec) != 0);

    //  The identity point (small order) is no transport key.
    uint8_t identity [32] = { 1 };
    CHECK_EQ_INT (cchc_key_curve_public_z85 (identity, pub), -1);
    cchc_key_destroy (&k1);
    cchc_key_destroy (&k2);
    cchc_key_destroy (&key);
}

static int
s_remove (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    return remove (path);
}

//  The text entry points (what the loaders use after reading the file):
//  same keys, same refusals, named as told; the text need not end in NUL.
static void
test_parse_text (void)
{
    char text [256];
    int n = snprintf (text, sizeof text, "# k\r\ncchc-ed25519-secret-v1 %s", s_seed1);
    char err [512] = "";
    cchc_key_t *key =
        cchc_key_parse_secret_text ("mem.key", text, (size_t) n, err, sizeof err);
    CHECK (key);
    char hex [65];
    cchc_key_public_hex (key, hex);
    CHECK_EQ_STR (hex, s_pk1);
    cchc_key_destroy (&key);
    //  Cut one digit short: refused, named, no key material in the message.
    key = cchc_key_parse_secret_text ("mem.key", text, (size_t) n - 1, err, sizeof err);
    CHECK (key == NULL);
    CHECK (strncmp (err, "key file mem.key:2:", 19) == 0);
    CHECK (strstr (err, "9d61b1") == NULL);
    CHECK (cchc_key_parse_secret_text ("mem.key", NULL, 0, err, sizeof err) == NULL);
    CHECK (strstr (err, "holds no key"));
    //  As large as a file the loader refuses.
    char *big = malloc (4096);
    CHECK (big);
    memset (big, '#', 4096);
    key = cchc_key_parse_secret_text ("mem.key", big, 4096, err, sizeof err);
    uint8_t pk [32];
    int rc = cchc_key_parse_public_text ("mem.pub", big, 4096, pk, err, sizeof err);
    free (big);
    CHECK (key == NULL);
    CHECK_EQ_INT (rc, -1);
    CHECK (strstr (err, "too large"));

    n = snprintf (text, sizeof text, "%s", s_pk1);
    CHECK_EQ_INT (
        cchc_key_parse_public_text ("mem.pub", text, (size_t) n, pk, err, sizeof err), 0);
    cchc_hex_encode (hex, pk, 32);
    CHECK_EQ_STR (hex, s_pk1);
    n = snprintf (text, sizeof text, "cchc-ed25519-secret-v1 %s\n", s_seed1);
    CHECK_EQ_INT (
        cchc_key_parse_public_text ("mem.pub", text, (size_t) n, pk, err, sizeof err), -1);
    CHECK (strstr (err, "key file mem.pub holds a secret key"));
}

int
main (void)
{
    const char *tmp = getenv ("TMPDIR");
    snprintf (s_dir, sizeof s_dir, "%s/cchc-test-key-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 1;
    }
    CCHC_TEST_RUN (test_rfc8032_vector);
    CCHC_TEST_RUN (test_random_keys);
    CCHC_TEST_RUN (test_public_hex);
    CCHC_TEST_RUN (test_save_load);
    CCHC_TEST_RUN (test_overwrite_refused);
    CCHC_TEST_RUN (test_modes);
    CCHC_TEST_RUN (test_malformed);
    CCHC_TEST_RUN (test_public_files);
    CCHC_TEST_RUN (test_parse_text);
    CCHC_TEST_RUN (test_z85);
    CCHC_TEST_RUN (test_curve_keys);
    nftw (s_dir, s_remove, 16, FTW_DEPTH | FTW_PHYS);
    return CCHC_TEST_DONE ();
}
