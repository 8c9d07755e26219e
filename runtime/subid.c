/* /etc/subuid and /etc/subgid: the ranges of subordinate ids an administrator granted each
 * user, one "owner:start:count" per line, where owner is a user name or a numeric uid.
 *
 * den only reads these files to compute the mapping it asks for; newuidmap and newgidmap
 * re-read them and enforce them. So the parser is at least as strict as shadow-utils: a line
 * den accepts must be one newuidmap accepts too, or the request would fail later with a less
 * clear message. Lines den cannot read are skipped, as shadow-utils does. */
#include "runtime/runtime.h"

/* More ranges than this for one user is a broken file, not a configuration. The kernel takes
 * at most 340 lines per map; den's own line for the user's id comes first. */
#define SUBID_MAX_RANGES 64
/* /etc/subuid grows by one short line per user; a site with a million users stays below. */
#define SUBID_MAX_FILE_SIZE (64u << 20)

/* A decimal id without sign, blanks or leading zeros ("0100" would be octal to a reader
 * that uses strtoul base 0, so it is refused rather than guessed). */
static bool field_to_u32(const char *p, size_t len, uint32_t *ret)
{
        char buf[16];
        uint64_t v;

        if (len == 0 || len >= sizeof(buf) || (len > 1 && p[0] == '0'))
                return false;
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (den_parse_u64(buf, &v) < 0 || v > UINT32_MAX)
                return false;
        *ret = (uint32_t) v;
        return true;
}

static bool owner_matches(const char *p, size_t len, const char *user, uid_t uid)
{
        uint32_t n;

        if (user && strlen(user) == len && memcmp(p, user, len) == 0)
                return true;
        return field_to_u32(p, len, &n) && n == (uint32_t) uid;
}

/* Parses one line (without its '\n'). Returns true and fills *ret when the line is a valid
 * range owned by the user. */
static bool line_parse(const char *line, size_t len, const char *user, uid_t uid,
                       struct rt_idmap *ret)
{
        const char *c1, *c2, *end = line + len;
        uint32_t start, count;

        c1 = memchr(line, ':', len);
        if (!c1)
                return false;
        c2 = memchr(c1 + 1, ':', (size_t) (end - c1 - 1));
        if (!c2 || memchr(c2 + 1, ':', (size_t) (end - c2 - 1)))
                return false;
        if (c1 == line || !owner_matches(line, (size_t) (c1 - line), user, uid))
                return false;
        if (!field_to_u32(c1 + 1, (size_t) (c2 - c1 - 1), &start) ||
            !field_to_u32(c2 + 1, (size_t) (end - c2 - 1), &count))
                return false;
        /* the last host id of the range must be a real id: (uid_t) -1 is never one */
        if (count == 0 || (uint64_t) start + count > UINT32_MAX)
                return false;
        *ret = (struct rt_idmap){ .container_id = 0, .host_id = start, .size = count };
        return true;
}

int rt_subid_parse(const char *text, const char *user, uid_t uid, struct rt_idmap **ret,
                   size_t *ret_n)
{
        _cleanup_free_ struct rt_idmap *v = NULL;
        size_t n = 0;
        const char *p = text;

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                struct rt_idmap r;

                if (line_parse(p, len, user, uid, &r)) {
                        if (n == SUBID_MAX_RANGES)
                                return -E2BIG;
                        if (!v)
                                v = xcalloc(SUBID_MAX_RANGES, sizeof(*v));
                        v[n++] = r;
                }
                p += len;
                if (*p == '\n')
                        p++;
        }
        *ret = steal_ptr(v);
        *ret_n = n;
        return (int) n;
}

int rt_subid_read(const char *path, const char *user, uid_t uid, struct rt_idmap **ret,
                  size_t *ret_n, den_error **err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        r = den_read_file_at(AT_FDCWD, path, SUBID_MAX_FILE_SIZE, &text, &len);
        if (r == -ENOENT) { /* no file: no ranges for anyone */
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (r == -EFBIG)
                return den_error_set(err, 0, "read \"%s\": larger than %u MiB", path,
                                     SUBID_MAX_FILE_SIZE >> 20);
        if (r < 0)
                return den_error_set(err, -r, "read \"%s\"", path);
        if (memchr(text, '\0', len))
                return den_error_set(err, 0, "read \"%s\": contains a NUL byte", path);
        r = rt_subid_parse(text, user, uid, ret, ret_n);
        if (r == -E2BIG)
                return den_error_set(err, 0, "\"%s\" has more than %d ranges for user \"%s\"", path,
                                     SUBID_MAX_RANGES, user ? user : "?");
        return r;
}
