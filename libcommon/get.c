#include "get.h"

#include "block.h"
#include "exit.h"
#include "grow.h"
#include "header.h"
#include "hex.h"
#include "reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Something asked for is not there: said through g->missing, and the
 * status is 1. */
static void __attribute__((format(printf, 2, 3)))
missing(struct cs_get *g, const char *fmt, ...)
{
	char message[CS_ERROR_MAX];
	va_list ap;

	g->status = CS_EX_NOTFOUND;
	if (g->missing == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	g->missing(g->ctx, message);
}

void
cs_get_init(struct cs_get *g, struct cs_store *s, struct cs_out *out, const struct cs_print *how)
{
	memset(g, 0, sizeof(*g));
	g->store = s;
	g->out = out;
	g->how = *how;
	cs_chain_view_init(&g->view, s);
	g->how.view = &g->view;
}

void
cs_get_free(struct cs_get *g)
{
	if (g->pb.loaded)
		cs_merkle_tree_free(&g->pb.tree);
	g->pb.loaded = false;
}

/* Why an entry has no body: its stored flags say whether one was pruned
 * (an entry from the main-chain cursor carries none). */
static int
warn_no_body(struct cs_get *g, const uint8_t hash[32], struct cs_error *err)
{
	char hex[CS_HASH_HEX], *owned;
	struct cs_entry e;
	int rc = cs_store_read_entry(g->store, hash, &e, &owned, err);

	if (rc != 0)
		return rc;
	cs_hash_to_display(hash, hex);
	missing(g, "'%s': %s", hex, (e.flags & CS_ENTRY_PRUNED) ? "body pruned" : "no body");
	cs_store_free(owned);
	return 0;
}

/* Prints e, with its body when asked. */
static int
print_found(struct cs_get *g, struct cs_entry *e, struct cs_error *err)
{
	char *body = NULL;
	size_t body_len;
	int rc = 0;

	if (g->how.with_body) {
		rc = cs_store_get_body(g->store, e->hash, &body, &body_len, err);
		if (rc == 0) {
			e->body = (const uint8_t *)body;
			e->body_len = body_len;
		} else if (rc == CS_EX_NOTFOUND) {
			rc = warn_no_body(g, e->hash, err);
		}
	}
	if (rc == 0)
		rc = cs_write_entry(g->out, &g->how, e, err);
	cs_store_free(body);
	return rc != 0 ? rc : cs_out_drain(g->out, g->store, false, err);
}

/* main: the hash came from the height index, so the entry is on the main
 * chain; that read is spared too when the format does not show it. */
static int
print_hash(struct cs_get *g, const uint8_t hash[32], bool main, struct cs_error *err)
{
	char hex[CS_HASH_HEX], *owned;
	struct cs_entry e;
	int rc;

	if ((rc = cs_store_acquire(g->store, err)) != 0)
		return rc;
	if (main || !cs_print_shows_status(&g->how)) {
		if ((rc = cs_store_read_entry(g->store, hash, &e, &owned, err)) == 0)
			e.main = main;
	} else {
		rc = cs_store_get_entry(g->store, hash, &e, &owned, err);
	}
	if (rc == CS_EX_NOTFOUND) {
		cs_hash_to_display(hash, hex);
		missing(g, "'%s': not found", hex);
		return 0;
	}
	if (rc != 0)
		return rc;
	rc = print_found(g, &e, err);
	cs_store_free(owned);
	return rc;
}

static int
print_height(struct cs_get *g, uint32_t height, struct cs_error *err)
{
	uint8_t hash[32];
	int rc;

	if ((rc = cs_store_acquire(g->store, err)) != 0)
		return rc;
	rc = cs_store_get_main(g->store, height, hash, err);
	if (rc == CS_EX_NOTFOUND) {
		missing(g, "height %u: not found", height);
		return 0;
	}
	if (rc != 0)
		return rc;
	return print_hash(g, hash, true, err);
}

static int
tip_height(struct cs_get *g, uint32_t *height, struct cs_error *err)
{
	struct cs_entry e;
	char *owned;
	int rc;

	if ((rc = cs_store_acquire(g->store, err)) != 0 ||
	    (rc = cs_store_get_tip_entry(g->store, &e, &owned, err)) != 0)
		return rc;
	*height = e.height;
	cs_store_free(owned);
	return 0;
}

/* Heights from..to (inclusive); exit 1 when the range holds none. */
static int
print_range(struct cs_get *g, uint32_t from, uint32_t to, struct cs_error *err)
{
	struct cs_main_cursor cursor;
	struct cs_entry e;
	uint32_t tip;
	int rc;

	if ((rc = tip_height(g, &tip, err)) != 0)
		return rc;
	if (to > tip)
		to = tip;
	/* a store that starts at a checkpoint has no heights below it */
	if (from < g->store->meta.base_height)
		from = g->store->meta.base_height;
	if (from > to) {
		g->status = CS_EX_NOTFOUND;
		return 0;
	}
	/* One sequential read of the height index (store.h). Where the chain
	 * moved while the store was let go, each height still gets the entry
	 * the index names then. */
	cs_main_cursor_init(&cursor, g->store, from);
	for (uint64_t h = from; h <= to && !g->out->closed; h++) {
		if ((rc = cs_store_acquire(g->store, err)) != 0 || (rc = cs_main_cursor_next(&cursor, &e, err)) != 0 ||
		    (rc = print_found(g, &e, err)) != 0)
			break;
	}
	cs_main_cursor_close(&cursor);
	return rc == CS_EX_NOTFOUND ? 0 : rc;
}

static int print_proof_of(struct cs_get *g, const uint8_t txid[32], struct cs_error *err);

/* Keys on standard input: entries by hash or height, or with --proof
 * proofs of txids, one each. */
static int
print_keys(struct cs_get *g, struct cs_error *err)
{
	struct cs_reader reader;
	struct cs_key key;
	int rc = 0;

	if ((rc = cs_reader_open(&reader, NULL, CS_FORMAT_CBOR, NULL, err)) != 0)
		return rc;
	while (rc == 0 && !g->out->closed) {
		enum cs_read st = cs_reader_next_key(&reader, &key, false, err);

		if (st == CS_READ_WOULD_BLOCK) {
			if ((rc = cs_out_drain(g->out, g->store, true, err)) != 0)
				break;
			st = cs_reader_next_key(&reader, &key, true, err);
		}
		if (st == CS_READ_END)
			break;
		if (st == CS_READ_ERROR) {
			rc = err->code;
			break;
		}
		if (g->proof && key.kind != CS_KEY_HASH) {
			rc = cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: %s is not a txid",
			    (unsigned long long)key.item, (unsigned long long)key.offset,
			    key.kind == CS_KEY_HEIGHT ? "a height" : "a locator");
			break;
		}
		switch (key.kind) {
		case CS_KEY_HASH:
			rc = g->proof ? print_proof_of(g, key.hash, err) : print_hash(g, key.hash, false, err);
			break;
		case CS_KEY_HEIGHT:
			rc = print_height(g, (uint32_t)key.height, err);
			break;
		case CS_KEY_LOCATOR:
			for (size_t i = 0; i < key.count && rc == 0; i++)
				rc = print_hash(g, key.hashes[i], false, err);
			break;
		}
	}
	cs_reader_close(&reader);
	return rc;
}

