#include "locator.h"

#include "exit.h"
#include "hex.h"
#include "reader.h"

#include <string.h>

size_t
cs_locator_heights(uint32_t tip_height, uint32_t *heights, size_t cap)
{
	return cs_locator_heights_from(tip_height, 0, heights, cap);
}

size_t
cs_locator_heights_from(uint32_t tip_height, uint32_t base_height, uint32_t *heights, size_t cap)
{
	uint64_t step = 1;
	uint32_t height = tip_height;
	size_t n = 0;

	/* LocatorEntries: the step doubles once more than 10 are listed. */
	for (;;) {
		if (n < cap)
			heights[n] = height;
		n++;
		if (height <= base_height)
			break;
		height = height - base_height > step ? (uint32_t)(height - step) : base_height;
		if (n > 10)
			step *= 2;
	}
	return n;
}

static int
corrupt(struct cs_error *err, int rc, const char *what)
{
	return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR, "store is corrupt: %s", what) : rc;
}

/* Walks from e (an entry) back to its ancestor at height, through prev
 * links while off the main chain and by the height index once on it. */
static int
ancestor(struct cs_store *s, struct cs_entry *e, char **owned, uint32_t height, struct cs_error *err)
{
	uint8_t hash[32];
	int rc;

	while (e->height > height) {
		if (e->main) {
			if ((rc = cs_store_get_main(s, height, hash, err)) != 0)
				return corrupt(err, rc, "main chain has a gap");
		} else {
			memcpy(hash, e->prev, 32);
		}
		cs_store_free(*owned);
		*owned = NULL;
		if ((rc = cs_store_get_entry(s, hash, e, owned, err)) != 0)
			return corrupt(err, rc, "broken parent link");
	}
	return 0;
}

static int
not_found(const uint8_t hash[32], struct cs_error *err)
{
	char hex[CS_HASH_HEX];

	cs_hash_to_display(hash, hex);
	return cs_error_set(err, CS_EX_NOTFOUND, "'%s': not found", hex);
}

int
cs_locator_build(struct cs_store *s, const uint8_t from[32], uint8_t (*out)[32], size_t *count,
    struct cs_error *err)
{
	uint32_t heights[CS_LOCATOR_MAX];
	struct cs_entry e;
	char *owned = NULL;
	size_t n;
	int rc;

	*count = 0;
	rc = from == NULL ? cs_store_get_tip_entry(s, &e, &owned, err) : cs_store_get_entry(s, from, &e, &owned, err);
	if (rc == CS_EX_NOTFOUND && from != NULL)
		return not_found(from, err);
	if (rc != 0)
		return rc;
	n = cs_locator_heights_from(e.height, s->meta.base_height, heights, CS_LOCATOR_MAX);
	if (n > CS_LOCATOR_MAX) {
		cs_store_free(owned);
		return cs_error_set(err, CS_EX_SOFTWARE, "locator of %zu hashes is longer than 101", n);
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = ancestor(s, &e, &owned, heights[i], err)) != 0)
			break;
		memcpy(out[i], e.hash, 32);
		*count = i + 1;
	}
	cs_store_free(owned);
	return rc;
}

/* Whether e, above the tip, descends from the tip (Core's second test). */
static int
descends_from_tip(struct cs_store *s, const struct cs_entry *e, const struct cs_entry *tip, bool *yes,
    struct cs_error *err)
{
	struct cs_entry cur = *e;
	char *owned = NULL;
	int rc;

	cur.main = false;
	rc = ancestor(s, &cur, &owned, tip->height, err);
	*yes = rc == 0 && memcmp(cur.hash, tip->hash, 32) == 0;
	cs_store_free(owned);
	return rc;
}

int
cs_locator_fork_point(struct cs_store *s, const uint8_t (*hashes)[32], size_t count, uint32_t *height,
    struct cs_error *err)
{
	struct cs_entry tip, e;
	char *tip_owned = NULL, *owned;
	bool found = false;
	int rc;

