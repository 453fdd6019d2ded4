#include "reader.h"

#include "exit.h"
#include "header.h"
#include "hex.h"
#include "network.h"
#include "proof.h"
#include "sha256.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Lines of hex or JSON carry a block as text: twice its bytes, and keys. */
#define LINE_MAX_BYTES (2 * (size_t)CS_ITEM_MAX + 1024)
#define SCRATCH_BYTES ((size_t)CS_OPAQUE_HEADER_MAX + CS_BODY_MAX + 64)

/* What a parser made of the bytes at hand. */
enum parsed { PARSED_ITEM, PARSED_SKIP, PARSED_NEED_MORE, PARSED_ERROR };

/* An item must fit the input buffer whole: a header for raw, a block and
 * its entry's fields for CBOR and blk, their hex text for json and hex
 * lines. Pages a small input never touches cost no memory. */
static size_t
buffer_size(enum cs_format format)
{
	switch (format) {
	case CS_FORMAT_RAW:
		return 1 << 20;
	case CS_FORMAT_JSON:
	case CS_FORMAT_HEX:
		return LINE_MAX_BYTES;
	default:
		return CS_ITEM_MAX;
	}
}

int
cs_reader_open(struct cs_reader *r, const char *path, enum cs_format format, const uint8_t magic[4],
    struct cs_error *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->format = format;
	r->key_text = -1;
	if (magic != NULL)
		memcpy(r->magic, magic, 4);
	if ((rc = cs_input_open(&r->in, path, buffer_size(format), err)) != 0)
		return rc;
	r->cbor = malloc(sizeof(*r->cbor));
	if (r->cbor == NULL) {
		cs_reader_close(r);
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	}
	return 0;
}

void
cs_reader_close(struct cs_reader *r)
{
	cs_input_close(&r->in);
	free(r->scratch);
	free(r->cbor);
	if (r->json != NULL)
		json_decref(r->json);
	r->scratch = NULL;
	r->cbor = NULL;
	r->json = NULL;
}

static uint8_t *
scratch(struct cs_reader *r)
{
	if (r->scratch == NULL) {
		r->scratch = malloc(SCRATCH_BYTES);
		r->scratch_cap = r->scratch ? SCRATCH_BYTES : 0;
	}
	return r->scratch;
}

static void
record_from_block(struct cs_record *rec, const uint8_t *p, size_t len)
{
	rec->header = p;
	rec->header_len = len < CS_HEADER_SIZE ? len : CS_HEADER_SIZE;
	rec->has_header = true;
	if (len > CS_HEADER_SIZE) {
		rec->body = p + CS_HEADER_SIZE;
		rec->body_len = len - CS_HEADER_SIZE;
		rec->has_body = true;
	}
}

static enum parsed
parse_raw(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	if (n < CS_HEADER_SIZE) {
		if (!r->in.eof)
			return PARSED_NEED_MORE;
		snprintf(why, why_len, "truncated header (%zu bytes, not 80)", n);
		return PARSED_ERROR;
	}
	record_from_block(rec, p, CS_HEADER_SIZE);
	*used = CS_HEADER_SIZE;
	return PARSED_ITEM;
}

static enum parsed
parse_blk(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	uint32_t len;

	/* Bitcoin Core preallocates blk*.dat files: zero bytes after the last
	 * block are padding, not data. */
	if (p[0] == 0) {
		size_t z = 0;

		while (z < n && p[z] == 0)
			z++;
		*used = z;
		return PARSED_SKIP;
	}
	if (n < 8)
		goto more;
	/* A custom chain has no magic of its own: any is accepted. */
	if (memcmp(r->magic, "\0\0\0\0", 4) != 0 && memcmp(p, r->magic, 4) != 0) {
		snprintf(why, why_len, "bad magic %02x%02x%02x%02x (expected %02x%02x%02x%02x)", p[0], p[1], p[2], p[3],
		    r->magic[0], r->magic[1], r->magic[2], r->magic[3]);
		return PARSED_ERROR;
	}
	len = cs_le32(p + 4);
	if (len < CS_HEADER_SIZE || len > CS_HEADER_SIZE + CS_BODY_MAX) {
		snprintf(why, why_len, "block length %u out of range", len);
		return PARSED_ERROR;
	}
	if (n < 8 + (size_t)len)
		goto more;
	record_from_block(rec, p + 8, len);
	*used = 8 + (size_t)len;
	return PARSED_ITEM;
more:
	if (!r->in.eof)
		return PARSED_NEED_MORE;
	snprintf(why, why_len, "truncated block");
	return PARSED_ERROR;
}

