/*
 * cs-prune - drop the main-chain bodies and the fork branches that are no
 * longer needed, optionally archiving them first, then compact the freed
 * key ranges. Main-chain headers are never dropped.
 */
#include "cli.h"
#include "exit.h"
#include "hex.h"
#include "output.h"
#include "prune.h"
#include "store.h"
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "[-qv] [-s DIR] [-w SECONDS] [-f FORMAT] [--keep-bodies N [--force]] [--forks N] "
    "[--archive FILE] [--dry-run]";

enum { OPT_ARCHIVE = 256, OPT_DRY_RUN, OPT_FORCE, OPT_FORKS, OPT_KEEP_BODIES };

static const char options_text[] =
    "  --keep-bodies N       drop main-chain bodies more than N below the tip\n"
    "  --force               allow --keep-bodies below 288\n"
    "  --forks N             drop forks whose fork point is more than N below the tip\n"
    "  --archive FILE        first append what goes to FILE as CBOR, and sync it\n"
    "  --dry-run             print what would go (in -f format); change nothing\n"
    "  -f, --format FORMAT   --dry-run output: cbor, json, text, hex or raw\n";

static const struct option long_options[] = {
	{ "archive", required_argument, NULL, OPT_ARCHIVE },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "forks", required_argument, NULL, OPT_FORKS },
	{ "format", required_argument, NULL, 'f' },
	{ "keep-bodies", required_argument, NULL, OPT_KEEP_BODIES },
	CS_COMMON_LONG_OPTIONS,
};

/* As cs-put: let go after a commit when another command waits, and in any
 * case after holding the store this long. */
#define HOLD_MS 2000

struct archive {
	const char *path;
	int fd;
	bool created;
	off_t synced;       /* its size when last synced: a failure goes back to it */
	struct cs_out buf;  /* records not written yet */
	bool pending;       /* written since the last sync */
};

struct prune_cmd {
	struct cs_cli cli;
	struct cs_store store;
	struct cs_prune prune;
	struct cs_out out; /* --dry-run's records */
	struct archive archive;
	bool archiving, dry_run;
	uint8_t fingerprint[32]; /* of the store when last let go */
	bool replanned;          /* forks were planned again since cleared */
};

/* Takes the store if it was let go; when another command changed the
 * chain meanwhile, plans the forks again (bodies are checked one by one
 * when dropped). */
static int
hold(struct prune_cmd *c, struct cs_error *err)
{
	uint8_t now[32];
	int rc;

	if (cs_store_held(&c->store))
		return 0;
	if ((rc = cs_store_acquire(&c->store, err)) != 0 || (rc = cs_prune_fingerprint(&c->store, now, err)) != 0)
		return rc;
	if (memcmp(now, c->fingerprint, 32) == 0)
		return 0;
	memcpy(c->fingerprint, now, 32);
	c->replanned = true;
	return cs_prune_replan_forks(&c->prune, err);
}

/* Between batches (nothing uncommitted): lets go when another command
 * waits or the store was held long enough, and gives the waiters a chance. */
static int
maybe_let_go(struct prune_cmd *c, struct cs_error *err)
{
	int rc;

	if (cs_store_held_ms(&c->store) < HOLD_MS && !cs_lock_wanted(&c->store.lock))
		return 0;
	/* closing would drop an error of LevelDB's background thread */
	if ((rc = cs_store_check_background(&c->store, err)) != 0 ||
	    (rc = cs_prune_fingerprint(&c->store, c->fingerprint, err)) != 0)
		return rc;
	cs_store_release(&c->store);
	sched_yield();
	for (int i = 0; i < 1000 && cs_lock_wanted(&c->store.lock); i++)
		usleep(1000);
	return 0;
}

/* Between chunks of planning. */
static int
pause_planning(void *ctx, struct cs_error *err)
{
	struct prune_cmd *c = ctx;
	int rc;

	if ((rc = maybe_let_go(c, err)) != 0)
		return rc;
	return hold(c, err);
}

