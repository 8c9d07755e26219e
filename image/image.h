/* den image library: references, registries.conf, auth.json, the registry client, manifests
 * and configs, layer unpacking and packing, and pull. image/'s one public header.
 * image/ knows nothing about containers. */
#pragma once

#include "util/util.h"
#include "storage/storage.h"

/* ================================================================ references (ref.c) */

/* A parsed image reference. domain is NULL for an unqualified short name ("alpine",
 * "library/alpine"); a name is qualified when its first component contains '.' or ':' or is
 * "localhost". Docker Hub names are normalized: "docker.io/alpine" -> path "library/alpine". */
struct img_ref {
        char *domain; /* "docker.io", "localhost:5000", or NULL */
        char *path;   /* "library/alpine" (lowercase, validated) */
        char *tag;    /* NULL when neither tag nor digest given; img_ref_string adds "latest" */
        char *digest; /* "sha256:<hex>" or NULL */
};

/* Parses s ("name[:tag][@digest]"); a clear error naming s on bad input. */
int img_ref_parse(const char *s, struct img_ref **ret, den_error **err);
struct img_ref *img_ref_dup(const struct img_ref *r);
void img_ref_free(struct img_ref *r);
static inline void img_ref_freep(struct img_ref **r)
{
        img_ref_free(*r);
}
/* "domain/path:tag" (tag defaults to latest when no digest), or "domain/path@digest";
 * domain omitted when NULL. */
char *img_ref_string(const struct img_ref *r);
/* "domain/path" (the repository name). */
char *img_ref_repo(const struct img_ref *r);
/* True when s looks like a (possibly short) hex image ID rather than a name. */
bool img_ref_looks_like_id(const char *s);

/* ================================================================ registries.conf (registries.c)
 */

struct img_registry_conf {
        char *prefix;   /* as written: "example.com/foo" or "*.example.com" */
        char *location; /* "" when not set (then prefix) */
        bool is_insecure;
        bool is_blocked;
        char **mirrors;           /* locations, NULL-terminated */
        bool *mirror_is_insecure; /* parallel to mirrors */
};

struct img_registries {
        char **search; /* unqualified-search-registries, NULL-terminated */
        char **alias_names;
        char **alias_values; /* parallel to alias_names */
        struct img_registry_conf *entries;
        size_t n_entries;
        char *short_name_mode; /* "enforcing", "permissive", "disabled" or NULL */
};

/* Loads $CONTAINERS_REGISTRIES_CONF if set, else ~/.config/containers/registries.conf if it
 * exists, else /etc/containers/registries.conf; then the matching registries.conf.d/ *.conf
 * drop-ins in lexical order (later entries override earlier ones). */
int img_registries_load(struct img_registries **ret, den_error **err);
/* Parses one registries.conf text into r (merging); name is for messages. */
int img_registries_parse(struct img_registries *r, const char *text, const char *name,
                         den_error **err);
void img_registries_free(struct img_registries *r);
/* The alias for a short name ("alpine") or NULL. */
const char *img_registries_alias(const struct img_registries *r, const char *name);
/* The entry whose prefix best matches "domain/path" (longest prefix wins), or NULL. */
const struct img_registry_conf *img_registries_find(const struct img_registries *r,
                                                    const char *repo);
/* True when the registry (host[:port]) is marked insecure. */
bool img_registries_is_insecure(const struct img_registries *r, const char *domain);
/* Candidate qualified references for a short name, in the order podman tries them: an alias
 * first, else one per search registry ("docker.io" gets "library/" for one-component names). */
int img_registries_resolve(const struct img_registries *r, const struct img_ref *shortref,
                           struct img_ref ***ret, size_t *ret_n, den_error **err);

/* ================================================================ auth.json (auth.c) */

/* $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json, else
 * ~/.config/containers/auth.json (podman's rootless default). */
char *img_auth_default_path(void);
/* Finds credentials for a registry (host[:port], or a "host/repo" key: the most specific
 * match wins). Looks in authfile when given, else the default path, then
 * ~/.config/containers/auth.json, then ~/.docker/config.json. Returns 1 when found, 0 when
 * none, < 0 on error (a malformed file is an error naming it). */
