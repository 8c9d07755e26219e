/* Read-only container commands: ps, logs, container exists, port; and rename. None of them
 * enters a user namespace. */
#include <time.h>
#include "ctr-run.h"

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---------------------------------------------------------------- ps */

struct ps_filter {
        char **status, **name, **id, **label, **ancestor, **exited;
};

static bool match_any(char **pats, const char *s, bool is_prefix)
{
        if (!pats)
                return true;
        for (size_t i = 0; pats[i]; i++)
                if (is_prefix ? strncmp(s, pats[i], strlen(pats[i])) == 0
                              : strstr(s, pats[i]) != NULL)
                        return true;
        return false;
}

static bool ps_match(const struct ps_filter *f, struct cmd_ctr *c)
{
        if (f->status) {
                bool any = false;

                for (size_t i = 0; f->status[i]; i++)
                        any |= streq(f->status[i], c->status) ||
                               (streq(f->status[i], "stopped") && streq(c->status, "exited"));
                if (!any)
                        return false;
        }
        if (f->name && !match_any(f->name, c->rec->name, false))
                return false;
        if (f->id && !match_any(f->id, c->rec->id, true))
                return false;
        if (f->exited) {
                bool any = false;

                for (size_t i = 0; f->exited[i]; i++)
                        any |= !cmd_ctr_is_running(c) && !streq(c->status, "created") &&
                               atoi(f->exited[i]) == c->exit_code;
                if (!any)
                        return false;
        }
        if (f->ancestor) {
                bool any = false;

                for (size_t i = 0; f->ancestor[i]; i++)
                        any |= strncmp(c->rec->image_id, f->ancestor[i], strlen(f->ancestor[i])) ==
                                       0 ||
                               (c->rec->image_name && strstr(c->rec->image_name, f->ancestor[i]));
                if (!any)
                        return false;
        }
        for (size_t i = 0; f->label && f->label[i]; i++) {
                const char *eq = strchr(f->label[i], '=');
                _cleanup_free_ char *k = eq ? xstrndup(f->label[i], (size_t) (eq - f->label[i]))
                                            : xstrdup(f->label[i]);
                json_t *v = json_object_get(cmd_ctr_cfg(c, "Config", "Labels"), k);

                if (!v || (eq && !streq(json_string_value(v) ?: "", eq + 1)))
                        return false;
        }
        return true;
}

static int ps_filter_parse(char **in, struct ps_filter *f, den_error **err)
{
        for (size_t i = 0; in && in[i]; i++) {
                const char *eq = strchr(in[i], '=');
                _cleanup_free_ char *k = eq ? xstrndup(in[i], (size_t) (eq - in[i])) : NULL;
                char ***dst = NULL;

                if (!k)
                        return den_error_set(err, 0, "invalid filter \"%s\"", in[i]);
                if (streq(k, "status"))
                        dst = &f->status;
                else if (streq(k, "name"))
                        dst = &f->name;
                else if (streq(k, "id"))
                        dst = &f->id;
                else if (streq(k, "label"))
                        dst = &f->label;
                else if (streq(k, "ancestor"))
                        dst = &f->ancestor;
                else if (streq(k, "exited"))
                        dst = &f->exited;
                else
                        return den_error_set(err, 0, "%s is an invalid filter", k);
                if (dst == &f->status && !streq(eq + 1, "created") && !streq(eq + 1, "running") &&
                    !streq(eq + 1, "exited") && !streq(eq + 1, "stopped") &&
                    !streq(eq + 1, "paused") && !streq(eq + 1, "unknown"))
                        return den_error_set(err, 0, "%s is not a valid status", eq + 1);
                den_strv_push(dst, eq + 1);
        }
        return 0;
}

static void ps_filter_clear(struct ps_filter *f)
{
        den_strv_free(f->status);
        den_strv_free(f->name);
        den_strv_free(f->id);
        den_strv_free(f->label);
        den_strv_free(f->ancestor);
        den_strv_free(f->exited);
}

