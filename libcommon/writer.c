#include "writer.h"

#include "cborio.h"
#include "exit.h"
#include "header.h"
#include "hex.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
cs_chain_view_init(struct cs_chain_view *view, struct cs_store *store)
{
	memset(view, 0, sizeof(*view));
	view->store = store;
}

/* The main chain's height, read once each time the store is taken (no
 * writer moves the tip while it is held). */
static int
view_tip(struct cs_chain_view *v, uint32_t *height, struct cs_error *err)
{
	struct cs_entry tip;
	char *owned;
	int rc;

	if (v->have_tip && memcmp(&v->tip_held_since, &v->store->held_since, sizeof(v->tip_held_since)) == 0) {
		*height = v->tip_height;
		return 0;
	}
	if ((rc = cs_store_get_tip_entry(v->store, &tip, &owned, err)) != 0)
		return rc;
	cs_store_free(owned);
	v->tip_height = tip.height;
	v->tip_held_since = v->store->held_since;
	v->have_tip = true;
	*height = tip.height;
	return 0;
}

/* e's time and its ancestors', newest first, up to CS_RULES_MEDIAN_SPAN, into
 * the view's window: from the window when e is the child of the entry
 * before, else read back through prev; below a checkpoint the store's
 * root times stand in for the entries it does not hold. */
static int
view_times(struct cs_chain_view *v, const struct cs_entry *e, struct cs_error *err)
{
	const struct cs_store_meta *meta = &v->store->meta;
	uint32_t times[CS_RULES_MEDIAN_SPAN], height = e->height;
	uint8_t prev[32];
	unsigned n = 0;
	int rc = 0;

	times[n++] = cs_le32(e->header + 68);
	if (v->have_window && memcmp(v->window_hash, e->prev, 32) == 0) {
		for (unsigned i = 0; i < v->window_len && n < CS_RULES_MEDIAN_SPAN; i++)
			times[n++] = v->window[i];
	} else {
		memcpy(prev, e->prev, 32);
		while (n < CS_RULES_MEDIAN_SPAN && height > meta->base_height) {
			struct cs_entry parent;
			char *owned;

			if ((rc = cs_store_read_entry(v->store, prev, &parent, &owned, err)) != 0)
				break;
			times[n++] = cs_le32(parent.header + 68);
			memcpy(prev, parent.prev, 32);
			height = parent.height;
			cs_store_free(owned);
		}
		if (rc == CS_EX_NOTFOUND)
			return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: an entry's parent is missing",
			    v->store->dir);
		if (rc != 0)
			return rc;
		for (unsigned i = 0; height == meta->base_height && i < meta->root_time_count && n < CS_RULES_MEDIAN_SPAN; i++)
			times[n++] = meta->root_times[i];
	}
	memcpy(v->window, times, n * sizeof(times[0]));
	v->window_len = n;
	memcpy(v->window_hash, e->hash, 32);
	v->have_window = true;
	return 0;
}

/* What getblockheader prints of an entry beyond its header's fields. */
struct decoded {
	long confirmations;
	uint32_t mediantime;
	bool has_ntx, has_next;
	uint64_t ntx;
	uint8_t next[32];
	char difficulty[CS_DOUBLE_TEXT];
};

static bool
decodes(const struct cs_print *how, const struct cs_entry *e)
{
	if (how->view == NULL || how->opaque || how->bare || e->header_len != CS_HEADER_SIZE)
		return false;
	return how->format == CS_FORMAT_JSON || how->format == CS_FORMAT_TEXT ||
	       (how->format == CS_FORMAT_CBOR && how->decode);
}