/* Finds the next line; returns its length without the newline (and
 * without trailing white space), or NEED_MORE. */
static enum parsed
next_line(struct cs_reader *r, const uint8_t *p, size_t n, size_t *line_len, size_t *used)
{
	const uint8_t *nl = memchr(p, '\n', n);
	size_t len;

	if (nl == NULL && !r->in.eof)
		return PARSED_NEED_MORE;
	len = nl ? (size_t)(nl - p) : n;
	*used = nl ? len + 1 : len;
	while (len > 0 && isspace(p[len - 1]))
		len--;
	*line_len = len;
	return len == 0 ? PARSED_SKIP : PARSED_ITEM;
}

/* next_line, and *p moved past the line's leading white space. */
static enum parsed
trimmed_line(struct cs_reader *r, const uint8_t **p, size_t n, size_t *line_len, size_t *used)
{
	enum parsed st = next_line(r, *p, n, line_len, used);

	while (st == PARSED_ITEM && *line_len > 0 && isspace(**p)) {
		(*p)++;
		(*line_len)--;
	}
	return st;
}

static enum parsed
parse_hex(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	enum parsed st;
	size_t len;
	uint8_t *out;

	if ((st = trimmed_line(r, &p, n, &len, used)) != PARSED_ITEM)
		return st;
	if (len % 2 != 0 || len < 2 * CS_HEADER_SIZE || len > 2 * (CS_HEADER_SIZE + CS_BODY_MAX)) {
		snprintf(why, why_len, "hex line of %zu digits is not a header or block", len);
		return PARSED_ERROR;
	}
	if ((out = scratch(r)) == NULL) {
		snprintf(why, why_len, "out of memory");
		return PARSED_ERROR;
	}
	if (cs_hex_decode((const char *)p, len / 2, out) != 0) {
		snprintf(why, why_len, "bad hex digit");
		return PARSED_ERROR;
	}
	record_from_block(rec, out, len / 2);
	return PARSED_ITEM;
}

/* Decodes a JSON hex field into out (at most cap bytes). */
static int
json_hex(json_t *v, uint8_t *out, size_t cap, size_t *len)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL || n % 2 != 0 || n / 2 > cap || cs_hex_decode(s, n / 2, out) != 0)
		return -1;
	*len = n / 2;
	return 0;
}

static int
json_hash(json_t *v, uint8_t hash[32])
{
	const char *s = json_string_value(v);

	return s == NULL ? -1 : cs_hash_from_display(s, hash);
}

/* A number, or hex digits (64 at most) as chainwork prints. */
static int
json_u256(json_t *v, struct cs_u256 *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		cs_u256_set_u64(out, (uint64_t)json_integer_value(v));
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char padded[65];
		size_t n = strlen(s);

		if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			s += 2;
			n -= 2;
		}
		if (n == 0 || n > 64)
			return -1;
		memset(padded, '0', 64 - n);
		memcpy(padded + 64 - n, s, n + 1);
		return cs_u256_from_hex(out, padded);
	}
	return -1;
}

static enum parsed
json_fail(char *why, size_t why_len, const char *what)
{
	snprintf(why, why_len, "%s", what);
	return PARSED_ERROR;
}

