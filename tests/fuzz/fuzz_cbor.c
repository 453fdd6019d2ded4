/*
 * fuzz_cbor - CBOR entries: cs_cbor_decode on one item, then the whole
 * input as a CBOR sequence through the reader, as cs-put reads it.
 */
#include "fuzz.h"

#include "cborio.h"

static void
check_inside(const uint8_t *p, size_t len, const uint8_t *data, size_t used)
{
	if (len == 0)
		return;
	FUZZ_CHECK(p >= data && p + len <= data + used);
	fuzz_touch(p, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cs_cbor_item item, again;
	size_t used = 0, used2 = 0;
	char why[256];
	enum cs_cbor_status st;

	st = cs_cbor_decode(data, size, true, &item, &used, why, sizeof(why));
	/* At the end of input an item is done or bad, never "need more". */
	FUZZ_CHECK(st == CS_CBOR_DONE || st == CS_CBOR_ERROR);
	if (st == CS_CBOR_ERROR)
		FUZZ_CHECK(why[0] != '\0');
	if (st == CS_CBOR_DONE) {
		FUZZ_CHECK(used >= 1 && used <= size);
		switch (item.kind) {
		case CS_CBOR_BYTES:
			check_inside(item.bytes, item.len, data, used);
			break;
		case CS_CBOR_MAP:
			if (item.record.has_header)
				check_inside(item.record.header, item.record.header_len, data, used);
			if (item.record.has_body)
				check_inside(item.record.body, item.record.body_len, data, used);
			FUZZ_CHECK(item.record.header_len <= CS_OPAQUE_HEADER_MAX);
			FUZZ_CHECK(item.record.body_len <= CS_BODY_MAX);
			break;
		case CS_CBOR_ARRAY:
			FUZZ_CHECK(item.count <= CS_LOCATOR_MAX);
			break;
		case CS_CBOR_UINT:
			break;
		}
		/* The item alone decodes the same, its end known or not; any
		 * shorter prefix is unfinished (or already bad), never done. */
		FUZZ_CHECK(cs_cbor_decode(data, used, false, &again, &used2, why, sizeof(why)) == CS_CBOR_DONE);
		FUZZ_CHECK(used2 == used && again.kind == item.kind);
		if (used > 1)
			FUZZ_CHECK(cs_cbor_decode(data, used - 1, false, &again, &used2, why, sizeof(why)) !=
			    CS_CBOR_DONE);
	}
	fuzz_records(data, size, CS_FORMAT_CBOR, NULL);
	return 0;
}
