#include "genesis.h"

#include "exit.h"
#include "hex.h"
#include "pow.h"
#include "rules.h"

#include <openssl/evp.h>

#include <ctype.h>
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

int
cs_checkpoint_from_bitcoinj(const char *line, struct cs_record *rec, uint8_t header[CS_HEADER_SIZE])
{
	unsigned char raw[128];
	size_t n, pad = 0, work_len;
	int len;

	while (isspace((unsigned char)*line))
		line++;
	n = strlen(line);
	while (n > 0 && isspace((unsigned char)line[n - 1]))
		n--;
	/* 96 bytes (12-byte chainwork, V1) or 116 (32-byte, V2): 128 or 156
	 * base64 digits */
	if (n != 128 && n != 156)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (line[i] == '=' && i >= n - 2)
			pad++;
		else if (pad > 0 || (!isalnum((unsigned char)line[i]) && line[i] != '+' && line[i] != '/'))
			return -1;
	}
	len = EVP_DecodeBlock(raw, (const unsigned char *)line, (int)n);
	if (len < 0)
		return -1;
	len -= (int)pad;
	if (len != 96 && len != 116)
		return -1;
	work_len = (size_t)len - 4 - CS_HEADER_SIZE;
	memset(rec, 0, sizeof(*rec));
	if (cs_u256_from_be_var(&rec->chainwork, raw, work_len) != 0)
		return -1;
	rec->has_chainwork = true;
	rec->height = (uint32_t)raw[work_len] << 24 | (uint32_t)raw[work_len + 1] << 16 |
	    (uint32_t)raw[work_len + 2] << 8 | raw[work_len + 3];
	rec->has_height = true;
	memcpy(header, raw + work_len + 4, CS_HEADER_SIZE);
	rec->header = header;
	rec->header_len = CS_HEADER_SIZE;
	rec->has_header = true;
	rec->item = 1;
	return 0;
}

int
cs_genesis_checkpoint(const struct cs_network *net, const struct cs_record *rec, struct cs_store_meta *meta,
    struct cs_entry *e, struct cs_error *err)
{
	uint8_t genesis_header[CS_HEADER_SIZE];
	struct cs_entry genesis;
	struct cs_rules rules;
	enum cs_pow_result pow;
	struct cs_u256 work;
	int rc;

	if ((rc = cs_genesis_network(net, meta, &genesis, genesis_header, err)) != 0)
		return rc;
	if (!rec->has_header || rec->header_len != CS_HEADER_SIZE)
		return cs_error_set(err, CS_EX_DATAERR, "checkpoint: no 80-byte header");
	if (!rec->has_height || !rec->has_chainwork)
		return cs_error_set(err, CS_EX_DATAERR, "checkpoint: its height and chainwork must be given");
	if (cs_rules_find(net->name, &rules) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "no rules for network %s", net->name);
	if (rec->height == 0)
		return cs_error_set(err, CS_EX_DATAERR, "checkpoint: height 0 is the genesis (cs-init --network %s)",
		    net->name);
	if (rec->height > UINT32_MAX - 1 || rec->height % rules.interval != 0)
		return cs_error_set(err, CS_EX_DATAERR,
		    "checkpoint at height %llu is not on a retarget boundary of %s (a multiple of %u): the header "
		    "rules after it need a period's first header",
		    (unsigned long long)rec->height, net->name, rules.interval);
	memset(e, 0, sizeof(*e));
	if (cs_header_hash(rec->header, e->hash) != 0)
		return cs_error_set(err, CS_EX_SOFTWARE, "SHA-256 failed");
	if (rec->has_hash && memcmp(rec->hash, e->hash, 32) != 0)
		return cs_error_set(err, CS_EX_DATAERR, "checkpoint: its hash does not match its header");
	pow = cs_pow_check(e->hash, cs_header_bits(rec->header), &meta->pow_limit);
	if (pow != CS_POW_OK)
		return cs_error_set(err, CS_EX_DATAERR, "checkpoint: %s", cs_pow_result_message(pow));
	cs_work_from_bits(cs_header_bits(rec->header), &work);
	if (cs_u256_cmp(&rec->chainwork, &work) < 0)
		return cs_error_set(err, CS_EX_DATAERR, "checkpoint: chainwork below the header's own work");
	if (rec->time_count > CS_TIMES_MAX)
		return cs_error_set(err, CS_EX_DATAERR, "checkpoint: more than %d times", CS_TIMES_MAX);
	for (unsigned i = 0; i < rec->time_count; i++) {
		if ((int64_t)rec->times[i] > (int64_t)cs_le32(rec->header + 68) + CS_RULES_MAX_FUTURE)
			return cs_error_set(err, CS_EX_DATAERR,
			    "checkpoint: time %u of an entry before it is more than two hours after its own",
			    rec->times[i]);
	}
	memcpy(e->prev, cs_header_prev(rec->header), 32);
	e->height = (uint32_t)rec->height;
	e->work = work;
	e->chainwork = rec->chainwork;
	e->header = rec->header;
	e->header_len = CS_HEADER_SIZE;
	memcpy(meta->root, e->hash, 32);
	meta->base_height = e->height;
	meta->root_time_count = rec->time_count;
	memcpy(meta->root_times, rec->times, rec->time_count * sizeof(rec->times[0]));
	return 0;
}
