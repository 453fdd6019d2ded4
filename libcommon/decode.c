#include "decode.h"

#include "exit.h"
#include "header.h"
#include "hex.h"
#include "sha256.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

double
cs_difficulty(uint32_t bits)
{
	int shift = (int)(bits >> 24 & 0xff);
	double diff = (double)0x0000ffff / (double)(bits & 0x00ffffff);

	/* Core divides by zero too for a zero mantissa: inf, which no valid
	 * header has (its target would be zero). */
	while (shift < 29) {
		diff *= 256.0;
		shift++;
	}
	while (shift > 29) {
		diff /= 256.0;
		shift--;
	}
	return diff;
}

void
cs_double_text(double v, char out[CS_DOUBLE_TEXT])
{
	snprintf(out, CS_DOUBLE_TEXT, "%.16g", v);
}

void
cs_amount_text(int64_t satoshis, char out[CS_AMOUNT_TEXT])
{
	uint64_t abs = satoshis < 0 ? (uint64_t)0 - (uint64_t)satoshis : (uint64_t)satoshis;

	snprintf(out, CS_AMOUNT_TEXT, "%s%" PRIu64 ".%08" PRIu64, satoshis < 0 ? "-" : "", abs / 100000000,
	    abs % 100000000);
}

/* A bounded reader over one transaction's bytes. */
struct reader {
	const uint8_t *p;
	size_t len, at;
	bool bad;
};

static const uint8_t *
take(struct reader *r, uint64_t n)
{
	const uint8_t *at;

	if (r->bad || n > r->len - r->at) {
		r->bad = true;
		return NULL;
	}
	at = r->p + r->at;
	r->at += (size_t)n;
	return at;
}

static uint32_t
take_u32(struct reader *r)
{
	const uint8_t *p = take(r, 4);

	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}

static uint64_t
take_u64(struct reader *r)
{
	uint64_t lo = take_u32(r);

	return lo | (uint64_t)take_u32(r) << 32;
}

static uint64_t
take_compact(struct reader *r)
{
	const uint8_t *p = take(r, 1);
	uint64_t v;

	if (p == NULL)
		return 0;
	switch (p[0]) {
	case 0xfd:
		p = take(r, 2);
		v = p ? (uint64_t)p[0] | (uint64_t)p[1] << 8 : 0;
		break;
	case 0xfe:
		v = take_u32(r);
		break;
	case 0xff:
		v = take_u64(r);
		break;
	default:
		return p[0];
	}
	/* the serialisation has no count larger than the bytes left */
	if (v > r->len - r->at)
		r->bad = true;
	return v;
}

static bool
has_witness_marker(const uint8_t *tx, size_t len)
{
	return len > 6 && tx[4] == 0x00 && tx[5] == 0x01;
}

/* Skips inputs and outputs; sets where the witnesses start. */
static void
skip_body(struct reader *r, uint64_t *inputs)
{
	uint64_t n;

	*inputs = n = take_compact(r);
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		take(r, 36);
		take(r, take_compact(r));
		take(r, 4);
	}
	n = take_compact(r);
	for (uint64_t i = 0; i < n && !r->bad; i++) {
		take(r, 8);
		take(r, take_compact(r));
	}
}

int
cs_tx_shape(const uint8_t *tx, size_t len, struct cs_tx_shape *shape, struct cs_error *err)
{
	struct reader r = { tx, len, 0, false };
	uint64_t inputs;
	size_t witness_at = 0;

	memset(shape, 0, sizeof(*shape));
	shape->witness = has_witness_marker(tx, len);
	shape->version = take_u32(&r);
	if (shape->witness)
		take(&r, 2);
	skip_body(&r, &inputs);
	if (shape->witness) {
		witness_at = r.at;
		for (uint64_t i = 0; i < inputs && !r.bad; i++) {
			uint64_t items = take_compact(&r);

			for (uint64_t k = 0; k < items && !r.bad; k++)
				take(&r, take_compact(&r));
		}
	}
	shape->locktime = take_u32(&r);
	if (r.bad || r.at != len)
		return cs_error_set(err, CS_EX_DATAERR, "transaction of %zu bytes does not parse", len);
	shape->size = len;
	shape->stripped = shape->witness ? len - 2 - (r.at - 4 - witness_at) : len;
	shape->weight = (uint64_t)shape->stripped * 3 + len;
	shape->vsize = (shape->weight + 3) / 4;
	if (cs_sha256d(tx, len, shape->wtxid) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "SHA-256 failed");
	return 0;
}

