/* argv -> typed options. Podman's flag syntax: --name value, --name=value, -s value, -svalue,
 * combined short booleans (-aq), --bool=false, and "--" to end options. Global options are
 * accepted before the command and after it. */
#include "cmd.h"

const struct cmd_opt cmd_global_opts[] = {
        { "root", 0, CMD_OPT_STRING, "string",
          "Path to the root directory in which data, including images, is stored" },
        { "runroot", 0, CMD_OPT_STRING, "string",
          "Path to the 'run directory' where all state information is stored" },
        { "storage-driver", 0, CMD_OPT_STRING, "string",
          "Select which storage driver is used to manage storage of images and containers "
          "(overlay, vfs)" },
        { "log-level", 0, CMD_OPT_STRING, "string",
          "Log messages above specified level (debug, info, warn, error)", "warn" },
        { "help", 'h', CMD_OPT_BOOL, NULL, "Help for the command" },
        { 0 },
};

static size_t opts_len(const struct cmd_opt *o)
{
        size_t n = 0;

        while (o && o[n].name)
                n++;
        return n;
}

static bool name_matches(const char *name, const char *const *words, int n)
{
        /* name is "image ls"; words are argv entries */
        const char *p = name;

        for (int i = 0; i < n; i++) {
                size_t l = strlen(words[i]);

                if (strncmp(p, words[i], l) != 0)
                        return false;
                p += l;
                if (i + 1 < n) {
                        if (*p != ' ')
                                return false;
                        p++;
                }
        }
        return *p == '\0';
}

static bool cmd_matches(const struct cmd *c, const char *const *words, int n)
{
        if (name_matches(c->name, words, n))
                return true;
        for (size_t i = 0; i < ARRAY_SIZE(c->aliases) && c->aliases[i]; i++)
                if (name_matches(c->aliases[i], words, n))
                        return true;
        return false;
}

const struct cmd *cmd_find(int argc, char **argv, int *ret_consumed)
{
        /* two-word names ("image ls") first, then one word */
        for (int n = argc >= 2 ? 2 : argc; n >= 1; n--) {
                for (size_t i = 0; cmd_table[i]; i++) {
                        if (cmd_matches(cmd_table[i], (const char *const *) argv, n)) {
                                *ret_consumed = n;
                                return cmd_table[i];
                        }
                }
        }
        return NULL;
}

static int set_value(struct cmd_value *v, const struct cmd_opt *o, const char *val,
                     const char *shown, den_error **err)
{
        v->is_set = true;
        switch (o->kind) {
        case CMD_OPT_BOOL:
                if (!val || streq(val, "true") || streq(val, "1")) {
                        v->b = true;
                } else if (streq(val, "false") || streq(val, "0")) {
                        v->b = false;
                } else {
                        return den_error_set(err, 0,
                                             "invalid argument \"%s\" for \"%s\" flag: "
                                             "strconv.ParseBool: parsing \"%s\": invalid syntax",
                                             val, shown, val);
                }
                return 0;
        case CMD_OPT_STRING:
                free(v->s);
                v->s = xstrdup(val);
                return 0;
        case CMD_OPT_STRINGS:
                den_strv_push(&v->v, val);
                return 0;
        default:
                return den_error_set(err, 0, "internal: bad option kind");
        }
}

struct optset {
        const struct cmd_opt *opts[2];
        struct cmd_value *vals[2];
        size_t n[2];
};

static bool optset_long(struct optset *os, const char *name, size_t len,
                        const struct cmd_opt **ret_o, struct cmd_value **ret_v)
{
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < os->n[k]; i++)
                        if (strlen(os->opts[k][i].name) == len &&
                            strncmp(os->opts[k][i].name, name, len) == 0) {
                                *ret_o = &os->opts[k][i];
                                *ret_v = &os->vals[k][i];
                                return true;
                        }
        return false;
}