static int
decode_entry(const struct cs_print *how, const struct cs_entry *e, struct decoded *d, struct cs_error *err)
{
	struct cs_chain_view *v = how->view;
	uint32_t tip;
	char *body = NULL;
	size_t body_len;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = view_tip(v, &tip, err)) != 0 || (rc = view_times(v, e, err)) != 0)
		return rc;
	d->confirmations = e->main && tip >= e->height ? (long)(tip - e->height) + 1 : -1;
	d->mediantime = v->window_len > 0 ? (uint32_t)cs_rules_median_time(v->window, v->window_len) : 0;
	cs_double_text(cs_difficulty(cs_header_bits(e->header)), d->difficulty);
	if (e->main && e->height < tip) {
		if ((rc = cs_store_get_main(v->store, e->height + 1, d->next, err)) == CS_EX_NOTFOUND)
			rc = cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: no main-chain entry at height %" PRIu32,
			    v->store->dir, e->height + 1);
		if (rc != 0)
			return rc;
		d->has_next = true;
	}
	if (e->body != NULL) {
		d->has_ntx = cs_body_tx_count(e->body, e->body_len, &d->ntx) == 0;
		return 0;
	}
	rc = cs_store_get_body(v->store, e->hash, &body, &body_len, err);
	if (rc == 0)
		d->has_ntx = cs_body_tx_count((const uint8_t *)body, body_len, &d->ntx) == 0;
	cs_store_free(body);
	return rc == CS_EX_NOTFOUND ? 0 : rc;
}

/* Points c at room bytes reserved in out; false when out cannot grow. */
static bool
reserve_cursor(struct cs_out *out, size_t room, struct cs_cbor_cursor *c)
{
	uint8_t *start = cs_out_reserve(out, room);

	if (start == NULL)
		return false;
	c->p = start;
	c->end = start + room;
	c->overflow = false;
	return true;
}

static const char *
status_of(const struct cs_print *how, const struct cs_entry *e)
{
	return how->status != NULL ? how->status : e->main ? "main" : "fork";
}

/* A float64 (major type 7, 27), as UniValue's double is one. */
static void
put_cbor_double(struct cs_cbor_cursor *c, double v)
{
	uint64_t bits;

	if (c->overflow || c->end - c->p < 9) {
		c->overflow = true;
		return;
	}
	memcpy(&bits, &v, 8);
	*c->p++ = 0xfb;
	for (int shift = 56; shift >= 0; shift -= 8)
		*c->p++ = (uint8_t)(bits >> shift);
}

/* getblockheader's fields in CBOR (--decode), in its order, hashes as
 * 32-byte strings in internal order as every hash in CBOR: from
 * confirmations to nextblockhash, chainwork left to the entry's own. */
static size_t
cbor_decoded_pairs(const struct decoded *d, const struct cs_entry *e)
{
	return 9 + d->has_ntx + (e->height > 0) + d->has_next;
}

static void
put_cbor_decoded(struct cs_cbor_cursor *c, const struct decoded *d, const struct cs_entry *e)
{
	struct cs_header h;
	char hex[9];

	cs_header_decode(e->header, &h);
	cs_cbor_put_text(c, "confirmations");
	cs_cbor_put_int(c, d->confirmations);
	cs_cbor_put_text(c, "version");
	cs_cbor_put_int(c, h.version);
	cs_cbor_put_text(c, "versionHex");
	snprintf(hex, sizeof(hex), "%08" PRIx32, (uint32_t)h.version);
	cs_cbor_put_text(c, hex);
	cs_cbor_put_text(c, "merkleroot");
	cs_cbor_put_bytes(c, h.merkle, 32);
	cs_cbor_put_text(c, "time");
	cs_cbor_put_uint(c, h.time);
	cs_cbor_put_text(c, "mediantime");
	cs_cbor_put_uint(c, d->mediantime);
	cs_cbor_put_text(c, "nonce");
	cs_cbor_put_uint(c, h.nonce);
	cs_cbor_put_text(c, "bits");
	snprintf(hex, sizeof(hex), "%08" PRIx32, h.bits);
	cs_cbor_put_text(c, hex);
	cs_cbor_put_text(c, "difficulty");
	put_cbor_double(c, cs_difficulty(h.bits));
	if (d->has_ntx) {
		cs_cbor_put_text(c, "nTx");
		cs_cbor_put_uint(c, d->ntx);
	}
	if (e->height > 0) {
		cs_cbor_put_text(c, "previousblockhash");
		cs_cbor_put_bytes(c, h.prev, 32);
	}
	if (d->has_next) {
		cs_cbor_put_text(c, "nextblockhash");
		cs_cbor_put_bytes(c, d->next, 32);
	}
}