/* A line of JSON that is one object, into r->json. */
static enum parsed
json_object_line(struct cs_reader *r, const uint8_t *p, size_t n, size_t *used, char *why, size_t why_len)
{
	json_error_t jerr;
	enum parsed st;
	size_t len;

	if ((st = next_line(r, p, n, &len, used)) != PARSED_ITEM)
		return st;
	if (r->json != NULL)
		json_decref(r->json);
	r->json = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->json == NULL) {
		snprintf(why, why_len, "bad JSON: %s", jerr.text);
		return PARSED_ERROR;
	}
	if (!json_is_object(r->json))
		return json_fail(why, why_len, "JSON line is not an object");
	return PARSED_ITEM;
}

static enum parsed
parse_json(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	enum parsed st;
	const char *k;
	uint8_t *out;
	json_t *v;

	if ((st = json_object_line(r, p, n, used, why, why_len)) != PARSED_ITEM)
		return st;
	if ((out = scratch(r)) == NULL)
		return json_fail(why, why_len, "out of memory");
	json_object_foreach(r->json, k, v) {
		if (strcmp(k, "hash") == 0) {
			if (json_hash(v, rec->hash) != 0)
				return json_fail(why, why_len, "hash is not 64 hex digits");
			rec->has_hash = true;
		} else if (strcmp(k, "prev") == 0) {
			if (json_hash(v, rec->prev) != 0)
				return json_fail(why, why_len, "prev is not 64 hex digits");
			rec->has_prev = true;
		} else if (strcmp(k, "header") == 0) {
			if (json_hex(v, out, CS_OPAQUE_HEADER_MAX, &rec->header_len) != 0)
				return json_fail(why, why_len, "header is not hex of at most 65536 bytes");
			rec->header = out;
			rec->has_header = true;
		} else if (strcmp(k, "body") == 0) {
			if (json_hex(v, out + CS_OPAQUE_HEADER_MAX, CS_BODY_MAX, &rec->body_len) != 0)
				return json_fail(why, why_len, "body is not hex of at most 4000000 bytes");
			rec->body = out + CS_OPAQUE_HEADER_MAX;
			rec->has_body = true;
		} else if (strcmp(k, "height") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return json_fail(why, why_len, "height is not a non-negative integer");
			rec->height = (uint64_t)json_integer_value(v);
			rec->has_height = true;
		} else if (strcmp(k, "chainwork") == 0) {
			if (json_u256(v, &rec->chainwork) != 0)
				return json_fail(why, why_len, "chainwork is not 64 hex digits");
			rec->has_chainwork = true;
		} else if (strcmp(k, "work") == 0) {
			if (json_u256(v, &rec->work) != 0)
				return json_fail(why, why_len, "work is not a number or hex");
			rec->has_work = true;
		} else if (strcmp(k, "times") == 0) {
			size_t i;
			json_t *t;

			if (!json_is_array(v) || json_array_size(v) > CS_TIMES_MAX)
				return json_fail(why, why_len, "times is not an array of at most 10 times");
			json_array_foreach(v, i, t) {
				if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > UINT32_MAX)
					return json_fail(why, why_len, "a time is not an integer from 0 to 2^32 - 1");
				rec->times[rec->time_count++] = (uint32_t)json_integer_value(t);
			}
			rec->has_times = true;
		} else if (strcmp(k, "status") == 0) {
			const char *s = json_string_value(v);

			if (s == NULL || cs_status_parse(s, strlen(s), &rec->status_main) != 0)
				return json_fail(why, why_len, "status is neither \"main\" nor \"fork\"");
			rec->has_status = true;
		}
	}
	return PARSED_ITEM;
}

/* One CBOR item into r->cbor. */
static enum parsed
decode_cbor(struct cs_reader *r, const uint8_t *p, size_t n, size_t *used, char *why, size_t why_len)
{
	switch (cs_cbor_decode(p, n, r->in.eof, r->cbor, used, why, why_len)) {
	case CS_CBOR_NEED_MORE:
		return PARSED_NEED_MORE;
	case CS_CBOR_ERROR:
		return PARSED_ERROR;
	case CS_CBOR_DONE:
		break;
	}
	return PARSED_ITEM;
}

