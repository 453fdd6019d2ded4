#include "check.h"

#include "block.h"
#include "exit.h"
#include "grow.h"
#include "genesis.h"
#include "header.h"
#include "hex.h"
#include "network.h"
#include "pow.h"
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE UINT32_MAX
#define BATCH_OPS 10000
#define BATCH_BYTES (8u << 20)
#define CHECK_LINE_MAX 640

/* What is known of each sound entry, one byte each. */
enum {
	BIT_BODY = 0x01,    /* a body is stored, and it is sound */
	BIT_PRUNED = 0x02,  /* its stored flags say pruned */
	BIT_REACHED = 0x04, /* connects to the genesis */
	BIT_SEEN = 0x08,    /* met by a walk (from the genesis or a cut-off root) */
	BIT_CHILD = 0x10,   /* has a child */
	BIT_READ = 0x20,    /* what is stored does not fit struct stored: read it again */
	BIT_FLAGS = 0x40,   /* its stored flags are not what its body says */
	BIT_CONTEXT = 0x80, /* it keeps a rules context (struct stored has it) */
};

/* What pass 2 keeps of each sound entry, so that the walk down the chain
 * compares in memory and reads an entry again only when something differs:
 * chainwork and (opaque) work up to 128 and 64 bits, else BIT_READ. */
struct stored {
	uint64_t chainwork[2]; /* low limbs */
	union {
		uint64_t work; /* opaque: the low limb of its work */
		struct {       /* Bitcoin: what the header rules read of the header */
			uint32_t bits;
			int32_t version;
		} header;
	} u;
	uint32_t height;
	uint32_t time;
	/* the rules context the entry keeps (BIT_CONTEXT) */
	uint32_t period_time, period_bits, walk_bits;
};

/* What the operator marks ('I', cs-tip --invalidate) make of an entry. */
enum { MARKED = 0x01, DESCENDS = 0x02 };

/* An entry that is stored but cannot be kept; prev when it decoded. */
struct bad_entry {
	uint8_t hash[32];
	uint8_t prev[32];
	bool has_prev;
};

struct tx_at {
	uint8_t txid[32];
	uint32_t index;
};

/* A run of heights reported as one line: "is missing", "is above the
 * tip (height N)". */
struct height_run {
	bool open;
	uint32_t first, last;
	const char *what;
	uint32_t tip;
};

struct check {
	struct cs_store *s;
	const struct cs_check_options *o;
	struct cs_check_report *r;
	struct cs_error *err;
	bool repair;
	int failed; /* once set, the passes stop and this is returned */
	leveldb_readoptions_t *scan, *get;
	leveldb_writebatch_t *batch;
	size_t batch_ops, batch_bytes;
	uint64_t batch_dropped; /* entries the batch drops: counted once written */
	uint8_t *value; /* an encoded entry being rewritten */
	char last_read_error[256]; /* each pass over a damaged table meets it again */

	/* the sound entries, in key (hash) order */
	uint8_t (*hash)[32];
	uint32_t *parent; /* position of the parent, or NONE */
	uint32_t *order;  /* positions grouped by parent: the children of each */
	uint32_t *first;  /* where each entry's children start in order[] */
	struct stored *stored;
	uint8_t *bits;
	uint8_t *invalid; /* per entry: MARKED, or DESCENDS from a mark */
	size_t n, cap;
	struct bad_entry *bad; /* in key order too */
	size_t nbad, badcap;
	uint32_t genesis;

	/* the meta tip, and the best entry met */
	bool has_tip;
	uint8_t tip_hash[32];
	uint32_t tip;
	uint32_t tip_height;
	struct cs_u256 tip_work;
	uint32_t best, best_height;
	struct cs_u256 best_work;
	uint64_t reached;

	/* the transaction index */
	struct tx_at *txs; /* of the body being checked */
	size_t ntx, txcap;
	uint64_t tx_expected, tx_found;
	bool tx_rebuild;
	/* whose txids c->txs holds, when naming stray index keys */
	uint32_t cached_body;
	/* the new meta tip, written last */
	uint32_t new_tip;
	uint32_t new_tip_height;
};

/* The progress hook (cs_check_set_progress), told every STEP_KEYS keys. */
#define STEP_KEYS 4096
static void (*progress_fn)(void *ctx, const char *pass, uint64_t done, uint64_t total);
static void *progress_ctx;

void
cs_check_set_progress(void (*fn)(void *ctx, const char *pass, uint64_t done, uint64_t total), void *ctx)
{
	progress_fn = fn;
	progress_ctx = ctx;
}

static void
step(const char *pass, uint64_t done, uint64_t total)
{
	if (progress_fn != NULL && done % STEP_KEYS == 0)
		progress_fn(progress_ctx, pass, done, total);
}

/* Messages. */

static const char *
hex_hash(char buf[CS_HASH_HEX], const uint8_t hash[32])
{
	cs_hash_to_display(hash, buf);
	return buf;
}

/* Chainwork in hex without leading zeros. */
static const char *
hex_work(char buf[65], const struct cs_u256 *w)
{
	const char *p;

	cs_u256_to_hex(w, buf);
	for (p = buf; p[0] == '0' && p[1] != '\0'; p++)
		;
	return p;
}

static void __attribute__((format(printf, 3, 0)))
say(struct check *c, void (*fn)(void *, const char *), const char *fmt, va_list ap)
{
	char line[CHECK_LINE_MAX];

	if (fn == NULL)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	fn(c->o->ctx, line);
}

