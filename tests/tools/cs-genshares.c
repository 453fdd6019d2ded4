/*
 * cs-genshares - writes a synthetic p2pool sharechain, with forks that
 * reorganise, as opaque entries, and the same tree as Bitcoin headers.
 *
 * A share's header (200 to 400 bytes, modelled on p2poolv2's ShareHeader,
 * serialised our own way) holds a version, the previous share's hash, up to
 * three uncles, a miner's compressed public key, a merkle root, the share's
 * target in compact bits, a time, an embedded 80-byte Bitcoin header and a
 * coinbase. A share's hash is the SHA-256d of its header; its work is the
 * work of its target.
 *
 * The embedded headers form a Bitcoin chain of the same shape: the one in
 * share i names the one in share i's parent as its prev, carries the share's
 * target as its bits and is mined to meet it. So an opaque store of the
 * shares and a custom-genesis store of the headers (cs-init --genesis, with
 * --pow-limit 207fffff, or 2100ffff with --no-work) must give the same
 * heights, chainwork, tips, reorganisations and locators, share i for
 * header i. --map writes the tree and what a store must make of it.
 *
 * The output depends only on the options.
 */
#include "cborio.h"
#include "exit.h"
#include "header.h"
#include "hex.h"
#include "pow.h"
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

#define GEN_PROG "cs-genshares"
#include "gen.h"

#define SHARES_MAX 100000u
#define SHARE_HEADER_MIN 200
#define SHARE_HEADER_MAX 400
#define SHARE_VERSION 1
#define UNCLES_MAX 3
#define UNCLE_WINDOW 16 /* uncles are among the shares made just before */
#define HEADS_MAX 6     /* branches still being mined on */
#define HEAD_BEHIND_MAX 6 /* a branch this far below the best is given up */
#define MINERS 5
#define BODY_EVERY 3
#define GENESIS_TIME 1700000000u
#define SHARE_SPACING 10
#define BITCOIN_VERSION 0x20000000
/* The easiest target: work 1 (floor(2^256 / (0xffff * 2^240 + 1))). */
#define BITS_WORK_ONE 0x2100ffffu
#define GENESIS_BITS 0x2000ffffu

/* Share targets, from regtest's limit (work 2) to work 1024: cheap to mine,
 * varied enough that a shorter branch can be the heavier one. */
static const uint32_t share_bits[] = {
	0x207fffff, 0x203fffff, 0x200fffff, 0x2003ffff, 0x2000ffff, 0x1f3fffff,
};

enum format { FORMAT_CBOR, FORMAT_JSON, FORMAT_RAW, FORMAT_HEX };

struct share {
	uint8_t hash[32];   /* SHA-256d of the share header */
	uint8_t header_hash[32]; /* the embedded Bitcoin header's hash */
	uint8_t bitcoin[CS_HEADER_SIZE];
	uint8_t bytes[SHARE_HEADER_MAX];
	size_t len;
	uint8_t body[256];
	size_t body_len;
	uint32_t parent; /* UINT32_MAX for the genesis */
	uint32_t height;
	uint32_t bits;
	uint32_t children;
	struct cs_u256 work, chainwork;
	uint32_t tip;  /* the best share once this one has arrived */
	bool reorg;    /* its arrival switched the best to another branch */
};

struct options {
	uint32_t count;
	uint64_t seed;
	bool no_work, bodies, shuffle, genesis_only, bitcoin;
	enum format format;
	bool has_format;
	const char *map;
};

struct stats {
	uint32_t forks, reorgs, deepest, shorter, tips;
};

static void
usage(FILE *stream)
{
	fputs("usage: cs-genshares [-h] [-n count] [--seed n] [--no-work] [--bodies] [--shuffle]\n"
	      "                    [--genesis] [--bitcoin] [-f cbor|json|raw|hex] [--map FILE]\n",
	    stream);
}

/* Uniform in [0, bound), without modulo bias. */
static uint32_t
random_below(uint64_t *state, uint32_t bound)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % bound, r;

	do
		r = next_random(state);
	while (r >= limit);
	return (uint32_t)(r % bound);
}

static void
random_bytes(uint64_t *state, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)next_random(state);
}

