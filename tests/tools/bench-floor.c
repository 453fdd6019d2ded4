/*
 * bench-floor - the raw-LevelDB floor of `make bench`: imports concatenated
 * raw 80-byte headers into a LevelDB database doing nothing but what any
 * importer must do, so that cs-put's import rate can be read against
 * LevelDB's own speed on the same machine and the same run.
 *
 * For each header: SHA-256d, then 'E' hash -> header and 'H' height(BE) ->
 * hash into a write batch; every BATCH headers one synced leveldb_write.
 * No parent check, no proof of work, no chainwork, no duplicate read, no
 * lock: a lower bound on the time of an import that is as durable as
 * cs-put's. The LevelDB options default to those of libcommon/store.c and
 * the batch to that of libcommon/chain.c; the options below change them
 * for the tuning experiments recorded in docs/benchmarks.md.
 *
 * Like cs-put, it reads tables without mmap, and at the end writes the
 * memtable out and waits for the compactions LevelDB has due
 * (cs_store_settle), so that both leave the database in the same state.
 *
 * With -l it is the floor of `cs-get -`: FILE holds display-hex hashes, one
 * a line, and each is looked up ('E' hash) in the database made before.
 *
 * usage: bench-floor [-l] [-b BATCH] [-c CACHE_MB] [-f BLOOM_BITS] [-o BLOCK_KB]
 *                    [-w WRITE_BUFFER_MB] [-m FILE_MB] [-z snappy|none] DBDIR FILE
 */
#include "header.h"
#include "hex.h"
#include "store.h"

#include <leveldb/c.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "bench-floor: %s: %s\n", what, why);
	exit(70);
}

static void
usage(void)
{
	fputs("usage: bench-floor [-l] [-b batch] [-c cache_mb] [-f bloom_bits] [-o block_kb]\n"
	      "                   [-w write_buffer_mb] [-m file_mb] [-z snappy|none] dbdir file\n",
	    stderr);
	exit(64);
}

static void
lookup(leveldb_t *db, FILE *in)
{
	leveldb_readoptions_t *ro = leveldb_readoptions_create();
	char line[128], *err = NULL;
	uint8_t key[33];
	long found = 0, missing = 0;

	key[0] = 'E';
	while (fgets(line, sizeof(line), in) != NULL) {
		char *value;
		size_t vlen;

		line[strcspn(line, "\n")] = '\0';
		if (cs_hash_from_display(line, key + 1) != 0)
			die(line, "not a hash");
		value = leveldb_get(db, ro, (const char *)key, sizeof(key), &vlen, &err);
		if (err != NULL)
			die("get", err);
		if (value != NULL) {
			found++;
			leveldb_free(value);
		} else {
			missing++;
		}
	}
	leveldb_readoptions_destroy(ro);
	fprintf(stderr, "bench-floor: %ld found, %ld missing\n", found, missing);
}

static long
number(const char *text)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		usage();
	return v;
}

