/*
 * writer.h - entries (and tips) in every output format of SPEC §2.
 *
 * CBOR entries match the CDDL of SPEC §2 byte for byte (preferred integer
 * encoding, chainwork as tag 2); json, text, hex and raw as cs(7) says.
 * Writing appends to a struct cs_out and cannot fail.
 */
#ifndef CS_WRITER_H
#define CS_WRITER_H

#include "entry.h"
#include "format.h"
#include "output.h"

#include <stdbool.h>

struct cs_print {
	enum cs_format format;
	bool opaque;     /* print prev and work too */
	bool with_body;  /* print e->body when set */
	long branchlen;  /* >= 0: a chain tip, with its branch length */
};

void cs_write_entry(struct cs_out *out, const struct cs_print *how, const struct cs_entry *e);

#endif