static enum parsed
parse_cbor(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	enum parsed st = decode_cbor(r, p, n, used, why, why_len);

	if (st != PARSED_ITEM)
		return st;
	switch (r->cbor->kind) {
	case CS_CBOR_MAP:
		*rec = r->cbor->record;
		return PARSED_ITEM;
	case CS_CBOR_BYTES:
		if (r->cbor->len < CS_HEADER_SIZE) {
			snprintf(why, why_len, "byte string of %zu bytes is not a header", r->cbor->len);
			return PARSED_ERROR;
		}
		record_from_block(rec, r->cbor->bytes, r->cbor->len);
		return PARSED_ITEM;
	case CS_CBOR_UINT:
		snprintf(why, why_len, "an integer is not an entry");
		return PARSED_ERROR;
	case CS_CBOR_ARRAY:
		snprintf(why, why_len, "an array is not an entry");
		return PARSED_ERROR;
	}
	return PARSED_ERROR;
}

typedef enum parsed (*parser_fn)(struct cs_reader *, const uint8_t *, size_t, struct cs_record *, size_t *,
    char *, size_t);

/* The -f that CBOR input failing at its first item was most likely meant
 * for (a forgotten -f), from its first bytes, or NULL. */
static const char *
format_hint(const uint8_t *p, size_t n)
{
	const struct cs_network *const *net;
	size_t i;

	for (net = cs_network_all(); n >= 4 && *net != NULL; net++) {
		if (memcmp(p, (*net)->magic, 4) == 0)
			return "blk*.dat blocks: use -f blk";
	}
	if (n > 0 && p[0] == '{')
		return "JSON lines: use -f json";
	/* a header in hex is 160 digits */
	for (i = 0; i < n && i < 160 && isxdigit(p[i]); i++)
		;
	if (i == 160)
		return "hex lines: use -f hex";
	/* a header's version, little-endian: 1 to 4, or BIP9's top bits 001
	 * (its first byte then reads as a lone CBOR integer) */
	if (n >= 80 && p[0] < 0x18 && (p[3] == 0x00 || (p[3] & 0xe0) == 0x20))
		return "raw 80-byte headers: use -f raw";
	return NULL;
}

/* The loop every format shares: parse what is buffered, read more when the
 * item continues, and number items and bytes for messages. */
static enum cs_read
next_item(struct cs_reader *r, parser_fn parse, struct cs_record *rec, bool block, struct cs_error *err)
{
	for (;;) {
		size_t used = 0, avail = cs_input_avail(&r->in);
		uint64_t offset = cs_input_offset(&r->in);
		const char *hint;
		char why[256];
		enum parsed st = PARSED_NEED_MORE;

		memset(rec, 0, sizeof(*rec));
		if (avail > 0)
			st = parse(r, cs_input_data(&r->in), avail, rec, &used, why, sizeof(why));
		else if (r->in.eof)
			return CS_READ_END;
		switch (st) {
		case PARSED_ITEM:
			cs_input_consume(&r->in, used);
			rec->item = ++r->items;
			rec->offset = offset;
			rec->source = r->in.name;
			return CS_READ_RECORD;
		case PARSED_SKIP:
			cs_input_consume(&r->in, used);
			continue;
		case PARSED_ERROR:
			cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: %s", (unsigned long long)r->items + 1,
			    (unsigned long long)offset, why);
			if (parse == parse_cbor && r->items == 0 && offset == 0 &&
			    (hint = format_hint(cs_input_data(&r->in), avail)) != NULL)
				cs_error_set(err, CS_EX_DATAERR, "item 1 at byte 0: %s (this looks like %s)", why, hint);
			return CS_READ_ERROR;
		case PARSED_NEED_MORE:
			break;
		}
		switch (cs_input_fill(&r->in, block, err)) {
		case CS_FILL_DATA:
		case CS_FILL_EOF:
			break;
		case CS_FILL_WOULD_BLOCK:
			return CS_READ_WOULD_BLOCK;
		case CS_FILL_FULL:
			cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: item larger than %zu bytes",
			    (unsigned long long)r->items + 1, (unsigned long long)offset, r->in.cap);
			return CS_READ_ERROR;
		case CS_FILL_ERROR:
			return CS_READ_ERROR;
		}
	}
}