struct holders {
	struct cs_tx_found *v;
	size_t n, cap;
};

static int
collect_holder(void *ctx, const uint8_t block[32], uint32_t index, struct cs_error *err)
{
	struct holders *h = ctx;

	struct cs_tx_found *grown = cs_grow(h->v, &h->cap, h->n + 1, 4, sizeof(*grown));

	if (grown == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	h->v = grown;
	memset(&h->v[h->n], 0, sizeof(h->v[0]));
	memcpy(h->v[h->n].block, block, 32);
	h->v[h->n++].index = index;
	return 0;
}

/* One holder of txid: its block's entry and the transaction in its body. */
static int
print_holder(struct cs_get *g, const uint8_t txid[32], struct cs_tx_found *t, bool main_chain, struct cs_error *err)
{
	char *owned = NULL, *body = NULL, hex[CS_HASH_HEX];
	struct cs_entry e;
	struct cs_tx_ref ref;
	size_t body_len;
	int rc;

	if ((rc = cs_store_get_entry(g->store, t->block, &e, &owned, err)) != 0 || e.main != main_chain)
		goto out;
	if ((rc = cs_store_get_body(g->store, t->block, &body, &body_len, err)) == 0)
		rc = cs_block_find_tx((const uint8_t *)body, body_len, t->index, &ref, err);
	if (rc == 0 && memcmp(ref.txid, txid, 32) != 0)
		rc = CS_EX_NOTFOUND;
	if (rc == CS_EX_NOTFOUND || rc == CS_EX_DATAERR) {
		cs_hash_to_display(t->block, hex);
		rc = cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: transaction index names block %s", g->store->dir,
		    hex);
		goto out;
	}
	if (rc != 0)
		goto out;
	memcpy(t->txid, txid, 32);
	t->tx = (const uint8_t *)body + ref.offset;
	t->tx_len = ref.len;
	t->height = e.height;
	t->main = e.main;
	t->block_time = cs_le32(e.header + 68);
	rc = cs_write_tx(g->out, g->how.format, &g->view, t, err);
out:
	cs_store_free(body);
	cs_store_free(owned);
	return rc;
}