static void
write_cbor(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e, const struct decoded *d)
{
	bool body = how->with_body && e->body != NULL;
	size_t pairs = (how->bare ? 2 : 5) + (how->opaque ? 2 : 0) + (how->branchlen >= 0) + body;
	struct cs_cbor_cursor c;
	uint8_t *start;

	if (d != NULL)
		pairs += cbor_decoded_pairs(d, e);
	if (!reserve_cursor(out, 1024 + e->header_len, &c))
		return;
	start = c.p;
	cs_cbor_put_map(&c, pairs);
	cs_cbor_put_text(&c, "hash");
	cs_cbor_put_bytes(&c, e->hash, 32);
	if (d != NULL)
		put_cbor_decoded(&c, d, e);
	cs_cbor_put_text(&c, "header");
	cs_cbor_put_bytes(&c, e->header, e->header_len);
	if (!how->bare) {
		cs_cbor_put_text(&c, "height");
		cs_cbor_put_uint(&c, e->height);
		cs_cbor_put_text(&c, "chainwork");
		cs_cbor_put_u256(&c, &e->chainwork, false);
		cs_cbor_put_text(&c, "status");
		cs_cbor_put_text(&c, status_of(how, e));
	}
	if (how->opaque) {
		cs_cbor_put_text(&c, "prev");
		cs_cbor_put_bytes(&c, e->prev, 32);
		cs_cbor_put_text(&c, "work");
		cs_cbor_put_u256(&c, &e->work, true);
	}
	if (how->branchlen >= 0) {
		cs_cbor_put_text(&c, "branchlen");
		cs_cbor_put_uint(&c, (uint64_t)how->branchlen);
	}
	if (body) {
		cs_cbor_put_text(&c, "body");
		cs_cbor_put_bytes_head(&c, e->body_len);
	}
	cs_out_commit(out, (size_t)(c.p - start));
	if (body)
		cs_out_write(out, e->body, e->body_len);
}

/* getblockheader's object, from hash to nextblockhash, without its
 * closing brace. */
static void
write_json_decoded(struct cs_out *out, const struct cs_entry *e, const struct decoded *d)
{
	char hash[CS_HASH_HEX], merkle[CS_HASH_HEX], work[65];
	struct cs_header h;

	cs_header_decode(e->header, &h);
	cs_hash_to_display(e->hash, hash);
	cs_hash_to_display(h.merkle, merkle);
	cs_u256_to_hex(&e->chainwork, work);
	cs_out_printf(out,
	    "{\"hash\":\"%s\",\"confirmations\":%ld,\"height\":%" PRIu32 ",\"version\":%" PRId32
	    ",\"versionHex\":\"%08" PRIx32 "\",\"merkleroot\":\"%s\",\"time\":%" PRIu32 ",\"mediantime\":%" PRIu32
	    ",\"nonce\":%" PRIu32 ",\"bits\":\"%08" PRIx32 "\",\"difficulty\":%s,\"chainwork\":\"%s\"",
	    hash, d->confirmations, e->height, h.version, (uint32_t)h.version, merkle, h.time, d->mediantime, h.nonce,
	    h.bits, d->difficulty, work);
	if (d->has_ntx)
		cs_out_printf(out, ",\"nTx\":%" PRIu64, d->ntx);
	if (e->height > 0) {
		cs_hash_to_display(h.prev, hash);
		cs_out_printf(out, ",\"previousblockhash\":\"%s\"", hash);
	}
	if (d->has_next) {
		cs_hash_to_display(d->next, hash);
		cs_out_printf(out, ",\"nextblockhash\":\"%s\"", hash);
	}
}

static void
write_json(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e, const struct decoded *d)
{
	char hash[CS_HASH_HEX], work[65];

	cs_hash_to_display(e->hash, hash);
	cs_u256_to_hex(&e->chainwork, work);
	if (d != NULL) {
		write_json_decoded(out, e, d);
		cs_out_write(out, ",\"header\":\"", 11);
		cs_out_hex(out, e->header, e->header_len);
		cs_out_printf(out, "\",\"status\":\"%s\"", status_of(how, e));
	} else {
		cs_out_printf(out, "{\"hash\":\"%s\",\"header\":\"", hash);
		cs_out_hex(out, e->header, e->header_len);
		cs_out_write(out, "\"", 1);
		if (!how->bare)
			cs_out_printf(out, ",\"height\":%" PRIu32 ",\"chainwork\":\"%s\",\"status\":\"%s\"", e->height,
			    work, status_of(how, e));
	}
	if (how->opaque) {
		cs_hash_to_display(e->prev, hash);
		cs_u256_to_hex(&e->work, work);
		if (e->work.limb[1] == 0 && e->work.limb[2] == 0 && e->work.limb[3] == 0)
			cs_out_printf(out, ",\"prev\":\"%s\",\"work\":%" PRIu64, hash, e->work.limb[0]);
		else
			cs_out_printf(out, ",\"prev\":\"%s\",\"work\":\"%s\"", hash, work);
	}
	if (how->branchlen >= 0)
		cs_out_printf(out, ",\"branchlen\":%ld", how->branchlen);
	if (how->with_body && e->body != NULL) {
		cs_out_write(out, ",\"body\":\"", 9);
		cs_out_hex(out, e->body, e->body_len);
		cs_out_write(out, "\"", 1);
	}
	cs_out_write(out, "}\n", 2);
}

