/* Archives: docker-archive and oci-archive, written by save and read by load.
 *
 * save writes each layer as its exact tar stream, rebuilt from the tar-split record, so a
 * layer's digest in the archive equals the diff_id in the image's config.
 *
 * load treats the archive as untrusted: entries are kept by name (small ones in memory,
 * large ones in anonymous temporary files), never written to the file system by name; the
 * top-level manifest.json (docker) or index.json (OCI) then says what to import, and every
 * layer goes through the same verified extraction as a pull. */
#include <archive.h>
#include <archive_entry.h>
#include "image/lazy.h"
#include <jansson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "image.h"

#define LOAD_MEM_MAX (8u << 20)
#define LOAD_MAX_ENTRIES 100000
#define LOAD_MAX_JSON (16u << 20)

/* ---------------------------------------------------------------- save */

struct tar_out {
        struct archive *a;
        struct den_sha256 *h;
        uint64_t n;
};

static int tar_data(void *ud, const void *buf, size_t n, den_error **err)
{
        struct tar_out *t = ud;

        den_sha256_update(t->h, buf, n);
        t->n += n;
        if (archive_write_data(t->a, buf, n) != (la_ssize_t) n)
                return den_error_set(err, 0, "write archive: %s", archive_error_string(t->a));
        return 0;
}

static int put_entry(struct archive *a, const char *name, int type, uint64_t size, den_error **err)
{
        struct archive_entry *e = archive_entry_new();
        int r;

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, (unsigned) type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
        archive_entry_set_size(e, type == AE_IFDIR ? 0 : (la_int64_t) size);
        archive_entry_set_mtime(e, 0, 0);
        r = archive_write_header(a, e);
        archive_entry_free(e);
        if (r != ARCHIVE_OK)
                return den_error_set(err, 0, "write archive entry \"%s\": %s", name,
                                     archive_error_string(a));
        return 0;
}

static int put_mem(struct archive *a, const char *name, const void *data, size_t len,
                   den_error **err)
{
        if (put_entry(a, name, AE_IFREG, len, err) < 0)
                return -1;
        if (len && archive_write_data(a, data, len) != (la_ssize_t) len)
                return den_error_set(err, 0, "write archive entry \"%s\": %s", name,
                                     archive_error_string(a));
        return 0;
}

static int put_layer(struct store *s, struct archive *a, const char *name, const char *diff_id,
                     den_error **err)
{
        struct tar_out t = { .a = a, .h = den_sha256_new() };
        uint64_t size = store_layer_size(s, diff_id);
        char got[72];
        int r;

        if (put_entry(a, name, AE_IFREG, size, err) < 0) {
                den_sha256_free(t.h);
                return -1;
        }
        r = img_layer_tar_write(s, diff_id, tar_data, &t, err);
        den_sha256_final(steal_ptr(t.h), got);
        if (r < 0)
                return -1;
        if (t.n != size || !streq(got, diff_id))
                return den_error_set(err, 0, "layer %s changed in the store", diff_id);
        return 0;
}

static bool seen_before(const struct img_save_item *items, size_t i, size_t k)
{
        /* has layer k of image i been written by an earlier image or layer? */
        const char *d = items[i].img->layers[k];

        for (size_t j = 0; j <= i; j++)
                for (size_t m = 0; items[j].img->layers[m] && (j < i || m < k); m++)
                        if (streq(items[j].img->layers[m], d))
                                return true;
        return false;
}

static int save_docker(struct store *s, const struct img_save_item *items, size_t n,
                       struct archive *a, den_error **err)
{
        json_auto_t *manifest = json_array();
        json_auto_t *repos = json_object();
        char *mtext;
        int r;