enum cs_read
cs_reader_next(struct cs_reader *r, struct cs_record *rec, bool block, struct cs_error *err)
{
	static const parser_fn parsers[] = {
		[CS_FORMAT_CBOR] = parse_cbor,
		[CS_FORMAT_JSON] = parse_json,
		[CS_FORMAT_HEX] = parse_hex,
		[CS_FORMAT_RAW] = parse_raw,
		[CS_FORMAT_BLK] = parse_blk,
	};

	if ((size_t)r->format >= sizeof(parsers) / sizeof(parsers[0]) || parsers[r->format] == NULL)
		return cs_error_set(err, CS_EX_USAGE, "format %s cannot be read", cs_format_name(r->format)),
		       CS_READ_ERROR;
	return next_item(r, parsers[r->format], rec, block, err);
}

/* Keys travel inside a cs_record: the parsers below fill its hash, height
 * (has_height) or, for locators, leave them in r->cbor. */
static enum parsed
parse_key_text(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	enum parsed st;
	size_t len;

	if ((st = trimmed_line(r, &p, n, &len, used)) != PARSED_ITEM)
		return st;
	if (len > 0 && p[0] == '[') {
		json_error_t jerr;
		size_t i;
		json_t *v;

		if (r->json != NULL)
			json_decref(r->json);
		r->json = json_loadb((const char *)p, len, 0, &jerr);
		if (r->json == NULL || !json_is_array(r->json)) {
			snprintf(why, why_len, "bad JSON locator: %s", r->json ? "not an array" : jerr.text);
			return PARSED_ERROR;
		}
		if (json_array_size(r->json) > CS_LOCATOR_MAX) {
			snprintf(why, why_len, "locator of %zu hashes is longer than 101", json_array_size(r->json));
			return PARSED_ERROR;
		}
		r->cbor->kind = CS_CBOR_ARRAY;
		r->cbor->count = 0;
		json_array_foreach(r->json, i, v) {
			if (json_hash(v, r->cbor->hashes[i]) != 0) {
				snprintf(why, why_len, "locator element %zu is not 64 hex digits", i + 1);
				return PARSED_ERROR;
			}
			r->cbor->count++;
		}
		rec->has_prev = true; /* marks "locator" */
		return PARSED_ITEM;
	}
	if (len == 64) {
		char text[65];

		memcpy(text, p, 64);
		text[64] = '\0';
		if (cs_hash_from_display(text, rec->hash) == 0) {
			rec->has_hash = true;
			return PARSED_ITEM;
		}
	}
	if (len > 0 && len <= 10) {
		uint64_t h = 0;
		size_t i;

		for (i = 0; i < len && isdigit(p[i]); i++)
			h = h * 10 + (uint64_t)(p[i] - '0');
		if (i == len && h <= UINT32_MAX) {
			rec->height = h;
			rec->has_height = true;
			return PARSED_ITEM;
		}
	}
	snprintf(why, why_len, "line is neither a 64-digit hash nor a height");
	return PARSED_ERROR;
}

static enum parsed
parse_key_cbor(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	enum parsed st = decode_cbor(r, p, n, used, why, why_len);

	if (st != PARSED_ITEM)
		return st;
	switch (r->cbor->kind) {
	case CS_CBOR_UINT:
		if (r->cbor->uint > UINT32_MAX) {
			snprintf(why, why_len, "height %llu out of range", (unsigned long long)r->cbor->uint);
			return PARSED_ERROR;
		}
		rec->height = r->cbor->uint;
		rec->has_height = true;
		return PARSED_ITEM;
	case CS_CBOR_BYTES:
		if (r->cbor->len != 32) {
			snprintf(why, why_len, "byte string of %zu bytes is not a hash", r->cbor->len);
			return PARSED_ERROR;
		}
		memcpy(rec->hash, r->cbor->bytes, 32);
		rec->has_hash = true;
		return PARSED_ITEM;
	case CS_CBOR_MAP:
		if (r->cbor->record.has_hash) {
			memcpy(rec->hash, r->cbor->record.hash, 32);
		} else if (r->cbor->record.has_header && r->cbor->record.header_len == CS_HEADER_SIZE) {
			cs_sha256d(r->cbor->record.header, CS_HEADER_SIZE, rec->hash);
		} else {
			snprintf(why, why_len, "entry has no hash");
			return PARSED_ERROR;
		}
		rec->has_hash = true;
		return PARSED_ITEM;
	case CS_CBOR_ARRAY:
		rec->has_prev = true;
		return PARSED_ITEM;
	}
	return PARSED_ERROR;
}