int img_auth_lookup(const char *authfile, const char *key, char **ret_user, char **ret_pass,
                    den_error **err);
/* Stores credentials (base64 "user:pass" under auths.<key>.auth), mode 0600, atomic. */
int img_auth_store(const char *authfile, const char *key, const char *user, const char *pass,
                   den_error **err);
/* Removes one key (all when key is NULL). Returns 1 when removed, 0 when not present. */
int img_auth_remove(const char *authfile, const char *key, den_error **err);
/* Parses a JSON document in auth.json format for key; for tests and fuzzing. */
int img_auth_parse(const char *text, size_t len, const char *key, char **ret_user, char **ret_pass,
                   den_error **err);

/* ================================================================ registry client (registry.c) */

struct img_client_opts {
        int tls_verify;         /* -1: default (verify unless insecure in registries.conf) */
        const char *certs_dir;  /* overrides the certs.d lookup when set */
        const char *creds_user; /* --creds; NULL: look in auth files */
        const char *creds_pass;
        const char *authfile;
        bool is_insecure; /* from registries.conf: allow http and unverified https */
};

struct img_client;

#define IMG_MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMG_MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMG_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMG_MEDIA_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMG_MEDIA_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMG_MEDIA_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define IMG_MEDIA_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMG_MEDIA_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define IMG_MEDIA_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define IMG_MEDIA_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

#define IMG_MAX_MANIFEST_SIZE (4u << 20)
#define IMG_MAX_CONFIG_SIZE (8u << 20)

/* A client for one registry (domain as in img_ref, "docker.io" mapped to its API host). Safe
 * to use from one thread at a time; img_client_clone gives another thread its own handle that
 * shares the credentials and tokens learned so far. */
int img_client_new(const char *domain, const struct img_client_opts *opts, struct img_client **ret,
                   den_error **err);
struct img_client *img_client_clone(struct img_client *c);
void img_client_free(struct img_client *c);
/* GET /v2/ to check reachability and credentials (login uses it). */
int img_client_ping(struct img_client *c, den_error **err);
/* GET a manifest or index by tag or digest. Verifies the body's digest when ref is a digest.
 * ret_media_type (the Content-Type without parameters, NULL when the registry sent none) and
 * ret_digest ("sha256:...") describe what was received. A missing manifest is errnum ENOENT. */
int img_client_get_manifest(struct img_client *c, const char *repo, const char *ref,
                            char **ret_body, size_t *ret_len, char **ret_media_type,
                            char ret_digest[72], den_error **err);
/* GET a small blob (a config) into memory, at most max bytes, verified against digest. */
int img_client_get_blob(struct img_client *c, const char *repo, const char *digest, size_t max,
                        char **ret, size_t *ret_len, den_error **err);
/* Streams a blob's body into fd (no verification: the reader of fd verifies). progress, when
 * set, is called with the bytes received so far. */
int img_client_get_blob_to_fd(struct img_client *c, const char *repo, const char *digest, int fd,
                              void (*progress)(void *ud, uint64_t done, uint64_t total), void *ud,
                              den_error **err);
/* HEAD a blob: 1 exists, 0 missing. */
int img_client_blob_exists(struct img_client *c, const char *repo, const char *digest,
                           den_error **err);
/* Cross-repository mount: 1 mounted, 0 not (caller uploads). */
int img_client_blob_mount(struct img_client *c, const char *repo, const char *digest,
                          const char *from_repo, den_error **err);
/* Uploads a blob from fd (size bytes, already digested) with POST + PUT. */
int img_client_put_blob_fd(struct img_client *c, const char *repo, const char *digest, int fd,
                           uint64_t size, den_error **err);
int img_client_put_manifest(struct img_client *c, const char *repo, const char *ref,
                            const char *media_type, const char *body, size_t len, den_error **err);
/* GET /v2/<repo>/tags/list (follows Link pagination). */
int img_client_list_tags(struct img_client *c, const char *repo, char ***ret, den_error **err);

/* The parsers the client applies to what a registry sends; public for tests and fuzzing. */

/* One challenge of a WWW-Authenticate header (RFC 7235): scheme lowercased ("basic",
 * "bearer"), parameter names lowercased, values unquoted and unescaped. */
