/*
 * header.h - the 80-byte Bitcoin block header: its fields (little-endian on
 * the wire), its hash, and its validation against a network's limit.
 * Nothing allocates.
 */
#ifndef CS_HEADER_H
#define CS_HEADER_H

#include "arith.h"

#include <stdint.h>

#define CS_HEADER_SIZE 80

struct cs_header {
	int32_t version;
	uint8_t prev[32];   /* internal byte order */
	uint8_t merkle[32]; /* internal byte order */
	uint32_t time;
	uint32_t bits;
	uint32_t nonce;
};

void cs_header_decode(const uint8_t raw[CS_HEADER_SIZE], struct cs_header *h);
void cs_header_encode(const struct cs_header *h, uint8_t raw[CS_HEADER_SIZE]);
/* The block hash: SHA-256d of the 80 bytes, internal order. */
int cs_header_hash(const uint8_t raw[CS_HEADER_SIZE], uint8_t hash[32]);

/* Reads a little-endian field without decoding the whole header. */
uint32_t cs_header_bits(const uint8_t raw[CS_HEADER_SIZE]);
const uint8_t *cs_header_prev(const uint8_t raw[CS_HEADER_SIZE]);

uint32_t cs_le32(const uint8_t *p);
void cs_put_le32(uint8_t *p, uint32_t v);

#endif