	*height = s->meta.base_height;
	if ((rc = cs_store_get_tip_entry(s, &tip, &tip_owned, err)) != 0)
		return rc;
	for (size_t i = 0; i < count && !found && rc == 0; i++) {
		rc = cs_store_get_entry(s, hashes[i], &e, &owned, err);
		if (rc == CS_EX_NOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		if (e.main) {
			*height = e.height;
			found = true;
		} else if (e.height > tip.height) {
			if ((rc = descends_from_tip(s, &e, &tip, &found, err)) == 0 && found)
				*height = tip.height;
		}
		cs_store_free(owned);
	}
	cs_store_free(tip_owned);
	return rc;
}

void
cs_locator_write(struct cs_out *out, enum cs_format format, const uint8_t (*hashes)[32], size_t count)
{
	char hex[CS_HASH_HEX];

	switch (format) {
	case CS_FORMAT_CBOR: {
		size_t room = 9 + count * 34;
		uint8_t *start = cs_out_reserve(out, room);
		struct cs_cbor_cursor c = { start, start + room, false };

		if (start == NULL)
			break;
		cs_cbor_put_array(&c, count);
		for (size_t i = 0; i < count; i++)
			cs_cbor_put_bytes(&c, hashes[i], 32);
		cs_out_commit(out, (size_t)(c.p - start));
		break;
	}
	case CS_FORMAT_JSON:
		cs_out_write(out, "[", 1);
		for (size_t i = 0; i < count; i++) {
			cs_hash_to_display(hashes[i], hex);
			cs_out_printf(out, "%s\"%s\"", i > 0 ? "," : "", hex);
		}
		cs_out_write(out, "]\n", 2);
		break;
	default:
		for (size_t i = 0; i < count; i++) {
			cs_hash_to_display(hashes[i], hex);
			cs_out_printf(out, "%s\n", hex);
		}
		break;
	}
}

int
cs_locator_read(uint8_t (*hashes)[32], size_t *count, struct cs_error *err)
{
	struct cs_reader reader;
	struct cs_key key;
	int rc;

	*count = 0;
	if ((rc = cs_reader_open(&reader, NULL, CS_FORMAT_CBOR, NULL, err)) != 0)
		return rc;
	for (;;) {
		enum cs_read st = cs_reader_next_key(&reader, &key, true, err);
		size_t n;

		if (st == CS_READ_END)
			break;
		if (st != CS_READ_RECORD) {
			rc = err->code != 0 ? err->code : CS_EX_SOFTWARE;
			break;
		}
		/* key is filled only for a record */
		n = key.kind == CS_KEY_LOCATOR ? key.count : 1;
		/* cs-get takes these as keys; a locator is hashes only */
		if (key.kind == CS_KEY_HEIGHT || key.entry) {
			rc = cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: %s is not a locator hash",
			    (unsigned long long)key.item, (unsigned long long)key.offset,
			    key.entry ? "an entry" : "a height");
			break;
		}
		if (*count + n > CS_LOCATOR_MAX) {
			rc = cs_error_set(err, CS_EX_DATAERR, "item %llu at byte %llu: locator longer than %d hashes",
			    (unsigned long long)key.item, (unsigned long long)key.offset, CS_LOCATOR_MAX);
			break;
		}
		if (key.kind == CS_KEY_LOCATOR)
			memcpy(hashes[*count], key.hashes, n * 32);
		else
			memcpy(hashes[*count], key.hash, 32);
		*count += n;
	}
	cs_reader_close(&reader);
	return rc;
}

int
cs_locator_answer(struct cs_store *s, struct cs_out *out, const struct cs_print *how, const uint8_t (*hashes)[32],
    size_t count, const uint8_t *stop, uint32_t max, struct cs_error *err)
{
	struct cs_main_cursor cursor;
	struct cs_entry e;
	uint8_t last[32];
	bool connected, have_last = false;
	uint32_t height;
	char *owned;
	int rc = 0;

	if (count == 0) {
		if (stop == NULL)
			return 0;
		/* Core answers the stop entry alone, on whatever branch it is. */
		if ((rc = cs_store_has_entry(s, stop, &connected, err)) != 0)
			return rc;
		if (!connected)
			return not_found(stop, err);
		if ((rc = cs_store_get_entry(s, stop, &e, &owned, err)) != 0)
			return rc;
		rc = cs_write_entry(out, how, &e, err);
		cs_store_free(owned);
		return rc;
	}
	if ((rc = cs_locator_fork_point(s, hashes, count, &height, err)) != 0)
		return rc;
	if (height == UINT32_MAX)
		return 0;
	cs_main_cursor_init(&cursor, s, height + 1);
	for (uint32_t n = 0; n < max && !out->closed; n++) {
		if ((rc = cs_out_drain(out, s, false, err)) != 0 || (rc = cs_store_acquire(s, err)) != 0 ||
		    (rc = cs_main_cursor_next(&cursor, &e, err)) != 0)
			break;
		/* A reorganisation while the store was let go: the answer ends
		 * where it no longer connects. */
		if (have_last && memcmp(e.prev, last, 32) != 0)
			break;
		if ((rc = cs_write_entry(out, how, &e, err)) != 0)
			break;
		if (stop != NULL && memcmp(e.hash, stop, 32) == 0)
			break;
		memcpy(last, e.hash, 32);
		have_last = true;
	}
	cs_main_cursor_close(&cursor);
	return rc == CS_EX_NOTFOUND ? 0 : rc;
}
