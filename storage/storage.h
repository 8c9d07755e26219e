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

#include <jansson.h>
#include "util/util.h"

struct store_opts {
        const char *root;    /* NULL: $XDG_DATA_HOME/den or ~/.local/share/den */
        const char *runroot; /* NULL: $XDG_RUNTIME_DIR/den, else /tmp/den-<uid> (0700) */
        const char *driver;  /* NULL: from store.json, else "overlay"; or "fuse-overlayfs", "vfs" */
        const char
                *default_driver; /* with driver NULL, a new store's (storage.conf); NULL: overlay */
        /* The id mapping in force ("0:1000:1,1:100000:65536/0:1000:1,1:100000:65536").
         * When set, a store built with another mapping is refused with an error naming the
         * fix. NULL for read-only commands, which check nothing. */
        const char *idmap_key;
        bool is_read_only; /* never create anything (images, ps, inspect) */
};

struct store;

/* The store's JSON records (json.c): what json_loadb(buf, len, JSON_REJECT_DUPLICATES, error)
 * returns for the same bytes, an object or an array, only faster. */
json_t *store_json_load(const char *buf, size_t len, json_error_t *error);

/* storage.conf (conf.c): the driver a new store gets, from the first file that exists of
 * $CONTAINERS_STORAGE_CONF, ~/.config/containers/storage.conf, /etc/containers/storage.conf
 * and /usr/share/containers/storage.conf; *ret_driver NULL when none names one. */
int store_conf_driver(char **ret_driver, den_error **err);
/* One file's text; name prefixes errors. */
int store_conf_parse(const char *text, size_t len, const char *name, char **ret_driver,
                     den_error **err);

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
int store_layer_commit(struct store *s, struct store_stage *st, const char *diff_id, uint64_t size,
                       den_error **err);
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
        char *id;              /* 64 hex: the config digest's hex */
        char **names;          /* "docker.io/library/alpine:latest", NULL-terminated */
        char **digests;        /* repo digests: "docker.io/library/alpine@sha256:..." */
        char *manifest_digest; /* "sha256:..." of the manifest in blobs/ */
        char *manifest_media_type;
        char *config_digest; /* "sha256:<id>" */
        char **layers;       /* diff_ids, base first, NULL-terminated */
        int64_t created;     /* from the config, unix seconds */
        int64_t stored;      /* when it entered the store */
        uint64_t size;       /* sum of the layers' uncompressed sizes */
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
int store_image_find(struct store *s, const char *name, struct store_image **ret, den_error **err);
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

/* ================================================================ containers (container.c,
 * mount.c)
 *
 * On disk:
 *   containers.json             every container's brief record (one file, like images.json)
 *   containers/<id>/            the container's directory, also its OCI bundle:
 *     container.json              its full configuration, written once at creation
 *     config.json                 the OCI configuration, written by den at each start
 *     rootfs/                     mount point of the merged root (vfs: the copied root itself)
 *     diff/  work/                overlay's upperdir and workdir (overlay, fuse-overlayfs)
 *     userdata/                   hosts, resolv.conf, hostname, ctr.log, exit, ... (cmd/net)
 *   <runroot>/containers/<id>/  attach socket and other state that must not survive a reboot
 */

struct store_container {
        char *id;                /* 64 hex */
        char *name;              /* unique among containers */
        char *image_id;          /* 64 hex; the image must exist while the container does */
        char *image_name;        /* as the user named it ("docker.io/library/busybox:latest") */
        int64_t created;         /* unix time, ns */
        char *driver;            /* the storage driver its rootfs uses ("overlay", "fuse-overlayfs",
                                  * "vfs"): fixed at creation */
        json_t *meta;            /* cmd's brief record (what listing containers needs), kept
                                  * verbatim in containers.json; an object */
        json_t *config;          /* cmd's full configuration, kept verbatim in the container's
                                  * container.json: an object, given to store_container_create and
                                  * never changed; NULL in a record read from the list until
                                  * store_container_load_config */
        bool is_config_volatile; /* create: config written without fsync (a container that
                                  * is removed at its exit: after a crash its record may
                                  * name a damaged config, and rm still removes it) */
};

void store_container_free(struct store_container *c);
static inline void store_container_freep(struct store_container **c)
{
        store_container_free(*c);
}
void store_containers_free(struct store_container **v, size_t n);
/* All containers, newest first. Reads containers.json only (no lock). */
int store_containers_list(struct store *s, struct store_container ***ret, size_t *ret_n,
                          den_error **err);
/* By full id, unique id prefix, or name. ENOENT-coded error, podman's text:
 * `no container with name or ID "x" found: no such container`. */
int store_container_find(struct store *s, const char *name_or_id, struct store_container **ret,
                         den_error **err);
