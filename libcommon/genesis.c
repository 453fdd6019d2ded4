#include "genesis.h"

#include "exit.h"
#include "hex.h"
#include "pow.h"
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Bitcoin genesis from its header: hash, work, and the limit it must meet. */
static int
bitcoin_genesis(const char *hex, const struct cs_u256 *pow_limit, struct cs_store_meta *meta, struct cs_entry *e,
    uint8_t header[CS_HEADER_SIZE], struct cs_error *err)
{
	enum cs_pow_result pow;
	bool negative, overflow;

	if (strlen(hex) != 2 * CS_HEADER_SIZE || cs_hex_decode(hex, CS_HEADER_SIZE, header) != 0)
		return cs_error_set(err, CS_EX_DATAERR, "genesis is not an 80-byte header in hex (160 digits)");
	memset(e, 0, sizeof(*e));
	cs_header_hash(header, e->hash);
	memcpy(e->prev, cs_header_prev(header), 32);
	cs_work_from_bits(cs_header_bits(header), &e->work);
	e->chainwork = e->work;
	e->header = header;
	e->header_len = CS_HEADER_SIZE;
	memcpy(meta->genesis, e->hash, 32);
	memcpy(meta->root, e->hash, 32);
	if (pow_limit != NULL)
		meta->pow_limit = *pow_limit;
	else
		cs_compact_decode(cs_header_bits(header), &meta->pow_limit, &negative, &overflow);
	pow = cs_pow_check(e->hash, cs_header_bits(header), &meta->pow_limit);
	if (pow != CS_POW_OK)
		return cs_error_set(err, CS_EX_DATAERR, "genesis: %s", cs_pow_result_message(pow));
	return 0;
}

int
cs_genesis_network(const struct cs_network *net, struct cs_store_meta *meta, struct cs_entry *e,
    uint8_t header[CS_HEADER_SIZE], struct cs_error *err)
{
	struct cs_u256 limit;

	memset(meta, 0, sizeof(*meta));
	snprintf(meta->network, sizeof(meta->network), "%s", net->name);
	snprintf(meta->rules, sizeof(meta->rules), "%s", net->name);
	memcpy(meta->magic, net->magic, 4);
	cs_u256_from_hex(&limit, net->pow_limit_hex);
	return bitcoin_genesis(net->genesis_hex, &limit, meta, e, header, err);
}

int
cs_genesis_custom(const char *header_hex, const char *pow_limit_bits, const char *rules, struct cs_store_meta *meta,
    struct cs_entry *e, uint8_t header[CS_HEADER_SIZE], struct cs_error *err)
{
	struct cs_u256 limit;
	struct cs_rules r;
	bool negative, overflow;

	memset(meta, 0, sizeof(*meta));
	snprintf(meta->network, sizeof(meta->network), "custom");
	if (rules == NULL)
		rules = "none";
	if (cs_rules_find(rules, &r) != 0)
		return cs_error_set(err, CS_EX_USAGE, "unknown rules '%s' (mainnet, testnet3, testnet4, signet, regtest or none)",
		    rules);
	snprintf(meta->rules, sizeof(meta->rules), "%s", r.name);
	if (pow_limit_bits == NULL)
		return bitcoin_genesis(header_hex, NULL, meta, e, header, err);
	{
		char *end;
		unsigned long bits = strtoul(pow_limit_bits, &end, 16);

		if (*pow_limit_bits == '\0' || *end != '\0' || bits > 0xffffffffUL)
			return cs_error_set(err, CS_EX_USAGE, "bad pow limit '%s': not compact bits in hex", pow_limit_bits);
		cs_compact_decode((uint32_t)bits, &limit, &negative, &overflow);
		if (negative || overflow || cs_u256_is_zero(&limit))
			return cs_error_set(err, CS_EX_USAGE, "bad pow limit '%s': not a valid target", pow_limit_bits);
	}
	return bitcoin_genesis(header_hex, &limit, meta, e, header, err);
}

int
cs_genesis_opaque(const struct cs_record *rec, struct cs_store_meta *meta, struct cs_entry *e,
    struct cs_error *err)
{
	if (!rec->has_hash || !rec->has_header)
		return cs_error_set(err, CS_EX_DATAERR, "item 1 at byte 0: genesis entry needs hash and header");
	memset(meta, 0, sizeof(*meta));
	memset(e, 0, sizeof(*e));
	snprintf(meta->network, sizeof(meta->network), "opaque");
	snprintf(meta->rules, sizeof(meta->rules), "none");
	meta->opaque = true;
	memcpy(meta->genesis, rec->hash, 32);
	memcpy(meta->root, rec->hash, 32);
	memcpy(e->hash, rec->hash, 32);
	if (rec->has_prev)
		memcpy(e->prev, rec->prev, 32);
	cs_record_opaque_work(rec, &e->work);
	e->chainwork = e->work;
	e->header = rec->header;
	e->header_len = rec->header_len;
	if (rec->has_body) {
		e->body = rec->body;
		e->body_len = rec->body_len;
		e->flags = CS_ENTRY_HAS_BODY;
	}
	return 0;
}
