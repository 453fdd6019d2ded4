/*
 * cs-genchain - writes a synthetic regtest header chain, with side branches,
 * for reorg, out-of-order and scale tests; or, with --rules NET, a custom
 * chain under a built-in network's header rules and an easy limit, whose
 * retargets, minimum-difficulty headers and walk backs a schedule of
 * spacings makes (tests/rules.bats, make bench).
 *
 * Every header is really mined against its bits (regtest targets need about
 * two tries), so a store accepts them. The output depends only on the
 * options: the merkle root of a header is sha256d(seed, height, branch).
 * With --rules the bits are those libcommon/rules.c requires, so the
 * chain checks the store's rules only where the tests compare it with
 * values computed apart (tests/tools/mine-header.py --retarget).
 */
#include "exit.h"
#include "header.h"
#include "hex.h"
#include "network.h"
#include "pow.h"
#include "rules.h"
#include "sha256.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_PROG "cs-genchain"
#include "gen.h"

#define GENCHAIN_VERSION 0x20000000
#define GENCHAIN_SPACING 600
#define GENCHAIN_BITS 0x207fffffu
#define GENCHAIN_MAX_FORKS 16
#define GENCHAIN_MAX_SCHEDULE 64
#define GENCHAIN_START 1231006505u /* mainnet's genesis time: a million headers 500 s apart end before 2026 */
/* --shuffle holds every header in memory: cap it at 800 MB. */
#define GENCHAIN_SHUFFLE_MAX 10000000u
/* A --fork-bits target must be at least 2^236: about a million tries a
 * header at most, so a mistyped mainnet difficulty fails instead of
 * running for days. */
#define GENCHAIN_MIN_TARGET_BITS 236

enum format { FORMAT_RAW, FORMAT_HEX };

struct fork {
	uint32_t at;  /* height of the main-chain parent; 0 = genesis */
	uint32_t len; /* 0 until --fork-len is given */
	uint32_t bits;
	bool has_bits;
	uint8_t parent[32];
	struct cs_rules_ctx ctx; /* --rules: the fork point's */
};

/* From height on, headers come seconds after their parent (--spacing-from),
 * or the one header at height does (--gap). */
struct step {
	uint32_t height;
	uint32_t seconds;
	bool once;
};

struct output {
	enum format format;
	uint8_t *all; /* --shuffle: every header, written at the end */
	size_t count;
};

struct options {
	uint32_t count;
	struct fork forks[GENCHAIN_MAX_FORKS];
	size_t fork_count;
	uint64_t seed;
	bool shuffle;
	enum format format;
	uint32_t spacing;
	struct step steps[GENCHAIN_MAX_SCHEDULE];
	size_t step_count;
	uint32_t run_every, run_len; /* --min-runs */
	bool has_rules, print_genesis;
	struct cs_rules rules;
	uint32_t start;
};

static void
usage(FILE *stream)
{
	fputs("usage: cs-genchain [-h] [-n count] [--fork-at height --fork-len len [--fork-bits bits]]...\n"
	      "                   [--seed n] [--shuffle] [--spacing s] [-f raw|hex]\n"
	      "       cs-genchain --rules net [--pow-limit bits] [--start time] [--print-genesis]\n"
	      "                   [-n count] [--fork-at height --fork-len len]... [--seed n] [--shuffle]\n"
	      "                   [--spacing s] [--spacing-from height:s]... [--gap height:s]...\n"
	      "                   [--min-runs every:len] [-f raw|hex]\n",
	    stream);
}


/* Compact bits: 1 to 8 hex digits, with or without 0x. */
static int
parse_bits(const char *text, uint32_t *out)
{
	uint32_t v = 0;
	size_t n;

	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		text += 2;
	n = strlen(text);
	if (n == 0 || n > 8)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char pair[2] = { '0', text[i] };
		uint8_t digit;

		if (cs_hex_decode(pair, 1, &digit) != 0)
			return -1;
		v = v << 4 | digit;
	}
	*out = v;
	return 0;
}

/* A fork's bits must decode to a target within the limit, and one that is
 * not too hard to mine here. */