static void
write_text(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e)
{
	char hash[CS_HASH_HEX], work[65];
	const char *trimmed;

	cs_hash_to_display(e->hash, hash);
	cs_u256_to_hex(&e->chainwork, work);
	for (trimmed = work; trimmed[0] == '0' && trimmed[1] != '\0'; trimmed++)
		;
	cs_out_printf(out, "%7" PRIu32 "  %s  %-*s", e->height, hash, how->status != NULL ? 13 : 0, status_of(how, e));
	if (how->branchlen >= 0)
		cs_out_printf(out, "  %6ld", how->branchlen);
	cs_out_printf(out, "  %s", trimmed);
	if (how->with_body && e->body != NULL)
		cs_out_printf(out, "  body %zu bytes", e->body_len);
	cs_out_write(out, "\n", 1);
}

/* The decoded fields under an entry's line, one "  key  value" line each,
 * the keys as getblockheader's (hash, height and chainwork are on the
 * line above). */
static void
write_text_decoded(struct cs_out *out, const struct cs_entry *e, const struct decoded *d)
{
	char hash[CS_HASH_HEX];
	struct cs_header h;

	cs_header_decode(e->header, &h);
	cs_hash_to_display(h.merkle, hash);
	cs_out_printf(out,
	    "  confirmations      %ld\n  version            %" PRId32 "\n  versionHex         %08" PRIx32
	    "\n  merkleroot         %s\n  time               %" PRIu32 "\n  mediantime         %" PRIu32
	    "\n  nonce              %" PRIu32 "\n  bits               %08" PRIx32 "\n  difficulty         %s\n",
	    d->confirmations, h.version, (uint32_t)h.version, hash, h.time, d->mediantime, h.nonce, h.bits,
	    d->difficulty);
	if (d->has_ntx)
		cs_out_printf(out, "  nTx                %" PRIu64 "\n", d->ntx);
	if (e->height > 0) {
		cs_hash_to_display(h.prev, hash);
		cs_out_printf(out, "  previousblockhash  %s\n", hash);
	}
	if (d->has_next) {
		cs_hash_to_display(d->next, hash);
		cs_out_printf(out, "  nextblockhash      %s\n", hash);
	}
}

bool
cs_print_shows_status(const struct cs_print *how)
{
	switch (how->format) {
	case CS_FORMAT_CBOR:
	case CS_FORMAT_JSON:
		return !how->bare;
	case CS_FORMAT_TEXT:
		return true;
	default:
		return false;
	}
}

int
cs_write_entry(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e, struct cs_error *err)
{
	struct decoded decoded, *d = NULL;
	int rc;

	if (decodes(how, e)) {
		if ((rc = decode_entry(how, e, &decoded, err)) != 0)
			return rc;
		d = &decoded;
	}
	switch (how->format) {
	case CS_FORMAT_CBOR:
		write_cbor(out, how, e, d);
		break;
	case CS_FORMAT_JSON:
		write_json(out, how, e, d);
		break;
	case CS_FORMAT_TEXT:
		write_text(out, how, e);
		if (d != NULL)
			write_text_decoded(out, e, d);
		break;
	case CS_FORMAT_HEX:
		cs_out_hex(out, e->header, e->header_len);
		if (how->with_body && e->body != NULL)
			cs_out_hex(out, e->body, e->body_len);
		cs_out_write(out, "\n", 1);
		break;
	case CS_FORMAT_RAW:
		cs_out_write(out, e->header, e->header_len);
		break;
	case CS_FORMAT_BLK:
	case CS_FORMAT_PROMETHEUS:
		break;
	}
	return 0;
}

