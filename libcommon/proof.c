#include "proof.h"

#include "block.h"
#include "exit.h"
#include "header.h"

#include <stdlib.h>
#include <string.h>

/* Nodes at a level of a tree of ntx leaves (Core's CalcTreeWidth). */
static uint32_t
width(uint32_t ntx, unsigned height)
{
	return (uint32_t)(((uint64_t)ntx + (UINT64_C(1) << height) - 1) >> height);
}

static unsigned
tree_height(uint32_t ntx)
{
	unsigned h = 0;

	while (width(ntx, h) > 1)
		h++;
	return h;
}

static int
nomem(struct cs_error *err)
{
	return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
}

static int
libcrypto_failed(struct cs_error *err)
{
	return cs_error_set(err, CS_EX_SOFTWARE, "cannot hash the merkle tree: libcrypto failed");
}

int
cs_merkle_tree_build(struct cs_merkle_tree *t, const uint8_t (*txids)[32], uint32_t ntx, struct cs_error *err)
{
	size_t total = 0;

	memset(t, 0, sizeof(*t));
	if (ntx == 0 || ntx > CS_PROOF_TX_MAX)
		return cs_error_set(err, CS_EX_DATAERR, "a block of %u transactions has no proof (1 to %d)", ntx,
		    CS_PROOF_TX_MAX);
	t->ntx = ntx;
	t->height = tree_height(ntx);
	for (unsigned h = 0; h <= t->height; h++) {
		t->start[h] = total;
		total += width(ntx, h);
	}
	if ((t->nodes = malloc(total * sizeof(*t->nodes))) == NULL)
		return nomem(err);
	memcpy(t->nodes, txids, (size_t)ntx * 32);
	for (unsigned h = 1; h <= t->height; h++) {
		uint32_t below = width(ntx, h - 1);
		const uint8_t(*child)[32] = t->nodes + t->start[h - 1];

		for (uint32_t i = 0; i < width(ntx, h); i++) {
			/* an odd level's last node is paired with itself */
			uint32_t right = 2 * i + 1 < below ? 2 * i + 1 : 2 * i;

			if (cs_merkle_pair(child[2 * i], child[right], t->nodes[t->start[h] + i]) != 0) {
				cs_merkle_tree_free(t);
				return libcrypto_failed(err);
			}
		}
	}
	return 0;
}

void
cs_merkle_tree_free(struct cs_merkle_tree *t)
{
	free(t->nodes);
	t->nodes = NULL;
}

static const uint8_t *
node(const struct cs_merkle_tree *t, unsigned height, uint32_t pos)
{
	return t->nodes[t->start[height] + pos];
}

const uint8_t *
cs_merkle_tree_root(const struct cs_merkle_tree *t)
{
	return node(t, t->height, 0);
}

unsigned
cs_merkle_tree_branch(const struct cs_merkle_tree *t, uint32_t pos, uint8_t branch[][32])
{
	for (unsigned h = 0; h < t->height; h++) {
		uint32_t sibling = (pos >> h) ^ 1;

		if (sibling >= width(t->ntx, h))
			sibling = pos >> h;
		memcpy(branch[h], node(t, h, sibling), 32);
	}
	return t->height;
}

/* Building a CMerkleBlock: the bits and hashes of Core's TraverseAndBuild. */
struct build {
	const struct cs_merkle_tree *t;
	uint32_t *sorted; /* matched positions, ascending */
	size_t n;
	uint8_t *bits;
	size_t nbits;
	uint8_t (*hashes)[32];
	size_t nhashes;
};

/* Whether a matched position lies in [lo, hi). */
static bool
any_match(const struct build *b, uint64_t lo, uint64_t hi)
{
	size_t a = 0, z = b->n;

	while (a < z) {
		size_t mid = a + (z - a) / 2;

		if (b->sorted[mid] < lo)
			a = mid + 1;
		else
			z = mid;
	}
	return a < b->n && b->sorted[a] < hi;
}

