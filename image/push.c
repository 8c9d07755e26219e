/* Push: a stored image to a registry. A layer the registry already holds under its original
 * digest (or can mount from another repository it holds) is reused as is; any other layer is
 * rebuilt byte for byte from its tar-split record and the files in the store, gzip-compressed
 * into a temporary file while both digests are computed, and uploaded. When every layer and
 * the manifest format are unchanged, the stored manifest is pushed verbatim, so the pushed
 * digest equals the pulled one. */
#include <archive.h>
#include <archive_entry.h>
#include "image/lazy.h"
#include <sys/stat.h>
#include "image.h"

struct sink_fd {
        int fd;
        struct den_sha256 *h;
        uint64_t n;
};

static int write_fd_hashed(void *ud, const void *buf, size_t n, den_error **err)
{
        struct sink_fd *s = ud;
        int r;

        if (s->h)
                den_sha256_update(s->h, buf, n);
        s->n += n;
        r = den_write_all(s->fd, buf, n);
        if (r < 0)
                return den_error_set(err, -r, "write layer");
        return 0;
}

int img_layer_tar_write(struct store *s, const char *diff_id,
                        int (*write)(void *ud, const void *buf, size_t n, den_error **err),
                        void *ud, den_error **err)
{
        _cleanup_close_ int rec = -EBADF;
        _cleanup_close_ int root = -EBADF;

        if (store_layer_open_file(s, diff_id, "tar-split.gz", &rec, err) < 0)
                return den_error_wrap(err, "layer %s", diff_id);
        if (store_layer_open(s, diff_id, &root, err) < 0)
                return -1;
        if (img_tarsplit_replay(rec, root, write, ud, err) < 0)
                return den_error_wrap(err, "rebuild layer %s", diff_id);
        return 0;
}

/* gzip through libarchive's raw writer, into a hashed temporary file */
struct gz_ctx {
        struct archive *w;
        struct den_sha256 *tar_hash;
        struct sink_fd out;
};

static la_ssize_t gz_out(struct archive *a, void *ud, const void *buf, size_t n)
{
        struct gz_ctx *g = ud;
        den_error *e = NULL;

        if (write_fd_hashed(&g->out, buf, n, &e) < 0) {
                den_error_free(e);
                archive_set_error(a, EIO, "write compressed layer");
                return -1;
        }
        return (la_ssize_t) n;
}

static int gz_in(void *ud, const void *buf, size_t n, den_error **err)
{
        struct gz_ctx *g = ud;

        den_sha256_update(g->tar_hash, buf, n);
        if (archive_write_data(g->w, buf, n) != (la_ssize_t) n)
                return den_error_set(err, 0, "compress layer: %s", archive_error_string(g->w));
        return 0;
}

static int open_tmp(struct store *s, den_error **err)
{
        _cleanup_free_ char *dir = den_path_join(store_root(s), "tmp");
        int fd;

        (void) mkdir(dir, 0700);
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return den_error_set(err, errno, "create temporary file in \"%s\"", dir);
        return fd;
}

/* Rebuilds a layer as a gzip blob in a temporary file; returns its fd at offset 0. */
static int build_layer_blob(struct store *s, const char *diff_id, char ret_digest[72],
                            uint64_t *ret_size, den_error **err)
{
        struct gz_ctx g = { .tar_hash = den_sha256_new() };
        _cleanup_close_ int fd = open_tmp(s, err);
        struct archive_entry *e = NULL;
        char diff[72];
        int r = -1;

        g.out = (struct sink_fd){ .fd = fd, .h = den_sha256_new() };
        if (fd < 0)
                goto out;
        g.w = archive_write_new();
        e = archive_entry_new();
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_pathname(e, "layer");
        if (archive_write_set_format_raw(g.w) != ARCHIVE_OK ||
            archive_write_add_filter_gzip(g.w) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(g.w, 1) != ARCHIVE_OK ||
            archive_write_open(g.w, &g, NULL, gz_out, NULL) != ARCHIVE_OK ||
            archive_write_header(g.w, e) != ARCHIVE_OK) {
                den_error_set(err, 0, "compress layer: %s", archive_error_string(g.w));
                goto out;
        }
        if (img_layer_tar_write(s, diff_id, gz_in, &g, err) < 0)
                goto out;
        if (archive_write_close(g.w) != ARCHIVE_OK) {
                den_error_set(err, 0, "compress layer: %s", archive_error_string(g.w));
                goto out;
        }
        den_sha256_final(steal_ptr(g.tar_hash), diff);
        if (!streq(diff, diff_id)) {
                den_error_set(err, 0, "layer %s changed in the store: it now hashes to %s", diff_id,
                              diff);
                goto out;
        }
        den_sha256_final(steal_ptr(g.out.h), ret_digest);
        *ret_size = g.out.n;
        if (lseek(fd, 0, SEEK_SET) < 0) {
                den_error_set(err, errno, "rewind layer blob");
                goto out;
        }
        r = steal_fd(fd);
out:
        if (e)
                archive_entry_free(e);
        if (g.w)
                archive_write_free(g.w);
        den_sha256_free(g.tar_hash);
        den_sha256_free(g.out.h);
        return r;
}