struct img_challenge {
        char *scheme;
        char *token68; /* the token68 form ("Negotiate abc=="), else NULL */
        char **param_names;
        char **param_values; /* parallel to param_names, n_params entries */
        size_t n_params;
};
/* Parses a WWW-Authenticate value (a list of challenges; several headers joined with ", "). A
 * malformed or oversized header (over 8 KiB, 16 challenges, 32 parameters) is an error. */
int img_challenge_parse(const char *header, struct img_challenge **ret, size_t *ret_n,
                        den_error **err);
void img_challenges_free(struct img_challenge *v, size_t n);
/* The value of parameter name (lowercase) or NULL. */
const char *img_challenge_param(const struct img_challenge *c, const char *name);
/* The registry's message from an error body ({"errors":[{"code","message"}]}, or a token
 * server's "details"/"error"), printable and bounded, or NULL when it carries none. */
char *img_registry_error_text(const char *body, size_t len);
/* The target of the rel="next" link in a Link header, or NULL. */
char *img_link_next(const char *header);
/* The tags of one page of GET /v2/<name>/tags/list ({"name": ..., "tags": [...]}), each
 * checked against the tag grammar, as a NULL-terminated list (empty when "tags" is null). */
int img_tag_list_parse(const char *body, size_t len, char ***ret, den_error **err);

/* ================================================================ manifests and configs
 * (manifest.c, config.c) */

struct img_descriptor {
        char *media_type;
        char *digest;
        int64_t size;
        /* platform, set in index entries only */
        char *os;
        char *architecture;
        char *variant;
};

struct img_manifest {
        int schema_version;
        char *media_type; /* from the document, else from the Content-Type it came with */
        bool is_index;
        /* image manifests */
        struct img_descriptor config;
        struct img_descriptor *layers;
        size_t n_layers;
        /* indexes and manifest lists */
        struct img_descriptor *manifests;
        size_t n_manifests;
        char **annotation_keys; /* NULL-terminated; parallel values */
        char **annotation_values;
};

/* Parses a manifest, index or manifest list (schema 2 / OCI). Unknown keys are ignored;
 * missing required fields, bad digests and negative sizes are errors. */
int img_manifest_parse(const char *body, size_t len, const char *content_type,
                       struct img_manifest **ret, den_error **err);
void img_manifest_free(struct img_manifest *m);
static inline void img_manifest_freep(struct img_manifest **m)
{
        img_manifest_free(*m);
}
/* Picks the index entry for os/arch/variant (NULL = this host's; "arm64" matches variant
 * "v8" or none). Returns the index into m->manifests or -1 with an error naming the
 * platform and the ones available. */
int img_manifest_pick(const struct img_manifest *m, const char *os, const char *arch,
                      const char *variant, den_error **err);
/* This host's platform in OCI terms ("linux", "amd64", NULL). */
const char *img_host_arch(void);
/* Serializes an image manifest (OCI or docker schema 2 by media_type) to JSON. */
char *img_manifest_serialize(const struct img_manifest *m, size_t *ret_len);

struct img_history {
        char *created;
        char *created_by;
        char *comment;
        char *author;
        bool is_empty_layer;
};

struct img_config {
        char *architecture;
        char *os;
        char *variant;
        char *created; /* RFC 3339 as in the document, or NULL */
        int64_t created_unix;
        char *author;
        /* config.* */
        char *user;
        char **env;
        char **entrypoint;
        char **cmd;
        char *working_dir;
        char **exposed_ports; /* "80/tcp" */
        char **volumes;
        char *stop_signal;
        char **label_keys; /* parallel to label_values */
        char **label_values;
        bool has_entrypoint; /* distinguishes [] from absent */
        bool has_cmd;
        /* rootfs */
        char **diff_ids;
        struct img_history *history;
        size_t n_history;
};

/* Parses an image config (OCI / docker); unknown keys ignored; diff_ids validated. */
int img_config_parse(const char *body, size_t len, struct img_config **ret, den_error **err);
void img_config_free(struct img_config *c);
static inline void img_config_freep(struct img_config **c)
{
        img_config_free(*c);
}
/* Serializes a config to canonical JSON (used by import and commit). */
char *img_config_serialize(const struct img_config *c, size_t *ret_len);