enum cs_read
cs_reader_next_key(struct cs_reader *r, struct cs_key *key, bool block, struct cs_error *err)
{
	struct cs_record rec;
	enum cs_read st;

	while (r->key_text < 0) {
		if (cs_input_avail(&r->in) > 0) {
			uint8_t c = cs_input_data(&r->in)[0];

			r->key_text = isxdigit(c) || c == '[' || isspace(c);
			break;
		}
		if (r->in.eof)
			return CS_READ_END;
		switch (cs_input_fill(&r->in, block, err)) {
		case CS_FILL_WOULD_BLOCK:
			return CS_READ_WOULD_BLOCK;
		case CS_FILL_ERROR:
			return CS_READ_ERROR;
		default:
			break;
		}
	}
	st = next_item(r, r->key_text ? parse_key_text : parse_key_cbor, &rec, block, err);
	if (st != CS_READ_RECORD)
		return st;
	memset(key, 0, sizeof(*key));
	key->item = rec.item;
	key->offset = rec.offset;
	if (rec.has_prev) {
		key->kind = CS_KEY_LOCATOR;
		key->hashes = (const uint8_t(*)[32])r->cbor->hashes;
		key->count = r->cbor->count;
	} else if (rec.has_hash) {
		key->kind = CS_KEY_HASH;
		memcpy(key->hash, rec.hash, 32);
		key->entry = !r->key_text && r->cbor->kind == CS_CBOR_MAP;
	} else {
		key->kind = CS_KEY_HEIGHT;
		key->height = rec.height;
	}
	return CS_READ_RECORD;
}

/* Proofs (cs-verify). A proof's fields travel in r->proof; hashes of a
 * branch in r->cbor->hashes, a CMerkleBlock decoded from hex in scratch. */

static enum parsed
proof_fail(char *why, size_t why_len, const char *what)
{
	snprintf(why, why_len, "%s", what);
	return PARSED_ERROR;
}

/* A CMerkleBlock as hex text (a line, or a JSON "proof" field). */
static enum parsed
proof_from_hex(struct cs_reader *r, const uint8_t *p, size_t len, char *why, size_t why_len)
{
	uint8_t *out;

	if (len % 2 != 0 || len / 2 > CS_PROOF_BYTES_MAX) {
		snprintf(why, why_len, "hex of %zu digits is not a proof (at most %d bytes)", len, CS_PROOF_BYTES_MAX);
		return PARSED_ERROR;
	}
	if ((out = scratch(r)) == NULL)
		return proof_fail(why, why_len, "out of memory");
	if (cs_hex_decode((const char *)p, len / 2, out) != 0)
		return proof_fail(why, why_len, "bad hex digit");
	r->proof->merkleblock = out;
	r->proof->merkleblock_len = len / 2;
	return PARSED_ITEM;
}

static enum parsed
parse_proof_hex(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	enum parsed st;
	size_t len;

	if ((st = trimmed_line(r, &p, n, &len, used)) != PARSED_ITEM)
		return st;
	return proof_from_hex(r, p, len, why, why_len);
}

