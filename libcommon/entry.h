/*
 * entry.h - an entry as the store keeps it and the tools print it, and a
 * record as read from input before the store has derived anything.
 *
 * Pointers inside these structs borrow memory owned by someone else (the
 * input buffer, a value read from the database); the owner says how long
 * they stay valid.
 */
#ifndef CS_ENTRY_H
#define CS_ENTRY_H

#include "arith.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The limits of cs(7) "Bad input": a body is at most CS_BODY_MAX bytes, an
 * opaque header at most CS_OPAQUE_HEADER_MAX. Defined here only. */
#define CS_BODY_MAX 4000000
#define CS_OPAQUE_HEADER_MAX 65536
#define CS_TIMES_MAX 10              /* a checkpoint's times (cs-init --checkpoint) */

/* Entry flags, kept in the stored value. */
#define CS_ENTRY_HAS_BODY 0x01
#define CS_ENTRY_PRUNED 0x02  /* its body was stored once and pruned */
#define CS_ENTRY_OPAQUE 0x04  /* prev and work are stored, not derived */
#define CS_ENTRY_CONTEXT 0x08 /* the rules context follows the header (store.h) */

struct cs_entry {
	uint8_t hash[32];
	uint8_t prev[32];
	uint32_t height;
	struct cs_u256 chainwork;
	struct cs_u256 work;
	unsigned flags;
	bool main;            /* filled by the store: on the active chain */
	/* The header rules' context (rules.h), when the entry carries it */
	bool has_context;
	uint32_t period_time, period_bits, walk_bits;
	const uint8_t *header;
	size_t header_len;
	const uint8_t *body;  /* NULL unless asked for and stored */
	size_t body_len;
};

/* What one input item carried. has_* say which optional fields were present. */
struct cs_record {
	const uint8_t *header;
	size_t header_len;
	const uint8_t *body;
	size_t body_len;
	bool has_header, has_body, has_hash, has_prev, has_height, has_chainwork, has_work, has_status;
	uint8_t hash[32];
	uint8_t prev[32];
	uint64_t height;
	struct cs_u256 chainwork;
	struct cs_u256 work;
	bool status_main;
	/* a checkpoint's: the times of the entries before it, newest first */
	bool has_times;
	unsigned time_count;
	uint32_t times[CS_TIMES_MAX];
	uint64_t item;   /* 1-based index in its input */
	uint64_t offset; /* byte offset of the item in its input */
	const char *source; /* the input's file name; NULL for standard input */
};

/* The work of an opaque record: as given, else 1 (so that the most work is
 * the longest chain). */
static inline void
cs_record_opaque_work(const struct cs_record *rec, struct cs_u256 *work)
{
	if (rec->has_work)
		*work = rec->work;
	else
		cs_u256_set_u64(work, 1);
}

/* A slot for a hash in an in-memory hash table (the import's pending
 * entries and orphans, prune's forks): two words of it mixed, since a
 * block hash's leading bytes are zeros. */
static inline uint64_t
cs_hash_slot(const uint8_t hash[32])
{
	uint64_t a, b;

	memcpy(&a, hash, 8);
	memcpy(&b, hash + 24, 8);
	return (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
}

#endif
