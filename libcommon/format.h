/*
 * format.h - the record formats of cs(7) "Formats", by name.
 */
#ifndef CS_FORMAT_H
#define CS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

enum cs_format {
	CS_FORMAT_CBOR,
	CS_FORMAT_JSON,
	CS_FORMAT_TEXT,
	CS_FORMAT_HEX,
	CS_FORMAT_RAW,
	CS_FORMAT_BLK,
	CS_FORMAT_PROMETHEUS,
};

/* Formats a command accepts, as bits (1 << format). */
#define CS_FORMATS_OUTPUT                                                                                    \
	(1u << CS_FORMAT_CBOR | 1u << CS_FORMAT_JSON | 1u << CS_FORMAT_TEXT | 1u << CS_FORMAT_HEX |           \
	    1u << CS_FORMAT_RAW)
/* Every format some command prints: what CS_FORMAT may name. */
#define CS_FORMATS_PRINTED (CS_FORMATS_OUTPUT | 1u << CS_FORMAT_PROMETHEUS)
#define CS_FORMATS_INPUT                                                                                     \
	(1u << CS_FORMAT_CBOR | 1u << CS_FORMAT_JSON | 1u << CS_FORMAT_HEX | 1u << CS_FORMAT_RAW |            \
	    1u << CS_FORMAT_BLK)

/* Returns 0 and sets *format when name is one of allowed, else -1. */
int cs_format_parse(const char *name, unsigned allowed, enum cs_format *format);
const char *cs_format_name(enum cs_format format);
/* A printed entry's status, read back (len bytes of s): "main" or "fork"
 * as cs-get prints them, or a chain tip's as cs-tip --all prints them,
 * Bitcoin Core's getchaintips words: "active" is main, "valid-fork",
 * "valid-headers", "headers-only" and "invalid" are not. Returns 0 and
 * sets *main, or -1 for any other word. */
int cs_status_parse(const char *s, size_t len, bool *main);
/* The default output format: text on a terminal, CBOR otherwise. */
enum cs_format cs_format_default_output(void);

#endif
