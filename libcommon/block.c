#include "block.h"

#include "exit.h"
#include "hex.h"
#include "sha256.h"


#include <inttypes.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

/* The smallest transaction (version, two empty counts, locktime), input
 * (outpoint, empty script, sequence) and output (value, empty script):
 * declared counts are checked against these before any loop runs. */
#define TX_MIN 10
#define INPUT_MIN 41
#define OUTPUT_MIN 9

struct reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

/* Bitcoin's merkle tree, one leaf at a time: inner[level] holds the
 * pending left node of each level, so memory is fixed whatever the count
 * (the body cap keeps the count far below 2^32). */
struct merkle {
	uint8_t inner[32][32];
	uint32_t count;
	bool mutated;
};

static int
bad(struct cs_error *err, size_t at, const char *what)
{
	return cs_error_set(err, CS_EX_DATAERR, "body byte %zu: %s", at, what);
}

static int
bad_tx(struct cs_error *err, size_t at, uint32_t index, const char *what)
{
	return cs_error_set(err, CS_EX_DATAERR, "body byte %zu: transaction %u: %s", at, index,
	    what);
}

static size_t
left(const struct reader *r)
{
	return r->len - r->pos;
}

/* Skips n bytes; -1 (position unchanged) when fewer are left. */
static int
skip(struct reader *r, uint64_t n)
{
	if (n > left(r))
		return -1;
	r->pos += (size_t)n;
	return 0;
}

static int
read_u8(struct reader *r, uint8_t *v)
{
	if (left(r) < 1)
		return -1;
	*v = r->data[r->pos++];
	return 0;
}

/* A compact size, refusing the non-canonical forms Core refuses;
 * -1 when truncated, -2 when not canonical. */
static int
read_compact(struct reader *r, uint64_t *v)
{
	uint8_t first;
	size_t width;
	uint64_t value = 0, min;

	if (read_u8(r, &first) != 0)
		return -1;
	if (first < 0xfd) {
		*v = first;
		return 0;
	}
	width = first == 0xfd ? 2 : first == 0xfe ? 4 : 8;
	min = first == 0xfd ? 0xfd : first == 0xfe ? 0x10000 : 0x100000000;
	if (left(r) < width)
		return -1;
	for (size_t i = 0; i < width; i++)
		value |= (uint64_t)r->data[r->pos + i] << (8 * i);
	if (value < min)
		return -2;
	r->pos += width;
	*v = value;
	return 0;
}

/* Reads a count of things each at least min_size bytes long. */
static int
read_count(struct reader *r, uint32_t index, size_t min_size, const char *what,
    uint64_t *count, struct cs_error *err)
{
	size_t at = r->pos;
	int rc = read_compact(r, count);

	if (rc == -1)
		return cs_error_set(err, CS_EX_DATAERR,
		    "body byte %zu: transaction %u: truncated %s count", at, index, what);
	if (rc == -2)
		return cs_error_set(err, CS_EX_DATAERR,
		    "body byte %zu: transaction %u: non-canonical %s count", at, index, what);
	if (*count > left(r) / min_size)
		return cs_error_set(err, CS_EX_DATAERR,
		    "body byte %zu: transaction %u: %llu %ss cannot fit in the %zu bytes left",
		    at, index, (unsigned long long)*count, what, left(r));
	return 0;
}

/* Skips a length-prefixed byte string (a script or a witness item). */
static int
skip_bytes(struct reader *r, uint32_t index, const char *what, struct cs_error *err)
{
	size_t at = r->pos;
	uint64_t len;
	int rc = read_compact(r, &len);

	if (rc == -1)
		return cs_error_set(err, CS_EX_DATAERR,
		    "body byte %zu: transaction %u: truncated %s length", at, index, what);
	if (rc == -2)
		return cs_error_set(err, CS_EX_DATAERR,
		    "body byte %zu: transaction %u: non-canonical %s length", at, index, what);
	if (skip(r, len) != 0)
		return cs_error_set(err, CS_EX_DATAERR,
		    "body byte %zu: transaction %u: truncated %s (%llu bytes declared, %zu left)",
		    r->pos, index, what, (unsigned long long)len, left(r));
	return 0;
}

