/*
 * network.h - the built-in networks: genesis header, proof-of-work limit and
 * blk*.dat magic, as in Bitcoin Core's chainparams. Read-only tables.
 */
#ifndef CS_NETWORK_H
#define CS_NETWORK_H

#include "arith.h"
#include "header.h"

#include <stdint.h>

struct cs_network {
	const char *name;
	const char *genesis_hex;   /* the 80-byte genesis header */
	const char *pow_limit_hex; /* consensus.powLimit, 64 hex digits */
	uint8_t magic[4];          /* pchMessageStart, blk*.dat framing */
};

/* NULL when name is not a built-in network. Bitcoin Core's names are
 * taken too: "main" for mainnet, "test" and "testnet" for testnet3. */
const struct cs_network *cs_network_find(const char *name);
/* The built-in network's own name for name, an alias or not. */
const char *cs_network_canonical_name(const char *name);
/* The built-in networks, NULL-terminated (for usage and completion). */
const struct cs_network *const *cs_network_all(void);

#endif
