#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *
cs_grow(void *buf, size_t *cap, size_t need, size_t first, size_t size)
{
	size_t n = *cap > 0 ? *cap : (first > 0 ? first : 1);
	void *grown;

	if (need <= *cap)
		return buf;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return NULL;
		n *= 2;
	}
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	if ((grown = realloc(buf, n * size)) == NULL)
		return NULL;
	*cap = n;
	return grown;
}
