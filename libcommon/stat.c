#include "stat.h"

#include "exit.h"
#include "header.h"
#include "leveldb.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const cs_stat_kind_names[CS_STAT_KINDS] = {
	"entries", "bodies", "height_index", "transaction_index", "chain_tips", "meta",
};
static const char kind_prefix[CS_STAT_KINDS] = { 'E', 'B', 'H', 'T', 'X', 'M' };

/* Counts the keys of one kind; with flags, reads the entries' flags too. */
static int
count_keys(struct cs_store *s, leveldb_readoptions_t *ro, char prefix, uint64_t *count, struct cs_stat *flags,
    struct cs_error *err)
{
	leveldb_iterator_t *it = leveldb_create_iterator(s->db, ro);
	char *lerr = NULL;

	for (leveldb_iter_seek(it, &prefix, 1); leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t klen, vlen;
		const char *key = leveldb_iter_key(it, &klen);

		if (klen == 0 || key[0] != prefix)
			break;
		(*count)++;
		if (flags != NULL) {
			const char *value = leveldb_iter_value(it, &vlen);

			if (vlen > 0 && (value[0] & CS_ENTRY_HAS_BODY))
				flags->bodies++;
			if (vlen > 0 && (value[0] & CS_ENTRY_PRUNED))
				flags->pruned++;
		}
	}
	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	if (lerr != NULL) {
		cs_error_set(err, CS_EX_IOERR, "cannot read store '%s': %s", s->dir, lerr);
		leveldb_free(lerr);
		return CS_EX_IOERR;
	}
	return 0;
}

/* Bytes of the regular files under path, and one level of directories
 * below it (LevelDB's lost/). */
static uint64_t
bytes_under(const char *path, int depth)
{
	char file[4200];
	struct dirent *de;
	struct stat st;
	uint64_t total = 0;
	DIR *d = opendir(path);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		if (lstat(file, &st) != 0)
			continue;
		if (S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode) && depth > 0)
			total += bytes_under(file, depth - 1);
	}
	closedir(d);
	return total;
}

static uint64_t
property_number(struct cs_store *s, const char *name)
{
	char *value = leveldb_property_value(s->db, name);
	uint64_t n = value != NULL ? strtoull(value, NULL, 10) : 0;

	leveldb_free(value);
	return n;
}

int
cs_stat_store(struct cs_store *s, bool sstables, struct cs_stat *st, struct cs_error *err)
{
	const char *starts[CS_STAT_KINDS], *limits[CS_STAT_KINDS];
	size_t lens[CS_STAT_KINDS];
	char limit_keys[CS_STAT_KINDS];
	leveldb_readoptions_t *ro;
	struct cs_entry tip;
	char *owned, name[64];
	int rc;

	memset(st, 0, sizeof(*st));
	ro = leveldb_readoptions_create();
	leveldb_readoptions_set_fill_cache(ro, 0);
	rc = count_keys(s, ro, 'E', &st->entries, st, err);
	if (rc == 0)
		rc = count_keys(s, ro, 'X', &st->tips, NULL, err);
	if (rc == 0)
		rc = count_keys(s, ro, 'T', &st->transactions, NULL, err);
	leveldb_readoptions_destroy(ro);
	if (rc != 0)
		return rc;

	if ((rc = cs_store_get_tip_entry(s, &tip, &owned, err)) != 0)
		return rc;
	st->tip_height = tip.height;
	memcpy(st->tip_hash, tip.hash, 32);
	if (!s->meta.opaque && tip.header_len == CS_HEADER_SIZE) {
		struct cs_header h;

		cs_header_decode(tip.header, &h);
		st->has_tip_time = true;
		st->tip_time = h.time;
	}
	cs_store_free(owned);
	/* from the genesis, or the checkpoint the store starts at */
	st->main = (uint64_t)st->tip_height - s->meta.base_height + 1;
	st->forks = st->entries > st->main ? st->entries - st->main : 0;

	for (int k = 0; k < CS_STAT_KINDS; k++) {
		starts[k] = &kind_prefix[k];
		limit_keys[k] = (char)(kind_prefix[k] + 1);
		limits[k] = &limit_keys[k];
		lens[k] = 1;
	}
	leveldb_approximate_sizes(s->db, CS_STAT_KINDS, starts, lens, limits, lens, st->kind_bytes);
	st->bytes_on_disk = bytes_under(s->dbpath, 1);
	for (int level = 0; level < CS_STAT_LEVELS; level++) {
		snprintf(name, sizeof(name), "leveldb.num-files-at-level%d", level);
		st->files_at_level[level] = property_number(s, name);
	}
	st->memory_usage = property_number(s, "leveldb.approximate-memory-usage");
	st->stats = leveldb_property_value(s->db, "leveldb.stats");
	if (sstables)
		st->sstables = cs_leveldb_sstables(s->db);
	return 0;
}

void
cs_stat_free(struct cs_stat *st)
{
	if (st->stats != NULL)
		leveldb_free(st->stats);
	if (st->sstables != NULL)
		leveldb_free(st->sstables);
	st->stats = st->sstables = NULL;
}