        for (size_t i = 0; i < n; i++) {
                const struct store_image *img = items[i].img;
                _cleanup_free_ char *cfg = NULL;
                _cleanup_free_ char *cfgname = xasprintf("%s.json", img->id);
                json_t *layers = json_array();
                json_t *tags = json_array();
                size_t len = 0;

                if (store_blob_read(s, img->config_digest, IMG_MAX_CONFIG_SIZE, &cfg, &len, err) <
                            0 ||
                    put_mem(a, cfgname, cfg, len, err) < 0) {
                        json_decref(layers);
                        json_decref(tags);
                        return -1;
                }
                for (size_t k = 0; img->layers[k]; k++) {
                        _cleanup_free_ char *lname =
                                xasprintf("%s.tar", den_digest_hex(img->layers[k]));

                        json_array_append_new(layers, json_string(lname));
                        if (!seen_before(items, i, k) &&
                            put_layer(s, a, lname, img->layers[k], err) < 0) {
                                json_decref(layers);
                                json_decref(tags);
                                return -1;
                        }
                }
                if (items[i].name) {
                        const char *colon = strrchr(items[i].name, ':');
                        const char *slash = strrchr(items[i].name, '/');
                        size_t k = den_strv_len(img->layers);

                        json_array_append_new(tags, json_string(items[i].name));
                        if (colon && (!slash || colon > slash) && k > 0) {
                                _cleanup_free_ char *repo =
                                        xstrndup(items[i].name, (size_t) (colon - items[i].name));
                                json_t *rt = json_object_get(repos, repo);

                                if (!rt) {
                                        rt = json_object();
                                        json_object_set_new(repos, repo, rt);
                                }
                                json_object_set_new(
                                        rt, colon + 1,
                                        json_string(den_digest_hex(img->layers[k - 1])));
                        }
                }
                json_array_append_new(manifest, json_pack("{s:s, s:o, s:o}", "Config", cfgname,
                                                          "RepoTags", tags, "Layers", layers));
        }
        mtext = json_dumps(manifest, JSON_COMPACT);
        r = put_mem(a, "manifest.json", mtext, strlen(mtext), err);
        free(mtext);
        if (r == 0 && json_object_size(repos)) {
                mtext = json_dumps(repos, JSON_COMPACT);
                r = put_mem(a, "repositories", mtext, strlen(mtext), err);
                free(mtext);
        }
        return r;
}

/* An OCI manifest describing the image's layers uncompressed (digest = diff_id). */
static char *oci_manifest(struct store *s, const struct store_image *img, size_t cfg_len,
                          size_t *ret_len)
{
        size_t nl = den_strv_len(img->layers);
        struct img_manifest m = {
                .schema_version = 2,
                .media_type = IMG_MEDIA_OCI_MANIFEST,
                .config = { .media_type = IMG_MEDIA_OCI_CONFIG,
                            .digest = img->config_digest,
                            .size = (int64_t) cfg_len },
                .layers = xcalloc(nl + 1, sizeof(struct img_descriptor)),
                .n_layers = nl,
        };
        char *body;

        for (size_t k = 0; k < nl; k++)
                m.layers[k] = (struct img_descriptor){
                        .media_type = IMG_MEDIA_OCI_LAYER,
                        .digest = img->layers[k],
                        .size = (int64_t) store_layer_size(s, img->layers[k]),
                };
        body = img_manifest_serialize(&m, ret_len);
        free(m.layers);
        return body;
}