static int
archive_failed(struct prune_cmd *c, const char *what, int saved_errno, struct cs_error *err)
{
	/* Back to what was last synced: no half record is left behind. */
	if (ftruncate(c->archive.fd, c->archive.synced) == 0)
		c->archive.buf.len = 0;
	return cs_error_set(err, CS_EX_CANTCREAT, "cannot %s archive '%s': %s", what, c->archive.path,
	    strerror(saved_errno));
}

/* Whether the item at offset starts as an entry does: a CBOR map. Bytes
 * of another kind the file held before are not ours to cut. */
static bool
torn_entry(int fd, uint64_t offset)
{
	uint8_t head;

	return pread(fd, &head, 1, (off_t)offset) == 1 && head >= 0xa0 && head <= 0xbb;
}

static int
archive_open(struct prune_cmd *c, struct cs_error *err)
{
	struct archive *a = &c->archive;
	struct stat st;

	a->fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	a->created = a->fd >= 0;
	if (a->fd < 0 && errno == EEXIST)
		a->fd = open(a->path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (a->fd < 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create archive '%s': %s", a->path, strerror(errno));
	if (fstat(a->fd, &st) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create archive '%s': %s", a->path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create archive '%s': not a regular file", a->path);
	if (!a->created && st.st_size > 0) {
		uint64_t whole;
		int rc = cs_prune_archive_whole(a->path, &whole, err);

		if (rc != 0)
			return cs_error_prefix(err, "archive '%s': ", a->path), rc;
		if (whole < (uint64_t)st.st_size && torn_entry(a->fd, whole)) {
			/* A run killed while writing: appended after it, every
			 * record would be unreadable to cs-put. */
			if (ftruncate(a->fd, (off_t)whole) != 0 || fsync(a->fd) != 0)
				return cs_error_set(err, CS_EX_CANTCREAT, "cannot cut archive '%s': %s", a->path,
				    strerror(errno));
			cs_warn(&c->cli, "archive '%s': cut %llu bytes of a record left torn at byte %llu", a->path,
			    (unsigned long long)(st.st_size - (off_t)whole), (unsigned long long)whole);
			st.st_size = (off_t)whole;
		}
	}
	a->synced = st.st_size;
	cs_out_init(&a->buf, a->fd);
	return 0;
}

static int
archive_flush(struct prune_cmd *c, struct cs_error *err)
{
	struct archive *a = &c->archive;
	size_t done = 0;

	if (a->buf.nomem)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory for the archive");
	while (done < a->buf.len) {
		ssize_t n = write(a->fd, a->buf.buf + done, a->buf.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return archive_failed(c, "write", errno, err);
		done += (size_t)n;
		a->pending = true;
	}
	a->buf.len = 0;
	return 0;
}

/* The archive, and its directory when it was created, reach the disk
 * before anything it holds is deleted. */
static int
archive_sync(struct prune_cmd *c, struct cs_error *err)
{
	struct archive *a = &c->archive;
	struct stat st;
	int rc;

	if ((rc = archive_flush(c, err)) != 0)
		return rc;
	if (!a->pending)
		return 0;
	/* Syncing a large archive takes a while: not while holding the store
	 * (hold() takes it again, and sees what changed meanwhile). */
	if (cs_store_held(&c->store)) {
		if ((rc = cs_prune_fingerprint(&c->store, c->fingerprint, err)) != 0)
			return rc;
		cs_store_release(&c->store);
	}
	if (fsync(a->fd) != 0 || fstat(a->fd, &st) != 0)
		return archive_failed(c, "sync", errno, err);
	if (a->created) {
		char *copy = strdup(a->path);
		int dir = copy != NULL ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

		free(copy);
		if (dir < 0 || fsync(dir) != 0) {
			int saved_errno = errno;

			if (dir >= 0)
				close(dir);
			return archive_failed(c, "sync the directory of", saved_errno, err);
		}
		close(dir);
		a->created = false;
	}
	a->synced = st.st_size;
	a->pending = false;
	return 0;
}

/* Appends the entry to the archive, with its body when it has one, or
 * without to standard output for --dry-run. *written: whether it was
 * written; an entry gone meanwhile is not, nor one whose body was to be
 * archived (need_body) and is gone. */
static int
print_entry(struct prune_cmd *c, const uint8_t hash[32], bool need_body, bool *written, struct cs_error *err)
{
	struct cs_print how = { .format = CS_FORMAT_CBOR, .opaque = c->store.meta.opaque, .branchlen = -1 };
	struct cs_chain_view view;
	char *owned, *body = NULL;
	struct cs_entry e;
	size_t len;
	int rc;

	*written = false;
	rc = cs_store_get_entry(&c->store, hash, &e, &owned, err);
	if (rc == CS_EX_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (c->dry_run) {
		how.format = cs_cli_output_format(&c->cli);
		cs_chain_view_init(&view, &c->store);
		how.view = &view;
		if ((rc = cs_write_entry(&c->out, &how, &e, err)) != 0)
			goto out;
		*written = true;
		goto out;
	}
	rc = cs_store_get_body(&c->store, hash, &body, &len, err);
	if (rc == CS_EX_NOTFOUND) {
		rc = 0;
		if (need_body)
			goto out;
	} else if (rc != 0) {
		goto out;
	} else {
		e.body = (const uint8_t *)body;
		e.body_len = len;
	}
	how.with_body = true;
	cs_write_entry(&c->archive.buf, &how, &e, NULL);
	*written = true;
out:
	cs_store_free(body);
	cs_store_free(owned);
	return rc;
}

/* Archives the planned bodies (when bodies is set) and fork entries not
 * archived yet, and syncs the archive. */
static int
archive_pending(struct prune_cmd *c, bool bodies, struct cs_error *err)
{
	struct cs_prune *p = &c->prune;
	bool written;
	int rc;

	for (size_t i = 0; bodies && i < p->body_count; i++) {
		if (p->bodies[i].archived)
			continue;
		if ((rc = hold(c, err)) != 0 || (rc = print_entry(c, p->bodies[i].hash, true, &written, err)) != 0)
			return rc;
		p->bodies[i].archived = written;
		if (cs_out_full(&c->archive.buf) &&
		    ((rc = archive_flush(c, err)) != 0 || (rc = maybe_let_go(c, err)) != 0))
			return rc;
	}
again:
	c->replanned = false;
	for (size_t i = 0; i < p->fork_count; i++) {
		if (!p->forks[i].drop || p->forks[i].archived)
			continue;
		if ((rc = hold(c, err)) != 0)
			return rc;
		if (c->replanned)
			goto again;
		if ((rc = print_entry(c, p->forks[i].hash, false, &written, err)) != 0)
			return rc;
		if (written && (rc = cs_prune_mark_archived(p, i, err)) != 0)
			return rc;
		if (cs_out_full(&c->archive.buf) &&
		    ((rc = archive_flush(c, err)) != 0 || (rc = maybe_let_go(c, err)) != 0))
			return rc;
	}
	return archive_sync(c, err);
}

static int
commit(struct prune_cmd *c, struct cs_error *err)
{
	int rc;

	if ((rc = cs_prune_commit(&c->prune, err)) != 0)
		return rc;
	return maybe_let_go(c, err);
}

static int
drop_bodies(struct prune_cmd *c, struct cs_error *err)
{
	struct cs_prune *p = &c->prune;
	bool dropped;
	int rc;

	for (size_t i = 0; i < p->body_count; i++) {
		if (c->archiving && !p->bodies[i].archived)
			continue; /* gone before it could be archived */
		if ((rc = hold(c, err)) != 0 || (rc = cs_prune_drop_body(p, i, &dropped, err)) != 0)
			return rc;
		if (cs_prune_batch_full(p) && (rc = commit(c, err)) != 0)
			return rc;
	}
	return cs_prune_commit(p, err);
}

/* Children first, so that every commit leaves the branches linked. When
 * another command changed the chain while we let go, the forks were
 * planned again: archive what is new, and start over from the new plan. */
static int
drop_forks(struct prune_cmd *c, struct cs_error *err)
{
	struct cs_prune *p = &c->prune;
	bool dropped;
	int rc;

again:
	if ((rc = hold(c, err)) != 0)
		return rc;
	if (c->archiving && (rc = archive_pending(c, false, err)) != 0)
		return rc;
	c->replanned = false;
	for (size_t i = p->fork_count; i-- > 0;) {
		if ((rc = hold(c, err)) != 0)
			return rc;
		if (c->replanned)
			goto again;
		if (!p->forks[i].drop)
			continue;
		if ((rc = cs_prune_drop_fork(p, i, &dropped, err)) != 0)
			return rc;
		if (cs_prune_batch_full(p) && (rc = commit(c, err)) != 0)
			return rc;
	}
	return cs_prune_commit(p, err);
}

static int
compact(struct prune_cmd *c, struct cs_error *err)
{
	size_t cursor = 0;
	int rc;

	for (;;) {
		if ((rc = hold(c, err)) != 0)
			return rc;
		if (!cs_prune_compact_next(&c->prune, &cursor))
			return 0;
		if ((rc = cs_store_check_background(&c->store, err)) != 0 || (rc = maybe_let_go(c, err)) != 0)
			return rc;
	}
}

static int
dry_run(struct prune_cmd *c, struct cs_error *err)
{
	struct cs_prune *p = &c->prune;
	bool written;
	int rc = 0;

	for (size_t i = 0; i < p->body_count + p->fork_count && !c->out.closed; i++) {
		bool body = i < p->body_count;
		const uint8_t *hash = body ? p->bodies[i].hash : p->forks[i - p->body_count].hash;

		if (!body && !p->forks[i - p->body_count].drop)
			continue;
		if ((rc = cs_store_acquire(&c->store, err)) != 0 || (rc = print_entry(c, hash, false, &written, err)) != 0 ||
		    (rc = cs_out_drain(&c->out, &c->store, false, err)) != 0)
			break;
	}
	return rc;
}

/* Plans, then prints (--dry-run), or archives, drops and compacts. */
static int
run(struct prune_cmd *c, struct cs_error *err)
{
	int rc;

	if ((rc = cs_prune_plan(&c->prune, err)) != 0 ||
	    (rc = cs_prune_fingerprint(&c->store, c->fingerprint, err)) != 0)
		return rc;
	if (c->dry_run)
		return dry_run(c, err);
	if (c->archiving && (rc = archive_pending(c, true, err)) != 0)
		return rc;
	if ((rc = drop_bodies(c, err)) != 0 || (rc = drop_forks(c, err)) != 0)
		return rc;
	return compact(c, err);
}

static void
report(struct prune_cmd *c, uint64_t before, uint64_t after)
{
	const struct cs_prune_stats *s = &c->prune.stats;

	if (c->dry_run) {
		cs_warn(&c->cli, "dry run: would drop %zu bodies and %zu fork entries; %llu bytes on disk",
		    c->prune.body_count, c->prune.fork_drops, (unsigned long long)before);
		return;
	}
	cs_warn(&c->cli,
	    "dropped %llu bodies and %llu fork entries (%llu with a body), unindexed %llu transactions; "
	    "%llu bytes on disk before, %llu after",
	    (unsigned long long)s->bodies, (unsigned long long)s->fork_entries, (unsigned long long)s->fork_bodies,
	    (unsigned long long)s->transactions, (unsigned long long)before, (unsigned long long)after);
}

int
main(int argc, char *argv[])
{
	static struct prune_cmd c;
	uint32_t keep_bodies = 0, keep_forks = 0;
	bool bodies = false, forks = false, force = false;
	uint64_t before = 0, after = 0;
	struct cs_error err;
	int opt, rc;

	cs_leveldb_without_mmap(); /* before any store is opened (store.h) */
	cs_cli_init(&c.cli, "cs-prune", usage_text, CS_FORMATS_OUTPUT);
	cs_cli_set_options(&c.cli, options_text);
	while ((opt = cs_cli_getopt(&c.cli, argc, argv, "f:" CS_COMMON_SHORT_OPTIONS, long_options)) != -1) {
		switch (opt) {
		case OPT_ARCHIVE:
			if (optarg[0] == '\0')
				cs_cli_usage_error(&c.cli, "--archive needs a file name");
			c.archive.path = optarg;
			break;
		case OPT_DRY_RUN:
			c.dry_run = true;
			break;
		case OPT_FORCE:
			force = true;
			break;
		case OPT_FORKS:
			if (cs_parse_u32(optarg, &keep_forks) != 0)
				cs_cli_usage_error(&c.cli, "bad --forks '%s': expected a number of blocks", optarg);
			forks = true;
			break;
		case OPT_KEEP_BODIES:
			if (cs_parse_u32(optarg, &keep_bodies) != 0)
				cs_cli_usage_error(&c.cli, "bad --keep-bodies '%s': expected a number of blocks", optarg);
			bodies = true;
			break;
		default:
			cs_cli_option(&c.cli, opt, optarg);
			break;
		}
	}
	if (optind != argc)
		cs_cli_usage_error(&c.cli, "unexpected argument '%s'", argv[optind]);
	if (!bodies && !forks)
		cs_cli_usage_error(&c.cli, "nothing to prune: give --keep-bodies or --forks");
	if (bodies && keep_bodies < CS_PRUNE_MIN_KEEP && !force)
		cs_cli_usage_error(&c.cli,
		    "--keep-bodies %u is below %d (Bitcoin Core's MIN_BLOCKS_TO_KEEP): add --force to go below",
		    keep_bodies, CS_PRUNE_MIN_KEEP);
	c.archiving = c.archive.path != NULL && !c.dry_run;
	c.archive.fd = -1;
	cs_out_init(&c.out, 1);
	cs_error_clear(&err);

	if ((rc = cs_store_open(&c.store, cs_store_path(c.cli.store), c.cli.prog, c.cli.wait, &err)) != 0)
		goto out;
	if (c.archiving && (rc = archive_open(&c, &err)) != 0)
		goto out;
	if (c.cli.quiet)
		c.cli.verbose = 0;
	if (c.cli.verbose && (rc = cs_prune_disk_bytes(&c.store, &before, &err)) != 0)
		goto out;
	if ((rc = cs_prune_init(&c.prune, &c.store, &err)) != 0)
		goto out;
	c.prune.bodies_on = bodies;
	c.prune.keep_bodies = keep_bodies;
	c.prune.forks_on = forks;
	c.prune.keep_forks = keep_forks;
	c.prune.pause = pause_planning;
	c.prune.pause_ctx = &c;
	rc = run(&c, &err);
	if (rc == 0 && c.cli.verbose && !c.dry_run && (rc = cs_store_acquire(&c.store, &err)) == 0)
		rc = cs_prune_disk_bytes(&c.store, &after, &err);
out:
	cs_store_close(&c.store);
	if (c.archive.fd >= 0) {
		cs_out_free(&c.archive.buf);
		if (close(c.archive.fd) != 0 && rc == 0)
			rc = cs_error_set(&err, CS_EX_CANTCREAT, "cannot write archive '%s': %s", c.archive.path,
			    strerror(errno));
	}
	if (rc == 0 && c.cli.verbose)
		report(&c, before, after);
	cs_prune_free(&c.prune);
	if (rc == 0)
		rc = cs_out_finish(&c.out, &err);
	else
		cs_out_finish(&c.out, NULL);
	return rc != 0 ? cs_fail(&c.cli, &err) : 0;
}
