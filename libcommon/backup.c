#include "backup.h"

#include "exit.h"
#include "lock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COPY_CHUNK (1 << 20)

enum file_kind { FILE_SKIP, FILE_LINK, FILE_COPY };

/* What a copy does with each file of a LevelDB directory. */
static enum file_kind
classify(const char *name)
{
	size_t n = strlen(name);

	if (strcmp(name, "LOCK") == 0 || strcmp(name, "LOG") == 0 || strcmp(name, "LOG.old") == 0)
		return FILE_SKIP;
	if (n > 6 && strcmp(name + n - 6, ".dbtmp") == 0)
		return FILE_SKIP;
	if ((n > 4 && strcmp(name + n - 4, ".ldb") == 0) || (n > 4 && strcmp(name + n - 4, ".sst") == 0))
		return FILE_LINK;
	/* CURRENT, MANIFEST-*, *.log, and whatever else a LevelDB keeps there */
	return FILE_COPY;
}

static int
join(char *out, size_t len, const char *dir, const char *name)
{
	return (size_t)snprintf(out, len, "%s/%s", dir, name) < len ? 0 : -1;
}

static long
elapsed_us(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000000 + (now.tv_nsec - since->tv_nsec) / 1000;
}

int
cs_backup_copy_file(const char *from, const char *to, uint64_t *bytes, bool sync, struct cs_error *err)
{
	static uint8_t *buf;
	int in, out, rc = 0;

	if (buf == NULL && (buf = malloc(COPY_CHUNK)) == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0)
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", from, strerror(errno));
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		rc = cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': %s", to, strerror(errno));
		close(in);
		return rc;
	}
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK), done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cs_error_set(err, CS_EX_IOERR, "cannot read '%s': %s", from, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		while (done < n) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rc = cs_error_set(err, CS_EX_IOERR, "cannot write '%s': %s", to, strerror(errno));
				break;
			}
			done += w;
		}
		if (rc != 0)
			break;
		if (bytes != NULL)
			*bytes += (uint64_t)n;
	}
	if (rc == 0 && sync && fsync(out) != 0)
		rc = cs_error_set(err, CS_EX_IOERR, "cannot sync '%s': %s", to, strerror(errno));
	if (close(out) != 0 && rc == 0)
		rc = cs_error_set(err, CS_EX_IOERR, "cannot write '%s': %s", to, strerror(errno));
	close(in);
	return rc;
}

static int
sync_path(const char *path, int flags, struct cs_error *err)
{
	int fd = open(path, flags | O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", path, strerror(errno));
	if (fsync(fd) != 0)
		rc = cs_error_set(err, CS_EX_IOERR, "cannot sync '%s': %s", path, strerror(errno));
	close(fd);
	return rc;
}

int
cs_backup_sync_dir(const char *dir, struct cs_error *err)
{
	return sync_path(dir, O_DIRECTORY, err);
}

int
cs_backup_sync_store(const char *dir, struct cs_error *err)
{
	char db[CS_BACKUP_PATH_MAX], path[CS_BACKUP_PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (join(db, sizeof(db), dir, "db") != 0)
		return cs_error_set(err, CS_EX_USAGE, "path '%s' is too long", dir);
	if ((d = opendir(db)) == NULL)
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", db, strerror(errno));
	/* Hard-linked tables are clean already (LevelDB syncs a table before
	 * it uses it): syncing them again costs next to nothing. */
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || join(path, sizeof(path), db, de->d_name) != 0)
			continue;
		rc = sync_path(path, 0, err);
	}
	closedir(d);
	if (rc == 0 && join(path, sizeof(path), dir, "lock") == 0 && access(path, F_OK) == 0)
		rc = sync_path(path, O_NOFOLLOW, err);
	if (rc == 0)
		rc = cs_backup_sync_dir(db, err);
	if (rc == 0)
		rc = cs_backup_sync_dir(dir, err);
	return rc;
}

/* "<pid>-<host>-" for this process; the host keeps a directory shared over
 * NFS from being cleaned by another machine. */
static void
owner_tag(char *out, size_t len, long pid)
{
	char host[65] = "";

	if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	for (char *p = host; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.'))
			*p = '_';
	}
	snprintf(out, len, "%ld-%s-", pid, host);
}