static int
skip_inputs(struct reader *r, uint32_t index, uint64_t count, struct cs_error *err)
{
	for (uint64_t i = 0; i < count; i++) {
		if (skip(r, 36) != 0)
			return bad_tx(err, r->pos, index, "truncated input outpoint");
		if (skip_bytes(r, index, "input script", err) != 0)
			return CS_EX_DATAERR;
		if (skip(r, 4) != 0)
			return bad_tx(err, r->pos, index, "truncated input sequence");
	}
	return 0;
}

static int
skip_outputs(struct reader *r, uint32_t index, uint64_t count, struct cs_error *err)
{
	for (uint64_t i = 0; i < count; i++) {
		if (skip(r, 8) != 0)
			return bad_tx(err, r->pos, index, "truncated output value");
		if (skip_bytes(r, index, "output script", err) != 0)
			return CS_EX_DATAERR;
	}
	return 0;
}

/* One witness stack per input; at least one must be non-empty, else the
 * flag was superfluous and Core refuses the transaction. */
static int
skip_witnesses(struct reader *r, uint32_t index, uint64_t inputs, struct cs_error *err)
{
	bool any = false;

	for (uint64_t i = 0; i < inputs; i++) {
		uint64_t items;

		if (read_count(r, index, 1, "witness item", &items, err) != 0)
			return CS_EX_DATAERR;
		any = any || items != 0;
		for (uint64_t j = 0; j < items; j++) {
			if (skip_bytes(r, index, "witness item", err) != 0)
				return CS_EX_DATAERR;
		}
	}
	if (!any)
		return bad_tx(err, r->pos, index, "superfluous witness record");
	return 0;
}

/*
 * Parses one transaction as Core's UnserializeTransaction does: an empty
 * input list followed by a non-zero byte is the segwit marker and flag.
 * Fills tx (txid, offset, length).
 */
static int
parse_tx(struct reader *r, uint32_t index, struct cs_tx_ref *tx, uint8_t wtxid[32],
    bool *witness, struct cs_error *err)
{
	const uint8_t *data = r->data;
	size_t start = r->pos, stripped_start, stripped_end, at;
	uint64_t inputs, outputs;
	uint8_t flag = 0;
	struct cs_piece pieces[3];
	size_t npieces;

	if (skip(r, 4) != 0)
		return bad_tx(err, r->pos, index, "truncated version");
	stripped_start = r->pos;
	if (read_count(r, index, INPUT_MIN, "input", &inputs, err) != 0)
		return CS_EX_DATAERR;
	if (inputs == 0) {
		at = r->pos;
		if (read_u8(r, &flag) != 0)
			return bad_tx(err, at, index, "truncated output count");
		if (flag != 0 && flag != 1) {
			return cs_error_set(err, CS_EX_DATAERR,
			    "body byte %zu: transaction %u: unknown transaction flag 0x%02x", at,
			    index, flag);
		}
		if (flag == 0) {
			/* No inputs and no outputs: that zero was the output count. */
			outputs = 0;
		} else {
			stripped_start = r->pos;
			if (read_count(r, index, INPUT_MIN, "input", &inputs, err) != 0 ||
			    skip_inputs(r, index, inputs, err) != 0 ||
			    read_count(r, index, OUTPUT_MIN, "output", &outputs, err) != 0 ||
			    skip_outputs(r, index, outputs, err) != 0)
				return CS_EX_DATAERR;
		}
	} else if (skip_inputs(r, index, inputs, err) != 0 ||
	    read_count(r, index, OUTPUT_MIN, "output", &outputs, err) != 0 ||
	    skip_outputs(r, index, outputs, err) != 0) {
		return CS_EX_DATAERR;
	}
	stripped_end = r->pos;
	if (flag == 1 && skip_witnesses(r, index, inputs, err) != 0)
		return CS_EX_DATAERR;
	if (skip(r, 4) != 0)
		return bad_tx(err, r->pos, index, "truncated locktime");

	if (flag == 1) {
		pieces[0] = (struct cs_piece){ data + start, 4 };
		pieces[1] = (struct cs_piece){ data + stripped_start, stripped_end - stripped_start };
		pieces[2] = (struct cs_piece){ data + r->pos - 4, 4 };
		npieces = 3;
	} else {
		pieces[0] = (struct cs_piece){ data + start, r->pos - start };
		npieces = 1;
	}
	if (cs_sha256d_pieces(pieces, npieces, tx->txid) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "cannot hash a transaction: libcrypto failed");
	/* BIP141's wtxid hashes the whole serialisation, witness included */
	*witness = flag == 1;
	pieces[0] = (struct cs_piece){ data + start, r->pos - start };
	if (flag == 1 && cs_sha256d_pieces(pieces, 1, wtxid) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "cannot hash a transaction: libcrypto failed");
	if (flag != 1)
		memcpy(wtxid, tx->txid, 32);
	tx->offset = start;
	tx->len = r->pos - start;
	return 0;
}

