#include "rules.h"

#include "network.h"
#include "pow.h"

#include <stdio.h>
#include <string.h>

/* Core's kernel/chainparams.cpp, per network (CONSENSUS.md 1.6). */
struct network_rules {
	const char *name;
	const char *pow_limit_hex;
	int64_t timespan;
	bool allow_min_difficulty, no_retargeting, bip94;
	uint32_t bip34, bip66, bip65;
};

static const struct network_rules builtin[] = {
	{ "mainnet", "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 14 * 24 * 60 * 60, false, false,
	    false, 227931, 363725, 388381 },
	{ "testnet3", "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 14 * 24 * 60 * 60, true, false,
	    false, 21111, 330776, 581885 },
	{ "testnet4", "00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 14 * 24 * 60 * 60, true, false,
	    true, 1, 1, 1 },
	{ "signet", "00000377ae000000000000000000000000000000000000000000000000000000", 14 * 24 * 60 * 60, false, false,
	    false, 1, 1, 1 },
	/* BIP94 is off on regtest since v29 unless -test=bip94. */
	{ "regtest", "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 24 * 60 * 60, true, true, false,
	    1, 1, 1 },
};

int
cs_rules_find(const char *name, struct cs_rules *r)
{
	memset(r, 0, sizeof(*r));
	name = cs_network_canonical_name(name);
	if (strcmp(name, "none") == 0) {
		snprintf(r->name, sizeof(r->name), "none");
		return 0;
	}
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		const struct network_rules *n = &builtin[i];
		struct cs_u256 limit;

		if (strcmp(n->name, name) != 0)
			continue;
		snprintf(r->name, sizeof(r->name), "%s", n->name);
		r->enabled = true;
		r->timespan = n->timespan;
		r->spacing = 10 * 60;
		r->interval = (uint32_t)(r->timespan / r->spacing);
		r->allow_min_difficulty = n->allow_min_difficulty;
		r->no_retargeting = n->no_retargeting;
		r->bip94 = n->bip94;
		r->bip34_height = n->bip34;
		r->bip66_height = n->bip66;
		r->bip65_height = n->bip65;
		cs_u256_from_hex(&limit, n->pow_limit_hex);
		cs_rules_set_limit(r, &limit);
		return 0;
	}
	return -1;
}

void
cs_rules_set_limit(struct cs_rules *r, const struct cs_u256 *pow_limit)
{
	r->pow_limit = *pow_limit;
	r->pow_limit_bits = cs_compact_encode(pow_limit, false);
}

static bool
period_start(const struct cs_rules *r, uint32_t height)
{
	return r->interval == 0 || height % r->interval == 0;
}

void
cs_rules_ctx_root(const struct cs_rules *r, uint32_t height, const uint8_t header[CS_HEADER_SIZE],
    const uint32_t *prior_times, unsigned prior_count, struct cs_rules_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->height = height;
	ctx->time = cs_le32(header + 68);
	ctx->bits = cs_header_bits(header);
	ctx->period_time = ctx->time;
	ctx->period_bits = ctx->bits;
	ctx->walk_bits = ctx->bits;
	ctx->times[0] = ctx->time;
	ctx->time_count = 1;
	for (unsigned i = 0; i < prior_count && ctx->time_count < CS_RULES_MEDIAN_SPAN; i++)
		ctx->times[ctx->time_count++] = prior_times[i];
}

void
cs_rules_ctx_child(const struct cs_rules *r, const struct cs_rules_ctx *parent, const uint8_t header[CS_HEADER_SIZE],
    struct cs_rules_ctx *child)
{
	unsigned keep = parent->time_count < CS_RULES_MEDIAN_SPAN ? parent->time_count : CS_RULES_MEDIAN_SPAN - 1;

	child->height = parent->height + 1;
	child->time = cs_le32(header + 68);
	child->bits = cs_header_bits(header);
	if (period_start(r, child->height)) {
		child->period_time = child->time;
		child->period_bits = child->bits;
	} else {
		child->period_time = parent->period_time;
		child->period_bits = parent->period_bits;
	}
	/* GetNextWorkRequired's walk back stops at a period's first entry
	 * or at one not at the minimum difficulty; cached, it is one step. */
	if (period_start(r, child->height) || child->bits != r->pow_limit_bits)
		child->walk_bits = child->bits;
	else
		child->walk_bits = parent->walk_bits;
	memmove(child->times + 1, parent->times, keep * sizeof(child->times[0]));
	child->times[0] = child->time;
	child->time_count = keep + 1;
}