static int save_oci(struct store *s, const struct img_save_item *items, size_t n, struct archive *a,
                    den_error **err)
{
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        json_auto_t *index = json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
        char *itext;
        int r;

        if (put_mem(a, "oci-layout", layout, sizeof(layout) - 1, err) < 0 ||
            put_entry(a, "blobs/", AE_IFDIR, 0, err) < 0 ||
            put_entry(a, "blobs/sha256/", AE_IFDIR, 0, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                const struct store_image *img = items[i].img;
                _cleanup_free_ char *cfg = NULL;
                _cleanup_free_ char *cfgname = xasprintf("blobs/sha256/%s", img->id);
                _cleanup_free_ char *mbody = NULL;
                _cleanup_free_ char *mname = NULL;
                char mdigest[72];
                size_t len = 0, mlen = 0;
                json_t *desc;

                for (size_t k = 0; img->layers[k]; k++) {
                        _cleanup_free_ char *lname =
                                xasprintf("blobs/sha256/%s", den_digest_hex(img->layers[k]));

                        if (!seen_before(items, i, k) &&
                            put_layer(s, a, lname, img->layers[k], err) < 0)
                                return -1;
                }
                if (store_blob_read(s, img->config_digest, IMG_MAX_CONFIG_SIZE, &cfg, &len, err) <
                    0)
                        return -1;
                if (!(i > 0 && streq(items[i - 1].img->id, img->id)) &&
                    put_mem(a, cfgname, cfg, len, err) < 0)
                        return -1;
                mbody = oci_manifest(s, img, len, &mlen);
                den_sha256_buf(mbody, mlen, mdigest);
                mname = xasprintf("blobs/sha256/%s", den_digest_hex(mdigest));
                if (!(i > 0 && streq(items[i - 1].img->id, img->id)) &&
                    put_mem(a, mname, mbody, mlen, err) < 0)
                        return -1;
                desc = json_pack("{s:s, s:s, s:I}", "mediaType", IMG_MEDIA_OCI_MANIFEST, "digest",
                                 mdigest, "size", (json_int_t) mlen);
                if (items[i].name)
                        json_object_set_new(desc, "annotations",
                                            json_pack("{s:s}", "org.opencontainers.image.ref.name",
                                                      items[i].name));
                json_array_append_new(json_object_get(index, "manifests"), desc);
        }
        itext = json_dumps(index, JSON_COMPACT);
        r = put_mem(a, "index.json", itext, strlen(itext), err);
        free(itext);
        return r;
}

int img_save(struct store *s, const struct img_save_item *items, size_t n,
             enum img_archive_format format, int out_fd, den_error **err)
{
        struct archive *a = archive_write_new();
        int r;

        if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
            archive_write_open_fd(a, out_fd) != ARCHIVE_OK) {
                r = den_error_set(err, 0, "write archive: %s", archive_error_string(a));
                archive_write_free(a);
                return r;
        }
        switch (format) {
        case IMG_ARCHIVE_DOCKER:
                r = save_docker(s, items, n, a, err);
                break;
        case IMG_ARCHIVE_OCI:
                r = save_oci(s, items, n, a, err);
                break;
        default:
                r = den_error_set(err, 0, "unknown archive format");
                break;
        }
        if (archive_write_close(a) != ARCHIVE_OK && r == 0)
                r = den_error_set(err, 0, "write archive: %s", archive_error_string(a));
        archive_write_free(a);
        return r;
}

/* ---------------------------------------------------------------- load */

struct entry {
        char *name;
        char *mem; /* small entries */
        size_t len;
        int fd; /* large entries: an anonymous temporary file */
};

struct entries {
        struct entry *v;
        size_t n;
};

static void entries_clear(struct entries *es)
{
        for (size_t i = 0; i < es->n; i++) {
                free(es->v[i].name);
                free(es->v[i].mem);
                closep(&es->v[i].fd);
        }
        free(es->v);
        *es = (struct entries){ 0 };
}

static const struct entry *entry_find(const struct entries *es, const char *name)
{
        while (name[0] == '.' && name[1] == '/')
                name += 2;
        for (size_t i = es->n; i-- > 0;) /* a later entry of the same name wins, as in tar */
                if (streq(es->v[i].name, name))
                        return &es->v[i];
        return NULL;
}

/* An fd positioned at the start of an entry's data. */
static int entry_open(const struct entry *e, den_error **err)
{
        int fd;

        if (e->fd >= 0) {
                fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 3);
                if (fd < 0)
                        return den_error_set(err, errno, "reopen \"%s\"", e->name);
                /* a dup shares the offset: read through pread-free copies instead */
                if (lseek(fd, 0, SEEK_SET) < 0) {
                        closep(&fd);
                        return den_error_set(err, errno, "rewind \"%s\"", e->name);
                }
                return fd;
        }
        fd = memfd_create("den-load", MFD_CLOEXEC);
        if (fd < 0)
                return den_error_set(err, errno, "create memory file");
        if (den_write_all(fd, e->mem, e->len) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
                int r = den_error_set(err, errno, "write memory file");

                close(fd);
                return r;
        }
        return fd;
}

