/* den image inspect / den inspect: podman's image inspect JSON. */
#include "ctr-run.h"

json_t *cmd_image_inspect_json(struct store *s, const struct store_image *img, den_error **err);

static json_t *strv_json(char *const *v, bool is_null_when_empty)
{
        json_t *a;

        if (!v && is_null_when_empty)
                return json_null();
        a = json_array();
        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

/* RepoTags: the names that carry a tag ("repo@digest" names appear in RepoDigests only). */
static json_t *tags_json(char *const *names)
{
        json_t *a = json_array();

        for (size_t i = 0; names && names[i]; i++)
                if (!strchr(names[i], '@'))
                        json_array_append_new(a, json_string(names[i]));
        return a;
}

static json_t *keys_json(char *const *keys)
{
        json_t *o = json_object();

        for (size_t i = 0; keys && keys[i]; i++)
                json_object_set_new(o, keys[i], json_object());
        return o;
}

static json_t *config_json(const struct img_config *c, json_t *labels)
{
        json_t *o = json_object();

        if (c->user && *c->user)
                json_object_set_new(o, "User", json_string(c->user));
        if (c->exposed_ports)
                json_object_set_new(o, "ExposedPorts", keys_json(c->exposed_ports));
        if (c->env)
                json_object_set_new(o, "Env", strv_json(c->env, false));
        if (c->has_entrypoint)
                json_object_set_new(o, "Entrypoint", strv_json(c->entrypoint, false));
        if (c->has_cmd)
                json_object_set_new(o, "Cmd", strv_json(c->cmd, false));
        if (c->volumes)
                json_object_set_new(o, "Volumes", keys_json(c->volumes));
        if (c->working_dir && *c->working_dir)
                json_object_set_new(o, "WorkingDir", json_string(c->working_dir));
        if (json_object_size(labels))
                json_object_set(o, "Labels", labels);
        if (c->stop_signal && *c->stop_signal)
                json_object_set_new(o, "StopSignal", json_string(c->stop_signal));
        return o;
}

static json_t *history_json(const struct img_config *c)
{
        json_t *a = json_array();

        for (size_t i = 0; i < c->n_history; i++) {
                const struct img_history *h = &c->history[i];
                json_t *o = json_object();

                if (h->created)
                        json_object_set_new(o, "created", json_string(h->created));
                if (h->created_by)
                        json_object_set_new(o, "created_by", json_string(h->created_by));
                if (h->author)
                        json_object_set_new(o, "author", json_string(h->author));
                if (h->comment)
                        json_object_set_new(o, "comment", json_string(h->comment));
                if (h->is_empty_layer)
                        json_object_set_new(o, "empty_layer", json_true());
                json_array_append_new(a, o);
        }
        return a;
}

static json_t *graph_driver_json(struct store *s, const struct store_image *img)
{
        struct den_buf lower = { 0 };
        size_t n = den_strv_len(img->layers);
        json_t *data = json_object();
        _cleanup_free_ char *upper = NULL;

        /* overlay order: the topmost layer is the image's upper dir, the rest below it */
        for (size_t i = n; i-- > 0;) {
                _cleanup_free_ char *p = store_layer_path(s, img->layers[i]);

                if (i == n - 1) {
                        upper = steal_ptr(p);
                        continue;
                }
                if (lower.len)
                        den_buf_puts(&lower, ":");
                den_buf_puts(&lower, p);
        }
        if (lower.len)
                json_object_set_new(data, "LowerDir", json_string(lower.data));
        if (upper)
                json_object_set_new(data, "UpperDir", json_string(upper));
        den_buf_free(&lower);
        return json_pack("{s:s, s:o}", "Name", store_driver(s), "Data", data);
}

json_t *cmd_image_inspect_json(struct store *s, const struct store_image *img, den_error **err)
{
        _cleanup_free_ char *body = NULL;
        _cleanup_(img_config_freep) struct img_config *c = NULL;
        _cleanup_free_ char *created = NULL;
        json_t *labels, *o;
        const char *comment = "";
        size_t len = 0;

        if (store_blob_read(s, img->config_digest, IMG_MAX_CONFIG_SIZE, &body, &len, err) < 0 ||
            img_config_parse(body, len, &c, err) < 0)
                return NULL;
        labels = json_object();
        for (size_t i = 0; c->label_keys && c->label_keys[i]; i++)
                json_object_set_new(labels, c->label_keys[i], json_string(c->label_values[i]));
        created = c->created ? xstrdup(c->created) : den_time_rfc3339(img->created, 0);
        /* podman shows the newest history entry's comment */
        for (size_t i = c->n_history; i-- > 0;)
                if (c->history[i].comment) {
                        comment = c->history[i].comment;
                        break;
                }
        o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:I, s:I, "
                      "s:o, s:{s:s, s:o}, s:O, s:{}, s:s, s:s, s:o, s:o}",
                      "Id", img->id, "Digest", img->manifest_digest ? img->manifest_digest : "",
                      "RepoTags", tags_json(img->names), "RepoDigests",
                      strv_json(img->digests, false), "Parent", "", "Comment", comment, "Created",
                      created, "Config", config_json(c, labels), "Version", "", "Author",
                      c->author ? c->author : "", "Architecture",
                      c->architecture ? c->architecture : "", "Os", c->os ? c->os : "", "Size",
                      (json_int_t) img->size, "VirtualSize", (json_int_t) img->size, "GraphDriver",
                      graph_driver_json(s, img), "RootFS", "Type", "layers", "Layers",
                      strv_json(img->layers, false), "Labels", labels, "Annotations",
                      "ManifestType", img->manifest_media_type ? img->manifest_media_type : "",
                      "User", c->user ? c->user : "", "History", history_json(c), "NamesHistory",
                      strv_json(img->names, false));
        json_decref(labels);
        if (c->variant)
                json_object_set_new(o, "Variant", json_string(c->variant));
        return o;
}