int64_t
cs_rules_median_time(const uint32_t *times, unsigned n)
{
	uint32_t sorted[CS_RULES_MEDIAN_SPAN];

	if (n > CS_RULES_MEDIAN_SPAN)
		n = CS_RULES_MEDIAN_SPAN;
	memcpy(sorted, times, n * sizeof(*times));
	for (unsigned i = 1; i < n; i++) {
		uint32_t v = sorted[i];
		unsigned j = i;

		for (; j > 0 && sorted[j - 1] > v; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = v;
	}
	return sorted[n / 2];
}

/* target * factor / divisor, with a 320-bit product (no wrap at 2^256);
 * returns -1 when the quotient does not fit in 256 bits. */
static int
scale(struct cs_u256 *target, uint64_t factor, uint64_t divisor)
{
	uint64_t product[5], carry = 0;
	unsigned __int128 rem = 0;

	for (int i = 0; i < 4; i++) {
		unsigned __int128 p = (unsigned __int128)target->limb[i] * factor + carry;

		product[i] = (uint64_t)p;
		carry = (uint64_t)(p >> 64);
	}
	product[4] = carry;
	for (int i = 4; i >= 0; i--) {
		unsigned __int128 cur = rem << 64 | product[i];

		product[i] = (uint64_t)(cur / divisor);
		rem = cur % divisor;
	}
	if (product[4] != 0)
		return -1;
	memcpy(target->limb, product, sizeof(target->limb));
	return 0;
}

uint32_t
cs_rules_calculate_next(const struct cs_rules *r, uint32_t last_time, uint32_t last_bits, int64_t first_time,
    uint32_t first_bits)
{
	int64_t actual = (int64_t)last_time - first_time;
	struct cs_u256 target;
	bool negative, overflow;

	if (r->no_retargeting)
		return last_bits;
	if (actual < r->timespan / 4)
		actual = r->timespan / 4;
	if (actual > r->timespan * 4)
		actual = r->timespan * 4;
	cs_compact_decode(r->bip94 ? first_bits : last_bits, &target, &negative, &overflow);
	if (scale(&target, (uint64_t)actual, (uint64_t)r->timespan) != 0 || cs_u256_cmp(&target, &r->pow_limit) > 0)
		target = r->pow_limit;
	return cs_compact_encode(&target, false);
}

uint32_t
cs_rules_next_bits(const struct cs_rules *r, const struct cs_rules_ctx *prev, uint32_t time)
{
	if (!period_start(r, prev->height + 1)) {
		if (!r->allow_min_difficulty)
			return prev->bits;
		/* testnet: more than twice the spacing after its parent, a
		 * header may (and must) be at the minimum difficulty */
		if ((int64_t)time > (int64_t)prev->time + 2 * r->spacing)
			return r->pow_limit_bits;
		return prev->walk_bits;
	}
	/* The period's first entry is prev's: height N - interval. */
	return cs_rules_calculate_next(r, prev->time, prev->bits, prev->period_time, prev->period_bits);
}

/* The rounded limit a retarget of old_bits by factor / 4 can reach. */
static void
transition_bound(const struct cs_rules *r, uint32_t old_bits, int64_t timespan, struct cs_u256 *bound)
{
	bool negative, overflow;

	cs_compact_decode(old_bits, bound, &negative, &overflow);
	if (scale(bound, (uint64_t)timespan, (uint64_t)r->timespan) != 0 || cs_u256_cmp(bound, &r->pow_limit) > 0)
		*bound = r->pow_limit;
	cs_compact_decode(cs_compact_encode(bound, false), bound, &negative, &overflow);
}

bool
cs_rules_permitted_transition(const struct cs_rules *r, uint32_t height, uint32_t old_bits, uint32_t new_bits)
{
	struct cs_u256 observed, largest, smallest;
	bool negative, overflow;

	if (r->allow_min_difficulty)
		return true;
	if (!period_start(r, height))
		return old_bits == new_bits;
	cs_compact_decode(new_bits, &observed, &negative, &overflow);
	transition_bound(r, old_bits, r->timespan * 4, &largest);
	if (cs_u256_cmp(&largest, &observed) < 0)
		return false;
	transition_bound(r, old_bits, r->timespan / 4, &smallest);
	return cs_u256_cmp(&smallest, &observed) <= 0;
}

enum cs_rules_verdict
cs_rules_check(const struct cs_rules *r, const struct cs_rules_ctx *prev, const uint8_t header[CS_HEADER_SIZE],
    int64_t now, char reason[CS_RULES_REASON_MAX])
{
	struct cs_header h;
	uint32_t height = prev->height + 1;

	reason[0] = '\0';
	if (!r->enabled)
		return CS_RULES_VALID;
	cs_header_decode(header, &h);
	if (h.bits != cs_rules_next_bits(r, prev, h.time)) {
		snprintf(reason, CS_RULES_REASON_MAX, "bad-diffbits");
		return CS_RULES_INVALID;
	}
	if ((int64_t)h.time <= cs_rules_median_time(prev->times, prev->time_count)) {
		snprintf(reason, CS_RULES_REASON_MAX, "time-too-old");
		return CS_RULES_INVALID;
	}
	if (r->bip94 && period_start(r, height) && (int64_t)h.time < (int64_t)prev->time - CS_RULES_MAX_TIMEWARP) {
		snprintf(reason, CS_RULES_REASON_MAX, "time-timewarp-attack");
		return CS_RULES_INVALID;
	}
	if ((int64_t)h.time > now + CS_RULES_MAX_FUTURE) {
		snprintf(reason, CS_RULES_REASON_MAX, "time-too-new");
		return CS_RULES_FUTURE;
	}
	if ((h.version < 2 && height >= r->bip34_height) || (h.version < 3 && height >= r->bip66_height) ||
	    (h.version < 4 && height >= r->bip65_height)) {
		snprintf(reason, CS_RULES_REASON_MAX, "bad-version(0x%08x)", (uint32_t)h.version);
		return CS_RULES_INVALID;
	}
	return CS_RULES_VALID;
}

void
cs_rules_reason_text(const char *reason, char text[CS_RULES_TEXT_MAX])
{
	static const struct {
		const char *reason, *text;
	} texts[] = {
		{ "bad-diffbits", "incorrect proof of work" },
		{ "time-too-old", "block's timestamp is too early" },
		{ "time-timewarp-attack", "block's timestamp is too early on diff adjustment block" },
		{ "time-too-new", "block timestamp too far in the future; not stored, it may be offered again later" },
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (strcmp(reason, texts[i].reason) == 0) {
			snprintf(text, CS_RULES_TEXT_MAX, "%s", texts[i].text);
			return;
		}
	}
	if (strncmp(reason, "bad-version(", 12) == 0)
		snprintf(text, CS_RULES_TEXT_MAX, "rejected nVersion=%.10s block", reason + 12);
	else
		snprintf(text, CS_RULES_TEXT_MAX, "%s", reason);
}