static uint32_t
ancestor(const struct share *shares, uint32_t i, uint32_t height)
{
	while (shares[i].height > height)
		i = shares[i].parent;
	return i;
}

/* Mines the embedded Bitcoin header of share i against its bits. */
static int
mine(struct share *s, const struct share *parent, uint64_t seed, uint32_t index, const struct cs_u256 *limit)
{
	struct cs_header h;
	uint8_t tag[12];

	memset(&h, 0, sizeof(h));
	h.version = BITCOIN_VERSION;
	if (parent != NULL)
		memcpy(h.prev, parent->header_hash, 32);
	for (int i = 0; i < 8; i++)
		tag[i] = (uint8_t)(seed >> (8 * i));
	cs_put_le32(tag + 8, index);
	if (cs_sha256d(tag, sizeof(tag), h.merkle) != 0)
		return -1;
	h.time = GENESIS_TIME + SHARE_SPACING * index;
	h.bits = s->bits;
	cs_header_encode(&h, s->bitcoin);
	for (;;) {
		if (cs_header_hash(s->bitcoin, s->header_hash) != 0)
			return -1;
		if (cs_pow_check(s->header_hash, h.bits, limit) == CS_POW_OK)
			return 0;
		if (h.nonce == UINT32_MAX)
			return -1;
		h.nonce++;
		cs_put_le32(s->bitcoin + 76, h.nonce);
	}
}

/* Uncles: shares made shortly before, lower than the new share, that are
 * not its ancestors. */
static size_t
pick_uncles(const struct share *shares, uint32_t index, uint32_t parent, uint32_t out[UNCLES_MAX])
{
	size_t n = 0;

	for (uint32_t j = index - 1; j > 0 && index - j <= UNCLE_WINDOW && n < UNCLES_MAX; j--) {
		if (shares[j].height > shares[parent].height)
			continue;
		if (ancestor(shares, parent, shares[j].height) != j)
			out[n++] = j;
	}
	return n;
}

/* Lays out share i's header and hashes it. */
static int
build_share(struct share *shares, uint32_t index, uint64_t *rng, const uint8_t miners[MINERS][33])
{
	struct share *s = &shares[index];
	uint32_t uncles[UNCLES_MAX];
	size_t nuncles = 0, fixed, total, coinbase, pos = 0;
	uint8_t *p = s->bytes;

	if (index > 0)
		nuncles = pick_uncles(shares, index, s->parent, uncles);
	/* version, prev, uncle count, uncles, miner key, merkle root, bits,
	 * time, bitcoin header, coinbase length */
	fixed = 4 + 32 + 1 + 32 * nuncles + 33 + 32 + 4 + 4 + CS_HEADER_SIZE + 2;
	total = SHARE_HEADER_MIN + random_below(rng, SHARE_HEADER_MAX - SHARE_HEADER_MIN + 1);
	if (total < fixed + 8)
		total = fixed + 8;
	coinbase = total - fixed;

	cs_put_le32(p + pos, SHARE_VERSION);
	pos += 4;
	if (index > 0)
		memcpy(p + pos, shares[s->parent].hash, 32);
	else
		memset(p + pos, 0, 32);
	pos += 32;
	p[pos++] = (uint8_t)nuncles;
	for (size_t u = 0; u < nuncles; u++, pos += 32)
		memcpy(p + pos, shares[uncles[u]].hash, 32);
	memcpy(p + pos, miners[random_below(rng, MINERS)], 33);
	pos += 33;
	random_bytes(rng, p + pos, 32); /* merkle root of the share's transactions */
	pos += 32;
	cs_put_le32(p + pos, s->bits);
	pos += 4;
	cs_put_le32(p + pos, GENESIS_TIME + SHARE_SPACING * index);
	pos += 4;
	memcpy(p + pos, s->bitcoin, CS_HEADER_SIZE);
	pos += CS_HEADER_SIZE;
	p[pos++] = (uint8_t)coinbase;
	p[pos++] = (uint8_t)(coinbase >> 8);
	/* coinbase: the height (as BIP 34 pushes it), a tag, then padding */
	p[pos] = 4;
	cs_put_le32(p + pos + 1, s->height);
	memcpy(p + pos + 5, "cs/", 3);
	random_bytes(rng, p + pos + 8, coinbase - 8);
	pos += coinbase;
	s->len = pos;
	return cs_sha256d(s->bytes, s->len, s->hash);
}