int
main(int argc, char *argv[])
{
	long batch_size = 10000, cache_mb = 16, bloom = 10, block_kb = 4, wbuf_mb = CS_WRITE_BUFFER >> 20,
	     file_mb = CS_TABLE_SIZE >> 20;
	int compression = leveldb_no_compression, opt;
	leveldb_options_t *options;
	leveldb_writeoptions_t *wo;
	leveldb_writebatch_t *batch;
	leveldb_cache_t *cache = NULL;
	leveldb_filterpolicy_t *filter = NULL;
	leveldb_t *db;
	uint8_t *buf, hash[32], key[33], hkey[5];
	char *err = NULL;
	uint32_t height = 0;
	long in_batch = 0;
	int lookups = 0;
	FILE *in;
	size_t n;

	while ((opt = getopt(argc, argv, "b:c:f:lm:o:w:z:")) != -1) {
		switch (opt) {
		case 'b':
			batch_size = number(optarg);
			break;
		case 'c':
			cache_mb = number(optarg);
			break;
		case 'f':
			bloom = number(optarg);
			break;
		case 'l':
			lookups = 1;
			break;
		case 'm':
			file_mb = number(optarg);
			break;
		case 'o':
			block_kb = number(optarg);
			break;
		case 'w':
			wbuf_mb = number(optarg);
			break;
		case 'z':
			if (strcmp(optarg, "snappy") == 0)
				compression = leveldb_snappy_compression;
			else if (strcmp(optarg, "none") != 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || batch_size == 0)
		usage();
	if ((in = fopen(argv[optind + 1], "rb")) == NULL)
		die(argv[optind + 1], strerror(errno));

	/* as cs-put reads tables, and cs-get (store.h) */
	if (!lookups)
		cs_leveldb_without_mmap();
	options = leveldb_options_create();
	leveldb_options_set_create_if_missing(options, 1);
	if (cache_mb > 0) {
		cache = leveldb_cache_create_lru((size_t)cache_mb << 20);
		leveldb_options_set_cache(options, cache);
	}
	if (bloom > 0) {
		filter = leveldb_filterpolicy_create_bloom((int)bloom);
		leveldb_options_set_filter_policy(options, filter);
	}
	leveldb_options_set_block_size(options, (size_t)block_kb << 10);
	leveldb_options_set_write_buffer_size(options, (size_t)wbuf_mb << 20);
	leveldb_options_set_max_file_size(options, (size_t)file_mb << 20);
	leveldb_options_set_compression(options, compression);
	db = leveldb_open(options, argv[optind], &err);
	if (err != NULL)
		die(argv[optind], err);
	if (lookups) {
		lookup(db, in);
		leveldb_close(db);
		return 0;
	}
	wo = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(wo, 1);
	batch = leveldb_writebatch_create();

	buf = malloc(CS_HEADER_SIZE * 4096);
	if (buf == NULL)
		die("malloc", strerror(errno));
	while ((n = fread(buf, CS_HEADER_SIZE, 4096, in)) > 0) {
		for (size_t i = 0; i < n; i++, height++) {
			const uint8_t *h = buf + i * CS_HEADER_SIZE;

			if (cs_header_hash(h, hash) != 0)
				die("sha256", "failed");
			key[0] = 'E';
			memcpy(key + 1, hash, 32);
			leveldb_writebatch_put(batch, (const char *)key, sizeof(key), (const char *)h, CS_HEADER_SIZE);
			hkey[0] = 'H';
			hkey[1] = (uint8_t)(height >> 24);
			hkey[2] = (uint8_t)(height >> 16);
			hkey[3] = (uint8_t)(height >> 8);
			hkey[4] = (uint8_t)height;
			leveldb_writebatch_put(batch, (const char *)hkey, sizeof(hkey), (const char *)hash, 32);
			if (++in_batch == batch_size) {
				leveldb_write(db, wo, batch, &err);
				if (err != NULL)
					die("write", err);
				leveldb_writebatch_clear(batch);
				in_batch = 0;
			}
		}
	}
	if (ferror(in))
		die(argv[optind + 1], "read error");
	if (in_batch > 0) {
		leveldb_write(db, wo, batch, &err);
		if (err != NULL)
			die("write", err);
	}
	cs_leveldb_flush(db);
	for (int waited = 0; cs_leveldb_compaction_due(db) && waited < 3000; waited++)
		usleep(10000);
	leveldb_writebatch_destroy(batch);
	leveldb_writeoptions_destroy(wo);
	leveldb_close(db);
	leveldb_options_destroy(options);
	if (cache != NULL)
		leveldb_cache_destroy(cache);
	if (filter != NULL)
		leveldb_filterpolicy_destroy(filter);
	free(buf);
	fclose(in);
	fprintf(stderr, "bench-floor: %u headers\n", height);
	return 0;
}