static void
write_tx_cbor(struct cs_out *out, const struct cs_tx_found *t)
{
	struct cs_cbor_cursor c;
	uint8_t *start;

	if (!reserve_cursor(out, 256, &c))
		return;
	start = c.p;
	cs_cbor_put_map(&c, 5);
	cs_cbor_put_text(&c, "txid");
	cs_cbor_put_bytes(&c, t->txid, 32);
	cs_cbor_put_text(&c, "tx");
	cs_cbor_put_bytes_head(&c, t->tx_len);
	cs_out_commit(out, (size_t)(c.p - start));
	cs_out_write(out, t->tx, t->tx_len);
	if (!reserve_cursor(out, 256, &c))
		return;
	start = c.p;
	cs_cbor_put_text(&c, "block");
	cs_cbor_put_bytes(&c, t->block, 32);
	cs_cbor_put_text(&c, "height");
	cs_cbor_put_uint(&c, t->height);
	cs_cbor_put_text(&c, "index");
	cs_cbor_put_uint(&c, t->index);
	cs_out_commit(out, (size_t)(c.p - start));
}

int
cs_write_tx(struct cs_out *out, enum cs_format format, struct cs_chain_view *view, const struct cs_tx_found *t,
    struct cs_error *err)
{
	char txid[CS_HASH_HEX], block[CS_HASH_HEX];
	uint32_t tip = 0;
	long confirmations;
	int rc;

	cs_hash_to_display(t->txid, txid);
	cs_hash_to_display(t->block, block);
	if ((format == CS_FORMAT_JSON || format == CS_FORMAT_TEXT) && (rc = view_tip(view, &tip, err)) != 0)
		return rc;
	/* as getrawtransaction: 0 for a block off the main chain */
	confirmations = t->main && tip >= t->height ? (long)(tip - t->height) + 1 : 0;
	switch (format) {
	case CS_FORMAT_CBOR:
		write_tx_cbor(out, t);
		break;
	case CS_FORMAT_JSON:
		cs_out_write(out, "{", 1);
		if ((rc = cs_tx_write_json(out, t->txid, t->tx, t->tx_len, err)) != 0)
			return rc;
		cs_out_printf(out, ",\"blockhash\":\"%s\",\"confirmations\":%ld", block, confirmations);
		if (t->main)
			cs_out_printf(out, ",\"time\":%" PRIu32 ",\"blocktime\":%" PRIu32, t->block_time, t->block_time);
		cs_out_printf(out, ",\"tx\":\"");
		cs_out_hex(out, t->tx, t->tx_len);
		cs_out_printf(out, "\",\"block\":\"%s\",\"height\":%" PRIu32 ",\"index\":%" PRIu32 "}\n", block,
		    t->height, t->index);
		break;
	case CS_FORMAT_TEXT:
		cs_out_printf(out, "%s  %7" PRIu32 "  %s  %s  %5" PRIu32 "  %zu bytes\n", txid, t->height, block,
		    t->main ? "main" : "fork", t->index, t->tx_len);
		if ((rc = cs_tx_write_text(out, t->tx, t->tx_len, err)) != 0)
			return rc;
		cs_out_printf(out, "  confirmations      %ld\n", confirmations);
		if (t->main)
			cs_out_printf(out, "  time               %" PRIu32 "\n", t->block_time);
		break;
	case CS_FORMAT_HEX:
		cs_out_hex(out, t->tx, t->tx_len);
		cs_out_write(out, "\n", 1);
		break;
	case CS_FORMAT_RAW:
		cs_out_write(out, t->tx, t->tx_len);
		break;
	case CS_FORMAT_BLK:
	case CS_FORMAT_PROMETHEUS:
		break;
	}
	return 0;
}

