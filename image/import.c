/* Import: a root file system tarball becomes a one-layer image; --change instructions shape
 * its config as podman's do. */
#include <ctype.h>
#include <jansson.h>
#include <time.h>
#include "image.h"

/* The instruction's argument as a JSON string array, or NULL when it is not one. */
static char **json_form(const char *arg)
{
        json_auto_t *v = json_loads(arg, JSON_REJECT_DUPLICATES, NULL);
        char **out;
        size_t i;
        json_t *x;

        if (!v || !json_is_array(v))
                return NULL;
        out = xcalloc(1, sizeof(char *));
        json_array_foreach (v, i, x) {
                if (!json_is_string(x)) {
                        den_strv_free(out);
                        return NULL;
                }
                den_strv_push(&out, json_string_value(x));
        }
        return out;
}

static char **shell_form(const char *arg)
{
        char **out = NULL;

        den_strv_push(&out, "/bin/sh");
        den_strv_push(&out, "-c");
        den_strv_push(&out, arg);
        return out;
}

static void set_kv(char ***keys, char ***values, const char *k, const char *v)
{
        size_t n = den_strv_len(*keys);

        for (size_t i = 0; i < n; i++)
                if (streq((*keys)[i], k)) {
                        free((*values)[i]);
                        (*values)[i] = xstrdup(v);
                        return;
                }
        den_strv_push(keys, k);
        den_strv_push(values, v);
}

static void env_set(struct img_config *c, const char *k, const char *v)
{
        size_t kl = strlen(k);
        _cleanup_free_ char *entry = xasprintf("%s=%s", k, v);

        for (size_t i = 0; c->env && c->env[i]; i++)
                if (strncmp(c->env[i], k, kl) == 0 && c->env[i][kl] == '=') {
                        free(c->env[i]);
                        c->env[i] = steal_ptr(entry);
                        return;
                }
        den_strv_push(&c->env, entry);
}

/* Splits "k=v k2="v 2"" into pairs; quotes group, backslash escapes. */
static int kv_pairs(const char *s, char ***ret_k, char ***ret_v, den_error **err)
{
        const char *p = s;

        while (*p) {
                struct den_buf k = { 0 }, v = { 0 };
                struct den_buf *cur = &k;
                char quote = 0;

                while (isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                for (; *p && (quote || !isspace((unsigned char) *p)); p++) {
                        if (*p == '\\' && p[1]) {
                                p++;
                                den_buf_append(cur, p, 1);
                        } else if (quote && *p == quote) {
                                quote = 0;
                        } else if (!quote && (*p == '"' || *p == '\'')) {
                                quote = *p;
                        } else if (!quote && *p == '=' && cur == &k) {
                                cur = &v;
                                den_buf_append(&v, "", 0);
                        } else {
                                den_buf_append(cur, p, 1);
                        }
                }
                if (quote || cur == &k || !k.len) {
                        den_buf_free(&k);
                        den_buf_free(&v);
                        return den_error_set(err, 0, "expected KEY=VALUE in \"%s\"", s);
                }
                den_strv_push(ret_k, k.data);
                den_strv_push(ret_v, v.data ? v.data : "");
                den_buf_free(&k);
                den_buf_free(&v);
        }
        return 0;
}

static int change_env(struct img_config *c, const char *arg, den_error **err)
{
        _cleanup_strv_ char **k = NULL;
        _cleanup_strv_ char **v = NULL;
        const char *sp = strpbrk(arg, " \t");
        const char *eq = strchr(arg, '=');

        if (sp && (!eq || sp < eq)) { /* legacy "ENV key value" */
                _cleanup_free_ char *key = xstrndup(arg, (size_t) (sp - arg));

                while (isspace((unsigned char) *sp))
                        sp++;
                env_set(c, key, sp);
                return 0;
        }
        if (kv_pairs(arg, &k, &v, err) < 0)
                return -1;
        for (size_t i = 0; k && k[i]; i++)
                env_set(c, k[i], v[i]);
        return 0;
}

static int change_label(struct img_config *c, const char *arg, den_error **err)
{
        _cleanup_strv_ char **k = NULL;
        _cleanup_strv_ char **v = NULL;

        if (kv_pairs(arg, &k, &v, err) < 0)
                return -1;
        for (size_t i = 0; k && k[i]; i++)
                set_kv(&c->label_keys, &c->label_values, k[i], v[i]);
        return 0;
}

static int change_expose(struct img_config *c, const char *arg, den_error **err)
{
        _cleanup_free_ char *copy = xstrdup(arg);
        char *save = NULL;

        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                _cleanup_free_ char *port = NULL;
                char *slash = strchr(w, '/');
                int n;

                if (slash)
                        *slash = '\0';
                if (den_parse_int(w, 1, 65535, &n) < 0 ||
                    (slash && !streq(slash + 1, "tcp") && !streq(slash + 1, "udp") &&
                     !streq(slash + 1, "sctp")))
                        return den_error_set(err, 0, "invalid port \"%s%s%s\"", w, slash ? "/" : "",
                                             slash ? slash + 1 : "");
                port = xasprintf("%d/%s", n, slash ? slash + 1 : "tcp");
                if (!den_strv_contains(c->exposed_ports, port))
                        den_strv_push(&c->exposed_ports, port);
        }
        return 0;
}

