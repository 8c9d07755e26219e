/* Checked number, size and time parsers and the human-readable forms podman prints. */
#include "util.h"
#include <ctype.h>
#include <math.h>
#include <time.h>

int den_parse_u64(const char *s, uint64_t *ret)
{
        unsigned long long v;
        char *end = NULL;

        if (!s || !*s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int den_parse_int(const char *s, int min, int max, int *ret)
{
        long v;
        char *end = NULL;

        if (!s || !*s)
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno || *end || end == s)
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = (int) v;
        return 0;
}

bool den_str_has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

int den_parse_size(const char *s, uint64_t *ret)
{
        double v;
        char *end = NULL;
        uint64_t mult = 1;

        if (!s || !*s || !(isdigit((unsigned char) *s) || *s == '.'))
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s || v < 0 || !isfinite(v))
                return -EINVAL;
        switch (tolower((unsigned char) *end)) {
        case '\0':
                break;
        case 'b':
                end++;
                break;
        case 'k':
                mult = 1ULL << 10;
                end++;
                break;
        case 'm':
                mult = 1ULL << 20;
                end++;
                break;
        case 'g':
                mult = 1ULL << 30;
                end++;
                break;
        case 't':
                mult = 1ULL << 40;
                end++;
                break;
        default:
                return -EINVAL;
        }
        if (mult > 1 && (*end == 'b' || *end == 'B'))
                end++;
        if (mult > 1 && (*end == 'i' || *end == 'I') && (end[1] == 'b' || end[1] == 'B'))
                end += 2;
        if (*end)
                return -EINVAL;
        if (v * (double) mult >= 18446744073709551615.0)
                return -ERANGE;
        *ret = (uint64_t) (v * (double) mult);
        return 0;
}

char *den_size_human(uint64_t bytes)
{
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
        double v = (double) bytes;
        size_t u = 0;

        while (v >= 1000.0 && u + 1 < ARRAY_SIZE(units)) {
                v /= 1000.0;
                u++;
        }
        /* three significant digits, trailing zeros dropped, as Go's %.3g does */
        return xasprintf("%.3g %s", v, units[u]);
}

char *den_time_ago(int64_t t, int64_t now)
{
        int64_t d = now - t;

        if (d < 1)
                return xstrdup("Less than a second ago");
        if (d < 60)
                return xasprintf("%lld second%s ago", (long long) d, d == 1 ? "" : "s");
        if (d < 3600) {
                int64_t m = d / 60;

                if (m == 1)
                        return xstrdup("About a minute ago");
                return xasprintf("%lld minutes ago", (long long) m);
        }
        if (d < 48 * 3600) {
                int64_t h = (d + 1800) / 3600;

                if (h == 1)
                        return xstrdup("About an hour ago");
                return xasprintf("%lld hours ago", (long long) h);
        }
        if (d < 14 * 86400)
                return xasprintf("%lld days ago", (long long) (d / 86400));
        if (d < 60 * 86400)
                return xasprintf("%lld weeks ago", (long long) (d / (7 * 86400)));
        if (d < 2 * 365 * 86400)
                return xasprintf("%lld months ago", (long long) (d / (30 * 86400)));
        return xasprintf("%lld years ago", (long long) (d / (365 * 86400)));
}

char *den_time_rfc3339(int64_t sec, long nsec)
{
        time_t t = (time_t) sec;
        struct tm tm;
        char buf[64];

        gmtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
        if (nsec > 0)
                return xasprintf("%s.%09ldZ", buf, nsec);
        return xasprintf("%sZ", buf);
}

int den_time_parse_rfc3339(const char *s, int64_t *ret_sec, long *ret_nsec)
{
        struct tm tm = { 0 };
        const char *p;
        long nsec = 0;
        int64_t off = 0;
        time_t t;

        if (!s)
                return -EINVAL;
        p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!p)
                return -EINVAL;
        if (*p == '.') {
                long scale = 100000000;

                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                while (isdigit((unsigned char) *p)) {
                        nsec += (*p - '0') * scale;
                        scale /= 10;
                        p++;
                }
        }
        if (*p == 'Z' || *p == 'z') {
                p++;
        } else if (*p == '+' || *p == '-') {
                /* exactly "+HH:MM" */
                for (int i = 1; i <= 5; i++)
                        if (i == 3 ? p[i] != ':' : !isdigit((unsigned char) p[i]))
                                return -EINVAL;
                off = (int64_t) ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
                      ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
                if (*p == '-')
                        off = -off;
                p += 6;
        } else {
                return -EINVAL;
        }
        if (*p)
                return -EINVAL;
        t = timegm(&tm);
        *ret_sec = (int64_t) t - off;
        if (ret_nsec)
                *ret_nsec = nsec;
        return 0;
}