/* Every block holding txid, main chain first. */
static int
print_tx(struct cs_get *g, const uint8_t txid[32], struct cs_error *err)
{
	struct holders h = { 0 };
	char hex[CS_HASH_HEX];
	int rc;

	if ((rc = cs_store_acquire(g->store, err)) != 0)
		return rc;
	rc = cs_store_each_tx(g->store, txid, collect_holder, &h, err);
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (size_t i = 0; i < h.n && rc == 0; i++)
			rc = print_holder(g, txid, &h.v[i], pass == 0, err);
	}
	if (rc == 0 && h.n == 0) {
		cs_hash_to_display(txid, hex);
		missing(g, "'%s': not found", hex);
	}
	free(h.v);
	return rc != 0 ? rc : cs_out_drain(g->out, g->store, false, err);
}

/* A txid's holder for a proof: the main-chain block holding it, else the
 * first fork block. CS_EX_NOTFOUND when no stored body holds it. */
static int
find_holder(struct cs_get *g, const uint8_t txid[32], uint8_t block[32], uint32_t *pos, struct cs_error *err)
{
	struct holders h = { 0 };
	size_t chosen = 0; /* on no main chain: the first holder */
	int rc;

	rc = cs_store_each_tx(g->store, txid, collect_holder, &h, err);
	if (rc == 0 && h.n == 0)
		rc = CS_EX_NOTFOUND;
	for (size_t i = 0; rc == 0 && i < h.n; i++) {
		struct cs_entry e;
		char *owned;

		if ((rc = cs_store_get_entry(g->store, h.v[i].block, &e, &owned, err)) != 0)
			break;
		cs_store_free(owned);
		if (e.main) {
			chosen = i;
			break;
		}
	}
	if (rc == 0) {
		memcpy(block, h.v[chosen].block, 32);
		*pos = h.v[chosen].index;
	}
	free(h.v);
	return rc;
}

/* Makes g->pb the tree of block (its body verified when it was stored). */
static int
load_proof_block(struct cs_get *g, const uint8_t block[32], struct cs_error *err)
{
	struct cs_get_proof_block *pb = &g->pb;
	char *owned = NULL, *body = NULL, hex[CS_HASH_HEX];
	uint8_t(*txids)[32] = NULL;
	struct cs_entry e;
	size_t body_len;
	uint32_t ntx;
	int rc;

	if (pb->loaded && memcmp(pb->hash, block, 32) == 0)
		return 0;
	if (pb->loaded)
		cs_merkle_tree_free(&pb->tree);
	pb->loaded = false;
	if ((rc = cs_store_read_entry(g->store, block, &e, &owned, err)) != 0 ||
	    (rc = cs_store_get_body(g->store, block, &body, &body_len, err)) != 0) {
		if (rc == CS_EX_NOTFOUND) {
			cs_hash_to_display(block, hex);
			rc = cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: transaction index names block %s",
			    g->store->dir, hex);
		}
		goto out;
	}
	if ((rc = cs_block_txids((const uint8_t *)body, body_len, &txids, &ntx, err)) != 0 ||
	    (rc = cs_merkle_tree_build(&pb->tree, (const uint8_t(*)[32])txids, ntx, err)) != 0)
		goto out;
	memcpy(pb->hash, block, 32);
	memcpy(pb->header, e.header, 80);
	pb->height = e.height;
	pb->loaded = true;
