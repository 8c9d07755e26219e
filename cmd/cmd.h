/* The command line: typed options from argv, the command table that drives dispatch, --help
 * and completions, and the context a command runs in. Private to cmd/. */
#pragma once

#include <jansson.h>
#include "util/util.h"
#include "storage/storage.h"
#include "image/image.h"
#include "runtime/runtime.h"
#include "format.h"

enum cmd_opt_kind {
        CMD_OPT_BOOL,
        CMD_OPT_STRING,
        CMD_OPT_STRINGS, /* repeatable; also accepts comma-free repeated values */
};

struct cmd_opt {
        const char *name; /* long name without "--" */
        char short_name;  /* 0 when none */
        enum cmd_opt_kind kind;
        const char *arg; /* placeholder in --help ("string") */
        const char *help;
        const char *def; /* default shown in --help and used when not given (strings) */
};

#define CMD_F_USERNS (1u << 0)      /* enter the user namespace before running */
#define CMD_F_STOP_AT_ARG (1u << 1) /* options end at the first positional (run, exec) */
#define CMD_F_STORE_WRITE (1u << 2) /* opens the store for writing */
#define CMD_F_HIDDEN (1u << 3)
#define CMD_F_MOUNTNS (1u << 4) /* a private mount namespace too (mounts the rootfs) */

struct cmd_value {
        bool is_set;
        bool b;
        char *s;
        char **v;
};

struct cmd_args {
        const struct cmd *cmd;
        struct cmd_value *vals; /* parallel to cmd->opts */
        size_t n_vals;
        char **pos; /* positional arguments, NULL-terminated */
        size_t n_pos;
};

struct cmd_ctx {
        char *root;
        char *runroot;
        char *storage_driver;
        char *default_driver; /* storage.conf's, for a new store (read with the store) */
        bool has_read_conf;
        struct rt_userns *userns;
        struct store *store;
        bool has_store_write;
        bool is_stdout_tty;
        bool is_stderr_tty;
};

struct cmd {
        const char *name;       /* "pull", "image ls" */
        const char *aliases[4]; /* "images", "image list" */
        const char *usage;      /* "[options] IMAGE [IMAGE...]" */
        const char *summary;
        const char *description;
        const struct cmd_opt *opts; /* terminated by { 0 } */
        int min_args;
        int max_args; /* -1: unlimited */
        unsigned flags;
        /* Returns the exit status (>= 0), or -1 with *err set. */
        int (*run)(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err);
        /* CMD_F_USERNS commands that may need another container's namespaces: called before
         * den enters a user namespace, sets *ret_pid to a process whose user namespace to
         * join instead of creating one (0: create one). */
        int (*userns_owner)(struct cmd_ctx *ctx, const struct cmd_args *a, pid_t *ret_pid,
                            den_error **err);
};

/* The command table (commands.c) and groups ("image", "container", "system"). */
extern const struct cmd *const cmd_table[];
extern const char *const cmd_groups[];
extern const struct cmd_opt cmd_global_opts[];

/* cli.c */
const struct cmd *cmd_find(int argc, char **argv, int *ret_consumed);
int cmd_args_parse(const struct cmd *c, int argc, char **argv, struct cmd_args *ret,
                   struct cmd_value *globals, den_error **err);
void cmd_args_clear(struct cmd_args *a);
bool cmd_has_opt(const struct cmd_args *a, const char *name);
bool cmd_flag(const struct cmd_args *a, const char *name);
bool cmd_is_set(const struct cmd_args *a, const char *name);
const char *cmd_str(const struct cmd_args *a, const char *name);
char **cmd_strv(const struct cmd_args *a, const char *name);
/* Parses a podman-style boolean option value ("true", "false"); -1 when not set. */
int cmd_tristate(const struct cmd_args *a, const char *name);
void cmd_print_help(FILE *out, const struct cmd *c);
void cmd_print_root_help(FILE *out);

/* context.c */
int cmd_ctx_store(struct cmd_ctx *ctx, bool is_write, struct store **ret, den_error **err);
void cmd_ctx_clear(struct cmd_ctx *ctx);
/* Parses an image reference given on the command line, resolving short names through
 * registries.conf. Returns the candidates to try (at least one) in order. */
int cmd_resolve_pull_refs(const char *name, struct img_ref ***ret, size_t *ret_n, den_error **err);

/* The command implementations, one file each. */
extern const struct cmd cmd_info, cmd_version, cmd_pull, cmd_images, cmd_rmi, cmd_tag, cmd_untag,
        cmd_image_inspect, cmd_inspect, cmd_image_exists, cmd_image_prune, cmd_login, cmd_logout,
        cmd_push, cmd_save, cmd_load, cmd_import, cmd_completion, cmd_unshare, cmd_system_migrate,
        cmd_oci_run, cmd_run, cmd_create, cmd_start, cmd_attach, cmd_stop, cmd_kill, cmd_rm,
        cmd_wait, cmd_ps, cmd_logs, cmd_container_inspect, cmd_container_exists, cmd_port,
        cmd_rename, cmd_container_prune, cmd_container_cleanup;
extern const struct cmd cmd_exec;
extern const struct cmd cmd_cp, cmd_top, cmd_mount, cmd_umount, cmd_restart;
