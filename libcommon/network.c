#include "network.h"

#include <stddef.h>
#include <string.h>

/* Genesis headers: CreateGenesisBlock() in Bitcoin Core's kernel/chainparams.cpp
 * (time, nonce, bits per network; testnet4 has its own coinbase and so its
 * own merkle root). Each hashes to the genesis hash Core asserts. */
static const struct cs_network mainnet = {
	"mainnet",
	"0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e"
	"67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c",
	"00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	{ 0xf9, 0xbe, 0xb4, 0xd9 },
};

static const struct cs_network testnet3 = {
	"testnet3",
	"0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e"
	"67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff001d1aa4ae18",
	"00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	{ 0x0b, 0x11, 0x09, 0x07 },
};

static const struct cs_network testnet4 = {
	"testnet4",
	"0100000000000000000000000000000000000000000000000000000000000000000000004e7b2b9128fe0291db0693af"
	"2ae418b767e657cd407e80cb1434221eaea7a07a046f3566ffff001dbb0c7817",
	"00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	{ 0x1c, 0x16, 0x3f, 0x28 },
};

static const struct cs_network signet = {
	"signet",
	"0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e"
	"67768f617fc81bc3888a51323a9fb8aa4b1e5e4a008f4d5fae77031e8ad22203",
	"00000377ae000000000000000000000000000000000000000000000000000000",
	{ 0x0a, 0x03, 0xcf, 0x40 },
};

static const struct cs_network regtest = {
	"regtest",
	"0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e"
	"67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000",
	"7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	{ 0xfa, 0xbf, 0xb5, 0xda },
};

static const struct cs_network *const networks[] = {
	&mainnet, &testnet3, &testnet4, &signet, &regtest, NULL,
};

/* Core's chain names (-chain=main, -chain=test) and its -testnet flag:
 * what an operator used to bitcoind types. */
static const char *const aliases[][2] = {
	{ "main", "mainnet" },
	{ "test", "testnet3" },
	{ "testnet", "testnet3" },
};

const char *
cs_network_canonical_name(const char *name)
{
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(aliases[i][0], name) == 0)
			return aliases[i][1];
	}
	return name;
}

const struct cs_network *
cs_network_find(const char *name)
{
	name = cs_network_canonical_name(name);
	for (size_t i = 0; networks[i] != NULL; i++) {
		if (strcmp(networks[i]->name, name) == 0)
			return networks[i];
	}
	return NULL;
}

const struct cs_network *const *
cs_network_all(void)
{
	return networks;
}