out:
	free(txids);
	cs_store_free(body);
	cs_store_free(owned);
	return rc;
}

/* A txid asked for, where the store holds it. */
struct wanted {
	uint8_t txid[32];
	uint8_t block[32];
	uint32_t pos;
	bool done;
};

/* Proofs of txids: in json and cbor one branch a txid, in hex and raw one
 * CMerkleBlock a block, for all the txids it holds. */
static int
print_proofs(struct cs_get *g, struct wanted *w, size_t n, struct cs_error *err)
{
	uint8_t branch[CS_PROOF_DEPTH_MAX][32];
	uint32_t *pos = NULL;
	char hex[CS_HASH_HEX];
	int rc = 0;

	if ((rc = cs_store_acquire(g->store, err)) != 0)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = find_holder(g, w[i].txid, w[i].block, &w[i].pos, err);
		if (rc == CS_EX_NOTFOUND) {
			cs_hash_to_display(w[i].txid, hex);
			missing(g, "'%s': not found", hex);
			rc = 0;
			w[i].done = true;
		}
	}
	if (rc == 0 && (pos = malloc((n ? n : 1) * sizeof(*pos))) == NULL)
		rc = cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t npos = 0;

		if (w[i].done || (rc = load_proof_block(g, w[i].block, err)) != 0)
			continue;
		if (g->how.format == CS_FORMAT_JSON || g->how.format == CS_FORMAT_CBOR) {
			struct cs_branch_found b = { .height = g->pb.height, .pos = w[i].pos };

			memcpy(b.txid, w[i].txid, 32);
			memcpy(b.block, w[i].block, 32);
			b.depth = cs_merkle_tree_branch(&g->pb.tree, w[i].pos, branch);
			b.merkle = (const uint8_t(*)[32])branch;
			cs_write_branch(g->out, g->how.format, &b);
			w[i].done = true;
			continue;
		}
		for (size_t j = i; j < n; j++) {
			if (!w[j].done && memcmp(w[j].block, w[i].block, 32) == 0) {
				pos[npos++] = w[j].pos;
				w[j].done = true;
			}
		}
		{
			uint8_t *proof;
			size_t len;

			if ((rc = cs_proof_merkleblock(&g->pb.tree, g->pb.header, pos, npos, &proof, &len, err)) == 0)
				cs_write_merkleblock(g->out, g->how.format, proof, len);
			free(proof);
		}
	}
	free(pos);
	return rc != 0 ? rc : cs_out_drain(g->out, g->store, false, err);
}

/* One txid read by --proof -: a proof of its own. */
static int
print_proof_of(struct cs_get *g, const uint8_t txid[32], struct cs_error *err)
{
	struct wanted w = { 0 };

	memcpy(w.txid, txid, 32);
	return print_proofs(g, &w, 1, err);
}


int
cs_get_hash(struct cs_get *g, const uint8_t hash[32], struct cs_error *err)
{
	return print_hash(g, hash, false, err);
}

int
cs_get_height(struct cs_get *g, uint32_t height, struct cs_error *err)
{
	return print_height(g, height, err);
}

int
cs_get_range(struct cs_get *g, uint32_t from, uint32_t to, struct cs_error *err)
{
	return print_range(g, from, to, err);
}

int
cs_get_last(struct cs_get *g, uint32_t n, struct cs_error *err)
{
	uint32_t tip;
	int rc;

	if ((rc = tip_height(g, &tip, err)) != 0)
		return rc;
	return print_range(g, tip >= n ? tip - n + 1 : 0, tip, err);
}

int
cs_get_keys(struct cs_get *g, struct cs_error *err)
{
	return print_keys(g, err);
}

int
cs_get_tx(struct cs_get *g, const uint8_t txid[32], struct cs_error *err)
{
	return print_tx(g, txid, err);
}

int
cs_get_proofs(struct cs_get *g, const uint8_t (*txids)[32], size_t n, struct cs_error *err)
{
	struct wanted *w = calloc(n ? n : 1, sizeof(*w));
	int rc;

	if (w == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	for (size_t i = 0; i < n; i++)
		memcpy(w[i].txid, txids[i], 32);
	rc = print_proofs(g, w, n, err);
	free(w);
	return rc;
}