static int tmp_fd(struct store *s, den_error **err)
{
        _cleanup_free_ char *dir = den_path_join(store_root(s), "tmp");
        int fd;

        (void) mkdir(dir, 0700);
        fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
                return den_error_set(err, errno, "create temporary file in \"%s\"", dir);
        return fd;
}

static int read_entry(struct store *s, struct archive *a, struct archive_entry *ae, struct entry *e,
                      den_error **err)
{
        la_int64_t size = archive_entry_size(ae);
        char buf[65536];
        la_ssize_t n;

        e->fd = -EBADF;
        if (size > (la_int64_t) LOAD_MEM_MAX) {
                e->fd = tmp_fd(s, err);
                if (e->fd < 0)
                        return -1;
        }
        while ((n = archive_read_data(a, buf, sizeof(buf))) > 0) {
                if (e->fd >= 0) {
                        if (den_write_all(e->fd, buf, (size_t) n) < 0)
                                return den_error_set(err, errno, "write temporary file");
                } else {
                        struct den_buf b = { .data = e->mem, .len = e->len, .cap = e->len + 1 };

                        if (e->len + (size_t) n > LOAD_MEM_MAX)
                                return den_error_set(err, 0, "entry \"%s\" larger than declared",
                                                     e->name);
                        if (!e->mem)
                                b = (struct den_buf){ 0 };
                        den_buf_append(&b, buf, (size_t) n);
                        e->mem = b.data;
                        e->len = b.len;
                }
        }
        if (n < 0)
                return den_error_set(err, 0, "read archive entry \"%s\": %s", e->name,
                                     archive_error_string(a));
        return 0;
}

static int read_all(struct store *s, int in_fd, struct entries *es, den_error **err)
{
        struct archive *a = archive_read_new();
        struct archive_entry *ae;
        int r = 0, rr;

        archive_read_support_filter_all(a);
        archive_read_support_format_tar(a);
        if (archive_read_open_fd(a, in_fd, 1 << 20) != ARCHIVE_OK) {
                r = den_error_set(err, 0, "read archive: %s", archive_error_string(a));
                goto out;
        }
        while ((rr = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
                const char *name = archive_entry_pathname(ae);
                struct entry *e;

                if (archive_entry_filetype(ae) != AE_IFREG || !name)
                        continue;
                if (es->n >= LOAD_MAX_ENTRIES) {
                        r = den_error_set(err, 0, "read archive: more than %d entries",
                                          LOAD_MAX_ENTRIES);
                        goto out;
                }
                while (name[0] == '.' && name[1] == '/')
                        name += 2;
                es->v = xrealloc(es->v, (es->n + 1) * sizeof(*es->v));
                e = &es->v[es->n++];
                *e = (struct entry){ .name = xstrdup(name), .fd = -EBADF };
                if (read_entry(s, a, ae, e, err) < 0) {
                        r = -1;
                        goto out;
                }
        }
        if (rr != ARCHIVE_EOF)
                r = den_error_set(err, 0, "read archive: %s", archive_error_string(a));
        else if (es->n == 0)
                r = den_error_set(err, 0,
                                  "read archive: no files in it (is it an image "
                                  "archive?)");
out:
        archive_read_free(a);
        return r;
}

static int entry_bytes(const struct entries *es, const char *name, size_t max, char **ret,
                       size_t *ret_len, den_error **err)
{
        const struct entry *e = entry_find(es, name);
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!e)
                return den_error_set(err, ENOENT, "archive has no \"%s\"", name);
        if (e->fd < 0) {
                if (e->len > max)
                        return den_error_set(err, 0, "\"%s\" is too large", name);
                *ret = xmalloc(e->len + 1);
                memcpy(*ret, e->mem ? e->mem : "", e->len);
                (*ret)[e->len] = '\0';
                *ret_len = e->len;
                return 0;
        }
        fd = entry_open(e, err);
        if (fd < 0)
                return -1;
        r = den_read_fd(fd, max, ret, ret_len);
        if (r < 0)
                return den_error_set(err, -r, "read \"%s\"", name);
        return 0;
}

