/*
 * bench-sqlite - the SQLite comparison of `make bench`: imports
 * concatenated raw 80-byte headers the way a user would by hand with
 * SQLite, so that cs-put's import rate and lookups can be read against it.
 *
 *   CREATE TABLE headers (hash BLOB PRIMARY KEY, height INTEGER NOT NULL,
 *                         header BLOB NOT NULL);
 *   CREATE INDEX headers_height ON headers (height);
 *   PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
 *
 * and one transaction every BATCH (10,000) rows, through one prepared
 * INSERT. Hashes are stored in display order (as bitcoin-cli prints them),
 * so that `sqlite3 DB "select ... where hash = x'...'"` takes the hex a
 * user has at hand. Like bench-floor it checks nothing: no parent, no
 * proof of work, no chainwork.
 *
 * usage: bench-sqlite [-b BATCH] DB FILE
 */
#include "header.h"

#include <sqlite3.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sqlite3 *db;

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "bench-sqlite: %s: %s\n", what, why);
	exit(70);
}

static void
exec(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		die(sql, err != NULL ? err : sqlite3_errmsg(db));
}

int
main(int argc, char *argv[])
{
	long batch_size = 10000, in_batch = 0;
	sqlite3_stmt *insert;
	uint8_t buf[CS_HEADER_SIZE], hash[32], display[32];
	uint32_t height = 0;
	char *end;
	FILE *in;
	int opt;

	while ((opt = getopt(argc, argv, "b:")) != -1) {
		switch (opt) {
		case 'b':
			errno = 0;
			batch_size = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || batch_size <= 0)
				die("-b", "bad batch size");
			break;
		default:
			fputs("usage: bench-sqlite [-b batch] db file\n", stderr);
			return 64;
		}
	}
	if (argc - optind != 2) {
		fputs("usage: bench-sqlite [-b batch] db file\n", stderr);
		return 64;
	}
	if ((in = fopen(argv[optind + 1], "rb")) == NULL)
		die(argv[optind + 1], strerror(errno));
	if (sqlite3_open(argv[optind], &db) != SQLITE_OK)
		die(argv[optind], sqlite3_errmsg(db));
	exec("PRAGMA journal_mode = WAL");
	exec("PRAGMA synchronous = FULL");
	exec("CREATE TABLE IF NOT EXISTS headers (hash BLOB PRIMARY KEY, height INTEGER NOT NULL, "
	     "header BLOB NOT NULL)");
	exec("CREATE INDEX IF NOT EXISTS headers_height ON headers (height)");
	if (sqlite3_prepare_v2(db, "INSERT INTO headers (hash, height, header) VALUES (?, ?, ?)", -1, &insert,
		NULL) != SQLITE_OK)
		die("prepare", sqlite3_errmsg(db));

	exec("BEGIN");
	while (fread(buf, CS_HEADER_SIZE, 1, in) == 1) {
		if (cs_header_hash(buf, hash) != 0)
			die("sha256", "failed");
		for (int i = 0; i < 32; i++)
			display[i] = hash[31 - i];
		sqlite3_bind_blob(insert, 1, display, 32, SQLITE_STATIC);
		sqlite3_bind_int64(insert, 2, height);
		sqlite3_bind_blob(insert, 3, buf, CS_HEADER_SIZE, SQLITE_STATIC);
		if (sqlite3_step(insert) != SQLITE_DONE)
			die("insert", sqlite3_errmsg(db));
		sqlite3_reset(insert);
		height++;
		if (++in_batch == batch_size) {
			exec("COMMIT");
			exec("BEGIN");
			in_batch = 0;
		}
	}
	if (ferror(in))
		die(argv[optind + 1], "read error");
	exec("COMMIT");
	sqlite3_finalize(insert);
	if (sqlite3_close(db) != SQLITE_OK)
		die("close", "failed");
	fclose(in);
	fprintf(stderr, "bench-sqlite: %u headers\n", height);
	return 0;
}
