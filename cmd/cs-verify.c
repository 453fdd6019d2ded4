/*
 * cs-verify - check transaction inclusion proofs (cs-get --proof, bitcoin-cli
 * gettxoutproof, Electrum's get_merkle) against the headers of a store.
 */
#include "block.h"
#include "cli.h"
#include "exit.h"
#include "header.h"
#include "hex.h"
#include "output.h"
#include "progress.h"
#include "proof.h"
#include "reader.h"
#include "sha256.h"
#include "store.h"
#include "writer.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] = "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--input FORMAT] [--keep-going] [FILE ...]";

enum { OPT_INPUT = 256, OPT_KEEP_GOING };

static const char options_text[] =
    "  -f, --format FORMAT   what each proof shows: cbor, json or text\n"
    "  --input FORMAT        proofs as hex, json, cbor or raw (default: told by the first byte)\n"
    "  --keep-going          go on after a false proof, exit 65 at the end\n";

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "keep-going", no_argument, NULL, OPT_KEEP_GOING },
	CS_COMMON_LONG_OPTIONS,
};

struct verify {
	struct cs_cli cli;
	struct cs_store store;
	struct cs_out out;
	struct cs_progress progress;
	uint64_t proofs; /* read so far, of every input */
	enum cs_format format;
	bool keep_going;
	int status; /* 1 when a sound proof's block is not on the main chain, 65 after a false one */
};

/* What a proof claims, once its tree is checked: the transactions it
 * shows, the root they reach, and its block by hash or by height. */
struct claim {
	const uint8_t *header; /* a CMerkleBlock's */
	uint32_t ntx;          /* a CMerkleBlock's count; 0 for a branch */
	bool has_block, has_height;
	uint8_t block[32];
	uint32_t height;
	uint8_t root[32];
	const struct cs_proof_match *matches;
	size_t count;
};

/* The exit status so far: 65 (a false proof) over 1 (a block not on the
 * main chain) over 0. */
static void
note(struct verify *v, int status)
{
	if (status > v->status)
		v->status = status;
}

/* A proof that is false: the message names the item. */
static int
false_proof(const struct cs_proof_in *p, struct cs_error *err)
{
	cs_error_prefix(err, "item %llu at byte %llu: ", (unsigned long long)p->item, (unsigned long long)p->offset);
	return CS_EX_DATAERR;
}

/* Where the store holds the block's body, a proof is held to the real
 * block too: its count, and each transaction at its position. */
static int
against_body(struct verify *v, const struct cs_proof_in *p, const struct claim *c, const uint8_t hash[32],
    struct cs_error *err)
{
	uint8_t(*txids)[32] = NULL;
	char *body = NULL;
	size_t body_len;
	uint32_t ntx = 0;
	int rc = cs_store_get_body(&v->store, hash, &body, &body_len, err);

