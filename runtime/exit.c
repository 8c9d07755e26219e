/* The exit record den-monitor writes when the init exits, and process identity checks. */
#include <jansson.h>

#include "runtime/runtime.h"

/* The record is a small JSON object written by den-monitor (runtime/monitor-main.c):
 * {"exit_code":N,"finished_ns":N,"started_ns":N,"oom_killed":bool} (started_ns optional). It
 * lives in the user's runroot, so it is
 * parsed strictly but any content is only ever data. */
int rt_exit_parse(const char *text, size_t len, struct rt_exit *ret, den_error **err)
{
        json_t *code, *fin, *start, *oom;
        json_auto_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);

        if (!root || !json_is_object(root))
                return den_error_set(err, 0, "not a JSON object");
        code = json_object_get(root, "exit_code");
        fin = json_object_get(root, "finished_ns");
        start = json_object_get(root, "started_ns");
        oom = json_object_get(root, "oom_killed");
        if (!json_is_integer(code) || json_integer_value(code) < 0 ||
            json_integer_value(code) > 255 || !json_is_integer(fin) ||
            json_integer_value(fin) < 0 || (oom && !json_is_boolean(oom)) ||
            (start && (!json_is_integer(start) || json_integer_value(start) < 0)))
                return den_error_set(err, 0, "invalid fields");
        *ret = (struct rt_exit){
                .exit_code = (int) json_integer_value(code),
                .finished_ns = (int64_t) json_integer_value(fin),
                .started_ns = start ? (int64_t) json_integer_value(start) : 0,
                .is_oom_killed = oom && json_is_true(oom),
        };
        return 0;
}

int rt_exit_read_at(int dfd, const char *path, struct rt_exit *ret, den_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = den_read_file_at(dfd, path, 4096, &text, &len);
        if (r == -ENOENT)
                return 1;
        if (r < 0)
                return den_error_set(err, -r, "read exit record \"%s\"", path);
        if (rt_exit_parse(text, len, ret, err) < 0)
                return den_error_wrap(err, "read exit record \"%s\"", path);
        return 0;
}

int rt_exit_read(const char *path, struct rt_exit *ret, den_error **err)
{
        return rt_exit_read_at(AT_FDCWD, path, ret, err);
}

int rt_exit_write(int dfd, const char *name, const struct rt_exit *ex, den_error **err)
{
        char body[160];
        int len, r;

        len = snprintf(body, sizeof(body),
                       "{\"exit_code\":%d,\"finished_ns\":%lld,\"started_ns\":%lld,"
                       "\"oom_killed\":%s}\n",
                       ex->exit_code, (long long) ex->finished_ns, (long long) ex->started_ns,
                       ex->is_oom_killed ? "true" : "false");
        r = den_write_file_atomic_at(dfd, name, body, (size_t) len, 0600);
        if (r < 0)
                return den_error_set(err, -r, "write exit record %s", name);
        return 0;
}

uint64_t rt_pid_start_time(pid_t pid)
{
        _cleanup_free_ char *text = NULL;
        char path[64];
        const char *p;
        size_t len = 0;
        uint64_t v = 0;

        if (pid <= 0)
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        if (den_read_file_at(AT_FDCWD, path, 4096, &text, &len) < 0)
                return 0;
        /* the command name (field 2) may hold spaces and parentheses: skip to the last ')' */
        p = strrchr(text, ')');
        if (!p)
                return 0;
        p++;
        /* field 3 starts after ") "; field 22 is 19 more fields on */
        for (int field = 2; field < 22 && p; field++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        if (!p)
                return 0;
        for (; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t) (*p - '0');
        return v;
}
