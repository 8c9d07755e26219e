/* Pull: reference -> manifest (index -> platform) -> config -> layers. Each missing layer
 * streams from the registry through a pipe into the extractor, which verifies the compressed
 * digest and the diff_id while it unpacks into a staging directory; only a verified layer is
 * renamed into the store. Up to PULL_PARALLEL layers are fetched at once. */
#include <pthread.h>
#include <sys/stat.h>
#include "image.h"

#define PULL_PARALLEL 6

struct pull_ctx {
        struct store *s;
        const char *repo_path;
        const struct img_pull_opts *opts;
        pthread_mutex_t lock;
        size_t next;
        FILE *out;
};

struct layer_job {
        struct pull_ctx *pc;
        struct img_client *client;
        const struct img_descriptor *desc;
        const char *diff_id;
        den_error *err;
};

struct fetch_arg {
        struct img_client *client;
        const char *repo;
        const char *digest;
        int fd;
        den_error *err;
};

static void *fetch_thread(void *p)
{
        struct fetch_arg *fa = p;

        (void) img_client_get_blob_to_fd(fa->client, fa->repo, fa->digest, fa->fd, NULL, NULL,
                                         &fa->err);
        closep(&fa->fd); /* EOF for the extractor */
        return NULL;
}

static void say(struct pull_ctx *pc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pull_ctx *pc, const char *fmt, ...)
{
        va_list ap;

        if (!pc->out)
                return;
        pthread_mutex_lock(&pc->lock);
        va_start(ap, fmt);
        vfprintf(pc->out, fmt, ap);
        va_end(ap);
        fflush(pc->out);
        pthread_mutex_unlock(&pc->lock);
}

static void observe_tar(void *ud, const void *buf, size_t n)
{
        img_tarsplit_rec_feed(ud, buf, n);
}

/* Keeps the layer's tar layout beside it so push and save can rebuild the exact stream. */
static int keep_tarsplit(struct store *s, struct store_stage *st, struct img_tarsplit_rec *rec,
                         den_error **err)
{
        _cleanup_error_ den_error *e = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;

        if (img_tarsplit_rec_finish(rec, &data, &len, &e) < 0) {
                /* the layer is fine to run; only rebuilding its exact tar is not possible */
                den_debug("layer tar layout not kept: %s", e->msg);
                return 0;
        }
        return store_stage_put_file(s, st, "tar-split.gz", data, len, err);
}

int img_layer_store(struct store *s, int in_fd, const struct img_layer_opts *o,
                    struct img_layer_result *ret, den_error **err)
{
        struct store_stage *st = NULL;
        struct img_layer_result res = { 0 };
        struct img_tarsplit_rec *rec = img_tarsplit_rec_new();
        struct img_layer_opts lo = *o;
        int r;

        lo.tar_observer = observe_tar;
        lo.tar_observer_ud = rec;
        if (store_layer_stage(s, &st, err) < 0) {
                img_tarsplit_rec_free(rec);
                return -1;
        }
        r = img_layer_extract(in_fd, st->dfd, &lo, &res, err);
        if (r == 0)
                r = keep_tarsplit(s, st, steal_ptr(rec), err);
        img_tarsplit_rec_free(rec);
        if (r == 0)
                r = store_layer_commit(s, st, res.diff_id, res.size, err);
        store_stage_free(s, st);
        if (r == 0 && ret)
                *ret = res;
        else
                img_layer_result_clear(&res);
        return r;
}

static int fetch_layer(struct layer_job *j, den_error **err)
{
        struct pull_ctx *pc = j->pc;
        struct img_layer_opts lo = {
                .expected_digest = j->desc->digest,
                .expected_diff_id = j->diff_id,
                .whiteouts = IMG_WHITEOUT_OVERLAY,
        };
        struct fetch_arg fa = {
                .client = j->client, .repo = pc->repo_path, .digest = j->desc->digest, .fd = -EBADF
        };
        _cleanup_close_ int rfd = -EBADF;
        int p[2];
        pthread_t th;
        int r;

        say(pc, "Copying blob %s\n", j->desc->digest);
        if (pipe2(p, O_CLOEXEC) < 0)
                return den_error_set(err, errno, "create pipe");
        rfd = p[0];
        fa.fd = p[1];
        /* a larger pipe lets the network and the extractor run at their own pace */
        (void) fcntl(fa.fd, F_SETPIPE_SZ, 1 << 20);
        if ((r = pthread_create(&th, NULL, fetch_thread, &fa)) != 0) {
                closep(&fa.fd);
                return den_error_set(err, r, "start download thread");
        }
        r = img_layer_store(pc->s, rfd, &lo, NULL, err);
        closep(&rfd); /* stops the download if extraction failed early */
        pthread_join(th, NULL);
        if (r < 0 && fa.err && fa.err->errnum != EPIPE) {
                /* the network's failure explains a truncated stream better than the tar's;
                 * a layer that verified is complete whatever the connection did after */
                if (err && *err) {
                        den_error_free(*err);
                        *err = NULL;
                }
                *err = steal_ptr(fa.err);
                r = -1;
        }
        den_error_free(fa.err);
        if (r < 0)
                return den_error_wrap(err, "copy blob %s", j->desc->digest);
        return 0;
}