static void __attribute__((format(printf, 2, 3)))
finding(struct check *c, const char *fmt, ...)
{
	va_list ap;

	c->r->findings++;
	va_start(ap, fmt);
	say(c, c->o->finding, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
repaired(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(c, c->o->repaired, fmt, ap);
	va_end(ap);
}

static void
malformed_key(struct check *c, const char *what, const char *key, size_t klen)
{
	char hex[2 * 40 + 1];
	size_t shown = klen < 40 ? klen : 40;

	cs_hex_encode((const uint8_t *)key, shown, hex);
	finding(c, "%s: malformed key %s%s (%zu bytes)", what, hex, shown < klen ? "..." : "", klen);
}

static void
out_of_memory(struct check *c)
{
	if (!c->failed)
		c->failed = cs_error_set(c->err, CS_EX_SOFTWARE, "out of memory");
}

/* Writing (repair). Every change goes through a synced batch. */

static void
commit(struct check *c)
{
	int rc;

	if (c->batch_ops == 0 || c->failed)
		return;
	if ((rc = cs_store_write(c->s, c->batch, c->err)) != 0) {
		c->failed = rc;
	} else {
		/* the report counts what the store now holds, not what was meant */
		c->r->changes += c->batch_ops;
		c->r->dropped += c->batch_dropped;
	}
	leveldb_writebatch_clear(c->batch);
	c->batch_ops = c->batch_bytes = 0;
	c->batch_dropped = 0;
}

static void
counted(struct check *c, size_t bytes)
{
	c->batch_ops++;
	c->batch_bytes += bytes;
	if (c->batch_ops >= BATCH_OPS || c->batch_bytes >= BATCH_BYTES)
		commit(c);
}

static void
put(struct check *c, const void *key, size_t klen, const void *value, size_t vlen)
{
	leveldb_writebatch_put(c->batch, key, klen, value, vlen);
	counted(c, klen + vlen);
}

static void
del(struct check *c, const void *key, size_t klen)
{
	leveldb_writebatch_delete(c->batch, key, klen);
	counted(c, klen);
}

static void
del_hash(struct check *c, char prefix, const uint8_t hash[32])
{
	uint8_t key[33];

	cs_store_key(key, prefix, hash);
	del(c, key, sizeof(key));
}

/* Reading. */

/* A value, or NULL when absent; a read error is a finding ("kind HASH:
 * cannot read: why") and NULL too. */
static char *
get(struct check *c, const void *key, size_t klen, size_t *vlen, const char *kind, const uint8_t *hash)
{
	char *lerr = NULL, *value, hex[CS_HASH_HEX] = "";

	value = leveldb_get(c->s->db, c->get, key, klen, vlen, &lerr);
	if (lerr != NULL) {
		if (hash != NULL)
			cs_hash_to_display(hash, hex);
		finding(c, "%s%s%s: cannot read: %s", kind, hash != NULL ? " " : "", hex, lerr);
		leveldb_free(lerr);
		return NULL;
	}
	return value;
}

static leveldb_iterator_t *
iterate(struct check *c, char prefix)
{
	leveldb_iterator_t *it = leveldb_create_iterator(c->s->db, c->scan);

	leveldb_iter_seek(it, &prefix, 1);
	return it;
}

/* The key under the iterator, when it is of this kind. */
static const char *
key_of(leveldb_iterator_t *it, char prefix, size_t *klen)
{
	const char *key;

	if (!leveldb_iter_valid(it))
		return NULL;
	key = leveldb_iter_key(it, klen);
	return *klen > 0 && key[0] == prefix ? key : NULL;
}

static void
iterate_end(struct check *c, leveldb_iterator_t *it, const char *what)
{
	char *lerr = NULL;

	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	if (lerr != NULL) {
		if (strncmp(lerr, c->last_read_error, sizeof(c->last_read_error) - 1) != 0)
			finding(c, "cannot read the %s: %s", what, lerr);
		snprintf(c->last_read_error, sizeof(c->last_read_error), "%s", lerr);
		leveldb_free(lerr);
	}
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* memcmp of two hashes; their first 8 bytes nearly always decide. */
static int
hash_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = be64(a), y = be64(b);

	if (x != y)
		return x < y ? -1 : 1;
	return memcmp(a + 8, b + 8, 24);
}

/* Position of a sound entry, or NONE. */
static uint32_t
find(const struct check *c, const uint8_t hash[32])
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = hash_cmp(c->hash[mid], hash);

		if (cmp == 0)
			return (uint32_t)mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

static const struct bad_entry *
find_bad(const struct check *c, const uint8_t hash[32])
{
	size_t lo = 0, hi = c->nbad;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = memcmp(c->bad[mid].hash, hash, 32);

		if (cmp == 0)
			return &c->bad[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Meta. */

/* Whether the store checks Bitcoin Core's header rules. */
static bool
has_rules(const struct check *c)
{
	return c->s->rules.enabled && !c->s->meta.opaque;
}

/* What the store's first entry is called. */
static const char *
root_name(const struct check *c)
{
	return memcmp(c->s->meta.root, c->s->meta.genesis, 32) == 0 ? "genesis" : "checkpoint";
}

/* A schema-3 store names its rules (a store made before has its
 * network's); a checkpoint lies on a retarget boundary, where its rules
 * context starts a period. */
static void
check_meta_rules(struct check *c, const struct cs_network *net)
{
	const char *name = net != NULL ? net->name : c->s->meta.opaque ? "none" : NULL;
	size_t vlen;
	char *value;

	if (c->s->schema >= 3) {
		value = get(c, CS_META_RULES, CS_META_LEN(CS_META_RULES), &vlen, "meta rules", NULL);
		if (value == NULL) {
			finding(c, "meta: no header rules (a schema-3 store names them)");
			/* a custom chain's were its own choice: not guessed */
			if (c->repair && name != NULL) {
				put(c, CS_META_RULES, CS_META_LEN(CS_META_RULES), name, strlen(name));
				repaired(c, "wrote the header rules (%s) again", name);
			}
		}
		cs_store_free(value);
	}
	if (has_rules(c) && c->s->rules.interval > 0 && c->s->meta.base_height % c->s->rules.interval != 0)
		finding(c, "meta: the checkpoint (height %u) is not on a retarget boundary of %s's rules (every %u)",
		    c->s->meta.base_height, c->s->rules.name, c->s->rules.interval);
}

static void
check_meta(struct check *c)
{
	const struct cs_network *net = cs_network_find(c->s->meta.network);
	char a[CS_HASH_HEX], b[CS_HASH_HEX];
	leveldb_iterator_t *it;
	size_t klen, vlen;
	const char *key;
	char *value;

	if (net != NULL) {
		struct cs_store_meta meta;
		struct cs_error ignored;
		uint8_t header[CS_HEADER_SIZE];
		struct cs_entry e;

		if (cs_genesis_network(net, &meta, &e, header, &ignored) == 0) {
			if (memcmp(meta.genesis, c->s->meta.genesis, 32) != 0)
				finding(c, "meta: the genesis is %s, not %s's %s", hex_hash(a, c->s->meta.genesis),
				    net->name, hex_hash(b, meta.genesis));
			if (cs_u256_cmp(&meta.pow_limit, &c->s->meta.pow_limit) != 0)
				finding(c, "meta: the proof-of-work limit is not %s's", net->name);
			if (memcmp(meta.magic, c->s->meta.magic, 4) != 0)
				finding(c, "meta: the network magic is not %s's", net->name);
			if (strcmp(c->s->meta.rules, net->name) != 0)
				finding(c, "meta: the header rules are %s, not %s's", c->s->meta.rules, net->name);
		}
	}
	check_meta_rules(c, net);
	value = get(c, CS_META_TIP, CS_META_LEN(CS_META_TIP), &vlen, "meta tip", NULL);
	if (value == NULL) {
		finding(c, "meta: no tip");
	} else if (vlen != 32) {
		finding(c, "meta: the tip is %zu bytes, not 32", vlen);
	} else {
		memcpy(c->tip_hash, value, 32);
		c->has_tip = true;
	}
	cs_store_free(value);

	/* Keys of other kinds are left alone, but counted: skip each known
	 * range with one seek. */
	it = leveldb_create_iterator(c->s->db, c->scan);
	for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it);) {
		key = leveldb_iter_key(it, &klen);
		if (klen > 0 && key[0] != '\0' && strchr("BEHITX", key[0]) != NULL) {
			char next = (char)(key[0] + 1);

			leveldb_iter_seek(it, &next, 1);
			continue;
		}
		if (klen > 1 && key[0] == CS_KEY_META) {
			static const char *const names[] = { "schema", "network", "genesis", "powlimit", "magic", "tip",
				"rules", "checkpoint" };
			bool known = false;

			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				known = known || (klen - 1 == strlen(names[i]) && memcmp(key + 1, names[i], klen - 1) == 0);
			c->r->unknown += !known;
		} else {
			c->r->unknown++;
		}
		leveldb_iter_next(it);
	}
	iterate_end(c, it, "keys");
}

/* Repair: a built-in network's genesis entry is written again when it is
 * lost or damaged; any other lost or damaged genesis stops the repair
 * before anything is written. */
static void
restore_genesis(struct check *c)
{
	const struct cs_network *net = cs_network_find(c->s->meta.network);
	const uint8_t *genesis = c->s->meta.root;
	struct cs_store_meta meta;
	struct cs_error ignored;
	uint8_t header[CS_HEADER_SIZE], key[33], derived[32];
	struct cs_entry e, stored;
	char hex[CS_HASH_HEX], *value;
	size_t vlen, len;
	bool builtin, present, sound;

	builtin = net != NULL && cs_genesis_network(net, &meta, &e, header, &ignored) == 0 &&
	    memcmp(meta.genesis, genesis, 32) == 0;
	cs_store_key(key, CS_KEY_ENTRY, genesis);
	value = get(c, key, sizeof(key), &vlen, c->s->meta.base_height > 0 ? "checkpoint entry" : "genesis entry",
	    genesis);
	present = value != NULL;
	sound = present && cs_store_decode_entry(c->s, genesis, value, vlen, &stored) == 0 &&
	    !(stored.flags & CS_ENTRY_OPAQUE) == !c->s->meta.opaque;
	if (sound && builtin)
		sound = memcmp(stored.header, header, CS_HEADER_SIZE) == 0;
	else if (sound && !c->s->meta.opaque)
		sound = cs_header_hash(stored.header, derived) == 0 && memcmp(derived, genesis, 32) == 0;
	cs_store_free(value);
	if (sound)
		return;
	if (!builtin) {
		c->failed = cs_error_set(c->err, CS_EX_IOERR,
		    "cannot repair store '%s': its %s entry %s is %s (restore the store from a backup)", c->s->dir,
		    root_name(c), hex_hash(hex, genesis), present ? "damaged" : "lost");
		return;
	}
	if (has_rules(c)) {
		struct cs_rules_ctx ctx;

		cs_rules_ctx_root(&c->s->rules, 0, header, NULL, 0, &ctx);
		e.has_context = true;
		e.period_time = ctx.period_time;
		e.period_bits = ctx.period_bits;
		e.walk_bits = ctx.walk_bits;
	}
	len = cs_store_encode_entry(c->s, &e, c->value, CS_ENTRY_VALUE_MAX);
	put(c, key, sizeof(key), c->value, len);
	commit(c);
	repaired(c, "wrote the genesis entry %s of %s again", hex_hash(hex, genesis), net->name);
}

/* Pass 1: entries and bodies, in key order together. */

static int
add_bad(struct check *c, const uint8_t hash[32], const uint8_t *prev)
{
	struct bad_entry *grown = cs_grow(c->bad, &c->badcap, c->nbad + 1, 64, sizeof(*grown));

	if (grown == NULL) {
		out_of_memory(c);
		return -1;
	}
	c->bad = grown;
	memcpy(c->bad[c->nbad].hash, hash, 32);
	c->bad[c->nbad].has_prev = prev != NULL;
	if (prev != NULL)
		memcpy(c->bad[c->nbad].prev, prev, 32);
	c->nbad++;
	return 0;
}

static uint32_t
add_sound(struct check *c, const uint8_t hash[32])
{
	if (c->n == NONE - 1) {
		out_of_memory(c);
		return NONE;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap + c->cap / 2 : 65536;
		void *h = realloc(c->hash, cap * sizeof(*c->hash));

		if (h == NULL) {
			out_of_memory(c);
			return NONE;
		}
		c->hash = h;
		if ((h = realloc(c->bits, cap)) == NULL) {
			out_of_memory(c);
			return NONE;
		}
		c->bits = h;
		c->cap = cap;
	}
	memcpy(c->hash[c->n], hash, 32);
	c->bits[c->n] = 0;
	return (uint32_t)c->n++;
}

/* An entry that cannot be kept: reported, remembered, and in a repair
 * dropped with its body. */
static void
drop_bad(struct check *c, const uint8_t hash[32], const uint8_t *prev, bool has_body)
{
	char hex[CS_HASH_HEX];

	add_bad(c, hash, prev);
	if (!c->repair)
		return;
	c->batch_dropped++; /* before the delete, which may end the batch */
	del_hash(c, CS_KEY_ENTRY, hash);
	if (has_body) {
		del_hash(c, CS_KEY_BODY, hash);
		c->tx_rebuild = true;
	}
	repaired(c, "dropped entry %s", hex_hash(hex, hash));
}

/* Checks what an entry says on its own; its position when sound. */
static uint32_t
check_entry(struct check *c, const uint8_t hash[32], const char *value, size_t vlen, bool has_body,
    struct cs_entry *entry)
{
	char a[CS_HASH_HEX], b[CS_HASH_HEX];
	struct cs_entry e;
	uint32_t i;

	if (cs_store_decode_entry(c->s, hash, value, vlen, &e) != 0) {
		finding(c, "entry %s: does not decode (%zu bytes)", hex_hash(a, hash), vlen);
		drop_bad(c, hash, NULL, has_body);
		return NONE;
	}
	if (!(e.flags & CS_ENTRY_OPAQUE) != !c->s->meta.opaque) {
		finding(c, "entry %s: %s", hex_hash(a, hash),
		    c->s->meta.opaque ? "not marked opaque in an opaque store" : "marked opaque in a Bitcoin store");
		drop_bad(c, hash, NULL, has_body);
		return NONE;
	}
	if (c->s->meta.opaque) {
		if (e.header_len > CS_OPAQUE_HEADER_MAX) {
			finding(c, "entry %s: header of %zu bytes, more than %d", hex_hash(a, hash), e.header_len,
			    CS_OPAQUE_HEADER_MAX);
			drop_bad(c, hash, e.prev, has_body);
			return NONE;
		}
	} else {
		uint8_t derived[32];
		enum cs_pow_result pow;

		if (cs_header_hash(e.header, derived) != 0) {
			c->failed = cs_error_set(c->err, CS_EX_SOFTWARE, "SHA-256 failed");
			return NONE;
		}
		if (memcmp(derived, hash, 32) != 0) {
			finding(c, "entry %s: its header hashes to %s, not to its key", hex_hash(a, hash),
			    hex_hash(b, derived));
			drop_bad(c, hash, e.prev, has_body);
			return NONE;
		}
		pow = cs_pow_check(hash, cs_header_bits(e.header), &c->s->meta.pow_limit);
		if (pow != CS_POW_OK) {
			finding(c, "entry %s: %s", hex_hash(a, hash), cs_pow_result_message(pow));
			drop_bad(c, hash, e.prev, has_body);
			return NONE;
		}
	}
	if ((i = add_sound(c, hash)) == NONE)
		return NONE;
	if (e.flags & ~(unsigned)(CS_ENTRY_HAS_BODY | CS_ENTRY_PRUNED | CS_ENTRY_OPAQUE))
		finding(c, "entry %s: unknown flags 0x%02x", hex_hash(a, hash), e.flags);
	if (e.flags & CS_ENTRY_PRUNED) {
		c->bits[i] |= BIT_PRUNED;
		c->r->pruned++;
	}
	if (has_body && !(e.flags & CS_ENTRY_HAS_BODY))
		finding(c, "entry %s: a body is stored but its flags say none", hex_hash(a, hash));
	if (!has_body && (e.flags & CS_ENTRY_HAS_BODY))
		finding(c, "entry %s: its body is missing", hex_hash(a, hash));
	if (has_body && (e.flags & CS_ENTRY_PRUNED))
		finding(c, "entry %s: marked pruned, yet its body is stored", hex_hash(a, hash));
	*entry = e;
	return i;
}

static int
collect_tx(void *ctx, uint32_t index, const struct cs_tx_ref *tx, struct cs_error *err)
{
	struct check *c = ctx;

	struct tx_at *grown = cs_grow(c->txs, &c->txcap, c->ntx + 1, 1024, sizeof(*grown));

	if (grown == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	c->txs = grown;
	memcpy(c->txs[c->ntx].txid, tx->txid, 32);
	c->txs[c->ntx++].index = index;
	return 0;
}

static int
by_txid(const void *a, const void *b)
{
	const struct tx_at *x = a, *y = b;
	int cmp = memcmp(x->txid, y->txid, 32);

	if (cmp != 0)
		return cmp;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Parses a Bitcoin body into c->txs, sorted by txid; a txid that occurs
 * twice keeps its last position, as the index does (the last write wins). */
static int
body_txids(struct check *c, const uint8_t *body, size_t len, const uint8_t *merkle, struct cs_error *err)
{
	size_t kept = 0;
	int rc;

	c->ntx = 0;
	if ((rc = cs_block_parse(body, len, merkle, NULL, collect_tx, c, err)) != 0)
		return rc;
	qsort(c->txs, c->ntx, sizeof(*c->txs), by_txid);
	for (size_t k = 0; k < c->ntx; k++) {
		if (kept > 0 && memcmp(c->txs[kept - 1].txid, c->txs[k].txid, 32) == 0)
			kept--;
		c->txs[kept++] = c->txs[k];
	}
	c->ntx = kept;
	return 0;
}

/* Every txid of the body c->txs came from must be indexed at its position. */
static void
check_tx_forward(struct check *c, const uint8_t block[32])
{
	char a[CS_HASH_HEX], b[CS_HASH_HEX];
	uint8_t key[CS_TX_KEY_SIZE];

	for (size_t k = 0; k < c->ntx && !c->failed; k++) {
		const struct tx_at *t = &c->txs[k];
		size_t vlen;
		char *value;

		c->tx_expected++;
		cs_store_tx_key(key, t->txid, block);
		value = get(c, key, sizeof(key), &vlen, "transaction index for block", block);
		if (value == NULL) {
			finding(c, "transaction index: txid %s of block %s (position %u) is missing",
			    hex_hash(a, t->txid), hex_hash(b, block), t->index);
			c->tx_rebuild = true;
			continue;
		}
		c->tx_found++;
		/* a value of another size is reported by the index's own pass */
		if (vlen == 4 && be32((const uint8_t *)value) != t->index) {
			finding(c, "transaction index: txid %s of block %s has position %u, not %u",
			    hex_hash(a, t->txid), hex_hash(b, block), be32((const uint8_t *)value), t->index);
			c->tx_rebuild = true;
		}
		cs_store_free(value);
	}
}

static void
check_body(struct check *c, uint32_t i, const uint8_t hash[32], const struct cs_entry *e, const char *body,
    size_t len)
{
	char a[CS_HASH_HEX];
	struct cs_header h;
	struct cs_error berr;
	int rc;

	if (len > CS_BODY_MAX) {
		finding(c, "body %s: %zu bytes, more than %d", hex_hash(a, hash), len, CS_BODY_MAX);
		goto drop;
	}
	if (c->s->meta.opaque) {
		c->bits[i] |= BIT_BODY;
		return;
	}
	cs_header_decode(e->header, &h);
	rc = body_txids(c, (const uint8_t *)body, len, h.merkle, &berr);
	if (rc == CS_EX_SOFTWARE) {
		c->failed = cs_error_set(c->err, rc, "%s", berr.message);
		return;
	}
	if (rc != 0) {
		finding(c, "body %s: %s", hex_hash(a, hash), berr.message);
		goto drop;
	}
	c->bits[i] |= BIT_BODY;
	check_tx_forward(c, hash);
	return;
drop:
	if (c->repair) {
		del_hash(c, CS_KEY_BODY, hash);
		c->tx_rebuild = true;
		repaired(c, "dropped the body of %s", hex_hash(a, hash));
	}
}

/* Moves the body iterator up to hash (or to the end when hash is NULL),
 * reporting the bodies it passes: they have no entry. */
static void
stray_bodies(struct check *c, leveldb_iterator_t *ib, const uint8_t *hash)
{
	char a[CS_HASH_HEX];
	const char *key;
	size_t klen;

	while ((key = key_of(ib, CS_KEY_BODY, &klen)) != NULL) {
		if (klen != 33) {
			malformed_key(c, "bodies", key, klen);
			if (c->repair)
				del(c, key, klen);
		} else if (hash == NULL || memcmp(key + 1, hash, 32) < 0) {
			c->r->bodies++;
			finding(c, "body %s: no entry for it", hex_hash(a, (const uint8_t *)key + 1));
			if (c->repair) {
				del(c, key, klen);
				c->tx_rebuild = true;
				repaired(c, "dropped the body of %s", a);
			}
		} else {
			break;
		}
		leveldb_iter_next(ib);
	}
}

static void
scan_entries(struct check *c)
{
	leveldb_iterator_t *ie = iterate(c, CS_KEY_ENTRY), *ib = iterate(c, CS_KEY_BODY);
	const char *key, *bkey;
	size_t klen, bklen;

	for (; (key = key_of(ie, CS_KEY_ENTRY, &klen)) != NULL && !c->failed; leveldb_iter_next(ie)) {
		const uint8_t *hash = (const uint8_t *)key + 1;
		const char *value;
		struct cs_entry e;
		bool has_body;
		size_t vlen;
		uint32_t i;

		c->r->entries++;
		step("reading entries", c->r->entries, 0);
		if (klen != 33) {
			malformed_key(c, "entries", key, klen);
			if (c->repair)
				del(c, key, klen);
			continue;
		}
		stray_bodies(c, ib, hash);
		bkey = key_of(ib, CS_KEY_BODY, &bklen);
		has_body = bkey != NULL && bklen == 33 && memcmp(bkey + 1, hash, 32) == 0;
		value = leveldb_iter_value(ie, &vlen);
		i = check_entry(c, hash, value, vlen, has_body, &e);
		if (has_body) {
			c->r->bodies++;
			if (i != NONE) {
				size_t blen;
				const char *body = leveldb_iter_value(ib, &blen);

				check_body(c, i, hash, &e, body, blen);
			}
			leveldb_iter_next(ib);
		}
	}
	if (!c->failed)
		stray_bodies(c, ib, NULL);
	iterate_end(c, ie, "entries");
	iterate_end(c, ib, "bodies");
}

/* Pass 2: each sound entry's parent, by position. */

static void
keep(struct check *c, uint32_t j, const struct cs_entry *e)
{
	struct stored *st = &c->stored[j];
	unsigned flags = (c->bits[j] & BIT_BODY) ? CS_ENTRY_HAS_BODY : (c->bits[j] & BIT_PRUNED) ? CS_ENTRY_PRUNED : 0;

	if (j != c->genesis)
		c->parent[j] = find(c, e->prev);
	if ((e->flags & ~(unsigned)CS_ENTRY_OPAQUE) != flags)
		c->bits[j] |= BIT_FLAGS;
	st->height = e->height;
	st->chainwork[0] = e->chainwork.limb[0];
	st->chainwork[1] = e->chainwork.limb[1];
	if (c->s->meta.opaque) {
		st->u.work = e->work.limb[0];
		if (e->work.limb[1] != 0 || e->work.limb[2] != 0 || e->work.limb[3] != 0)
			return;
	} else {
		st->u.header.bits = cs_header_bits(e->header);
		st->u.header.version = (int32_t)cs_le32(e->header);
		st->time = cs_le32(e->header + 68);
		if (e->has_context)
			c->bits[j] |= BIT_CONTEXT;
		st->period_time = e->period_time;
		st->period_bits = e->period_bits;
		st->walk_bits = e->walk_bits;
	}
	if (e->chainwork.limb[2] == 0 && e->chainwork.limb[3] == 0)
		c->bits[j] &= (uint8_t)~BIT_READ;
}

static void
link_parents(struct check *c)
{
	leveldb_iterator_t *it;
	const char *key;
	size_t klen, j = 0;

	c->parent = malloc((c->n ? c->n : 1) * sizeof(*c->parent));
	c->stored = malloc((c->n ? c->n : 1) * sizeof(*c->stored));
	if (c->parent == NULL || c->stored == NULL) {
		out_of_memory(c);
		return;
	}
	for (size_t k = 0; k < c->n; k++) {
		c->parent[k] = NONE;
		c->bits[k] |= BIT_READ;
	}
	it = iterate(c, CS_KEY_ENTRY);
	for (; (key = key_of(it, CS_KEY_ENTRY, &klen)) != NULL && j < c->n; leveldb_iter_next(it)) {
		size_t vlen;
		const char *value;
		struct cs_entry e;

		if (klen != 33 || memcmp(key + 1, c->hash[j], 32) != 0)
			continue;
		step("linking entries", j, c->n);
		value = leveldb_iter_value(it, &vlen);
		if (cs_store_decode_entry(c->s, c->hash[j], value, vlen, &e) == 0)
			keep(c, j, &e);
		j++;
	}
	iterate_end(c, it, "entries");
	if (j < c->n)
		finding(c, "entries: %zu entries vanished between two reads", c->n - j);
}

/* Pass 3: the children of each entry, by a counting sort on the parent:
 * those of p are order[first[p]] up to order[first[p + 1]], in key order,
 * found with one read where a binary search of a million entries missed
 * the cache some ten times. */

static void
sort_children(struct check *c)
{
	c->order = malloc((c->n ? c->n : 1) * sizeof(*c->order));
	c->first = calloc(c->n + 1, sizeof(*c->first));
	if (c->order == NULL || c->first == NULL) {
		out_of_memory(c);
		return;
	}
	for (size_t k = 0; k < c->n; k++)
		if (c->parent[k] != NONE)
			c->first[c->parent[k] + 1]++;
	for (size_t p = 0; p < c->n; p++)
		c->first[p + 1] += c->first[p];
	/* each first[p] moves up to where p's children end, which is where
	 * p + 1's begin: shifted back by one, they are the starts again */
	for (size_t k = 0; k < c->n; k++)
		if (c->parent[k] != NONE)
			c->order[c->first[c->parent[k]]++] = (uint32_t)k;
	for (size_t p = c->n; p > 0; p--)
		c->first[p] = c->first[p - 1];
	c->first[0] = 0;
}

/* The run [*lo, *hi) of order[] holding the children of p. */
static void
children(const struct check *c, uint32_t p, size_t *lo, size_t *hi)
{
	*lo = c->first[p];
	*hi = c->first[p + 1];
}

/* Pass 3b: the operator marks. A mark may outlive its entry (cs-prune
 * drops invalid branches as any fork; the mark stays so that the entry
 * comes back invalid); the store's first entry is never marked. */

static void
check_marks(struct check *c)
{
	leveldb_iterator_t *it;
	char a[CS_HASH_HEX];
	const char *key;
	size_t klen;

	c->invalid = calloc(c->n ? c->n : 1, 1);
	if (c->invalid == NULL) {
		out_of_memory(c);
		return;
	}
	it = iterate(c, CS_KEY_INVALID);
	for (; (key = key_of(it, CS_KEY_INVALID, &klen)) != NULL && !c->failed; leveldb_iter_next(it)) {
		const uint8_t *hash = (const uint8_t *)key + 1;
		size_t vlen;
		const uint8_t *value = (const uint8_t *)leveldb_iter_value(it, &vlen);
		uint32_t i, height;

		c->r->marks++;
		if (klen != 33 || vlen != CS_MARK_VALUE_SIZE) {
			if (klen != 33)
				malformed_key(c, "invalid marks", key, klen);
			else
				finding(c, "invalid mark %s: holds %zu bytes, not a height", hex_hash(a, hash), vlen);
			if (c->repair)
				del(c, key, klen);
			continue;
		}
		if ((i = find(c, hash)) == NONE)
			continue;
		if (i == c->genesis) {
			finding(c, "invalid mark %s: the %s is marked invalid", hex_hash(a, hash), root_name(c));
			if (c->repair) {
				del(c, key, klen);
				repaired(c, "removed the mark of the %s %s", root_name(c), a);
			}
			continue;
		}
		height = be32(value);
		if (height != c->stored[i].height) {
			uint32_t h = c->stored[i].height;
			uint8_t fixed[CS_MARK_VALUE_SIZE] = { (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8),
				(uint8_t)h };

			finding(c, "invalid mark %s: keeps height %u, its entry is at height %u", hex_hash(a, hash), height, h);
			if (c->repair) {
				put(c, key, klen, fixed, sizeof(fixed));
				repaired(c, "set the height of the mark %s to %u", a, c->stored[i].height);
			}
		}
		c->invalid[i] |= MARKED;
	}
	iterate_end(c, it, "invalid marks");
}

/* Pass 4: from the genesis down every branch, the height and chainwork
 * each entry's chain gives it. */

struct frame {
	size_t next, end;
	uint32_t height;
	struct cs_u256 work;
	struct cs_rules_ctx ctx;
};

struct walk {
	struct frame *v;
	size_t n, cap;
};

static int
push(struct check *c, struct walk *w, size_t next, size_t end, uint32_t height, const struct cs_u256 *work,
    const struct cs_rules_ctx *ctx)
{
	struct frame *grown = cs_grow(w->v, &w->cap, w->n + 1, 64, sizeof(*grown));

	if (grown == NULL) {
		out_of_memory(c);
		return -1;
	}
	w->v = grown;
	w->v[w->n].next = next;
	w->v[w->n].end = end;
	w->v[w->n].height = height;
	w->v[w->n].work = *work;
	w->v[w->n].ctx = *ctx;
	w->n++;
	return 0;
}

/*
 * The header rules of entry i, a child of an entry whose context is
 * parent (the first entry: parent NULL), from what pass 2 kept of it: a
 * broken rule is named; *ctx is set to the context its children build on
 * (the one its rules give, whatever it keeps); returns whether the
 * context it keeps must be written again (wrong, or missing in a schema-3
 * store).
 */
static bool
check_rules(struct check *c, uint32_t i, const struct cs_rules_ctx *parent, uint32_t height,
    struct cs_rules_ctx *ctx)
{
	const struct stored *st = &c->stored[i];
	const struct cs_rules *r = &c->s->rules;
	char a[CS_HASH_HEX], reason[CS_RULES_REASON_MAX], text[CS_RULES_TEXT_MAX];
	uint8_t header[CS_HEADER_SIZE];
	struct cs_header h;

	/* the fields the rules read; the rest of the header is not theirs */
	memset(&h, 0, sizeof(h));
	h.version = st->u.header.version;
	h.time = st->time;
	h.bits = st->u.header.bits;
	cs_header_encode(&h, header);
	if (parent == NULL) {
		cs_rules_ctx_root(r, height, header, c->s->meta.root_times, c->s->meta.root_time_count, ctx);
	} else {
		/* Not time-too-new: that rule is of arrival, against the clock
		 * of the day; Core never judges a stored header by it again. */
		if (cs_rules_check(r, parent, header, INT64_MAX / 4, reason) != CS_RULES_VALID) {
			cs_rules_reason_text(reason, text);
			finding(c, "entry %s (height %u): breaks the header rules: %s (%s)", hex_hash(a, c->hash[i]),
			    height, reason, text);
			c->r->rule_breaks++;
		}
		cs_rules_ctx_child(r, parent, header, ctx);
	}
	if (c->bits[i] & BIT_CONTEXT) {
		if (st->period_time == ctx->period_time && st->period_bits == ctx->period_bits &&
		    st->walk_bits == ctx->walk_bits)
			return false;
		finding(c, "entry %s: its rules context (period %u %08x, walk back %08x) is not its ancestors' "
			   "(%u %08x, %08x)",
		    hex_hash(a, c->hash[i]), st->period_time, st->period_bits, st->walk_bits, ctx->period_time,
		    ctx->period_bits, ctx->walk_bits);
		return true;
	}
	if (c->s->schema < 3)
		return false;
	finding(c, "entry %s: has no rules context", hex_hash(a, c->hash[i]));
	return true;
}

/* Visits entry i whose parent has (parent_height, parent_chainwork) and,
 * with header rules, parent_ctx, or the first entry (genesis true: the
 * genesis, or a checkpoint whose chainwork is given): compares, and in a
 * repair rewrites, what is stored; sets what its children build on. */
static void
derive(struct check *c, uint32_t i, bool genesis, uint32_t parent_height, const struct cs_u256 *parent_chainwork,
    const struct cs_rules_ctx *parent_ctx, uint32_t *height, struct cs_u256 *work, struct cs_rules_ctx *ctx)
{
	char a[CS_HASH_HEX], x[65], y[65];
	bool checkpoint = genesis && c->s->meta.base_height > 0, rewrite_context = false;
	const char *what = !genesis ? "entry" : checkpoint ? "checkpoint entry" : "genesis entry";
	/* work and ctx may be where parent_chainwork and parent_ctx point */
	const struct cs_u256 parent = *parent_chainwork, *parent_work = &parent;
	uint8_t key[33];
	struct cs_entry e;
	unsigned flags;
	size_t vlen;
	char *value;

	*height = genesis ? c->s->meta.base_height : parent_height + 1;
	*work = *parent_work;
	if (has_rules(c)) {
		struct cs_rules_ctx from = genesis ? *ctx : *parent_ctx;

		rewrite_context = check_rules(c, i, genesis ? NULL : &from, *height, ctx);
	}
	if (!(c->bits[i] & (BIT_READ | BIT_FLAGS)) && !checkpoint && !(rewrite_context && c->repair)) {
		const struct stored *st = &c->stored[i];
		struct cs_u256 own;

		if (c->s->meta.opaque)
			cs_u256_set_u64(&own, st->u.work);
		else
			own = *cs_work_cache_get(&c->s->work_cache, st->u.header.bits);
		if (genesis)
			*work = own;
		else
			cs_u256_add_saturate(work, parent_work, &own);
		if (st->height == *height && work->limb[0] == st->chainwork[0] && work->limb[1] == st->chainwork[1] &&
		    work->limb[2] == 0 && work->limb[3] == 0)
			return;
		*work = *parent_work;
	}
	/* something differs (or did not fit): read it again, to say what */
	cs_store_key(key, CS_KEY_ENTRY, c->hash[i]);
	hex_hash(a, c->hash[i]);
	value = get(c, key, sizeof(key), &vlen, "entry", c->hash[i]);
	if (value == NULL || cs_store_decode_entry(c->s, c->hash[i], value, vlen, &e) != 0) {
		if (value != NULL)
			finding(c, "entry %s: does not decode on a second read", a);
		cs_store_free(value);
		return;
	}
	/* a checkpoint's chainwork is given, not derived: it is trusted */
	if (checkpoint)
		*work = e.chainwork;
	else if (genesis)
		*work = e.work;
	else
		cs_u256_add_saturate(work, parent_work, &e.work);
	flags = (c->bits[i] & BIT_BODY) ? CS_ENTRY_HAS_BODY : (c->bits[i] & BIT_PRUNED) ? CS_ENTRY_PRUNED : 0;
	if (e.height != *height)
		finding(c, "%s %s: height %u does not match %s (expected %u)", what, a, e.height,
		    !genesis ? "its parent's" : checkpoint ? "the store's checkpoint" : "the genesis's", *height);
	if (cs_u256_cmp(&e.chainwork, work) != 0)
		finding(c, "%s %s: chainwork %s does not match %s (expected %s)", what, a, hex_work(x, &e.chainwork),
		    genesis ? "its own work" : "its parent's", hex_work(y, work));
	if (c->repair && (e.height != *height || cs_u256_cmp(&e.chainwork, work) != 0 ||
			     (e.flags & ~(unsigned)CS_ENTRY_OPAQUE) != flags || rewrite_context)) {
		size_t len;

		repaired(c, "rewrote entry %s: height %u, chainwork %s, flags 0x%02x%s", a, *height, hex_work(y, work),
		    flags, rewrite_context ? ", rules context" : "");
		e.height = *height;
		e.chainwork = *work;
		e.flags = flags;
		if (rewrite_context) {
			e.has_context = true;
			e.period_time = ctx->period_time;
			e.period_bits = ctx->period_bits;
			e.walk_bits = ctx->walk_bits;
		}
		len = cs_store_encode_entry(c->s, &e, c->value, CS_ENTRY_VALUE_MAX);
		put(c, key, sizeof(key), c->value, len);
	}
	cs_store_free(value);
}

static void
reached(struct check *c, uint32_t i, uint32_t height, const struct cs_u256 *work)
{
	c->bits[i] |= BIT_REACHED | BIT_SEEN;
	c->reached++;
	/* parents are reached first: the marks flow down; the tip is the best
	 * of the valid entries */
	if (c->parent[i] != NONE && c->invalid[c->parent[i]] != 0)
		c->invalid[i] |= DESCENDS;
	if (c->invalid[i] != 0) {
		if (i == c->tip) {
			c->tip_height = height;
			c->tip_work = *work;
		}
		return;
	}
	if (c->best == NONE || cs_u256_cmp(work, &c->best_work) > 0) {
		c->best = i;
		c->best_height = height;
		c->best_work = *work;
	}
	if (i == c->tip) {
		c->tip_height = height;
		c->tip_work = *work;
	}
}

static void
walk_from_genesis(struct check *c)
{
	struct walk w = { NULL, 0, 0 };
	struct cs_u256 work, zero;
	struct cs_rules_ctx ctx;
	uint32_t cur = c->genesis, height;
	size_t lo, hi;

	cs_u256_set_u64(&zero, 0);
	memset(&ctx, 0, sizeof(ctx));
	derive(c, cur, true, 0, &zero, NULL, &height, &work, &ctx);
	while (!c->failed) {
		reached(c, cur, height, &work);
		step("following the chain", c->reached, c->n);
		children(c, cur, &lo, &hi);
		if (lo < hi) {
			if (hi - lo > 1 && push(c, &w, lo + 1, hi, height, &work, &ctx) != 0)
				break;
			cur = c->order[lo];
			derive(c, cur, false, height, &work, &ctx, &height, &work, &ctx);
			continue;
		}
		while (w.n > 0 && w.v[w.n - 1].next == w.v[w.n - 1].end)
			w.n--;
		if (w.n == 0)
			break;
		cur = c->order[w.v[w.n - 1].next++];
		derive(c, cur, false, w.v[w.n - 1].height, &w.v[w.n - 1].work, &w.v[w.n - 1].ctx, &height, &work, &ctx);
	}
	free(w.v);
}

/* Pass 5: what does not connect to the genesis. */

static void
drop_unconnected(struct check *c, uint32_t i)
{
	uint8_t key[33];
	struct cs_entry e;
	char *value, *body = NULL;
	size_t vlen, blen;

	cs_store_key(key, CS_KEY_ENTRY, c->hash[i]);
	value = get(c, key, sizeof(key), &vlen, "entry", c->hash[i]);
	if (value != NULL && cs_store_decode_entry(c->s, c->hash[i], value, vlen, &e) == 0 &&
	    c->o->dropped != NULL) {
		if (c->bits[i] & BIT_BODY) {
			key[0] = CS_KEY_BODY;
			body = get(c, key, sizeof(key), &blen, "body", c->hash[i]);
			e.body = (const uint8_t *)body;
			e.body_len = body != NULL ? blen : 0;
		}
		c->failed = c->o->dropped(c->o->ctx, &e, c->err);
	}
	cs_store_free(body);
	cs_store_free(value);
	if (c->failed)
		return;
	c->batch_dropped++; /* before the delete, which may end the batch */
	del_hash(c, CS_KEY_ENTRY, c->hash[i]);
	if (c->bits[i] & BIT_BODY) {
		del_hash(c, CS_KEY_BODY, c->hash[i]);
		c->tx_rebuild = true;
	}
}

/* Marks the subtree under root as seen (dropping it in a repair), and
 * returns its size. */
static uint64_t
walk_cut_off(struct check *c, uint32_t root)
{
	struct walk w = { NULL, 0, 0 };
	struct cs_rules_ctx none;
	struct cs_u256 zero;
	uint32_t cur = root;
	uint64_t count = 0;
	size_t lo, hi;

	cs_u256_set_u64(&zero, 0);
	memset(&none, 0, sizeof(none));
	while (!c->failed) {
		c->bits[cur] |= BIT_SEEN;
		count++;
		if (c->repair)
			drop_unconnected(c, cur);
		children(c, cur, &lo, &hi);
		if (lo < hi) {
			if (hi - lo > 1 && push(c, &w, lo + 1, hi, 0, &zero, &none) != 0)
				break;
			cur = c->order[lo];
			continue;
		}
		while (w.n > 0 && w.v[w.n - 1].next == w.v[w.n - 1].end)
			w.n--;
		if (w.n == 0)
			break;
		cur = c->order[w.v[w.n - 1].next++];
	}
	free(w.v);
	return count;
}

static void
check_unconnected(struct check *c)
{
	char a[CS_HASH_HEX], b[CS_HASH_HEX];
	uint64_t cut = 0;

	for (uint32_t i = 0; i < c->n && !c->failed; i++) {
		uint8_t key[33], prev[32];
		struct cs_entry e;
		uint64_t count;
		size_t vlen;
		char *value;

		if ((c->bits[i] & BIT_SEEN) || c->parent[i] != NONE)
			continue;
		memset(prev, 0, 32);
		cs_store_key(key, CS_KEY_ENTRY, c->hash[i]);
		value = get(c, key, sizeof(key), &vlen, "entry", c->hash[i]);
		if (value != NULL && cs_store_decode_entry(c->s, c->hash[i], value, vlen, &e) == 0)
			memcpy(prev, e.prev, 32);
		cs_store_free(value);
		hex_hash(a, c->hash[i]);
		count = walk_cut_off(c, i);
		cut += count;
		finding(c, "entry %s: its parent %s is %s; it and %llu %s after it do not connect to the %s", a,
		    hex_hash(b, prev), find_bad(c, prev) != NULL ? "not sound" : "not stored",
		    (unsigned long long)(count - 1), count == 2 ? "entry" : "entries", root_name(c));
	}
	/* What is left goes round in circles (an opaque store can say so). */
	for (uint32_t i = 0; i < c->n && !c->failed; i++) {
		if (c->bits[i] & BIT_SEEN)
			continue;
		c->bits[i] |= BIT_SEEN;
		cut++;
		finding(c, "entry %s: its parent links go round in a cycle and never reach the %s",
		    hex_hash(a, c->hash[i]), root_name(c));
		if (c->repair)
			drop_unconnected(c, i);
	}
	if (c->repair && cut > 0 && !c->failed)
		repaired(c, "dropped %llu entries that do not connect to the %s", (unsigned long long)cut,
		    root_name(c));
}

/* Pass 6: the chain tips. */

static void
mark_children(struct check *c)
{
	for (uint32_t i = 0; i < c->n; i++) {
		bool keep = !c->repair || (c->bits[i] & BIT_REACHED);

		if (keep && c->parent[i] != NONE)
			c->bits[c->parent[i]] |= BIT_CHILD;
	}
	/* A damaged child still makes its parent no tip, until it is dropped. */
	for (size_t k = 0; k < c->nbad && !c->repair; k++) {
		uint32_t p = c->bad[k].has_prev ? find(c, c->bad[k].prev) : NONE;

		if (p != NONE)
			c->bits[p] |= BIT_CHILD;
	}
}

static bool
expected_tip(const struct check *c, uint32_t i)
{
	if (c->repair && !(c->bits[i] & BIT_REACHED))
		return false;
	return !(c->bits[i] & BIT_CHILD);
}

static void
missing_tip(struct check *c, uint32_t i)
{
	char a[CS_HASH_HEX];
	uint8_t key[33];

	if (!expected_tip(c, i))
		return;
	finding(c, "entry %s: has no children but is not a chain tip", hex_hash(a, c->hash[i]));
	if (c->repair) {
		cs_store_key(key, CS_KEY_TIP, c->hash[i]);
		put(c, key, sizeof(key), "", 0);
		repaired(c, "marked %s a chain tip", a);
	}
}

static void
check_tips(struct check *c)
{
	leveldb_iterator_t *it = iterate(c, CS_KEY_TIP);
	char a[CS_HASH_HEX];
	const char *key;
	size_t klen;
	uint32_t j = 0;

	mark_children(c);
	for (; (key = key_of(it, CS_KEY_TIP, &klen)) != NULL && !c->failed; leveldb_iter_next(it)) {
		const uint8_t *hash = (const uint8_t *)key + 1;

		if (klen != 33) {
			malformed_key(c, "chain tips", key, klen);
			if (c->repair)
				del(c, key, klen);
			continue;
		}
		c->r->tips++;
		for (; j < c->n && memcmp(c->hash[j], hash, 32) < 0; j++)
			missing_tip(c, j);
		if (j < c->n && memcmp(c->hash[j], hash, 32) == 0) {
			if (!expected_tip(c, j)) {
				if (!c->repair || (c->bits[j] & BIT_REACHED))
					finding(c, "chain tip %s: has children", hex_hash(a, hash));
				if (c->repair)
					del(c, key, klen);
			}
			j++;
		} else if (c->repair) {
			del(c, key, klen);
		} else if (find_bad(c, hash) == NULL) {
			finding(c, "chain tip %s: no such entry", hex_hash(a, hash));
		}
	}
	for (; j < c->n && !c->failed; j++)
		missing_tip(c, j);
	iterate_end(c, it, "chain tips");
}

/* Pass 7: the meta tip and the height index. */

static void
run_flush(struct check *c, struct height_run *run)
{
	char tip[48] = "";

	if (!run->open)
		return;
	if (run->what[0] == 'a')
		snprintf(tip, sizeof(tip), " the tip (height %u)", run->tip);
	if (run->first == run->last)
		finding(c, "height index: height %u is %s%s", run->first, run->what, tip);
	else
		finding(c, "height index: heights %u..%u are %s%s (%llu heights)", run->first, run->last, run->what,
		    tip, (unsigned long long)run->last - run->first + 1);
	run->open = false;
}

static void
run_add(struct check *c, struct height_run *run, uint32_t h)
{
	if (run->open && run->last + 1 == h) {
		run->last = h;
		return;
	}
	run_flush(c, run);
	run->open = true;
	run->first = run->last = h;
}

/* Repair: the height index value of height, on the chain path (with its
 * header when the store keeps them there, read from the entry). */
static void
put_height(struct check *c, uint32_t height, const uint32_t *path)
{
	const uint8_t *hash = c->hash[path[height]];
	uint8_t key[33], value[CS_MAIN_VALUE_MAX];
	struct cs_entry e;
	size_t len;
	char *stored;

	cs_store_key(key, CS_KEY_ENTRY, hash);
	stored = get(c, key, sizeof(key), &len, "entry", hash);
	cs_store_height_key(key, height);
	if (stored != NULL && cs_store_decode_entry(c->s, hash, stored, len, &e) == 0 &&
	    e.header_len == CS_HEADER_SIZE)
		len = cs_store_main_value(c->s, height, hash, e.header, value);
	else
		len = cs_store_main_value(c->s, height, hash, NULL, value);
	put(c, key, 5, value, len);
	cs_store_free(stored);
}

/* A height index value that holds a header: the header, with the hash one
 * height below as its prev, must hash to the value's hash. */
static bool
height_header_sound(struct check *c, uint32_t h, const uint32_t *path, const uint8_t *value)
{
	uint8_t header[CS_HEADER_SIZE], hash[32];

	if (c->s->meta.opaque || h <= c->s->meta.base_height)
		return false;
	cs_store_main_header(value, c->hash[path[h - 1]], header);
	return cs_header_hash(header, hash) == 0 && memcmp(hash, value, 32) == 0;
}

/* The height index must be the chain from top back to the genesis. */
static void
check_heights(struct check *c, uint32_t top, uint32_t top_height)
{
	char a[CS_HASH_HEX], b[CS_HASH_HEX];
	struct height_run missing = { false, 0, 0, "missing", 0 }, above = { false, 0, 0, "above", top_height };
	uint32_t *path = NULL, next = 0, base = c->s->meta.base_height;
	leveldb_iterator_t *it;
	const char *key;
	size_t klen;

	if (top != NONE) {
		path = malloc(((size_t)top_height + 1) * sizeof(*path));
		if (path == NULL) {
			out_of_memory(c);
			return;
		}
		for (uint32_t i = top, h = top_height;; i = c->parent[i], h--) {
			path[h] = i;
			if (h <= base)
				break;
		}
	}
	next = base;
	it = iterate(c, CS_KEY_MAIN);
	for (; (key = key_of(it, CS_KEY_MAIN, &klen)) != NULL && !c->failed; leveldb_iter_next(it)) {
		size_t vlen;
		const char *value = leveldb_iter_value(it, &vlen);
		uint32_t h;

		c->r->heights++;
		if (klen != 5) {
			malformed_key(c, "height index", key, klen);
			if (c->repair)
				del(c, key, klen);
			continue;
		}
		h = be32((const uint8_t *)key + 1);
		if (h < base) {
			finding(c, "height index: height %u is below the checkpoint (height %u)", h, base);
			if (c->repair)
				del(c, key, klen);
			continue;
		}
		if (path == NULL || h > top_height) {
			if (path != NULL)
				run_add(c, &above, h);
			if (c->repair)
				del(c, key, klen);
			continue;
		}
		for (; next < h; next++) {
			run_add(c, &missing, next);
			if (c->repair)
				put_height(c, next, path);
		}
		next = h + 1;
		if (vlen != 32 && vlen != CS_MAIN_VALUE_MAX) {
			finding(c, "height index: height %u holds %zu bytes, not a hash", h, vlen);
		} else if (memcmp(value, c->hash[path[h]], 32) != 0) {
			finding(c, "height index: height %u names %s, but the chain from the tip has %s", h,
			    hex_hash(a, (const uint8_t *)value), hex_hash(b, c->hash[path[h]]));
		} else if (vlen == CS_MAIN_VALUE_MAX && !height_header_sound(c, h, path, (const uint8_t *)value)) {
			finding(c, "height index: height %u holds a header that is not its entry's", h);
		} else {
			continue;
		}
		if (c->repair)
			put_height(c, h, path);
	}
	iterate_end(c, it, "height index");
	for (; path != NULL && next <= top_height && !c->failed; next++) {
		run_add(c, &missing, next);
		if (c->repair)
			put_height(c, next, path);
		if (next == top_height)
			break;
	}
	run_flush(c, &missing);
	run_flush(c, &above);
	free(path);
}

static void
check_tip(struct check *c)
{
	char a[CS_HASH_HEX], b[CS_HASH_HEX], x[65], y[65];
	uint32_t top = NONE, top_height = 0;

	if (c->has_tip && c->tip == NONE) {
		if (find_bad(c, c->tip_hash) == NULL)
			finding(c, "tip %s: no such entry", hex_hash(a, c->tip_hash));
	} else if (c->has_tip && !(c->bits[c->tip] & BIT_REACHED)) {
		finding(c, "tip %s: does not connect to the %s", hex_hash(a, c->tip_hash), root_name(c));
	} else if (c->has_tip) {
		if (c->invalid[c->tip] != 0)
			finding(c, "tip %s: invalid: %s an entry marked invalid", hex_hash(a, c->tip_hash),
			    (c->invalid[c->tip] & MARKED) ? "it is" : "it descends from");
		else if (c->best != NONE && cs_u256_cmp(&c->tip_work, &c->best_work) < 0)
			finding(c, "tip %s: not the best entry: %s has more chainwork (%s, the tip %s)",
			    hex_hash(a, c->tip_hash), hex_hash(b, c->hash[c->best]), hex_work(x, &c->best_work),
			    hex_work(y, &c->tip_work));
		top = c->tip;
		top_height = c->tip_height;
	}
	/* A repair moves the tip to the best entry; a check measures the
	 * height index against the meta tip while it can. */
	if (c->best != NONE && (top == NONE || (c->repair && (cs_u256_cmp(&c->tip_work, &c->best_work) < 0 ||
								  c->invalid[c->tip] != 0)))) {
		top = c->best;
		top_height = c->best_height;
	}
	if (top != NONE) {
		c->r->main = (uint64_t)top_height - c->s->meta.base_height + 1;
		c->r->forks = c->reached - c->r->main;
	}
	check_heights(c, top, top_height);
	if (c->repair && top != c->tip) {
		c->new_tip = top;
		c->new_tip_height = top_height;
	}
}

/* Pass 8: the transaction index. */

/* Whether the body of block b holds txid; c->txs keeps the txids of the
 * last body parsed. */
static bool
body_holds(struct check *c, uint32_t b, const uint8_t txid[32])
{
	if (c->cached_body != b) {
		struct cs_error ignored;
		uint8_t key[33];
		size_t len;
		char *body;

		c->cached_body = b;
		c->ntx = 0;
		cs_store_key(key, CS_KEY_BODY, c->hash[b]);
		body = get(c, key, sizeof(key), &len, "body", c->hash[b]);
		if (body == NULL || body_txids(c, (const uint8_t *)body, len, NULL, &ignored) != 0)
			c->ntx = 0;
		cs_store_free(body);
	}
	for (size_t lo = 0, hi = c->ntx; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = memcmp(c->txs[mid].txid, txid, 32);

		if (cmp == 0)
			return true;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void
check_tx_index(struct check *c)
{
	char a[CS_HASH_HEX], b[CS_HASH_HEX];
	leveldb_iterator_t *it = iterate(c, CS_KEY_TX);
	uint64_t with_body = 0, strays;
	const char *key;
	size_t klen;

	for (; (key = key_of(it, CS_KEY_TX, &klen)) != NULL && !c->failed; leveldb_iter_next(it)) {
		const uint8_t *txid = (const uint8_t *)key + 1, *block = (const uint8_t *)key + 33;
		size_t vlen;
		uint32_t i;

		c->r->transactions++;
		step("reading the transaction index", c->r->transactions, 0);
		c->tx_rebuild = c->tx_rebuild || c->s->meta.opaque;
		if (klen != CS_TX_KEY_SIZE) {
			malformed_key(c, "transaction index", key, klen);
			c->tx_rebuild = true;
			continue;
		}
		if (c->s->meta.opaque) {
			finding(c, "transaction index: txid %s of block %s in an opaque store", hex_hash(a, txid),
			    hex_hash(b, block));
			continue;
		}
		leveldb_iter_value(it, &vlen);
		if (vlen != 4) {
			finding(c, "transaction index: txid %s of block %s holds %zu bytes, not a position",
			    hex_hash(a, txid), hex_hash(b, block), vlen);
			c->tx_rebuild = true;
		}
		i = find(c, block);
		if (i != NONE && (c->bits[i] & BIT_BODY) && (!c->repair || (c->bits[i] & BIT_REACHED))) {
			with_body++;
			continue;
		}
		finding(c, "transaction index: txid %s names block %s, which %s", hex_hash(a, txid), hex_hash(b, block),
		    i == NONE ? "is not a sound entry" : "has no sound body");
		c->tx_rebuild = true;
	}
	iterate_end(c, it, "transaction index");

	/* The bodies' txids were all looked up; more keys naming blocks with
	 * bodies than were found means some name a txid the block lacks. */
	strays = with_body > c->tx_found ? with_body - c->tx_found : 0;
	if (strays == 0 || c->failed)
		return;
	c->tx_rebuild = true;
	if (c->repair)
		return;
	it = iterate(c, CS_KEY_TX);
	for (; (key = key_of(it, CS_KEY_TX, &klen)) != NULL && strays > 0 && !c->failed; leveldb_iter_next(it)) {
		const uint8_t *txid = (const uint8_t *)key + 1, *block = (const uint8_t *)key + 33;
		uint32_t i;

		if (klen != CS_TX_KEY_SIZE || (i = find(c, block)) == NONE || !(c->bits[i] & BIT_BODY))
			continue;
		if (!body_holds(c, i, txid)) {
			finding(c, "transaction index: txid %s names block %s, whose body does not hold it",
			    hex_hash(a, txid), hex_hash(b, block));
			strays--;
		}
	}
	iterate_end(c, it, "transaction index");
}

/* Repair: the whole index again, from the bodies kept. */
static void
rebuild_tx_index(struct check *c)
{
	leveldb_iterator_t *it = iterate(c, CS_KEY_TX);
	uint8_t key[CS_TX_KEY_SIZE], value[4];
	struct cs_error berr;
	const char *k;
	size_t klen;
	uint64_t written = 0;

	for (; (k = key_of(it, CS_KEY_TX, &klen)) != NULL && !c->failed; leveldb_iter_next(it))
		del(c, k, klen);
	iterate_end(c, it, "transaction index");
	if (c->s->meta.opaque) {
		repaired(c, "emptied the transaction index (an opaque store has none)");
		return;
	}
	it = iterate(c, CS_KEY_BODY);
	for (; (k = key_of(it, CS_KEY_BODY, &klen)) != NULL && !c->failed; leveldb_iter_next(it)) {
		uint32_t i = klen == 33 ? find(c, (const uint8_t *)k + 1) : NONE;
		const char *body;
		size_t blen;

		if (i == NONE || (c->bits[i] & (BIT_BODY | BIT_REACHED)) != (BIT_BODY | BIT_REACHED))
			continue;
		body = leveldb_iter_value(it, &blen);
		c->ntx = 0;
		if (cs_block_parse((const uint8_t *)body, blen, NULL, NULL, collect_tx, c, &berr) != 0)
			continue;
		/* in block order, so that a repeated txid keeps its last position */
		for (size_t t = 0; t < c->ntx; t++) {
			cs_store_tx_key(key, c->txs[t].txid, c->hash[i]);
			cs_store_tx_value(value, c->txs[t].index);
			put(c, key, sizeof(key), value, sizeof(value));
			written++;
		}
	}
	iterate_end(c, it, "bodies");
	repaired(c, "rebuilt the transaction index from the bodies (%llu keys)", (unsigned long long)written);
}

/* The passes, in order. */

static int
run(struct cs_store *s, const struct cs_check_options *o, struct cs_check_report *r, struct cs_error *err,
    bool repair)
{
	static const struct cs_check_options none = { NULL, NULL, NULL, NULL };
	char a[CS_HASH_HEX];
	struct check c;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.o = o != NULL ? o : &none;
	c.r = r;
	c.err = err;
	c.repair = repair;
	c.genesis = c.tip = c.best = c.cached_body = c.new_tip = NONE;
	r->hashes_verified = !s->meta.opaque;
	r->rules_verified = s->rules.enabled && !s->meta.opaque;
	c.scan = leveldb_readoptions_create();
	leveldb_readoptions_set_verify_checksums(c.scan, 1);
	leveldb_readoptions_set_fill_cache(c.scan, 0);
	c.get = leveldb_readoptions_create();
	leveldb_readoptions_set_verify_checksums(c.get, 1);
	c.batch = leveldb_writebatch_create();
	c.value = malloc(CS_ENTRY_VALUE_MAX);
	if (c.value == NULL)
		out_of_memory(&c);

	if (!c.failed)
		check_meta(&c);
	if (!c.failed && repair)
		restore_genesis(&c);
	if (!c.failed)
		scan_entries(&c);
	if (!c.failed) {
		c.genesis = find(&c, s->meta.root);
		if (c.has_tip)
			c.tip = find(&c, c.tip_hash);
		if (c.genesis == NONE && find_bad(&c, s->meta.root) == NULL)
			finding(&c, "%s entry %s: missing", root_name(&c), hex_hash(a, s->meta.root));
		if (c.genesis == NONE && repair)
			c.failed = cs_error_set(err, CS_EX_IOERR,
			    "cannot repair store '%s': its %s entry %s is lost (restore it from a backup)", s->dir,
			    root_name(&c), hex_hash(a, s->meta.root));
	}
	if (!c.failed)
		link_parents(&c);
	if (!c.failed)
		sort_children(&c);
	if (!c.failed)
		check_marks(&c);
	if (!c.failed && c.genesis != NONE)
		walk_from_genesis(&c);
	if (!c.failed)
		check_unconnected(&c);
	if (!c.failed)
		check_tips(&c);
	if (!c.failed)
		check_tip(&c);
	if (!c.failed)
		check_tx_index(&c);
	if (!c.failed && repair && c.tx_rebuild)
		rebuild_tx_index(&c);
	if (!c.failed && c.new_tip != NONE) {
		put(&c, CS_META_TIP, CS_META_LEN(CS_META_TIP), c.hash[c.new_tip], 32);
		repaired(&c, "set the tip to %s (height %u)", hex_hash(a, c.hash[c.new_tip]), c.new_tip_height);
	}
	commit(&c);

	leveldb_writebatch_destroy(c.batch);
	leveldb_readoptions_destroy(c.scan);
	leveldb_readoptions_destroy(c.get);
	free(c.value);
	free(c.hash);
	free(c.parent);
	free(c.order);
	free(c.first);
	free(c.stored);
	free(c.bits);
	free(c.invalid);
	free(c.bad);
	free(c.txs);
	return c.failed;
}

int
cs_check_store(struct cs_store *s, const struct cs_check_options *o, struct cs_check_report *r,
    struct cs_error *err)
{
	return run(s, o, r, err, false);
}

int
cs_check_repair(struct cs_store *s, const struct cs_check_options *o, struct cs_check_report *r,
    struct cs_error *err)
{
	return run(s, o, r, err, true);
}
