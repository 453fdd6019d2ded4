#include "cborio.h"

#include "format.h"
#include "header.h"

#include <cbor.h>
#include <string.h>

/* libcbor 0.9 widened the callback length type from size_t to uint64_t. */
#if CBOR_MAJOR_VERSION == 0 && CBOR_MINOR_VERSION < 9
typedef size_t cs_cbor_len;
#else
typedef uint64_t cs_cbor_len;
#endif

enum key_id {
	KEY_NONE = -1,
	KEY_HASH,
	KEY_PREV,
	KEY_HEADER,
	KEY_BODY,
	KEY_HEIGHT,
	KEY_CHAINWORK,
	KEY_WORK,
	KEY_STATUS,
	KEY_BRANCHLEN,
	KEY_TIMES,
	KEY_TXID,
	KEY_BLOCK,
	KEY_BLOCK_HEIGHT,
	KEY_MERKLE,
	KEY_POS,
	KEY_PROOF,
	KEY_UNKNOWN,
};

static const char *const key_names[] = {
	"hash", "prev", "header", "body", "height", "chainwork", "work", "status", "branchlen", "times",
	"txid", "block", "block_height", "merkle", "pos", "proof",
};

#define DEPTH_MAX 2 /* map -> tag: an entry's chainwork */

struct frame {
	char kind; /* 'M' map, 'A' array, 'T' tag */
	uint64_t left;
};

struct decoder {
	struct cs_cbor_item *item;
	struct frame stack[DEPTH_MAX];
	int depth;
	enum key_id key;
	unsigned seen;
	bool done, failed;
	char *why;
	size_t why_len;
};

static void
fail(struct decoder *d, const char *what)
{
	if (!d->failed)
		snprintf(d->why, d->why_len, "%s", what);
	d->failed = true;
}

/* A value (scalar or finished container) is complete: count it in its
 * parent, closing every container this completes. */
static void
child_done(struct decoder *d)
{
	while (d->depth > 0) {
		struct frame *top = &d->stack[d->depth - 1];

		if (--top->left > 0)
			return;
		d->depth--;
	}
	d->done = true;
}

static bool
at_key(const struct decoder *d)
{
	return d->depth > 0 && d->stack[d->depth - 1].kind == 'M' && d->stack[d->depth - 1].left % 2 == 0;
}

static char
parent(const struct decoder *d)
{
	return d->depth > 0 ? d->stack[d->depth - 1].kind : 0;
}

static void
push(struct decoder *d, char kind, uint64_t count)
{
	if (d->depth >= DEPTH_MAX) {
		fail(d, "nesting deeper than an entry");
		return;
	}
	d->stack[d->depth].kind = kind;
	d->stack[d->depth].left = count;
	d->depth++;
	if (count == 0) {
		d->depth--;
		child_done(d);
	}
}

/* Inside a map's array: an entry's "times" (a checkpoint's, cs-init
 * --checkpoint) or a proof's "merkle". */
static bool
in_map_array(const struct decoder *d, enum key_id key)
{
	return d->depth == 2 && d->stack[1].kind == 'A' && d->stack[0].kind == 'M' && d->key == key;
}

static bool
in_times(const struct decoder *d)
{
	return in_map_array(d, KEY_TIMES);
}

static void
set_bignum(struct decoder *d, const uint8_t *data, size_t len)
{
	struct cs_record *r = &d->item->record;
	struct cs_u256 v;

	if (cs_u256_from_be_var(&v, data, len) != 0) {
		fail(d, "bignum wider than 256 bits");
		return;
	}
	if (d->key == KEY_CHAINWORK) {
		r->chainwork = v;
		r->has_chainwork = true;
	} else {
		r->work = v;
		r->has_work = true;
	}
}

