/*
 * cs-invariants - checks, for the tests, what must hold in a store after
 * any write or crash, reading its keys directly (independently of the code
 * that wrote them, and of cs-check):
 *   - every entry but the genesis has its parent stored, one height below;
 *   - HAS_BODY exactly when a body is stored; PRUNED never with a body;
 *   - every body belongs to an entry; in a Bitcoin store every transaction
 *     of a body is indexed ('T' txid block -> position) and every index key
 *     names a stored body holding that txid at that position;
 *   - 'X' exactly on the entries without children;
 *   - the height index runs from the genesis to the tip without a gap,
 *     each entry the parent of the next, and the tip is its last.
 * Prints each violation on stderr; exit 0 when none, 1 when some, 74 when
 * the store cannot be read.
 *
 * usage: cs-invariants [-s DIR]
 */
#include "block.h"
#include "exit.h"
#include "hex.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node {
	uint8_t hash[32];
	uint8_t prev[32];
	uint32_t height;
	unsigned flags;
	unsigned children;
	bool body, tip;
};

struct nodes {
	struct node *v;
	size_t n, cap;
};

static unsigned long violations;

static void
violation(const uint8_t *hash, const char *what)
{
	char hex[CS_HASH_HEX];

	if (hash != NULL) {
		cs_hash_to_display(hash, hex);
		fprintf(stderr, "cs-invariants: %s: %s\n", hex, what);
	} else {
		fprintf(stderr, "cs-invariants: %s\n", what);
	}
	violations++;
}

static int
by_hash(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

static struct node *
find(struct nodes *all, const uint8_t hash[32])
{
	return bsearch(hash, all->v, all->n, sizeof(*all->v), by_hash);
}

static int
collect(void *ctx, const uint8_t hash[32], unsigned flags, uint32_t height, struct cs_error *err)
{
	struct nodes *all = ctx;

	if (all->n == all->cap) {
		size_t cap = all->cap ? 2 * all->cap : 4096;
		struct node *grown = realloc(all->v, cap * sizeof(*grown));

		if (grown == NULL)
			return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
		all->v = grown;
		all->cap = cap;
	}
	memset(&all->v[all->n], 0, sizeof(all->v[0]));
	memcpy(all->v[all->n].hash, hash, 32);
	all->v[all->n].flags = flags;
	all->v[all->n++].height = height;
	return 0;
}

struct body_check {
	struct cs_store *s;
	const uint8_t *block;
};

/* Every transaction of a body is indexed at its position. */
static int
check_indexed(void *ctx, uint32_t index, const struct cs_tx_ref *tx, struct cs_error *err)
{
	struct body_check *c = ctx;
	uint8_t key[CS_TX_KEY_SIZE], want[4];
	char *value, *lerr = NULL;
	size_t vlen;

	cs_store_tx_key(key, tx->txid, c->block);
	cs_store_tx_value(want, index);
	value = leveldb_get(c->s->db, c->s->read, (const char *)key, sizeof(key), &vlen, &lerr);
	if (lerr != NULL) {
		leveldb_free(lerr);
		return cs_error_set(err, CS_EX_IOERR, "cannot read the store");
	}
	if (value == NULL || vlen != 4 || memcmp(value, want, 4) != 0)
		violation(c->block, "a transaction of its body is not indexed at its position");
	if (value != NULL)
		leveldb_free(value);
	return 0;
}

static int
check_keys(struct cs_store *s, struct nodes *all)
{
	leveldb_iterator_t *it = leveldb_create_iterator(s->db, s->read);
	char *lerr = NULL;

	for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t klen, vlen;
		const uint8_t *key = (const uint8_t *)leveldb_iter_key(it, &klen);
		const uint8_t *value = (const uint8_t *)leveldb_iter_value(it, &vlen);
		struct node *n;

		if (key[0] == CS_KEY_BODY && klen == 33) {
			if ((n = find(all, key + 1)) == NULL) {
				violation(key + 1, "a body without an entry");
				continue;
			}
			n->body = true;
			if (!s->meta.opaque) {
				struct body_check c = { s, key + 1 };
				struct cs_error err;

				if (cs_block_parse(value, vlen, NULL, NULL, check_indexed, &c, &err) != 0)
					violation(key + 1, "its body does not parse");
			}
		} else if (key[0] == CS_KEY_TIP && klen == 33) {
			if ((n = find(all, key + 1)) == NULL)
				violation(key + 1, "a chain tip without an entry");
			else
				n->tip = true;
		} else if (key[0] == CS_KEY_TX && klen == CS_TX_KEY_SIZE) {
			char *body;
			size_t len;
			struct cs_tx_ref tx;
			struct cs_error err;
			uint32_t index;

			if (s->meta.opaque)
				violation(key + 33, "a transaction index key in an opaque store");
			if (vlen != 4) {
				violation(key + 33, "a transaction index value is not 4 bytes");
				continue;
			}
			index = (uint32_t)value[0] << 24 | (uint32_t)value[1] << 16 | (uint32_t)value[2] << 8 | value[3];
			if (cs_store_get_body(s, key + 33, &body, &len, &err) != 0) {
				violation(key + 33, "a transaction index key names a block without a body");
				continue;
			}
			if (cs_block_find_tx((const uint8_t *)body, len, index, &tx, &err) != 0 ||
			    memcmp(tx.txid, key + 1, 32) != 0)
				violation(key + 33, "a transaction index key names the wrong position");
			cs_store_free(body);
		}
	}
	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	if (lerr != NULL) {
		fprintf(stderr, "cs-invariants: cannot read the store: %s\n", lerr);
		leveldb_free(lerr);
		return CS_EX_IOERR;
	}
	return 0;
}