struct load_image {
        const char *config_name;
        const char *expected_config_digest; /* OCI: from the manifest */
        char **layer_names;
        char **layer_digests; /* OCI: compressed digests; NULL for docker */
        char **names;         /* names to give */
        char *manifest;       /* OCI: the manifest's bytes */
        size_t manifest_len;
        char *manifest_media_type;
};

static int load_layers(struct store *s, const struct entries *es, const struct load_image *li,
                       const struct img_config *cfg, den_error **err)
{
        for (size_t k = 0; li->layer_names[k]; k++) {
                const struct entry *e = entry_find(es, li->layer_names[k]);
                struct img_layer_opts lo = {
                        .expected_digest = li->layer_digests ? li->layer_digests[k] : NULL,
                        .expected_diff_id = cfg->diff_ids[k],
                        .whiteouts = IMG_WHITEOUT_OVERLAY,
                };
                _cleanup_close_ int fd = -EBADF;

                if (store_layer_exists(s, cfg->diff_ids[k]))
                        continue;
                if (!e)
                        return den_error_set(err, 0, "archive has no layer \"%s\"",
                                             li->layer_names[k]);
                fd = entry_open(e, err);
                if (fd < 0 || img_layer_store(s, fd, &lo, NULL, err) < 0)
                        return den_error_wrap(err, "layer \"%s\"", li->layer_names[k]);
        }
        return 0;
}

static int load_one(struct store *s, const struct entries *es, const struct load_image *li,
                    char ***loaded, den_error **err)
{
        _cleanup_free_ char *cbody = NULL;
        _cleanup_free_ char *mbody = NULL;
        _cleanup_(img_config_freep) struct img_config *cfg = NULL;
        char cdigest[72], mdigest[72];
        size_t clen = 0, mlen = 0, nl = den_strv_len(li->layer_names);
        char **digests = NULL;
        struct store_image img;
        int r;

        if (entry_bytes(es, li->config_name, IMG_MAX_CONFIG_SIZE, &cbody, &clen, err) < 0)
                return -1;
        den_sha256_buf(cbody, clen, cdigest);
        if (li->expected_config_digest && !streq(cdigest, li->expected_config_digest))
                return den_error_set(err, 0, "config digest mismatch: expected %s, got %s",
                                     li->expected_config_digest, cdigest);
        if (img_config_parse(cbody, clen, &cfg, err) < 0)
                return den_error_wrap(err, "config \"%s\"", li->config_name);
        if (den_strv_len(cfg->diff_ids) != nl)
                return den_error_set(err, 0, "image has %zu layers but its config %zu diff_ids", nl,
                                     den_strv_len(cfg->diff_ids));
        if (load_layers(s, es, li, cfg, err) < 0)
                return -1;
        if (li->manifest) {
                mbody = xstrndup(li->manifest, li->manifest_len);
                mlen = li->manifest_len;
        } else {
                struct store_image tmp = { .config_digest = cdigest, .layers = cfg->diff_ids };

                mbody = oci_manifest(s, &tmp, clen, &mlen);
        }
        if (store_blob_write(s, cbody, clen, cdigest, NULL, err) < 0 ||
            store_blob_write(s, mbody, mlen, NULL, mdigest, err) < 0)
                return -1;
        for (size_t i = 0; li->names && li->names[i]; i++) {
                const char *colon = strrchr(li->names[i], ':');
                const char *slash = strrchr(li->names[i], '/');
                size_t rl = colon && (!slash || colon > slash) ? (size_t) (colon - li->names[i])
                                                               : strlen(li->names[i]);
                _cleanup_free_ char *d = xasprintf("%.*s@%s", (int) rl, li->names[i], mdigest);

                den_strv_push(&digests, d);
        }
        img = (struct store_image){
                .id = (char *) den_digest_hex(cdigest),
                .names = li->names,
                .digests = digests,
                .manifest_digest = mdigest,
                .manifest_media_type =
                        li->manifest_media_type ? li->manifest_media_type : IMG_MEDIA_OCI_MANIFEST,
                .config_digest = cdigest,
                .layers = cfg->diff_ids,
                .created = cfg->created_unix,
                .os = cfg->os,
                .arch = cfg->architecture,
        };
        for (size_t k = 0; k < nl; k++)
                img.size += store_layer_size(s, cfg->diff_ids[k]);
        r = store_image_add(s, &img, err);
        den_strv_free(digests);
        if (r < 0)
                return -1;
        if (li->names && li->names[0]) {
                for (size_t i = 0; li->names[i]; i++)
                        den_strv_push(loaded, li->names[i]);
        } else {
                _cleanup_free_ char *id = xasprintf("sha256:%s", img.id);

                den_strv_push(loaded, id);
        }
        return 0;
}