static bool
bits_usable(uint32_t bits, const struct cs_u256 *pow_limit)
{
	struct cs_u256 target, hardest_allowed;
	bool negative, overflow;

	cs_compact_decode(bits, &target, &negative, &overflow);
	if (negative || overflow || cs_u256_is_zero(&target) || cs_u256_cmp(&target, pow_limit) > 0)
		return false;
	cs_u256_set_u64(&hardest_allowed, 1);
	cs_u256_shift_left(&hardest_allowed, GENCHAIN_MIN_TARGET_BITS);
	return cs_u256_cmp(&target, &hardest_allowed) >= 0;
}

static int
write_header(const uint8_t raw[CS_HEADER_SIZE], enum format format)
{
	char line[2 * CS_HEADER_SIZE + 2];

	if (format == FORMAT_RAW)
		return fwrite(raw, CS_HEADER_SIZE, 1, stdout) == 1 ? 0 : -1;
	cs_hex_encode(raw, CS_HEADER_SIZE, line);
	line[2 * CS_HEADER_SIZE] = '\n';
	return fwrite(line, 2 * CS_HEADER_SIZE + 1, 1, stdout) == 1 ? 0 : -1;
}

/* Writes the header now, or keeps it for --shuffle. */
static int
emit(struct output *out, const uint8_t raw[CS_HEADER_SIZE])
{
	if (out->all != NULL) {
		memcpy(out->all + out->count * CS_HEADER_SIZE, raw, CS_HEADER_SIZE);
		out->count++;
		return 0;
	}
	out->count++;
	return write_header(raw, out->format);
}

/* Sets the merkle root from (seed, height, branch), then increments the
 * nonce until the header meets its bits. raw and hash receive the header
 * and its hash. */
static int
mine(struct cs_header *h, uint64_t seed, uint32_t height, uint32_t branch, const struct cs_u256 *pow_limit,
    uint8_t raw[CS_HEADER_SIZE], uint8_t hash[32])
{
	uint8_t tag[16];

	for (int i = 0; i < 8; i++)
		tag[i] = (uint8_t)(seed >> (8 * i));
	cs_put_le32(tag + 8, height);
	cs_put_le32(tag + 12, branch);
	if (cs_sha256d(tag, sizeof(tag), h->merkle) != 0)
		return -1;
	h->nonce = 0;
	cs_header_encode(h, raw);
	for (;;) {
		if (cs_header_hash(raw, hash) != 0)
			return -1;
		if (cs_pow_check(hash, h->bits, pow_limit) == CS_POW_OK)
			return 0;
		if (h->nonce == UINT32_MAX)
			return -1;
		h->nonce++;
		cs_put_le32(raw + 76, h->nonce);
	}
}

/* --rules: seconds between header height and its parent, by the schedule. */
static uint32_t
spacing_at(const struct options *opt, uint32_t height)
{
	uint32_t seconds = opt->spacing;

	for (size_t i = 0; i < opt->step_count; i++) {
		const struct step *st = &opt->steps[i];

		if (!st->once && st->height <= height)
			seconds = st->seconds;
	}
	for (size_t i = 0; i < opt->step_count; i++) {
		if (opt->steps[i].once && opt->steps[i].height == height)
			return opt->steps[i].seconds;
	}
	/* minimum-difficulty runs: more than twice the spacing late */
	if (opt->run_every > 0 && height % opt->run_every < opt->run_len && height % opt->rules.interval != 0)
		return 2 * (uint32_t)opt->rules.spacing + 1;
	return seconds;
}

/* The header at height of branch, after the parent whose context is ctx:
 * with --rules, timed by the schedule and with the bits the rules require
 * (ctx becomes its own); else timed genesis's time + spacing * height,
 * with the bits h has. Mined into raw and hash. 0, or an exit code with
 * a message. */