static void
on_uint(void *ctx, uint64_t v)
{
	struct decoder *d = ctx;
	struct cs_record *r = &d->item->record;

	if (d->failed)
		return;
	switch (parent(d)) {
	case 0:
		d->item->kind = CS_CBOR_UINT;
		d->item->uint = v;
		break;
	case 'M':
		if (at_key(d)) {
			fail(d, "map key is not a text string");
			return;
		}
		switch (d->key) {
		case KEY_HEIGHT:
			r->height = v;
			r->has_height = true;
			break;
		case KEY_CHAINWORK:
		case KEY_WORK: {
			struct cs_u256 w;

			cs_u256_set_u64(&w, v);
			if (d->key == KEY_CHAINWORK) {
				r->chainwork = w;
				r->has_chainwork = true;
			} else {
				r->work = w;
				r->has_work = true;
			}
			break;
		}
		case KEY_BLOCK_HEIGHT:
			d->item->proof.block_height = v;
			d->item->proof.has_block_height = true;
			break;
		case KEY_POS:
			d->item->proof.pos = v;
			d->item->proof.has_pos = true;
			break;
		case KEY_BRANCHLEN:
		case KEY_UNKNOWN:
			break;
		default:
			fail(d, "wrong type for an entry field");
			return;
		}
		break;
	case 'A':
		if (in_times(d)) {
			if (v > UINT32_MAX) {
				fail(d, "a time is above 2^32 - 1");
				return;
			}
			r->times[r->time_count++] = (uint32_t)v;
			break;
		}
		fail(d, "unexpected integer");
		return;
	default:
		fail(d, "unexpected integer");
		return;
	}
	child_done(d);
}

static void on_uint8(void *ctx, uint8_t v) { on_uint(ctx, v); }
static void on_uint16(void *ctx, uint16_t v) { on_uint(ctx, v); }
static void on_uint32(void *ctx, uint32_t v) { on_uint(ctx, v); }
static void on_uint64(void *ctx, uint64_t v) { on_uint(ctx, v); }

/* Scalars only an unknown map key may carry (kept for forward compatibility). */
static void
on_other_scalar(struct decoder *d, const char *type)
{
	char why[64];

	if (d->failed)
		return;
	if (parent(d) == 'M' && !at_key(d) && d->key == KEY_UNKNOWN) {
		child_done(d);
		return;
	}
	snprintf(why, sizeof(why), "unexpected %s", type);
	fail(d, why);
}

static void on_negint8(void *ctx, uint8_t v) { (void)v; on_other_scalar(ctx, "negative integer"); }
static void on_negint16(void *ctx, uint16_t v) { (void)v; on_other_scalar(ctx, "negative integer"); }
static void on_negint32(void *ctx, uint32_t v) { (void)v; on_other_scalar(ctx, "negative integer"); }
static void on_negint64(void *ctx, uint64_t v) { (void)v; on_other_scalar(ctx, "negative integer"); }
static void on_float4(void *ctx, float v) { (void)v; on_other_scalar(ctx, "float"); }
static void on_float8(void *ctx, double v) { (void)v; on_other_scalar(ctx, "float"); }
static void on_null(void *ctx) { on_other_scalar(ctx, "null"); }
static void on_undefined(void *ctx) { on_other_scalar(ctx, "undefined"); }
static void on_boolean(void *ctx, bool v) { (void)v; on_other_scalar(ctx, "boolean"); }

