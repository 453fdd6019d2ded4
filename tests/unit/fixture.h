/*
 * fixture.h - the stores the C unit tests build from the shipped blocks:
 * fixture_blk_store() makes (when create is set) a mainnet store at dir
 * and imports blk files into it, one commit a file, as cs-put -f blk does;
 * 0 or an exit code, with err filled; and paths in a scratch directory. Run from the repository's root, as
 * make check runs the unit tests.
 */
#ifndef CS_FIXTURE_H
#define CS_FIXTURE_H

#include "chain.h"
#include "genesis.h"
#include "network.h"
#include "reader.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* root/name, in one of four buffers used in turn, so that one call can
 * take up to four such paths. */
__attribute__((unused)) static const char *
fixture_at(const char *root, const char *name)
{
	static char paths[4][4096];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", root, name);
	return p;
}

/* Whether something is at path (a dangling link too). */
static bool __attribute__((unused))
fixture_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* The btcd reorg blocks: 0..4, then 3A 4A 5A; the tip is 5A. */
#define FIXTURE_REORG_DIR "tests/data/mainnet/btcd_reorg/"
static const char *const fixture_reorg_files[] __attribute__((unused)) = {
	FIXTURE_REORG_DIR "blk_0_to_4.dat",
	FIXTURE_REORG_DIR "blk_3A.dat",
	FIXTURE_REORG_DIR "blk_4A.dat",
	FIXTURE_REORG_DIR "blk_5A.dat",
};
#define FIXTURE_REORG_COUNT (sizeof(fixture_reorg_files) / sizeof(fixture_reorg_files[0]))

static int __attribute__((unused))
fixture_blk_store(const char *dir, const char *command, const char *const *files, size_t n, bool create,
    struct cs_error *err)
{
	const struct cs_network *net = cs_network_find("mainnet");
	uint8_t header[CS_HEADER_SIZE];
	struct cs_store_meta meta;
	struct cs_import im;
	struct cs_store s;
	struct cs_entry g;
	bool existed;
	int rc;

	if (create) {
		if ((rc = cs_genesis_network(net, &meta, &g, header, err)) != 0 ||
		    (rc = cs_store_create(&s, dir, command, 0, &meta, &g, &existed, err)) != 0)
			return rc;
		cs_store_close(&s);
	}
	if ((rc = cs_store_open(&s, dir, command, 0, err)) != 0)
		return rc;
	if ((rc = cs_import_init(&im, &s, err)) != 0) {
		cs_store_close(&s);
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cs_reader r;
		struct cs_record rec;

		if ((rc = cs_reader_open(&r, files[i], CS_FORMAT_BLK, net->magic, err)) != 0)
			break;
		while (rc == 0 && cs_reader_next(&r, &rec, true, err) == CS_READ_RECORD)
			rc = cs_import_add(&im, &rec, err);
		cs_reader_close(&r);
		if (rc == 0)
			rc = cs_import_commit(&im, err);
	}
	cs_import_free(&im);
	cs_store_close(&s);
	return rc;
}

#endif