/* What inspect looks for: images, containers, or both (containers first, as podman). */
enum { FIND_IMAGE = 1, FIND_CONTAINER = 2 };

static json_t *find_container(struct store *s, const char *name, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;

        if (cmd_ctr_load(s, name, &c, err) < 0)
                return NULL;
        return cmd_ctr_inspect_json(s, c);
}

static int run_kind(struct cmd_ctx *ctx, const struct cmd_args *a, unsigned kinds, den_error **err)
{
        json_auto_t *arr = json_array();
        struct store *s = NULL;
        const char *format = cmd_str(a, "format");
        int status = 0;

        if (cmd_ctx_store(ctx, false, &s, err) < 0)
                return -1;
        for (size_t i = 0; i < a->n_pos; i++) {
                struct store_image *img = NULL;
                json_t *o;

                if (kinds & FIND_CONTAINER) {
                        den_error *e = NULL;

                        o = find_container(s, a->pos[i], &e);
                        if (o) {
                                json_array_append_new(arr, o);
                                continue;
                        }
                        if (!(kinds & FIND_IMAGE) || e->errnum != ENOENT) {
                                *err = e;
                                if (a->n_pos == 1)
                                        return -1;
                                _cleanup_free_ char *text = den_error_text(*err);

                                fprintf(stderr, "Error: %s\n", text);
                                den_error_free(*err);
                                *err = NULL;
                                status = 125;
                                continue;
                        }
                        den_error_free(e);
                }
                if (store_image_find(s, a->pos[i], &img, err) < 0) {
                        if (kinds & FIND_CONTAINER) {
                                den_error_free(*err);
                                *err = NULL;
                                den_error_set_plain(err, ENOENT, "no such object: \"%s\"",
                                                    a->pos[i]);
                        }
                        if (a->n_pos == 1)
                                return -1;
                        /* podman prints what it found and reports the missing ones */
                        _cleanup_free_ char *text = den_error_text(*err);

                        fprintf(stderr, "Error: %s\n", text);
                        den_error_free(*err);
                        *err = NULL;
                        status = 125;
                        continue;
                }
                o = cmd_image_inspect_json(s, img, err);
                store_image_free(img);
                if (!o)
                        return den_error_wrap(err, "inspect \"%s\"", a->pos[i]);
                json_array_append_new(arr, o);
        }
        if (!format || !*format || streq(format, "json")) {
                cmd_print_json(stdout, arr);
        } else {
                for (size_t i = 0; i < json_array_size(arr); i++)
                        if (cmd_output_one(stdout, json_array_get(arr, i), format, err) < 0)
                                return -1;
        }
        return status;
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        return run_kind(ctx, a, FIND_IMAGE, err);
}

static int run_container(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        return run_kind(ctx, a, FIND_CONTAINER, err);
}

static const struct cmd_opt opts[] = {
        { "format", 'f', CMD_OPT_STRING, "string", "Format the output to a Go template or json" },
        { 0 },
};

static const struct cmd_opt inspect_opts[] = {
        { "format", 'f', CMD_OPT_STRING, "string", "Format the output to a Go template or json" },
        { "type", 't', CMD_OPT_STRING, "string",
          "Specify inspect-object type (\"container\", \"image\" or \"all\")", "all" },
        { "size", 's', CMD_OPT_BOOL, NULL, "Display total file size" },
        { 0 },
};

static int run_inspect(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        const char *type = cmd_str(a, "type");

        if (!streq(type, "all") && !streq(type, "image") && !streq(type, "container"))
                return den_error_set(err, 0,
                                     "invalid type \"%s\": must be \"container\", \"image\" "
                                     "or \"all\"",
                                     type);
        return run_kind(ctx, a,
                        streq(type, "all")     ? FIND_IMAGE | FIND_CONTAINER
                        : streq(type, "image") ? FIND_IMAGE
                                               : FIND_CONTAINER,
                        err);
}

const struct cmd cmd_image_inspect = {
        .name = "image inspect",
        .usage = "[options] IMAGE [IMAGE...]",
        .summary = "Display the configuration of an image",
        .opts = opts,
        .min_args = 1,
        .max_args = -1,
        .run = run,
};

const struct cmd cmd_container_inspect = {
        .name = "container inspect",
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Display the configuration of a container",
        .opts = opts,
        .min_args = 1,
        .max_args = -1,
        .run = run_container,
};

const struct cmd cmd_inspect = {
        .name = "inspect",
        .usage = "[options] {CONTAINER|IMAGE} [...]",
        .summary = "Display the configuration of object denoted by ID",
        .opts = inspect_opts,
        .min_args = 1,
        .max_args = -1,
        .run = run_inspect,
};