static bool optset_short(struct optset *os, char c, const struct cmd_opt **ret_o,
                         struct cmd_value **ret_v)
{
        for (int k = 0; k < 2; k++)
                for (size_t i = 0; i < os->n[k]; i++)
                        if (os->opts[k][i].short_name == c) {
                                *ret_o = &os->opts[k][i];
                                *ret_v = &os->vals[k][i];
                                return true;
                        }
        return false;
}

static int parse_long(struct optset *os, int argc, char **argv, int *i, den_error **err)
{
        const char *arg = argv[*i] + 2;
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t) (eq - arg) : strlen(arg);
        const struct cmd_opt *o;
        struct cmd_value *v;
        _cleanup_free_ char *shown = xasprintf("--%.*s", (int) len, arg);

        if (!optset_long(os, arg, len, &o, &v))
                return den_error_set(err, 0, "unknown flag: %s", shown);
        if (o->kind == CMD_OPT_BOOL)
                return set_value(v, o, eq ? eq + 1 : NULL, shown, err);
        if (eq)
                return set_value(v, o, eq + 1, shown, err);
        if (*i + 1 >= argc)
                return den_error_set(err, 0, "flag needs an argument: %s", shown);
        (*i)++;
        return set_value(v, o, argv[*i], shown, err);
}

static int parse_short(struct optset *os, int argc, char **argv, int *i, den_error **err)
{
        const char *arg = argv[*i] + 1;

        for (size_t k = 0; arg[k]; k++) {
                const struct cmd_opt *o;
                struct cmd_value *v;
                char shown[4] = { '-', arg[k], 0, 0 };

                if (!optset_short(os, arg[k], &o, &v))
                        return den_error_set(err, 0, "unknown shorthand flag: '%c' in -%s", arg[k],
                                             arg);
                if (o->kind == CMD_OPT_BOOL) {
                        if (arg[k + 1] == '=')
                                return set_value(v, o, arg + k + 2, shown, err);
                        if (set_value(v, o, NULL, shown, err) < 0)
                                return -1;
                        continue;
                }
                if (arg[k + 1])
                        return set_value(v, o, arg[k + 1] == '=' ? arg + k + 2 : arg + k + 1, shown,
                                         err);
                if (*i + 1 >= argc)
                        return den_error_set(err, 0, "flag needs an argument: '%c' in -%s", arg[k],
                                             arg);
                (*i)++;
                return set_value(v, o, argv[*i], shown, err);
        }
        return 0;
}

int cmd_args_parse(const struct cmd *c, int argc, char **argv, struct cmd_args *ret,
                   struct cmd_value *globals, den_error **err)
{
        struct cmd_args a = { .cmd = c };
        struct optset os;
        bool is_opts_done = false;

        a.n_vals = opts_len(c->opts);
        a.vals = xcalloc(a.n_vals + 1, sizeof(*a.vals));
        os = (struct optset){
                .opts = { c->opts, cmd_global_opts },
                .vals = { a.vals, globals },
                .n = { a.n_vals, opts_len(cmd_global_opts) },
        };
        for (int i = 0; i < argc; i++) {
                const char *s = argv[i];
                int r = 0;

                if (!is_opts_done && streq(s, "--")) {
                        is_opts_done = true;
                        continue;
                }
                if (is_opts_done || s[0] != '-' || s[1] == '\0') {
                        den_strv_push(&a.pos, s);
                        a.n_pos++;
                        if (c->flags & CMD_F_STOP_AT_ARG)
                                is_opts_done = true;
                        continue;
                }
                if (s[1] == '-')
                        r = parse_long(&os, argc, argv, &i, err);
                else
                        r = parse_short(&os, argc, argv, &i, err);
                if (r < 0) {
                        cmd_args_clear(&a);
                        return -1;
                }
        }
        if (!a.pos)
                a.pos = xcalloc(1, sizeof(char *));
        *ret = a;
        return 0;
}