static void
build_node(struct build *b, unsigned height, uint32_t pos)
{
	bool parent_of_match = any_match(b, (uint64_t)pos << height, (uint64_t)(pos + 1) << height);

	if (parent_of_match)
		b->bits[b->nbits / 8] |= (uint8_t)(1u << (b->nbits % 8));
	b->nbits++;
	if (height == 0 || !parent_of_match) {
		memcpy(b->hashes[b->nhashes++], node(b->t, height, pos), 32);
		return;
	}
	build_node(b, height - 1, 2 * pos);
	if (2 * pos + 1 < width(b->t->ntx, height - 1))
		build_node(b, height - 1, 2 * pos + 1);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static size_t
put_compact(uint8_t *p, uint64_t v)
{
	if (v < 0xfd) {
		p[0] = (uint8_t)v;
		return 1;
	}
	/* counts here stay far below 2^16 */
	p[0] = 0xfd;
	p[1] = (uint8_t)v;
	p[2] = (uint8_t)(v >> 8);
	return 3;
}

int
cs_proof_merkleblock(const struct cs_merkle_tree *t, const uint8_t header[80], const uint32_t *pos, size_t n,
    uint8_t **out, size_t *len, struct cs_error *err)
{
	/* a partial tree visits fewer than two nodes a leaf */
	size_t max_nodes = 2 * (size_t)t->ntx + t->height;
	struct build b = { .t = t, .n = n };
	uint8_t *p;
	int rc = 0;

	*out = NULL;
	b.sorted = malloc((n ? n : 1) * sizeof(*b.sorted));
	b.bits = calloc((max_nodes + 7) / 8, 1);
	b.hashes = malloc(max_nodes * sizeof(*b.hashes));
	if (b.sorted == NULL || b.bits == NULL || b.hashes == NULL) {
		rc = nomem(err);
		goto out;
	}
	memcpy(b.sorted, pos, n * sizeof(*pos));
	qsort(b.sorted, n, sizeof(*b.sorted), cmp_u32);
	build_node(&b, t->height, 0);
	*len = CS_HEADER_SIZE + 4 + 3 + 32 * b.nhashes + 3 + (b.nbits + 7) / 8;
	if ((*out = p = malloc(*len)) == NULL) {
		rc = nomem(err);
		goto out;
	}
	memcpy(p, header, CS_HEADER_SIZE);
	p += CS_HEADER_SIZE;
	for (int i = 0; i < 4; i++)
		*p++ = (uint8_t)(t->ntx >> (8 * i));
	p += put_compact(p, b.nhashes);
	memcpy(p, b.hashes, 32 * b.nhashes);
	p += 32 * b.nhashes;
	p += put_compact(p, (b.nbits + 7) / 8);
	memcpy(p, b.bits, (b.nbits + 7) / 8);
	p += (b.nbits + 7) / 8;
	*len = (size_t)(p - *out);
out:
	free(b.sorted);
	free(b.bits);
	free(b.hashes);
	return rc;
}

/* A CompactSize at data[*at]: 0, 1 when it continues past len. */
static int
get_compact(const uint8_t *data, size_t len, size_t *at, uint64_t *v)
{
	unsigned width_bytes;

	if (*at >= len)
		return 1;
	switch (data[*at]) {
	case 0xfd:
		width_bytes = 2;
		break;
	case 0xfe:
		width_bytes = 4;
		break;
	case 0xff:
		width_bytes = 8;
		break;
	default:
		*v = data[(*at)++];
		return 0;
	}
	if (len - *at < 1 + width_bytes)
		return 1;
	*v = 0;
	for (unsigned i = width_bytes; i > 0; i--)
		*v = *v << 8 | data[*at + i];
	*at += 1 + width_bytes;
	return 0;
}

/* The fixed part of a CMerkleBlock: where its hashes and flag bytes are.
 * 1: more bytes needed; CS_EX_DATAERR: a count beyond Core's bounds. */
struct layout {
	uint32_t ntx;
	uint64_t nhashes, nbytes;
	size_t hashes, bytes, size;
};

static int
layout(const uint8_t *data, size_t len, struct layout *l, struct cs_error *err)
{
	size_t at = CS_HEADER_SIZE + 4;

	if (len < at)
		return 1;
	l->ntx = (uint32_t)data[80] | (uint32_t)data[81] << 8 | (uint32_t)data[82] << 16 | (uint32_t)data[83] << 24;
	if (l->ntx == 0)
		return cs_error_set(err, CS_EX_DATAERR, "proof claims a block of no transactions");
	if (l->ntx > CS_PROOF_TX_MAX)
		return cs_error_set(err, CS_EX_DATAERR, "proof claims %u transactions, more than a block holds (%d)",
		    l->ntx, CS_PROOF_TX_MAX);
	if (get_compact(data, len, &at, &l->nhashes) != 0)
		return 1;
	if (l->nhashes > l->ntx)
		return cs_error_set(err, CS_EX_DATAERR, "proof declares %llu hashes, more than its %u transactions",
		    (unsigned long long)l->nhashes, l->ntx);
	l->hashes = at;
	at += 32 * (size_t)l->nhashes;
	if (get_compact(data, len, &at, &l->nbytes) != 0)
		return 1;
	if (l->nbytes > CS_PROOF_FLAG_BYTES_MAX)
		return cs_error_set(err, CS_EX_DATAERR, "proof declares %llu flag bytes, more than a tree has (%d)",
		    (unsigned long long)l->nbytes, CS_PROOF_FLAG_BYTES_MAX);
	l->bytes = at;
	l->size = at + (size_t)l->nbytes;
	return 0;
}

int
cs_proof_merkleblock_size(const uint8_t *data, size_t len, size_t *size, struct cs_error *err)
{
	struct layout l;
	int rc;

	/* the flag count sits after the hashes: a reader waits for them */
	if ((rc = layout(data, len, &l, err)) != 0)
		return rc;
	*size = l.size;
	return 0;
}

/* Checking a CMerkleBlock: Core's TraverseAndExtract. */
struct extract {
	const uint8_t *bits;
	size_t nbits, bits_used;
	const uint8_t *hashes; /* 32 bytes each */
	size_t nhashes, hashes_used;
	uint32_t ntx;
	struct cs_proof_match *matches;
	size_t count;
	struct cs_error *err;
};

/* The parent of left and right, unless the pair shows one of the tricks of
 * proof.h. level: the children's level (0: transactions). */
static int
inner_node(const uint8_t left[32], const uint8_t right[32], unsigned level, uint8_t out[32], struct cs_error *err)
{
	uint8_t both[64];

	memcpy(both, left, 32);
	memcpy(both + 32, right, 32);
	if (cs_tx_whole(both, sizeof(both)))
		return cs_error_set(err, CS_EX_DATAERR,
		    "the node above level %u is also a 64-byte transaction: a proof through it is refused", level);
	return cs_merkle_pair(left, right, out) == 0 ? 0 : libcrypto_failed(err);
}

static int
duplicated(unsigned level, struct cs_error *err)
{
	return cs_error_set(err, CS_EX_DATAERR,
	    "two equal siblings at level %u: a repeated hash (CVE-2012-2459) proves no position", level);
}

static int
extract_node(struct extract *x, unsigned height, uint32_t pos, uint8_t out[32])
{
	uint8_t left[32], right[32];
	bool parent_of_match;
	int rc;

	if (x->bits_used >= x->nbits)
		return cs_error_set(x->err, CS_EX_DATAERR, "proof's flag bits run out");
	parent_of_match = (x->bits[x->bits_used / 8] >> (x->bits_used % 8)) & 1;
	x->bits_used++;
	if (height == 0 || !parent_of_match) {
		if (x->hashes_used >= x->nhashes)
			return cs_error_set(x->err, CS_EX_DATAERR, "proof's hashes run out");
		memcpy(out, x->hashes + 32 * x->hashes_used++, 32);
		if (height == 0 && parent_of_match) {
			memcpy(x->matches[x->count].txid, out, 32);
			x->matches[x->count++].pos = pos;
		}
		return 0;
	}
	if ((rc = extract_node(x, height - 1, 2 * pos, left)) != 0)
		return rc;
	if (2 * pos + 1 < width(x->ntx, height - 1)) {
		if ((rc = extract_node(x, height - 1, 2 * pos + 1, right)) != 0)
			return rc;
		if (memcmp(left, right, 32) == 0)
			return duplicated(height - 1, x->err);
	} else {
		memcpy(right, left, 32);
	}
	return inner_node(left, right, height - 1, out, x->err);
}

int
cs_proof_check_merkleblock(const uint8_t *data, size_t len, struct cs_proof_checked *out, struct cs_error *err)
{
	struct extract x = { .err = err };
	struct layout l;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = layout(data, len, &l, err)) == 1 || (rc == 0 && l.size > len))
		return cs_error_set(err, CS_EX_DATAERR, "proof of %zu bytes is truncated", len);
	if (rc != 0)
		return rc;
	if (l.size < len)
		return cs_error_set(err, CS_EX_DATAERR, "%zu bytes after the proof", len - l.size);
	/* Core: fewer bits than hashes cannot be a tree */
	if (8 * l.nbytes < l.nhashes)
		return cs_error_set(err, CS_EX_DATAERR, "proof has fewer flag bits than hashes");
	x.bits = data + l.bytes;
	x.nbits = 8 * (size_t)l.nbytes;
	x.hashes = data + l.hashes;
	x.nhashes = (size_t)l.nhashes;
	x.ntx = l.ntx;
	if ((x.matches = malloc((x.nhashes ? x.nhashes : 1) * sizeof(*x.matches))) == NULL)
		return nomem(err);
	if ((rc = extract_node(&x, tree_height(l.ntx), 0, out->root)) != 0)
		goto fail;
	/* every flag byte and every hash used, as Core's ExtractMatches */
	if ((x.bits_used + 7) / 8 != l.nbytes) {
		rc = cs_error_set(err, CS_EX_DATAERR, "proof has flag bytes left over");
		goto fail;
	}
	/* Core ignores the last byte's unused bits, which makes every proof
	 * one of up to 128 encodings; it writes them as zeros, and only
	 * those are taken here. */
	if (x.bits_used % 8 != 0 && x.bits[x.bits_used / 8] >> (x.bits_used % 8) != 0) {
		rc = cs_error_set(err, CS_EX_DATAERR, "proof's unused flag bits are not zero");
		goto fail;
	}
	if (x.hashes_used != x.nhashes) {
		rc = cs_error_set(err, CS_EX_DATAERR, "proof has %zu hash%s left over", x.nhashes - x.hashes_used,
		    x.nhashes - x.hashes_used == 1 ? "" : "es");
		goto fail;
	}
	if (x.count == 0) {
		rc = cs_error_set(err, CS_EX_DATAERR, "proof matches no transaction");
		goto fail;
	}
	out->header = data;
	out->ntx = l.ntx;
	out->matches = x.matches;
	out->count = x.count;
	return 0;
