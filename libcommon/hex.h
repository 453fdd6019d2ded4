/*
 * hex.h - hex text for bytes and for hashes.
 *
 * Hashes travel in two orders: internal (as inside headers and in CBOR) and
 * display (reversed, as block explorers and bitcoin-cli print them). The
 * "display" functions convert between a 32-byte internal hash and its
 * 64-digit display hex. Nothing here allocates.
 */
#ifndef CS_HEX_H
#define CS_HEX_H

#include <stddef.h>
#include <stdint.h>

#define CS_HASH_SIZE 32
#define CS_HASH_HEX (2 * CS_HASH_SIZE + 1)

/* Writes 2*len lowercase digits and a NUL into out. */
void cs_hex_encode(const uint8_t *in, size_t len, char *out);

/* Decodes exactly len bytes from 2*len hex digits (either case) at text;
 * returns 0, or -1 when a digit is not hex. */
int cs_hex_decode(const char *text, size_t len, uint8_t *out);

/* Internal-order hash -> display hex (64 digits + NUL). */
void cs_hash_to_display(const uint8_t hash[CS_HASH_SIZE], char out[CS_HASH_HEX]);

/* Display hex (exactly 64 digits, NUL-terminated) -> internal order;
 * returns 0, or -1 when the text is not 64 hex digits. */
int cs_hash_from_display(const char *text, uint8_t hash[CS_HASH_SIZE]);

#endif
