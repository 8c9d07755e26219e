/* The vfs root of a container with a user namespace of its own (--uidmap, --userns keep-id or
 * nomap): its copy of the image is chowned once, in place, so that the container's namespace
 * sees each file with the owner it has in the image (den's N becomes the den id that the
 * container's map shows as N). The overlay drivers get the same view from fuse-overlayfs's
 * uidmapping; a vfs root is a plain directory tree, so its owners themselves change.
 *
 * rootfs.idmap in the container's directory says what was done: "shifting <maps>" while the
 * walk runs, "<maps>" once it is on disk. A root shifted for other maps, or a walk that was
 * interrupted, is refused with an error instead of being shifted again: a second shift of
 * the same files would give them wrong owners, silently.
 *
 * Trust: the tree is the container's copy of image content, walked through directory fds
 * with O_NOFOLLOW at every step; nothing is resolved by path and no symlink is followed. The
 * container is not running (its root is being prepared), so nothing else changes the tree. */
#include <sys/stat.h>
#include <sys/xattr.h>
#include "storage/internal.h"

#define SHIFT_MAX_DEPTH 300
#define MARKER "rootfs.idmap"
#define MARKER_MAX 4096
#define CAPS_XATTR "security.capability"
#define CAPS_MAX 64

struct shift {
        const struct store_idmap *uids, *gids;
        size_t n_uids, n_gids;
        ino_t *seen; /* inodes with more than one link, chowned once */
        size_t n_seen, cap_seen;
        struct den_buf path; /* of the entry that failed, for the message */
};

/* den's id for the container's id, or -1 when the container's map leaves it out */
static int64_t map_id(const struct store_idmap *m, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
                        return (int64_t) m[i].host_id + (id - m[i].container_id);
        return -1;
}

static bool seen_once(struct shift *sh, ino_t ino)
{
        for (size_t i = 0; i < sh->n_seen; i++)
                if (sh->seen[i] == ino)
                        return true;
        if (sh->n_seen == sh->cap_seen) {
                sh->cap_seen = sh->cap_seen ? sh->cap_seen * 2 : 64;
                sh->seen = xrealloc(sh->seen, sh->cap_seen * sizeof(*sh->seen));
        }
        sh->seen[sh->n_seen++] = ino;
        return false;
}

static int owners(struct shift *sh, const struct stat *st, uid_t *ret_uid, gid_t *ret_gid)
{
        int64_t u = map_id(sh->uids, sh->n_uids, st->st_uid);
        int64_t g = map_id(sh->gids, sh->n_gids, st->st_gid);

        if (u < 0 || g < 0)
                return -EOVERFLOW;
        *ret_uid = (uid_t) u;
        *ret_gid = (gid_t) g;
        return 0;
}

/* A regular file: chown clears its set-id bits and its file capabilities, so both are put
 * back after it. */
static int shift_file(int dfd, const char *name, uid_t uid, gid_t gid, const struct stat *st)
{
        _cleanup_close_ int fd =
                openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        char caps[CAPS_MAX];
        ssize_t n_caps;

        if (fd < 0)
                return -errno;
        n_caps = fgetxattr(fd, CAPS_XATTR, caps, sizeof(caps));
        if (fchown(fd, uid, gid) < 0)
                return -errno;
        if ((st->st_mode & (S_ISUID | S_ISGID)) && fchmod(fd, st->st_mode & 07777) < 0)
                return -errno;
        /* a namespace that may not set them leaves them out, as a copy would */
        if (n_caps > 0 && fsetxattr(fd, CAPS_XATTR, caps, (size_t) n_caps, 0) < 0 &&
            errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP)
                return -errno;
        return 0;
}

static int shift_tree(struct shift *sh, int dfd, unsigned depth);

static int shift_entry(struct shift *sh, int dfd, const char *name, unsigned depth)
{
        _cleanup_close_ int sub = -EBADF;
        struct stat st;
        uid_t uid;
        gid_t gid;
        int r;

        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && seen_once(sh, st.st_ino))
                return 0;
        r = owners(sh, &st, &uid, &gid);
        if (r < 0)
                return r;
        if (S_ISREG(st.st_mode))
                return shift_file(dfd, name, uid, gid, &st);
        if (!S_ISDIR(st.st_mode))
                return fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0)
                return -errno;
        r = shift_tree(sh, sub, depth + 1);
        if (r < 0)
                return r;
        /* a directory keeps its set-id bits through chown */
        return fchown(sub, uid, gid) < 0 ? -errno : 0;
}

