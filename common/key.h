/*  key.h — Ed25519 key pairs and their files.

    One key pair per agent and one for the collector.  The same pair also gives
    the X25519 transport keys used by CurveZMQ (crypto_sign_ed25519_*_to_curve25519),
    so an enrolled signing key is all the collector needs to admit a transport.

    Secret key file (text, mode 0600, refused if group or others have any access):
        # cchc secret key: keep private, mode 0600
        cchc-ed25519-secret-v1 <64 hex digits: the 32-byte seed>
    Public key file (text, any mode):
        cchc-ed25519-public-v1 <64 hex digits: the 32-byte public key>
    The printable public key used for enrolment is the 64 lowercase hex digits.
    Loading accepts either line preceded by comment lines starting with '#'.

    Secret material is kept in sodium_malloc'd memory, zeroed on destroy,
    and never logged.
*/
#ifndef CCHC_KEY_H
#define CCHC_KEY_H

#include <stddef.h>
#include <stdint.h>

#define CCHC_KEY_PUBLIC_BYTES 32
#define CCHC_KEY_SECRET_BYTES 64 /* libsodium's seed||public form */
#define CCHC_KEY_SIGNATURE_BYTES 64
#define CCHC_KEY_HEX_LEN 64 /* printable public key, without NUL */

typedef struct cchc_key_t cchc_key_t;

/*  A fresh random pair, or one from a 32-byte seed (tests, vectors).
    NULL on allocation failure. */
cchc_key_t *cchc_key_new (void);
cchc_key_t *cchc_key_new_from_seed (const uint8_t seed [32]);

/*  Load a secret key file.  Refuses a file that is not a regular file, that
    group/others can access, or that is malformed; the reason goes into err.
    NULL on failure. */
cchc_key_t *cchc_key_load (const char *path, char *err, size_t errlen);

/*  Load only a public key file (or a file holding just 64 hex digits). */
int cchc_key_load_public (const char *path, uint8_t pk [32], char *err, size_t errlen);

/*  The same two over text[0..len) already read from a file called `name`
    (used in messages; the file checks — regular file, mode — are the
    caller's).  The caller wipes the text. */
cchc_key_t *cchc_key_parse_secret_text (const char *name, const char *text, size_t len,
                                        char *err, size_t errlen);
int cchc_key_parse_public_text (const char *name, const char *text, size_t len,
                                uint8_t pk [32], char *err, size_t errlen);

/*  Write the secret file (created 0600, written to a temporary then renamed,
    never overwriting an existing file) and, if public_path is not NULL, the
    public file (0644).  Returns 0 or -1 with err set. */
int cchc_key_save (const cchc_key_t *self, const char *secret_path, const char *public_path,
                   char *err, size_t errlen);

void cchc_key_destroy (cchc_key_t **self_p);

const uint8_t *cchc_key_public (const cchc_key_t *self);
/*  Printable public key: 64 lowercase hex digits + NUL into out[65]. */
void cchc_key_public_hex (const cchc_key_t *self, char out [65]);
/*  Parse a printable public key.  Returns 0 or -1. */
int cchc_key_parse_public (const char *hex, uint8_t pk [32]);

/*  Detached Ed25519 signature of msg. Can't fail. */
void cchc_key_sign (const cchc_key_t *self, uint8_t sig [64], const uint8_t *msg, size_t len);

/*  CurveZMQ transport keys (Z85, 40 chars + NUL) derived from a pair or a
    public key.  Return 0 or -1 (a public key that is not a valid point). */
int cchc_key_curve_public_z85 (const uint8_t pk [32], char out [41]);
int cchc_key_curve_secret_z85 (const cchc_key_t *self, char out [41]);

/*  Z85 (ZeroMQ RFC 32) of `len` bytes, a multiple of 4, into out
    (size >= len / 4 * 5 + 1).  Can't fail. */
void cchc_key_z85_encode (char *out, const uint8_t *bin, size_t len);

#endif
