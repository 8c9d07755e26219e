/* storage/'s private header: the store handle and the helpers its files share. Never
 * included from outside storage/. */
#pragma once

#include <pthread.h>
#include "storage/storage.h"

/* Bounds on what is read back from disk: the store is ours, but a corrupt or hand-edited
 * file must be a clear error, never an unbounded allocation. */
#define STORE_MAX_IMAGES_JSON ((size_t) 64 << 20)
#define STORE_MAX_SMALL_JSON ((size_t) 64 << 10)
#define STORE_MAX_CONFIG_JSON ((size_t) 16 << 20)
#define STORE_MAX_IMAGES 100000
#define STORE_MAX_STR 4096
#define STORE_MAX_NAMES 1024
#define STORE_MAX_LAYERS 1024
/* A stage or temp file untouched for this long, and held by no live process, is debris. */
#define STORE_STALE_SECS 3600

struct store {
        char *root;    /* absolute, for messages and overlay lowerdir paths */
        char *runroot; /* absolute */
        char *driver;
        bool is_read_only;
        int root_dfd;   /* O_PATH; -EBADF when a read-only store does not exist yet */
        int layers_dfd; /* O_PATH of layers/, or -EBADF */
        int blobs_dfd;  /* O_PATH of blobs/sha256/, or -EBADF */
        /* The pin: a shared flock on gc.lock, held from the first layer or blob this handle
         * writes or relies on until the image that references them is added (or the handle
         * is freed). Garbage collection needs gc.lock exclusively, so it never removes
         * content a pull in flight is about to reference. Pull workers are threads, hence
         * the mutex. */
        pthread_mutex_t pin_mu;
        int pin_fd;
};

/* Asks the filesystem to place each subdirectory later made in NAME as the top of a tree of
 * its own (ext4's FS_TOPDIR_FL: a block group of its own choosing per layer or container,
 * rather than beside its siblings). A hint: filesystems without the flag ignore it. */
void store_dir_spread_at(int dfd, const char *name);

/* An error (EROFS) unless the store was opened writable. */
int store_check_writable(struct store *s, den_error **err);
void store_pin(struct store *s);
void store_unpin(struct store *s);
/* Runs garbage collection for the given image set; the caller holds the store lock. Skips
 * unreferenced layers and blobs while any handle holds a pin. */
int store_gc_locked(struct store *s, struct store_image *const *imgs, size_t n, den_error **err);

/* layer.c */
/* The hex part of a valid diff_id ("sha256:<64 hex>", or sha512), else NULL. */
const char *store_layer_hex(const char *diff_id);
/* Removes .stage-* directories no live process holds and that are older than
 * STORE_STALE_SECS, and leftovers of interrupted removals. */
void store_stages_gc(struct store *s);
/* Removes layers no image in imgs references; the caller holds the store lock and gc.lock. */
int store_layers_gc_unused(struct store *s, struct store_image *const *imgs, size_t n,
                           den_error **err);
/* Moves dfd/name out of the way (atomically, to .remove-<rand>) and then removes it. */
int store_remove_tree(int dfd, const char *name);

/* image.c */
/* Reads images.json without the lock (atomic renames keep it whole); none when missing. */
int store_images_read(struct store *s, struct store_image ***ret, size_t *ret_n, den_error **err);

/* container.c */
static inline void store_image_freep(struct store_image **img)
{
        store_image_free(*img);
}
/* Reads containers.json without the lock; none when missing. */
int store_containers_read(struct store *s, struct store_container ***ret, size_t *ret_n,
                          den_error **err);
/* An EBUSY-coded error (podman's text) when a container uses the image; the caller holds
 * the store lock, under which containers are created. */
int store_image_check_unused(struct store *s, const char *image_id, den_error **err);

/* mount.c */
/* Copies the layers (diff_ids, base first) into rootfs_dfd in order, applying overlay
 * whiteouts (0:0 character devices remove, user.overlay.opaque=y clears what is below). */
int store_rootfs_populate(struct store *s, char *const *layers, int rootfs_dfd, den_error **err);
/* idshift.c: chowns the vfs root ROOTFS of the container whose directory is BDFD once for
 * these maps (each file to den's id for its owner in the container's map), recorded in
 * BDFD's rootfs.idmap; a root already shifted for the same maps is left as it is. */
int store_rootfs_shift(int bdfd, int rootfs, const struct store_idmap *uids, size_t n_uids,
                       const struct store_idmap *gids, size_t n_gids, den_error **err);
