/*  key.c — Ed25519 key pairs (libsodium), their files, and the CurveZMQ
    transport keys derived from them.

    The secret is kept as libsodium's 64-byte seed||public form in
    sodium_malloc'd memory (guard pages, locked, read-only after creation,
    zeroed by sodium_free).  Files hold only the 32-byte seed, in hex; see
    key.h for the formats.  Writing a key file goes through a temporary file
    created O_EXCL with its final mode, fsync'd, then linked into place with
    link(2), which fails rather than replace an existing file — the atomic
    "rename without overwrite" — and the temporary name is removed.

    Z85 (ZeroMQ RFC 32) is implemented here because common/ does not link
    ZeroMQ; CurveZMQ wants its keys in that form.
*/
#include "common/key.h"
#include "common/text.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define S_SECRET_TAG "cchc-ed25519-secret-v1"
#define S_PUBLIC_TAG "cchc-ed25519-public-v1"
#define S_SECRET_COMMENT "# cchc secret key: keep private, mode 0600"
#define S_FILE_MAX 4096  //  a key file is a few lines; refuse more

struct cchc_key_t {
    uint8_t public_key [CCHC_KEY_PUBLIC_BYTES];
    uint8_t *secret;  //  sodium_malloc'd, CCHC_KEY_SECRET_BYTES
};

//  A key object around a 32-byte seed.  NULL on failure.
static cchc_key_t *
s_key_from_seed (const uint8_t seed [32])
{
    if (sodium_init () < 0)
        return NULL;
    cchc_key_t *self = (cchc_key_t *) calloc (1, sizeof (cchc_key_t));
    if (!self)
        return NULL;
    self->secret = (uint8_t *) sodium_malloc (CCHC_KEY_SECRET_BYTES);
    if (!self->secret) {
        free (self);
        return NULL;
    }
    int rc;
    if (seed)
        rc = crypto_sign_seed_keypair (self->public_key, self->secret, seed);
    else
        rc = crypto_sign_keypair (self->public_key, self->secret);
    if (rc != 0) {
        cchc_key_destroy (&self);
        return NULL;
    }
    sodium_mprotect_readonly (self->secret);
    return self;
}

cchc_key_t *
cchc_key_new (void)
{
    return s_key_from_seed (NULL);
}

cchc_key_t *
cchc_key_new_from_seed (const uint8_t seed [32])
{
    assert (seed);
    return s_key_from_seed (seed);
}

void
cchc_key_destroy (cchc_key_t **self_p)
{
    assert (self_p);
    cchc_key_t *self = *self_p;
    if (self) {
        sodium_free (self->secret);  //  zeroes it; accepts NULL
        sodium_memzero (self, sizeof (cchc_key_t));
        free (self);
        *self_p = NULL;
    }
}

const uint8_t *
cchc_key_public (const cchc_key_t *self)
{
    assert (self);
    return self->public_key;
}

void
cchc_key_public_hex (const cchc_key_t *self, char out [65])
{
    assert (self && out);
    cchc_hex_encode (out, self->public_key, CCHC_KEY_PUBLIC_BYTES);
}

int
cchc_key_parse_public (const char *hex, uint8_t pk [32])
{
    assert (pk);
    return cchc_hex_decode (pk, CCHC_KEY_PUBLIC_BYTES, hex);
}

void
cchc_key_sign (const cchc_key_t *self, uint8_t sig [64], const uint8_t *msg, size_t len)
{
    assert (self && sig);
    assert (msg || len == 0);
    static const uint8_t empty [1] = { 0 };
    int rc = crypto_sign_detached (sig, NULL, msg ? msg : empty, len, self->secret);
    assert (rc == 0);
    (void) rc;
}

//  ---------------------------------------------------------------------------
//  Z85 (ZeroMQ RFC 32) and the CurveZMQ keys

static const char s_z85_chars [] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

void
cchc_key_z85_encode (char *out, const uint8_t *bin, size_t len)
{
    assert (out);
    assert (bin || len == 0);
    assert (len % 4 == 0);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t value = (uint32_t) bin [i] << 24 | (uint32_t) bin [i + 1] << 16
                         | (uint32_t) bin [i + 2] << 8 | bin [i + 3];
        for (int k = 4; k >= 0; k--) {
            out [o + (size_t) k] = s_z85_chars [value % 85];
            value /= 85;
        }
        o += 5;
    }
    out [o] = '\0';
}