/* "busybox:latest" in a docker archive means Docker Hub, as docker load reads it. */
static char *docker_name(const char *tag, bool is_docker, den_error **err)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        _cleanup_free_ char *q = NULL;

        if (img_ref_parse(tag, &ref, err) < 0)
                return NULL;
        if (ref->domain)
                return img_ref_string(ref);
        q = xasprintf("%s/%s", is_docker ? "docker.io" : "localhost", tag);
        img_ref_free(steal_ptr(ref));
        if (img_ref_parse(q, &ref, err) < 0)
                return NULL;
        return img_ref_string(ref);
}

static char **json_strv(json_t *arr)
{
        char **v = xcalloc(1, sizeof(char *));
        size_t i;
        json_t *x;

        json_array_foreach (arr, i, x) {
                if (json_is_string(x))
                        den_strv_push(&v, json_string_value(x));
        }
        return v;
}

static int load_docker(struct store *s, const struct entries *es, char ***loaded, den_error **err)
{
        _cleanup_free_ char *text = NULL;
        json_auto_t *root = NULL;
        json_error_t jerr;
        size_t len = 0, i;
        json_t *item;

        if (entry_bytes(es, "manifest.json", LOAD_MAX_JSON, &text, &len, err) < 0)
                return -1;
        root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root || !json_is_array(root))
                return den_error_set(err, 0, "manifest.json: %s",
                                     root ? "not an array" : jerr.text);
        json_array_foreach (root, i, item) {
                json_t *cfg = json_object_get(item, "Config");
                json_t *layers = json_object_get(item, "Layers");
                json_t *tags = json_object_get(item, "RepoTags");
                struct load_image li = { 0 };
                size_t k;
                json_t *t;
                int r;

                if (!json_is_string(cfg) || !json_is_array(layers) ||
                    (tags && !json_is_array(tags) && !json_is_null(tags)))
                        return den_error_set(err, 0,
                                             "manifest.json: entry %zu: expected "
                                             "Config, Layers and RepoTags",
                                             i);
                li.config_name = json_string_value(cfg);
                li.layer_names = json_strv(layers);
                li.names = xcalloc(1, sizeof(char *));
                json_array_foreach (tags, k, t) {
                        char *n = json_is_string(t) ? docker_name(json_string_value(t), true, err)
                                                    : NULL;

                        if (!n) {
                                den_strv_free(li.layer_names);
                                den_strv_free(li.names);
                                return den_error_wrap(err, "manifest.json: RepoTags");
                        }
                        den_strv_push(&li.names, n);
                        free(n);
                }
                r = load_one(s, es, &li, loaded, err);
                den_strv_free(li.layer_names);
                den_strv_free(li.names);
                if (r < 0)
                        return -1;
        }
        return 0;
}

static char *blob_name(const char *digest)
{
        return xasprintf("blobs/sha256/%s", den_digest_hex(digest));
}

static int verified_blob(const struct entries *es, const char *digest, size_t max, char **ret,
                         size_t *ret_len, den_error **err)
{
        _cleanup_free_ char *name = NULL;
        char got[72];

        if (!den_digest_is_valid(digest) || !den_str_has_prefix(digest, "sha256:"))
                return den_error_set(err, 0, "unsupported digest \"%s\"", digest);
        name = blob_name(digest);
        if (entry_bytes(es, name, max, ret, ret_len, err) < 0)
                return -1;
        den_sha256_buf(*ret, *ret_len, got);
        if (!streq(got, digest)) {
                free(steal_ptr(*ret));
                return den_error_set(err, 0, "blob digest mismatch: expected %s, got %s", digest,
                                     got);
        }
        return 0;
}

