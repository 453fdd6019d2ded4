/*
 * genesis.h - the first entry of a store and the meta that goes with it:
 * a built-in network, a custom 80-byte genesis header, or an opaque entry.
 *
 * Contract: fills meta and e (e->header points into the caller's header
 * buffer, or into rec's memory for opaque); returns 0, CS_EX_DATAERR for a
 * genesis that is not one, or CS_EX_USAGE for a bad --pow-limit.
 */
#ifndef CS_GENESIS_H
#define CS_GENESIS_H

#include "entry.h"
#include "error.h"
#include "header.h"
#include "network.h"
#include "store.h"

int cs_genesis_network(const struct cs_network *net, struct cs_store_meta *meta, struct cs_entry *e,
    uint8_t header[CS_HEADER_SIZE], struct cs_error *err);
/* pow_limit_bits: compact bits in hex, or NULL for the genesis's own target;
 * rules: a built-in network's header rules, or NULL (or "none") for proof
 * of work only. */
int cs_genesis_custom(const char *header_hex, const char *pow_limit_bits, const char *rules, struct cs_store_meta *meta,
    struct cs_entry *e, uint8_t header[CS_HEADER_SIZE], struct cs_error *err);
/* A store that starts at a checkpoint of net (cs(7) "Checkpoint
 * stores"): rec gives the header, height and chainwork, and optionally its
 * hash and the times of up to ten entries before it, newest first. The
 * height must be a retarget boundary of net. meta is net's, with the
 * checkpoint as its root. CS_EX_DATAERR when rec is not one. */
int cs_genesis_checkpoint(const struct cs_network *net, const struct cs_record *rec, struct cs_store_meta *meta,
    struct cs_entry *e, struct cs_error *err);
/* A line of bitcoinj's checkpoints file: base64 of a StoredBlock (12- or
 * 32-byte chainwork, 4-byte height, 80-byte header, big-endian) into rec,
 * its header copied into header; white space around it is ignored. -1
 * when line is not one. */
int cs_checkpoint_from_bitcoinj(const char *line, struct cs_record *rec, uint8_t header[CS_HEADER_SIZE]);
int cs_genesis_opaque(const struct cs_record *rec, struct cs_store_meta *meta, struct cs_entry *e,
    struct cs_error *err);

#endif