static enum parsed
parse_proof_raw(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	struct cs_error err;
	size_t size = 0;
	int rc = cs_proof_merkleblock_size(p, n, &size, &err);

	if (rc == CS_EX_DATAERR)
		return proof_fail(why, why_len, err.message);
	if (rc == 1 || size > n) {
		if (r->in.eof)
			return proof_fail(why, why_len, "truncated proof");
		return PARSED_NEED_MORE;
	}
	r->proof->merkleblock = p;
	r->proof->merkleblock_len = size;
	*used = size;
	return PARSED_ITEM;
}

/* The block a branch names: by hash, by main-chain height, or both. */
static enum parsed
branch_needs(const struct cs_proof_in *pf, bool has_txid, bool has_merkle, bool has_pos, char *why, size_t why_len)
{
	if (!has_txid)
		return proof_fail(why, why_len, "proof has no txid");
	if (!has_merkle)
		return proof_fail(why, why_len, "proof has no merkle branch");
	if (!has_pos)
		return proof_fail(why, why_len, "proof has no pos");
	if (!pf->has_block && !pf->has_height)
		return proof_fail(why, why_len, "proof names no block (block or block_height)");
	return PARSED_ITEM;
}

static enum parsed
parse_proof_json(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	struct cs_proof_in *pf = r->proof;
	bool has_txid = false, has_merkle = false, has_pos = false;
	enum parsed st;
	const char *k;
	json_t *v;

	if ((st = json_object_line(r, p, n, used, why, why_len)) != PARSED_ITEM)
		return st;
	if ((v = json_object_get(r->json, "proof")) != NULL) {
		if (!json_is_string(v))
			return proof_fail(why, why_len, "proof is not a hex string");
		return proof_from_hex(r, (const uint8_t *)json_string_value(v), json_string_length(v), why, why_len);
	}
	pf->branch = true;
	json_object_foreach(r->json, k, v) {
		if (strcmp(k, "txid") == 0 || strcmp(k, "tx_hash") == 0) {
			if (has_txid || json_hash(v, pf->txid) != 0)
				return proof_fail(why, why_len, "txid is not 64 hex digits");
			has_txid = true;
		} else if (strcmp(k, "block") == 0 || strcmp(k, "block_hash") == 0) {
			if (pf->has_block || json_hash(v, pf->block) != 0)
				return proof_fail(why, why_len, "block is not 64 hex digits");
			pf->has_block = true;
		} else if (strcmp(k, "block_height") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
				return proof_fail(why, why_len, "block_height is not an integer from 0 to 2^32 - 1");
			pf->height = (uint32_t)json_integer_value(v);
			pf->has_height = true;
		} else if (strcmp(k, "pos") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0)
				return proof_fail(why, why_len, "pos is not a non-negative integer");
			pf->pos = (uint64_t)json_integer_value(v);
			has_pos = true;
		} else if (strcmp(k, "merkle") == 0) {
			size_t i;
			json_t *h;

			if (!json_is_array(v) || json_array_size(v) > CS_LOCATOR_MAX)
				return proof_fail(why, why_len, "merkle is not an array of at most 101 hashes");
			json_array_foreach(v, i, h) {
				if (json_hash(h, r->cbor->hashes[i]) != 0)
					return proof_fail(why, why_len, "a merkle hash is not 64 hex digits");
			}
			pf->merkle = (const uint8_t(*)[32])r->cbor->hashes;
			pf->depth = json_array_size(v);
			has_merkle = true;
		}
	}
	return branch_needs(pf, has_txid, has_merkle, has_pos, why, why_len);
}

