/* tar-split: a recorded tar stream replays byte for byte from the files on disk. */
#include <archive.h>
#include <archive_entry.h>
#include "image/lazy.h"
#include <sys/stat.h>
#include "image/image.h"
#include "tap.h"

struct mem {
        struct den_buf b;
};

static la_ssize_t mem_write(struct archive *a, void *ud, const void *buf, size_t n)
{
        den_buf_append(&((struct mem *) ud)->b, buf, n);
        return (la_ssize_t) n;
}

static int collect(void *ud, const void *buf, size_t n, den_error **err)
{
        den_buf_append(ud, buf, n);
        return 0;
}

struct file {
        const char *path;
        int type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, or 0 for a hardlink */
        const char *data_or_target;
        size_t size;
};

static void make_tar(int format, const struct file *files, size_t n, struct den_buf *out)
{
        struct archive *a = archive_write_new();
        struct mem m = { { 0 } };

        archive_write_set_format(a, format);
        archive_write_set_bytes_per_block(a, 10240);
        archive_write_open(a, &m, NULL, mem_write, NULL);
        for (size_t i = 0; i < n; i++) {
                struct archive_entry *e = archive_entry_new();

                archive_entry_set_pathname(e, files[i].path);
                archive_entry_set_mtime(e, 1700000000, 0);
                archive_entry_set_uid(e, 1000);
                if (files[i].type == 0) {
                        archive_entry_set_filetype(e, AE_IFREG);
                        archive_entry_set_hardlink(e, files[i].data_or_target);
                        archive_entry_set_perm(e, 0644);
                } else if (files[i].type == AE_IFLNK) {
                        archive_entry_set_filetype(e, AE_IFLNK);
                        archive_entry_set_symlink(e, files[i].data_or_target);
                        archive_entry_set_perm(e, 0777);
                } else {
                        archive_entry_set_filetype(e, (unsigned) files[i].type);
                        archive_entry_set_perm(e, files[i].type == AE_IFDIR ? 0755 : 0644);
                        archive_entry_set_size(e, (la_int64_t) files[i].size);
                }
                archive_write_header(a, e);
                if (files[i].type == AE_IFREG && files[i].size)
                        archive_write_data(a, files[i].data_or_target, files[i].size);
                archive_entry_free(e);
        }
        archive_write_close(a);
        archive_write_free(a);
        *out = m.b;
}

static void write_tree(int dfd, const struct file *files, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                char dir[PATH_MAX];
                char *slash;

                snprintf(dir, sizeof(dir), "%s", files[i].path);
                slash = strrchr(dir, '/');
                if (slash) {
                        *slash = '\0';
                        den_mkdir_p_at(dfd, dir, 0755);
                }
                if (files[i].type == AE_IFDIR) {
                        den_mkdir_p_at(dfd, files[i].path, 0755);
                } else if (files[i].type == AE_IFREG) {
                        int fd = openat(dfd, files[i].path,
                                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

                        den_write_all(fd, files[i].data_or_target, files[i].size);
                        close(fd);
                } else if (files[i].type == AE_IFLNK) {
                        (void) !symlinkat(files[i].data_or_target, dfd, files[i].path);
                } else {
                        (void) !linkat(dfd, files[i].data_or_target, dfd, files[i].path, 0);
                }
        }
}

static int replay_buf(const char *rec, size_t len, int root, struct den_buf *out, den_error **err)
{
        char tmpl[] = "/tmp/den-ts-rec-XXXXXX";
        int fd = mkstemp(tmpl);
        int r;

        unlink(tmpl);
        den_write_all(fd, rec, len);
        lseek(fd, 0, SEEK_SET);
        r = img_tarsplit_replay(fd, root, collect, out, err);
        close(fd);
        return r;
}