static int change_volume(struct img_config *c, const char *arg, den_error **err)
{
        _cleanup_strv_ char **list = json_form(arg);

        if (!list) {
                list = xcalloc(1, sizeof(char *));
                den_strv_push(&list, arg);
        }
        for (size_t i = 0; list[i]; i++) {
                if (list[i][0] != '/')
                        return den_error_set(err, 0, "volume \"%s\" is not an absolute path",
                                             list[i]);
                if (!den_strv_contains(c->volumes, list[i]))
                        den_strv_push(&c->volumes, list[i]);
        }
        return 0;
}

int img_config_apply_change(struct img_config *c, const char *change, den_error **err)
{
        const char *p = change;
        size_t kl;
        char key[16];

        while (isspace((unsigned char) *p))
                p++;
        kl = strcspn(p, " \t=");
        if (kl == 0 || kl >= sizeof(key))
                return den_error_set(err, 0, "invalid change \"%s\"", change);
        for (size_t i = 0; i < kl; i++)
                key[i] = (char) toupper((unsigned char) p[i]);
        key[kl] = '\0';
        p += kl;
        while (isspace((unsigned char) *p) || (*p == '=' && p == change + kl))
                p++;
        if (!*p)
                return den_error_set(err, 0, "invalid change \"%s\": %s needs an argument", change,
                                     key);
        if (streq(key, "CMD") || streq(key, "ENTRYPOINT")) {
                char **v = json_form(p);
                bool is_cmd = streq(key, "CMD");

                if (!v)
                        v = shell_form(p);
                den_strv_free(is_cmd ? c->cmd : c->entrypoint);
                if (is_cmd) {
                        c->cmd = v;
                        c->has_cmd = true;
                } else {
                        c->entrypoint = v;
                        c->has_entrypoint = true;
                }
                return 0;
        }
        if (streq(key, "ENV"))
                return change_env(c, p, err);
        if (streq(key, "LABEL"))
                return change_label(c, p, err);
        if (streq(key, "EXPOSE"))
                return change_expose(c, p, err);
        if (streq(key, "VOLUME"))
                return change_volume(c, p, err);
        if (streq(key, "USER")) {
                free(c->user);
                c->user = xstrdup(p);
                return 0;
        }
        if (streq(key, "WORKDIR")) {
                if (p[0] != '/')
                        return den_error_set(err, 0, "WORKDIR \"%s\" is not an absolute path", p);
                free(c->working_dir);
                c->working_dir = xstrdup(p);
                return 0;
        }
        if (streq(key, "STOPSIGNAL")) {
                free(c->stop_signal);
                c->stop_signal = xstrdup(p);
                return 0;
        }
        return den_error_set(err, 0,
                             "invalid change \"%s\": %s is not one of CMD, ENTRYPOINT, ENV, "
                             "EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR",
                             change, key);
}