int
cs_merkle_pair(const uint8_t left_node[32], const uint8_t right_node[32], uint8_t out[32])
{
	uint8_t both[64];

	memcpy(both, left_node, 32);
	memcpy(both + 32, right_node, 32);
	return cs_sha256d(both, sizeof(both), out);
}

/* Two equal siblings are how CVE-2012-2459 repeats transactions without
 * changing the root; Core's ComputeMerkleRoot flags them the same way. */
static int
merkle_add(struct merkle *m, const uint8_t leaf[32])
{
	uint8_t node[32];
	unsigned level;

	memcpy(node, leaf, 32);
	m->count++;
	for (level = 0; (m->count & (UINT32_C(1) << level)) == 0; level++) {
		if (memcmp(m->inner[level], node, 32) == 0)
			m->mutated = true;
		if (cs_merkle_pair(m->inner[level], node, node) != 0)
			return -1;
	}
	memcpy(m->inner[level], node, 32);
	return 0;
}

/* Folds the pending nodes into the root, pairing an odd level's last node
 * with itself. m->count must be at least 1. */
static int
merkle_finish(struct merkle *m, uint8_t root[32])
{
	uint32_t count = m->count;
	unsigned level = 0;
	uint8_t node[32];

	while ((count & (UINT32_C(1) << level)) == 0)
		level++;
	memcpy(node, m->inner[level], 32);
	while (count != UINT32_C(1) << level) {
		if (cs_merkle_pair(node, node, node) != 0)
			return -1;
		count += UINT32_C(1) << level;
		level++;
		while ((count & (UINT32_C(1) << level)) == 0) {
			if (memcmp(m->inner[level], node, 32) == 0)
				m->mutated = true;
			if (cs_merkle_pair(m->inner[level], node, node) != 0)
				return -1;
			level++;
		}
	}
	memcpy(root, node, 32);
	return 0;
}

/* BIP141: where a coinbase commits to its block's witnesses. */
struct witness_commitment {
	const uint8_t *commitment; /* 32 bytes of the last matching output, or NULL */
	const uint8_t *reserved;   /* the coinbase's one 32-byte witness item, or NULL */
};

/* Finds the commitment in a coinbase already parsed by parse_tx, as Core's
 * GetWitnessCommitmentIndex (the last output whose script starts
 * OP_RETURN, push 36, aa21a9ed), and the witness reserved value. */
