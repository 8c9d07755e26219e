/* The one error type: set once at the failing call, wrapped with context on the way up,
 * printed once by cmd/main.c. */
#include "util.h"

static int verror_set(den_error **err, int errnum, const char *fmt, va_list ap)
{
        den_error *e;
        char *msg = NULL;

        if (!err)
                return -1;
        if (*err) /* the first error wins: it names the cause */
                return -1;
        if (vasprintf(&msg, fmt, ap) < 0) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        e = xcalloc(1, sizeof(*e));
        e->errnum = errnum;
        e->msg = msg;
        *err = e;
        return -1;
}

int den_error_set(den_error **err, int errnum, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        verror_set(err, errnum, fmt, ap);
        va_end(ap);
        return -1;
}

int den_error_set_plain(den_error **err, int errnum, const char *fmt, ...)
{
        bool is_new = err && !*err;
        va_list ap;

        va_start(ap, fmt);
        verror_set(err, errnum, fmt, ap);
        va_end(ap);
        if (is_new)
                (*err)->is_plain = true;
        return -1;
}

int den_error_wrap(den_error **err, const char *fmt, ...)
{
        _cleanup_free_ char *ctx = NULL;
        va_list ap;
        char *msg;

        if (!err || !*err)
                return -1;
        va_start(ap, fmt);
        if (vasprintf(&ctx, fmt, ap) < 0)
                ctx = NULL;
        va_end(ap);
        if (!ctx) {
                fputs("den: out of memory\n", stderr);
                abort();
        }
        msg = xasprintf("%s: %s", ctx, (*err)->msg);
        free((*err)->msg);
        (*err)->msg = msg;
        return -1;
}

void den_error_free(den_error *err)
{
        if (!err)
                return;
        free(err->msg);
        free(err);
}

char *den_error_text(const den_error *err)
{
        if (!err)
                return xstrdup("unknown error");
        if (err->errnum > 0 && !err->is_plain)
                return xasprintf("%s: %s", err->msg, strerror(err->errnum));
        return xstrdup(err->msg);
}

void den_warn_error(den_error **err, const char *fmt, ...)
{
        _cleanup_free_ char *ctx = NULL;
        _cleanup_free_ char *text = NULL;
        va_list ap;

        if (!err || !*err)
                return;
        va_start(ap, fmt);
        if (vasprintf(&ctx, fmt, ap) < 0)
                ctx = NULL;
        va_end(ap);
        text = den_error_text(*err);
        den_warn("%s%s%s", text, ctx ? ", " : "", ctx ? ctx : "");
        den_error_free(*err);
        *err = NULL;
}
