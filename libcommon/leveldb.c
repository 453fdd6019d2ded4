#include "leveldb.h"

#include "grow.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
ends_with(const char *name, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

enum cs_leveldb_file
cs_leveldb_file_kind(const char *name)
{
	size_t n = strlen(name);

	if (strcmp(name, "LOCK") == 0 || strcmp(name, "LOG") == 0 || strcmp(name, "LOG.old") == 0 ||
	    ends_with(name, n, ".dbtmp"))
		return CS_LEVELDB_PRIVATE;
	if (ends_with(name, n, ".ldb") || ends_with(name, n, ".sst"))
		return CS_LEVELDB_TABLE;
	return CS_LEVELDB_MUTABLE;
}

bool
cs_leveldb_is_table(const char *name)
{
	return cs_leveldb_file_kind(name) == CS_LEVELDB_TABLE;
}

/*
 * The MANIFEST: a log of 32 KiB blocks of checksummed records
 * (log_format.h, log_reader.cc), each record a VersionEdit
 * (version_edit.cc).
 */
#define LOG_BLOCK 32768
#define LOG_HEADER 7
#define MANIFEST_MAX (64u << 20)

/* CRC-32C (crc32c.cc), with its table made for each manifest read: no
 * state outlives a call. */
struct crc32c {
	uint32_t table[256];
};

static void
crc32c_init(struct crc32c *c)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t v = i;

		for (int k = 0; k < 8; k++)
			v = (v & 1) ? (v >> 1) ^ 0x82f63b78u : v >> 1;
		c->table[i] = v;
	}
}

static uint32_t
crc32c(const struct crc32c *c, uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n-- > 0)
		crc = c->table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static int
skip_slice(const uint8_t **p, const uint8_t *end)
{
	uint64_t len;

	if (varint(p, end, &len) != 0 || len > (uint64_t)(end - *p))
		return -1;
	*p += len;
	return 0;
}

static void
live_remove(struct cs_leveldb_live *l, int level, uint64_t number)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].level == level && l->v[i].number == number) {
			l->v[i] = l->v[--l->n];
			return;
		}
	}
}

static int
live_add(struct cs_leveldb_live *l, int level, uint64_t number)
{
	struct cs_leveldb_table *grown;

	live_remove(l, level, number);
	if ((grown = cs_grow(l->v, &l->cap, l->n + 1, 64, sizeof(*l->v))) == NULL)
		return -1;
	l->v = grown;
	l->v[l->n].level = level;
	l->v[l->n++].number = number;
	return 0;
}

/* Applies one VersionEdit; -1 on anything it does not know. */
static int
apply_edit(struct cs_leveldb_live *l, const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		uint64_t tag, level, number, v;

		if (varint(&p, end, &tag) != 0)
			return -1;
		switch (tag) {
		case 1: /* comparator */
			if (skip_slice(&p, end) != 0)
				return -1;
			break;
		case 2: /* log number */
		case 3: /* next file number */
		case 4: /* last sequence */
		case 9: /* previous log number */
			if (varint(&p, end, &v) != 0)
				return -1;
			break;
		case 5: /* compact pointer */
			if (varint(&p, end, &level) != 0 || skip_slice(&p, end) != 0)
				return -1;
			break;
		case 6: /* deleted file */
			if (varint(&p, end, &level) != 0 || varint(&p, end, &number) != 0 || level > 64)
				return -1;
			live_remove(l, (int)level, number);
			break;
		case 7: /* new file */
			if (varint(&p, end, &level) != 0 || varint(&p, end, &number) != 0 || varint(&p, end, &v) != 0 ||
			    skip_slice(&p, end) != 0 || skip_slice(&p, end) != 0 || level > 64 ||
			    live_add(l, (int)level, number) != 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Replays the log records of data; -1 when a record does not check out. */
static int
replay_manifest(struct cs_leveldb_live *l, const uint8_t *data, size_t len)
{
	struct crc32c crc_table;
	uint8_t *record = NULL;
	size_t rlen = 0, rcap = 0, off = 0;
	bool in_record = false;
	int rc = 0;

	crc32c_init(&crc_table);
	while (rc == 0 && off < len) {
		size_t left = LOG_BLOCK - off % LOG_BLOCK, n;
		const uint8_t *h = data + off;
		uint8_t *grown;
		uint32_t crc;
		unsigned type;

		if (left < LOG_HEADER || len - off < LOG_HEADER) {
			off += left; /* a block's zero trailer, or the end */
			continue;
		}
		n = (size_t)h[4] | (size_t)h[5] << 8;
		type = h[6];
		if (type == 0 && n == 0) { /* preallocated: the rest of the block */
			off += left;
			continue;
		}
		if (n > left - LOG_HEADER || n > len - off - LOG_HEADER)
			break; /* a record cut short at the end: what LevelDB drops too */
		crc = crc32c(&crc_table, crc32c(&crc_table, 0, &h[6], 1), h + LOG_HEADER, n);
		if (le32(h) != ((crc >> 15 | crc << 17) + 0xa282ead8u) || type < 1 || type > 4) {
			rc = -1;
			break;
		}
		if (type == 1 || type == 2) {
			rlen = 0;
			in_record = true;
		} else if (!in_record) {
			rc = -1;
			break;
		}
		if ((grown = cs_grow(record, &rcap, rlen + n, 4096, 1)) == NULL) {
			rc = -1;
			break;
		}
		record = grown;
		memcpy(record + rlen, h + LOG_HEADER, n);
		rlen += n;
		if (type == 1 || type == 4) {
			rc = apply_edit(l, record, record + rlen);
			in_record = false;
		}
		off += LOG_HEADER + n;
	}
	free(record);
	return rc;
}

int
cs_leveldb_live_read(const char *dbdir, struct cs_leveldb_live *l)
{
	char path[4096], current[128];
	uint8_t *data = NULL;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc = -1;

	memset(l, 0, sizeof(*l));
	if ((size_t)snprintf(path, sizeof(path), "%s/CURRENT", dbdir) >= sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, current, sizeof(current) - 1);
	close(fd);
	if (n <= 0 || current[n - 1] != '\n')
		return -1;
	current[n - 1] = '\0';
	if (strncmp(current, "MANIFEST-", 9) != 0 || strspn(current + 9, "0123456789") != strlen(current + 9) ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dbdir, current) >= sizeof(path) ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= MANIFEST_MAX &&
	    (data = malloc((size_t)st.st_size)) != NULL) {
		while (got < (size_t)st.st_size && (n = read(fd, data + got, (size_t)st.st_size - got)) > 0)
			got += (size_t)n;
		if (got == (size_t)st.st_size)
			rc = replay_manifest(l, data, got);
	}
	close(fd);
	free(data);
	return rc;
}

bool
cs_leveldb_live_has(const struct cs_leveldb_live *l, const char *name)
{
	uint64_t number = strtoull(name, NULL, 10);

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].number == number)
			return true;
	}
	return false;
}