static int load_oci_manifest(struct store *s, const struct entries *es, const char *digest,
                             const char *ref_name, char ***loaded, den_error **err)
{
        _cleanup_(img_manifest_freep) struct img_manifest *m = NULL;
        _cleanup_free_ char *body = NULL;
        _cleanup_free_ char *cfgname = NULL;
        struct load_image li = { 0 };
        size_t len = 0;
        int r;

        if (verified_blob(es, digest, IMG_MAX_MANIFEST_SIZE, &body, &len, err) < 0 ||
            img_manifest_parse(body, len, NULL, &m, err) < 0)
                return -1;
        if (m->is_index) {
                int i = img_manifest_pick(m, NULL, NULL, NULL, err);

                if (i < 0)
                        return -1;
                return load_oci_manifest(s, es, m->manifests[i].digest, ref_name, loaded, err);
        }
        cfgname = blob_name(m->config.digest);
        li.config_name = cfgname;
        li.expected_config_digest = m->config.digest;
        li.layer_names = xcalloc(m->n_layers + 1, sizeof(char *));
        li.layer_digests = xcalloc(m->n_layers + 1, sizeof(char *));
        for (size_t k = 0; k < m->n_layers; k++) {
                li.layer_names[k] = blob_name(m->layers[k].digest);
                li.layer_digests[k] = xstrdup(m->layers[k].digest);
        }
        li.names = xcalloc(1, sizeof(char *));
        /* a bare tag ("latest") names no repository: the image stays unnamed */
        if (ref_name && (strchr(ref_name, '/') || strchr(ref_name, ':'))) {
                char *n = docker_name(ref_name, false, err);

                if (!n) {
                        r = -1;
                        goto out;
                }
                den_strv_push(&li.names, n);
                free(n);
        }
        li.manifest = body;
        li.manifest_len = len;
        li.manifest_media_type = m->media_type;
        r = load_one(s, es, &li, loaded, err);
out:
        den_strv_free(li.layer_names);
        den_strv_free(li.layer_digests);
        den_strv_free(li.names);
        return r;
}

static int load_oci(struct store *s, const struct entries *es, char ***loaded, den_error **err)
{
        _cleanup_free_ char *text = NULL;
        _cleanup_(img_manifest_freep) struct img_manifest *idx = NULL;
        size_t len = 0;

        if (entry_bytes(es, "index.json", IMG_MAX_MANIFEST_SIZE, &text, &len, err) < 0 ||
            img_manifest_parse(text, len, IMG_MEDIA_OCI_INDEX, &idx, err) < 0)
                return den_error_wrap(err, "index.json");
        if (!idx->is_index)
                return den_error_set(err, 0, "index.json: not an image index");
        for (size_t i = 0; i < idx->n_manifests; i++) {
                json_auto_t *doc = json_loadb(text, len, 0, NULL);
                json_t *ann = json_object_get(
                        json_object_get(json_array_get(json_object_get(doc, "manifests"), i),
                                        "annotations"),
                        "org.opencontainers.image.ref.name");

                if (load_oci_manifest(s, es, idx->manifests[i].digest,
                                      json_is_string(ann) ? json_string_value(ann) : NULL, loaded,
                                      err) < 0)
                        return -1;
        }
        return 0;
}

int img_load(struct store *s, int in_fd, char ***ret_loaded, den_error **err)
{
        struct entries es = { 0 };
        char **loaded = xcalloc(1, sizeof(char *));
        int r;

        r = read_all(s, in_fd, &es, err);
        if (r == 0) {
                if (entry_find(&es, "manifest.json"))
                        r = load_docker(s, &es, &loaded, err);
                else if (entry_find(&es, "index.json"))
                        r = load_oci(s, &es, &loaded, err);
                else
                        r = den_error_set(err, 0,
                                          "unknown archive: neither manifest.json "
                                          "(docker-archive) nor index.json (oci-archive)");
        }
        entries_clear(&es);
        if (r < 0) {
                den_strv_free(loaded);
                return den_error_wrap(err, "load");
        }
        *ret_loaded = loaded;
        return 0;
}