static int shift_tree(struct shift *sh, int dfd, unsigned depth)
{
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        size_t saved = sh->path.len;
        int r;

        if (depth > SHIFT_MAX_DEPTH)
                return -ELOOP;
        r = den_opendir_at(dfd, &d);
        if (r < 0)
                return r;
        while ((errno = 0, de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                den_buf_printf(&sh->path, "/%s", de->d_name);
                r = shift_entry(sh, dfd, de->d_name, depth);
                if (r < 0)
                        return r; /* the path names the entry */
                sh->path.len = saved;
        }
        return errno ? -errno : 0;
}

static char *maps_text(const struct store_idmap *uids, size_t n_uids,
                       const struct store_idmap *gids, size_t n_gids)
{
        struct den_buf b = { 0 };

        den_buf_puts(&b, "uids");
        for (size_t i = 0; i < n_uids; i++)
                den_buf_printf(&b, " %u:%u:%u", uids[i].container_id, uids[i].host_id,
                               uids[i].size);
        den_buf_puts(&b, "\ngids");
        for (size_t i = 0; i < n_gids; i++)
                den_buf_printf(&b, " %u:%u:%u", gids[i].container_id, gids[i].host_id,
                               gids[i].size);
        den_buf_puts(&b, "\n");
        return b.data;
}

static int walk(struct shift *sh, int rootfs, den_error **err)
{
        struct stat st;
        uid_t uid;
        gid_t gid;
        int r;

        if (fstat(rootfs, &st) < 0)
                return den_error_set(err, errno, "stat the root");
        r = shift_tree(sh, rootfs, 0);
        if (r == 0 && (r = owners(sh, &st, &uid, &gid)) == 0 && fchown(rootfs, uid, gid) < 0)
                r = -errno;
        if (r == -EOVERFLOW)
                return den_error_set(err, 0,
                                     "\"%s\": its owner is not mapped in the container's user "
                                     "namespace",
                                     sh->path.len ? sh->path.data : "/");
        if (r < 0)
                return den_error_set(err, -r, "chown \"%s\"", sh->path.len ? sh->path.data : "/");
        if (syncfs(rootfs) < 0)
                return den_error_set(err, errno, "sync the root");
        return 0;
}

int store_rootfs_shift(int bdfd, int rootfs, const struct store_idmap *uids, size_t n_uids,
                       const struct store_idmap *gids, size_t n_gids, den_error **err)
{
        _cleanup_free_ char *want = maps_text(uids, n_uids, gids, n_gids);
        _cleanup_free_ char *have = NULL;
        _cleanup_free_ char *shifting = NULL;
        struct shift sh = { .uids = uids, .gids = gids, .n_uids = n_uids, .n_gids = n_gids };
        size_t len = 0;
        int r = den_read_file_at(bdfd, MARKER, MARKER_MAX, &have, &len);

        if (r == 0 && len == strlen(want) && memcmp(have, want, len) == 0)
                return 0;
        if (r == 0 && den_str_has_prefix(have, "shifting "))
                return den_error_set(err, 0,
                                     "the owners of its vfs root were left half changed by "
                                     "an earlier start; remove the container and create it "
                                     "again");
        if (r == 0)
                return den_error_set(err, 0,
                                     "its vfs root was made for other id mappings; remove the "
                                     "container and create it again");
        if (r != -ENOENT)
                return den_error_set(err, -r, "read %s", MARKER);
        shifting = xasprintf("shifting %s", want);
        r = den_write_file_atomic_at(bdfd, MARKER, shifting, strlen(shifting), 0600);
        if (r < 0)
                return den_error_set(err, -r, "write %s", MARKER);
        r = walk(&sh, rootfs, err);
        free(sh.seen);
        den_buf_free(&sh.path);
        if (r < 0)
                return den_error_wrap(err, "change the owners of its vfs root");
        r = den_write_file_atomic_at(bdfd, MARKER, want, strlen(want), 0600);
        if (r < 0)
                return den_error_set(err, -r, "write %s", MARKER);
        return 0;
}
