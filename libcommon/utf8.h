/*
 * utf8.h - text that records carry (JSON strings, CBOR text strings,
 * Prometheus label values) must be UTF-8, and a store path need not be:
 * on Linux it is any bytes. One helper makes such bytes into valid UTF-8
 * for records; messages on stderr keep the bytes as they are.
 *
 * No allocation: the caller gives the room. Nothing blocks.
 */
#ifndef CS_UTF8_H
#define CS_UTF8_H

#include <stddef.h>

/* Copies text into out (size bytes, NUL-terminated when size > 0), each
 * byte that is not part of a well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) replaced by
 * U+FFFD, the replacement character. Returns the length of the whole
 * result, as snprintf does: at most 3 * strlen(text). */
size_t cs_utf8_sanitize(const char *text, char *out, size_t size);

#endif