int img_import(struct store *s, int in_fd, const struct img_import_opts *o, char **ret_id,
               den_error **err)
{
        struct img_layer_opts lo = { .whiteouts = IMG_WHITEOUT_OVERLAY };
        struct img_layer_result res = { 0 };
        struct img_config *c = xcalloc(1, sizeof(*c));
        struct timespec now;
        _cleanup_free_ char *cbody = NULL;
        _cleanup_free_ char *mbody = NULL;
        char cdigest[72], mdigest[72];
        char *names[2] = { NULL, NULL };
        char *digests[2] = { NULL, NULL };
        size_t clen = 0, mlen = 0;
        struct store_image img;
        int r = -1;

        clock_gettime(CLOCK_REALTIME, &now);
        c->architecture = xstrdup(o->arch ? o->arch : img_host_arch());
        c->os = xstrdup(o->os ? o->os : "linux");
        c->variant = o->variant ? xstrdup(o->variant) : NULL;
        c->created = den_time_rfc3339(now.tv_sec, now.tv_nsec);
        c->created_unix = now.tv_sec;
        for (size_t i = 0; o->changes && o->changes[i]; i++)
                if (img_config_apply_change(c, o->changes[i], err) < 0)
                        goto out;
        if (img_layer_store(s, in_fd, &lo, &res, err) < 0)
                goto out;
        den_strv_push(&c->diff_ids, res.diff_id);
        c->history = xcalloc(1, sizeof(*c->history));
        c->n_history = 1;
        c->history[0] = (struct img_history){
                .created = xstrdup(c->created),
                .created_by = xasprintf("/bin/sh -c #(nop) ADD file:%s in / ",
                                        den_digest_hex(res.diff_id)),
                .comment = xstrdup(o->message ? o->message : "imported from tarball"),
        };
        cbody = img_config_serialize(c, &clen);
        den_sha256_buf(cbody, clen, cdigest);
        {
                struct img_descriptor layer = { .media_type = IMG_MEDIA_OCI_LAYER,
                                                .digest = res.diff_id,
                                                .size = (int64_t) res.size };
                struct img_manifest m = {
                        .schema_version = 2,
                        .media_type = IMG_MEDIA_OCI_MANIFEST,
                        .config = { .media_type = IMG_MEDIA_OCI_CONFIG,
                                    .digest = cdigest,
                                    .size = (int64_t) clen },
                        .layers = &layer,
                        .n_layers = 1,
                };

                mbody = img_manifest_serialize(&m, &mlen);
        }
        if (store_blob_write(s, cbody, clen, cdigest, NULL, err) < 0 ||
            store_blob_write(s, mbody, mlen, NULL, mdigest, err) < 0)
                goto out;
        if (o->name) {
                const char *colon = strrchr(o->name, ':');
                const char *slash = strrchr(o->name, '/');
                size_t rl = colon && (!slash || colon > slash) ? (size_t) (colon - o->name)
                                                               : strlen(o->name);

                names[0] = (char *) o->name;
                digests[0] = xasprintf("%.*s@%s", (int) rl, o->name, mdigest);
        }
        img = (struct store_image){
                .id = (char *) den_digest_hex(cdigest),
                .names = names,
                .digests = digests,
                .manifest_digest = mdigest,
                .manifest_media_type = IMG_MEDIA_OCI_MANIFEST,
                .config_digest = cdigest,
                .layers = c->diff_ids,
                .created = c->created_unix,
                .size = res.size,
                .os = c->os,
                .arch = c->architecture,
        };
        r = store_image_add(s, &img, err);
        if (r == 0)
                *ret_id = xstrdup(img.id);
out:
        free(digests[0]);
        img_layer_result_clear(&res);
        img_config_free(c);
        return r;
}
