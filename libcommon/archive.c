#include "archive.h"

#include "fs.h"
#include "exit.h"
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
cs_archive_init(struct cs_archive *a)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
}

/* Back to what was last synced: no half record is left behind. */
static int
failed(struct cs_archive *a, const char *what, int saved_errno, struct cs_error *err)
{
	if (ftruncate(a->fd, a->synced) == 0)
		a->buf.len = 0;
	return cs_error_set(err, CS_EX_CANTCREAT, "cannot %s archive '%s': %s", what, a->path, strerror(saved_errno));
}

/* Whether the item at offset starts as an entry does: a CBOR map. Bytes
 * of another kind the file held before are not ours to cut. */
static bool
torn_entry(int fd, uint64_t offset)
{
	uint8_t head;

	return pread(fd, &head, 1, (off_t)offset) == 1 && head >= 0xa0 && head <= 0xbb;
}

int
cs_archive_open(struct cs_archive *a, const char *path, struct cs_error *err)
{
	struct stat st;

	a->path = path;
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	a->created = a->fd >= 0;
	if (a->fd < 0 && errno == EEXIST)
		a->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (a->fd < 0 || fstat(a->fd, &st) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create archive '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create archive '%s': not a regular file", path);
	if (!a->created && st.st_size > 0) {
		uint64_t whole;
		int rc = cs_archive_whole(path, &whole, err);

		if (rc != 0)
			return cs_error_prefix(err, "archive '%s': ", path), rc;
		if (whole < (uint64_t)st.st_size && torn_entry(a->fd, whole)) {
			if (ftruncate(a->fd, (off_t)whole) != 0 || fsync(a->fd) != 0)
				return cs_error_set(err, CS_EX_CANTCREAT, "cannot cut archive '%s': %s", path,
				    strerror(errno));
			a->cut_bytes = (uint64_t)st.st_size - whole;
			a->cut_at = whole;
			st.st_size = (off_t)whole;
		}
	}
	a->synced = st.st_size;
	cs_out_init(&a->buf, a->fd);
	return 0;
}

bool
cs_archive_full(const struct cs_archive *a)
{
	return cs_out_full(&a->buf);
}

int
cs_archive_flush(struct cs_archive *a, struct cs_error *err)
{
	if (a->buf.nomem)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory for the archive");
	if (a->buf.len > 0) {
		a->pending = true;
		if (cs_fs_write_all(a->fd, a->buf.buf, a->buf.len) != 0)
			return failed(a, "write", errno, err);
	}
	a->buf.len = 0;
	return 0;
}

bool
cs_archive_unsynced(const struct cs_archive *a)
{
	return a->pending || a->buf.len > 0;
}

int
cs_archive_sync(struct cs_archive *a, struct cs_error *err)
{
	char parent[CS_FS_PATH_MAX], name[CS_FS_PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = cs_archive_flush(a, err)) != 0)
		return rc;
	if (!a->pending)
		return 0;
	if (fsync(a->fd) != 0 || fstat(a->fd, &st) != 0)
		return failed(a, "sync", errno, err);
	if (a->created) {
		if (cs_fs_split_path(a->path, parent, sizeof(parent), name, sizeof(name)) != 0)
			return failed(a, "sync the directory of", ENAMETOOLONG, err);
		if ((rc = cs_fs_sync_dir(parent, err)) != 0) {
			if (ftruncate(a->fd, a->synced) == 0)
				a->buf.len = 0;
			err->code = CS_EX_CANTCREAT;
			return cs_error_prefix(err, "archive '%s': ", a->path), CS_EX_CANTCREAT;
		}
		a->created = false;
	}
	a->synced = st.st_size;
	a->pending = false;
	return 0;
}

int
cs_archive_close(struct cs_archive *a, struct cs_error *err)
{
	int rc = 0;

	if (a->fd >= 0) {
		cs_out_free(&a->buf);
		if (close(a->fd) != 0)
			rc = cs_error_set(err, CS_EX_CANTCREAT, "cannot write archive '%s': %s", a->path, strerror(errno));
	}
	a->fd = -1;
	return rc;
}

int
cs_archive_whole(const char *path, uint64_t *whole, struct cs_error *err)
{
	struct cs_reader r;
	struct cs_record rec;
	enum cs_read st;
	int rc;

	*whole = 0;
	memset(&r, 0, sizeof(r));
	if ((rc = cs_reader_open(&r, path, CS_FORMAT_CBOR, NULL, err)) != 0)
		return rc;
	while ((st = cs_reader_next(&r, &rec, true, err)) == CS_READ_RECORD)
		*whole = cs_input_offset(&r.in);
	/* Only an item cut short by the end of the file is torn. A file
	 * that holds something else (it was not ours first) is left whole. */
	if (st == CS_READ_ERROR && err->code == CS_EX_DATAERR) {
		if (!r.in.eof || strstr(err->message, "truncated item") == NULL)
			*whole = UINT64_MAX;
		st = CS_READ_END;
	}
	rc = st == CS_READ_END ? 0 : err->code;
	cs_reader_close(&r);
	return rc;
}
