/* den images: list the images in the store, as podman does (one row per name). */
#include <fnmatch.h>
#include <time.h>
#include "cmd.h"

static void split_name(const char *name, char **ret_repo, char **ret_tag)
{
        const char *at = strchr(name, '@');
        const char *slash = strrchr(name, '/');
        const char *colon = strrchr(name, ':');

        if (at) {
                *ret_repo = xstrndup(name, (size_t) (at - name));
                *ret_tag = xstrdup("<none>");
        } else if (colon && (!slash || colon > slash)) {
                *ret_repo = xstrndup(name, (size_t) (colon - name));
                *ret_tag = xstrdup(colon + 1);
        } else {
                *ret_repo = xstrdup(name);
                *ret_tag = xstrdup("latest");
        }
}

struct filters {
        char **reference;
        int dangling; /* -1 any */
        char **labels;
};

static int parse_filters(char **fv, struct filters *f, den_error **err)
{
        f->dangling = -1;
        for (size_t i = 0; fv && fv[i]; i++) {
                const char *eq = strchr(fv[i], '=');
                const char *v = eq ? eq + 1 : "";
                size_t kl = eq ? (size_t) (eq - fv[i]) : strlen(fv[i]);

                if (kl == 9 && strncmp(fv[i], "reference", 9) == 0 && eq) {
                        den_strv_push(&f->reference, v);
                } else if (kl == 8 && strncmp(fv[i], "dangling", 8) == 0 && eq) {
                        if (streq(v, "true"))
                                f->dangling = 1;
                        else if (streq(v, "false"))
                                f->dangling = 0;
                        else
                                return den_error_set(err, 0,
                                                     "invalid filter \"%s\": dangling takes "
                                                     "true or false",
                                                     fv[i]);
                } else if (kl == 5 && strncmp(fv[i], "label", 5) == 0 && eq) {
                        den_strv_push(&f->labels, v);
                } else {
                        return den_error_set(err, 0, "invalid image filter \"%s\"", fv[i]);
                }
        }
        return 0;
}

static bool ref_matches(const char *pattern, char *const *names)
{
        for (size_t i = 0; names && names[i]; i++) {
                _cleanup_free_ char *repo = NULL;
                _cleanup_free_ char *tag = NULL;
                const char *last;

                split_name(names[i], &repo, &tag);
                last = strrchr(repo, '/');
                last = last ? last + 1 : repo;
                if (fnmatch(pattern, names[i], 0) == 0 || fnmatch(pattern, repo, 0) == 0)
                        return true;
                /* short forms: "busybox", "busybox:latest", "test/busybox" */
                {
                        _cleanup_free_ char *short_name = xasprintf("%s:%s", last, tag);
                        size_t pl = strlen(pattern), rl = strlen(repo);

                        if (fnmatch(pattern, last, 0) == 0 || fnmatch(pattern, short_name, 0) == 0)
                                return true;
                        if (rl > pl && repo[rl - pl - 1] == '/' &&
                            fnmatch(pattern, repo + rl - pl, 0) == 0)
                                return true;
                }
        }
        return false;
}

static json_t *labels_json(struct store *s, const struct store_image *img)
{
        _cleanup_free_ char *body = NULL;
        _cleanup_(img_config_freep) struct img_config *cfg = NULL;
        _cleanup_error_ den_error *err = NULL;
        json_t *labels = json_object();
        size_t len = 0;

        if (store_blob_read(s, img->config_digest, IMG_MAX_CONFIG_SIZE, &body, &len, &err) < 0 ||
            img_config_parse(body, len, &cfg, &err) < 0)
                return labels;
        for (size_t i = 0; cfg->label_keys && cfg->label_keys[i]; i++)
                json_object_set_new(labels, cfg->label_keys[i], json_string(cfg->label_values[i]));
        return labels;
}

static bool labels_match(json_t *labels, char **want)
{
        for (size_t i = 0; want && want[i]; i++) {
                const char *eq = strchr(want[i], '=');
                _cleanup_free_ char *k =
                        eq ? xstrndup(want[i], (size_t) (eq - want[i])) : xstrdup(want[i]);
                json_t *v = json_object_get(labels, k);

                if (!v || (eq && !streq(json_string_value(v), eq + 1)))
                        return false;
        }
        return true;
}