static int
check_main_chain(struct cs_store *s, struct nodes *all)
{
	uint8_t hash[32], prev[32], tip[32];
	struct cs_error err;
	uint32_t h;
	int rc;

	for (h = 0;; h++) {
		struct node *n;

		rc = cs_store_get_main(s, h, hash, &err);
		if (rc == CS_EX_NOTFOUND)
			break;
		if (rc != 0)
			return rc;
		if ((n = find(all, hash)) == NULL) {
			violation(hash, "the height index names a missing entry");
			continue;
		}
		if (n->height != h)
			violation(hash, "the height index and the entry's height differ");
		if (h > 0 && memcmp(n->prev, prev, 32) != 0)
			violation(hash, "the height index is not a chain here");
		memcpy(prev, hash, 32);
	}
	if (h == 0)
		violation(NULL, "no height index");
	if ((rc = cs_store_get_tip(s, tip, &err)) != 0)
		return rc;
	if (h > 0 && memcmp(tip, prev, 32) != 0)
		violation(tip, "the tip is not the last entry of the height index");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct nodes all = { NULL, 0, 0 };
	const char *dir = NULL;
	struct cs_store s;
	struct cs_error err;
	int opt, rc;

	cs_error_clear(&err);
	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's') {
			fputs("usage: cs-invariants [-s DIR]\n", stderr);
			return CS_EX_USAGE;
		}
		dir = optarg;
	}
	if ((rc = cs_store_open(&s, cs_store_path(dir), "cs-invariants", 10, &err)) != 0) {
		fprintf(stderr, "cs-invariants: %s\n", err.message);
		return rc;
	}
	if ((rc = cs_store_each_entry(&s, NULL, collect, &all, &err)) != 0)
		goto out;
	qsort(all.v, all.n, sizeof(*all.v), by_hash);
	for (size_t i = 0; i < all.n; i++) {
		struct node *n = &all.v[i], *parent;
		struct cs_entry e;
		char *owned;

		if ((rc = cs_store_read_entry(&s, n->hash, &e, &owned, &err)) != 0)
			goto out;
		memcpy(n->prev, e.prev, 32);
		cs_store_free(owned);
		if ((n->flags & CS_ENTRY_HAS_BODY) && (n->flags & CS_ENTRY_PRUNED))
			violation(n->hash, "both HAS_BODY and PRUNED");
		if (memcmp(n->hash, s.meta.genesis, 32) == 0)
			continue;
		if ((parent = find(&all, n->prev)) == NULL)
			violation(n->hash, "its parent is missing");
		else if (parent->height + 1 != n->height)
			violation(n->hash, "its height is not its parent's + 1");
	}
	for (size_t i = 0; i < all.n; i++) {
		struct node *parent;

		if (memcmp(all.v[i].hash, s.meta.genesis, 32) != 0 && (parent = find(&all, all.v[i].prev)) != NULL)
			parent->children++;
	}
	if ((rc = check_keys(&s, &all)) != 0 || (rc = check_main_chain(&s, &all)) != 0)
		goto out;
	for (size_t i = 0; i < all.n; i++) {
		struct node *n = &all.v[i];

		if (n->body != !!(n->flags & CS_ENTRY_HAS_BODY))
			violation(n->hash, n->body ? "a body without HAS_BODY" : "HAS_BODY without a body");
		if (n->tip != (n->children == 0))
			violation(n->hash, n->tip ? "a chain tip with children" : "no chain tip mark, and no children");
	}
out:
	if (rc != 0 && err.message[0] != '\0')
		fprintf(stderr, "cs-invariants: %s\n", err.message);
	cs_store_close(&s);
	free(all.v);
	if (rc != 0)
		return rc;
	if (violations > 0)
		fprintf(stderr, "cs-invariants: %lu violations in %zu entries\n", violations, all.n);
	return violations > 0 ? 1 : 0;
}