static void
scan_coinbase(const uint8_t *body, const struct cs_tx_ref *tx, struct witness_commitment *wc)
{
	static const uint8_t header[6] = { 0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed };
	struct reader r = { body + tx->offset, tx->len, 4 };
	uint64_t inputs, outputs, len, items;
	uint8_t flag = 0;

	memset(wc, 0, sizeof(*wc));
	if (read_compact(&r, &inputs) != 0)
		return;
	if (inputs == 0 && (read_u8(&r, &flag) != 0 || flag != 1 || read_compact(&r, &inputs) != 0))
		return;
	for (uint64_t i = 0; i < inputs; i++) {
		if (skip(&r, 36) != 0 || read_compact(&r, &len) != 0 || skip(&r, len) != 0 || skip(&r, 4) != 0)
			return;
	}
	if (read_compact(&r, &outputs) != 0)
		return;
	for (uint64_t i = 0; i < outputs; i++) {
		if (skip(&r, 8) != 0 || read_compact(&r, &len) != 0 || len > left(&r))
			return;
		if (len >= 38 && memcmp(r.data + r.pos, header, sizeof(header)) == 0)
			wc->commitment = r.data + r.pos + sizeof(header);
		r.pos += (size_t)len;
	}
	if (flag == 1 && inputs > 0 && read_compact(&r, &items) == 0 && items == 1 && read_compact(&r, &len) == 0 &&
	    len == 32 && left(&r) >= 32)
		wc->reserved = r.data + r.pos;
}

/* Core's CheckWitnessMalleation, for a block whose transactions carry
 * witness data: the coinbase commits to the witness merkle root. (A block
 * without witness data needs no commitment: its merkle root covers it
 * all.) */
static int
check_witness_commitment(struct merkle *witnesses, const struct witness_commitment *wc, struct cs_error *err)
{
	uint8_t both[64], hash[32];

	if (wc->commitment == NULL)
		return cs_error_set(err, CS_EX_DATAERR,
		    "transactions carry witness data but the coinbase commits to none (BIP141)");
	if (wc->reserved == NULL)
		return cs_error_set(err, CS_EX_DATAERR,
		    "coinbase witness is not one 32-byte reserved value (BIP141)");
	if (merkle_finish(witnesses, both) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "cannot hash the merkle tree: libcrypto failed");
	memcpy(both + 32, wc->reserved, 32);
	if (cs_sha256d(both, sizeof(both), hash) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "cannot hash the merkle tree: libcrypto failed");
	if (memcmp(hash, wc->commitment, 32) != 0)
		return cs_error_set(err, CS_EX_DATAERR,
		    "witness merkle root does not match the coinbase's commitment (BIP141)");
	return 0;
}

