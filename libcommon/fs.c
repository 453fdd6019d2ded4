#include "fs.h"

#include "exit.h"
#include "grow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What one read of a copy takes; allocated for each copy, so that no two
 * callers share it. */
#define COPY_CHUNK (256 << 10)

static int
join(char *out, size_t len, const char *dir, const char *name)
{
	return (size_t)snprintf(out, len, "%s/%s", dir, name) < len ? 0 : -1;
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
cs_fs_sync_dir(const char *dir, struct cs_error *err)
{
	return sync_path(dir, O_DIRECTORY, err);
}

int
cs_fs_sync_file(const char *path, struct cs_error *err)
{
	return sync_path(path, O_NOFOLLOW, err);
}

/* The names in dir but . and .., read whole and dir closed before any is
 * used, so that a walk holds one directory open at a time (a process
 * short of file descriptors still cleans up): NUL-separated in *names
 * (free it), *used bytes of them. -1 with errno on failure. */
static int
read_names(const char *dir, char **names, size_t *used)
{
	size_t cap = 0, n;
	struct dirent *de;
	int saved = 0;
	DIR *d;

	*names = NULL;
	*used = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	for (;;) {
		char *grown;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			saved = errno;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n = strlen(de->d_name) + 1;
		if ((grown = cs_grow(*names, &cap, *used + n, 256, 1)) == NULL) {
			saved = ENOMEM;
			break;
		}
		*names = grown;
		memcpy(*names + *used, de->d_name, n);
		*used += n;
	}
	closedir(d);
	if (saved != 0) {
		free(*names);
		*names = NULL;
		errno = saved;
		return -1;
	}
	return 0;
}

int
cs_fs_sync_tree(const char *dir, struct cs_error *err)
{
	char path[CS_FS_PATH_MAX], *names;
	struct stat st;
	size_t used;
	int rc = 0;

	if (read_names(dir, &names, &used) != 0)
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", dir, strerror(errno));
	for (size_t i = 0; rc == 0 && i < used; i += strlen(names + i) + 1) {
		if (join(path, sizeof(path), dir, names + i) != 0)
			rc = cs_error_set(err, CS_EX_USAGE, "path '%s' is too long", dir);
		else if (lstat(path, &st) != 0)
			rc = cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", path, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = cs_fs_sync_tree(path, err);
		else if (S_ISREG(st.st_mode))
			rc = cs_fs_sync_file(path, err);
	}
	free(names);
	return rc == 0 ? cs_fs_sync_dir(dir, err) : rc;
}

int
cs_fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
cs_fs_copy_file(const char *from, const char *to, uint64_t *bytes, bool sync, struct cs_error *err)
{
	uint8_t *buf = malloc(COPY_CHUNK);
	int in, out, rc = 0;

	if (buf == NULL)
		return cs_error_set(err, CS_EX_SOFTWARE, "out of memory");
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0) {
		free(buf);
		return cs_error_set(err, CS_EX_IOERR, "cannot open '%s': %s", from, strerror(errno));
	}
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		rc = cs_error_set(err, CS_EX_CANTCREAT, "cannot create '%s': %s", to, strerror(errno));
		close(in);
		free(buf);
		return rc;
	}
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = cs_error_set(err, CS_EX_IOERR, "cannot read '%s': %s", from, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (cs_fs_write_all(out, buf, (size_t)n) != 0) {
			rc = cs_error_set(err, CS_EX_IOERR, "cannot write '%s': %s", to, strerror(errno));
			break;
		}
		if (bytes != NULL)
			*bytes += (uint64_t)n;
	}
	if (rc == 0 && sync && fsync(out) != 0)
		rc = cs_error_set(err, CS_EX_IOERR, "cannot sync '%s': %s", to, strerror(errno));
	if (close(out) != 0 && rc == 0)
		rc = cs_error_set(err, CS_EX_IOERR, "cannot write '%s': %s", to, strerror(errno));
	close(in);
	free(buf);
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
cs_fs_temp_dir(const char *parent, const char *prefix, char *out, size_t len, struct cs_error *err)
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
 * time. -1 with errno on failure. */
static int
remove_path(const char *path)
{
	char child[CS_FS_PATH_MAX], *names;
	struct stat st;
	size_t used;
	int rc = 0, saved = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	if (read_names(path, &names, &used) != 0)
		return -1;
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
cs_fs_remove_tree(const char *path, struct cs_error *err)
{
	if (remove_path(path) != 0)
		return cs_error_set(err, CS_EX_IOERR, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

void
cs_fs_remove_stale(const char *parent, const char *prefix)
{
	/* ".*REST": any hidden ".NAME" + REST */
	bool any_name = strncmp(prefix, ".*", 2) == 0;
	const char *after_name = prefix + 2;
	size_t plen = strlen(prefix), alen = strlen(after_name);
	char path[CS_FS_PATH_MAX], tag[128];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(parent)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		const char *rest;
		char *end;
		long pid;

		if (any_name) {
			const char *mark = de->d_name[0] == '.' ? strstr(de->d_name + 1, after_name) : NULL;

			if (mark == NULL)
				continue;
			rest = mark + alen;
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
			cs_fs_remove_tree(path, NULL);
	}
	closedir(d);
}

int
cs_fs_split_path(const char *path, char *parent, size_t parent_len, char *name, size_t name_len)
{
	char buf[CS_FS_PATH_MAX];
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
cs_fs_rename_noreplace(const char *from, const char *to, bool *existed, struct cs_error *err)
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
cs_fs_exchange(const char *a, const char *b, struct cs_error *err)
{
	char aside[CS_FS_PATH_MAX];

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
