#include "writer.h"

#include "cborio.h"
#include "hex.h"

#include <inttypes.h>
#include <string.h>

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

static void
write_cbor(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e)
{
	bool body = how->with_body && e->body != NULL;
	size_t pairs = (how->bare ? 2 : 5) + (how->opaque ? 2 : 0) + (how->branchlen >= 0) + body;
	struct cs_cbor_cursor c;
	uint8_t *start;

	if (!reserve_cursor(out, 512 + e->header_len, &c))
		return;
	start = c.p;
	cs_cbor_put_map(&c, pairs);
	cs_cbor_put_text(&c, "hash");
	cs_cbor_put_bytes(&c, e->hash, 32);
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

static void
write_hex(struct cs_out *out, const uint8_t *data, size_t len)
{
	uint8_t *p = cs_out_reserve(out, 2 * len + 1);

	if (p == NULL)
		return;
	cs_hex_encode(data, len, (char *)p);
	cs_out_commit(out, 2 * len);
}

static void
write_json(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e)
{
	char hash[CS_HASH_HEX], work[65];

	cs_hash_to_display(e->hash, hash);
	cs_u256_to_hex(&e->chainwork, work);
	cs_out_printf(out, "{\"hash\":\"%s\",\"header\":\"", hash);
	write_hex(out, e->header, e->header_len);
	cs_out_write(out, "\"", 1);
	if (!how->bare)
		cs_out_printf(out, ",\"height\":%" PRIu32 ",\"chainwork\":\"%s\",\"status\":\"%s\"", e->height, work,
		    status_of(how, e));
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
		write_hex(out, e->body, e->body_len);
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

void
cs_write_entry(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e)
{
	switch (how->format) {
	case CS_FORMAT_CBOR:
		write_cbor(out, how, e);
		break;
	case CS_FORMAT_JSON:
		write_json(out, how, e);
		break;
	case CS_FORMAT_TEXT:
		write_text(out, how, e);
		break;
	case CS_FORMAT_HEX:
		write_hex(out, e->header, e->header_len);
		if (how->with_body && e->body != NULL)
			write_hex(out, e->body, e->body_len);
		cs_out_write(out, "\n", 1);
		break;
	case CS_FORMAT_RAW:
		cs_out_write(out, e->header, e->header_len);
		break;
	case CS_FORMAT_BLK:
	case CS_FORMAT_PROMETHEUS:
		break;
	}
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

void
cs_write_tx(struct cs_out *out, enum cs_format format, const struct cs_tx_found *t)
{
	char txid[CS_HASH_HEX], block[CS_HASH_HEX];

	cs_hash_to_display(t->txid, txid);
	cs_hash_to_display(t->block, block);
	switch (format) {
	case CS_FORMAT_CBOR:
		write_tx_cbor(out, t);
		break;
	case CS_FORMAT_JSON:
		cs_out_printf(out, "{\"txid\":\"%s\",\"tx\":\"", txid);
		write_hex(out, t->tx, t->tx_len);
		cs_out_printf(out, "\",\"block\":\"%s\",\"height\":%" PRIu32 ",\"index\":%" PRIu32 "}\n", block,
		    t->height, t->index);
		break;
	case CS_FORMAT_TEXT:
		cs_out_printf(out, "%s  %7" PRIu32 "  %s  %s  %5" PRIu32 "  %zu bytes\n", txid, t->height, block,
		    t->main ? "main" : "fork", t->index, t->tx_len);
		break;
	case CS_FORMAT_HEX:
		write_hex(out, t->tx, t->tx_len);
		cs_out_write(out, "\n", 1);
		break;
	case CS_FORMAT_RAW:
		cs_out_write(out, t->tx, t->tx_len);
		break;
	case CS_FORMAT_BLK:
	case CS_FORMAT_PROMETHEUS:
		break;
	}
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
	write_hex(out, proof, len);
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
