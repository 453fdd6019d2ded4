/*
 * keys.h - the store's key layout: every LevelDB key a store holds starts
 * with one of these prefix bytes, and only this header spells them (cs(7)
 * "The store" describes the directory; these are its database's keys).
 *
 * Keys (all binary):
 *   'M' name          meta: schema, network, profile, genesis, pow limit, magic, tip,
 *                     rules (schema 3; before: the network's own), checkpoint
 *                     (a store that starts at one: its hash, height (4 BE),
 *                     and up to ten times (4 BE each) of the entries before it)
 *   'E' hash[32]      entry: flags, height (4, BE), chainwork, [prev, work],
 *                     header, [context]; the chainwork in 32 bytes (schema
 *                     1), or from schema 2 a length byte and its big-endian
 *                     bytes without leading zeros; from schema 3, in a
 *                     store with header rules, the context its children's
 *                     rules need (CS_ENTRY_CONTEXT: its period's first time
 *                     and bits and the walk back's bits, 3 x 4 bytes BE)
 *   'H' height[4 BE]  main-chain hash at that height; from schema 2, in a
 *                     Bitcoin store and above the genesis, followed by the
 *                     header without its prev (version, merkle root, time,
 *                     bits, nonce: 48 bytes), whose prev is the hash one
 *                     height below: a run of main-chain headers is one
 *                     sequential read, not a random read each
 *   'B' hash[32]      body (the block after its header)
 *   'X' hash[32]      chain tip: an entry without children
 *   'I' hash[32]      an entry marked invalid by an operator (cs-tip
 *                     --invalidate, as Bitcoin Core's invalidateblock): its
 *                     height (4 BE). It and its descendants are never on
 *                     the main chain; the mark stays when the entry is
 *                     pruned, so that it comes back invalid
 *   'T' txid[32] block[32]  transaction index: position in that block's body
 *                     (uint32 BE); one key per block holding the txid, so
 *                     forks and BIP30 duplicates each keep theirs
 *
 */
#ifndef CS_KEYS_H
#define CS_KEYS_H

#define CS_KEY_META 'M'    /* + name: the meta keys below */
#define CS_KEY_ENTRY 'E'   /* + hash[32]: an entry */
#define CS_KEY_MAIN 'H'    /* + height[4 BE]: the main chain's hash (and header) */
#define CS_KEY_BODY 'B'    /* + hash[32]: a body */
#define CS_KEY_TIP 'X'     /* + hash[32]: a chain tip */
#define CS_KEY_INVALID 'I' /* + hash[32]: an operator's invalid mark */
#define CS_KEY_TX 'T'      /* + txid[32] block[32]: the transaction index */

/* The meta keys (CS_KEY_META and a name), each with its length. */
#define CS_META_SCHEMA "Mschema"
#define CS_META_NETWORK "Mnetwork"
#define CS_META_GENESIS "Mgenesis"
#define CS_META_POW_LIMIT "Mpowlimit"
#define CS_META_MAGIC "Mmagic"
#define CS_META_TIP "Mtip"
#define CS_META_RULES "Mrules"
#define CS_META_CHECKPOINT "Mcheckpoint"
#define CS_META_LEN(name) (sizeof(name) - 1)

#endif