	if (rc == CS_EX_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if ((rc = cs_block_txids((const uint8_t *)body, body_len, &txids, &ntx, err)) != 0)
		goto out;
	if (c->ntx != 0 && c->ntx != ntx) {
		cs_error_set(err, CS_EX_DATAERR, "proof claims %u transactions; the stored block holds %u", c->ntx, ntx);
		rc = false_proof(p, err);
		goto out;
	}
	for (size_t i = 0; i < c->count; i++) {
		if (c->matches[i].pos >= ntx || memcmp(txids[c->matches[i].pos], c->matches[i].txid, 32) != 0) {
			char hex[CS_HASH_HEX];

			cs_hash_to_display(c->matches[i].txid, hex);
			cs_error_set(err, CS_EX_DATAERR, "the stored block holds no %s at position %u", hex,
			    c->matches[i].pos);
			rc = false_proof(p, err);
			goto out;
		}
	}
out:
	free(txids);
	cs_store_free(body);
	return rc;
}

/* Holds the claim to the store: its block there, its root the block's. */
static int
check_claim(struct verify *v, const struct cs_proof_in *p, const struct claim *c, struct cs_error *err)
{
	char hex[CS_HASH_HEX], *owned = NULL, *tip_owned;
	struct cs_entry e, tip;
	uint8_t hash[32];
	int rc;

	if ((rc = cs_store_acquire(&v->store, err)) != 0)
		return rc;
	if (c->has_block) {
		memcpy(hash, c->block, 32);
	} else if ((rc = cs_store_get_main(&v->store, c->height, hash, err)) == CS_EX_NOTFOUND) {
		cs_warn(&v->cli, "item %llu: no block at height %u in the store", (unsigned long long)p->item, c->height);
		note(v, CS_EX_NOTFOUND);
		return 0;
	} else if (rc != 0) {
		return rc;
	}
	cs_hash_to_display(hash, hex);
	if ((rc = cs_store_get_entry(&v->store, hash, &e, &owned, err)) == CS_EX_NOTFOUND) {
		cs_warn(&v->cli, "item %llu: block %s is not in the store", (unsigned long long)p->item, hex);
		note(v, CS_EX_NOTFOUND);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (c->has_block && c->has_height && c->height != e.height) {
		cs_error_set(err, CS_EX_DATAERR, "block_height %u, but block %s is at height %u", c->height, hex,
		    e.height);
		rc = false_proof(p, err);
	} else if (memcmp(e.header + 36, c->root, 32) != 0) {
		cs_error_set(err, CS_EX_DATAERR, "the proof does not reach the merkle root of block %s", hex);
		rc = false_proof(p, err);
	} else {
		rc = against_body(v, p, c, hash, err);
	}
	if (rc == 0 && (rc = cs_store_get_tip_entry(&v->store, &tip, &tip_owned, err)) == 0)
		cs_store_free(tip_owned);
	for (size_t i = 0; rc == 0 && i < c->count; i++) {
		struct cs_verified out = { .height = e.height, .pos = c->matches[i].pos, .main = e.main };

		memcpy(out.txid, c->matches[i].txid, 32);
		memcpy(out.block, hash, 32);
		out.confirmations = e.main ? (long)tip.height - (long)e.height + 1 : -1;
		cs_write_verified(&v->out, v->format, &out);
	}
	if (rc == 0 && !e.main)
		note(v, CS_EX_NOTFOUND);
	cs_store_free(owned);
	return rc;
}

static int
verify_one(struct verify *v, const struct cs_proof_in *p, struct cs_error *err)
{
	struct cs_proof_checked checked;
	struct cs_proof_match match;
	struct claim c = { 0 };
	int rc;

	if (!p->branch) {
		if ((rc = cs_proof_check_merkleblock(p->merkleblock, p->merkleblock_len, &checked, err)) != 0)
			return rc == CS_EX_DATAERR ? false_proof(p, err) : rc;
		c.header = checked.header;
		c.ntx = checked.ntx;
		c.has_block = true;
		cs_sha256d(c.header, CS_HEADER_SIZE, c.block);
		memcpy(c.root, checked.root, 32);
		c.matches = checked.matches;
		c.count = checked.count;
		if (memcmp(c.root, c.header + 36, 32) != 0) {
			cs_error_set(err, CS_EX_DATAERR, "the proof's tree does not reach its header's merkle root");
			rc = false_proof(p, err);
		} else {
			rc = check_claim(v, p, &c, err);
		}
		cs_proof_checked_free(&checked);
		return rc;
	}
	if ((rc = cs_proof_fold_branch(p->txid, p->pos, p->merkle, p->depth, c.root, err)) != 0)
		return rc == CS_EX_DATAERR ? false_proof(p, err) : rc;
	memcpy(match.txid, p->txid, 32);
	match.pos = (uint32_t)p->pos; /* below 2^15: the fold checked */
	c.matches = &match;
	c.count = 1;
	c.has_block = p->has_block;
	memcpy(c.block, p->block, 32);
	c.has_height = p->has_height;
	c.height = p->height;
	return check_claim(v, p, &c, err);
}

static int
verify_input(struct verify *v, const char *path, enum cs_format input, bool sniff, struct cs_error *err)
{
	struct cs_reader reader;
	struct cs_proof_in proof;
	int rc = 0;

	if ((rc = cs_reader_open(&reader, path, CS_FORMAT_HEX, NULL, err)) != 0)
		return rc;
	reader.format = input;
	reader.sniff = sniff;
	while (rc == 0 && !v->out.closed) {
		enum cs_read st = cs_reader_next_proof(&reader, &proof, false, err);

		if (st == CS_READ_WOULD_BLOCK) {
			if ((rc = cs_out_drain(&v->out, &v->store, true, err)) != 0)
				break;
			st = cs_reader_next_proof(&reader, &proof, true, err);
		}
		if (st == CS_READ_END)
			break;
		if (st == CS_READ_ERROR) {
			rc = err->code;
			break;
		}
		rc = verify_one(v, &proof, err);
		if (rc == CS_EX_DATAERR && v->keep_going) {
			cs_warn(&v->cli, "%s", err->message);
			note(v, CS_EX_DATAERR);
			rc = 0;
		}
		if (rc == 0)
			rc = cs_out_drain(&v->out, &v->store, false, err);
		v->proofs++;
		cs_progress_update(&v->progress, v->proofs, cs_input_offset(&reader.in), "%llu checked",
		    (unsigned long long)v->proofs);
	}
	cs_progress_input_done(&v->progress, cs_input_offset(&reader.in));
	cs_reader_close(&reader);
	return rc;
}

int
main(int argc, char *argv[])
{
	static struct verify v;
	enum cs_format input = CS_FORMAT_HEX;
	bool sniff = true;
	struct cs_error err;
	int opt, rc = 0;

	cs_cli_init(&v.cli, "cs-verify", usage_text,
	    1u << CS_FORMAT_CBOR | 1u << CS_FORMAT_JSON | 1u << CS_FORMAT_TEXT);
	cs_cli_set_options(&v.cli, options_text);
	while ((opt = cs_cli_getopt(&v.cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		switch (opt) {
		case OPT_INPUT:
			if (cs_format_parse(optarg,
			        1u << CS_FORMAT_CBOR | 1u << CS_FORMAT_JSON | 1u << CS_FORMAT_HEX | 1u << CS_FORMAT_RAW,
			        &input) != 0)
				cs_cli_usage_error(&v.cli, "bad input format '%s': expected hex, json, cbor or raw", optarg);
			sniff = false;
			break;
		case OPT_KEEP_GOING:
			v.keep_going = true;
			break;
		default:
			cs_cli_option(&v.cli, opt, optarg);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	v.format = cs_cli_output_format(&v.cli);
	cs_out_init(&v.out, 1);
	/* Not when the results go to the terminal too: they show the
	 * progress, and a line rewritten among them would garble them. */
	cs_progress_start(&v.progress, v.cli.prog, "proofs", v.cli.quiet || isatty(STDOUT_FILENO));
	cs_progress_set_inputs(&v.progress, argc, argv);
	cs_error_clear(&err);

	if ((rc = cs_store_open_as(&v.store, cs_store_path(v.cli.store), v.cli.prog, v.cli.wait, false, CS_OPEN_READ, &err)) != 0)
		goto out;
	if (v.store.meta.opaque) {
		cs_store_close(&v.store);
		cs_cli_usage_error(&v.cli, "'%s' is an opaque store: proofs are checked against Bitcoin headers",
		    v.store.dir);
	}
	/* A command reading its input takes the store once input has arrived. */
	cs_store_release(&v.store);
	for (int i = 0; rc == 0 && i < (argc > 0 ? argc : 1); i++)
		rc = verify_input(&v, argc > 0 ? argv[i] : NULL, input, sniff, &err);
out:
	cs_progress_finish(&v.progress);
	cs_store_close(&v.store);
	if (rc == 0)
		rc = cs_out_finish(&v.out, &err);
	else
		cs_out_finish(&v.out, NULL);
	return rc != 0 ? cs_fail(&v.cli, &err) : v.status;
}
