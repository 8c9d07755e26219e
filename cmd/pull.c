/* den pull: fetch images from a registry into the store. */
#include "ctr-run.h"

/* Options shared by the commands that talk to a registry (pull, push, login). */
int cmd_client_opts(const struct cmd_args *a, struct img_client_opts *o, char **ret_user,
                    char **ret_pass, den_error **err);

int cmd_client_opts(const struct cmd_args *a, struct img_client_opts *o, char **ret_user,
                    char **ret_pass, den_error **err)
{
        const char *creds = cmd_has_opt(a, "creds") ? cmd_str(a, "creds") : NULL;

        *o = (struct img_client_opts){
                .tls_verify = cmd_tristate(a, "tls-verify"),
                .certs_dir = cmd_str(a, "cert-dir"),
                .authfile = cmd_str(a, "authfile"),
        };
        if (!o->authfile)
                o->authfile = getenv("REGISTRY_AUTH_FILE");
        if (creds) {
                const char *colon = strchr(creds, ':');

                if (!*creds || colon == creds)
                        return den_error_set(err, 0, "--creds: username must not be empty");
                if (!colon)
                        return den_error_set(err, 0,
                                             "--creds: expected USERNAME:PASSWORD (a password "
                                             "prompt needs a terminal)");
                *ret_user = xstrndup(creds, (size_t) (colon - creds));
                *ret_pass = xstrdup(colon + 1);
                o->creds_user = *ret_user;
                o->creds_pass = *ret_pass;
        }
        return 0;
}

static int parse_platform(const struct cmd_args *a, struct img_pull_opts *po, char **ret_buf,
                          den_error **err)
{
        const char *platform = cmd_str(a, "platform");

        po->os = cmd_str(a, "os");
        po->arch = cmd_str(a, "arch");
        po->variant = cmd_str(a, "variant");
        if (platform) {
                char *buf = xstrdup(platform);
                char *arch = strchr(buf, '/');
                char *variant = NULL;

                *ret_buf = buf;
                if (!arch || !arch[1] || arch == buf)
                        return den_error_set(err, 0,
                                             "invalid platform \"%s\": expected OS/ARCH[/VARIANT]",
                                             platform);
                *arch++ = '\0';
                variant = strchr(arch, '/');
                if (variant) {
                        *variant++ = '\0';
                        if (!*variant || strchr(variant, '/'))
                                return den_error_set(err, 0,
                                                     "invalid platform \"%s\": expected "
                                                     "OS/ARCH[/VARIANT]",
                                                     platform);
                }
                po->os = buf;
                po->arch = arch;
                po->variant = variant;
        }
        if (po->os && !streq(po->os, "linux"))
                return den_error_set(err, 0, "unsupported OS \"%s\": den runs linux images",
                                     po->os);
        return 0;
}

int cmd_pull_name(struct store *s, const char *name, const struct img_pull_opts *po, char **ret_id,
                  den_error **err)
{
        struct img_ref **cands = NULL;
        size_t n = 0;
        int r = -1;

        if (cmd_resolve_pull_refs(name, &cands, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *shown = img_ref_string(cands[i]);

                if (!po->is_quiet)
                        fprintf(stderr, "Trying to pull %s...\n", shown);
                if (err && *err) {
                        den_error_free(*err);
                        *err = NULL;
                }
                r = img_pull(s, cands[i], po, ret_id, err);
                if (r == 0)
                        break;
                den_error_wrap(err, "initializing source docker://%s", shown);
        }
        for (size_t i = 0; i < n; i++)
                img_ref_free(cands[i]);
        free(cands);
        return r;
}

/* The tags of name's repository, from the first registry that knows it (short names are
 * resolved like a pull's). ret_repo gets "domain/path". */
static int list_repo_tags(const char *name, const struct img_pull_opts *po, char **ret_repo,
                          char ***ret_tags, den_error **err)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        struct img_ref **cands = NULL;
        size_t n = 0;
        int r = -1;

        if (img_ref_parse(name, &ref, err) < 0)
                return -1;
        if (ref->tag || ref->digest)
                return den_error_set(err, 0, "tag can't be used with --all-tags/-a");
        if (cmd_resolve_pull_refs(name, &cands, &n, err) < 0)
                return -1;
        for (size_t i = 0; i < n && r < 0; i++) {
                _cleanup_free_ char *repo = img_ref_repo(cands[i]);
                struct img_client *c = NULL;

                if (err && *err) {
                        den_error_free(*err);
                        *err = NULL;
                }
                r = img_client_new(cands[i]->domain, &po->client, &c, err);
                if (r == 0)
                        r = img_client_list_tags(c, cands[i]->path, ret_tags, err);
                img_client_free(c);
                if (r == 0)
                        *ret_repo = steal_ptr(repo);
                else
                        den_error_wrap(err, "initializing source docker://%s", repo);
        }
        for (size_t i = 0; i < n; i++)
                img_ref_free(cands[i]);
        free(cands);
        return r;
}