static int
next_header(const struct options *opt, const struct cs_header *genesis, struct cs_header *h,
    struct cs_rules_ctx *ctx, uint32_t height, uint32_t branch, const struct cs_u256 *pow_limit,
    uint8_t raw[CS_HEADER_SIZE], uint8_t hash[32])
{
	uint64_t time = (uint64_t)ctx->time + spacing_at(opt, height);
	struct cs_rules_ctx child;
	char reason[CS_RULES_REASON_MAX], text[CS_RULES_TEXT_MAX];

	if (!opt->has_rules) {
		h->time = genesis->time + opt->spacing * height;
		return mine(h, opt->seed, height, branch, pow_limit, raw, hash) != 0 ? CS_EX_SOFTWARE : 0;
	}
	if (time > UINT32_MAX) {
		fprintf(stderr, "cs-genchain: height %" PRIu32 ": the time passes 2^32\n", height);
		return CS_EX_USAGE;
	}
	h->time = (uint32_t)time;
	h->bits = cs_rules_next_bits(&opt->rules, ctx, h->time);
	if (!bits_usable(h->bits, &opt->rules.pow_limit)) {
		fprintf(stderr, "cs-genchain: height %" PRIu32 ": the schedule made bits %08" PRIx32
				" too hard to mine here\n", height, h->bits);
		return CS_EX_USAGE;
	}
	if (mine(h, opt->seed, height, branch, pow_limit, raw, hash) != 0)
		return CS_EX_SOFTWARE;
	/* The schedule's times only go forward, so this never fires today;
	 * a schedule that broke the median time past (time-too-old) or
	 * BIP94's timewarp rule would say so here instead of writing a chain
	 * no store takes. The clock is not the rules' concern here: now is
	 * the last second a header can say. */
	if (cs_rules_check(&opt->rules, ctx, raw, (int64_t)UINT32_MAX, reason) != CS_RULES_VALID) {
		cs_rules_reason_text(reason, text);
		fprintf(stderr, "cs-genchain: height %" PRIu32 ": the schedule breaks %s's rules: %s (%s)\n",
		    height, opt->rules.name, reason, text);
		return CS_EX_USAGE;
	}
	cs_rules_ctx_child(&opt->rules, ctx, raw, &child);
	*ctx = child;
	return 0;
}

/* --rules: the chain's genesis: version 1, time --start, at the limit. */
static int
rules_genesis(const struct options *opt, struct cs_header *g, uint8_t raw[CS_HEADER_SIZE], uint8_t hash[32])
{
	memset(g, 0, sizeof(*g));
	g->version = 1;
	g->time = opt->start;
	g->bits = opt->rules.pow_limit_bits;
	return mine(g, opt->seed, 0, UINT32_MAX, &opt->rules.pow_limit, raw, hash);
}

/* HEIGHT:SECONDS */
static int
parse_step(const char *text, struct options *opt, bool once)
{
	char height[16];
	const char *colon = strchr(text, ':');
	uint64_t h, sec;

	if (opt->step_count == GENCHAIN_MAX_SCHEDULE || colon == NULL || (size_t)(colon - text) >= sizeof(height))
		return -1;
	memcpy(height, text, (size_t)(colon - text));
	height[colon - text] = '\0';
	if (parse_uint(height, 0, UINT32_MAX, &h) != 0 || parse_uint(colon + 1, 1, 1u << 30, &sec) != 0)
		return -1;
	opt->steps[opt->step_count].height = (uint32_t)h;
	opt->steps[opt->step_count].seconds = (uint32_t)sec;
	opt->steps[opt->step_count].once = once;
	opt->step_count++;
	return 0;
}

/* Fisher-Yates over 80-byte records, without modulo bias. */
static void
shuffle(uint8_t *all, size_t count, uint64_t seed)
{
	uint64_t state = seed ^ 0x6373206765e6c0deu;
	uint8_t tmp[CS_HEADER_SIZE];

	for (size_t i = count; i > 1; i--) {
		uint64_t bound = i, limit = UINT64_MAX - UINT64_MAX % bound, r;
		size_t j;

		do
			r = next_random(&state);
		while (r >= limit);
		j = (size_t)(r % bound);
		if (j != i - 1) {
			memcpy(tmp, all + j * CS_HEADER_SIZE, CS_HEADER_SIZE);
			memcpy(all + j * CS_HEADER_SIZE, all + (i - 1) * CS_HEADER_SIZE, CS_HEADER_SIZE);
			memcpy(all + (i - 1) * CS_HEADER_SIZE, tmp, CS_HEADER_SIZE);
		}
	}
}

/* The main chain, then each fork (with --shuffle, kept for later).
 * Returns 0, -1 on a write error, or an exit code. */