struct worker {
        struct pull_ctx *pc;
        struct layer_job *jobs;
        size_t n_jobs;
        pthread_t th;
};

static void *worker_thread(void *p)
{
        struct worker *w = p;
        struct pull_ctx *pc = w->pc;

        for (;;) {
                size_t i;
                bool is_failed = false;

                pthread_mutex_lock(&pc->lock);
                i = pc->next++;
                for (size_t k = 0; k < w->n_jobs; k++)
                        if (w->jobs[k].err)
                                is_failed = true;
                pthread_mutex_unlock(&pc->lock);
                if (i >= w->n_jobs || is_failed)
                        break;
                (void) fetch_layer(&w->jobs[i], &w->jobs[i].err);
        }
        return NULL;
}

/* Fetches the layers the store lacks; the first error is returned. */
static int fetch_layers(struct pull_ctx *pc, struct img_client *c, const struct img_manifest *m,
                        const struct img_config *cfg, den_error **err)
{
        struct layer_job *jobs = xcalloc(m->n_layers + 1, sizeof(*jobs));
        struct worker workers[PULL_PARALLEL];
        size_t n_jobs = 0, n_workers;
        int r = 0;

        for (size_t i = 0; i < m->n_layers; i++) {
                bool is_dup = false;

                for (size_t k = 0; k < n_jobs; k++)
                        if (streq(jobs[k].diff_id, cfg->diff_ids[i]))
                                is_dup = true;
                if (is_dup)
                        continue;
                if (store_layer_exists(pc->s, cfg->diff_ids[i])) {
                        say(pc, "Copying blob %s skipped: already exists\n", m->layers[i].digest);
                        continue;
                }
                jobs[n_jobs++] = (struct layer_job){ .pc = pc,
                                                     .desc = &m->layers[i],
                                                     .diff_id = cfg->diff_ids[i] };
        }
        n_workers = n_jobs < PULL_PARALLEL ? n_jobs : PULL_PARALLEL;
        for (size_t i = 0; i < n_jobs; i++)
                jobs[i].client = img_client_clone(c);
        for (size_t i = 0; i < n_workers; i++) {
                workers[i] = (struct worker){ .pc = pc, .jobs = jobs, .n_jobs = n_jobs };
                if (pthread_create(&workers[i].th, NULL, worker_thread, &workers[i]) != 0) {
                        /* run the rest on this thread */
                        n_workers = i;
                        break;
                }
        }
        if (n_workers == 0) {
                struct worker w = { .pc = pc, .jobs = jobs, .n_jobs = n_jobs };

                worker_thread(&w);
        }
        for (size_t i = 0; i < n_workers; i++)
                pthread_join(workers[i].th, NULL);
        for (size_t i = 0; i < n_jobs; i++) {
                if (jobs[i].err && r == 0) {
                        *err = steal_ptr(jobs[i].err);
                        r = -1;
                }
                den_error_free(jobs[i].err);
                img_client_free(jobs[i].client);
        }
        free(jobs);
        return r;
}

static int get_image_manifest(struct img_client *c, const struct img_ref *ref,
                              const struct img_pull_opts *opts, char **ret_body, size_t *ret_len,
                              char ret_digest[72], char ret_index_digest[72],
                              struct img_manifest **ret, den_error **err)
{
        _cleanup_free_ char *body = NULL;
        _cleanup_free_ char *mt = NULL;
        _cleanup_(img_manifest_freep) struct img_manifest *m = NULL;
        const char *tag = ref->digest ? ref->digest : (ref->tag ? ref->tag : "latest");
        char digest[72];
        char want[72];
        size_t len = 0;
        int i;

