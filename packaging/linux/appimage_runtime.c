/*
 * appimage_runtime.c: Hearth's own AppImage type 2 runtime.
 *
 * Why this exists: appimagetool's runtime (runtime-x86_64) is only distributed from GitHub, which this
 * project's build machines cannot reach. This replacement is built from Debian's packages: build_runtime.sh
 * links squashfuse, libfuse3 and the compression libraries statically, so the result needs only glibc (and
 * fusermount3 for non-root FUSE mounts, like every AppImage). make_appimage.py appends the squashfs to it.
 *
 * It follows the AppImage Type 2 spec (https://github.com/AppImage/AppImageSpec/blob/master/draft.md) and
 * the behaviour of AppImage/type2-runtime:
 *   - the file is this ELF followed by a squashfs image, with the magic 'A','I',0x02 at offset 8;
 *   - by default the squashfs is FUSE-mounted read-only at $TMPDIR/.mount_<name>XXXXXX and <mount>/AppRun
 *     runs with APPIMAGE, APPDIR, ARGV0 and OWD set;
 *   - without FUSE (e.g. in containers), with --appimage-extract-and-run or APPIMAGE_EXTRACT_AND_RUN=1, it
 *     extracts into $TMPDIR/appimage_extracted_<key> and runs from there (removed unless NO_CLEANUP=1);
 *   - --appimage-extract [PATTERN], --appimage-mount, --appimage-offset, --appimage-help and
 *     --appimage-version, as the first argument only; other --appimage-* options are errors.
 * One deliberate difference: type2-runtime execs AppRun and leaves a FUSE daemon that unmounts when the last
 * process holding a keep-alive pipe exits. Here the runtime stays the parent: it runs AppRun as a child,
 * waits for it, unmounts, and exits with AppRun's status (128+signal if it was killed). Processes that
 * AppRun leaves running in the background lose the mount.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* squashfuse's config.h defines _POSIX_C_SOURCE; the headers above already chose the feature set. */
#undef _POSIX_C_SOURCE
#include <squashfuse/ll.h>

#define RUNTIME_VERSION "1.0"
#define PREFIX "hearth AppImage: "

static char g_image[PATH_MAX];              /* absolute path of this AppImage */
static volatile sig_atomic_t g_child;       /* the process SIGTERM/SIGINT/SIGHUP are forwarded to */
static volatile sig_atomic_t g_forward_tty; /* also forward signals a terminal sent to the whole group */
static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP};
#define N_FORWARDED (sizeof FORWARDED / sizeof *FORWARDED)
static struct sigaction g_original[N_FORWARDED]; /* their dispositions before catch_signals() */

/* Every message is one line on stderr. */
static void say(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	fputs(PREFIX, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
#define die(...) (say(__VA_ARGS__), exit(1))

static const char *tmpdir(void) {
	const char *dir = getenv("TMPDIR");
	return dir && *dir ? dir : "/tmp";
}

/* The squashfs starts where this ELF file ends: after the section header table (what type2-runtime
 * uses) or after the last segment's bytes, whichever is later. Only 64-bit little-endian ELF. */
static off_t elf_size(int fd) {
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return -1;
	off_t end = (off_t)(eh.e_shoff + (uint64_t)eh.e_shnum * eh.e_shentsize);
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) != (ssize_t)sizeof ph)
			return -1;
		if ((off_t)(ph.p_offset + ph.p_filesz) > end)
			end = (off_t)(ph.p_offset + ph.p_filesz);
	}
	return end;
}

/* Open the embedded squashfs with squashfuse (what squashfuse_ll's sqfs_ll_open does, with our errors). */
static sqfs_ll *open_image(off_t offset) {
	sqfs_ll *ll = calloc(1, sizeof *ll);
	int fd = open(g_image, O_RDONLY | O_CLOEXEC);
	if (!ll || fd < 0)
		die("cannot read the embedded filesystem: %s", strerror(errno));
	sqfs_err err = sqfs_init(&ll->fs, fd, (size_t)offset);
	if (err == SQFS_OK)
		err = sqfs_ll_init(ll);
	if (err != SQFS_OK)
		die("cannot read the embedded filesystem: %s", err == SQFS_BADFORMAT ? "no squashfs image after the runtime"
		    : err == SQFS_BADVERSION ? "unsupported squashfs version"
		    : err == SQFS_BADCOMP ? "unsupported compression" : "read error");
	return ll;
}