static json_t *strv_json(char *const *v)
{
        json_t *a = json_array();

        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *image_json(const struct store_image *img, json_t *labels)
{
        _cleanup_free_ char *created = den_time_rfc3339(img->created, 0);
        const char *digest = img->manifest_digest ? img->manifest_digest : "";

        /* labels is the caller's reference, taken over */
        return json_pack("{s:s, s:s, s:o, s:o, s:I, s:i, s:I, s:o, s:i, s:o, s:s, s:o, s:I, "
                         "s:s}",
                         "Id", img->id, "ParentId", "", "RepoTags", strv_json(img->names),
                         "RepoDigests", strv_json(img->digests), "Size", (json_int_t) img->size,
                         "SharedSize", 0, "VirtualSize", (json_int_t) img->size, "Labels", labels,
                         "Containers", 0, "Names", strv_json(img->names), "Digest", digest,
                         "History", strv_json(img->names), "Created", (json_int_t) img->created,
                         "CreatedAt", created);
}

static json_t *row_json(const struct store_image *img, json_t *base, const char *name,
                        bool is_no_trunc, int64_t now)
{
        _cleanup_free_ char *repo = NULL;
        _cleanup_free_ char *tag = NULL;
        _cleanup_free_ char *since = den_time_ago(img->created, now);
        _cleanup_free_ char *size = den_size_human(img->size);
        _cleanup_free_ char *id =
                is_no_trunc ? xasprintf("sha256:%s", img->id) : xstrndup(img->id, 12);
        json_t *row = json_deep_copy(base);

        if (name) {
                split_name(name, &repo, &tag);
        } else {
                repo = xstrdup("<none>");
                tag = xstrdup("<none>");
        }
        json_object_set_new(row, "ID", json_string(id));
        json_object_set_new(row, "Repository", json_string(repo));
        json_object_set_new(row, "Tag", json_string(tag));
        json_object_set_new(row, "CreatedSince", json_string(since));
        json_object_set_new(row, "Size", json_string(size));
        json_object_set_new(row, "Dangling", json_boolean(!img->names || !img->names[0]));
        json_object_set_new(row, "ReadOnly", json_false());
        return row;
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        static const struct cmd_header headers[] = {
                { "ID", "IMAGE ID" },
                { "CreatedSince", "CREATED" },
                { "CreatedAt", "CREATED AT" },
                { NULL, NULL },
        };
        struct filters f = { 0 };
        struct store *s = NULL;
        struct store_image **imgs = NULL;
        size_t n = 0;
        const char *format = cmd_str(a, "format");
        bool is_quiet = cmd_flag(a, "quiet"), is_no_trunc = cmd_flag(a, "no-trunc");
        bool is_digests = cmd_flag(a, "digests");
        bool has_labels = cmd_strv(a, "filter") || (format && strstr(format, "json")) ||
                          (format && strstr(format, "Labels"));
        json_auto_t *rows = json_array();
        json_auto_t *jrows = json_array();
        int64_t now = (int64_t) time(NULL);
        int r = -1;

        if (parse_filters(cmd_strv(a, "filter"), &f, err) < 0)
                goto out;
        if (a->n_pos == 1)
                den_strv_push(&f.reference, a->pos[0]);
        if (cmd_ctx_store(ctx, false, &s, err) < 0 || store_images_list(s, &imgs, &n, err) < 0)
                goto out;
        for (size_t i = 0; i < n; i++) {
                const struct store_image *img = imgs[i];
                bool is_dangling = !img->names || !img->names[0];
                json_t *labels = has_labels ? labels_json(s, img) : json_object();
                json_t *base;
                bool is_match = true;

                if (f.dangling >= 0 && is_dangling != (f.dangling == 1))
                        is_match = false;
                for (size_t k = 0; is_match && f.reference && f.reference[k]; k++)
                        if (!ref_matches(f.reference[k], img->names))
                                is_match = false;
                if (is_match && !labels_match(labels, f.labels))
                        is_match = false;
                if (!is_match) {
                        json_decref(labels);
                        continue;
                }
                base = image_json(img, labels);
                json_array_append(jrows, base);
                if (is_dangling || is_quiet) {
                        json_array_append_new(rows, row_json(img, base, NULL, is_no_trunc, now));
                } else {
                        for (size_t k = 0; img->names[k]; k++)
                                json_array_append_new(
                                        rows, row_json(img, base, img->names[k], is_no_trunc, now));
                }
                json_decref(base);
        }
        if (is_quiet && !format) {
                for (size_t i = 0; i < json_array_size(rows); i++)
                        printf("%s\n",
                               json_string_value(json_object_get(json_array_get(rows, i), "ID")));
                r = 0;
                goto out;
        }
        r = cmd_output_rows_opts(
                stdout, rows, jrows,
                &(struct cmd_output_opts){
                        .format = format,
                        .default_table = is_digests
                                                 ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t"
                                                   "{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
                                                 : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t"
                                                   "{{.CreatedSince}}\t{{.Size}}",
                        .headers = headers,
                        .is_no_heading = cmd_flag(a, "noheading"),
                },
                err);
out:
        store_images_free(imgs, n);
        den_strv_free(f.reference);
        den_strv_free(f.labels);
        return r < 0 ? -1 : 0;
}

static const struct cmd_opt opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL, "Show all images (default hides intermediate images)" },
        { "digests", 0, CMD_OPT_BOOL, NULL, "Show digests" },
        { "filter", 'f', CMD_OPT_STRINGS, "filter",
          "Filter output based on conditions provided (reference=, dangling=, label=)" },
        { "format", 0, CMD_OPT_STRING, "string",
          "Change the output format to JSON or a Go template" },
        { "no-trunc", 0, CMD_OPT_BOOL, NULL, "Do not truncate output" },
        { "noheading", 'n', CMD_OPT_BOOL, NULL, "Do not print column headings" },
        { "quiet", 'q', CMD_OPT_BOOL, NULL, "Display only image IDs" },
        { 0 },
};

const struct cmd cmd_images = {
        .name = "images",
        .aliases = { "image ls", "image list" },
        .usage = "[options] [IMAGE]",
        .summary = "List images in local storage",
        .description = "Lists images previously pulled to the system or created on the system.",
        .opts = opts,
        .max_args = 1,
        .run = run,
};