/* Creates the record and its directory (under the lock): c->id is generated when NULL (and
 * set), c->name must be free (EEXIST-coded error, podman's text: `the container name "x" is
 * already in use by <id>. You have to remove that container to be able to reuse that name:
 * that name is already in use`), the image must exist, c->driver NULL means the store's.
 * For vfs the image's layers are copied into rootfs/ here, applying whiteouts. c->config
 * (NULL: an empty object) is written to the directory, durably, before the record. */
int store_container_create(struct store *s, struct store_container *c, den_error **err);
/* Reads the record's configuration (containers/<id>/container.json) into c->config. An error
 * names the file when it is missing, unreadable or not a JSON object. */
int store_container_load_config(struct store *s, struct store_container *c, den_error **err);
/* The text of a container.json: a JSON object (no duplicate keys). Exposed for the fuzz
 * target. */
int store_container_config_parse(const char *buf, size_t len, json_t **ret, den_error **err);
/* Merges patch's top-level keys into the record's meta under the lock (a JSON null deletes
 * a key) and writes containers.json atomically. *ret (may be NULL) gets the updated record. */
int store_container_update(struct store *s, const char *id, json_t *patch,
                           struct store_container **ret, den_error **err);
int store_container_rename(struct store *s, const char *id, const char *new_name, den_error **err);
/* Removes the record and the directory (both dirs). The caller made sure nothing runs and it
 * is unmounted; must run in the user namespace (files owned by subordinate ids). */
int store_container_remove(struct store *s, const char *id, den_error **err);
/* "<root>/containers/<id>" and "<runroot>/containers/<id>" (the latter created 0700). */
char *store_container_dir(struct store *s, const char *id);
int store_container_rundir(struct store *s, const char *id, char **ret, den_error **err);
/* The identity of containers.json's current version, "<inode>-<size>-<mtime>" ("none" while
 * there is none): every change replaces the file, so a new version has a new stamp. For
 * caches derived from it. */
char *store_containers_stamp(struct store *s);
/* store_containers_list, with the stamp of the version read. */
int store_containers_list_stamped(struct store *s, struct store_container ***ret, size_t *ret_n,
                                  char **ret_stamp, den_error **err);
/* Records as containers.json holds them (a JSON array, compact); NULL on failure. */
char *store_containers_dump(struct store_container *const *v, size_t n);
/* Parses the text of containers.json strictly (like store_images_parse); newest first.
 * Exposed for the fuzz target. */
int store_containers_parse(const char *buf, size_t len, struct store_container ***ret,
                           size_t *ret_n, den_error **err);
/* How many containers use the image (rmi refuses a used image unless forced). */
int store_image_container_count(struct store *s, const char *image_id, den_error **err);

/* Mounts the container's root at containers/<id>/rootfs in the calling process's mount
 * namespace (the caller is root in den's user namespace and has its own mount namespace):
 * overlay: the kernel's overlay with userxattr, lowerdir = the image's layers (top first),
 * upperdir diff/, workdir work/ (long lowerdir lists go through short links so the option
 * string fits a page); fuse-overlayfs: the same through fuse-overlayfs; vfs: nothing to
 * mount. Returns the path of the root in *ret_path. Idempotent within a namespace. */
int store_container_mount(struct store *s, const struct store_container *c, char **ret_path,
                          den_error **err);
/* One range of a container's own user namespace: its ids container_id.. are den's
 * host_id.. (size of them). */
struct store_idmap {
        uint32_t container_id, host_id, size;
};
/* store_container_mount for a container with a user namespace of its own: the root shows each
 * file with the id the container must see it as (den's N as the container's N), through
 * fuse-overlayfs's uidmapping/gidmapping, for overlay as well (the kernel's overlay cannot
 * be idmapped; both read the same layers and diff/). A vfs root is chowned once, in place,
 * to the same effect (storage/idshift.c). With no ranges it is store_container_mount. */
int store_container_mount_mapped(struct store *s, const struct store_container *c,
                                 const struct store_idmap *uids, size_t n_uids,
                                 const struct store_idmap *gids, size_t n_gids, char **ret_path,
                                 den_error **err);
int store_container_unmount(struct store *s, const struct store_container *c, den_error **err);
/* Which driver a new store uses by default here: "overlay" when the kernel mounts overlay in
 * a user namespace with userxattr, else "fuse-overlayfs" when /dev/fuse and fuse-overlayfs
 * are usable, else "vfs". The caller is in den's user namespace. The overlay probe mounts in
 * a temporary directory under s's root (the filesystem the layers live on). NULL with err
 * when the store is read-only. */
const char *store_probe_driver(struct store *s, den_error **err);
