/* den storage library: the per-user store of layers, images and (later) containers, with
 * atomic metadata and locks. storage/'s one public header. storage/ never talks to the
 * network.
 *
 * On disk, below the root (default ~/.local/share/den):
 *   store.json                  version, driver, and the id mapping the store was built with
 *   store.lock                  flock held for every multi-file change
 *   layers/<hex>/diff/          a layer's extracted content, keyed by its diff_id; overlay
 *                               whiteout format (0:0 char devices, user.overlay.opaque=y)
 *   layers/<hex>/layer.json     {"diff_id", "size", "created"}
 *   layers/.stage-<rand>/diff/  a layer being extracted; renamed into place when verified
 *   blobs/sha256/<hex>          manifests and configs, content-addressed and verified
 *   images.json                 every image record (one file: listing reads one file)
 */
#pragma once

#include "util/util.h"

struct store_opts {
        const char *root;    /* NULL: $XDG_DATA_HOME/den or ~/.local/share/den */
        const char *runroot; /* NULL: $XDG_RUNTIME_DIR/den, else /tmp/den-<uid> (0700) */
        const char *driver;  /* NULL: from store.json, else "overlay"; or "vfs" */
        /* The id mapping in force ("0:1000:1,1:100000:65536/0:1000:1,1:100000:65536").
         * When set, a store built with another mapping is refused with an error naming the
         * fix. NULL for read-only commands, which check nothing. */
        const char *idmap_key;
        bool is_read_only; /* never create anything (images, ps, inspect) */
};

struct store;

int store_open(const struct store_opts *opts, struct store **ret, den_error **err);
void store_free(struct store *s);
static inline void store_freep(struct store **s)
{
        store_free(*s);
}
const char *store_root(const struct store *s);
const char *store_runroot(const struct store *s);
const char *store_driver(const struct store *s);
/* Takes the store lock (exclusive); returns the lock fd to close, or < 0 with err. */
int store_lock(struct store *s, den_error **err);

/* ---------------------------------------------------------------- blobs */

/* Reads blobs/sha256/<hex>, verifying nothing (it was verified on the way in). */
int store_blob_read(struct store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
                    den_error **err);
/* Stores data under its sha256; when expected_digest is set and differs, an error naming it
 * and nothing is written. ret_digest may be NULL. */
int store_blob_write(struct store *s, const void *data, size_t len, const char *expected_digest,
                     char ret_digest[72], den_error **err);

/* ---------------------------------------------------------------- layers */

struct store_stage {
        int dfd;    /* the diff directory to extract into (O_DIRECTORY) */
        char *name; /* layers/.stage-<rand> */
        bool is_committed;
};

bool store_layer_exists(struct store *s, const char *diff_id);
/* Creates a staging directory; extract into stage->dfd, then commit or free. */
int store_layer_stage(struct store *s, struct store_stage **ret, den_error **err);
/* Renames the stage into layers/<hex of diff_id>. When another process committed the same
 * layer first, the stage is discarded and this succeeds. */
int store_layer_commit(struct store *s, struct store_stage *st, const char *diff_id,
                       uint64_t size, den_error **err);
/* Removes an uncommitted stage (needs to run inside the user namespace) and frees st. */
void store_stage_free(struct store *s, struct store_stage *st);
/* O_PATH|O_DIRECTORY fd of layers/<hex>/diff. */
int store_layer_open(struct store *s, const char *diff_id, int *ret_dfd, den_error **err);
/* Absolute path of layers/<hex>/diff (for overlay lowerdir). */
char *store_layer_path(struct store *s, const char *diff_id);
uint64_t store_layer_size(struct store *s, const char *diff_id);
/* Removes stale stages and layers no image references (under the lock). */
int store_layers_gc(struct store *s, den_error **err);

/* ---------------------------------------------------------------- images */

struct store_image {
        char *id;                  /* 64 hex: the config digest's hex */
        char **names;              /* "docker.io/library/alpine:latest", NULL-terminated */
        char **digests;            /* repo digests: "docker.io/library/alpine@sha256:..." */
        char *manifest_digest;     /* "sha256:..." of the manifest in blobs/ */
        char *manifest_media_type;
        char *config_digest;       /* "sha256:<id>" */
        char **layers;             /* diff_ids, base first, NULL-terminated */
        int64_t created;           /* from the config, unix seconds */
        int64_t stored;            /* when it entered the store */
        uint64_t size;             /* sum of the layers' uncompressed sizes */
        char *os;
        char *arch;
};

void store_image_free(struct store_image *img);
void store_images_free(struct store_image **imgs, size_t n);
/* All images, newest first. */
int store_images_list(struct store *s, struct store_image ***ret, size_t *ret_n, den_error **err);
/* Finds one image by full ID, unique ID prefix (3+ chars), "sha256:<id>", name with or without
 * tag (":latest" implied), repo digest, or short name matching the last components of a name
 * ("alpine" finds "docker.io/library/alpine:latest"; ambiguous short names are an error).
 * ENOENT-coded error "<s>: image not known" when none matches. */
int store_image_find(struct store *s, const char *name, struct store_image **ret,
                     den_error **err);
/* Adds (or updates) an image: the layers must exist. Names in img->names are taken from
 * any other image that had them; img's digests are merged. Under the lock. */
int store_image_add(struct store *s, const struct store_image *img, den_error **err);
/* Adds a name to an image (removing it from any other image). */
int store_image_tag(struct store *s, const char *id, const char *name, den_error **err);
/* Removes a name (all names when name is NULL). ENOENT-coded error when it has no such name. */
int store_image_untag(struct store *s, const char *id, const char *name, den_error **err);
/* Removes an image record and its now-unreferenced layers and blobs. */
int store_image_remove(struct store *s, const char *id, den_error **err);

/* Default locations, computed from the real user's environment (call before entering the
 * user namespace, where getuid() is 0). */
char *store_default_root(void);
char *store_default_runroot(void);

/* ---------------------------------------------------------------- files beside a layer */

/* Writes layers/.stage-<rand>/<name> (a file kept beside the diff, e.g. "tar-split.gz"). */
int store_stage_put_file(struct store *s, struct store_stage *st, const char *name,
                         const void *data, size_t len, den_error **err);
/* Opens layers/<hex>/<name> read-only; ENOENT-coded error when absent. */
int store_layer_open_file(struct store *s, const char *diff_id, const char *name, int *ret_fd,
                          den_error **err);

/* ---------------------------------------------------------------- additions */

/* Parses the text of images.json: a JSON array of image records, strictly (unknown keys,
 * wrong types, invalid ids or digests, over-long fields and duplicate ids are errors).
 * Newest first. Exposed for the fuzz target; store_images_list is what callers want. */
int store_images_parse(const char *buf, size_t len, struct store_image ***ret, size_t *ret_n,
                       den_error **err);

/* Pulls and garbage collection: store_layer_exists, store_layer_stage and store_blob_write on
 * a writable store pin it (a shared flock on <root>/gc.lock) until store_image_add succeeds or
 * the store is freed. While any process holds a pin, gc (store_image_remove,
 * store_layers_gc) leaves unreferenced layers and blobs alone, so content a pull is about to
 * reference never disappears under it; they are collected by the next gc. */
