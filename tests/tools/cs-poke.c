/*
 * cs-poke - reads and writes raw keys of a store's database, for tests that
 * damage a store on purpose. Takes the store's lock like every command,
 * and opens the database without looking at what it holds.
 *
 * The store is -s DIR, else $CS_STORE.
 *
 *   cs-poke -s DIR get KEYHEX          the value in hex (exit 1 when absent)
 *   cs-poke -s DIR put KEYHEX VALUEHEX
 *   cs-poke -s DIR del KEYHEX
 *   cs-poke -s DIR list [PREFIXHEX]    every key (with that prefix), in hex
 *
 * Keys and values are hex of the raw bytes: 'E' (45) and an internal-order
 * hash for an entry, 'H' (48) and a 4-byte big-endian height, and so on
 * (libcommon/store.h). An empty VALUEHEX is "" .
 */
#include "error.h"
#include "exit.h"
#include "hex.h"
#include "lock.h"

#include <leveldb/c.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: cs-poke -s DIR get|del KEYHEX\n"
			"       cs-poke -s DIR put KEYHEX VALUEHEX\n"
			"       cs-poke -s DIR list [PREFIXHEX]\n");
	exit(CS_EX_USAGE);
}

static uint8_t *
unhex(const char *text, size_t *len)
{
	size_t n = strlen(text);
	uint8_t *out;

	if (n % 2 != 0 || (out = malloc(n / 2 + 1)) == NULL || cs_hex_decode(text, n / 2, out) != 0) {
		fprintf(stderr, "cs-poke: '%s' is not hex\n", text);
		exit(CS_EX_USAGE);
	}
	*len = n / 2;
	return out;
}

static void
print_hex(const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", (unsigned char)data[i]);
	putchar('\n');
}

int
main(int argc, char *argv[])
{
	const char *dir = NULL, *op;
	char dbpath[4200], *lerr = NULL;
	leveldb_options_t *options;
	leveldb_readoptions_t *ro;
	leveldb_writeoptions_t *wo;
	struct cs_error err;
	struct cs_lock lock;
	uint8_t *key = NULL, *value = NULL;
	size_t klen = 0, vlen = 0;
	leveldb_t *db;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt == 's')
			dir = optarg;
		else
			usage();
	}
	argc -= optind;
	argv += optind;
	if (dir == NULL)
		dir = getenv("CS_STORE");
	if (dir == NULL || argc < 1)
		usage();
	op = argv[0];
	if ((strcmp(op, "get") == 0 || strcmp(op, "del") == 0) && argc == 2)
		key = unhex(argv[1], &klen);
	else if (strcmp(op, "put") == 0 && argc == 3)
		key = unhex(argv[1], &klen), value = unhex(argv[2], &vlen);
	else if (strcmp(op, "list") == 0 && argc <= 2)
		key = unhex(argc == 2 ? argv[1] : "", &klen);
	else
		usage();

	cs_lock_init(&lock, "cs-poke");
	if ((rc = cs_lock_acquire(&lock, dir, 10, &err)) != 0) {
		fprintf(stderr, "cs-poke: %s\n", err.message);
		return rc;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/db", dir);
	options = leveldb_options_create();
	db = leveldb_open(options, dbpath, &lerr);
	if (lerr != NULL) {
		fprintf(stderr, "cs-poke: cannot open '%s': %s\n", dbpath, lerr);
		return CS_EX_IOERR;
	}
	ro = leveldb_readoptions_create();
	wo = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(wo, 1);
	if (strcmp(op, "get") == 0) {
		size_t len;
		char *v = leveldb_get(db, ro, (const char *)key, klen, &len, &lerr);

		if (v != NULL)
			print_hex(v, len);
		else if (lerr == NULL)
			rc = CS_EX_NOTFOUND;
		leveldb_free(v);
	} else if (strcmp(op, "put") == 0) {
		leveldb_put(db, wo, (const char *)key, klen, (const char *)value, vlen, &lerr);
	} else if (strcmp(op, "del") == 0) {
		leveldb_delete(db, wo, (const char *)key, klen, &lerr);
	} else {
		leveldb_iterator_t *it = leveldb_create_iterator(db, ro);

		for (leveldb_iter_seek(it, (const char *)key, klen); leveldb_iter_valid(it); leveldb_iter_next(it)) {
			size_t len;
			const char *k = leveldb_iter_key(it, &len);

			if (len < klen || memcmp(k, key, klen) != 0)
				break;
			print_hex(k, len);
		}
		leveldb_iter_get_error(it, &lerr);
		leveldb_iter_destroy(it);
	}
	if (lerr != NULL) {
		fprintf(stderr, "cs-poke: %s: %s\n", op, lerr);
		rc = CS_EX_IOERR;
		leveldb_free(lerr);
	}
	leveldb_close(db);
	leveldb_options_destroy(options);
	leveldb_readoptions_destroy(ro);
	leveldb_writeoptions_destroy(wo);
	cs_lock_release(&lock);
	cs_lock_close(&lock);
	free(key);
	free(value);
	if (fflush(stdout) != 0)
		rc = CS_EX_IOERR;
	return rc;
}