void
cs_leveldb_live_free(struct cs_leveldb_live *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

char *
cs_leveldb_sstables(leveldb_t *db)
{
	return leveldb_property_value(db, "leveldb.sstables");
}

int
cs_leveldb_levels(leveldb_t *db, struct cs_leveldb_levels *out)
{
	char *tables = cs_leveldb_sstables(db);
	int level = 0;

	memset(out, 0, sizeof(*out));
	if (tables == NULL)
		return -1;
	/* "--- level L ---", then a line " NUMBER:SIZE[smallest .. largest]"
	 * a table (keys escaped: no newline inside a line). */
	for (const char *line = tables; line != NULL; line = strchr(line, '\n') != NULL ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long number, size;
		int next;

		if (sscanf(line, "--- level %d ---", &next) == 1)
			level = next >= 0 && next < CS_LEVELDB_LEVELS ? next : level;
		else if (sscanf(line, " %llu:%llu[", &number, &size) == 2) {
			out->files[level]++;
			out->bytes[level] += size;
		}
	}
	leveldb_free(tables);
	return 0;
}

bool
cs_leveldb_compaction_due(leveldb_t *db)
{
	struct cs_leveldb_levels l;
	double limit = 10.0 * 1048576;

	if (cs_leveldb_levels(db, &l) != 0)
		return false;
	if (l.files[0] >= 4)
		return true;
	/* the last level is never compacted further */
	for (int level = 1; level < CS_LEVELDB_LEVELS - 1; level++, limit *= 10) {
		if ((double)l.bytes[level] >= limit)
			return true;
	}
	return false;
}

/*
 * LevelDB's POSIX environment reads table files through read-only mmap,
 * up to 1000 of them a process, and every page of them a process touches
 * counts in its RSS: a writer's compactions read whole tables, so its RSS
 * grew with its write buffer and tables (191 MB for an import of a million
 * headers with 32 MiB and 16 MiB, 84 MB with 2 MiB of each). The limit
 * can be set only through EnvPosixTestHelper::SetReadOnlyMMapLimit, a hook
 * of LevelDB's own tests that libleveldb.a defines (the shared library
 * hides it, hence the static link in the Makefile); it must run before
 * the first database is opened. Limit 0: every table is read with pread,
 * through the page cache, which no process's RSS counts.
 */
void leveldb_set_mmap_limit(int limit) __asm__("_ZN7leveldb18EnvPosixTestHelper20SetReadOnlyMMapLimitEi");

void
cs_leveldb_without_mmap(void)
{
	leveldb_set_mmap_limit(0);
}

/*
 * DBImpl::CompactRange writes the memtable out first, whatever the range,
 * then compacts the tables that overlap it: none can hold a key from
 * "\xff" (store.h), so this is the flush the C API lacks.
 */
void
cs_leveldb_flush(leveldb_t *db)
{
	leveldb_compact_range(db, "\xff", 1, "\xff", 1);
}
