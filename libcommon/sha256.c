#include "sha256.h"

#include <openssl/evp.h>

static EVP_MD *sha256_md;
static EVP_MD_CTX *sha256_ctx;

static int
sha256_once(const void *data, size_t len, uint8_t out[32])
{
	unsigned int outlen = 0;

	if (EVP_DigestInit_ex2(sha256_ctx, sha256_md, NULL) != 1 ||
	    EVP_DigestUpdate(sha256_ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(sha256_ctx, out, &outlen) != 1 || outlen != 32)
		return -1;
	return 0;
}

int
cs_sha256d(const void *data, size_t len, uint8_t out[32])
{
	uint8_t first[32];

	if (sha256_md == NULL) {
		sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
		sha256_ctx = EVP_MD_CTX_new();
		if (sha256_md == NULL || sha256_ctx == NULL)
			return -1;
	}
	if (sha256_once(data, len, first) != 0)
		return -1;
	return sha256_once(first, sizeof(first), out);
}