/* Where the next share is mined: mostly on the best share, sometimes on a
 * rival branch, sometimes on an ancestor of the best (a new fork). */
static uint32_t
choose_parent(const struct share *shares, uint32_t best, uint32_t *heads, size_t nheads, uint64_t *rng,
    uint32_t index)
{
	uint32_t roll = random_below(rng, 100);

	if (roll < 15 && index > 3) {
		uint32_t depth = 1 + random_below(rng, 4);
		uint32_t h = shares[best].height > depth ? shares[best].height - depth : 0;

		return ancestor(shares, best, h);
	}
	if (roll < 45 && nheads > 1) {
		uint32_t pick = random_below(rng, (uint32_t)nheads);

		if (heads[pick] != best)
			return heads[pick];
	}
	return best;
}

/* Builds the tree and what a store must make of it, in arrival order. */
static int
generate(struct share *shares, const struct options *opt, struct stats *st)
{
	uint8_t miners[MINERS][33];
	uint32_t heads[HEADS_MAX], best = 0;
	size_t nheads = 0;
	uint64_t rng = opt->seed ^ 0x7368617265736373u;
	struct cs_u256 limit;
	bool negative, overflow;

	cs_compact_decode(BITS_WORK_ONE, &limit, &negative, &overflow);
	for (int m = 0; m < MINERS; m++) {
		miners[m][0] = 0x02 + (uint8_t)random_below(&rng, 2);
		random_bytes(&rng, miners[m] + 1, 32);
	}
	memset(st, 0, sizeof(*st));
	for (uint32_t i = 0; i <= opt->count; i++) {
		struct share *s = &shares[i];
		uint32_t parent = i == 0 ? UINT32_MAX : choose_parent(shares, best, heads, nheads, &rng, i);

		memset(s, 0, sizeof(*s));
		s->parent = parent;
		if (opt->no_work)
			s->bits = BITS_WORK_ONE;
		else if (i == 0)
			s->bits = GENESIS_BITS;
		else
			s->bits = share_bits[random_below(&rng, sizeof(share_bits) / sizeof(share_bits[0]))];
		cs_work_from_bits(s->bits, &s->work);
		if (i == 0) {
			s->chainwork = s->work;
		} else {
			s->height = shares[parent].height + 1;
			cs_u256_add_saturate(&s->chainwork, &shares[parent].chainwork, &s->work);
			if (shares[parent].children++ > 0)
				st->forks++;
		}
		if (mine(s, i == 0 ? NULL : &shares[parent], opt->seed, i, &limit) != 0 ||
		    build_share(shares, i, &rng, (const uint8_t(*)[33])miners) != 0)
			return -1;
		if (opt->bodies && i % BODY_EVERY == 1) {
			s->body_len = 16 + random_below(&rng, sizeof(s->body) - 16);
			random_bytes(&rng, s->body, s->body_len);
		}

		/* heads: the branch's head moves on, or a new branch starts */
		{
			size_t h;

			for (h = 0; h < nheads && heads[h] != parent; h++)
				;
			if (h < nheads)
				heads[h] = i;
			else if (nheads < HEADS_MAX)
				heads[nheads++] = i;
		}

		/* the most work wins; on a tie the best already held stays */
		if (i > 0 && cs_u256_cmp(&s->chainwork, &shares[best].chainwork) > 0) {
			if (parent != best) {
				uint32_t fork = ancestor(shares, best, s->height < shares[best].height ? s->height
												: shares[best].height);
				uint32_t mine_at = ancestor(shares, i, shares[fork].height);

				while (fork != mine_at) {
					fork = shares[fork].parent;
					mine_at = shares[mine_at].parent;
				}
				s->reorg = true;
				st->reorgs++;
				if (shares[best].height - shares[fork].height > st->deepest)
					st->deepest = shares[best].height - shares[fork].height;
				if (s->height < shares[best].height)
					st->shorter++;
			}
			best = i;
		}
		s->tip = best;

		/* give up branches that fell too far behind */
		for (size_t h = 0; h < nheads;) {
			if (shares[heads[h]].height + HEAD_BEHIND_MAX < shares[best].height)
				heads[h] = heads[--nheads];
			else
				h++;
		}
	}
	for (uint32_t i = 0; i <= opt->count; i++)
		st->tips += shares[i].children == 0;
	return 0;
}