void cmd_args_clear(struct cmd_args *a)
{
        for (size_t i = 0; i < a->n_vals; i++) {
                free(a->vals[i].s);
                den_strv_free(a->vals[i].v);
        }
        free(a->vals);
        den_strv_free(a->pos);
        *a = (struct cmd_args){ 0 };
}

static const struct cmd_value *find_value(const struct cmd_args *a, const char *name,
                                          const struct cmd_opt **ret_o)
{
        for (size_t i = 0; i < a->n_vals; i++)
                if (streq(a->cmd->opts[i].name, name)) {
                        if (ret_o)
                                *ret_o = &a->cmd->opts[i];
                        return &a->vals[i];
                }
        /* asking for an option the command does not declare is a programming error */
        fprintf(stderr, "internal error: command \"%s\" has no option \"%s\"\n", a->cmd->name,
                name);
        abort();
}

bool cmd_has_opt(const struct cmd_args *a, const char *name)
{
        for (size_t i = 0; i < a->n_vals; i++)
                if (streq(a->cmd->opts[i].name, name))
                        return true;
        return false;
}

bool cmd_flag(const struct cmd_args *a, const char *name)
{
        const struct cmd_value *v = find_value(a, name, NULL);

        return v->is_set && v->b;
}

bool cmd_is_set(const struct cmd_args *a, const char *name)
{
        return find_value(a, name, NULL)->is_set;
}

const char *cmd_str(const struct cmd_args *a, const char *name)
{
        const struct cmd_opt *o = NULL;
        const struct cmd_value *v = find_value(a, name, &o);

        if (v->is_set)
                return v->s;
        return o->def;
}

char **cmd_strv(const struct cmd_args *a, const char *name)
{
        return find_value(a, name, NULL)->v;
}

int cmd_tristate(const struct cmd_args *a, const char *name)
{
        const struct cmd_value *v = find_value(a, name, NULL);

        if (!v->is_set)
                return -1;
        return v->b ? 1 : 0;
}

static void print_opts(FILE *out, const struct cmd_opt *opts)
{
        for (size_t i = 0; opts && opts[i].name; i++) {
                const struct cmd_opt *o = &opts[i];
                char left[128];
                int n;

                if (o->short_name)
                        n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->name);
                else
                        n = snprintf(left, sizeof(left), "      --%s", o->name);
                if (o->kind != CMD_OPT_BOOL && n > 0 && (size_t) n < sizeof(left))
                        snprintf(left + n, sizeof(left) - (size_t) n, " %s",
                                 o->arg ? o->arg : "string");
                fprintf(out, "%-34s %s", left, o->help);
                if (o->def && *o->def)
                        fprintf(out, " (default \"%s\")", o->def);
                fputc('\n', out);
        }
}

void cmd_print_help(FILE *out, const struct cmd *c)
{
        fprintf(out, "%s\n\nDescription:\n  %s\n\nUsage:\n  den %s %s\n", c->summary,
                c->description ? c->description : c->summary, c->name, c->usage);
        if (c->aliases[0]) {
                fprintf(out, "\nAliases:\n  %s", c->name);
                for (size_t i = 0; i < ARRAY_SIZE(c->aliases) && c->aliases[i]; i++)
                        fprintf(out, ", %s", c->aliases[i]);
                fputc('\n', out);
        }
        if (c->opts && c->opts[0].name) {
                fputs("\nOptions:\n", out);
                print_opts(out, c->opts);
        }
}

void cmd_print_root_help(FILE *out)
{
        fputs("Manage pods, containers and images, rootless and without a daemon\n\n"
              "Usage:\n  den [options] [command]\n\nAvailable Commands:\n",
              out);
        for (size_t i = 0; cmd_table[i]; i++) {
                const struct cmd *c = cmd_table[i];

                if (c->flags & CMD_F_HIDDEN)
                        continue;
                fprintf(out, "  %-14s %s\n", c->name, c->summary);
        }
        fputs("\nOptions:\n", out);
        print_opts(out, cmd_global_opts);
        fputs("  -v, --version                    Version of den\n", out);
}