/* ================================================================ layers (layer.c, pack.c) */

enum img_whiteout_format {
        IMG_WHITEOUT_OVERLAY, /* whiteouts as 0:0 char devices, opaque dirs as the
                                 user.overlay.opaque="y" xattr (kernel overlay with userxattr,
                                 and fuse-overlayfs) */
        IMG_WHITEOUT_APPLY,   /* apply to dest directly: delete the named paths (vfs) */
};

struct img_layer_opts {
        const char *expected_digest;  /* compressed digest, or NULL */
        const char *expected_diff_id; /* uncompressed digest, or NULL */
        enum img_whiteout_format whiteouts;
        uint64_t max_size; /* bound on uncompressed bytes; 0 = default (64 GiB) */
        void (*progress)(void *ud, uint64_t compressed_done);
        void *progress_ud;
        /* when set, called with every chunk of the uncompressed tar stream, in order (the
         * tar-split recorder listens here) */
        void (*tar_observer)(void *ud, const void *buf, size_t n);
        void *tar_observer_ud;
};

struct img_layer_result {
        char digest[72];  /* of the bytes read from in_fd */
        char diff_id[72]; /* of the uncompressed tar stream */
        uint64_t compressed_size;
        uint64_t size;     /* uncompressed tar bytes */
        char *compression; /* "gzip", "zstd" or "none" */
};

/* Reads a layer (gzip, zstd or plain tar; sniffed) from in_fd and creates its entries under
 * dest_dfd, never outside it (see the trust-boundary comment in layer.c). Verifies both
 * digests when expected; on any failure the caller discards dest. Reads in_fd to EOF. */
int img_layer_extract(int in_fd, int dest_dfd, const struct img_layer_opts *opts,
                      struct img_layer_result *ret, den_error **err);
void img_layer_result_clear(struct img_layer_result *r);

/* What an entry's last path component means under the OCI whiteout convention. */
enum img_whiteout_kind {
        IMG_WH_NONE,     /* an ordinary name */
        IMG_WH_FILE,     /* ".wh.<name>": <name> from earlier layers is deleted */
        IMG_WH_OPAQUE,   /* ".wh..wh..opq": the directory hides earlier layers' contents */
        IMG_WH_RESERVED, /* any other ".wh..wh." name: reserved, ignored */
        IMG_WH_INVALID,  /* ".wh." followed by nothing, "." or "..": an error */
};
/* Classifies leaf (one component); for IMG_WH_FILE *ret_name points at <name> inside leaf. */
enum img_whiteout_kind img_whiteout_classify(const char *leaf, const char **ret_name);

enum img_compression {
        IMG_COMPRESSION_NONE,
        IMG_COMPRESSION_GZIP,
        IMG_COMPRESSION_ZSTD,
};

/* Writes the tree under src_dfd (an overlay diff: char-device whiteouts and opaque xattrs
 * become .wh. entries) as a tar stream to out_fd, compressed as asked. ret->digest is of
 * the written bytes, ret->diff_id of the uncompressed tar. Entries are sorted by name and
 * times kept, so the same tree gives the same bytes. */
int img_layer_pack(int src_dfd, int out_fd, enum img_compression compression,
                   struct img_layer_result *ret, den_error **err);

/* ================================================================ pull (pull.c) */

struct img_pull_opts {
        struct img_client_opts client;
        const char *os; /* NULL: host */
        const char *arch;
        const char *variant;
        bool is_quiet;        /* no progress output */
        bool is_progress_tty; /* draw progress bars (stderr is a terminal) */
        FILE *progress_out;   /* where "Copying blob ..." lines go (stderr) */
};

/* Pulls one fully qualified reference into the store: manifest (index -> platform), config,
 * layers in parallel, each verified and extracted once. Returns the image ID. */
int img_pull(struct store *s, const struct img_ref *ref, const struct img_pull_opts *opts,
             char **ret_id, den_error **err);

/* ================================================================ tar-split (tarsplit.c) */