static int
generate(struct options *opt, const uint8_t genesis_raw[CS_HEADER_SIZE], const uint8_t genesis_hash[32],
    const struct cs_u256 *pow_limit, struct output *out)
{
	struct cs_header genesis, h;
	struct cs_rules_ctx ctx;
	uint8_t raw[CS_HEADER_SIZE], hash[32];
	int rc;

	cs_header_decode(genesis_raw, &genesis);
	cs_rules_ctx_root(&opt->rules, 0, genesis_raw, NULL, 0, &ctx);
	for (size_t f = 0; f < opt->fork_count; f++) {
		if (opt->forks[f].at == 0) {
			memcpy(opt->forks[f].parent, genesis_hash, 32);
			opt->forks[f].ctx = ctx;
		}
	}
	memset(&h, 0, sizeof(h));
	h.version = GENCHAIN_VERSION;
	h.bits = GENCHAIN_BITS;
	memcpy(h.prev, genesis_hash, 32);
	for (uint32_t height = 1; height <= opt->count; height++) {
		if ((rc = next_header(opt, &genesis, &h, &ctx, height, 0, pow_limit, raw, hash)) != 0)
			return rc;
		if (emit(out, raw) != 0)
			return -1;
		memcpy(h.prev, hash, 32);
		for (size_t f = 0; f < opt->fork_count; f++) {
			if (opt->forks[f].at == height) {
				memcpy(opt->forks[f].parent, hash, 32);
				opt->forks[f].ctx = ctx;
			}
		}
	}
	for (size_t f = 0; f < opt->fork_count; f++) {
		struct fork *fork = &opt->forks[f];

		ctx = fork->ctx;
		h.bits = fork->has_bits ? fork->bits : GENCHAIN_BITS;
		memcpy(h.prev, fork->parent, 32);
		for (uint32_t height = fork->at + 1; height <= fork->at + fork->len; height++) {
			if ((rc = next_header(opt, &genesis, &h, &ctx, height, (uint32_t)f + 1, pow_limit, raw, hash)) != 0)
				return rc;
			if (emit(out, raw) != 0)
				return -1;
			memcpy(h.prev, hash, 32);
		}
	}
	return 0;
}

