/*
 * rules.h - Bitcoin Core's header rules (ContextualCheckBlockHeader and
 * GetNextWorkRequired, cs(7) "Header rules"), per network, as pure
 * functions of a header and what its parent's context says.
 *
 * A context (struct cs_rules_ctx) is what an entry's children need of it
 * and its ancestors: its height, time and bits, the first entry of its
 * retarget period (time and bits), the answer of the testnet walk back
 * from it, and the times of it and its ten ancestors for the median. The
 * store keeps the three per-period values in each entry, so that the
 * rules cost a constant number of reads per header (Teranode measured
 * O(L^2) reads for the walk back without such a cache).
 *
 * Arithmetic is Core's arith_uint256, except one place: the retarget's
 * multiply does not wrap at 2^256. Core's own networks never reach it
 * (pow_tests' sanity_check_chainparams); custom chains with an easy limit
 * under a built-in network's rules (cs-init --rules) do, and are capped
 * at their limit instead of wrapping to a hard target.
 *
 * Nothing allocates, fails or reads the clock: the caller passes "now".
 */
#ifndef CS_RULES_H
#define CS_RULES_H

#include "arith.h"
#include "header.h"

#include <stdbool.h>
#include <stdint.h>

#define CS_RULES_MEDIAN_SPAN 11          /* CBlockIndex::nMedianTimeSpan */
#define CS_RULES_MAX_FUTURE (2 * 60 * 60) /* MAX_FUTURE_BLOCK_TIME */
#define CS_RULES_MAX_TIMEWARP 600        /* MAX_TIMEWARP (BIP94) */
#define CS_RULES_REASON_MAX 32
#define CS_RULES_TEXT_MAX 96

/* One network's consensus parameters (Core's kernel/chainparams.cpp). */
struct cs_rules {
	char name[16];            /* "mainnet", ..., or "none": proof of work only */
	bool enabled;             /* false: no header rules (a custom chain's default) */
	int64_t timespan;         /* nPowTargetTimespan, seconds */
	int64_t spacing;          /* nPowTargetSpacing, seconds */
	uint32_t interval;        /* timespan / spacing */
	bool allow_min_difficulty; /* fPowAllowMinDifficultyBlocks: the 20-minute rule */
	bool no_retargeting;      /* fPowNoRetargeting */
	bool bip94;               /* enforce_BIP94: first-block base bits, timewarp rule */
	uint32_t bip34_height, bip66_height, bip65_height;
	struct cs_u256 pow_limit;
	uint32_t pow_limit_bits;  /* pow_limit as compact bits */
};

/* Fills r with the built-in network name's rules (its own limit), or, for
 * "none", no rules; -1 for an unknown name. name may be one of Core's
 * aliases (cs_network_find); r->name is the network's own. */
int cs_rules_find(const char *name, struct cs_rules *r);
/* The same rules under another proof-of-work limit (a custom chain). */
void cs_rules_set_limit(struct cs_rules *r, const struct cs_u256 *pow_limit);

/* An entry as its children's rules need it. */
struct cs_rules_ctx {
	uint32_t height;
	uint32_t time, bits;
	uint32_t period_time, period_bits; /* the entry at height - height % interval */
	uint32_t walk_bits;   /* the testnet walk back from here: the bits of the
				 last entry that is a period's first or not at
				 the minimum difficulty */
	uint32_t times[CS_RULES_MEDIAN_SPAN]; /* its time, then its ancestors', newest first */
	unsigned time_count;
};

/* The context of a chain's first entry: a genesis, or a checkpoint (its
 * height on a period's first), with up to ten times of the entries before
 * it, newest first (fewer near the genesis). */
void cs_rules_ctx_root(const struct cs_rules *r, uint32_t height, const uint8_t header[CS_HEADER_SIZE],
    const uint32_t *prior_times, unsigned prior_count, struct cs_rules_ctx *ctx);
/* The context of header, a child of parent. */
void cs_rules_ctx_child(const struct cs_rules *r, const struct cs_rules_ctx *parent,
    const uint8_t header[CS_HEADER_SIZE], struct cs_rules_ctx *child);

/* GetMedianTimePast over times (any order), n >= 1: the upper middle. */
int64_t cs_rules_median_time(const uint32_t *times, unsigned n);
/* GetNextWorkRequired: the bits a child of prev timed time must carry. */
uint32_t cs_rules_next_bits(const struct cs_rules *r, const struct cs_rules_ctx *prev, uint32_t time);
/* CalculateNextWorkRequired: the retarget after a period whose last entry
 * has last_time and last_bits and whose first has first_time and
 * first_bits (BIP94 takes its base from the first). */
uint32_t cs_rules_calculate_next(const struct cs_rules *r, uint32_t last_time, uint32_t last_bits,
    int64_t first_time, uint32_t first_bits);
/* PermittedDifficultyTransition (Core's headers pre-sync). */
bool cs_rules_permitted_transition(const struct cs_rules *r, uint32_t height, uint32_t old_bits,
    uint32_t new_bits);

enum cs_rules_verdict {
	CS_RULES_VALID = 0,
	CS_RULES_INVALID, /* never valid on this chain */
	CS_RULES_FUTURE,  /* time-too-new: may be valid later; not to be remembered */
};

/* ContextualCheckBlockHeader for header, a child of prev, at the clock's
 * now (seconds since the epoch). Sets reason to Core's reject string
 * ("bad-diffbits", "time-too-old", "time-timewarp-attack",
 * "time-too-new", "bad-version(0x00000001)") unless valid. The header's own
 * proof of work ("high-hash") is checked apart (pow.h). */
enum cs_rules_verdict cs_rules_check(const struct cs_rules *r, const struct cs_rules_ctx *prev,
    const uint8_t header[CS_HEADER_SIZE], int64_t now, char reason[CS_RULES_REASON_MAX]);

/* Core's explanation of a reject reason (its state.Invalid debug text),
 * e.g. "incorrect proof of work" for "bad-diffbits"; for time-too-new it
 * adds that the header may be offered again later. */
void cs_rules_reason_text(const char *reason, char text[CS_RULES_TEXT_MAX]);

#endif