void
cs_write_branch(struct cs_out *out, enum cs_format format, const struct cs_branch_found *b)
{
	char txid[CS_HASH_HEX], block[CS_HASH_HEX], hash[CS_HASH_HEX];
	struct cs_cbor_cursor c;
	uint8_t *start;

	if (format == CS_FORMAT_CBOR) {
		if (!reserve_cursor(out, 256 + 34 * (size_t)b->depth, &c))
			return;
		start = c.p;
		cs_cbor_put_map(&c, 5);
		cs_cbor_put_text(&c, "txid");
		cs_cbor_put_bytes(&c, b->txid, 32);
		cs_cbor_put_text(&c, "block");
		cs_cbor_put_bytes(&c, b->block, 32);
		cs_cbor_put_text(&c, "block_height");
		cs_cbor_put_uint(&c, b->height);
		cs_cbor_put_text(&c, "merkle");
		cs_cbor_put_array(&c, b->depth);
		for (unsigned i = 0; i < b->depth; i++)
			cs_cbor_put_bytes(&c, b->merkle[i], 32);
		cs_cbor_put_text(&c, "pos");
		cs_cbor_put_uint(&c, b->pos);
		cs_out_commit(out, (size_t)(c.p - start));
		return;
	}
	cs_hash_to_display(b->txid, txid);
	cs_hash_to_display(b->block, block);
	cs_out_printf(out, "{\"txid\":\"%s\",\"block\":\"%s\",\"block_height\":%" PRIu32 ",\"merkle\":[", txid,
	    block, b->height);
	for (unsigned i = 0; i < b->depth; i++) {
		cs_hash_to_display(b->merkle[i], hash);
		cs_out_printf(out, "%s\"%s\"", i ? "," : "", hash);
	}
	cs_out_printf(out, "],\"pos\":%" PRIu32 "}\n", b->pos);
}

void
cs_write_merkleblock(struct cs_out *out, enum cs_format format, const uint8_t *proof, size_t len)
{
	if (format == CS_FORMAT_RAW) {
		cs_out_write(out, proof, len);
		return;
	}
	cs_out_hex(out, proof, len);
	cs_out_write(out, "\n", 1);
}

void
cs_write_verified(struct cs_out *out, enum cs_format format, const struct cs_verified *v)
{
	char txid[CS_HASH_HEX], block[CS_HASH_HEX];
	const char *status = v->main ? "main" : "fork";
	struct cs_cbor_cursor c;
	uint8_t *start;

	cs_hash_to_display(v->txid, txid);
	cs_hash_to_display(v->block, block);
	switch (format) {
	case CS_FORMAT_CBOR:
		if (!reserve_cursor(out, 256, &c))
			return;
		start = c.p;
		cs_cbor_put_map(&c, 6);
		cs_cbor_put_text(&c, "txid");
		cs_cbor_put_bytes(&c, v->txid, 32);
		cs_cbor_put_text(&c, "block");
		cs_cbor_put_bytes(&c, v->block, 32);
		cs_cbor_put_text(&c, "height");
		cs_cbor_put_uint(&c, v->height);
		cs_cbor_put_text(&c, "pos");
		cs_cbor_put_uint(&c, v->pos);
		cs_cbor_put_text(&c, "status");
		cs_cbor_put_text(&c, status);
		cs_cbor_put_text(&c, "confirmations");
		cs_cbor_put_int(&c, v->confirmations);
		cs_out_commit(out, (size_t)(c.p - start));
		break;
	case CS_FORMAT_JSON:
		cs_out_printf(out,
		    "{\"txid\":\"%s\",\"block\":\"%s\",\"height\":%" PRIu32 ",\"pos\":%" PRIu32
		    ",\"status\":\"%s\",\"confirmations\":%ld}\n",
		    txid, block, v->height, v->pos, status, v->confirmations);
		break;
	default:
		cs_out_printf(out, "%s  %7" PRIu32 "  %s  %s  %5" PRIu32 "  %ld confirmations\n", txid, v->height, block,
		    status, v->pos, v->confirmations);
		break;
	}
}

int
cs_out_drain(struct cs_out *out, struct cs_store *store, bool always, struct cs_error *err)
{
	if (!always && !cs_out_full(out))
		return 0;
	/*
	 * Performance (docs/benchmarks.md): letting go of the store closes
	 * LevelDB, and the next lookup opens it again (manifest, table files,
	 * and the compaction it had due, started again and aborted again),
	 * which made `cs-get -` of 100,000 keys many times slower. So the store
	 * is let go only when the write would really wait for a reader (cs(7) "Locking and pipelines").
	 */
	if (cs_out_write_ready(out))
		cs_store_release(store);
	return cs_out_flush(out, err);
}
