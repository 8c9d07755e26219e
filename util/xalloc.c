/* Allocation helpers: out of memory is fatal. Also the byte buffer and string vectors. */
#include "util.h"

static void oom(void)
{
        static const char msg[] = "Error: out of memory\n";

        (void) !write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);

        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);

        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

char *xstrdup(const char *s)
{
        char *p = strdup(s ? s : "");

        if (!p)
                oom();
        return p;
}

char *xstrndup(const char *s, size_t n)
{
        char *p = strndup(s, n);

        if (!p)
                oom();
        return p;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *p = NULL;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&p, fmt, ap);
        va_end(ap);
        if (r < 0)
                oom();
        return p;
}

void den_buf_append(struct den_buf *b, const void *p, size_t n)
{
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 256;

                while (cap < b->len + n + 1)
                        cap *= 2;
                b->data = xrealloc(b->data, cap);
                b->cap = cap;
        }
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void den_buf_puts(struct den_buf *b, const char *s)
{
        den_buf_append(b, s, strlen(s));
}

void den_buf_printf(struct den_buf *b, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                oom();
        va_end(ap);
        den_buf_puts(b, s);
}

char *den_buf_steal(struct den_buf *b)
{
        char *p;

        if (!b->data)
                den_buf_append(b, "", 0);
        p = b->data;
        *b = (struct den_buf){ 0 };
        return p;
}

void den_buf_free(struct den_buf *b)
{
        free(b->data);
        *b = (struct den_buf){ 0 };
}

size_t den_strv_len(char *const *v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

void den_strv_push(char ***v, const char *s)
{
        size_t n = den_strv_len(*v);

        *v = xrealloc(*v, (n + 2) * sizeof(char *));
        (*v)[n] = xstrdup(s);
        (*v)[n + 1] = NULL;
}

bool den_strv_contains(char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (streq(v[i], s))
                        return true;
        return false;
}

void den_strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}