static enum parsed
parse_proof_cbor(struct cs_reader *r, const uint8_t *p, size_t n, struct cs_record *rec, size_t *used, char *why,
    size_t why_len)
{
	struct cs_proof_in *pf = r->proof;
	enum parsed st = decode_cbor(r, p, n, used, why, why_len);

	if (st != PARSED_ITEM)
		return st;
	switch (r->cbor->kind) {
	case CS_CBOR_BYTES:
		pf->merkleblock = r->cbor->bytes;
		pf->merkleblock_len = r->cbor->len;
		return PARSED_ITEM;
	case CS_CBOR_MAP:
		if (r->cbor->proof.has_merkleblock) {
			pf->merkleblock = r->cbor->proof.merkleblock;
			pf->merkleblock_len = r->cbor->proof.merkleblock_len;
			return PARSED_ITEM;
		}
		pf->branch = true;
		memcpy(pf->txid, r->cbor->proof.txid, 32);
		memcpy(pf->block, r->cbor->proof.block, 32);
		pf->has_block = r->cbor->proof.has_block;
		if ((pf->has_height = r->cbor->proof.has_block_height)) {
			if (r->cbor->proof.block_height > UINT32_MAX)
				return proof_fail(why, why_len, "block_height is above 2^32 - 1");
			pf->height = (uint32_t)r->cbor->proof.block_height;
		}
		pf->pos = r->cbor->proof.pos;
		pf->merkle = (const uint8_t(*)[32])r->cbor->hashes;
		pf->depth = r->cbor->count;
		return branch_needs(pf, r->cbor->proof.has_txid, r->cbor->proof.has_merkle, r->cbor->proof.has_pos, why,
		    why_len);
	case CS_CBOR_UINT:
		return proof_fail(why, why_len, "an integer is not a proof");
	case CS_CBOR_ARRAY:
		return proof_fail(why, why_len, "an array is not a proof");
	}
	return PARSED_ERROR;
}

/* The format of a proof stream, from its first byte that is not white
 * space: 0, or -1 when it is none of them. */
static int
sniff_proof(struct cs_reader *r, bool block, struct cs_error *err, enum cs_read *st)
{
	for (;;) {
		while (cs_input_avail(&r->in) > 0 && isspace(cs_input_data(&r->in)[0]))
			cs_input_consume(&r->in, 1);
		if (cs_input_avail(&r->in) > 0) {
			uint8_t c = cs_input_data(&r->in)[0];

			if (c == '{')
				r->format = CS_FORMAT_JSON;
			else if (isxdigit(c))
				r->format = CS_FORMAT_HEX;
			else if ((c >> 5) == 2 || (c >> 5) == 5)
				r->format = CS_FORMAT_CBOR;
			else {
				*st = CS_READ_ERROR;
				cs_error_set(err, CS_EX_DATAERR,
				    "item 1 at byte %llu: byte 0x%02x starts no proof: hex lines, JSON lines or CBOR "
				    "(binary CMerkleBlocks need --input raw)",
				    (unsigned long long)cs_input_offset(&r->in), c);
				return -1;
			}
			r->sniff = false;
			return 0;
		}
		if (r->in.eof) {
			*st = CS_READ_END;
			return -1;
		}
		switch (cs_input_fill(&r->in, block, err)) {
		case CS_FILL_WOULD_BLOCK:
			*st = CS_READ_WOULD_BLOCK;
			return -1;
		case CS_FILL_ERROR:
			*st = CS_READ_ERROR;
			return -1;
		default:
			break;
		}
	}
}

enum cs_read
cs_reader_next_proof(struct cs_reader *r, struct cs_proof_in *proof, bool block, struct cs_error *err)
{
	static const parser_fn parsers[] = {
		[CS_FORMAT_CBOR] = parse_proof_cbor,
		[CS_FORMAT_JSON] = parse_proof_json,
		[CS_FORMAT_HEX] = parse_proof_hex,
		[CS_FORMAT_RAW] = parse_proof_raw,
	};
	struct cs_record rec;
	enum cs_read st;

	if (r->sniff && sniff_proof(r, block, err, &st) != 0)
		return st;
	if ((size_t)r->format >= sizeof(parsers) / sizeof(parsers[0]) || parsers[r->format] == NULL)
		return cs_error_set(err, CS_EX_USAGE, "proofs cannot be read as %s", cs_format_name(r->format)),
		       CS_READ_ERROR;
	memset(proof, 0, sizeof(*proof));
	r->proof = proof;
	st = next_item(r, parsers[r->format], &rec, block, err);
	if (st == CS_READ_RECORD) {
		proof->item = rec.item;
		proof->offset = rec.offset;
	}
	return st;
}