int
cs_backup_temp_dir(const char *parent, const char *prefix, char *out, size_t len, struct cs_error *err)
{
	char tag[128];
	mode_t mask;

	owner_tag(tag, sizeof(tag), (long)getpid());
	if ((size_t)snprintf(out, len, "%s/%s%sXXXXXX", parent, prefix, tag) >= len)
		return cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", parent);
	if (mkdtemp(out) == NULL)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create a directory in '%s': %s", parent,
		    strerror(errno));
	/* mkdtemp makes it 0700; a store or backup gets what mkdir(1) gives. */
	mask = umask(0);
	umask(mask);
	chmod(out, 0777 & ~mask);
	return 0;
}

/* Removes path and what is under it, holding one directory open at a
 * time: a directory's names are read and it is closed before any of them
 * is removed, so that a process short of file descriptors (a cs-init that
 * failed for want of them) still cleans up. -1 with errno on failure. */
static int
remove_path(const char *path)
{
	char child[CS_BACKUP_PATH_MAX], *names = NULL, *grown;
	size_t used = 0, cap = 0, n;
	struct dirent *de;
	struct stat st;
	int rc = 0, saved;
	DIR *d;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n = strlen(de->d_name) + 1;
		if (used + n > cap) {
			cap = (used + n) * 2;
			if ((grown = realloc(names, cap)) == NULL) {
				rc = -1;
				break;
			}
			names = grown;
		}
		memcpy(names + used, de->d_name, n);
		used += n;
	}
	saved = errno;
	closedir(d);
	for (size_t i = 0; rc == 0 && i < used; i += strlen(names + i) + 1) {
		if (join(child, sizeof(child), path, names + i) != 0) {
			saved = ENAMETOOLONG;
			rc = -1;
		} else if ((rc = remove_path(child)) != 0) {
			saved = errno;
		}
	}
	free(names);
	if (rc != 0) {
		errno = saved;
		return -1;
	}
	return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
}

int
cs_backup_remove_tree(const char *path, struct cs_error *err)
{
	if (remove_path(path) != 0)
		return cs_error_set(err, CS_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

void
cs_backup_remove_stale(const char *parent, const char *prefix)
{
	/* "." + "*": any hidden ".NAME.cs-backup-": what a backup to another
	 * name in parent left */
	bool any_name = strcmp(prefix, CS_BACKUP_HIDDEN_ANY) == 0;
	size_t plen = strlen(prefix);
	char path[CS_BACKUP_PATH_MAX], tag[128];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(parent)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *rest;
		char *end;
		long pid;

		if (any_name) {
			const char *mark = de->d_name[0] == '.' ? strstr(de->d_name + 1, ".cs-backup-") : NULL;

			if (mark == NULL)
				continue;
			rest = mark + strlen(".cs-backup-");
		} else if (strncmp(de->d_name, prefix, plen) != 0) {
			continue;
		} else {
			rest = de->d_name + plen;
		}
		pid = strtol(rest, &end, 10);
		if (end == rest || pid <= 0 || pid == (long)getpid())
			continue;
		owner_tag(tag, sizeof(tag), pid);
		if (strncmp(rest, tag, strlen(tag)) != 0 || strlen(rest + strlen(tag)) != 6)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (join(path, sizeof(path), parent, de->d_name) == 0)
			cs_backup_remove_tree(path, NULL);
	}
	closedir(d);
}

int
cs_backup_split_path(const char *path, char *parent, size_t parent_len, char *name, size_t name_len)
{
	char buf[CS_BACKUP_PATH_MAX];
	size_t n;
	char *slash;

	if ((n = strlen(path)) == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL) {
		snprintf(parent, parent_len, ".");
		slash = buf - 1;
	} else if (slash == buf) {
		snprintf(parent, parent_len, "/");
	} else {
		*slash = '\0';
		if ((size_t)snprintf(parent, parent_len, "%s", buf) >= parent_len)
			return -1;
	}
	if (slash[1] == '\0' || strcmp(slash + 1, ".") == 0 || strcmp(slash + 1, "..") == 0)
		return -1;
	return (size_t)snprintf(name, name_len, "%s", slash + 1) < name_len ? 0 : -1;
}

int
cs_backup_rename_noreplace(const char *from, const char *to, bool *existed, struct cs_error *err)
{
	struct stat st;

	*existed = false;
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EINVAL || errno == ENOSYS) {
		/* A file system without RENAME_NOREPLACE: check, then rename
		 * (rename(2) would replace an empty directory only). */
		if (lstat(to, &st) == 0)
			errno = EEXIST;
		else if (rename(from, to) == 0)
			return 0;
	}
	if (errno == EEXIST || errno == ENOTEMPTY) {
		*existed = true;
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': it exists", to);
	}
	return cs_error_set(err, CS_EX_CANTCREAT, "cannot rename '%s' to '%s': %s", from, to, strerror(errno));
}