int
cchc_key_curve_public_z85 (const uint8_t pk [32], char out [41])
{
    assert (pk && out);
    uint8_t curve [crypto_scalarmult_curve25519_BYTES];
    if (crypto_sign_ed25519_pk_to_curve25519 (curve, pk) != 0)
        return -1;
    cchc_key_z85_encode (out, curve, sizeof curve);
    return 0;
}

int
cchc_key_curve_secret_z85 (const cchc_key_t *self, char out [41])
{
    assert (self && out);
    uint8_t curve [crypto_scalarmult_curve25519_BYTES];
    int rc = crypto_sign_ed25519_sk_to_curve25519 (curve, self->secret);
    if (rc == 0)
        cchc_key_z85_encode (out, curve, sizeof curve);
    sodium_memzero (curve, sizeof curve);
    return rc == 0 ? 0 : -1;
}

//  ---------------------------------------------------------------------------
//  Reading key files

//  Read a small regular file into buf (cap bytes).  With `private_only`,
//  refuse it if group or others have any access.  Returns 0 or -1.
static int
s_read_file (const char *path, bool private_only, char *buf, size_t cap, size_t *len,
             char *err, size_t errlen)
{
    //  O_NONBLOCK: opening a FIFO must not hang; we refuse it right after.
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        cchc_errf (err, errlen, "key file %s: %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st) != 0) {
        cchc_errf (err, errlen, "key file %s: %s", path, strerror (errno));
        close (fd);
        return -1;
    }
    if (!S_ISREG (st.st_mode)) {
        cchc_errf (err, errlen, "key file %s is not a regular file", path);
        close (fd);
        return -1;
    }
    if (private_only && (st.st_mode & 077) != 0) {
        cchc_errf (err, errlen, "key file %s has mode %04o; it must be 0600 (chmod 600 %s)",
                   path, (unsigned) (st.st_mode & 07777), path);
        close (fd);
        return -1;
    }
    size_t have = 0;
    while (true) {
        if (have == cap) {
            cchc_errf (err, errlen, "key file %s is too large to be a key file", path);
            close (fd);
            return -1;
        }
        ssize_t n = read (fd, buf + have, cap - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cchc_errf (err, errlen, "key file %s: %s", path, strerror (errno));
            close (fd);
            return -1;
        }
        if (n == 0)
            break;
        have += (size_t) n;
    }
    close (fd);
    *len = have;
    return 0;
}

//  Find the one key line of a key file: comment lines ('#') and blank lines
//  may surround it.  It must be "<tag> <64 hex>" or, if bare_ok, just the 64
//  hex digits.  Decodes into out[32].  `other_tag` names the other kind of
//  file, for a helpful message.  Returns 0 or -1.
static int
s_parse_key_file (const char *path, const char *buf, size_t len, const char *tag,
                  const char *other_tag, bool bare_ok, uint8_t out [32], char *err,
                  size_t errlen)
{
    size_t tag_len = strlen (tag);
    bool found = false;
    size_t pos = 0;
    int line_no = 0;
    while (pos < len) {
        line_no++;
        size_t end = pos;
        while (end < len && buf [end] != '\n')
            end++;
        const char *line = buf + pos;
        size_t line_len = end - pos;
        if (line_len > 0 && line [line_len - 1] == '\r')
            line_len--;
        pos = end < len ? end + 1 : end;

        if (line_len == 0 || line [0] == '#')
            continue;
        if (found) {
            cchc_errf (err, errlen, "key file %s:%d: unexpected text after the key", path,
                       line_no);
            return -1;
        }
        const char *hex = NULL;
        if (line_len == tag_len + 1 + 2 * 32 && memcmp (line, tag, tag_len) == 0
            && line [tag_len] == ' ')
            hex = line + tag_len + 1;
        else if (bare_ok && line_len == 2 * 32)
            hex = line;
        else {
            size_t other_len = strlen (other_tag);
            if (line_len >= other_len && memcmp (line, other_tag, other_len) == 0)
                cchc_errf (err, errlen, "key file %s holds a %s key, not a %s one", path,
                           strcmp (other_tag, S_PUBLIC_TAG) == 0 ? "public" : "secret",
                           strcmp (tag, S_PUBLIC_TAG) == 0 ? "public" : "secret");
            else
                cchc_errf (err, errlen, "key file %s:%d: expected \"%s <64 hex digits>\"",
                           path, line_no, tag);
            return -1;
        }
        char copy [2 * 32 + 1];
        memcpy (copy, hex, 2 * 32);
        copy [2 * 32] = '\0';
        int rc = cchc_hex_decode (out, 32, copy);
        sodium_memzero (copy, sizeof copy);
        if (rc != 0) {
            cchc_errf (err, errlen, "key file %s:%d: the key is not 64 hex digits", path,
                       line_no);
            return -1;
        }
        found = true;
    }
    if (!found) {
        cchc_errf (err, errlen, "key file %s holds no key (expected \"%s <64 hex digits>\")",
                   path, tag);
        return -1;
    }
    return 0;
}