static void
on_bytes(void *ctx, cbor_data data, cs_cbor_len len)
{
	struct decoder *d = ctx;
	struct cs_record *r = &d->item->record;

	if (d->failed)
		return;
	switch (parent(d)) {
	case 0:
		if (len > CS_HEADER_SIZE + CS_BODY_MAX) {
			fail(d, "byte string longer than a block");
			return;
		}
		d->item->kind = CS_CBOR_BYTES;
		d->item->bytes = data;
		d->item->len = len;
		break;
	case 'A':
		if (in_times(d)) {
			fail(d, "times are not integers");
			return;
		}
		if (in_map_array(d, KEY_MERKLE) && len != 32) {
			fail(d, "merkle element is not a 32-byte hash");
			return;
		}
		if (len != 32 || d->item->count >= CS_LOCATOR_MAX) {
			fail(d, "locator element is not a 32-byte hash");
			return;
		}
		memcpy(d->item->hashes[d->item->count++], data, 32);
		break;
	case 'T':
		if (len > 32) {
			fail(d, "bignum wider than 256 bits");
			return;
		}
		set_bignum(d, data, len);
		break;
	case 'M':
		if (at_key(d)) {
			fail(d, "map key is not a text string");
			return;
		}
		switch (d->key) {
		case KEY_HASH:
		case KEY_PREV:
			if (len != 32) {
				fail(d, d->key == KEY_HASH ? "hash is not 32 bytes" : "prev is not 32 bytes");
				return;
			}
			memcpy(d->key == KEY_HASH ? r->hash : r->prev, data, 32);
			if (d->key == KEY_HASH)
				r->has_hash = true;
			else
				r->has_prev = true;
			break;
		case KEY_HEADER:
			if (len > CS_OPAQUE_HEADER_MAX) {
				fail(d, "header longer than 65536 bytes");
				return;
			}
			r->header = data;
			r->header_len = len;
			r->has_header = true;
			break;
		case KEY_BODY:
			if (len > CS_BODY_MAX) {
				fail(d, "body longer than 4000000 bytes");
				return;
			}
			r->body = data;
			r->body_len = len;
			r->has_body = true;
			break;
		case KEY_TXID:
		case KEY_BLOCK:
			if (len != 32) {
				fail(d, d->key == KEY_TXID ? "txid is not 32 bytes" : "block is not 32 bytes");
				return;
			}
			memcpy(d->key == KEY_TXID ? d->item->proof.txid : d->item->proof.block, data, 32);
			if (d->key == KEY_TXID)
				d->item->proof.has_txid = true;
			else
				d->item->proof.has_block = true;
			break;
		case KEY_PROOF:
			d->item->proof.merkleblock = data;
			d->item->proof.merkleblock_len = len;
			d->item->proof.has_merkleblock = true;
			break;
		case KEY_UNKNOWN:
			break;
		default:
			fail(d, "wrong type for an entry field");
			return;
		}
		break;
	default:
		fail(d, "unexpected byte string");
		return;
	}
	child_done(d);
}

static void
on_text(void *ctx, cbor_data data, cs_cbor_len len)
{
	struct decoder *d = ctx;
	struct cs_record *r = &d->item->record;

	if (d->failed)
		return;
	if (at_key(d)) {
		d->key = KEY_UNKNOWN;
		for (int k = KEY_HASH; k < KEY_UNKNOWN; k++) {
			if (strlen(key_names[k]) == len && memcmp(key_names[k], data, len) == 0) {
				if (d->seen & (1u << k)) {
					fail(d, "duplicate key in entry");
					return;
				}
				d->seen |= 1u << k;
				d->key = (enum key_id)k;
			}
		}
		child_done(d);
		return;
	}
	if (parent(d) == 'M' && d->key == KEY_STATUS) {
		if (cs_status_parse((const char *)data, len, &r->status_main) != 0) {
			fail(d, "status is neither \"main\" nor \"fork\"");
			return;
		}
		r->has_status = true;
		child_done(d);
		return;
	}
	on_other_scalar(d, "text string");
}

/* A map (an entry) or an array (a locator) opens, only at the top level and
 * only within its schema's count. */
static void
start_container(struct decoder *d, enum cs_cbor_kind kind, uint64_t count, uint64_t max, const char *too_many)
{
	if (d->failed)
		return;
	if (kind == CS_CBOR_ARRAY && parent(d) == 'M' && !at_key(d) && d->key == KEY_TIMES) {
		if (count > CS_TIMES_MAX) {
			fail(d, "times has more than 10 items");
			return;
		}
		d->item->record.has_times = true;
		push(d, 'A', count);
		return;
	}
	if (kind == CS_CBOR_ARRAY && parent(d) == 'M' && !at_key(d) && d->key == KEY_MERKLE) {
		if (count > CS_LOCATOR_MAX) {
			fail(d, "merkle has more than 101 hashes");
			return;
		}
		d->item->proof.has_merkle = true;
		push(d, 'A', count);
		return;
	}
	if (parent(d) != 0) {
		fail(d, "nesting deeper than an entry");
		return;
	}
	if (count > max) {
		fail(d, too_many);
		return;
	}
	d->item->kind = kind;
	push(d, kind == CS_CBOR_MAP ? 'M' : 'A', kind == CS_CBOR_MAP ? 2 * count : count);
}