static void
put_hash(struct cs_out *out, const uint8_t hash[32])
{
	char hex[CS_HASH_HEX];

	cs_hash_to_display(hash, hex);
	cs_out_write(out, hex, 64);
}

/* A coinbase spends the null outpoint; Core's IsCoinBase asks only that
 * of a transaction with one input. */
static bool
is_null_outpoint(const uint8_t *outpoint)
{
	static const uint8_t zero[32];

	return memcmp(outpoint, zero, 32) == 0 && cs_le32(outpoint + 32) == UINT32_MAX;
}

/* One input of a transaction, as walk_tx gives it. witness reads its
 * stack (an item count, then the items); it is empty when the transaction
 * has no witnesses. */
struct tx_in {
	uint64_t index, count;
	const uint8_t *outpoint; /* txid and index: 36 bytes */
	const uint8_t *script;
	uint64_t script_len;
	uint32_t sequence;
	struct reader witness;
};

struct tx_out {
	uint64_t index;
	int64_t value;
	const uint8_t *script;
	uint64_t script_len;
};

struct tx_visit {
	void (*input)(struct cs_out *out, const struct tx_in *in);
	void (*between)(struct cs_out *out); /* after the inputs, before the outputs; may be NULL */
	void (*output)(struct cs_out *out, const struct tx_out *o);
};

/* Calls v's functions for each input, then each output, of a transaction
 * cs_tx_shape has parsed (so nothing in it is out of bounds). */
static void
walk_tx(const uint8_t *tx, size_t len, bool witness, const struct tx_visit *v, struct cs_out *out)
{
	struct reader r = { tx, len, 0, false }, w = { tx, len, 0, false };
	uint64_t inputs, outputs;

	/* w walks the witnesses, after the outputs, as r walks the inputs */
	if (witness) {
		take(&w, 6);
		skip_body(&w, &inputs);
	}
	take(&r, witness ? 6 : 4);
	inputs = take_compact(&r);
	for (uint64_t i = 0; i < inputs && !r.bad; i++) {
		struct tx_in in = { .index = i, .count = inputs };
		size_t stack = w.at;

		in.outpoint = take(&r, 36);
		in.script_len = take_compact(&r);
		in.script = take(&r, in.script_len);
		in.sequence = take_u32(&r);
		if (witness) {
			uint64_t items = take_compact(&w);

			for (uint64_t k = 0; k < items && !w.bad; k++)
				take(&w, take_compact(&w));
		}
		in.witness = (struct reader){ tx + stack, w.at - stack, 0, false };
		if (!r.bad)
			v->input(out, &in);
	}
	if (v->between != NULL)
		v->between(out);
	outputs = take_compact(&r);
	for (uint64_t i = 0; i < outputs && !r.bad; i++) {
		struct tx_out o = { .index = i };

		o.value = (int64_t)take_u64(&r);
		o.script_len = take_compact(&r);
		o.script = take(&r, o.script_len);
		if (!r.bad)
			v->output(out, &o);
	}
}

static bool
is_coinbase(const struct tx_in *in)
{
	return in->count == 1 && is_null_outpoint(in->outpoint);
}

static void
json_input(struct cs_out *out, const struct tx_in *in)
{
	struct reader w = in->witness;
	uint64_t items = take_compact(&w);

	cs_out_write(out, in->index ? ",{" : "{", in->index ? 2 : 1);
	if (is_coinbase(in)) {
		cs_out_write(out, "\"coinbase\":\"", 12);
		cs_out_hex(out, in->script, (size_t)in->script_len);
		cs_out_write(out, "\"", 1);
	} else {
		cs_out_write(out, "\"txid\":\"", 8);
		put_hash(out, in->outpoint);
		cs_out_printf(out, "\",\"vout\":%" PRIu32 ",\"scriptSig\":{\"hex\":\"", cs_le32(in->outpoint + 32));
		cs_out_hex(out, in->script, (size_t)in->script_len);
		cs_out_write(out, "\"}", 2);
	}
	if (items > 0) {
		cs_out_write(out, ",\"txinwitness\":[", 16);
		for (uint64_t k = 0; k < items; k++) {
			uint64_t n = take_compact(&w);
			const uint8_t *item = take(&w, n);

			cs_out_write(out, k ? ",\"" : "\"", k ? 2 : 1);
			if (item != NULL)
				cs_out_hex(out, item, (size_t)n);
			cs_out_write(out, "\"", 1);
		}
		cs_out_write(out, "]", 1);
	}
	cs_out_printf(out, ",\"sequence\":%" PRIu32 "}", in->sequence);
}

