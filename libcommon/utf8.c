#include "utf8.h"

#include <string.h>


/* The length of the well-formed UTF-8 sequence at p, or 0 (RFC 3629's
 * table of well-formed byte sequences). */
static size_t
sequence_length(const unsigned char *p)
{
	unsigned char c = p[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* Appends a whole sequence while it fits with the NUL after it; after
 * one that did not, nothing more (no character is cut, none skipped). */
static void
put(char *out, size_t size, size_t *written, size_t len, const void *bytes, size_t n)
{
	if (*written != len || len + n >= size)
		return;
	memcpy(out + len, bytes, n);
	*written = len + n;
}

size_t
cs_utf8_sanitize(const char *text, char *out, size_t size)
{
	static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
	const unsigned char *p = (const unsigned char *)text;
	size_t len = 0, written = 0;

	/* A NUL ends the text, so the checks above never read past it: each
	 * continuation test fails on a NUL first. */
	while (*p != '\0') {
		size_t n = sequence_length(p);

		if (n == 0) {
			put(out, size, &written, len, replacement, 3);
			len += 3;
			p++;
		} else {
			put(out, size, &written, len, p, n);
			len += n;
			p += n;
		}
	}
	if (size > 0)
		out[written] = '\0';
	return len;
}
