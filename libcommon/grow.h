/*
 * grow.h - the one doubling array growth every growing buffer uses.
 *
 * Contract: cs_grow() returns buf itself when it already holds need
 * elements; otherwise a buffer from realloc(3) of at least need elements of
 * size bytes (capacity doubled from *cap, or from first when *cap is 0),
 * with *cap updated. On failure (out of memory, or need * size beyond
 * SIZE_MAX) it returns NULL and leaves buf and *cap as they were: the caller
 * still owns buf and reports "out of memory" (CS_EX_SOFTWARE). Typical use:
 *
 *	struct item *grown = cs_grow(v, &cap, n + 1, 16, sizeof(*v));
 *	if (grown == NULL)
 *		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
 *	v = grown;
 */
#ifndef CS_GROW_H
#define CS_GROW_H

#include <stddef.h>

void *cs_grow(void *buf, size_t *cap, size_t need, size_t first, size_t size);

#endif
