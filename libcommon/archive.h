/*
 * archive.h - cs-prune's archive: a file that entries are appended to, as
 * a CBOR sequence (cs(7)), before the store drops them, and that cs-put
 * replays.
 *
 * Crash safety: records are appended after whole ones only. Opening an
 * existing archive cuts off a record that a killed run left torn at its
 * end (appended after it, every later record would be unreadable to
 * cs-put); bytes that are not records (the file held something else first)
 * are left as they are. cs_archive_sync makes what was appended durable:
 * the file, and its directory when this open created the file. When a
 * write or a sync fails, the file is cut back to what was last synced, so
 * that no half record is left behind.
 *
 * Contract: functions return 0 or an enum cs_exit code and fill err: the
 * archive's own failures are CS_EX_CANTCREAT, naming it. Nothing here
 * prints. Writing and syncing block on the disk; the caller lets go of the
 * store first when that may take long. cs_archive_close is to be called
 * on every archive that cs_archive_init set up, opened or not.
 */
#ifndef CS_ARCHIVE_H
#define CS_ARCHIVE_H

#include "error.h"
#include "output.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cs_archive {
	const char *path;  /* borrowed */
	int fd;            /* -1 when not open */
	bool created;      /* by this open: its directory is synced at the first sync */
	bool pending;      /* written since the last sync */
	off_t synced;      /* the file's size when last synced: a failure cuts it back to it */
	struct cs_out buf; /* records not written yet: write entries into it */
	/* what opening cut off: a torn record's bytes, and the offset it
	 * started at (cut_bytes 0 when none) */
	uint64_t cut_bytes, cut_at;
};

void cs_archive_init(struct cs_archive *a);
/* Opens path for appending, creating it when missing; cuts a torn last
 * record (see above). Not a regular file: CS_EX_CANTCREAT. */
int cs_archive_open(struct cs_archive *a, const char *path, struct cs_error *err);
/* Whether the records buffered make a chunk worth writing out now. */
bool cs_archive_full(const struct cs_archive *a);
/* Writes the buffered records to the file (not synced). */
int cs_archive_flush(struct cs_archive *a, struct cs_error *err);
/* Whether records were buffered or written since the last sync. */
bool cs_archive_unsynced(const struct cs_archive *a);
/* Flushes, then syncs the file (and its directory once, when created). */
int cs_archive_sync(struct cs_archive *a, struct cs_error *err);
/* Closes the file: a failure to close is an error. */
int cs_archive_close(struct cs_archive *a, struct cs_error *err);

/* The length of the whole records at the start of the archive at path:
 * less than its size when a run was killed while it wrote one (a torn
 * tail: the last item cut short). A file that holds something else than
 * records (a malformed item not cut short by its end) has no torn tail:
 * UINT64_MAX. */
int cs_archive_whole(const char *path, uint64_t *whole, struct cs_error *err);

#endif
