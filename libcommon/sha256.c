/* The one-shot SHA256_* functions allocate nothing, unlike EVP contexts in
 * OpenSSL 3 (one allocation per EVP_DigestInit_ex2), and hashing is on the
 * import path of every header. They are deprecated in 3.0 but kept. */
#define OPENSSL_API_COMPAT 0x10100000L

#include "sha256.h"

#include <openssl/sha.h>

int
cs_sha256d(const void *data, size_t len, uint8_t out[32])
{
	uint8_t first[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;

	if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, data, len) != 1 || SHA256_Final(first, &ctx) != 1)
		return -1;
	if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, first, sizeof(first)) != 1 ||
	    SHA256_Final(out, &ctx) != 1)
		return -1;
	return 0;
}