static void
on_map(void *ctx, cs_cbor_len pairs)
{
	start_container(ctx, CS_CBOR_MAP, pairs, CS_MAP_PAIRS_MAX, "map has more keys than an entry");
}

static void
on_array(void *ctx, cs_cbor_len count)
{
	start_container(ctx, CS_CBOR_ARRAY, count, CS_LOCATOR_MAX, "array longer than a locator (101 hashes)");
}

static void
on_tag(void *ctx, uint64_t tag)
{
	struct decoder *d = ctx;

	if (d->failed)
		return;
	if (tag != 2 || parent(d) != 'M' || at_key(d) || (d->key != KEY_CHAINWORK && d->key != KEY_WORK)) {
		fail(d, "unexpected tag");
		return;
	}
	push(d, 'T', 1);
}

static void
on_indefinite(void *ctx)
{
	fail(ctx, "indefinite-length item");
}

static void
on_break(void *ctx)
{
	fail(ctx, "unexpected break");
}

static void
on_float2(void *ctx, float v)
{
	(void)v;
	on_other_scalar(ctx, "float");
}

static struct cbor_callbacks
callbacks(void)
{
	struct cbor_callbacks cb = cbor_empty_callbacks;

	cb.uint8 = on_uint8;
	cb.uint16 = on_uint16;
	cb.uint32 = on_uint32;
	cb.uint64 = on_uint64;
	cb.negint8 = on_negint8;
	cb.negint16 = on_negint16;
	cb.negint32 = on_negint32;
	cb.negint64 = on_negint64;
	cb.byte_string = on_bytes;
	cb.byte_string_start = on_indefinite;
	cb.string = on_text;
	cb.string_start = on_indefinite;
	cb.indef_array_start = on_indefinite;
	cb.array_start = on_array;
	cb.indef_map_start = on_indefinite;
	cb.map_start = on_map;
	cb.tag = on_tag;
	cb.float2 = on_float2;
	cb.float4 = on_float4;
	cb.float8 = on_float8;
	cb.undefined = on_undefined;
	cb.null = on_null;
	cb.boolean = on_boolean;
	cb.indef_break = on_break;
	return cb;
}

/* The length a string head declares, when its bytes are there; libcbor
 * 0.8's own "required" wraps for lengths near 2^64, so it is not used. */
static bool
declared_length(const uint8_t *p, size_t n, uint64_t *len)
{
	unsigned info = p[0] & 31, width;

	if (info < 24) {
		*len = info;
		return true;
	}
	if (info > 27)
		return false;
	width = 1u << (info - 24);
	if (n < 1 + width)
		return false;
	*len = 0;
	for (unsigned i = 0; i < width; i++)
		*len = *len << 8 | p[1 + i];
	return true;
}

enum cs_cbor_status
cs_cbor_decode(const uint8_t *data, size_t len, bool at_eof, struct cs_cbor_item *item, size_t *used, char *why,
    size_t why_len)
{
	static struct cbor_callbacks cb;
	static bool cb_ready;
	struct decoder d;
	size_t pos = 0;

	if (!cb_ready) {
		cb = callbacks();
		cb_ready = true;
	}
	memset(&d, 0, sizeof(d));
	d.item = item;
	d.key = KEY_NONE;
	d.why = why;
	d.why_len = why_len;
	item->count = 0;
	memset(&item->record, 0, sizeof(item->record));
	memset(&item->proof, 0, sizeof(item->proof));

	while (!d.done) {
		struct cbor_decoder_result res;

		if (pos == len) {
			if (at_eof) {
				snprintf(why, why_len, "truncated item");
				return CS_CBOR_ERROR;
			}
			return CS_CBOR_NEED_MORE;
		}
		res = cbor_stream_decode(data + pos, len - pos, &cb, &d);
		if (res.status == CBOR_DECODER_ERROR) {
			snprintf(why, why_len, "malformed CBOR");
			return CS_CBOR_ERROR;
		}
		if (res.status == CBOR_DECODER_NEDATA) {
			unsigned major = data[pos] >> 5;
			uint64_t declared;

			if ((major == 2 || major == 3) && declared_length(data + pos, len - pos, &declared) &&
			    declared > CS_ITEM_MAX) {
				snprintf(why, why_len, "%s string declares %llu bytes, more than any entry holds",
				    major == 2 ? "byte" : "text", (unsigned long long)declared);
				return CS_CBOR_ERROR;
			}
			if (at_eof) {
				snprintf(why, why_len, "truncated item");
				return CS_CBOR_ERROR;
			}
			return CS_CBOR_NEED_MORE;
		}
		pos += res.read;
		if (d.failed)
			return CS_CBOR_ERROR;
	}
	*used = pos;
	return CS_CBOR_DONE;
}