static void roundtrip(int format, const char *label, size_t chunk)
{
        static char big[70000];
        char longname[300];
        struct file files[] = {
                { "etc", AE_IFDIR, NULL, 0 },
                { "etc/hostname", AE_IFREG, "den\n", 4 },
                { "etc/empty", AE_IFREG, "", 0 },
                { "usr/lib/big.bin", AE_IFREG, big, sizeof(big) },
                { longname, AE_IFREG, "long\n", 5 },
                { "etc/link", AE_IFLNK, "hostname", 0 },
                { "etc/hard", 0, "etc/hostname", 0 },
                { "etc/.wh.gone", AE_IFREG, "", 0 },
        };
        char tmpl[] = "/tmp/den-ts-XXXXXX";
        struct den_buf tar = { 0 }, out = { 0 };
        struct img_tarsplit_rec *rec = img_tarsplit_rec_new();
        den_error *err = NULL;
        char *data = NULL;
        size_t len = 0;
        int root;

        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (char) (i * 7 + 3);
        memset(longname, 0, sizeof(longname));
        strcpy(longname, "deep/");
        for (int i = 0; i < 25; i++)
                strcat(longname, "dirname_x/");
        strcat(longname, "file.txt");

        make_tar(format, files, ARRAY_SIZE(files), &tar);
        for (size_t off = 0; off < tar.len; off += chunk)
                img_tarsplit_rec_feed(rec, tar.data + off,
                                      tar.len - off < chunk ? tar.len - off : chunk);
        ok(img_tarsplit_rec_finish(rec, &data, &len, &err) == 0);
        ok(len > 0 && len < tar.len);

        root = open(mkdtemp(tmpl), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        write_tree(root, files, ARRAY_SIZE(files));
        is_int(replay_buf(data, len, root, &out, &err), 0);
        is_int(out.len, tar.len);
        TAP_REPORT(out.len == tar.len && memcmp(out.data, tar.data, tar.len) == 0,
                   "%s replay is byte-identical (chunk %zu)", label, chunk);

        /* a file changed on disk no longer matches its entry */
        {
                int fd = openat(root, "etc/hostname", O_WRONLY | O_APPEND | O_CLOEXEC);
                struct den_buf o2 = { 0 };

                den_write_all(fd, "x", 1);
                close(fd);
                den_error_free(err);
                err = NULL;
                ok(replay_buf(data, len, root, &o2, &err) < 0);
                ok(err && strstr(err->msg, "etc/hostname"));
                den_buf_free(&o2);
        }
        den_rm_rf_at(AT_FDCWD, tmpl);
        close(root);
        den_error_free(err);
        free(data);
        den_buf_free(&tar);
        den_buf_free(&out);
}

static void truncated(void)
{
        struct file files[] = { { "a", AE_IFREG, "0123456789", 10 } };
        struct den_buf tar = { 0 };
        struct img_tarsplit_rec *rec = img_tarsplit_rec_new();
        den_error *err = NULL;
        char *data = NULL;
        size_t len = 0;

        make_tar(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, files, 1, &tar);
        img_tarsplit_rec_feed(rec, tar.data, 512 + 5); /* header and half the contents */
        ok(img_tarsplit_rec_finish(rec, &data, &len, &err) < 0);
        den_error_free(err);
        den_buf_free(&tar);
}

static void escaping_name(void)
{
        unsigned char hdr[1024] = { 0 };
        struct img_tarsplit_rec *rec = img_tarsplit_rec_new();
        den_error *err = NULL;
        char *data = NULL;
        size_t len = 0;

        strcpy((char *) hdr, "../escape");
        memcpy(hdr + 124, "00000000005", 11);
        hdr[156] = '0';
        img_tarsplit_rec_feed(rec, hdr, sizeof(hdr));
        ok(img_tarsplit_rec_finish(rec, &data, &len, &err) < 0);
        den_error_free(err);
}

int main(void)
{
        roundtrip(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, "pax", 1 << 20);
        roundtrip(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, "pax", 1);
        roundtrip(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, "pax", 777);
        roundtrip(ARCHIVE_FORMAT_TAR_GNUTAR, "gnu", 513);
        roundtrip(ARCHIVE_FORMAT_TAR_USTAR, "ustar", 4096);
        truncated();
        escaping_name();
        return tap_done();
}
