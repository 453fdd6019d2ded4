/*
 * test_fs.c - the durable file-system steps (fs.h): path splitting, the
 * rename that never replaces, the exchange, temporary directories and the
 * removal of those whose process is gone, the copy, the tree sync and
 * removal. Works in a temporary directory; prints TAP and exits 1 if any
 * test fails.
 */
#include "exit.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"

static char root[64] = "/tmp/cs-test-fs.XXXXXX";

static const char *
at(const char *name)
{
	return fixture_at(root, name);
}

static void
put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || cs_fs_write_all(fd, text, strlen(text)) != 0) {
		printf("Bail out! cannot write '%s': %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static bool
holds(const char *path, const char *text)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n >= 0 && strcmp(buf, text) == 0;
}

static void
split_tests(void)
{
	static const struct {
		const char *path, *parent, *name;
	} ok[] = {
		{ "store", ".", "store" },
		{ "a/b/store", "a/b", "store" },
		{ "/store", "/", "store" },
		{ "a/store//", "a", "store" },
	};
	static const char *const bad[] = { "", "/", "a/..", "a/.", "." };
	char parent[64], name[16];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int rc = cs_fs_split_path(ok[i].path, parent, sizeof(parent), name, sizeof(name));

		check(rc == 0 && strcmp(parent, ok[i].parent) == 0 && strcmp(name, ok[i].name) == 0,
		    "split '%s': '%s' and '%s' (got %d '%s' '%s')", ok[i].path, ok[i].parent, ok[i].name, rc,
		    rc == 0 ? parent : "", rc == 0 ? name : "");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check(cs_fs_split_path(bad[i], parent, sizeof(parent), name, sizeof(name)) == -1,
		    "split '%s': no name, refused", bad[i]);
	check(cs_fs_split_path("a/a-name-longer-than-16", parent, sizeof(parent), name, sizeof(name)) == -1,
	    "split: a name that does not fit is refused");
}

static void
rename_tests(void)
{
	struct cs_error err;
	bool existed;
	int rc;

	mkdir(at("from"), 0777);
	put(at("from/f"), "new");
	mkdir(at("to"), 0777);
	rc = cs_fs_rename_noreplace(at("from"), at("to"), &existed, &err);
	check(rc == CS_EX_CANTCREAT && existed, "rename_noreplace: an existing empty directory is not replaced (73)");
	check(strstr(err.message, "it exists") != NULL, "rename_noreplace: the message says it exists: %s",
	    err.message);
	check(fixture_exists(at("from/f")) && !fixture_exists(at("to/f")), "rename_noreplace: both stay as they were");
	rmdir(at("to"));
	rc = cs_fs_rename_noreplace(at("from"), at("to"), &existed, &err);
	check(rc == 0 && !existed && holds(at("to/f"), "new") && !fixture_exists(at("from")),
	    "rename_noreplace: to a free name it renames");
	rc = cs_fs_rename_noreplace(at("missing"), at("other"), &existed, &err);
	check(rc == CS_EX_CANTCREAT && !existed, "rename_noreplace: a missing source is 73, not 'it exists'");

	mkdir(at("from"), 0777);
	put(at("from/g"), "g");
	rc = cs_fs_exchange(at("from"), at("to"), &err);
	check(rc == 0 && holds(at("from/f"), "new") && holds(at("to/g"), "g"), "exchange: the two swap");
	rc = cs_fs_exchange(at("from"), at("missing"), &err);
	check(rc == CS_EX_CANTCREAT && holds(at("from/f"), "new"), "exchange with a missing one: 73, nothing moved");
	cs_fs_remove_tree(at("from"), NULL);
	cs_fs_remove_tree(at("to"), NULL);
}

/* A pid that was a process of ours and is gone. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void
temp_tests(void)
{
	char tmp[CS_FS_PATH_MAX], stale[CS_FS_PATH_MAX], other[CS_FS_PATH_MAX], live[CS_FS_PATH_MAX];
	char hidden[CS_FS_PATH_MAX], mine[CS_FS_PATH_MAX];
	struct cs_error err;
	struct stat st;
	char *tag;
	pid_t gone = dead_pid();
	mode_t mask = umask(022);

	check(cs_fs_temp_dir(root, "pre-", tmp, sizeof(tmp), &err) == 0, "temp_dir: made");
	check(stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755,
	    "temp_dir: a directory, mode 0777 less the umask (%o)", (unsigned)(st.st_mode & 0777));
	check(cs_fs_temp_dir(at("missing"), "pre-", other, sizeof(other), &err) == CS_EX_CANTCREAT,
	    "temp_dir: in a missing directory, 73");
	check(cs_fs_temp_dir(root, "pre-", other, 16, &err) == CS_EX_CANTCREAT, "temp_dir: a path too long, 73");
	umask(mask);

	/* PREFIX<pid>-<host>-XXXXXX: the same name with another pid */
	tag = strstr(tmp, "pre-") + 4;
	tag = strchr(tag, '-');
	snprintf(stale, sizeof(stale), "%s/pre-%ld%s", root, (long)gone, tag);
	snprintf(live, sizeof(live), "%s/pre-%ld%s", root, (long)getppid(), tag);
	snprintf(hidden, sizeof(hidden), "%s/.store.cs-backup-%ld%s", root, (long)gone, tag);
	snprintf(mine, sizeof(mine), "%s/.store.cs-backup-%ld%s", root, (long)getpid(), tag);
	mkdir(stale, 0777);
	put(at("pre-stale-file"), "x");
	mkdir(live, 0777);
	mkdir(hidden, 0777);
	mkdir(mine, 0777);
	cs_fs_remove_stale(root, "pre-");
	check(!fixture_exists(stale), "remove_stale: a directory of a process that is gone is removed");
	check(fixture_exists(tmp) && fixture_exists(live), "remove_stale: this process's and a live process's stay");
	check(fixture_exists(at("pre-stale-file")), "remove_stale: a name not of the pattern stays");
	check(fixture_exists(hidden), "remove_stale: another prefix is left alone");
	cs_fs_remove_stale(root, ".*.cs-backup-");
	check(!fixture_exists(hidden) && fixture_exists(mine), "remove_stale '.*REST': a hidden .NAME.REST of a gone process goes, "
	    "this process's stays");
	cs_fs_remove_tree(tmp, NULL);
	cs_fs_remove_tree(live, NULL);
	cs_fs_remove_tree(mine, NULL);
	unlink(at("pre-stale-file"));
}

