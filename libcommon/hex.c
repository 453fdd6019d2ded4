#include "hex.h"

#include <string.h>

static const char digits[] = "0123456789abcdef";

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
cs_hex_encode(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

int
cs_hex_decode(const char *text, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++) {
		int hi = nibble(text[2 * i]), lo;

		if (hi < 0)
			return -1;
		lo = nibble(text[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void
cs_hash_to_display(const uint8_t hash[CS_HASH_SIZE], char out[CS_HASH_HEX])
{
	for (size_t i = 0; i < CS_HASH_SIZE; i++) {
		uint8_t b = hash[CS_HASH_SIZE - 1 - i];

		out[2 * i] = digits[b >> 4];
		out[2 * i + 1] = digits[b & 15];
	}
	out[2 * CS_HASH_SIZE] = '\0';
}

int
cs_hash_from_display(const char *text, uint8_t hash[CS_HASH_SIZE])
{
	uint8_t tmp[CS_HASH_SIZE];

	if (strlen(text) != 2 * CS_HASH_SIZE || cs_hex_decode(text, CS_HASH_SIZE, tmp) != 0)
		return -1;
	for (size_t i = 0; i < CS_HASH_SIZE; i++)
		hash[i] = tmp[CS_HASH_SIZE - 1 - i];
	return 0;
}