static void
put_head(struct cs_cbor_cursor *c, size_t (*enc)(size_t, unsigned char *, size_t), size_t v)
{
	size_t n;

	if (c->overflow)
		return;
	n = enc(v, c->p, (size_t)(c->end - c->p));
	if (n == 0)
		c->overflow = true;
	c->p += n;
}

void
cs_cbor_put_uint(struct cs_cbor_cursor *c, uint64_t v)
{
	size_t n;

	if (c->overflow)
		return;
	n = cbor_encode_uint(v, c->p, (size_t)(c->end - c->p));
	if (n == 0)
		c->overflow = true;
	c->p += n;
}

void
cs_cbor_put_int(struct cs_cbor_cursor *c, int64_t v)
{
	size_t n;

	if (v >= 0) {
		cs_cbor_put_uint(c, (uint64_t)v);
		return;
	}
	if (c->overflow)
		return;
	n = cbor_encode_negint((uint64_t)(-(v + 1)), c->p, (size_t)(c->end - c->p));
	if (n == 0)
		c->overflow = true;
	c->p += n;
}

void
cs_cbor_put_bytes_head(struct cs_cbor_cursor *c, size_t len)
{
	put_head(c, cbor_encode_bytestring_start, len);
}

void
cs_cbor_put_bytes(struct cs_cbor_cursor *c, const uint8_t *data, size_t len)
{
	cs_cbor_put_bytes_head(c, len);
	if (c->overflow || (size_t)(c->end - c->p) < len) {
		c->overflow = true;
		return;
	}
	memcpy(c->p, data, len);
	c->p += len;
}

void
cs_cbor_put_text(struct cs_cbor_cursor *c, const char *text)
{
	size_t len = strlen(text);

	put_head(c, cbor_encode_string_start, len);
	if (c->overflow || (size_t)(c->end - c->p) < len) {
		c->overflow = true;
		return;
	}
	memcpy(c->p, text, len);
	c->p += len;
}

void
cs_cbor_put_map(struct cs_cbor_cursor *c, size_t pairs)
{
	put_head(c, cbor_encode_map_start, pairs);
}

void
cs_cbor_put_array(struct cs_cbor_cursor *c, size_t count)
{
	put_head(c, cbor_encode_array_start, count);
}

void
cs_cbor_put_u256(struct cs_cbor_cursor *c, const struct cs_u256 *v, bool as_uint_if_small)
{
	uint8_t be[32];
	size_t skip = 0;

	if (as_uint_if_small && v->limb[1] == 0 && v->limb[2] == 0 && v->limb[3] == 0) {
		cs_cbor_put_uint(c, v->limb[0]);
		return;
	}
	cs_u256_to_be(v, be);
	while (skip < 32 && be[skip] == 0)
		skip++;
	if (c->overflow)
		return;
	{
		size_t n = cbor_encode_tag(2, c->p, (size_t)(c->end - c->p));

		if (n == 0) {
			c->overflow = true;
			return;
		}
		c->p += n;
	}
	cs_cbor_put_bytes(c, be + skip, 32 - skip);
}
