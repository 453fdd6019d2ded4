#include "format.h"

#include <string.h>
#include <unistd.h>

static const char *const names[] = { "cbor", "json", "text", "hex", "raw", "blk", "prometheus" };

int
cs_format_parse(const char *name, unsigned allowed, enum cs_format *format)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0 && (allowed & (1u << i))) {
			*format = (enum cs_format)i;
			return 0;
		}
	}
	return -1;
}

const char *
cs_format_name(enum cs_format format)
{
	return names[format];
}

enum cs_format
cs_format_default_output(void)
{
	return isatty(STDOUT_FILENO) ? CS_FORMAT_TEXT : CS_FORMAT_CBOR;
}

int
cs_status_parse(const char *s, size_t len, bool *main)
{
	static const char *const words[] = { "main", "active", "fork", "valid-fork", "valid-headers", "headers-only",
		"invalid" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i]) == len && memcmp(s, words[i], len) == 0) {
			*main = i < 2;
			return 0;
		}
	}
	return -1;
}