/* Pulls every tag of name's repository, then prints the image IDs in the registry's order
 * (podman's pull --all-tags). The tag list is fetched before the store is opened, so a
 * repository the registry does not know leaves no trace. */
static int pull_all_tags(struct cmd_ctx *ctx, const char *name, const struct img_pull_opts *po,
                         den_error **err)
{
        _cleanup_free_ char *repo = NULL;
        _cleanup_strv_ char **tags = NULL;
        _cleanup_strv_ char **ids = NULL;
        struct store *s = NULL;
        size_t n = 0;
        int r = 0;

        if (list_repo_tags(name, po, &repo, &tags, err) < 0)
                return -1;
        while (tags[n])
                n++;
        if (n == 0)
                r = den_error_set(err, 0, "repository \"%s\" has no tags", repo);
        if (r == 0)
                r = cmd_ctx_store(ctx, true, &s, err);
        ids = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n && r == 0; i++) {
                _cleanup_free_ char *full = xasprintf("%s:%s", repo, tags[i]);

                r = cmd_pull_name(s, full, po, &ids[i], err);
        }
        for (size_t i = 0; i < n && r == 0; i++)
                printf("%s\n", ids[i]);
        return r;
}

static int run(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_free_ char *user = NULL;
        _cleanup_free_ char *pass = NULL;
        _cleanup_free_ char *platbuf = NULL;
        struct img_pull_opts po = {
                .is_quiet = cmd_flag(a, "quiet"),
                .is_progress_tty = ctx->is_stderr_tty,
                .progress_out = stderr,
        };
        struct store *s = NULL;

        if (cmd_client_opts(a, &po.client, &user, &pass, err) < 0 ||
            parse_platform(a, &po, &platbuf, err) < 0)
                return -1;
        if (cmd_flag(a, "all-tags")) {
                for (size_t i = 0; i < a->n_pos; i++)
                        if (pull_all_tags(ctx, a->pos[i], &po, err) < 0)
                                return -1;
                return 0;
        }
        if (cmd_ctx_store(ctx, true, &s, err) < 0)
                return -1;
        for (size_t i = 0; i < a->n_pos; i++) {
                _cleanup_free_ char *id = NULL;

                if (cmd_pull_name(s, a->pos[i], &po, &id, err) < 0)
                        return -1;
                printf("%s\n", id);
        }
        return 0;
}

static const struct cmd_opt opts[] = {
        { "all-tags", 'a', CMD_OPT_BOOL, NULL,
          "All tagged images in the repository will be pulled" },
        { "arch", 0, CMD_OPT_STRING, "ARCH",
          "Use ARCH instead of the architecture of the machine for choosing images" },
        { "authfile", 0, CMD_OPT_STRING, "string", "Path of the authentication file" },
        { "cert-dir", 0, CMD_OPT_STRING, "Pathname",
          "Use certificates at the specified path to access the registry" },
        { "creds", 0, CMD_OPT_STRING, "[username[:password]]",
          "Credentials (USERNAME:PASSWORD) to use for authenticating to a registry" },
        { "os", 0, CMD_OPT_STRING, "OS", "Use OS instead of the running OS for choosing images" },
        { "platform", 0, CMD_OPT_STRING, "string",
          "Specify the platform for selecting the image (OS/ARCH[/VARIANT])" },
        { "quiet", 'q', CMD_OPT_BOOL, NULL, "Suppress output information when pulling images" },
        { "tls-verify", 0, CMD_OPT_BOOL, NULL,
          "Require HTTPS and verify certificates when contacting registries" },
        { "variant", 0, CMD_OPT_STRING, "VARIANT",
          "Use VARIANT instead of the running architecture variant for choosing images" },
        { 0 },
};

const struct cmd cmd_pull = {
        .name = "pull",
        .aliases = { "image pull" },
        .usage = "[options] IMAGE [IMAGE...]",
        .summary = "Pull an image from a registry",
        .description = "Pulls an image from a registry and stores it locally.",
        .opts = opts,
        .min_args = 1,
        .max_args = -1,
        .flags = CMD_F_USERNS | CMD_F_STORE_WRITE,
        .run = run,
};