int
cs_backup_exchange(const char *a, const char *b, struct cs_error *err)
{
	char aside[CS_BACKUP_PATH_MAX];

	if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot exchange '%s' and '%s': %s", a, b, strerror(errno));
	/* No RENAME_EXCHANGE here: b aside, a to b, the old one to a. */
	if ((size_t)snprintf(aside, sizeof(aside), "%s.old", a) >= sizeof(aside))
		return cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", a);
	if (rename(b, aside) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot rename '%s': %s", b, strerror(errno));
	if (rename(a, b) != 0) {
		int saved = errno;

		if (rename(aside, b) != 0) {
			/* leave it where it is; the message names it */
		}
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot rename '%s' to '%s': %s", a, b, strerror(saved));
	}
	if (rename(aside, a) != 0)
		return cs_error_set(err, CS_EX_IOERR, "cannot rename '%s' to '%s': %s", aside, a, strerror(errno));
	return 0;
}

/*
 * Which tables are live. LevelDB's MANIFEST is a log (32 KiB blocks of
 * checksummed records, log_format.h) of VersionEdits (version_edit.cc);
 * replaying the edits gives the tables the database uses. Only those are
 * hard-linked into a copy: a table file that is not live, such as the output
 * of a compaction cut short when a command closed the database, has a number
 * at or above the MANIFEST's next file number, which LevelDB gives out again
 * and then rewrites in place (O_TRUNC) - through a hard link, that would
 * rewrite the other store's file. A live table's number is never given out
 * again, so its file never changes.
 */
#define LOG_BLOCK 32768
#define LOG_HEADER 7
#define MANIFEST_MAX (64u << 20)

struct live_table {
	int level;
	uint64_t number;
};

struct live {
	struct live_table *v;
	size_t n, cap;
};

static uint32_t crc_table[256];

static uint32_t
crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	if (crc_table[1] == 0) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
			crc_table[i] = c;
		}
	}
	crc = ~crc;
	while (n-- > 0)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift <= 63 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

static int
skip_slice(const uint8_t **p, const uint8_t *end)
{
	uint64_t len;

	if (varint(p, end, &len) != 0 || len > (uint64_t)(end - *p))
		return -1;
	*p += len;
	return 0;
}

static void
live_remove(struct live *l, int level, uint64_t number)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].level == level && l->v[i].number == number) {
			l->v[i] = l->v[--l->n];
			return;
		}
	}
}

static int
live_add(struct live *l, int level, uint64_t number)
{
	live_remove(l, level, number);
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct live_table *grown = realloc(l->v, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		l->v = grown;
		l->cap = cap;
	}
	l->v[l->n].level = level;
	l->v[l->n++].number = number;
	return 0;
}

static bool
live_has(const struct live *l, uint64_t number)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].number == number)
			return true;
	}
	return false;
}

