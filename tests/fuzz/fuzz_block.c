/*
 * fuzz_block - block bodies (transaction count and transactions, segwit
 * included) through cs_block_parse, as cs-put checks a body before it is
 * stored. Each transaction the parser reports must lie inside the body, in
 * order; and when a body parses, the merkle root of its txids computed here
 * the plain way (whole levels, the odd last node paired with itself) must
 * be the one the parser accepts (a body with witness data must also match
 * its coinbase's BIP141 commitment then).
 */
#include "fuzz.h"

#include "block.h"
#include "sha256.h"

struct seen {
	uint8_t (*txids)[32];
	size_t cap;
	uint32_t count;
	size_t end; /* where the last transaction ended */
	size_t body_len;
};

static int
on_tx(void *ctx, uint32_t index, const struct cs_tx_ref *tx, struct cs_error *err)
{
	struct seen *s = ctx;

	FUZZ_CHECK(index == s->count);
	FUZZ_CHECK(tx->offset == s->end || (index == 0 && tx->offset >= 1 && tx->offset <= 9));
	FUZZ_CHECK(tx->len >= 10 && tx->offset + tx->len <= s->body_len);
	s->end = tx->offset + tx->len;
	if (s->count < s->cap)
		memcpy(s->txids[s->count], tx->txid, 32);
	s->count++;
	return 0;
}

static void
plain_merkle_root(uint8_t (*level)[32], size_t n, uint8_t root[32])
{
	while (n > 1) {
		size_t out = 0;

		for (size_t i = 0; i < n; i += 2) {
			uint8_t both[64];

			memcpy(both, level[i], 32);
			memcpy(both + 32, level[i + 1 < n ? i + 1 : i], 32);
			FUZZ_CHECK(cs_sha256d(both, 64, level[out++]) == 0);
		}
		n = out;
	}
	memcpy(root, level[0], 32);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cs_error err;
	struct seen s;
	uint8_t root[32], wrong[32];
	uint32_t ntx = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	s.body_len = size;
	s.cap = size / 10 + 1; /* a transaction is at least 10 bytes */
	s.txids = malloc(s.cap * 32);
	FUZZ_CHECK(s.txids != NULL);
	cs_error_clear(&err);
	rc = cs_block_parse(data, size, NULL, &ntx, on_tx, &s, &err);
	FUZZ_CHECK(rc == 0 || rc == CS_EX_DATAERR);
	if (rc != 0) {
		FUZZ_CHECK(err.code == rc && err.message[0] != '\0');
		free(s.txids);
		return 0;
	}
	FUZZ_CHECK(ntx == s.count && ntx >= 1 && s.end == size);
	plain_merkle_root(s.txids, s.count, root);
	s.count = 0;
	s.end = 0;
	/* with its root, it parses again, unless its witness data does not
	 * match the coinbase's commitment (checked only against a header) */
	rc = cs_block_parse(data, size, root, &ntx, on_tx, &s, &err);
	FUZZ_CHECK(rc == 0 || (rc == CS_EX_DATAERR && strstr(err.message, "(BIP141)") != NULL));
	memcpy(wrong, root, 32);
	wrong[0] ^= 1;
	s.count = 0;
	s.end = 0;
	FUZZ_CHECK(cs_block_parse(data, size, wrong, NULL, NULL, NULL, &err) == CS_EX_DATAERR);
	FUZZ_CHECK(strncmp(err.message, "merkle root ", 12) == 0);
	free(s.txids);
	return 0;
}
