/* The SHA256_* functions allocate nothing, unlike EVP contexts in OpenSSL 3
 * (one allocation per EVP_DigestInit_ex2, and a provider fetch), and
 * hashing is on the import path of every header and transaction. They are
 * deprecated in 3.0 but kept. */
#define OPENSSL_API_COMPAT 0x10100000L

#include "sha256.h"

#include <openssl/sha.h>

int
cs_sha256d_pieces(const struct cs_piece *pieces, size_t n, uint8_t out[32])
{
	uint8_t first[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;

	if (SHA256_Init(&ctx) != 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (SHA256_Update(&ctx, pieces[i].data, pieces[i].len) != 1)
			return -1;
	}
	if (SHA256_Final(first, &ctx) != 1)
		return -1;
	if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, first, sizeof(first)) != 1 ||
	    SHA256_Final(out, &ctx) != 1)
		return -1;
	return 0;
}

int
cs_sha256d(const void *data, size_t len, uint8_t out[32])
{
	struct cs_piece piece = { data, len };

	return cs_sha256d_pieces(&piece, 1, out);
}