static int
write_map(const char *path, const struct share *shares, const struct options *opt, const struct stats *st)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "cs-genshares: cannot create '%s': %s\n", path, strerror(errno));
		return CS_EX_CANTCREAT;
	}
	fprintf(f,
	    "# shares %" PRIu32 " forks %" PRIu32 " reorgs %" PRIu32 " deepest %" PRIu32 " shorter %" PRIu32
	    " tips %" PRIu32 "\n",
	    opt->count + 1, st->forks, st->reorgs, st->deepest, st->shorter, st->tips);
	fputs("# index share header parent height bits work chainwork tip reorg\n", f);
	for (uint32_t i = 0; i <= opt->count; i++) {
		const struct share *s = &shares[i];
		char share[CS_HASH_HEX], header[CS_HASH_HEX], chainwork[65];

		cs_hash_to_display(s->hash, share);
		cs_hash_to_display(s->header_hash, header);
		cs_u256_to_hex(&s->chainwork, chainwork);
		fprintf(f, "%" PRIu32 " %s %s %" PRId64 " %" PRIu32 " %08" PRIx32 " %" PRIu64 " %s %" PRIu32 " %d\n", i,
		    share, header, i == 0 ? (int64_t)-1 : (int64_t)s->parent, s->height, s->bits, s->work.limb[0],
		    chainwork, s->tip, s->reorg);
	}
	if (fflush(f) != 0 || ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "cs-genshares: cannot write '%s': %s\n", path, strerror(errno));
		return CS_EX_IOERR;
	}
	return 0;
}

static void
put_hex(const uint8_t *data, size_t len)
{
	char text[2 * 512 + 1];

	cs_hex_encode(data, len, text);
	fputs(text, stdout);
}

/* One share as an opaque entry; the genesis's prev is all zeros. */
static void
write_share(const struct share *shares, uint32_t i, const struct options *opt)
{
	const struct share *s = &shares[i];
	static const uint8_t zero[32];
	const uint8_t *prev = i == 0 ? zero : shares[s->parent].hash;

	if (opt->format == FORMAT_JSON) {
		char hash[CS_HASH_HEX];

		cs_hash_to_display(s->hash, hash);
		printf("{\"hash\":\"%s\",", hash);
		cs_hash_to_display(prev, hash);
		printf("\"prev\":\"%s\",\"header\":\"", hash);
		put_hex(s->bytes, s->len);
		putchar('"');
		if (!opt->no_work)
			printf(",\"work\":%" PRIu64, s->work.limb[0]);
		if (s->body_len > 0) {
			fputs(",\"body\":\"", stdout);
			put_hex(s->body, s->body_len);
			putchar('"');
		}
		fputs("}\n", stdout);
	} else {
		uint8_t buf[1024];
		struct cs_cbor_cursor c = { buf, buf + sizeof(buf), false };

		cs_cbor_put_map(&c, 3 + !opt->no_work + (s->body_len > 0));
		cs_cbor_put_text(&c, "hash");
		cs_cbor_put_bytes(&c, s->hash, 32);
		cs_cbor_put_text(&c, "prev");
		cs_cbor_put_bytes(&c, prev, 32);
		cs_cbor_put_text(&c, "header");
		cs_cbor_put_bytes(&c, s->bytes, s->len);
		if (!opt->no_work) {
			cs_cbor_put_text(&c, "work");
			cs_cbor_put_u256(&c, &s->work, true);
		}
		if (s->body_len > 0) {
			cs_cbor_put_text(&c, "body");
			cs_cbor_put_bytes(&c, s->body, s->body_len);
		}
		fwrite(buf, 1, (size_t)(c.p - buf), stdout);
	}
}

static void
write_item(const struct share *shares, uint32_t i, const struct options *opt)
{
	if (!opt->bitcoin) {
		write_share(shares, i, opt);
	} else if (opt->format == FORMAT_HEX) {
		put_hex(shares[i].bitcoin, CS_HEADER_SIZE);
		putchar('\n');
	} else {
		fwrite(shares[i].bitcoin, CS_HEADER_SIZE, 1, stdout);
	}
}