        ret_index_digest[0] = '\0';
        if (img_client_get_manifest(c, ref->path, tag, &body, &len, &mt, digest, err) < 0)
                return -1;
        if (img_manifest_parse(body, len, mt, &m, err) < 0)
                return -1;
        if (m->is_index) {
                i = img_manifest_pick(m, opts->os, opts->arch, opts->variant, err);
                if (i < 0)
                        return -1;
                memcpy(ret_index_digest, digest, 72);
                free(steal_ptr(body));
                free(steal_ptr(mt));
                snprintf(want, sizeof(want), "%s", m->manifests[i].digest);
                img_manifest_free(steal_ptr(m));
                if (img_client_get_manifest(c, ref->path, want, &body, &len, &mt, digest, err) < 0)
                        return -1;
                if (img_manifest_parse(body, len, mt, &m, err) < 0)
                        return -1;
                if (m->is_index)
                        return den_error_set(err, 0, "manifest %s: nested index", digest);
        }
        *ret_body = steal_ptr(body);
        *ret_len = len;
        memcpy(ret_digest, digest, 72);
        *ret = steal_ptr(m);
        return 0;
}

static int pull_one(struct store *s, struct img_client *c, const struct img_ref *ref,
                    const struct img_pull_opts *opts, char **ret_id, den_error **err)
{
        struct pull_ctx pc = { .s = s,
                               .repo_path = ref->path,
                               .opts = opts,
                               .lock = PTHREAD_MUTEX_INITIALIZER,
                               .out = opts->is_quiet ? NULL : opts->progress_out };
        _cleanup_(img_manifest_freep) struct img_manifest *m = NULL;
        _cleanup_(img_config_freep) struct img_config *cfg = NULL;
        _cleanup_free_ char *mbody = NULL;
        _cleanup_free_ char *cbody = NULL;
        _cleanup_free_ char *repo = img_ref_repo(ref);
        _cleanup_free_ char *name = NULL;
        char mdigest[72], idigest[72];
        size_t mlen = 0, clen = 0, nl = 0;
        struct store_image img = { 0 };
        char *names[2] = { NULL, NULL };
        char *digests[3] = { NULL, NULL, NULL };
        int r;

        if (get_image_manifest(c, ref, opts, &mbody, &mlen, mdigest, idigest, &m, err) < 0)
                return -1;
        if (img_client_get_blob(c, ref->path, m->config.digest, IMG_MAX_CONFIG_SIZE, &cbody, &clen,
                                err) < 0)
                return den_error_wrap(err, "copy config %s", m->config.digest);
        if (img_config_parse(cbody, clen, &cfg, err) < 0)
                return den_error_wrap(err, "config %s", m->config.digest);
        nl = den_strv_len(cfg->diff_ids);
        if (nl != m->n_layers)
                return den_error_set(err, 0,
                                     "image %s: manifest has %zu layers but config has %zu "
                                     "diff_ids",
                                     m->config.digest, m->n_layers, nl);
        if (fetch_layers(&pc, c, m, cfg, err) < 0)
                return -1;
        say(&pc, "Copying config %s\n", m->config.digest);
        if (store_blob_write(s, mbody, mlen, mdigest, NULL, err) < 0 ||
            store_blob_write(s, cbody, clen, m->config.digest, NULL, err) < 0)
                return -1;
        say(&pc, "Writing manifest to image destination\n");
        /* by digest, the name is "repo@digest", as podman records it: the image is listed
         * under its repository with tag <none> and is not dangling */
        names[0] = name = img_ref_string(ref);
        digests[0] = xasprintf("%s@%s", repo, mdigest);
        if (idigest[0])
                digests[1] = xasprintf("%s@%s", repo, idigest);
        img = (struct store_image){
                .id = (char *) den_digest_hex(m->config.digest),
                .names = names,
                .digests = digests,
                .manifest_digest = mdigest,
                .manifest_media_type = m->media_type,
                .config_digest = m->config.digest,
                .layers = cfg->diff_ids,
                .created = cfg->created_unix,
                .os = cfg->os,
                .arch = cfg->architecture,
        };
        for (size_t i = 0; i < nl; i++)
                img.size += store_layer_size(s, cfg->diff_ids[i]);
        r = store_image_add(s, &img, err);
        free(digests[0]);
        free(digests[1]);
        if (r < 0)
                return -1;
        *ret_id = xstrdup(img.id);
        return 0;
}

int img_pull(struct store *s, const struct img_ref *ref, const struct img_pull_opts *opts,
             char **ret_id, den_error **err)
{
        struct img_client *c = NULL;
        int r;

        if (!ref->domain)
                return den_error_set(err, 0, "pull: reference is not fully qualified");
        if (img_client_new(ref->domain, &opts->client, &c, err) < 0)
                return -1;
        r = pull_one(s, c, ref, opts, ret_id, err);
        img_client_free(c);
        return r;
}
