#include "header.h"

#include "sha256.h"

#include <string.h>

uint32_t
cs_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void
cs_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void
cs_header_decode(const uint8_t raw[CS_HEADER_SIZE], struct cs_header *h)
{
	h->version = (int32_t)cs_le32(raw);
	memcpy(h->prev, raw + 4, 32);
	memcpy(h->merkle, raw + 36, 32);
	h->time = cs_le32(raw + 68);
	h->bits = cs_le32(raw + 72);
	h->nonce = cs_le32(raw + 76);
}

void
cs_header_encode(const struct cs_header *h, uint8_t raw[CS_HEADER_SIZE])
{
	cs_put_le32(raw, (uint32_t)h->version);
	memcpy(raw + 4, h->prev, 32);
	memcpy(raw + 36, h->merkle, 32);
	cs_put_le32(raw + 68, h->time);
	cs_put_le32(raw + 72, h->bits);
	cs_put_le32(raw + 76, h->nonce);
}

int
cs_header_hash(const uint8_t raw[CS_HEADER_SIZE], uint8_t hash[32])
{
	return cs_sha256d(raw, CS_HEADER_SIZE, hash);
}

uint32_t
cs_header_bits(const uint8_t raw[CS_HEADER_SIZE])
{
	return cs_le32(raw + 72);
}

const uint8_t *
cs_header_prev(const uint8_t raw[CS_HEADER_SIZE])
{
	return raw + 4;
}
