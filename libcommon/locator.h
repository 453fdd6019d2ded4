/*
 * locator.h - block locators and the fork point of a peer's locator, as
 * Bitcoin Core builds and reads them (LocatorEntries in chain.cpp,
 * FindForkInGlobalIndex in validation.cpp).
 *
 * Contract: functions that take a store need it held and return 0 or an
 * enum cs_exit code, filling err. Hashes are in internal byte order. A
 * locator holds at most CS_LOCATOR_MAX (101) hashes; one built from any
 * height below 2^32 holds at most 43.
 */
#ifndef CS_LOCATOR_H
#define CS_LOCATOR_H

#include "cborio.h"
#include "error.h"
#include "output.h"
#include "store.h"
#include "writer.h"

#include <stddef.h>
#include <stdint.h>

/* The heights of a locator from an entry at tip_height, newest first:
 * steps of 1 until 11 are listed, then doubling, and the genesis (0) last.
 * Writes at most cap heights; returns how many there are in all. Pure. */
size_t cs_locator_heights(uint32_t tip_height, uint32_t *heights, size_t cap);
/* The same for a chain that starts at base_height (a checkpoint store):
 * the locator ends there instead of at the genesis. */
size_t cs_locator_heights_from(uint32_t tip_height, uint32_t base_height, uint32_t *heights, size_t cap);

/* The locator of the entry from (NULL: the active tip), through its own
 * ancestors (prev links: from may be a fork entry). out holds
 * CS_LOCATOR_MAX hashes. CS_EX_NOTFOUND ("'HASH': not found") when from is
 * not stored. */
int cs_locator_build(struct cs_store *s, const uint8_t from[32], uint8_t (*out)[32], size_t *count,
    struct cs_error *err);

/* The fork point of a peer's locator: the height of the first hash that is
 * on the main chain (or that descends from the tip); hashes not stored, or
 * on forks, are skipped; the genesis (0) when none is. */
int cs_locator_fork_point(struct cs_store *s, const uint8_t (*hashes)[32], size_t count, uint32_t *height,
    struct cs_error *err);

/* Writes a locator: a CBOR array of byte strings, a JSON array line of
 * display-hex hashes, or (text, hex) one display-hex hash per line. */
void cs_locator_write(struct cs_out *out, enum cs_format format, const uint8_t (*hashes)[32], size_t count);

/* Reads one locator from stdin, whatever its form (CBOR arrays and hashes,
 * a JSON array line, display-hex lines), into hashes (CS_LOCATOR_MAX of
 * them). CS_EX_DATAERR naming item and byte for a height, an entry, or
 * more than CS_LOCATOR_MAX hashes. Needs no store. */
int cs_locator_read(uint8_t (*hashes)[32], size_t *count, struct cs_error *err);

/* Answers getheaders: the main-chain entries after the fork point of the
 * peer's locator, at most max, ending after stop (NULL: none), printed
 * with how. With an empty locator, the stop entry alone, on whatever
 * branch (CS_EX_NOTFOUND when it is not stored). A large answer is written
 * out in pieces, letting go of the store in between; a reorganisation
 * meanwhile ends the answer where it no longer connects. */
int cs_locator_answer(struct cs_store *s, struct cs_out *out, const struct cs_print *how, const uint8_t (*hashes)[32],
    size_t count, const uint8_t *stop, uint32_t max, struct cs_error *err);

#endif
