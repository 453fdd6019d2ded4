/*
 * fuzz_proof - inclusion proofs as cs-verify reads and checks them: hex
 * lines, JSON lines or CBOR (told apart by the first byte), and the same
 * bytes again as raw CMerkleBlocks (--input raw). Each proof read is
 * checked (proof.h) without a store: a false proof is CS_EX_DATAERR with a
 * message, a sound one shows transactions at positions its tree can hold.
 */
#include "fuzz.h"
#include "proof.h"

static void
check_proof(const struct cs_proof_in *p)
{
	struct cs_proof_checked c;
	struct cs_error err;
	uint8_t root[32];
	int rc;

	if (p->branch) {
		FUZZ_CHECK(p->depth <= 101);
		rc = cs_proof_fold_branch(p->txid, p->pos, p->merkle, p->depth, root, &err);
		FUZZ_CHECK(rc == 0 || rc == CS_EX_DATAERR);
		FUZZ_CHECK(rc != 0 || (p->depth <= CS_PROOF_DEPTH_MAX && p->pos >> p->depth == 0));
		FUZZ_CHECK(rc == 0 || err.message[0] != '\0');
		return;
	}
	fuzz_touch(p->merkleblock, p->merkleblock_len);
	rc = cs_proof_check_merkleblock(p->merkleblock, p->merkleblock_len, &c, &err);
	FUZZ_CHECK(rc == 0 || rc == CS_EX_DATAERR);
	if (rc != 0) {
		FUZZ_CHECK(err.message[0] != '\0');
		return;
	}
	FUZZ_CHECK(c.count >= 1 && c.count <= c.ntx && c.ntx <= CS_PROOF_TX_MAX);
	for (size_t i = 0; i < c.count; i++) {
		FUZZ_CHECK(c.matches[i].pos < c.ntx);
		FUZZ_CHECK(i == 0 || c.matches[i].pos > c.matches[i - 1].pos);
	}
	cs_proof_checked_free(&c);
}

static void
read_proofs(const uint8_t *data, size_t size, bool raw)
{
	struct cs_reader r;
	struct cs_proof_in p;
	struct cs_error err;
	uint64_t n = 0;
	char path[64];
	int fd = fuzz_file(data, size, path);

	cs_error_clear(&err);
	FUZZ_CHECK(cs_reader_open(&r, path, CS_FORMAT_HEX, NULL, &err) == 0);
	r.format = raw ? CS_FORMAT_RAW : CS_FORMAT_HEX;
	r.sniff = !raw;
	for (;;) {
		enum cs_read st = cs_reader_next_proof(&r, &p, true, &err);

		if (st == CS_READ_END)
			break;
		if (st == CS_READ_ERROR) {
			fuzz_check_error(&err, n, size);
			break;
		}
		FUZZ_CHECK(st == CS_READ_RECORD);
		n++;
		FUZZ_CHECK(p.item == n);
		FUZZ_CHECK(p.offset < size);
		check_proof(&p);
	}
	cs_reader_close(&r);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_proofs(data, size, false);
	read_proofs(data, size, true);
	return 0;
}
