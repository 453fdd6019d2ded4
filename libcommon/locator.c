#include "locator.h"

#include "exit.h"

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
