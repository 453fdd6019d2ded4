/*
 * sha256.h - SHA-256d (double SHA-256) through OpenSSL's libcrypto.
 *
 * A hash costs no allocation; the functions are reentrant.
 */
#ifndef CS_SHA256_H
#define CS_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* out = SHA256(SHA256(data)); returns 0, or -1 if libcrypto fails. */
int cs_sha256d(const void *data, size_t len, uint8_t out[32]);

/* The same of the pieces' bytes one after the other, hashed in place (a
 * segwit transaction's txid leaves out its marker, flag and witnesses). */
struct cs_piece {
	const void *data;
	size_t len;
};
int cs_sha256d_pieces(const struct cs_piece *pieces, size_t n, uint8_t out[32]);

#endif