/* --shuffle: everything kept, written in shuffled order. */
static int
flush_shuffled(struct options *opt, struct output *out)
{
	if (out->all != NULL) {
		shuffle(out->all, out->count, opt->seed);
		for (size_t i = 0; i < out->count; i++) {
			if (write_header(out->all + i * CS_HEADER_SIZE, out->format) != 0)
				return -1;
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static char stdout_buffer[1 << 20];
	static const struct option long_options[] = {
		{ "fork-at", required_argument, NULL, 'A' },
		{ "fork-bits", required_argument, NULL, 'B' },
		{ "fork-len", required_argument, NULL, 'L' },
		{ "gap", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "min-runs", required_argument, NULL, 'M' },
		{ "pow-limit", required_argument, NULL, 'P' },
		{ "print-genesis", no_argument, NULL, 'Q' },
		{ "rules", required_argument, NULL, 'R' },
		{ "seed", required_argument, NULL, 'S' },
		{ "shuffle", no_argument, NULL, 'X' },
		{ "spacing", required_argument, NULL, 'I' },
		{ "spacing-from", required_argument, NULL, 'F' },
		{ "start", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cs_network *regtest = cs_network_find("regtest");
	struct options opt = { .count = 1000, .format = FORMAT_RAW, .spacing = GENCHAIN_SPACING, .start = GENCHAIN_START };
	const char *rules_name = NULL, *limit_text = "207fffff";
	uint32_t limit_bits;
	struct output out = { .format = FORMAT_RAW };
	struct cs_header genesis;
	struct cs_u256 pow_limit;
	uint8_t genesis_raw[CS_HEADER_SIZE], genesis_hash[32];
	uint64_t value, total;
	uint32_t max_height;
	struct fork *fork = NULL;
	static char program_name[] = "cs-genchain";
	int c, rc;

	argv[0] = program_name; /* getopt's own messages name the command, not its path */
	if (regtest == NULL || cs_hex_decode(regtest->genesis_hex, CS_HEADER_SIZE, genesis_raw) != 0 ||
	    cs_u256_from_hex(&pow_limit, regtest->pow_limit_hex) != 0 ||
	    cs_header_hash(genesis_raw, genesis_hash) != 0) {
		fputs("cs-genchain: cannot set up the regtest genesis\n", stderr);
		return CS_EX_SOFTWARE;
	}
	cs_header_decode(genesis_raw, &genesis);
	/* The highest height whose time still fits in 32 bits. */
	max_height = (UINT32_MAX - genesis.time) / GENCHAIN_SPACING;

	while ((c = getopt_long(argc, argv, "f:hn:", long_options, NULL)) != -1) {
		switch (c) {
		case 'A':
			if (opt.fork_count == GENCHAIN_MAX_FORKS)
				return usage_error("too many forks (at most %d)", GENCHAIN_MAX_FORKS);
			if (parse_uint(optarg, 0, max_height, &value) != 0)
				return usage_error("--fork-at: '%s': not a height from 0 to %" PRIu32, optarg,
				    max_height);
			fork = &opt.forks[opt.fork_count++];
			memset(fork, 0, sizeof(*fork));
			fork->at = (uint32_t)value;
			break;
		case 'B':
			if (fork == NULL || fork->has_bits)
				return usage_error("--fork-bits must follow its own --fork-at");
			if (parse_bits(optarg, &fork->bits) != 0 || !bits_usable(fork->bits, &pow_limit))
				return usage_error("--fork-bits: '%s': not hex compact bits for a target "
						   "from 2^236 (1e100000) to the regtest limit (207fffff)",
				    optarg);
			fork->has_bits = true;
			break;
		case 'L':
			if (fork == NULL || fork->len != 0)
				return usage_error("--fork-len must follow its own --fork-at");
			if (parse_uint(optarg, 1, max_height, &value) != 0)
				return usage_error("--fork-len: '%s': not a length from 1 to %" PRIu32, optarg,
				    max_height);
			fork->len = (uint32_t)value;
			break;
		case 'S':
			if (parse_uint(optarg, 0, UINT64_MAX, &opt.seed) != 0)
				return usage_error("--seed: '%s': not a number from 0 to %" PRIu64, optarg,
				    (uint64_t)UINT64_MAX);
			break;
		case 'X':
			opt.shuffle = true;
			break;
		case 'F':
		case 'G':
			if (parse_step(optarg, &opt, c == 'G') != 0)
				return usage_error("--%s: '%s': not HEIGHT:SECONDS (at most %d of them)",
				    c == 'G' ? "gap" : "spacing-from", optarg, GENCHAIN_MAX_SCHEDULE);
			break;
		case 'I':
			if (parse_uint(optarg, 1, 1u << 20, &value) != 0)
				return usage_error("--spacing: '%s': not seconds from 1 to %u", optarg, 1u << 20);
			opt.spacing = (uint32_t)value;
			break;
		case 'M': {
			char every[16];
			const char *colon = strchr(optarg, ':');
			uint64_t len;

			if (colon == NULL || (size_t)(colon - optarg) >= sizeof(every) ||
			    (memcpy(every, optarg, (size_t)(colon - optarg)), every[colon - optarg] = '\0',
				parse_uint(every, 1, UINT32_MAX, &value) != 0) ||
			    parse_uint(colon + 1, 0, value, &len) != 0)
				return usage_error("--min-runs: '%s': not EVERY:LEN with LEN <= EVERY", optarg);
			opt.run_every = (uint32_t)value;
			opt.run_len = (uint32_t)len;
			break;
		}
		case 'P':
			limit_text = optarg;
			break;
		case 'Q':
			opt.print_genesis = true;
			break;
		case 'R':
			rules_name = optarg;
			break;
		case 'T':
			if (parse_uint(optarg, 0, UINT32_MAX, &value) != 0)
				return usage_error("--start: '%s': not a time from 0 to %" PRIu32, optarg, UINT32_MAX);
			opt.start = (uint32_t)value;
			break;
		case 'f':
			if (strcmp(optarg, "raw") == 0)
				opt.format = FORMAT_RAW;
			else if (strcmp(optarg, "hex") == 0)
				opt.format = FORMAT_HEX;
			else
				return usage_error("-f: '%s': unknown format (raw, hex)", optarg);
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) != 0 || ferror(stdout) ? write_error() : CS_EX_OK;
		case 'n':
			if (parse_uint(optarg, 0, max_height, &value) != 0)
				return usage_error("-n: '%s': not a count from 0 to %" PRIu32, optarg, max_height);
			opt.count = (uint32_t)value;
			break;
		default:
			usage(stderr);
			return CS_EX_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (rules_name != NULL) {
		struct cs_u256 limit;
		bool negative, overflow;

		if (cs_rules_find(rules_name, &opt.rules) != 0 || !opt.rules.enabled)
			return usage_error("--rules: '%s': not mainnet (main), testnet3 (test, testnet), testnet4, signet or regtest", rules_name);
		if (parse_bits(limit_text, &limit_bits) != 0)
			return usage_error("--pow-limit: '%s': not hex compact bits", limit_text);
		cs_compact_decode(limit_bits, &limit, &negative, &overflow);
		if (!bits_usable(limit_bits, &limit))
			return usage_error("--pow-limit: '%s': not a target from 2^236 up", limit_text);
		cs_rules_set_limit(&opt.rules, &limit);
		opt.has_rules = true;
		for (size_t f = 0; f < opt.fork_count; f++) {
			if (opt.forks[f].has_bits)
				return usage_error("--fork-bits: the rules give every header its bits");
		}
		pow_limit = limit;
		if (rules_genesis(&opt, &genesis, genesis_raw, genesis_hash) != 0) {
			fputs("cs-genchain: cannot mine the genesis\n", stderr);
			return CS_EX_SOFTWARE;
		}
		if (opt.print_genesis) {
			opt.format = FORMAT_HEX;
			if (write_header(genesis_raw, FORMAT_HEX) != 0 || fflush(stdout) != 0)
				return write_error();
			return CS_EX_OK;
		}
	} else if (opt.print_genesis || opt.step_count > 0 || opt.run_every > 0 || strcmp(limit_text, "207fffff") != 0 ||
		   opt.start != GENCHAIN_START) {
		return usage_error("--print-genesis, --spacing-from, --gap, --min-runs, --pow-limit and --start go with "
				   "--rules");
	}

	total = opt.count;
	for (size_t f = 0; f < opt.fork_count; f++) {
		const struct fork *check = &opt.forks[f];

		if (check->len == 0)
			return usage_error("--fork-at %" PRIu32 ": missing --fork-len", check->at);
		if (check->at > opt.count)
			return usage_error("--fork-at %" PRIu32 ": above the main chain's last height %" PRIu32,
			    check->at, opt.count);
		if ((uint64_t)check->at + check->len > max_height)
			return usage_error("--fork-at %" PRIu32 " --fork-len %" PRIu32
					   ": ends above height %" PRIu32,
			    check->at, check->len, max_height);
		total += check->len;
	}
	if (!opt.has_rules) {
		/* Times are genesis's + spacing * height: the highest must fit
		 * in 32 bits (a long --spacing would wrap it). */
		uint64_t highest = opt.count;

		for (size_t f = 0; f < opt.fork_count; f++) {
			if ((uint64_t)opt.forks[f].at + opt.forks[f].len > highest)
				highest = (uint64_t)opt.forks[f].at + opt.forks[f].len;
		}
		if ((uint64_t)genesis.time + (uint64_t)opt.spacing * highest > UINT32_MAX)
			return usage_error("--spacing %" PRIu32 ": height %" PRIu64 "'s time would pass 2^32",
			    opt.spacing, highest);
	}
	out.format = opt.format;
	if (opt.shuffle) {
		if (total > GENCHAIN_SHUFFLE_MAX)
			return usage_error("--shuffle: %" PRIu64 " headers: at most %u can be shuffled", total,
			    GENCHAIN_SHUFFLE_MAX);
		out.all = malloc(total == 0 ? 1 : (size_t)total * CS_HEADER_SIZE);
		if (out.all == NULL) {
			fprintf(stderr, "cs-genchain: cannot allocate %" PRIu64 " headers: %s\n", total,
			    strerror(errno));
			return CS_EX_SOFTWARE;
		}
	}

	setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
	rc = generate(&opt, genesis_raw, genesis_hash, &pow_limit, &out);
	if (rc == 0)
		rc = flush_shuffled(&opt, &out);
	free(out.all);
	if (rc == -1)
		return write_error();
	if (rc != 0) {
		/* A schedule's errors (CS_EX_USAGE) said what they were. */
		if (rc == CS_EX_SOFTWARE)
			fputs("cs-genchain: cannot mine a header (sha256 failed or no nonce met the target)\n", stderr);
		return rc;
	}
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
		return write_error();
	return CS_EX_OK;
}