/* ---- Extraction, with squashfuse's traversal API (as type2-runtime's extract code) ---- */

static int write_all(int fd, const char *buf, size_t len) {
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			buf += n, len -= (size_t)n;
	}
	return 0;
}

static int extract_file(sqfs *fs, sqfs_inode *inode, const char *dest) {
	static char buf[1 << 17];
	int fd = open(dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	sqfs_off_t size = (sqfs_off_t)inode->xtra.reg.file_size;
	for (sqfs_off_t pos = 0; pos < size;) {
		sqfs_off_t n = size - pos < (sqfs_off_t)sizeof buf ? size - pos : (sqfs_off_t)sizeof buf;
		if (sqfs_read_range(fs, inode, pos, &n, buf) != SQFS_OK || n <= 0 || write_all(fd, buf, (size_t)n) != 0) {
			close(fd);
			return -1;
		}
		pos += n;
	}
	return close(fd);
}

/* mkdir -p for the parent folders of path. */
static void make_parents(char *path) {
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

/* Extract every entry (or those whose path matches the fnmatch pattern) under dest, keeping permission
 * bits and symlinks. Folders stay writable by their owner so that they can be filled and removed later.
 * Hard links become copies; devices, fifos and sockets (never in an AppDir) are skipped. */
static int extract(sqfs *fs, const char *dest, const char *pattern, int verbose) {
	sqfs_traverse trv;
	sqfs_err err = SQFS_OK;
	int failed = 0;
	if (sqfs_traverse_open(&trv, fs, sqfs_inode_root(fs)) != SQFS_OK)
		return -1;
	mkdir(dest, 0755);
	while (sqfs_traverse_next(&trv, &err)) {
		if (trv.dir_end || (pattern && fnmatch(pattern, trv.path, FNM_PATHNAME | FNM_LEADING_DIR) != 0))
			continue;
		char out[PATH_MAX], target[PATH_MAX];
		sqfs_inode inode;
		size_t size = sizeof target;
		if (snprintf(out, sizeof out, "%s/%s", dest, trv.path) >= (int)sizeof out ||
		    sqfs_inode_get(fs, &inode, trv.entry.inode) != SQFS_OK) {
			failed = 1;
			continue;
		}
		if (verbose)
			puts(out);
		make_parents(out);
		mode_t type = sqfs_mode(inode.base.inode_type), mode = inode.base.mode & 07777;
		if (S_ISREG(type) || S_ISLNK(type))
			unlink(out); /* replace what an earlier extraction left; never write through a symlink */
		if (S_ISDIR(type))
			failed |= (mkdir(out, 0700) != 0 && errno != EEXIST) || chmod(out, mode | S_IRWXU) != 0;
		else if (S_ISREG(type))
			failed |= extract_file(fs, &inode, out) != 0 || chmod(out, mode) != 0;
		else if (S_ISLNK(type))
			failed |= sqfs_readlink(fs, &inode, target, &size) != SQFS_OK || symlink(target, out) != 0;
	}
	sqfs_traverse_close(&trv);
	return failed || err != SQFS_OK ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir) { nftw(dir, remove_entry, 32, FTW_DEPTH | FTW_PHYS); }

/* ---- Running AppRun ---- */

static int wait_for(pid_t pid) {
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	return status;
}

static void on_signal(int sig, siginfo_t *info, void *context) {
	(void)context;
	/* A terminal's ^C (SI_KERNEL) already reached the app, which is in our foreground process group. */
	if (g_child > 0 && (info->si_code != SI_KERNEL || g_forward_tty))
		kill(g_child, sig);
}

/* Signals ignored when we started (nohup, a script's background job) stay ignored, for AppRun too. */
static void catch_signals(void) {
	struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO}; /* no SA_RESTART */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_FORWARDED; i++)
		if (sigaction(FORWARDED[i], NULL, &g_original[i]) == 0 && g_original[i].sa_handler != SIG_IGN)
			sigaction(FORWARDED[i], &sa, NULL);
}

