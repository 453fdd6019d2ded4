#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
cs_error_set(struct cs_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

int
cs_error_prefix(struct cs_error *err, const char *fmt, ...)
{
	char prefix[CS_ERROR_MAX], joined[2 * CS_ERROR_MAX];
	va_list ap;

	if (err == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(joined, sizeof(joined), "%s%s", prefix, err->message);
	memcpy(err->message, joined, sizeof(err->message) - 1);
	err->message[sizeof(err->message) - 1] = '\0';
	return err->code;
}

void
cs_error_clear(struct cs_error *err)
{
	err->code = 0;
	err->message[0] = '\0';
}