static void
json_between(struct cs_out *out)
{
	cs_out_write(out, "],\"vout\":[", 10);
}

static void
json_output(struct cs_out *out, const struct tx_out *o)
{
	char amount[CS_AMOUNT_TEXT];

	cs_amount_text(o->value, amount);
	cs_out_printf(out, "%s{\"value\":%s,\"n\":%" PRIu64 ",\"scriptPubKey\":{\"hex\":\"", o->index ? "," : "", amount,
	    o->index);
	cs_out_hex(out, o->script, (size_t)o->script_len);
	cs_out_write(out, "\"}}", 3);
}

int
cs_tx_write_json(struct cs_out *out, const uint8_t txid[32], const uint8_t *tx, size_t len, struct cs_error *err)
{
	static const struct tx_visit json = { json_input, json_between, json_output };
	struct cs_tx_shape shape;
	int rc;

	if ((rc = cs_tx_shape(tx, len, &shape, err)) != 0)
		return rc;
	cs_out_write(out, "\"txid\":\"", 8);
	put_hash(out, txid);
	cs_out_write(out, "\",\"hash\":\"", 10);
	put_hash(out, shape.wtxid);
	cs_out_printf(out,
	    "\",\"version\":%" PRIu32 ",\"size\":%zu,\"vsize\":%" PRIu64 ",\"weight\":%" PRIu64
	    ",\"locktime\":%" PRIu32 ",\"vin\":[",
	    shape.version, shape.size, shape.vsize, shape.weight, shape.locktime);
	walk_tx(tx, len, shape.witness, &json, out);
	cs_out_write(out, "],\"hex\":\"", 9);
	cs_out_hex(out, tx, len);
	cs_out_write(out, "\"", 1);
	return 0;
}

static void
text_input(struct cs_out *out, const struct tx_in *in)
{
	struct reader w = in->witness;
	uint64_t items = take_compact(&w);
	char hash[CS_HASH_HEX];

	cs_out_printf(out, "  vin %-15" PRIu64, in->index);
	if (is_coinbase(in)) {
		cs_out_write(out, "coinbase ", 9);
	} else {
		cs_hash_to_display(in->outpoint, hash);
		cs_out_printf(out, "%s:%" PRIu32 " ", hash, cs_le32(in->outpoint + 32));
	}
	cs_out_hex(out, in->script, (size_t)in->script_len);
	cs_out_printf(out, " sequence %" PRIu32 "\n", in->sequence);
	if (items == 0)
		return;
	cs_out_write(out, "  witness            ", 21);
	for (uint64_t k = 0; k < items; k++) {
		uint64_t m = take_compact(&w);
		const uint8_t *item = take(&w, m);

		if (k > 0)
			cs_out_write(out, " ", 1);
		if (item != NULL && m > 0)
			cs_out_hex(out, item, (size_t)m);
		else
			cs_out_write(out, "-", 1);
	}
	cs_out_write(out, "\n", 1);
}

static void
text_output(struct cs_out *out, const struct tx_out *o)
{
	char amount[CS_AMOUNT_TEXT];

	cs_amount_text(o->value, amount);
	cs_out_printf(out, "  vout %-14" PRIu64 "%s ", o->index, amount);
	cs_out_hex(out, o->script, (size_t)o->script_len);
	cs_out_write(out, "\n", 1);
}

int
cs_tx_write_text(struct cs_out *out, const uint8_t *tx, size_t len, struct cs_error *err)
{
	static const struct tx_visit text = { text_input, NULL, text_output };
	struct cs_tx_shape shape;
	char hash[CS_HASH_HEX];
	int rc;

	if ((rc = cs_tx_shape(tx, len, &shape, err)) != 0)
		return rc;
	cs_hash_to_display(shape.wtxid, hash);
	cs_out_printf(out,
	    "  hash               %s\n  version            %" PRIu32 "\n  size               %zu\n"
	    "  vsize              %" PRIu64 "\n  weight             %" PRIu64 "\n  locktime           %" PRIu32 "\n",
	    hash, shape.version, shape.size, shape.vsize, shape.weight, shape.locktime);
	walk_tx(tx, len, shape.witness, &text, out);
	return 0;
}

int
cs_body_tx_count(const uint8_t *body, size_t len, uint64_t *count)
{
	struct reader r = { body, len, 0, false };

	*count = take_compact(&r);
	return r.bad ? -1 : 0;
}