static int
parse_format(const char *text, enum format *format)
{
	static const char *const names[] = { "cbor", "json", "raw", "hex" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i]) == 0) {
			*format = (enum format)i;
			return 0;
		}
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	static char stdout_buffer[1 << 20];
	static const struct option long_options[] = {
		{ "bitcoin", no_argument, NULL, 'B' },
		{ "bodies", no_argument, NULL, 'D' },
		{ "genesis", no_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ "map", required_argument, NULL, 'M' },
		{ "no-work", no_argument, NULL, 'W' },
		{ "seed", required_argument, NULL, 'S' },
		{ "shuffle", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	static char program_name[] = "cs-genshares";
	struct options opt = { .count = 300 };
	struct share *shares;
	struct stats st;
	uint32_t *order;
	uint64_t value;
	int c, rc;

	argv[0] = program_name; /* getopt's own messages name the command, not its path */
	while ((c = getopt_long(argc, argv, "f:hn:", long_options, NULL)) != -1) {
		switch (c) {
		case 'B':
			opt.bitcoin = true;
			break;
		case 'D':
			opt.bodies = true;
			break;
		case 'G':
			opt.genesis_only = true;
			break;
		case 'M':
			opt.map = optarg;
			break;
		case 'S':
			if (parse_uint(optarg, 0, UINT64_MAX, &opt.seed) != 0)
				return usage_error("--seed: '%s': not a number from 0 to %" PRIu64, optarg,
				    (uint64_t)UINT64_MAX);
			break;
		case 'W':
			opt.no_work = true;
			break;
		case 'X':
			opt.shuffle = true;
			break;
		case 'f':
			if (parse_format(optarg, &opt.format) != 0)
				return usage_error("-f: '%s': unknown format (cbor, json, raw, hex)", optarg);
			opt.has_format = true;
			break;
		case 'h':
			usage(stdout);
			return fflush(stdout) != 0 || ferror(stdout) ? write_error() : CS_EX_OK;
		case 'n':
			if (parse_uint(optarg, 0, SHARES_MAX, &value) != 0)
				return usage_error("-n: '%s': not a count from 0 to %u", optarg, SHARES_MAX);
			opt.count = (uint32_t)value;
			break;
		default:
			usage(stderr);
			return CS_EX_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!opt.has_format)
		opt.format = opt.bitcoin ? FORMAT_RAW : FORMAT_CBOR;
	if (opt.bitcoin != (opt.format == FORMAT_RAW || opt.format == FORMAT_HEX))
		return usage_error(opt.bitcoin ? "--bitcoin writes raw or hex" : "shares are written as cbor or json");

	shares = calloc((size_t)opt.count + 1, sizeof(*shares));
	order = calloc((size_t)opt.count + 1, sizeof(*order));
	if (shares == NULL || order == NULL) {
		fprintf(stderr, "cs-genshares: cannot allocate %" PRIu32 " shares: %s\n", opt.count, strerror(errno));
		return CS_EX_SOFTWARE;
	}
	if (generate(shares, &opt, &st) != 0) {
		fputs("cs-genshares: cannot mine a header (sha256 failed or no nonce met the target)\n", stderr);
		return CS_EX_SOFTWARE;
	}
	if (opt.map != NULL && (rc = write_map(opt.map, shares, &opt, &st)) != 0)
		return rc;

	/* arrival order: as generated, or a deterministic shuffle of it */
	for (uint32_t i = 0; i < opt.count; i++)
		order[i] = i + 1;
	if (opt.shuffle) {
		uint64_t rng = opt.seed ^ 0x6373206765e6c0deu;

		for (uint32_t i = opt.count; i > 1; i--) {
			uint32_t j = random_below(&rng, i), tmp = order[j];

			order[j] = order[i - 1];
			order[i - 1] = tmp;
		}
	}
	setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
	if (opt.genesis_only)
		write_item(shares, 0, &opt);
	else
		for (uint32_t i = 0; i < opt.count; i++)
			write_item(shares, order[i], &opt);
	free(order);
	free(shares);
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
		return write_error();
	return CS_EX_OK;
}