int
cs_block_parse(const uint8_t *body, size_t body_len, const uint8_t merkle_root[32],
    uint32_t *ntx, cs_block_tx_fn fn, void *ctx, struct cs_error *err)
{
	struct reader r = { body, body_len, 0 };
	struct merkle m, witnesses;
	struct witness_commitment wc = { NULL, NULL };
	struct cs_tx_ref tx;
	uint8_t root[32], wtxid[32];
	bool witness = false, any_witness = false;
	uint64_t count;
	int rc;

	if (body_len > CS_BODY_MAX)
		return cs_error_set(err, CS_EX_DATAERR,
		    "body of %zu bytes is over the limit of %d bytes", body_len, CS_BODY_MAX);
	rc = read_compact(&r, &count);
	if (rc == -1)
		return bad(err, 0, "truncated transaction count");
	if (rc == -2)
		return bad(err, 0, "non-canonical transaction count");
	if (count == 0)
		return bad(err, 0, "block has no transactions");
	if (count > left(&r) / TX_MIN)
		return cs_error_set(err, CS_EX_DATAERR,
		    "body byte 0: %llu transactions cannot fit in the %zu bytes left",
		    (unsigned long long)count, left(&r));

	memset(&m, 0, sizeof(m));
	memset(&witnesses, 0, sizeof(witnesses));
	for (uint32_t i = 0; i < count; i++) {
		if ((rc = parse_tx(&r, i, &tx, wtxid, &witness, err)) != 0)
			goto out;
		any_witness = any_witness || witness;
		if (i == 0) {
			scan_coinbase(body, &tx, &wc);
			memset(wtxid, 0, 32); /* the coinbase's wtxid is taken as zero */
		}
		if (merkle_add(&m, tx.txid) != 0 || merkle_add(&witnesses, wtxid) != 0) {
			rc = cs_error_set(err, CS_EX_SOFTWARE,
			    "cannot hash the merkle tree: libcrypto failed");
			goto out;
		}
		if (fn != NULL && (rc = fn(ctx, i, &tx, err)) != 0)
			goto out;
	}
	if (left(&r) != 0) {
		rc = bad(err, r.pos, "trailing bytes after the last transaction");
		goto out;
	}
	if (merkle_finish(&m, root) != 0) {
		rc = cs_error_set(err, CS_EX_SOFTWARE,
		    "cannot hash the merkle tree: libcrypto failed");
		goto out;
	}
	if (merkle_root != NULL && memcmp(root, merkle_root, 32) != 0) {
		char computed[CS_HASH_HEX], expected[CS_HASH_HEX];

		cs_hash_to_display(root, computed);
		cs_hash_to_display(merkle_root, expected);
		rc = cs_error_set(err, CS_EX_DATAERR,
		    "merkle root %s does not match the header's %s", computed, expected);
		goto out;
	}
	if (m.mutated) {
		rc = cs_error_set(err, CS_EX_DATAERR,
		    "merkle tree is mutated: repeated transactions (CVE-2012-2459)");
		goto out;
	}
	if (merkle_root != NULL && any_witness && (rc = check_witness_commitment(&witnesses, &wc, err)) != 0)
		goto out;
	if (ntx != NULL)
		*ntx = (uint32_t)count;
	rc = 0;
out:
	return rc;
}

/* Stops the parse at the transaction found; not an exit code. */
#define FOUND (-1)

struct find {
	uint32_t index;
	struct cs_tx_ref *tx;
};

static int
find_tx(void *ctx, uint32_t index, const struct cs_tx_ref *tx, struct cs_error *err)
{
	struct find *f = ctx;

	if (index != f->index)
		return 0;
	*f->tx = *tx;
	return FOUND;
}

int
cs_block_find_tx(const uint8_t *body, size_t body_len, uint32_t index, struct cs_tx_ref *tx, struct cs_error *err)
{
	struct find f = { index, tx };
	int rc = cs_block_parse(body, body_len, NULL, NULL, find_tx, &f, err);

	if (rc == FOUND)
		return 0;
	if (rc == 0)
		return cs_error_set(err, CS_EX_NOTFOUND, "body holds no transaction %" PRIu32, index);
	return rc;
}

bool
cs_tx_whole(const uint8_t *data, size_t len)
{
	struct reader r = { data, len, 0 };
	struct cs_tx_ref tx;
	struct cs_error ignored;
	uint8_t wtxid[32];
	bool witness;

	return parse_tx(&r, 0, &tx, wtxid, &witness, &ignored) == 0 && !witness && r.pos == len;
}

struct txid_list {
	uint8_t (*v)[32];
	uint32_t n;
};

static int
add_txid(void *ctx, uint32_t index, const struct cs_tx_ref *tx, struct cs_error *err)
{
	struct txid_list *t = ctx;

	memcpy(t->v[t->n++], tx->txid, 32);
	return 0;
}

int
cs_block_txids(const uint8_t *body, size_t body_len, uint8_t (**txids)[32], uint32_t *ntx, struct cs_error *err)
{
	/* a transaction is at least TX_MIN bytes: the body bounds the count */
	struct txid_list t = { malloc((body_len / TX_MIN + 1) * 32), 0 };
	int rc;

	*txids = NULL;
	if (t.v == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	if ((rc = cs_block_parse(body, body_len, NULL, NULL, add_txid, &t, err)) != 0) {
		free(t.v);
		return rc;
	}
	*txids = t.v;
	*ntx = t.n;
	return 0;
}