fail:
	free(x.matches);
	return rc;
}

void
cs_proof_checked_free(struct cs_proof_checked *c)
{
	free(c->matches);
	c->matches = NULL;
}

int
cs_proof_fold_branch(const uint8_t txid[32], uint64_t pos, const uint8_t (*branch)[32], size_t depth,
    uint8_t root[32], struct cs_error *err)
{
	uint8_t here[32];
	int rc;

	if (depth > CS_PROOF_DEPTH_MAX)
		return cs_error_set(err, CS_EX_DATAERR,
		    "branch of %zu hashes is longer than a block's tree (at most %d)", depth, CS_PROOF_DEPTH_MAX);
	if (pos > UINT32_MAX)
		return cs_error_set(err, CS_EX_DATAERR, "pos %llu claims more than 2^32 transactions",
		    (unsigned long long)pos);
	if (pos >> depth != 0)
		return cs_error_set(err, CS_EX_DATAERR, "pos %llu is beyond a tree of %zu levels",
		    (unsigned long long)pos, depth);
	memcpy(here, txid, 32);
	for (unsigned level = 0; level < depth; level++) {
		if ((pos >> level) & 1) {
			if (memcmp(branch[level], here, 32) == 0)
				return duplicated(level, err);
			rc = inner_node(branch[level], here, level, here, err);
		} else {
			rc = inner_node(here, branch[level], level, here, err);
		}
		if (rc != 0)
			return rc;
	}
	memcpy(root, here, 32);
	return 0;
}