static void
copy_tests(void)
{
	char big[300000];
	struct cs_error err;
	uint64_t bytes = 5;
	struct stat st;
	int rc;

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(at("src"), big);
	rc = cs_fs_copy_file(at("src"), at("dst"), &bytes, true, &err);
	check(rc == 0 && bytes == 5 + sizeof(big) - 1, "copy_file: copied, bytes added (%llu)",
	    (unsigned long long)bytes);
	check(stat(at("dst"), &st) == 0 && st.st_size == (off_t)sizeof(big) - 1 && (st.st_mode & 0777) != 0,
	    "copy_file: the copy has every byte of a file larger than one read");
	rc = cs_fs_copy_file(at("src"), at("dst"), NULL, false, &err);
	check(rc == CS_EX_CANTCREAT && strstr(err.message, "File exists") != NULL,
	    "copy_file: never replaces (73): %s", err.message);
	rc = cs_fs_copy_file(at("nosuch"), at("dst2"), NULL, false, &err);
	check(rc == CS_EX_IOERR && !fixture_exists(at("dst2")), "copy_file: a missing source is 74, nothing created");
	unlink(at("src"));
	unlink(at("dst"));
}

static void
tree_tests(void)
{
	struct cs_error err;

	mkdir(at("t"), 0777);
	mkdir(at("t/db"), 0777);
	mkdir(at("t/db/deep"), 0777);
	put(at("t/lock"), "");
	put(at("t/db/CURRENT"), "MANIFEST-000001\n");
	put(at("t/db/deep/x"), "x");
	put(at("outside"), "kept");
	if (symlink(at("outside"), at("t/db/link")) != 0)
		printf("# cannot make a symbolic link: %s\n", strerror(errno));
	check(cs_fs_sync_tree(at("t"), &err) == 0, "sync_tree: a store-like tree syncs, a symbolic link skipped");
	check(cs_fs_sync_tree(at("nosuch"), &err) == CS_EX_IOERR, "sync_tree: a missing tree is 74");
	check(cs_fs_sync_dir(at("t"), &err) == 0 && cs_fs_sync_file(at("t/lock"), &err) == 0,
	    "sync_dir and sync_file");
	check(cs_fs_sync_file(at("t/db/link"), &err) == CS_EX_IOERR, "sync_file: a symbolic link is not followed");
	check(cs_fs_remove_tree(at("t"), &err) == 0 && !fixture_exists(at("t")), "remove_tree: all of it goes");
	check(holds(at("outside"), "kept"), "remove_tree: what a symbolic link in it names stays");
	check(cs_fs_remove_tree(at("t"), &err) == 0, "remove_tree: a missing path is no error");
	unlink(at("outside"));
}

int
main(void)
{
	if (mkdtemp(root) == NULL) {
		printf("Bail out! cannot make a temporary directory: %s\n", strerror(errno));
		return 1;
	}
	split_tests();
	rename_tests();
	temp_tests();
	copy_tests();
	tree_tests();
	check(rmdir(root) == 0, "every test cleaned up after itself");
	printf("1..%u\n", tests_run);
	return tests_failed == 0 ? 0 : 1;
}