static json_t *ps_row(struct cmd_ctr *c, bool is_no_trunc, int64_t now)
{
        _cleanup_free_ char *cmd = cmd_ctr_command(c);
        _cleanup_free_ char *status = cmd_ctr_status_text(c, now);
        _cleanup_free_ char *ports = cmd_ctr_ports_text(c);
        _cleanup_free_ char *created = den_time_ago(c->rec->created / 1000000000, now / 1000000000);
        _cleanup_free_ char *shown = NULL;
        json_t *command = json_array();
        json_t *v, *labels = cmd_ctr_cfg(c, "Config", "Labels");
        size_t i;

        json_array_foreach (cmd_ctr_cfg(c, "Config", "Entrypoint"), i, v)
                json_array_append(command, v);
        json_array_foreach (cmd_ctr_cfg(c, "Config", "Cmd"), i, v)
                json_array_append(command, v);
        shown = is_no_trunc || strlen(cmd) <= 20 ? xstrdup(cmd) : xasprintf("%.17s...", cmd);
        return json_pack(
                "{s:s, s:s, s:[s], s:s, s:s, s:o, s:s, s:I, s:s, s:s, s:s, s:s, s:b, "
                "s:i, s:I, s:I, s:I, s:s, s:O, s:b}",
                "ID", c->rec->id, "Id", c->rec->id, "Names", c->rec->name, "Image",
                c->rec->image_name, "ImageID", c->rec->image_id, "Command", command, "CommandText",
                shown, "Created", (json_int_t) (c->rec->created / 1000000000), "CreatedHuman",
                created, "State", c->status, "Status", status, "Ports", ports, "Exited",
                !cmd_ctr_is_running(c) && !streq(c->status, "created"), "ExitCode", c->exit_code,
                "ExitedAt", (json_int_t) (c->finished_ns / 1000000000), "StartedAt",
                (json_int_t) (c->started_ns / 1000000000), "Pid", (json_int_t) c->pid, "RunningFor",
                created, "Labels", labels ? labels : json_null(), "AutoRemove",
                cmd_ctr_cfg_bool(c, "HostConfig", "AutoRemove"));
}

static int cmp_created(const void *a, const void *b)
{
        const struct cmd_ctr *x = *(struct cmd_ctr *const *) a, *y = *(struct cmd_ctr *const *) b;

        return x->rec->created < y->rec->created ? 1 : x->rec->created > y->rec->created ? -1 : 0;
}