//  The secret key in buf[0..len), the content of key file `path`.
static cchc_key_t *
s_secret_from_text (const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
    if (len >= S_FILE_MAX) {
        cchc_errf (err, errlen, "key file %s is too large to be a key file", path);
        return NULL;
    }
    uint8_t seed [32];
    cchc_key_t *self = NULL;
    if (s_parse_key_file (path, buf, len, S_SECRET_TAG, S_PUBLIC_TAG, false, seed, err, errlen)
        == 0) {
        self = s_key_from_seed (seed);
        if (!self)
            cchc_errf (err, errlen, "out of memory");
    }
    sodium_memzero (seed, sizeof seed);
    return self;
}

cchc_key_t *
cchc_key_load (const char *path, char *err, size_t errlen)
{
    assert (path);
    if (sodium_init () < 0) {
        cchc_errf (err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    char *buf = (char *) sodium_malloc (S_FILE_MAX);
    if (!buf) {
        cchc_errf (err, errlen, "out of memory");
        return NULL;
    }
    size_t len = 0;
    cchc_key_t *self = NULL;
    if (s_read_file (path, true, buf, S_FILE_MAX, &len, err, errlen) == 0)
        self = s_secret_from_text (path, buf, len, err, errlen);
    sodium_free (buf);
    return self;
}

cchc_key_t *
cchc_key_parse_secret_text (const char *name, const char *text, size_t len, char *err,
                            size_t errlen)
{
    assert (name);
    assert (text || len == 0);
    if (sodium_init () < 0) {
        cchc_errf (err, errlen, "libsodium failed to initialise");
        return NULL;
    }
    return s_secret_from_text (name, text ? text : "", len, err, errlen);
}

//  The public key in buf[0..len), the content of key file `path`.
static int
s_public_from_text (const char *path, const char *buf, size_t len, uint8_t pk [32], char *err,
                    size_t errlen)
{
    if (len >= S_FILE_MAX) {
        cchc_errf (err, errlen, "key file %s is too large to be a key file", path);
        return -1;
    }
    uint8_t key [32];
    if (s_parse_key_file (path, buf, len, S_PUBLIC_TAG, S_SECRET_TAG, true, key, err, errlen)
        != 0) {
        sodium_memzero (key, sizeof key);  //  it may have been a secret
        return -1;
    }
    memcpy (pk, key, 32);
    return 0;
}

int
cchc_key_load_public (const char *path, uint8_t pk [32], char *err, size_t errlen)
{
    assert (path && pk);
    char buf [S_FILE_MAX];
    size_t len = 0;
    int rc = -1;
    if (s_read_file (path, false, buf, sizeof buf, &len, err, errlen) == 0)
        rc = s_public_from_text (path, buf, len, pk, err, errlen);
    //  Whatever it was, it may have been a secret.
    sodium_memzero (buf, sizeof buf);
    return rc;
}

int
cchc_key_parse_public_text (const char *name, const char *text, size_t len, uint8_t pk [32],
                            char *err, size_t errlen)
{
    assert (name && pk);
    assert (text || len == 0);
    return s_public_from_text (name, text ? text : "", len, pk, err, errlen);
}

//  ---------------------------------------------------------------------------
//  Writing key files

//  fsync the directory holding `path`, so that a new name survives a crash.
static void
s_sync_parent (const char *path)
{
    char dir [PATH_MAX];
    if (cchc_strlcpy (dir, path, sizeof dir) >= sizeof dir)
        return;
    char *slash = strrchr (dir, '/');
    if (!slash)
        cchc_strlcpy (dir, ".", sizeof dir);
    else if (slash == dir)
        dir [1] = '\0';
    else
        *slash = '\0';
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync (fd);
        close (fd);
    }
}

//  Create `path` holding data[len] with exactly `mode`, never replacing an
//  existing file.  Returns 0 or -1 with err set; on failure nothing is left.
static int
s_write_new_file (const char *path, const char *data, size_t len, mode_t mode, char *err,
                  size_t errlen)
{
    char tmp [PATH_MAX];
    uint8_t nonce [6];
    char nonce_hex [2 * sizeof nonce + 1];
    randombytes_buf (nonce, sizeof nonce);
    cchc_hex_encode (nonce_hex, nonce, sizeof nonce);
    int n = snprintf (tmp, sizeof tmp, "%s.tmp-%s", path, nonce_hex);
    if (n < 0 || (size_t) n >= sizeof tmp) {
        cchc_errf (err, errlen, "%s: path too long", path);
        return -1;
    }
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        cchc_errf (err, errlen, "cannot create %s: %s", tmp, strerror (errno));
        return -1;
    }
    const char *what = NULL;
    if (fchmod (fd, mode) != 0)  //  the umask may have removed bits
        what = "chmod";
    size_t done = 0;
    while (!what && done < len) {
        ssize_t w = write (fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            what = "write";
        else
            done += (size_t) w;
    }
    if (!what && fsync (fd) != 0)
        what = "fsync";
    if (close (fd) != 0 && !what)
        what = "close";
    if (what) {
        cchc_errf (err, errlen, "cannot write %s (%s): %s", tmp, what, strerror (errno));
        unlink (tmp);
        return -1;
    }
    //  link(2) is the rename that refuses to replace an existing file.
    if (link (tmp, path) != 0) {
        int e = errno;
        unlink (tmp);
        if (e == EEXIST)
            cchc_errf (err, errlen, "%s already exists; refusing to overwrite it", path);
        else
            cchc_errf (err, errlen, "cannot create %s: %s", path, strerror (e));
        return -1;
    }
    unlink (tmp);
    s_sync_parent (path);
    return 0;
}

int
cchc_key_save (const cchc_key_t *self, const char *secret_path, const char *public_path,
               char *err, size_t errlen)
{
    assert (self && secret_path);
    //  Refuse up front if either file exists, so we write both or neither.
    struct stat st;
    if (lstat (secret_path, &st) == 0) {
        cchc_errf (err, errlen, "%s already exists; refusing to overwrite it", secret_path);
        return -1;
    }
    if (public_path && lstat (public_path, &st) == 0) {
        cchc_errf (err, errlen, "%s already exists; refusing to overwrite it", public_path);
        return -1;
    }
    //  Secret file: the seed in hex, in a buffer we wipe.
    char text [sizeof S_SECRET_COMMENT + sizeof S_SECRET_TAG + 2 * 32 + 8];
    char seed_hex [2 * 32 + 1];
    cchc_hex_encode (seed_hex, self->secret, 32);  //  seed is the first half
    int n =
        snprintf (text, sizeof text, "%s\n%s %s\n", S_SECRET_COMMENT, S_SECRET_TAG, seed_hex);
    sodium_memzero (seed_hex, sizeof seed_hex);
    assert (n > 0 && (size_t) n < sizeof text);
    int rc = s_write_new_file (secret_path, text, (size_t) n, 0600, err, errlen);
    sodium_memzero (text, sizeof text);
    if (rc != 0)
        return -1;

    if (public_path) {
        char pk_hex [2 * 32 + 1];
        cchc_hex_encode (pk_hex, self->public_key, 32);
        n = snprintf (text, sizeof text, "%s %s\n", S_PUBLIC_TAG, pk_hex);
        assert (n > 0 && (size_t) n < sizeof text);
        if (s_write_new_file (public_path, text, (size_t) n, 0644, err, errlen) != 0) {
            unlink (secret_path);  //  ours, just created: all or nothing
            return -1;
        }
    }
    return 0;
}