/* Applies one VersionEdit; -1 on anything it does not know. */
static int
apply_edit(struct live *l, const uint8_t *p, const uint8_t *end)
{
	while (p < end) {
		uint64_t tag, level, number, v;

		if (varint(&p, end, &tag) != 0)
			return -1;
		switch (tag) {
		case 1: /* comparator */
			if (skip_slice(&p, end) != 0)
				return -1;
			break;
		case 2: /* log number */
		case 3: /* next file number */
		case 4: /* last sequence */
		case 9: /* previous log number */
			if (varint(&p, end, &v) != 0)
				return -1;
			break;
		case 5: /* compact pointer */
			if (varint(&p, end, &level) != 0 || skip_slice(&p, end) != 0)
				return -1;
			break;
		case 6: /* deleted file */
			if (varint(&p, end, &level) != 0 || varint(&p, end, &number) != 0 || level > 64)
				return -1;
			live_remove(l, (int)level, number);
			break;
		case 7: /* new file */
			if (varint(&p, end, &level) != 0 || varint(&p, end, &number) != 0 || varint(&p, end, &v) != 0 ||
			    skip_slice(&p, end) != 0 || skip_slice(&p, end) != 0 || level > 64 ||
			    live_add(l, (int)level, number) != 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Replays the log records of data; -1 when a record does not check out. */
static int
replay_manifest(struct live *l, const uint8_t *data, size_t len)
{
	uint8_t *record = NULL;
	size_t rlen = 0, rcap = 0, off = 0;
	bool in_record = false;
	int rc = 0;

	while (rc == 0 && off < len) {
		size_t left = LOG_BLOCK - off % LOG_BLOCK, n;
		const uint8_t *h = data + off;
		uint32_t crc;
		unsigned type;

		if (left < LOG_HEADER || len - off < LOG_HEADER) {
			off += left; /* a block's zero trailer, or the end */
			continue;
		}
		n = (size_t)h[4] | (size_t)h[5] << 8;
		type = h[6];
		if (type == 0 && n == 0) { /* preallocated: the rest of the block */
			off += left;
			continue;
		}
		if (n > left - LOG_HEADER || n > len - off - LOG_HEADER)
			break; /* a record cut short at the end: what LevelDB drops too */
		crc = crc32c(crc32c(0, &h[6], 1), h + LOG_HEADER, n);
		if (le32(h) != ((crc >> 15 | crc << 17) + 0xa282ead8u) || type < 1 || type > 4) {
			rc = -1;
			break;
		}
		if (type == 1 || type == 2) {
			rlen = 0;
			in_record = true;
		} else if (!in_record) {
			rc = -1;
			break;
		}
		if (rlen + n > rcap) {
			size_t cap = rcap ? rcap : 4096;
			uint8_t *grown;

			while (cap < rlen + n)
				cap *= 2;
			if ((grown = realloc(record, cap)) == NULL) {
				rc = -1;
				break;
			}
			record = grown;
			rcap = cap;
		}
		memcpy(record + rlen, h + LOG_HEADER, n);
		rlen += n;
		if (type == 1 || type == 4) {
			rc = apply_edit(l, record, record + rlen);
			in_record = false;
		}
		off += LOG_HEADER + n;
	}
	free(record);
	return rc;
}

/* The live tables of the database in dir, from CURRENT and the MANIFEST it
 * names; -1 when they cannot be told (the caller then links nothing). */
static int
read_live(const char *dir, struct live *l)
{
	char path[CS_BACKUP_PATH_MAX], current[128];
	uint8_t *data = NULL;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd, rc = -1;

	if (join(path, sizeof(path), dir, "CURRENT") != 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, current, sizeof(current) - 1);
	close(fd);
	if (n <= 0 || current[n - 1] != '\n')
		return -1;
	current[n - 1] = '\0';
	if (strncmp(current, "MANIFEST-", 9) != 0 || strspn(current + 9, "0123456789") != strlen(current + 9) ||
	    join(path, sizeof(path), dir, current) != 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= MANIFEST_MAX &&
	    (data = malloc((size_t)st.st_size)) != NULL) {
		while (got < (size_t)st.st_size && (n = read(fd, data + got, (size_t)st.st_size - got)) > 0)
			got += (size_t)n;
		if (got == (size_t)st.st_size)
			rc = replay_manifest(l, data, got);
	}
	close(fd);
	free(data);
	return rc;
}

/* The number of a table file's name (NNNNNN.ldb or .sst). */
static uint64_t
table_number(const char *name)
{
	return strtoull(name, NULL, 10);
}

/* Names of the files hard-linked into staging, to copy once let go. */
struct names {
	char **v;
	size_t n, cap;
};

static int
names_add(struct names *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **grown = realloc(l->v, cap * sizeof(*grown));

		if (grown == NULL)
			return -1;
		l->v = grown;
		l->cap = cap;
	}
	if ((l->v[l->n] = strdup(name)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void
names_free(struct names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* Hard links that cannot be made here: the file system has none or refuses
 * them (EXDEV is handled apart: there, staging helps). */
static bool
no_links(int e)
{
	return e == EPERM || e == EMLINK || e == EOPNOTSUPP || e == ENOSYS;
}

struct walk {
	const char *src, *dst;
	char srcdb[CS_BACKUP_PATH_MAX], dstdb[CS_BACKUP_PATH_MAX];
	char staging[CS_BACKUP_PATH_MAX]; /* "" until a table is staged */
	struct names staged;
	struct live live;
	bool live_known; /* false: no table is linked into the copy */
	struct cs_backup_copy *copy;
};

/* Hard-links from into the staging directory, made on first use. */
static int
stage(struct walk *w, const char *from, const char *name, bool *staged, struct cs_error *err)
{
	char path[CS_BACKUP_PATH_MAX];
	int rc;

	*staged = false;
	if (w->staging[0] == '\0' &&
	    (rc = cs_backup_temp_dir(w->src, "cs-backup-", w->staging, sizeof(w->staging), err)) != 0)
		return rc;
	if (join(path, sizeof(path), w->staging, name) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", w->staging);
	if (link(from, path) == 0) {
		if (names_add(&w->staged, name) != 0)
			return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
		*staged = true;
		return 0;
	}
	if (!no_links(errno))
		return cs_error_set(err, CS_EX_IOERR, "cannot link '%s' to '%s': %s", from, path, strerror(errno));
	return 0;
}

/* own: the file belongs to this process's user. */
static int
copy_one(struct walk *w, const char *name, bool own, struct cs_error *err)
{
	char from[CS_BACKUP_PATH_MAX], to[CS_BACKUP_PATH_MAX];
	struct cs_backup_stats *st = &w->copy->stats;
	enum file_kind kind = classify(name);
	bool staged;
	int rc;

	if (kind == FILE_SKIP)
		return 0;
	if (join(from, sizeof(from), w->srcdb, name) != 0 || join(to, sizeof(to), w->dstdb, name) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "path '%s/%s' is too long", w->dstdb, name);
	if (kind == FILE_LINK && w->live_known && !live_has(&w->live, table_number(name))) {
		st->dropped++; /* LevelDB would delete it at its next open */
		return 0;
	}
	st->files++;
	/* another user's table, linked, would stay theirs to change */
	if (kind == FILE_LINK && !own)
		kind = FILE_COPY;
	if (kind == FILE_LINK && w->live_known && w->staging[0] == '\0' && !w->copy->copy_tables) {
		if (link(from, to) == 0) {
			st->linked++;
			return 0;
		}
		if (errno != EXDEV && !no_links(errno))
			return cs_error_set(err, CS_EX_CANTCREAT, "cannot link '%s' to '%s': %s", from, to,
			    strerror(errno));
		if (errno != EXDEV || !w->copy->lock)
			kind = FILE_COPY;
	}
	/* Staged tables are copied once the lock is let go; copying from a
	 * link is safe whatever becomes of the file, so tables whose liveness
	 * is not known go this way too. */
	if (kind == FILE_LINK && w->copy->lock) {
		if ((rc = stage(w, from, name, &staged, err)) != 0)
			return rc;
		if (staged) {
			st->staged++;
			return 0;
		}
	}
	/* The mutable files, and tables where no hard link can be made. */
	st->copied++;
	return cs_backup_copy_file(from, to, &st->bytes, false, err);
}

/* The held part: list the database's files and link or copy each. */
static int
walk_db(struct walk *w, struct cs_error *err)
{
	struct dirent *de;
	struct stat sb;
	char path[CS_BACKUP_PATH_MAX];
	DIR *d;
	int rc = 0;

	if ((d = opendir(w->srcdb)) == NULL)
		return cs_error_set(err, errno == ENOENT ? CS_EX_NOINPUT : CS_EX_IOERR, "cannot open '%s': %s",
		    w->srcdb, strerror(errno));
	while (rc == 0) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = cs_error_set(err, CS_EX_IOERR, "cannot read '%s': %s", w->srcdb, strerror(errno));
			break;
		}
		if (de->d_name[0] == '.' || join(path, sizeof(path), w->srcdb, de->d_name) != 0)
			continue;
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		rc = copy_one(w, de->d_name, sb.st_uid == geteuid(), err);
	}
	closedir(d);
	return rc;
}

/* The let-go part: copy what was staged, removing it as it goes. */
static int
copy_staged(struct walk *w, struct cs_error *err)
{
	char from[CS_BACKUP_PATH_MAX], to[CS_BACKUP_PATH_MAX];
	int rc = 0;

	for (size_t i = 0; i < w->staged.n && rc == 0; i++) {
		if (join(from, sizeof(from), w->staging, w->staged.v[i]) != 0 ||
		    join(to, sizeof(to), w->dstdb, w->staged.v[i]) != 0)
			return cs_error_set(err, CS_EX_CANTCREAT, "path '%s' is too long", w->dstdb);
		rc = cs_backup_copy_file(from, to, &w->copy->stats.bytes, false, err);
		if (rc == 0)
			unlink(from);
	}
	return rc;
}

int
cs_backup_copy_store(const char *src, const char *dst, struct cs_backup_copy *copy, struct cs_error *err)
{
	static struct walk w; /* its paths are large */
	char path[CS_BACKUP_PATH_MAX];
	struct timespec since;
	struct cs_lock lock;
	int fd, rc;

	memset(&w, 0, sizeof(w));
	memset(&copy->stats, 0, sizeof(copy->stats));
	w.src = src;
	w.dst = dst;
	w.copy = copy;
	if (join(w.srcdb, sizeof(w.srcdb), src, "db") != 0 || join(w.dstdb, sizeof(w.dstdb), dst, "db") != 0 ||
	    join(path, sizeof(path), dst, "lock") != 0)
		return cs_error_set(err, CS_EX_USAGE, "path '%s' or '%s' is too long", src, dst);
	if (mkdir(w.dstdb, 0777) != 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': %s", w.dstdb, strerror(errno));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': %s", path, strerror(errno));
	close(fd);

	cs_lock_init(&lock, copy->command);
	if (copy->lock && (rc = cs_lock_acquire(&lock, src, copy->wait_seconds, err)) != 0) {
		cs_lock_close(&lock);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &since);
	if (copy->lock)
		cs_backup_remove_stale(src, "cs-backup-");
	w.live_known = read_live(w.srcdb, &w.live) == 0;
	rc = walk_db(&w, err);
	cs_lock_close(&lock);
	copy->stats.held_us = copy->lock ? elapsed_us(&since) : 0;

	if (rc == 0 && copy->released != NULL)
		copy->released(copy->ctx);
	if (rc == 0)
		rc = copy_staged(&w, err);
	if (w.staging[0] != '\0')
		cs_backup_remove_tree(w.staging, NULL);
	names_free(&w.staged);
	free(w.live.v);
	return rc;
}

int
cs_backup_tidy_store(const char *dir, struct cs_error *err)
{
	static const char *const private[] = { "LOCK", "LOG", "LOG.old" };
	char db[CS_BACKUP_PATH_MAX], path[CS_BACKUP_PATH_MAX];
	struct live live = { NULL, 0, 0 };
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (join(db, sizeof(db), dir, "db") != 0)
		return cs_error_set(err, CS_EX_USAGE, "path '%s' is too long", dir);
	for (size_t i = 0; i < sizeof(private) / sizeof(private[0]); i++) {
		if (join(path, sizeof(path), db, private[i]) == 0 && unlink(path) != 0 && errno != ENOENT)
			return cs_error_set(err, CS_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
	}
	if (read_live(db, &live) != 0)
		return 0;
	if ((d = opendir(db)) == NULL) {
		free(live.v);
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", db, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (classify(de->d_name) != FILE_LINK || live_has(&live, table_number(de->d_name)) ||
		    join(path, sizeof(path), db, de->d_name) != 0)
			continue;
		if (unlink(path) != 0 && errno != ENOENT) {
			rc = cs_error_set(err, CS_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
			break;
		}
	}
	closedir(d);
	free(live.v);
	return rc;
}

struct fork {
	uint32_t height;
	uint8_t hash[32];
};

struct forks {
	struct fork *v;
	size_t n, cap;
};

static int
by_height_then_hash(const void *a, const void *b)
{
	const struct fork *x = a, *y = b;

	if (x->height != y->height)
		return x->height < y->height ? -1 : 1;
	return memcmp(x->hash, y->hash, 32);
}

static int
export_one(struct cs_store *s, struct cs_out *out, const struct cs_print *how, const uint8_t hash[32], bool main,
    struct cs_error *err)
{
	char *owned, *body = NULL;
	struct cs_entry e;
	size_t body_len;
	int rc;

	if ((rc = cs_store_read_entry(s, hash, &e, &owned, err)) != 0)
		return rc == CS_EX_NOTFOUND ? cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: an indexed entry is missing",
						  s->dir)
					    : rc;
	e.main = main;
	rc = cs_store_get_body(s, hash, &body, &body_len, err);
	if (rc == 0) {
		e.body = (const uint8_t *)body;
		e.body_len = body_len;
	}
	if (rc == 0 || rc == CS_EX_NOTFOUND)
		rc = cs_write_entry(out, how, &e, err);
	cs_store_free(body);
	cs_store_free(owned);
	if (rc == 0 && cs_out_full(out))
		rc = cs_out_flush(out, err);
	return rc;
}

/* Every entry that is not on the main chain. */
static int
collect_forks(struct cs_store *s, struct forks *f, struct cs_error *err)
{
	leveldb_iterator_t *it = leveldb_create_iterator(s->db, s->read);
	char *lerr = NULL;
	int rc = 0;

	for (leveldb_iter_seek(it, "E", 1); rc == 0 && leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t klen;
		const char *key = leveldb_iter_key(it, &klen);
		struct cs_entry e;
		char *owned;

		if (klen == 0 || key[0] != 'E')
			break;
		if (klen != 33)
			continue;
		if ((rc = cs_store_get_entry(s, (const uint8_t *)key + 1, &e, &owned, err)) != 0)
			break;
		cs_store_free(owned);
		if (e.main)
			continue;
		if (f->n == f->cap) {
			size_t cap = f->cap ? 2 * f->cap : 256;
			struct fork *grown = realloc(f->v, cap * sizeof(*grown));

			if (grown == NULL) {
				rc = cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
				break;
			}
			f->v = grown;
			f->cap = cap;
		}
		f->v[f->n].height = e.height;
		memcpy(f->v[f->n].hash, e.hash, 32);
		f->n++;
	}
	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	if (lerr != NULL) {
		rc = cs_error_set(err, CS_EX_IOERR, "cannot read store '%s': %s", s->dir, lerr);
		leveldb_free(lerr);
	}
	return rc;
}

int
cs_backup_export(struct cs_store *s, struct cs_out *out, const struct cs_print *how, uint64_t *count,
    struct cs_error *err)
{
	struct forks forks = { NULL, 0, 0 };
	struct cs_print print = *how;
	struct cs_chain_view view;
	struct cs_entry tip;
	uint8_t hash[32];
	char *owned;
	int rc;

	*count = 0;
	print.with_body = true;
	print.branchlen = -1;
	cs_chain_view_init(&view, s);
	print.view = &view;
	if ((rc = cs_store_get_tip_entry(s, &tip, &owned, err)) != 0)
		return rc;
	cs_store_free(owned);
	for (uint64_t h = s->meta.base_height; h <= tip.height && !out->closed; h++) {
		rc = cs_store_get_main(s, (uint32_t)h, hash, err);
		if (rc == CS_EX_NOTFOUND)
			return cs_error_set(err, CS_EX_IOERR, "store '%s' is corrupt: no main-chain entry at height %llu",
			    s->dir, (unsigned long long)h);
		if (rc != 0 || (rc = export_one(s, out, &print, hash, true, err)) != 0)
			return rc;
		(*count)++;
	}
	if (out->closed)
		return 0;
	if ((rc = collect_forks(s, &forks, err)) == 0) {
		if (forks.n > 1) /* qsort takes no NULL array, even empty */
			qsort(forks.v, forks.n, sizeof(forks.v[0]), by_height_then_hash);
		for (size_t i = 0; i < forks.n && rc == 0 && !out->closed; i++) {
			rc = export_one(s, out, &print, forks.v[i].hash, false, err);
			if (rc == 0)
				(*count)++;
		}
	}
	free(forks.v);
	return rc;
}