/* Run <appdir>/AppRun as a child with argv[1..] and the AppImage environment; returns its exit status. */
static int run_apprun(const char *appdir, char **argv) {
	char apprun[PATH_MAX], cwd[PATH_MAX];
	snprintf(apprun, sizeof apprun, "%s/AppRun", appdir);
	setenv("APPIMAGE", g_image, 1);
	setenv("APPDIR", appdir, 1);
	if (getcwd(cwd, sizeof cwd))
		setenv("OWD", cwd, 1);
	argv[0] = apprun;
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaddset(&block, FORWARDED[i]);
	sigprocmask(SIG_BLOCK, &block, &old); /* a signal arriving during fork is forwarded once g_child is set */
	pid_t pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < N_FORWARDED; i++)
			sigaction(FORWARDED[i], &g_original[i], NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		execv(apprun, argv);
		say("cannot run %s: %s", apprun, strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		die("cannot start AppRun: %s", strerror(errno));
	g_child = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	int status = wait_for(pid);
	g_child = 0;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* ---- FUSE mount, in a child process (squashfuse's ll_main.c is the model) ---- */

static char g_fuse_error[200]; /* the last thing libfuse said while mounting */

static void remember_fuse_message(enum fuse_log_level level, const char *fmt, va_list ap) {
	(void)level;
	vsnprintf(g_fuse_error, sizeof g_fuse_error, fmt, ap);
	g_fuse_error[strcspn(g_fuse_error, "\n")] = '\0';
}

/* Mount at mountpoint, report through `report` (one NUL byte: mounted; text: why not), serve requests until
 * SIGTERM/SIGINT/SIGHUP (libfuse's handlers end the loop), then unmount and remove the mountpoint. */
static _Noreturn void fuse_child(sqfs_ll *ll, const char *mountpoint, int report) {
	setpgid(0, 0);                    /* out of the terminal's foreground group: ^C is for the app */
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* if the runtime itself is killed, unmount anyway */
	for (size_t i = 0; i < N_FORWARDED; i++) /* libfuse only takes over signals left at SIG_DFL */
		signal(FORWARDED[i], SIG_DFL);
	int devnull = open("/dev/null", O_RDWR), saved_stderr = dup(2);
	dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2); /* fusermount3's own complaints: we say one line */
	struct fuse_lowlevel_ops ops = {
		.getattr = sqfs_ll_op_getattr, .opendir = sqfs_ll_op_opendir, .releasedir = sqfs_ll_op_releasedir,
		.readdir = sqfs_ll_op_readdir, .lookup = sqfs_ll_op_lookup, .open = sqfs_ll_op_open,
		.create = sqfs_ll_op_create, .release = sqfs_ll_op_release, .read = sqfs_ll_op_read,
		.readlink = sqfs_ll_op_readlink, .listxattr = sqfs_ll_op_listxattr, .getxattr = sqfs_ll_op_getxattr,
		.forget = sqfs_ll_op_forget, .statfs = stfs_ll_op_statfs,
	};
	char *argv[] = {"appimage", "-o", "ro", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	sqfs_ll_chan ch;
	fuse_set_log_func(remember_fuse_message);
	int mounted = sqfs_ll_mount(&ch, mountpoint, &args, &ops, sizeof ops, ll) == SQFS_OK;
	if (mounted && fuse_set_signal_handlers(ch.session) != 0)
		sqfs_ll_unmount(&ch, mountpoint), mounted = 0;
	fuse_set_log_func(NULL);
	dup2(saved_stderr, 2);
	if (!mounted) {
		write_all(report, g_fuse_error, strlen(g_fuse_error));
		_exit(1);
	}
	write_all(report, "", 1);
	close(report);
	fuse_session_loop(ch.session);
	fuse_remove_signal_handlers(ch.session);
	sqfs_ll_unmount(&ch, mountpoint); /* lazy (MNT_DETACH / fusermount3 -z), as libfuse does */
	rmdir(mountpoint);
	_exit(0);
}

/* Start the FUSE child and wait (on a pipe, no polling) until it has mounted. Returns its pid, or -1 with
 * the reason in why. */
static pid_t mount_image(sqfs_ll *ll, const char *mountpoint, char *why, size_t why_size) {
	int fds[2];
	if (access("/dev/fuse", R_OK | W_OK) != 0)
		return snprintf(why, why_size, "/dev/fuse: %s", strerror(errno)), -1;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return snprintf(why, why_size, "pipe: %s", strerror(errno)), -1;
	pid_t pid = fork();
	if (pid == 0)
		close(fds[0]), fuse_child(ll, mountpoint, fds[1]);
	close(fds[1]);
	char answer[200];
	ssize_t n = -1;
	while (pid > 0 && (n = read(fds[0], answer, sizeof answer - 1)) < 0 && errno == EINTR) {
	}
	close(fds[0]);
	if (n == 1 && answer[0] == '\0')
		return pid;
	if (pid > 0)
		wait_for(pid);
	answer[n > 0 ? n : 0] = '\0';
	snprintf(why, why_size, "%s", n > 0 ? answer : pid < 0 ? strerror(errno) : "the mount failed");
	return -1;
}

static void unmount_image(pid_t fuse, const char *mountpoint) {
	kill(fuse, SIGTERM); /* not reaped yet, so the pid cannot have been reused */
	wait_for(fuse);
	rmdir(mountpoint);
}

/* ---- Extract and run ---- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t len) {
	for (const unsigned char *p = data; len--; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

/* Identifies this image cheaply, even at 1 GB: size, mtime, offset, and the first and last 64 KiB of the
 * squashfs (its superblock, with the build time, and its inode/directory/fragment tables). */
static uint64_t image_key(int fd, off_t offset) {
	static unsigned char buf[1 << 16];
	struct stat st = {0};
	fstat(fd, &st);
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, &st.st_size, sizeof st.st_size);
	h = fnv1a(fnv1a(h, &st.st_mtim, sizeof st.st_mtim), &offset, sizeof offset);
	off_t where[2] = {offset, st.st_size - (off_t)sizeof buf > offset ? st.st_size - (off_t)sizeof buf : offset};
	for (int i = 0; i < 2; i++) {
		ssize_t n = pread(fd, buf, sizeof buf, where[i]);
		h = fnv1a(h, buf, n > 0 ? (size_t)n : 0);
	}
	return h;
}

/* Extract into $TMPDIR/appimage_extracted_<key> (into a temporary sibling first, renamed into place, so a
 * half-extracted folder is never used), run AppRun from there, then remove it unless NO_CLEANUP=1. A folder
 * that already exists (NO_CLEANUP, or another instance running) is used as it is and left in place. */
static int extract_and_run(sqfs_ll *ll, off_t offset, char **argv) {
	char dir[PATH_MAX], partial[PATH_MAX + 8];
	struct stat st;
	int owned = 0;
	snprintf(dir, sizeof dir, "%s/appimage_extracted_%016llx", tmpdir(),
	         (unsigned long long)image_key(ll->fs.fd, offset));
	if (stat(dir, &st) != 0) {
		snprintf(partial, sizeof partial, "%s.XXXXXX", dir);
		if (!mkdtemp(partial))
			die("cannot create a folder in %s: %s", tmpdir(), strerror(errno));
		if (extract(&ll->fs, partial, NULL, 0) != 0) {
			remove_tree(partial);
			die("cannot extract the embedded filesystem into %s", tmpdir());
		}
		if (rename(partial, dir) == 0)
			owned = 1;
		else
			remove_tree(partial); /* another instance was quicker: use its folder */
	}
	catch_signals();
	int status = run_apprun(dir, argv);
	const char *keep = getenv("NO_CLEANUP");
	if (owned && !(keep && strcmp(keep, "1") == 0))
		remove_tree(dir);
	return status;
}

static const char HELP[] =
	"Usage: %s [--appimage-OPTION | ARGUMENTS FOR THE APP...]\n"
	"An AppImage (type 2) with Hearth's runtime. Options, recognised as the first argument only:\n"
	"  --appimage-extract [PATTERN]  extract the contents (or the paths matching PATTERN) into ./squashfs-root\n"
	"  --appimage-extract-and-run    extract into $TMPDIR and run from there (no FUSE needed)\n"
	"  --appimage-mount              mount the contents, print the mount point, stay until interrupted\n"
	"  --appimage-offset             print the byte offset of the embedded squashfs\n"
	"  --appimage-help               print this help\n"
	"  --appimage-version            print the runtime's version\n"
	"Environment: APPIMAGE_EXTRACT_AND_RUN=1 (always extract), NO_CLEANUP=1 (keep the extracted folder),\n"
	"TMPDIR (where to mount or extract). All other arguments go to the app unchanged.\n";

int main(int argc, char **argv) {
	ssize_t len = readlink("/proc/self/exe", g_image, sizeof g_image - 1);
	if (len <= 0)
		die("cannot find its own file: %s", strerror(errno));
	g_image[len] = '\0';
	int fd = open(g_image, O_RDONLY | O_CLOEXEC);
	off_t offset = fd < 0 ? -1 : elf_size(fd);
	if (offset < 0)
		die("cannot read the ELF header of %s", g_image);
	close(fd);

	const char *arg = argc > 1 ? argv[1] : "";
	const char *env = getenv("APPIMAGE_EXTRACT_AND_RUN");
	int extract_only = strcmp(arg, "--appimage-extract") == 0, mount_only = strcmp(arg, "--appimage-mount") == 0;
	int must_extract = strcmp(arg, "--appimage-extract-and-run") == 0;
	if (strcmp(arg, "--appimage-offset") == 0)
		return printf("%lld\n", (long long)offset) < 0;
	if (strcmp(arg, "--appimage-help") == 0)
		return printf(HELP, argv[0]) < 0;
	if (strcmp(arg, "--appimage-version") == 0)
		return printf("Hearth AppImage runtime %s (AppImage type 2, libfuse %s)\n", RUNTIME_VERSION,
		              fuse_pkgversion()) < 0;
	if (strncmp(arg, "--appimage-", 11) == 0 && !extract_only && !mount_only && !must_extract)
		die("unknown option %s (see --appimage-help)", arg);

	sqfs_ll *ll = open_image(offset);
	if (extract_only) {
		if (extract(&ll->fs, "squashfs-root", argc > 2 ? argv[2] : NULL, 1) != 0)
			die("extracting into squashfs-root failed");
		return 0;
	}
	setenv("ARGV0", argv[0], 1);
	if (must_extract) /* AppRun gets the other arguments */
		argv[1] = argv[0], argv++;
	if (must_extract || (env && strcmp(env, "1") == 0))
		return extract_and_run(ll, offset, argv);

	char mountpoint[PATH_MAX], why[256];
	const char *name = strrchr(g_image, '/') + 1;
	snprintf(mountpoint, sizeof mountpoint, "%s/.mount_%.6sXXXXXX", tmpdir(), name);
	if (!mkdtemp(mountpoint))
		die("cannot create a mount point in %s: %s", tmpdir(), strerror(errno));
	pid_t fuse = mount_image(ll, mountpoint, why, sizeof why);
	if (fuse < 0) {
		rmdir(mountpoint);
		if (mount_only)
			die("cannot mount the embedded filesystem with FUSE: %s", why);
		say("cannot use FUSE (%s); falling back to extracting and running", why);
		return extract_and_run(ll, offset, argv);
	}
	if (mount_only) { /* signals go to the FUSE child, which unmounts and exits */
		g_child = fuse, g_forward_tty = 1;
		catch_signals();
		printf("%s\n", mountpoint);
		fflush(stdout);
		wait_for(fuse);
		rmdir(mountpoint);
		return 0;
	}
	catch_signals();
	int status = run_apprun(mountpoint, argv);
	unmount_image(fuse, mountpoint);
	return status;
}