/* A layer's tar stream, minus file contents: the exact header, metadata and padding bytes,
 * and for each regular file its path and size. With the extracted files it rebuilds the
 * original tar byte for byte, so a pushed or saved layer has the diff_id its config names. */
struct img_tarsplit_rec;

struct img_tarsplit_rec *img_tarsplit_rec_new(void);
/* Feeds the next bytes of the uncompressed tar stream. Never fails: a stream the recorder
 * cannot follow marks the record unusable (img_tarsplit_rec_finish then fails). */
void img_tarsplit_rec_feed(struct img_tarsplit_rec *r, const void *buf, size_t n);
/* Returns the record (gzip-compressed) in a new buffer and frees r. */
int img_tarsplit_rec_finish(struct img_tarsplit_rec *r, char **ret, size_t *ret_len,
                            den_error **err);
void img_tarsplit_rec_free(struct img_tarsplit_rec *r);

/* Rebuilds the tar stream from a record and the files under root_dfd, passing it to write
 * in order. A file whose size differs from the record's is an error naming it. */
int img_tarsplit_replay(int rec_fd, int root_dfd,
                        int (*write)(void *ud, const void *buf, size_t n, den_error **err),
                        void *ud, den_error **err);

/* ================================================================ push (push.c) */

struct img_push_opts {
        struct img_client_opts client;
        const char *format; /* "oci", "v2s2", or NULL: as stored */
        bool is_quiet;
        FILE *progress_out;
        bool is_remove_signatures;
};

/* Pushes a stored image to dest (fully qualified). Layers the registry already has (by their
 * original digest) are neither rebuilt nor uploaded; others are rebuilt byte for byte from
 * their tar-split record, compressed with gzip and uploaded. ret_digest gets the digest of
 * the manifest as pushed. */
int img_push(struct store *s, const struct store_image *img, const struct img_ref *dest,
             const struct img_push_opts *opts, char ret_digest[72], den_error **err);

/* Writes a stored layer's exact tar stream (its diff_id's bytes) to write. */
int img_layer_tar_write(struct store *s, const char *diff_id,
                        int (*write)(void *ud, const void *buf, size_t n, den_error **err),
                        void *ud, den_error **err);

/* ================================================================ archives (archive.c) */

enum img_archive_format {
        IMG_ARCHIVE_DOCKER, /* docker-archive: manifest.json, <config>.json, <diff_id>.tar */
        IMG_ARCHIVE_OCI,    /* oci-archive: an OCI image layout in a tar */
};

struct img_save_item {
        const struct store_image *img;
        const char *name; /* the name to record (RepoTags / ref.name), or NULL */
};

/* Writes images to out_fd as one archive. Layers are their exact tar streams (uncompressed),
 * so every layer's digest equals its diff_id. */
int img_save(struct store *s, const struct img_save_item *items, size_t n,
             enum img_archive_format format, int out_fd, den_error **err);

/* Reads a docker-archive or oci-archive (optionally compressed) from in_fd into the store.
 * Every layer is verified against its config's diff_id and every OCI blob against its
 * digest. ret_loaded gets "Loaded image: ..." names (or "sha256:<id>" for unnamed ones). */
int img_load(struct store *s, int in_fd, char ***ret_loaded, den_error **err);

/* ================================================================ import (import.c) */

struct img_import_opts {
        char **changes;      /* Dockerfile instructions: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL,
                                USER, VOLUME, WORKDIR, STOPSIGNAL */
        const char *message; /* history comment */
        const char *name;    /* fully qualified name to give the image, or NULL */
        const char *os;
        const char *arch;
        const char *variant;
};

/* Applies one --change instruction to a config; a clear error naming it when malformed. */
int img_config_apply_change(struct img_config *c, const char *change, den_error **err);
/* Creates a one-layer image from a rootfs tarball (any compression) read from in_fd. */
int img_import(struct store *s, int in_fd, const struct img_import_opts *o, char **ret_id,
               den_error **err);

/* Extracts a layer stream into a new stage, keeping its tar-split record, and commits it when
 * it verifies. ret_diff_id/ret_digest may be NULL. Shared by pull, load and import. */
int img_layer_store(struct store *s, int in_fd, const struct img_layer_opts *o,
                    struct img_layer_result *ret, den_error **err);
