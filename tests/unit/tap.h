/* A small TAP producer for den's unit tests: each check prints "ok N - expr" or "not ok",
 * with the expression, both values, file and line on failure; the plan is printed at the end. */
#pragma once

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tap_n;
static int tap_failed;

#define TAP_REPORT(ok, fmt, ...)                                             \
        do {                                                                 \
                tap_n++;                                                     \
                if (ok) {                                                    \
                        printf("ok %d - " fmt "\n", tap_n, __VA_ARGS__);     \
                } else {                                                     \
                        tap_failed++;                                        \
                        printf("not ok %d - " fmt "\n", tap_n, __VA_ARGS__); \
                        printf("# at %s:%d\n", __FILE__, __LINE__);          \
                }                                                            \
        } while (0)

#define ok(expr) TAP_REPORT(!!(expr), "%s", #expr)

#define is_int(a, b)                                                           \
        do {                                                                   \
                long long _a = (long long) (a), _b = (long long) (b);          \
                TAP_REPORT(_a == _b, "%s == %s", #a, #b);                      \
                if (_a != _b)                                                  \
                        printf("#   got: %lld\n#   expected: %lld\n", _a, _b); \
        } while (0)

#define is_str(a, b)                                                                          \
        do {                                                                                  \
                const char *_a = (a), *_b = (b);                                              \
                int _ok = (_a && _b) ? strcmp(_a, _b) == 0 : _a == _b;                        \
                TAP_REPORT(_ok, "%s == %s", #a, #b);                                          \
                if (!_ok)                                                                     \
                        printf("#   got: \"%s\"\n#   expected: \"%s\"\n", _a ? _a : "(null)", \
                               _b ? _b : "(null)");                                           \
        } while (0)

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
