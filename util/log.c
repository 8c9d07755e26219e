/* Logging to stderr, gated by the one mutable global: the log level. */
#include "util.h"
#include <time.h>

int den_log_level_current = DEN_LOG_WARN;

int den_log_level_parse(const char *s)
{
        static const char *const names[] = { "error", "warn", "info", "debug" };

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (streq(s, names[i]))
                        return (int) i;
        if (streq(s, "warning"))
                return DEN_LOG_WARN;
        if (streq(s, "trace"))
                return DEN_LOG_DEBUG;
        if (streq(s, "fatal") || streq(s, "panic"))
                return DEN_LOG_ERROR;
        return -1;
}

void den_log_full(int level, const char *fmt, ...)
{
        static const char *const prefix[] = { "Error", "WARN", "INFO", "DEBU" };
        char line[4096];
        va_list ap;
        int n;

        if (level < 0 || level > DEN_LOG_DEBUG)
                level = DEN_LOG_DEBUG;
        if (level == DEN_LOG_WARN || level == DEN_LOG_ERROR)
                n = snprintf(line, sizeof(line),
                             "%s: ", level == DEN_LOG_WARN ? "Warning" : "Error");
        else
                n = snprintf(line, sizeof(line), "%s[%04ld] ", prefix[level],
                             (long) (time(NULL) % 10000));
        va_start(ap, fmt);
        vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
        va_end(ap);
        strcat(line, "\n");
        (void) den_write_all(STDERR_FILENO, line, strlen(line));
}
