/* The context a command runs in: the store (opened once, lazily) and reference resolution
 * shared by the image commands. */
#include "cmd.h"

int cmd_ctx_store(struct cmd_ctx *ctx, bool is_write, struct store **ret, den_error **err)
{
        struct store_opts o;

        if (ctx->store && (!is_write || ctx->has_store_write)) {
                *ret = ctx->store;
                return 0;
        }
        if (!ctx->storage_driver && !ctx->has_read_conf) {
                if (store_conf_driver(&ctx->default_driver, err) < 0)
                        return -1;
                ctx->has_read_conf = true;
        }
        o = (struct store_opts){
                .root = ctx->root,
                .runroot = ctx->runroot,
                .driver = ctx->storage_driver,
                .default_driver = ctx->default_driver,
                .idmap_key = ctx->userns ? ctx->userns->key : NULL,
                .is_read_only = !is_write,
        };
        store_free(steal_ptr(ctx->store));
        if (store_open(&o, &ctx->store, err) < 0)
                return -1;
        ctx->has_store_write = is_write;
        *ret = ctx->store;
        return 0;
}

void cmd_ctx_clear(struct cmd_ctx *ctx)
{
        store_free(ctx->store);
        rt_userns_free(ctx->userns);
        free(ctx->root);
        free(ctx->runroot);
        free(ctx->storage_driver);
        free(ctx->default_driver);
        *ctx = (struct cmd_ctx){ 0 };
}

int cmd_resolve_pull_refs(const char *name, struct img_ref ***ret, size_t *ret_n, den_error **err)
{
        _cleanup_(img_ref_freep) struct img_ref *ref = NULL;
        struct img_registries *regs = NULL;
        struct img_ref **cands = NULL;
        size_t n = 0;
        int r;

        if (img_ref_parse(name, &ref, err) < 0)
                return -1;
        if (ref->domain) {
                cands = xcalloc(2, sizeof(*cands));
                cands[0] = steal_ptr(ref);
                *ret = cands;
                *ret_n = 1;
                return 0;
        }
        if (img_registries_load(&regs, err) < 0)
                return -1;
        r = img_registries_resolve(regs, ref, &cands, &n, err);
        if (r == 0 && n == 0)
                r = den_error_set(err, 0,
                                  "short-name \"%s\" did not resolve to an alias and no "
                                  "unqualified-search registries are defined in registries.conf",
                                  name);
        if (r == 0 && n > 1 && !img_registries_alias(regs, ref->path) && regs->short_name_mode &&
            streq(regs->short_name_mode, "enforcing") &&
            !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
                r = den_error_set(err, 0,
                                  "short-name resolution enforced but cannot prompt without a "
                                  "TTY: \"%s\" is ambiguous (%zu unqualified-search registries)",
                                  name, n);
        img_registries_free(regs);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        img_ref_free(cands[i]);
                free(cands);
                return -1;
        }
        *ret = cands;
        *ret_n = n;
        return 0;
}