static int run_ps(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        static const struct cmd_header headers[] = {
                { "ID", "CONTAINER ID" },      { "CommandText", "COMMAND" },
                { "CreatedHuman", "CREATED" }, { "RunningFor", "CREATED" },
                { "Names", "NAMES" },          { 0 },
        };
        bool is_all = cmd_flag(a, "all"), is_quiet = cmd_flag(a, "quiet");
        bool is_no_trunc = cmd_flag(a, "no-trunc");
        const char *format = cmd_str(a, "format");
        const char *sort = cmd_str(a, "sort");
        json_auto_t *rows = json_array();
        json_auto_t *jrows = json_array();
        struct ps_filter f = { 0 };
        struct cmd_ctr **v = NULL;
        struct store *s;
        size_t n = 0;
        int last = -1, r = -1;
        int64_t now = now_ns();

        if (cmd_is_set(a, "last") && den_parse_int(cmd_str(a, "last"), -1, INT32_MAX, &last) < 0)
                return den_error_set(err, 0, "invalid argument \"%s\" for \"-n, --last\"",
                                     cmd_str(a, "last"));
        if (cmd_flag(a, "latest"))
                last = 1;
        if (sort && !streq(sort, "created") && !streq(sort, "id") && !streq(sort, "image") &&
            !streq(sort, "names") && !streq(sort, "status") && !streq(sort, "runningfor") &&
            !streq(sort, "command") && !streq(sort, "size"))
                return den_error_set(err, 0,
                                     "invalid option for --sort, options are: command, "
                                     "created, id, image, names, runningfor, size, or "
                                     "status");
        if (ps_filter_parse(cmd_strv(a, "filter"), &f, err) < 0)
                goto out;
        if (cmd_ctx_store(ctx, false, &s, err) < 0 || cmd_ctr_load_all_brief(s, &v, &n, err) < 0)
                goto out;
        qsort(v, n, sizeof(*v), cmp_created);
        for (size_t i = 0, shown = 0; i < n; i++) {
                json_t *row;

                if (!is_all && !f.status && !cmd_ctr_is_running(v[i]) && last < 0)
                        continue;
                if (!ps_match(&f, v[i]))
                        continue;
                if (last >= 0 && shown >= (size_t) last)
                        break;
                shown++;
                row = ps_row(v[i], is_no_trunc, now);
                {
                        char id12[13];

                        snprintf(id12, sizeof(id12), "%s", v[i]->rec->id);
                        json_object_set_new(row, "ID",
                                            json_string(is_no_trunc ? v[i]->rec->id : id12));
                }
                json_array_append(jrows, row);
                json_object_set_new(row, "Names", json_string(v[i]->rec->name));
                json_array_append_new(rows, row);
                /* the row holds what is printed: the next rows reuse this memory instead of
                 * faulting in more (page faults were a third of ps's time over 100) */
                cmd_ctr_free(steal_ptr(v[i]));
        }
        if (sort && !streq(sort, "created")) {
                const char *key = streq(sort, "id")        ? "Id"
                                  : streq(sort, "image")   ? "Image"
                                  : streq(sort, "names")   ? "Names"
                                  : streq(sort, "status")  ? "Status"
                                  : streq(sort, "command") ? "CommandText"
                                                           : "Created";
                size_t m = json_array_size(rows);

                /* a stable insertion sort by the chosen column (few rows) */
                for (size_t i = 1; i < m; i++)
                        for (size_t k = i; k > 0; k--) {
                                json_t *x = json_array_get(rows, k - 1),
                                       *y = json_array_get(rows, k);
                                const char *xs = json_string_value(json_object_get(x, key));
                                const char *ys = json_string_value(json_object_get(y, key));

                                if (!xs || !ys || strcmp(xs, ys) <= 0)
                                        break;
                                json_incref(x);
                                json_array_set(rows, k - 1, y);
                                json_array_set_new(rows, k, x);
                                x = json_array_get(jrows, k - 1);
                                y = json_array_get(jrows, k);
                                json_incref(x);
                                json_array_set(jrows, k - 1, y);
                                json_array_set_new(jrows, k, x);
                        }
        }
        if (is_quiet && (!format || !*format)) {
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
                        .default_table = "table {{.ID}}\t{{.Image}}\t{{.CommandText}}\t"
                                         "{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}",
                        .headers = headers,
                        .is_no_heading = cmd_flag(a, "noheading"),
                },
                err);
out:
        cmd_ctrs_free(v, n);
        ps_filter_clear(&f);
        return r < 0 ? -1 : 0;
}

static const struct cmd_opt ps_opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL,
          "Show all the containers, default is only running containers" },
        { "external", 0, CMD_OPT_BOOL, NULL, "Show containers in storage not controlled by den" },
        { "filter", 'f', CMD_OPT_STRINGS, "strings", "Filter output based on conditions given" },
        { "format", 0, CMD_OPT_STRING, "string",
          "Pretty-print containers to JSON or using a Go template" },
        { "last", 'n', CMD_OPT_STRING, "int", "Print the n last created containers (all states)",
          "-1" },
        { "latest", 'l', CMD_OPT_BOOL, NULL, "Act on the latest container den is aware of" },
        { "no-trunc", 0, CMD_OPT_BOOL, NULL, "Display the extended information" },
        { "noheading", 0, CMD_OPT_BOOL, NULL, "Do not print headers" },
        { "quiet", 'q', CMD_OPT_BOOL, NULL, "Print the numeric IDs of the containers only" },
        { "size", 's', CMD_OPT_BOOL, NULL, "Display the total file sizes" },
        { "sort", 0, CMD_OPT_STRING, "choice",
          "Sort output by: command, created, id, image, names, runningfor, size, status",
          "created" },
        { 0 },
};

const struct cmd cmd_ps = {
        .name = "ps",
        .aliases = { "container ls", "container list", "container ps" },
        .usage = "[options]",
        .summary = "List containers",
        .opts = ps_opts,
        .max_args = 0,
        .run = run_ps,
};