static void say(const struct img_push_opts *o, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void say(const struct img_push_opts *o, const char *fmt, ...)
{
        va_list ap;

        if (o->is_quiet || !o->progress_out)
                return;
        va_start(ap, fmt);
        vfprintf(o->progress_out, fmt, ap);
        va_end(ap);
        fflush(o->progress_out);
}

/* A repository on the same registry that holds this image already (for cross mounts). */
static char *mount_source(const struct store_image *img, const char *domain, const char *path)
{
        size_t dl = strlen(domain);

        for (size_t i = 0; img->digests && img->digests[i]; i++) {
                const char *d = img->digests[i];
                const char *at = strchr(d, '@');

                if (at && strncmp(d, domain, dl) == 0 && d[dl] == '/') {
                        char *repo = xstrndup(d + dl + 1, (size_t) (at - d - dl - 1));

                        if (!streq(repo, path))
                                return repo;
                        free(repo);
                }
        }
        return NULL;
}

static bool media_fits(const char *media, bool is_oci)
{
        if (is_oci)
                return streq(media, IMG_MEDIA_OCI_LAYER_GZIP) ||
                       streq(media, IMG_MEDIA_OCI_LAYER_ZSTD) || streq(media, IMG_MEDIA_OCI_LAYER);
        return streq(media, IMG_MEDIA_DOCKER_LAYER_GZIP);
}

static int push_layer(struct store *s, struct img_client *c, const struct img_ref *dest,
                      const char *from, const char *diff_id, struct img_descriptor *d, bool is_oci,
                      const struct img_push_opts *o, bool *ret_changed, den_error **err)
{
        _cleanup_close_ int fd = -EBADF;
        char digest[72];
        uint64_t size = 0;
        int r;

        if (d->digest && media_fits(d->media_type, is_oci)) {
                r = img_client_blob_exists(c, dest->path, d->digest, err);
                if (r < 0)
                        return -1;
                if (r == 0 && from)
                        r = img_client_blob_mount(c, dest->path, d->digest, from, err);
                if (r < 0)
                        return -1;
                if (r > 0) {
                        say(o, "Copying blob %s skipped: already exists\n", d->digest);
                        return 0;
                }
        }
        fd = build_layer_blob(s, diff_id, digest, &size, err);
        if (fd < 0)
                return -1;
        say(o, "Copying blob %s\n", digest);
        r = img_client_blob_exists(c, dest->path, digest, err);
        if (r < 0)
                return -1;
        if (r == 0 && img_client_put_blob_fd(c, dest->path, digest, fd, size, err) < 0)
                return -1;
        free(d->digest);
        free(d->media_type);
        d->digest = xstrdup(digest);
        d->size = (int64_t) size;
        d->media_type = xstrdup(is_oci ? IMG_MEDIA_OCI_LAYER_GZIP : IMG_MEDIA_DOCKER_LAYER_GZIP);
        *ret_changed = true;
        return 0;
}

static int push_config(struct store *s, struct img_client *c, const struct img_ref *dest,
                       const struct store_image *img, const struct img_push_opts *o,
                       den_error **err)
{
        _cleanup_free_ char *body = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;
        int r;

        say(o, "Copying config %s\n", img->config_digest);
        r = img_client_blob_exists(c, dest->path, img->config_digest, err);
        if (r != 0)
                return r < 0 ? -1 : 0;
        if (store_blob_read(s, img->config_digest, IMG_MAX_CONFIG_SIZE, &body, &len, err) < 0)
                return -1;
        fd = open_tmp(s, err);
        if (fd < 0)
                return -1;
        if (den_write_all(fd, body, len) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return den_error_set(err, errno, "write config");
        return img_client_put_blob_fd(c, dest->path, img->config_digest, fd, len, err);
}

int img_push(struct store *s, const struct store_image *img, const struct img_ref *dest,
             const struct img_push_opts *o, char ret_digest[72], den_error **err)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m = NULL;
        _cleanup_free_ char *mbody = NULL;
        _cleanup_free_ char *newbody = NULL;
        _cleanup_free_ char *from = NULL;
        struct img_client *c = NULL;
        const char *body;
        const char *tag = dest->tag ? dest->tag : "latest";
        size_t mlen = 0, blen;
        size_t nl = den_strv_len(img->layers);
        bool is_oci, is_changed = false;
        int r = -1;

        if (!dest->domain)
                return den_error_set(err, 0, "push: destination is not fully qualified");
        if (store_blob_read(s, img->manifest_digest, IMG_MAX_MANIFEST_SIZE, &mbody, &mlen, err) <
                    0 ||
            img_manifest_parse(mbody, mlen, img->manifest_media_type, &m, err) < 0)
                return -1;
        if (m->n_layers != nl)
                return den_error_set(err, 0, "image %.12s: manifest and layers disagree", img->id);
        is_oci = o->format ? streq(o->format, "oci")
                           : !streq(m->media_type, IMG_MEDIA_DOCKER_MANIFEST);
        if (is_oci != !streq(m->media_type, IMG_MEDIA_DOCKER_MANIFEST))
                is_changed = true;
        if (img_client_new(dest->domain, &o->client, &c, err) < 0)
                return -1;
        from = mount_source(img, dest->domain, dest->path);
        for (size_t i = 0; i < nl; i++)
                if (push_layer(s, c, dest, from, img->layers[i], &m->layers[i], is_oci, o,
                               &is_changed, err) < 0)
                        goto out;
        if (push_config(s, c, dest, img, o, err) < 0)
                goto out;
        body = mbody;
        blen = mlen;
        if (is_changed) {
                free(m->media_type);
                m->media_type =
                        xstrdup(is_oci ? IMG_MEDIA_OCI_MANIFEST : IMG_MEDIA_DOCKER_MANIFEST);
                free(m->config.media_type);
                m->config.media_type =
                        xstrdup(is_oci ? IMG_MEDIA_OCI_CONFIG : IMG_MEDIA_DOCKER_CONFIG);
                newbody = img_manifest_serialize(m, &blen);
                body = newbody;
        }
        say(o, "Writing manifest to image destination\n");
        if (img_client_put_manifest(c, dest->path, tag, m->media_type, body, blen, err) < 0)
                goto out;
        den_sha256_buf(body, blen, ret_digest);
        r = 0;
out:
        img_client_free(c);
        return r;
}