/* ---------------------------------------------------------------- logs */

struct follow_ud {
        struct store *s;
        struct cmd_ctr *c;
};

static bool is_done(void *ud)
{
        struct follow_ud *f = ud;

        (void) cmd_ctr_wait_exit(f->s, f->c, 0);
        return !cmd_ctr_is_running(f->c);
}

/* A Go duration ("10m", "1h30m", "2.5s", "500ms"), in ns; -1 when malformed. */
static int64_t go_duration(const char *s)
{
        double total = 0;

        if (!*s)
                return -1;
        while (*s) {
                char *end;
                double v = strtod(s, &end);
                double unit;

                if (end == s)
                        return -1;
                s = end;
                if (strncmp(s, "ns", 2) == 0)
                        unit = 1, s += 2;
                else if (strncmp(s, "us", 2) == 0)
                        unit = 1e3, s += 2;
                else if (strncmp(s, "ms", 2) == 0)
                        unit = 1e6, s += 2;
                else if (*s == 's')
                        unit = 1e9, s++;
                else if (*s == 'm')
                        unit = 60e9, s++;
                else if (*s == 'h')
                        unit = 3600e9, s++;
                else
                        return -1;
                total += v * unit;
        }
        return (int64_t) total;
}

static int parse_time_arg(const char *s, int64_t now, int64_t *ret, den_error **err)
{
        int64_t sec = 0;
        long nsec = 0;
        int64_t d;

        if (!s || !*s) {
                *ret = 0;
                return 0;
        }
        if (den_time_parse_rfc3339(s, &sec, &nsec) == 0) {
                *ret = sec * 1000000000 + nsec;
                return 0;
        }
        if ((d = go_duration(s)) >= 0) {
                *ret = now - d;
                return 0;
        }
        {
                char *end;
                long long v = strtoll(s, &end, 10);

                if (end != s && !*end) {
                        *ret = (int64_t) v * 1000000000;
                        return 0;
                }
        }
        return den_error_set(err, 0, "invalid time \"%s\"", s);
}

static int run_logs(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        int64_t now = now_ns(), since = 0, until = 0;
        long tail = -1;
        struct store *s;

        if (parse_time_arg(cmd_str(a, "since"), now, &since, err) < 0 ||
            parse_time_arg(cmd_str(a, "until"), now, &until, err) < 0)
                return -1;
        if (cmd_is_set(a, "tail")) {
                int t;

                if (den_parse_int(cmd_str(a, "tail"), -1, INT32_MAX, &t) < 0)
                        return den_error_set(err, 0, "invalid argument \"%s\" for \"--tail\"",
                                             cmd_str(a, "tail"));
                tail = t;
        }
        if (cmd_ctx_store(ctx, false, &s, err) < 0)
                return -1;
        for (size_t i = 0; i < a->n_pos; i++) {
                _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
                _cleanup_free_ char *log = NULL;
                _cleanup_free_ char *prefix = NULL;
                struct follow_ud fu;

                if (cmd_ctr_load(s, a->pos[i], &c, err) < 0)
                        return -1;
                {
                        const char *driver = json_string_value(
                                json_object_get(cmd_ctr_cfg(c, "HostConfig", "LogConfig"), "Type"));

                        if (driver && streq(driver, "none"))
                                return den_error_set_plain(err, 0,
                                                           "this container is using the 'none' "
                                                           "log driver, cannot read logs: this "
                                                           "container is not logging output");
                }
                fu = (struct follow_ud){ s, c };
                log = den_path_join(c->userdata, "ctr.log");
                if (a->n_pos > 1)
                        prefix = xasprintf("%.12s ", c->rec->id);
                fflush(stdout);
                if (rt_log_print(log,
                                 &(struct rt_log_opts){
                                         .is_timestamps = cmd_flag(a, "timestamps"),
                                         .since_ns = since,
                                         .until_ns = until,
                                         .tail = tail,
                                         .is_follow = cmd_flag(a, "follow"),
                                         .is_done = is_done,
                                         .userdata = &fu,
                                         .prefix = prefix,
                                         .out_fd = STDOUT_FILENO,
                                         .err_fd = STDERR_FILENO,
                                 },
                                 err) < 0)
                        return -1;
        }
        return 0;
}

static const struct cmd_opt logs_opts[] = {
        { "follow", 'f', CMD_OPT_BOOL, NULL, "Follow log output" },
        { "latest", 'l', CMD_OPT_BOOL, NULL, "Act on the latest container den is aware of" },
        { "names", 'n', CMD_OPT_BOOL, NULL, "Output the container name in the log" },
        { "since", 0, CMD_OPT_STRING, "string", "Show logs since TIMESTAMP" },
        { "tail", 0, CMD_OPT_STRING, "int",
          "Output the specified number of LINES at the end of the logs", "-1" },
        { "timestamps", 't', CMD_OPT_BOOL, NULL, "Output the timestamps in the log" },
        { "until", 0, CMD_OPT_STRING, "string", "Show logs until TIMESTAMP" },
        { 0 },
};

const struct cmd cmd_logs = {
        .name = "logs",
        .aliases = { "container logs" },
        .usage = "[options] CONTAINER [CONTAINER...]",
        .summary = "Fetch the logs of one or more containers",
        .opts = logs_opts,
        .min_args = 1,
        .max_args = -1,
        .run = run_logs,
};

/* ---------------------------------------------------------------- exists, port, rename */

static int run_exists(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        den_error *e = NULL;
        struct store *s;

        if (cmd_ctx_store(ctx, false, &s, err) < 0)
                return -1;
        if (cmd_ctr_load(s, a->pos[0], &c, &e) == 0)
                return 0;
        if (e->errnum == ENOENT) {
                den_error_free(e);
                return 1;
        }
        *err = e;
        return -1;
}

static const struct cmd_opt no_opts[] = { { 0 } };

const struct cmd cmd_container_exists = {
        .name = "container exists",
        .usage = "CONTAINER",
        .summary = "Check if a container exists in local storage",
        .opts = no_opts,
        .min_args = 1,
        .max_args = 1,
        .run = run_exists,
};

static int run_port(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        _cleanup_free_ char *text = NULL;
        struct store *s;

        if (cmd_ctx_store(ctx, false, &s, err) < 0 || cmd_ctr_load(s, a->pos[0], &c, err) < 0)
                return -1;
        text = cmd_ctr_ports_text(c);
        /* "0.0.0.0:8080->80/tcp" -> "80/tcp -> 0.0.0.0:8080" */
        for (char *p = text, *next; p && *p; p = next) {
                char *arrow, *comma = strstr(p, ", ");

                next = comma ? comma + 2 : NULL;
                if (comma)
                        *comma = 0;
                arrow = strstr(p, "->");
                if (!arrow)
                        continue;
                *arrow = 0;
                if (a->n_pos > 1 && !strstr(arrow + 2, a->pos[1]))
                        continue;
                if (a->n_pos > 1)
                        printf("%s\n", p);
                else
                        printf("%s -> %s\n", arrow + 2, p);
        }
        return 0;
}

const struct cmd cmd_port = {
        .name = "port",
        .aliases = { "container port" },
        .usage = "CONTAINER [PORT[/PROTO]]",
        .summary = "List port mappings or a specific mapping for the container",
        .opts = no_opts,
        .min_args = 1,
        .max_args = 2,
        .run = run_port,
};

static int run_rename(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_(cmd_ctr_freep) struct cmd_ctr *c = NULL;
        struct store *s;

        if (cmd_ctx_store(ctx, true, &s, err) < 0 || cmd_ctr_load(s, a->pos[0], &c, err) < 0)
                return -1;
        return store_container_rename(s, c->rec->id, a->pos[1], err);
}

const struct cmd cmd_rename = {
        .name = "rename",
        .aliases = { "container rename" },
        .usage = "CONTAINER NAME",
        .summary = "Rename an existing container",
        .opts = no_opts,
        .min_args = 2,
        .max_args = 2,
        .flags = CMD_F_STORE_WRITE,
        .run = run_rename,
};
