/* Go's text/template as podman's --format accepts it, evaluated over jansson values.
 *
 * Trust: the template text comes from the user's command line and the data from den's own
 * JSON. Everything the template controls is bounded: its size and nesting at compile time;
 * at execution the number of steps (range iterations included), the output size, and the
 * bytes every function makes, so that a template like {{range 1000000000}} or a printf with a
 * huge width ends in a one-line error, not an exhausted machine.
 *
 * The lexer, parser and executor follow Go's text/template closely (grammar, trim markers,
 * scoping of variables, truthiness, error texts) so that templates written for podman behave
 * the same. Data are JSON values instead of Go structs: a field is an object member, looked up
 * by exact name first and then case-insensitively (den's JSON keys do not always have the case
 * of podman's Go field names), and a missing member is Go's missing map key (<no value>). */
#include <ctype.h>
#include "format.h"

#define TEMPLATE_NAME "output"
#define MAX_TEMPLATE_LEN (1u << 20)
#define MAX_NESTING 100
#define MAX_OUTPUT (64u << 20)
#define MAX_MADE (256u << 20)
#define MAX_STEPS 2000000u
#define MAX_SPLIT 65536u

/* Appends x to a vector whose capacity is the next power of two of its length. */
#define PUSH(vec, n, x)                                                                \
        do {                                                                           \
                if (((n) & ((n) -1)) == 0)                                             \
                        (vec) = xrealloc((vec), ((n) ? 2 * (n) : 1) * sizeof(*(vec))); \
                (vec)[(n)++] = (x);                                                    \
        } while (0)

/* ---------------------------------------------------------------- the compiled template */

enum arg_kind { A_FIELD, A_VAR, A_DOT, A_NIL, A_LIT, A_FUNC, A_PIPE };

struct exec;
struct func {
        const char *name;
        int min, max; /* argument counts; max < 0: variadic */
        int (*fn)(struct exec *x, json_t **argv, size_t argc, json_t **ret);
};

struct pipe;

/* An operand: a term and the field chain that follows it (for A_FIELD the chain is all). */
struct arg {
        enum arg_kind kind;
        size_t pos, end;
        char **fields;
        size_t n_fields;
        char *name; /* A_VAR: "$x"; A_FUNC: the function */
        const struct func *fn;
        json_t *lit;
        struct pipe *pipe;
};

struct command {
        struct arg **args;
        size_t n;
        size_t pos, end;
};

struct pipe {
        char **decl;
        size_t n_decl;
        bool is_assign;
        struct command **cmds;
        size_t n_cmds;
        size_t pos, end;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE };

struct list {
        struct node **v;
        size_t n;
};

struct node {
        enum node_kind kind;
        size_t pos;
        const char *text; /* N_TEXT: points into the template's text */
        size_t len;
        struct pipe *pipe;
        struct list body, other;
        const struct arg *hfield; /* the field the node shows, for the header row */
};

struct cmd_template {
        char *src;  /* the user's text, for error positions */
        char *text; /* the text parsed: "table " dropped, podman's escapes applied */
        size_t len;
        size_t *map; /* offset in text -> offset in src */
        struct list root;
        bool is_table;
};

static void free_pipe(struct pipe *p);

static void free_arg(struct arg *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n_fields; i++)
                free(a->fields[i]);
        free(a->fields);
        free(a->name);
        json_decref(a->lit);
        free_pipe(a->pipe);
        free(a);
}

static void free_command(struct command *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n; i++)
                free_arg(c->args[i]);
        free(c->args);
        free(c);
}

static void free_pipe(struct pipe *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n_decl; i++)
                free(p->decl[i]);
        free(p->decl);
        for (size_t i = 0; i < p->n_cmds; i++)
                free_command(p->cmds[i]);
        free(p->cmds);
        free(p);
}

static void free_node(struct node *n);

static void free_list(struct list *l)
{
        for (size_t i = 0; i < l->n; i++)
                free_node(l->v[i]);
        free(l->v);
        *l = (struct list){ 0 };
}

static void free_node(struct node *n)
{
        if (!n)
                return;
        free_pipe(n->pipe);
        free_list(&n->body);
        free_list(&n->other);
        free(n);
}

void cmd_template_free(struct cmd_template *t)
{
        if (!t)
                return;
        free_list(&t->root);
        free(t->src);
        free(t->text);
        free(t->map);
        free(t);
}

bool cmd_template_is_table(const struct cmd_template *t)
{
        return t->is_table;
}

/* Go's ErrorContext: 1-based line, 0-based byte column, in the user's text. */
static void line_col(const struct cmd_template *t, size_t pos, size_t *ret_line, size_t *ret_col)
{
        size_t o = t->map[pos <= t->len ? pos : t->len], line = 1, start = 0;

        for (size_t i = 0; i < o; i++)
                if (t->src[i] == '\n')
                        line++, start = i + 1;
        *ret_line = line;
        *ret_col = o - start;
}

/* ---------------------------------------------------------------- podman's normalization */

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum(char c)
{
        unsigned char u = (unsigned char) c;

        /* non-ASCII bytes count as letters: Go accepts Unicode letters in identifiers */
        return u == '_' || (u >= '0' && u <= '9') || ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') ||
               u >= 0x80;
}

/* Just past the "}}" closing the action whose text starts at s[i] (after "{{"), reading
 * quotes and comments as the lexer will; n when the action is not closed. */
static size_t action_end(const char *s, size_t n, size_t i)
{
        if (i + 1 < n && s[i] == '-' && is_space(s[i + 1]))
                i += 2;
        if (i + 1 < n && s[i] == '/' && s[i + 1] == '*') {
                const char *e = memmem(s + i + 2, n - i - 2, "*/", 2);

                if (!e)
                        return n;
                i = (size_t) (e - s) + 2;
        }
        while (i < n) {
                char c = s[i];

                if (c == '}' && i + 1 < n && s[i + 1] == '}')
                        return i + 2;
                if (c == '"' || c == '\'') {
                        for (i++; i < n && s[i] != c && s[i] != '\n'; i++)
                                if (s[i] == '\\' && i + 1 < n)
                                        i++;
                } else if (c == '`') {
                        const char *e = memchr(s + i + 1, '`', n - i - 1);

                        if (!e)
                                return n;
                        i = (size_t) (e - s);
                }
                i++;
        }
        return n;
}

/* podman's NormalizeFormat, applied only outside actions (inside them Go's own escapes
 * apply, and rewriting a quoted "\n" there broke templates, podman issue 13446): a literal
 * "\t" or "\n" becomes a tab or a newline, a space in a table template becomes a column
 * break, and with CMD_TEMPLATE_LINE the text ends with a newline. */
static void normalize(struct cmd_template *t, size_t start, bool has_line)
{
        const char *s = t->src;
        size_t n = strlen(s), k = 0;

        t->text = xmalloc(n - start + 2);
        t->map = xmalloc((n - start + 2) * sizeof(*t->map));
        for (size_t i = start; i < n;) {
                if (s[i] == '{' && i + 1 < n && s[i + 1] == '{') {
                        size_t end = action_end(s, n, i + 2);

                        for (; i < end; i++, k++)
                                t->text[k] = s[i], t->map[k] = i;
                        continue;
                }
                t->map[k] = i;
                if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 't' || s[i + 1] == 'n')) {
                        t->text[k++] = s[i + 1] == 't' ? '\t' : '\n';
                        i += 2;
                } else {
                        t->text[k++] = t->is_table && s[i] == ' ' ? '\t' : s[i];
                        i++;
                }
        }
        if (has_line && (k == 0 || t->text[k - 1] != '\n')) {
                t->map[k] = n;
                t->text[k++] = '\n';
        }
        t->text[k] = 0;
        t->map[k] = n;
        t->len = k;
}

/* ---------------------------------------------------------------- lexer */

enum tok_type {
        TK_EOF,
        TK_TEXT,
        TK_LEFT,
        TK_RIGHT,
        TK_SPACE,
        TK_PIPE,
        TK_LPAREN,
        TK_RPAREN,
        TK_ASSIGN,
        TK_DECLARE,
        TK_CHAR,
        TK_FIELD,
        TK_IDENT,
        TK_VAR,
        TK_DOT,
        TK_STRING,
        TK_RAW,
        TK_NUMBER,
        TK_CHARCONST,
        TK_BOOL,
        TK_NIL,
        TK_KEYWORD, /* the keywords follow */
        TK_BLOCK,
        TK_BREAK,
        TK_CONTINUE,
        TK_DEFINE,
        TK_ELSE,
        TK_END,
        TK_IF,
        TK_RANGE,
        TK_TEMPLATE,
        TK_WITH,
};

struct token {
        int type;
        size_t pos;
        const char *val;
        size_t len;
};

struct lexer {
        const char *s;
        size_t n, pos;
        struct token *v;
        size_t n_tok;
        int paren;
        char *err;
        size_t err_pos;
};

static int lex_fail(struct lexer *l, size_t pos, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int lex_fail(struct lexer *l, size_t pos, const char *fmt, ...)
{
        va_list ap;

        if (!l->err) {
                va_start(ap, fmt);
                if (vasprintf(&l->err, fmt, ap) < 0)
                        abort();
                va_end(ap);
                l->err_pos = pos;
        }
        return -1;
}

static void emit(struct lexer *l, int type, size_t start, size_t end)
{
        struct token t = { .type = type, .pos = start, .val = l->s + start, .len = end - start };

        PUSH(l->v, l->n_tok, t);
        l->pos = end;
}

/* Go's %#U of the character at s: "U+007D '}'". */
static char *describe_char(const char *s, size_t n)
{
        uint32_t cp;
        size_t k = cmd_utf8_decode(s, n, &cp);

        if (cp >= 0x20 && cp != 0x7F && !(cp == 0xFFFD && k == 1))
                return xasprintf("U+%04X '%.*s'", cp, (int) k, s);
        return xasprintf("U+%04X", cp);
}

static bool at_right(const struct lexer *l, size_t p)
{
        return p + 1 < l->n && l->s[p] == '}' && l->s[p + 1] == '}';
}

static bool at_right_trim(const struct lexer *l, size_t p)
{
        return p + 3 < l->n && is_space(l->s[p]) && l->s[p + 1] == '-' && at_right(l, p + 2);
}

static bool at_terminator(const struct lexer *l, size_t p)
{
        char c = p < l->n ? l->s[p] : 0;

        return p >= l->n || is_space(c) || (c && strchr(".,|:()", c)) || at_right(l, p);
}

static int bad_char(struct lexer *l, size_t p)
{
        _cleanup_free_ char *d = describe_char(l->s + p, l->n - p);

        return lex_fail(l, p, "bad character %s", d);
}

static int lex_field_or_var(struct lexer *l, size_t p, int type)
{
        size_t e = p + 1;

        if (at_terminator(l, e)) {
                emit(l, type == TK_VAR ? TK_VAR : TK_DOT, p, e);
                return 0;
        }
        while (e < l->n && is_alnum(l->s[e]))
                e++;
        if (!at_terminator(l, e))
                return bad_char(l, e);
        emit(l, type, p, e);
        return 0;
}

static int lex_identifier(struct lexer *l, size_t p)
{
        static const struct {
                const char *word;
                int type;
        } words[] = {
                { "block", TK_BLOCK },   { "break", TK_BREAK }, { "continue", TK_CONTINUE },
                { "define", TK_DEFINE }, { "else", TK_ELSE },   { "end", TK_END },
                { "if", TK_IF },         { "range", TK_RANGE }, { "template", TK_TEMPLATE },
                { "with", TK_WITH },     { "nil", TK_NIL },     { "true", TK_BOOL },
                { "false", TK_BOOL },
        };
        size_t e = p;

        while (e < l->n && is_alnum(l->s[e]))
                e++;
        if (!at_terminator(l, e))
                return bad_char(l, e);
        for (size_t i = 0; i < ARRAY_SIZE(words); i++)
                if (strlen(words[i].word) == e - p && memcmp(words[i].word, l->s + p, e - p) == 0) {
                        emit(l, words[i].type, p, e);
                        return 0;
                }
        emit(l, TK_IDENT, p, e);
        return 0;
}

static void accept_run(const struct lexer *l, size_t *i, const char *set)
{
        while (*i < l->n && l->s[*i] && strchr(set, l->s[*i]))
                (*i)++;
}

static bool accept(const struct lexer *l, size_t *i, const char *set)
{
        if (*i < l->n && l->s[*i] && strchr(set, l->s[*i])) {
                (*i)++;
                return true;
        }
        return false;
}

/* Go's scanNumber: sign, base prefix, digits with underscores, fraction, exponent. */
static bool scan_number(const struct lexer *l, size_t *i)
{
        const char *digits = "0123456789_";

        accept(l, i, "+-");
        if (accept(l, i, "0")) {
                if (accept(l, i, "xX"))
                        digits = "0123456789abcdefABCDEF_";
                else if (accept(l, i, "oO"))
                        digits = "01234567_";
                else if (accept(l, i, "bB"))
                        digits = "01_";
        }
        accept_run(l, i, digits);
        if (accept(l, i, "."))
                accept_run(l, i, digits);
        if (strlen(digits) == 11 && accept(l, i, "eE")) {
                accept(l, i, "+-");
                accept_run(l, i, "0123456789_");
        }
        if (strlen(digits) == 23 && accept(l, i, "pP")) {
                accept(l, i, "+-");
                accept_run(l, i, "0123456789_");
        }
        accept(l, i, "i");
        if (*i < l->n && is_alnum(l->s[*i])) {
                (*i)++;
                return false;
        }
        return true;
}

static int lex_number(struct lexer *l, size_t p)
{
        size_t e = p;
        bool is_ok = scan_number(l, &e);

        if (is_ok && e < l->n && (l->s[e] == '+' || l->s[e] == '-'))
                is_ok = false, e++; /* a complex constant: not supported */
        if (!is_ok) {
                struct den_buf q = { 0 };

                cmd_fmt_quote(&q, l->s + p, e - p);
                lex_fail(l, p, "bad number syntax: %s", q.data);
                den_buf_free(&q);
                return -1;
        }
        emit(l, TK_NUMBER, p, e);
        return 0;
}

static int lex_quote(struct lexer *l, size_t p, char q, int type, const char *unterminated)
{
        size_t e = p + 1;

        for (;;) {
                if (e >= l->n || l->s[e] == '\n')
                        return lex_fail(l, p, "%s", unterminated);
                if (l->s[e] == '\\') {
                        e++;
                        if (e >= l->n || l->s[e] == '\n')
                                return lex_fail(l, p, "%s", unterminated);
                } else if (l->s[e] == q) {
                        break;
                }
                e++;
        }
        emit(l, type, p, e + 1);
        return 0;
}

static int lex_raw(struct lexer *l, size_t p)
{
        const char *e = memchr(l->s + p + 1, '`', l->n - p - 1);

        if (!e)
                return lex_fail(l, p, "unterminated raw quoted string");
        emit(l, TK_RAW, p, (size_t) (e - l->s) + 1);
        return 0;
}

static int lex_close(struct lexer *l, size_t p, bool is_trim)
{
        size_t d = is_trim ? p + 2 : p;

        if (l->paren > 0)
                return lex_fail(l, p, "unclosed left paren");
        emit(l, TK_RIGHT, d, d + 2);
        if (is_trim)
                while (l->pos < l->n && is_space(l->s[l->pos]))
                        l->pos++;
        return 1;
}

/* One token inside an action; 1 once the action is closed. */
static int lex_token(struct lexer *l)
{
        size_t p = l->pos;
        char c = p < l->n ? l->s[p] : 0;

        if (at_right_trim(l, p) || at_right(l, p))
                return lex_close(l, p, at_right_trim(l, p));
        if (p >= l->n)
                return lex_fail(l, p, "unclosed action");
        if (is_space(c)) {
                size_t e = p;

                while (e < l->n && is_space(l->s[e]) && !at_right_trim(l, e))
                        e++;
                emit(l, TK_SPACE, p, e);
                return 0;
        }
        switch (c) {
        case '=':
                emit(l, TK_ASSIGN, p, p + 1);
                return 0;
        case ':':
                if (p + 1 >= l->n || l->s[p + 1] != '=')
                        return lex_fail(l, p, "expected :=");
                emit(l, TK_DECLARE, p, p + 2);
                return 0;
        case '|':
                emit(l, TK_PIPE, p, p + 1);
                return 0;
        case '"':
                return lex_quote(l, p, '"', TK_STRING, "unterminated quoted string");
        case '\'':
                return lex_quote(l, p, '\'', TK_CHARCONST, "unterminated character constant");
        case '`':
                return lex_raw(l, p);
        case '$':
                return lex_field_or_var(l, p, TK_VAR);
        case '(':
                if (++l->paren > MAX_NESTING)
                        return lex_fail(l, p, "parentheses nested deeper than %d", MAX_NESTING);
                emit(l, TK_LPAREN, p, p + 1);
                return 0;
        case ')':
                if (--l->paren < 0)
                        return lex_fail(l, p, "unexpected right paren");
                emit(l, TK_RPAREN, p, p + 1);
                return 0;
        default:
                break;
        }
        if (c == '.' && p + 1 < l->n && !(l->s[p + 1] >= '0' && l->s[p + 1] <= '9'))
                return lex_field_or_var(l, p, TK_FIELD);
        if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9'))
                return lex_number(l, p);
        if (is_alnum(c))
                return lex_identifier(l, p);
        if (c >= 0x20 && c < 0x7F) {
                emit(l, TK_CHAR, p, p + 1);
                return 0;
        }
        {
                _cleanup_free_ char *d = describe_char(l->s + p, l->n - p);

                return lex_fail(l, p, "unrecognized character in action: %s", d);
        }
}

static int lex_comment(struct lexer *l, size_t left)
{
        const char *e = memmem(l->s + l->pos + 2, l->n - l->pos - 2, "*/", 2);
        size_t p;

        if (!e)
                return lex_fail(l, left, "unclosed comment");
        p = (size_t) (e - l->s) + 2;
        if (at_right_trim(l, p)) {
                l->pos = p + 4;
                while (l->pos < l->n && is_space(l->s[l->pos]))
                        l->pos++;
        } else if (at_right(l, p)) {
                l->pos = p + 2;
        } else {
                return lex_fail(l, p, "comment ends before closing delimiter");
        }
        return 0;
}

/* Splits the whole text into tokens (Go lexes lazily; the result is the same). */
static int lex_all(struct lexer *l)
{
        for (;;) {
                const char *p =
                        l->pos < l->n ? memmem(l->s + l->pos, l->n - l->pos, "{{", 2) : NULL;
                size_t start = l->pos, end = p ? (size_t) (p - l->s) : l->n, tend = end;
                bool is_trim;
                int r;

                if (!p) {
                        if (end > start)
                                emit(l, TK_TEXT, start, end);
                        emit(l, TK_EOF, l->n, l->n);
                        return 0;
                }
                is_trim = end + 3 < l->n && l->s[end + 2] == '-' && is_space(l->s[end + 3]);
                if (is_trim)
                        while (tend > start && is_space(l->s[tend - 1]))
                                tend--;
                if (tend > start)
                        emit(l, TK_TEXT, start, tend);
                l->pos = end + 2 + (is_trim ? 2 : 0);
                if (l->pos + 1 < l->n && l->s[l->pos] == '/' && l->s[l->pos + 1] == '*') {
                        if (lex_comment(l, end) < 0)
                                return -1;
                        continue;
                }
                emit(l, TK_LEFT, end, end + 2);
                l->pos = end + 2 + (is_trim ? 2 : 0);
                while ((r = lex_token(l)) == 0)
                        ;
                if (r < 0)
                        return -1;
        }
}

/* ---------------------------------------------------------------- parser */

static const struct func *func_lookup(const char *name, size_t len);

struct parser {
        struct cmd_template *t;
        const struct token *tk;
        size_t n, i;
        const struct token **vars; /* the variables in scope, innermost last */
        size_t n_vars;
        int depth, range_depth;
        char *err;
        size_t err_pos;
        bool saw_eof; /* the parser looked at the last token (where a lexing error stopped) */
};

static void *parse_fail(struct parser *p, size_t pos, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void *parse_fail(struct parser *p, size_t pos, const char *fmt, ...)
{
        va_list ap;

        if (!p->err) {
                va_start(ap, fmt);
                if (vasprintf(&p->err, fmt, ap) < 0)
                        abort();
                va_end(ap);
                p->err_pos = pos;
        }
        return NULL;
}

static const struct token *peek(struct parser *p)
{
        const struct token *t = &p->tk[p->i < p->n ? p->i : p->n - 1];

        if (t->type == TK_EOF)
                p->saw_eof = true;
        return t;
}

static const struct token *next(struct parser *p)
{
        const struct token *t = peek(p);

        if (p->i < p->n) /* past the end stays put, so that backing up returns to EOF */
                p->i++;
        return t;
}

static const struct token *peek_nonspace(struct parser *p)
{
        while (peek(p)->type == TK_SPACE)
                p->i++;
        return peek(p);
}

static const struct token *next_nonspace(struct parser *p)
{
        peek_nonspace(p);
        return next(p);
}

/* Go's item.String() for messages: EOF, <keyword>, or the quoted text (10 runes at most). */
static char *tok_desc(const struct token *t)
{
        struct den_buf b = { 0 };
        size_t n = 0, k = 0;
        uint32_t cp;

        if (t->type == TK_EOF)
                return xstrdup("EOF");
        if (t->type > TK_KEYWORD)
                return xasprintf("<%.*s>", (int) t->len, t->val);
        for (; n < t->len && k < 10; k++)
                n += cmd_utf8_decode(t->val + n, t->len - n, &cp);
        cmd_fmt_quote(&b, t->val, n);
        if (n < t->len)
                den_buf_puts(&b, "...");
        return den_buf_steal(&b);
}

static void *unexpected(struct parser *p, const struct token *t, const char *context)
{
        _cleanup_free_ char *d = tok_desc(t);

        return parse_fail(p, t->pos, "unexpected %s in %s", d, context);
}

static bool var_defined(const struct parser *p, const char *name, size_t len)
{
        for (size_t i = p->n_vars; i > 0; i--)
                if (p->vars[i - 1]->len == len && memcmp(p->vars[i - 1]->val, name, len) == 0)
                        return true;
        return false;
}

/* strconv.Unquote of a Go string or character literal (with its quotes). */
static int unquote_escape(const char *s, size_t n, size_t *i, char q, struct den_buf *out)
{
        static const char simple[] = "abfnrtv\\";
        static const char value[] = "\a\b\f\n\r\t\v\\";
        char c = s[*i];
        uint32_t v = 0;
        int digits = 0, base = 16;
        const char *hit = c ? strchr(simple, c) : NULL;

        (*i)++;
        if (hit) {
                den_buf_append(out, &value[hit - simple], 1);
                return 0;
        }
        if (c == q) {
                den_buf_append(out, &c, 1);
                return 0;
        }
        if (c == 'x')
                digits = 2;
        else if (c == 'u')
                digits = 4;
        else if (c == 'U')
                digits = 8;
        else if (c >= '0' && c <= '7')
                digits = 2, base = 8, v = (uint32_t) (c - '0');
        else
                return -1;
        for (int k = 0; k < digits; k++, (*i)++) {
                char d = *i < n ? s[*i] : 0;
                int x = d >= '0' && d <= '9'                     ? d - '0'
                        : (d | 0x20) >= 'a' && (d | 0x20) <= 'f' ? (d | 0x20) - 'a' + 10
                                                                 : 99;

                if (x >= base)
                        return -1;
                v = v * (uint32_t) base + (uint32_t) x;
        }
        if (c == 'x' || base == 8) {
                char b = (char) v;

                if (v > 255)
                        return -1;
                den_buf_append(out, &b, 1);
                return 0;
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                return -1;
        cmd_utf8_append(out, v);
        return 0;
}

static int unquote(const char *s, size_t n, struct den_buf *out)
{
        char q = s[0];

        if (q == '`') {
                for (size_t i = 1; i + 1 < n; i++)
                        if (s[i] != '\r')
                                den_buf_append(out, &s[i], 1);
                return 0;
        }
        for (size_t i = 1; i + 1 < n;) {
                if (s[i] == '\\') {
                        i++;
                        if (unquote_escape(s, n - 1, &i, q, out) < 0)
                                return -1;
                } else if (s[i] == q || s[i] == '\n') {
                        return -1;
                } else {
                        den_buf_append(out, &s[i++], 1);
                }
        }
        return 0;
}

/* A character constant ('a', '\n', '\x41', '\u00e9') is the int value of its rune. */
static json_t *parse_char(struct parser *p, const struct token *t)
{
        struct den_buf b = { 0 };
        uint32_t cp = 0;
        bool is_byte = t->len > 2 && t->val[1] == '\\' &&
                       (t->val[2] == 'x' || (t->val[2] >= '0' && t->val[2] <= '7'));
        bool is_ok = unquote(t->val, t->len, &b) == 0 && b.len > 0;

        if (is_ok && is_byte)
                is_ok = b.len == 1, cp = b.len ? (unsigned char) b.data[0] : 0;
        else if (is_ok)
                is_ok = cmd_utf8_decode(b.data, b.len, &cp) == b.len;
        den_buf_free(&b);
        if (!is_ok)
                return parse_fail(p, t->pos, "malformed character constant: %.*s", (int) t->len,
                                  t->val);
        return json_integer(cp);
}

/* Go's number constants: ints in any base (int64), floats, and character constants. */
static json_t *parse_number(struct parser *p, const struct token *t)
{
        char buf[128];
        size_t k = 0;
        bool is_float = false, is_hex, is_neg = false;
        const char *s = buf;
        unsigned long long v = 0;
        int base = 10;

        if (t->type == TK_CHARCONST)
                return parse_char(p, t);
        for (size_t i = 0; i < t->len && k + 1 < sizeof(buf); i++)
                if (t->val[i] != '_')
                        buf[k++] = t->val[i];
        buf[k] = 0;
        if (t->len >= sizeof(buf))
                return parse_fail(p, t->pos, "illegal number syntax: %.*s", (int) t->len, t->val);
        if (*s == '+' || *s == '-')
                is_neg = *s++ == '-';
        is_hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        is_float = strpbrk(s, is_hex ? ".pP" : ".eEpP") != NULL;
        if (strchr(s, 'i'))
                return parse_fail(p, t->pos, "complex numbers are not supported: %.*s",
                                  (int) t->len, t->val);
        if (is_float) {
                char *end = NULL;
                double d = strtod(buf, &end);

                if (!end || *end || k == 0)
                        return parse_fail(p, t->pos, "illegal number syntax: \"%s\"", buf);
                return json_real(d);
        }
        if (s[0] == '0' && s[1] && strchr("xXoObB", s[1])) {
                base = strchr("xX", s[1]) ? 16 : strchr("oO", s[1]) ? 8 : 2;
                s += 2;
        } else if (s[0] == '0' && s[1]) {
                base = 8;
                s++;
        }
        if (!*s)
                return parse_fail(p, t->pos, "illegal number syntax: \"%s\"", buf);
        for (; *s; s++) {
                int d = *s >= '0' && *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;

                if (d < 0 || d >= base)
                        return parse_fail(p, t->pos, "illegal number syntax: \"%s\"", buf);
                if (v > (ULLONG_MAX - (unsigned) d) / (unsigned) base)
                        return parse_fail(p, t->pos, "%s overflows int", buf);
                v = v * (unsigned) base + (unsigned) d;
        }
        if (v > (unsigned long long) LLONG_MAX + (is_neg ? 1 : 0))
                return parse_fail(p, t->pos, "%s overflows int", buf);
        return json_integer(is_neg ? (json_int_t) (0ULL - v) : (json_int_t) v);
}

static struct pipe *parse_pipeline(struct parser *p, const char *context, int end);

static struct arg *new_arg(enum arg_kind kind, const struct token *t)
{
        struct arg *a = xcalloc(1, sizeof(*a));

        a->kind = kind;
        a->pos = t->pos;
        a->end = t->pos + t->len;
        return a;
}

static struct arg *parse_literal(struct parser *p, const struct token *t)
{
        struct arg *a;
        struct den_buf b = { 0 };
        json_t *v;

        if (t->type == TK_BOOL) {
                v = json_boolean(t->val[0] == 't');
        } else if (t->type == TK_STRING || t->type == TK_RAW) {
                if (unquote(t->val, t->len, &b) < 0) {
                        den_buf_free(&b);
                        return parse_fail(p, t->pos, "invalid syntax in %.*s", (int) t->len,
                                          t->val);
                }
                v = json_stringn_nocheck(b.data ? b.data : "", b.len);
                den_buf_free(&b);
        } else if (!(v = parse_number(p, t))) {
                return NULL;
        }
        a = new_arg(A_LIT, t);
        a->lit = v;
        return a;
}

static struct arg *parse_term(struct parser *p)
{
        const struct token *t = next_nonspace(p);
        struct arg *a;

        switch (t->type) {
        case TK_IDENT:
                a = new_arg(A_FUNC, t);
                a->fn = func_lookup(t->val, t->len);
                if (!a->fn) {
                        free_arg(a);
                        return parse_fail(p, t->pos, "function \"%.*s\" not defined", (int) t->len,
                                          t->val);
                }
                a->name = xstrndup(t->val, t->len);
                return a;
        case TK_DOT:
                return new_arg(A_DOT, t);
        case TK_NIL:
                return new_arg(A_NIL, t);
        case TK_VAR:
                if (!var_defined(p, t->val, t->len))
                        return parse_fail(p, t->pos, "undefined variable \"%.*s\"", (int) t->len,
                                          t->val);
                a = new_arg(A_VAR, t);
                a->name = xstrndup(t->val, t->len);
                return a;
        case TK_FIELD:
                a = new_arg(A_FIELD, t);
                PUSH(a->fields, a->n_fields, xstrndup(t->val + 1, t->len - 1));
                return a;
        case TK_BOOL:
        case TK_NUMBER:
        case TK_CHARCONST:
        case TK_STRING:
        case TK_RAW:
                return parse_literal(p, t);
        case TK_LPAREN:
                if (++p->depth > MAX_NESTING)
                        return parse_fail(p, t->pos, "template nested deeper than %d", MAX_NESTING);
                a = new_arg(A_PIPE, t);
                a->pipe = parse_pipeline(p, "parenthesized pipeline", TK_RPAREN);
                p->depth--;
                if (!a->pipe) {
                        free_arg(a);
                        return NULL;
                }
                a->end = a->pipe->end + 1;
                return a;
        default:
                p->i--;
                return NULL;
        }
}

static struct arg *parse_operand(struct parser *p)
{
        struct arg *a = parse_term(p);

        if (!a || peek(p)->type != TK_FIELD)
                return a;
        if (a->kind == A_LIT || a->kind == A_NIL || a->kind == A_DOT) {
                parse_fail(p, peek(p)->pos, "unexpected . after term %.*s", (int) (a->end - a->pos),
                           p->t->text + a->pos);
                free_arg(a);
                return NULL;
        }
        while (peek(p)->type == TK_FIELD) {
                const struct token *f = next(p);

                PUSH(a->fields, a->n_fields, xstrndup(f->val + 1, f->len - 1));
                a->end = f->pos + f->len;
        }
        return a;
}

static struct command *parse_command(struct parser *p)
{
        struct command *c = xcalloc(1, sizeof(*c));

        c->pos = peek_nonspace(p)->pos;
        for (;;) {
                const struct token *t;
                struct arg *a;

                peek_nonspace(p);
                a = parse_operand(p);
                if (p->err)
                        break;
                if (a)
                        PUSH(c->args, c->n, a);
                t = next(p);
                if (t->type == TK_SPACE)
                        continue;
                if (t->type == TK_RIGHT || t->type == TK_RPAREN)
                        p->i--;
                else if (t->type != TK_PIPE)
                        unexpected(p, t, "operand");
                break;
        }
        if (!p->err && c->n == 0)
                parse_fail(p, c->pos, "empty command");
        if (p->err) {
                free_command(c);
                return NULL;
        }
        c->end = c->args[c->n - 1]->end;
        return c;
}

static bool check_pipeline(struct parser *p, struct pipe *pp, const char *context, size_t pos)
{
        if (pp->n_cmds == 0) {
                parse_fail(p, pos, "missing value for %s", context);
                return false;
        }
        for (size_t i = 1; i < pp->n_cmds; i++) {
                enum arg_kind k = pp->cmds[i]->args[0]->kind;

                if (k == A_LIT || k == A_DOT || k == A_NIL) {
                        parse_fail(p, pp->cmds[i]->pos,
                                   "non executable command in pipeline stage %zu", i + 1);
                        return false;
                }
        }
        return true;
}

/* "$x :=", "$x =", and in range "$i, $v :=". Returns false on error. */
static bool parse_decl(struct parser *p, struct pipe *pp, const char *context)
{
        for (;;) {
                const struct token *v = peek_nonspace(p), *t;
                size_t save = p->i;

                if (v->type != TK_VAR)
                        return true;
                p->i++;
                t = peek_nonspace(p);
                if (t->type == TK_ASSIGN || t->type == TK_DECLARE) {
                        p->i++;
                        pp->is_assign = t->type == TK_ASSIGN;
                        if (pp->is_assign && !var_defined(p, v->val, v->len)) {
                                parse_fail(p, v->pos, "undefined variable \"%.*s\"", (int) v->len,
                                           v->val);
                                return false;
                        }
                        PUSH(pp->decl, pp->n_decl, xstrndup(v->val, v->len));
                        PUSH(p->vars, p->n_vars, v);
                        return true;
                }
                if (t->type == TK_CHAR && t->val[0] == ',') {
                        p->i++;
                        PUSH(pp->decl, pp->n_decl, xstrndup(v->val, v->len));
                        PUSH(p->vars, p->n_vars, v);
                        if (strcmp(context, "range") == 0 && pp->n_decl < 2) {
                                int k = peek_nonspace(p)->type;

                                if (k == TK_VAR || k == TK_RIGHT || k == TK_RPAREN)
                                        continue;
                                parse_fail(p, t->pos, "range can only initialize variables");
                                return false;
                        }
                        parse_fail(p, t->pos, "too many declarations in %s", context);
                        return false;
                }
                p->i = save;
                return true;
        }
}

static struct pipe *parse_pipeline(struct parser *p, const char *context, int end)
{
        struct pipe *pp = xcalloc(1, sizeof(*pp));

        pp->pos = peek_nonspace(p)->pos;
        if (!parse_decl(p, pp, context))
                goto fail;
        for (;;) {
                const struct token *t = next_nonspace(p);
                struct command *c;

                if (t->type == end) {
                        if (!check_pipeline(p, pp, context, t->pos))
                                goto fail;
                        pp->end = t->pos;
                        return pp;
                }
                switch (t->type) {
                case TK_BOOL:
                case TK_CHARCONST:
                case TK_DOT:
                case TK_FIELD:
                case TK_IDENT:
                case TK_NUMBER:
                case TK_NIL:
                case TK_RAW:
                case TK_STRING:
                case TK_VAR:
                case TK_LPAREN:
                        p->i--;
                        c = parse_command(p);
                        if (!c)
                                goto fail;
                        PUSH(pp->cmds, pp->n_cmds, c);
                        break;
                default:
                        unexpected(p, t, context);
                        goto fail;
                }
        }
fail:
        free_pipe(pp);
        return NULL;
}

/* The first field an action's pipeline shows: the column of that action in a table. */
static const struct arg *pipe_field(const struct pipe *pp)
{
        for (size_t i = 0; pp && i < pp->n_cmds; i++)
                for (size_t j = 0; j < pp->cmds[i]->n; j++) {
                        const struct arg *a = pp->cmds[i]->args[j], *f;

                        if (a->kind == A_FIELD ||
                            (a->kind == A_VAR && a->n_fields && strcmp(a->name, "$") == 0))
                                return a;
                        if (a->kind == A_PIPE && (f = pipe_field(a->pipe)))
                                return f;
                }
        return NULL;
}

enum item { ITEM_FAIL = -1, ITEM_NODE, ITEM_END, ITEM_ELSE };

static enum item text_or_action(struct parser *p, struct node **ret);

static struct node *new_node(enum node_kind kind, size_t pos)
{
        struct node *n = xcalloc(1, sizeof(*n));

        n->kind = kind;
        n->pos = pos;
        return n;
}

/* Nodes up to the {{end}} or {{else}} that closes them. */
static enum item parse_list(struct parser *p, struct list *l)
{
        for (;;) {
                struct node *n = NULL;
                enum item it;

                if (peek_nonspace(p)->type == TK_EOF) {
                        parse_fail(p, peek(p)->pos, "unexpected EOF");
                        return ITEM_FAIL;
                }
                it = text_or_action(p, &n);
                if (it != ITEM_NODE)
                        return it;
                PUSH(l->v, l->n, n);
        }
}

static struct node *parse_control(struct parser *p, enum node_kind kind, const char *context,
                                  size_t pos)
{
        size_t mark = p->n_vars;
        struct node *n = new_node(kind, pos), *sub;
        enum item it;

        if (++p->depth > MAX_NESTING) {
                parse_fail(p, pos, "template nested deeper than %d", MAX_NESTING);
                goto fail;
        }
        n->pipe = parse_pipeline(p, context, TK_RIGHT);
        if (!n->pipe)
                goto fail;
        n->hfield = pipe_field(n->pipe);
        p->range_depth += kind == N_RANGE;
        it = parse_list(p, &n->body);
        p->range_depth -= kind == N_RANGE;
        if (it == ITEM_ELSE) {
                int k = peek(p)->type;

                if ((kind == N_IF && k == TK_IF) || (kind == N_WITH && k == TK_WITH)) {
                        /* {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} */
                        size_t at = next(p)->pos;

                        sub = parse_control(p, kind, context, at);
                        if (!sub)
                                goto fail;
                        PUSH(n->other.v, n->other.n, sub);
                        it = ITEM_END;
                } else {
                        it = parse_list(p, &n->other);
                        if (it == ITEM_ELSE)
                                parse_fail(p, peek(p)->pos, "expected end; found {{else}}");
                }
        }
        if (it != ITEM_END)
                goto fail;
        p->depth--;
        p->n_vars = mark;
        return n;
fail:
        p->n_vars = mark;
        free_node(n);
        return NULL;
}

static enum item parse_action(struct parser *p, struct node **ret)
{
        const struct token *t = next_nonspace(p), *e;

        switch (t->type) {
        case TK_BLOCK:
        case TK_DEFINE:
        case TK_TEMPLATE:
                parse_fail(p, t->pos, "{{%.*s}} is not supported", (int) t->len, t->val);
                return ITEM_FAIL;
        case TK_BREAK:
        case TK_CONTINUE:
                e = next_nonspace(p);
                if (e->type != TK_RIGHT) {
                        unexpected(p, e, t->type == TK_BREAK ? "{{break}}" : "{{continue}}");
                        return ITEM_FAIL;
                }
                if (p->range_depth == 0) {
                        parse_fail(p, t->pos, "{{%.*s}} outside {{range}}", (int) t->len, t->val);
                        return ITEM_FAIL;
                }
                *ret = new_node(t->type == TK_BREAK ? N_BREAK : N_CONTINUE, t->pos);
                return ITEM_NODE;
        case TK_ELSE:
                e = peek_nonspace(p);
                if (e->type == TK_IF || e->type == TK_WITH)
                        return ITEM_ELSE;
                e = next_nonspace(p);
                if (e->type != TK_RIGHT) {
                        unexpected(p, e, "else");
                        return ITEM_FAIL;
                }
                return ITEM_ELSE;
        case TK_END:
                e = next_nonspace(p);
                if (e->type != TK_RIGHT) {
                        unexpected(p, e, "end");
                        return ITEM_FAIL;
                }
                return ITEM_END;
        case TK_IF:
                *ret = parse_control(p, N_IF, "if", t->pos);
                return *ret ? ITEM_NODE : ITEM_FAIL;
        case TK_RANGE:
                *ret = parse_control(p, N_RANGE, "range", t->pos);
                return *ret ? ITEM_NODE : ITEM_FAIL;
        case TK_WITH:
                *ret = parse_control(p, N_WITH, "with", t->pos);
                return *ret ? ITEM_NODE : ITEM_FAIL;
        default:
                p->i--;
                *ret = new_node(N_ACTION, t->pos);
                (*ret)->pipe = parse_pipeline(p, "command", TK_RIGHT);
                if (!(*ret)->pipe) {
                        free_node(*ret);
                        *ret = NULL;
                        return ITEM_FAIL;
                }
                (*ret)->hfield = pipe_field((*ret)->pipe);
                return ITEM_NODE;
        }
}

static enum item text_or_action(struct parser *p, struct node **ret)
{
        const struct token *t = next_nonspace(p);

        if (t->type == TK_TEXT) {
                *ret = new_node(N_TEXT, t->pos);
                (*ret)->text = t->val;
                (*ret)->len = t->len;
                return ITEM_NODE;
        }
        if (t->type == TK_LEFT)
                return parse_action(p, ret);
        unexpected(p, t, "input");
        return ITEM_FAIL;
}

static int parse_all(struct parser *p)
{
        static const struct token dollar = { .type = TK_VAR, .val = "$", .len = 1 };

        PUSH(p->vars, p->n_vars, &dollar);
        while (peek(p)->type != TK_EOF) {
                size_t at = peek_nonspace(p)->pos;
                struct node *n = NULL;
                enum item it = text_or_action(p, &n);

                if (it == ITEM_END || it == ITEM_ELSE)
                        parse_fail(p, at, "unexpected {{%s}}", it == ITEM_END ? "end" : "else");
                if (it != ITEM_NODE)
                        return -1;
                PUSH(p->t->root.v, p->t->root.n, n);
        }
        return 0;
}

/* ---------------------------------------------------------------- execution */

enum { CTL_BREAK = 1, CTL_CONTINUE = 2 };

struct var {
        const char *name;
        json_t *v; /* owned; NULL is Go's missing value */
};

struct exec {
        const struct cmd_template *t;
        struct den_buf *out;
        struct var *vars;
        size_t n_vars;
        size_t steps, made;
        size_t at_pos, at_end; /* the text evaluated, for messages */
        const char *fn_name;
        den_error **err;
        bool is_failed, is_fatal, is_header;
        const struct cmd_header *headers;
};

/* Messages are one line: newlines from the template or the data become spaces. */
static void one_line(char *s)
{
        for (; s && *s; s++)
                if (*s == '\n' || *s == '\r')
                        *s = ' ';
}

static int xvfail(struct exec *x, bool is_fatal, const char *fmt, va_list ap)
{
        _cleanup_free_ char *msg = NULL, *ctx = NULL;
        size_t line, col, n = x->at_end > x->at_pos ? x->at_end - x->at_pos : 0, k = 0;
        const char *at = x->t->text + x->at_pos;
        uint32_t cp;

        if (x->is_failed)
                return -1;
        x->is_failed = true;
        x->is_fatal = is_fatal;
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        for (int runes = 0; k < n && runes < 20; runes++)
                k += cmd_utf8_decode(at + k, n - k, &cp);
        ctx = xasprintf("%.*s%s", (int) k, at, k < n ? "..." : "");
        one_line(ctx);
        one_line(msg);
        line_col(x->t, x->at_pos, &line, &col);
        return den_error_set(x->err, 0, "template: %s:%zu:%zu: executing \"%s\" at <%s>: %s",
                             TEMPLATE_NAME, line, col, TEMPLATE_NAME, ctx, msg);
}

static int xfail(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int xfail(struct exec *x, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = xvfail(x, false, fmt, ap);
        va_end(ap);
        return r;
}

/* A bound was crossed: the whole execution stops, header row included. */
static int xfatal(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int xfatal(struct exec *x, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = xvfail(x, true, fmt, ap);
        va_end(ap);
        return r;
}

/* An error a function returns, as Go wraps it. */
static int fn_fail(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fn_fail(struct exec *x, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        return xfail(x, "error calling %s: %s", x->fn_name, msg);
}

static int step(struct exec *x)
{
        if (++x->steps > MAX_STEPS)
                return xfatal(x, "template execution exceeds %u steps", MAX_STEPS);
        return 0;
}

static int check_output(struct exec *x)
{
        if (x->out->len > MAX_OUTPUT)
                return xfatal(x, "template output exceeds %u MiB", MAX_OUTPUT >> 20);
        return 0;
}

static int emit_out(struct exec *x, const char *s, size_t n)
{
        if (n > MAX_OUTPUT || x->out->len + n > MAX_OUTPUT)
                return xfatal(x, "template output exceeds %u MiB", MAX_OUTPUT >> 20);
        den_buf_append(x->out, s, n);
        return 0;
}

/* Every string a function makes counts against one budget for the execution. */
static int made(struct exec *x, size_t n)
{
        x->made += n;
        if (n > MAX_OUTPUT || x->made > MAX_MADE)
                return xfatal(x, "template functions made more than %u MiB", MAX_MADE >> 20);
        return 0;
}

static int ret_buf(struct exec *x, struct den_buf *b, json_t **ret)
{
        int r = made(x, b->len);

        if (r >= 0)
                *ret = json_stringn_nocheck(b->data ? b->data : "", b->len);
        den_buf_free(b);
        return r;
}

static void push_var(struct exec *x, const char *name, json_t *v)
{
        struct var nv = { .name = name, .v = json_incref(v) };

        PUSH(x->vars, x->n_vars, nv);
}

static void pop_vars(struct exec *x, size_t mark)
{
        while (x->n_vars > mark)
                json_decref(x->vars[--x->n_vars].v);
}

static struct var *find_var(struct exec *x, const char *name)
{
        for (size_t i = x->n_vars; i > 0; i--)
                if (strcmp(x->vars[i - 1].name, name) == 0)
                        return &x->vars[i - 1];
        return NULL;
}

static void set_var(struct exec *x, const char *name, json_t *v)
{
        struct var *var = find_var(x, name);

        if (!var) {
                push_var(x, name, v);
                return;
        }
        json_decref(var->v);
        var->v = json_incref(v);
}

/* Go's truth: false, 0, "", nil and empty containers are false; a missing value too. */
static bool truth(json_t *v)
{
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_TRUE:
                return true;
        case JSON_INTEGER:
                return json_integer_value(v) != 0;
        case JSON_REAL:
                return json_real_value(v) != 0;
        case JSON_STRING:
                return json_string_length(v) > 0;
        case JSON_ARRAY:
                return json_array_size(v) > 0;
        case JSON_OBJECT:
                return json_object_size(v) > 0;
        case JSON_FALSE:
        case JSON_NULL:
        default:
                return false;
        }
}

/* Compares a JSON key with a Go field name ignoring case and the key's underscores
 * ("container_id" is ContainerID in podman's structs). */
static bool key_matches_field(const char *key, const char *name)
{
        for (;; key++) {
                if (*key == '_')
                        continue;
                if (tolower((unsigned char) *key) != tolower((unsigned char) *name))
                        return false;
                if (!*key)
                        return true;
                name++;
        }
}

/* An object member: the exact name, else the first member whose name matches ignoring case,
 * else ignoring case and underscores. Where podman's Go field and JSON names differ in more
 * than that, the Go name is looked up under the JSON one. */
static json_t *member(json_t *obj, const char *name)
{
        static const char *const go_names[][2] = {
                { "CgroupsVersion", "cgroupVersion" }, /* info's .Host */
        };
        json_t *m = json_object_get(obj, name);
        void *it;

        for (size_t i = 0; !m && i < ARRAY_SIZE(go_names); i++)
                if (strcmp(name, go_names[i][0]) == 0)
                        m = json_object_get(obj, go_names[i][1]);

        for (it = json_object_iter(obj); !m && it; it = json_object_iter_next(obj, it))
                if (strcasecmp(json_object_iter_key(it), name) == 0)
                        m = json_object_iter_value(it);
        for (it = json_object_iter(obj); !m && it; it = json_object_iter_next(obj, it))
                if (key_matches_field(json_object_iter_key(it), name))
                        m = json_object_iter_value(it);
        return m;
}

/* Applies a's field chain to v (consumed). has_args: the last field was given arguments. */
static int eval_fields(struct exec *x, const struct arg *a, json_t *v, bool has_args, json_t **ret)
{
        for (size_t i = 0; i < a->n_fields; i++) {
                const char *name = a->fields[i];
                json_t *m;

                x->at_pos = a->pos;
                x->at_end = a->end;
                if (!v) /* a missing value stays missing, as a nil receiver does in Go */
                        continue;
                if (!json_is_object(v)) {
                        int r = json_is_null(v)
                                        ? xfail(x, "nil pointer evaluating interface {}.%s", name)
                                        : xfail(x, "can't evaluate field %s in type %s", name,
                                                cmd_fmt_type_name(v));

                        json_decref(v);
                        return r;
                }
                if (has_args && i + 1 == a->n_fields) {
                        json_decref(v);
                        return xfail(x, "%s is not a method but has arguments", name);
                }
                m = json_incref(member(v, name));
                json_decref(v);
                v = m;
        }
        *ret = v;
        return 0;
}

static int eval_pipe(struct exec *x, json_t *dot, const struct pipe *pp, bool do_decl,
                     json_t **ret);
static int call_func(struct exec *x, json_t *dot, const struct arg *fa, struct arg *const *args,
                     size_t nargs, json_t *final, bool has_final, json_t **ret);

/* The value of an operand before its field chain. */
static int eval_base(struct exec *x, json_t *dot, const struct arg *a, json_t **ret)
{
        struct var *v;

        switch (a->kind) {
        case A_DOT:
        case A_FIELD:
                *ret = json_incref(dot);
                return 0;
        case A_NIL:
                *ret = json_null();
                return 0;
        case A_LIT:
                *ret = json_incref(a->lit);
                return 0;
        case A_VAR:
                v = find_var(x, a->name);
                if (!v) {
                        x->at_pos = a->pos, x->at_end = a->end;
                        return xfail(x, "undefined variable: %s", a->name);
                }
                *ret = json_incref(v->v);
                return 0;
        case A_FUNC:
                return call_func(x, dot, a, NULL, 0, NULL, false, ret);
        case A_PIPE:
                return eval_pipe(x, dot, a->pipe, true, ret);
        default:
                return -1;
        }
}

static int eval_arg(struct exec *x, json_t *dot, const struct arg *a, json_t **ret)
{
        json_t *v = NULL;

        if (eval_base(x, dot, a, &v) < 0)
                return -1;
        return eval_fields(x, a, v, false, ret);
}

static int eval_command(struct exec *x, json_t *dot, const struct command *c, json_t *final,
                        bool has_final, json_t **ret)
{
        const struct arg *a = c->args[0];
        bool has_args = c->n > 1 || has_final;
        json_t *v = NULL;

        if (step(x) < 0)
                return -1;
        x->at_pos = c->pos;
        x->at_end = c->end;
        if (a->kind == A_FUNC && a->n_fields == 0)
                return call_func(x, dot, a, c->args + 1, c->n - 1, final, has_final, ret);
        if (a->kind == A_NIL)
                return xfail(x, "nil is not a command");
        if (has_args && a->n_fields == 0 && a->kind != A_FIELD)
                return xfail(x, "can't give argument to non-function %.*s", (int) (a->end - a->pos),
                             x->t->text + a->pos);
        if (eval_base(x, dot, a, &v) < 0)
                return -1;
        return eval_fields(x, a, v, has_args, ret);
}

static int eval_pipe(struct exec *x, json_t *dot, const struct pipe *pp, bool do_decl, json_t **ret)
{
        json_t *v = NULL;

        for (size_t i = 0; i < pp->n_cmds; i++) {
                json_t *r = NULL;

                if (eval_command(x, dot, pp->cmds[i], v, i > 0, &r) < 0) {
                        json_decref(v);
                        return -1;
                }
                json_decref(v);
                v = r;
        }
        for (size_t i = 0; do_decl && i < pp->n_decl; i++) {
                if (pp->is_assign)
                        set_var(x, pp->decl[i], v);
                else
                        push_var(x, pp->decl[i], v);
        }
        *ret = v;
        return 0;
}

/* and / or evaluate their arguments lazily, as Go does since 1.18. */
static int and_or(struct exec *x, json_t *dot, bool is_or, struct arg *const *args, size_t nargs,
                  json_t *final, bool has_final, json_t **ret)
{
        json_t *v = NULL;

        for (size_t i = 0; i < nargs; i++) {
                json_decref(v);
                v = NULL;
                if (eval_arg(x, dot, args[i], &v) < 0)
                        return -1;
                if (truth(v) == is_or) {
                        *ret = v;
                        return 0;
                }
        }
        if (has_final) {
                json_decref(v);
                v = json_incref(final);
        }
        *ret = v;
        return 0;
}

static void free_argv(json_t **argv, size_t n)
{
        for (size_t i = 0; i < n; i++)
                json_decref(argv[i]);
        free(argv);
}

static int call_func(struct exec *x, json_t *dot, const struct arg *fa, struct arg *const *args,
                     size_t nargs, json_t *final, bool has_final, json_t **ret)
{
        const struct func *fn = fa->fn;
        size_t total = nargs + (has_final ? 1 : 0);
        json_t **argv;
        int r;

        x->at_pos = fa->pos;
        x->at_end = fa->pos + strlen(fn->name);
        if (total < (size_t) fn->min || (fn->max >= 0 && total > (size_t) fn->max)) {
                if (fn->max == fn->min)
                        return xfail(x, "wrong number of args for %s: want %d got %zu", fn->name,
                                     fn->min, total);
                return xfail(x, "wrong number of args for %s: want at least %d got %zu", fn->name,
                             fn->min, total);
        }
        if (!fn->fn)
                return and_or(x, dot, fn->name[0] == 'o', args, nargs, final, has_final, ret);
        argv = xcalloc(total ? total : 1, sizeof(*argv));
        for (size_t i = 0; i < nargs; i++)
                if (eval_arg(x, dot, args[i], &argv[i]) < 0) {
                        free_argv(argv, i);
                        return -1;
                }
        if (has_final)
                argv[nargs] = json_incref(final);
        x->at_pos = fa->pos;
        x->at_end = fa->pos + strlen(fn->name);
        x->fn_name = fn->name;
        r = fn->fn(x, argv, total, ret);
        free_argv(argv, total);
        return r;
}

/* ---------------------------------------------------------------- functions */

static int want_str(struct exec *x, json_t *v, const char **s, size_t *n)
{
        *s = NULL;
        *n = 0;
        if (v && json_is_string(v)) {
                *s = json_string_value(v);
                *n = json_string_length(v);
                return 0;
        }
        if (!v)
                return xfail(x, "invalid value; expected string");
        return xfail(x, "wrong type for value; expected string; got %s", cmd_fmt_type_name(v));
}

static int want_int(struct exec *x, json_t *v, long long *ret)
{
        if (v && json_is_integer(v)) {
                *ret = json_integer_value(v);
                return 0;
        }
        if (!v)
                return xfail(x, "invalid value; expected int");
        return xfail(x, "wrong type for value; expected int; got %s", cmd_fmt_type_name(v));
}

static int fn_not(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        *ret = json_boolean(!truth(argv[0]));
        return 0;
}

static int fn_len(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        json_t *v = argv[0];

        if (!v || json_is_null(v))
                return fn_fail(x, "len of nil pointer");
        if (json_is_string(v))
                *ret = json_integer((json_int_t) json_string_length(v));
        else if (json_is_array(v))
                *ret = json_integer((json_int_t) json_array_size(v));
        else if (json_is_object(v))
                *ret = json_integer((json_int_t) json_object_size(v));
        else
                return fn_fail(x, "len of type %s", cmd_fmt_type_name(v));
        return 0;
}

/* Go's indexArg: an int index within [0, cap]. */
static int index_arg(struct exec *x, json_t *idx, size_t cap, long long *ret)
{
        if (!idx || json_is_null(idx))
                return fn_fail(x, "cannot index slice/array with nil");
        if (!json_is_integer(idx))
                return fn_fail(x, "cannot index slice/array with type %s", cmd_fmt_type_name(idx));
        *ret = json_integer_value(idx);
        if (*ret < 0 || (unsigned long long) *ret > cap)
                return fn_fail(x, "index out of range: %lld", *ret);
        return 0;
}

/* The value a missing key of a Go map yields. podman's maps indexed in templates are
 * map[string]string (labels, annotations), whose zero value is "": an object of strings, or an
 * empty one, gives ""; any other object is a map of interfaces, whose zero value is nil. */
static json_t *map_zero(json_t *obj)
{
        const char *k;
        json_t *v;

        json_object_foreach (obj, k, v)
                if (!json_is_string(v))
                        return json_null();
        return json_string("");
}

static int index_one(struct exec *x, json_t *item, json_t *idx, json_t **ret)
{
        long long k = 0;

        if (json_is_null(item)) { /* podman's nil map: its zero value */
                if (!idx || !json_is_string(idx))
                        return fn_fail(x, "index of untyped nil");
                *ret = json_string("");
        } else if (json_is_array(item) || json_is_string(item)) {
                size_t len = json_is_array(item) ? json_array_size(item) : json_string_length(item);

                if (index_arg(x, idx, len, &k) < 0)
                        return -1;
                if ((size_t) k == len)
                        return fn_fail(x, "index out of range: %lld", k);
                *ret = json_is_array(item)
                               ? json_incref(json_array_get(item, (size_t) k))
                               : json_integer((unsigned char) json_string_value(item)[k]);
        } else if (json_is_object(item)) {
                json_t *m;

                if (!idx || !json_is_string(idx))
                        return fn_fail(x, "value has type %s; should be string",
                                       cmd_fmt_type_name(idx));
                m = json_object_getn(item, json_string_value(idx), json_string_length(idx));
                *ret = m ? json_incref(m) : map_zero(item);
        } else {
                return fn_fail(x, "can't index item of type %s", cmd_fmt_type_name(item));
        }
        return 0;
}

static int fn_index(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        json_t *item = json_incref(argv[0]);

        if (!item)
                return fn_fail(x, "index of untyped nil");
        for (size_t i = 1; i < argc; i++) {
                json_t *next = NULL;
                int r = index_one(x, item, argv[i], &next);

                json_decref(item);
                if (r < 0)
                        return -1;
                item = next;
        }
        *ret = item;
        return 0;
}

static int fn_slice(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        json_t *item = argv[0];
        long long idx[3] = { 0, 0, 0 };
        size_t cap, n = argc - 1;

        if (!item || json_is_null(item))
                return fn_fail(x, "slice of untyped nil");
        if (n > 3)
                return fn_fail(x, "too many slice indexes: %zu", n);
        if (json_is_string(item)) {
                if (n == 3)
                        return fn_fail(x, "cannot 3-index slice a string");
                cap = json_string_length(item);
        } else if (json_is_array(item)) {
                cap = json_array_size(item);
        } else {
                return fn_fail(x, "can't slice item of type %s", cmd_fmt_type_name(item));
        }
        idx[1] = (long long) cap;
        for (size_t i = 0; i < n; i++)
                if (index_arg(x, argv[i + 1], cap, &idx[i]) < 0)
                        return -1;
        if (idx[0] > idx[1])
                return fn_fail(x, "invalid slice index: %lld > %lld", idx[0], idx[1]);
        if (n == 3 && idx[1] > idx[2])
                return fn_fail(x, "invalid slice index: %lld > %lld", idx[1], idx[2]);
        if (json_is_string(item)) {
                *ret = json_stringn_nocheck(json_string_value(item) + idx[0],
                                            (size_t) (idx[1] - idx[0]));
                return 0;
        }
        *ret = json_array();
        for (long long i = idx[0]; i < idx[1]; i++)
                json_array_append(*ret, json_array_get(item, (size_t) i));
        return 0;
}

enum bkind { BK_INVALID, BK_BOOL, BK_INT, BK_FLOAT, BK_STRING, BK_OTHER };

static enum bkind basic_kind(json_t *v)
{
        switch (v ? json_typeof(v) : JSON_NULL) {
        case JSON_TRUE:
        case JSON_FALSE:
                return BK_BOOL;
        case JSON_INTEGER:
                return BK_INT;
        case JSON_REAL:
                return BK_FLOAT;
        case JSON_STRING:
                return BK_STRING;
        case JSON_ARRAY:
        case JSON_OBJECT:
                return BK_OTHER;
        case JSON_NULL:
        default:
                return BK_INVALID;
        }
}

static bool is_number_kind(enum bkind k)
{
        return k == BK_INT || k == BK_FLOAT;
}

static int string_cmp(json_t *a, json_t *b)
{
        size_t na = json_string_length(a), nb = json_string_length(b);
        int r = memcmp(json_string_value(a), json_string_value(b), na < nb ? na : nb);

        return r ? r : (na > nb) - (na < nb);
}

/* Go's eq for two values. JSON does not tell 1 from 1.0, so integers and reals compare as
 * numbers (Go would call int and float64 incompatible). A missing or nil value equals only
 * another one. */
static int compare_eq(struct exec *x, json_t *a, json_t *b, bool *ret)
{
        enum bkind ka = basic_kind(a), kb = basic_kind(b);

        if (ka != kb) {
                if (is_number_kind(ka) && is_number_kind(kb))
                        *ret = json_number_value(a) == json_number_value(b);
                else if (ka != BK_INVALID && kb != BK_INVALID)
                        return fn_fail(x, "incompatible types for comparison");
                else
                        *ret = false;
                return 0;
        }
        switch (ka) {
        case BK_INVALID:
                *ret = true;
                return 0;
        case BK_BOOL:
                *ret = json_is_true(a) == json_is_true(b);
                return 0;
        case BK_INT:
                *ret = json_integer_value(a) == json_integer_value(b);
                return 0;
        case BK_FLOAT:
                *ret = json_real_value(a) == json_real_value(b);
                return 0;
        case BK_STRING:
                *ret = string_cmp(a, b) == 0;
                return 0;
        case BK_OTHER:
        default:
                return fn_fail(x, "non-comparable type %s", cmd_fmt_type_name(a));
        }
}

static int compare_lt(struct exec *x, json_t *a, json_t *b, bool *ret)
{
        enum bkind ka = basic_kind(a), kb = basic_kind(b);

        if (ka == BK_INVALID || ka == BK_OTHER || kb == BK_INVALID || kb == BK_OTHER ||
            (ka == BK_BOOL && kb == BK_BOOL))
                return fn_fail(x, "invalid type for comparison");
        if (ka != kb && !(is_number_kind(ka) && is_number_kind(kb)))
                return fn_fail(x, "incompatible types for comparison");
        if (ka == BK_STRING)
                *ret = string_cmp(a, b) < 0;
        else if (ka == BK_INT && kb == BK_INT)
                *ret = json_integer_value(a) < json_integer_value(b);
        else
                *ret = json_number_value(a) < json_number_value(b);
        return 0;
}

static int fn_eq(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        bool is_eq = false;

        if (argc < 2)
                return fn_fail(x, "missing argument for comparison");
        for (size_t i = 1; i < argc && !is_eq; i++)
                if (compare_eq(x, argv[0], argv[i], &is_eq) < 0)
                        return -1;
        *ret = json_boolean(is_eq);
        return 0;
}

/* ne, lt, le, gt, ge: which is told by the function's name. */
static int fn_order(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        const char *name = x->fn_name;
        bool is_lt = false, is_eq = false;

        if (strcmp(name, "ne") == 0) {
                if (compare_eq(x, argv[0], argv[1], &is_eq) < 0)
                        return -1;
                *ret = json_boolean(!is_eq);
                return 0;
        }
        if (compare_lt(x, argv[0], argv[1], &is_lt) < 0)
                return -1;
        if (!is_lt && name[1] != 't' && compare_eq(x, argv[0], argv[1], &is_eq) < 0)
                return -1;
        if (strcmp(name, "lt") == 0)
                *ret = json_boolean(is_lt);
        else if (strcmp(name, "le") == 0)
                *ret = json_boolean(is_lt || is_eq);
        else if (strcmp(name, "gt") == 0)
                *ret = json_boolean(!is_lt && !is_eq);
        else
                *ret = json_boolean(!is_lt);
        return 0;
}

/* fmt.Sprint / Sprintln, bounded. With as_text, missing and nil values print "<no value>" as
 * Go's evalArgs does for html, js and urlquery. */
static int sprint(struct exec *x, json_t **argv, size_t argc, bool is_ln, bool as_text,
                  struct den_buf *b)
{
        bool was_string = false;

        for (size_t i = 0; i < argc; i++) {
                bool is_nil = !argv[i] || json_is_null(argv[i]);
                bool is_string = (argv[i] && json_is_string(argv[i])) || (as_text && is_nil);

                if (i > 0 && (is_ln || (!is_string && !was_string)))
                        den_buf_append(b, " ", 1);
                if (as_text && is_nil)
                        den_buf_puts(b, "<no value>");
                else
                        cmd_fmt_value(b, argv[i]);
                was_string = is_string;
                if (b->len > MAX_OUTPUT) {
                        den_buf_free(b);
                        return xfatal(x, "print result exceeds %u MiB", MAX_OUTPUT >> 20);
                }
        }
        if (is_ln)
                den_buf_append(b, "\n", 1);
        return 0;
}

static int fn_print(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        struct den_buf b = { 0 };

        if (sprint(x, argv, argc, strcmp(x->fn_name, "println") == 0, false, &b) < 0)
                return -1;
        return ret_buf(x, &b, ret);
}

static int fn_printf(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        struct den_buf b = { 0 };
        const char *s = NULL;
        size_t n = 0;

        if (want_str(x, argv[0], &s, &n) < 0)
                return -1;
        if (cmd_fmt_printf(&b, s, n, argv + 1, argc - 1, MAX_OUTPUT) < 0) {
                den_buf_free(&b);
                return xfatal(x, "printf result exceeds %u MiB", MAX_OUTPUT >> 20);
        }
        return ret_buf(x, &b, ret);
}

/* html, js and urlquery: Go's escapers over the text of their arguments. */
static int fn_escape(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        struct den_buf in = { 0 }, b = { 0 };
        char c;

        if (argc == 1 && argv[0] && json_is_string(argv[0]))
                den_buf_append(&in, json_string_value(argv[0]), json_string_length(argv[0]));
        else if (sprint(x, argv, argc, false, true, &in) < 0)
                return -1;
        for (size_t i = 0; i < in.len; i++) {
                c = in.data[i];
                if (x->fn_name[0] == 'h') {
                        if (c == '"')
                                den_buf_puts(&b, "&#34;");
                        else if (c == '\'')
                                den_buf_puts(&b, "&#39;");
                        else if (c == '&')
                                den_buf_puts(&b, "&amp;");
                        else if (c == '<')
                                den_buf_puts(&b, "&lt;");
                        else if (c == '>')
                                den_buf_puts(&b, "&gt;");
                        else if (c == 0)
                                den_buf_puts(&b, "\xEF\xBF\xBD");
                        else
                                den_buf_append(&b, &c, 1);
                } else if (x->fn_name[0] == 'j') {
                        if (c == '\\' || c == '\'' || c == '"')
                                den_buf_printf(&b, "\\%c", c);
                        else if (c == '<' || c == '>' || c == '&' || c == '=' ||
                                 (unsigned char) c < 0x20)
                                den_buf_printf(&b, "\\u%04X", (unsigned char) c);
                        else
                                den_buf_append(&b, &c, 1);
                } else if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
                           (c && strchr("-_.~", c))) {
                        den_buf_append(&b, &c, 1);
                } else if (c == ' ') {
                        den_buf_append(&b, "+", 1);
                } else {
                        den_buf_printf(&b, "%%%02X", (unsigned char) c);
                }
        }
        den_buf_free(&in);
        return ret_buf(x, &b, ret);
}

/* podman's json: compact, and like its encoder without HTML escaping. */
static int fn_json(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        struct den_buf b = { 0 };

        cmd_json_append(&b, argv[0], -1, CMD_JSON_NO_HTML_ESCAPE);
        return ret_buf(x, &b, ret);
}

static int fn_join(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        json_t *a = argv[0], *v;
        struct den_buf b = { 0 };
        const char *sep = NULL;
        size_t nsep = 0, total = 0, i;

        if (want_str(x, argv[1], &sep, &nsep) < 0)
                return -1;
        if (!a || json_is_null(a)) {
                *ret = json_string("");
                return 0;
        }
        if (!json_is_array(a))
                return xfail(x, "wrong type for value; expected []string; got %s",
                             cmd_fmt_type_name(a));
        json_array_foreach (a, i, v)
                total += (json_is_string(v) ? json_string_length(v) : 0) + (i ? nsep : 0);
        if (total > MAX_OUTPUT)
                return xfatal(x, "join result exceeds %u MiB", MAX_OUTPUT >> 20);
        json_array_foreach (a, i, v) {
                if (i > 0)
                        den_buf_append(&b, sep, nsep);
                cmd_fmt_value(&b, v); /* Go wants []string; other elements print as %v */
        }
        return ret_buf(x, &b, ret);
}

/* lower, upper and title: ASCII letters change case (Go maps all of Unicode). */
static int fn_case(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        struct den_buf b = { 0 };
        const char *s = NULL;
        size_t n = 0;
        bool is_sep = true;

        if (want_str(x, argv[0], &s, &n) < 0)
                return -1;
        den_buf_append(&b, s, n);
        for (size_t i = 0; i < n; i++) {
                char c = b.data[i];
                bool is_lower = c >= 'a' && c <= 'z', is_upper = c >= 'A' && c <= 'Z';

                if (x->fn_name[0] == 'l' && is_upper)
                        b.data[i] = (char) (c | 0x20);
                else if ((x->fn_name[0] == 'u' || (x->fn_name[0] == 't' && is_sep)) && is_lower)
                        b.data[i] = (char) (c & ~0x20);
                /* strings.Title: a word starts after anything but a letter, digit or '_' */
                is_sep = !(is_lower || is_upper || (c >= '0' && c <= '9') || c == '_' ||
                           (unsigned char) c >= 0x80);
        }
        return ret_buf(x, &b, ret);
}

static int fn_split(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        const char *s, *sep;
        size_t n = 0, nsep = 0, start = 0;
        json_t *a;

        if (want_str(x, argv[0], &s, &n) < 0 || want_str(x, argv[1], &sep, &nsep) < 0)
                return -1;
        if (made(x, n) < 0)
                return -1;
        a = json_array();
        while (nsep ? start <= n : start < n) {
                const char *hit = nsep ? memmem(s + start, n - start, sep, nsep) : NULL;
                uint32_t cp;
                size_t end = nsep ? (hit ? (size_t) (hit - s) : n)
                                  : start + cmd_utf8_decode(s + start, n - start, &cp);

                if (json_array_size(a) >= MAX_SPLIT) {
                        json_decref(a);
                        return xfatal(x, "split makes more than %u parts", MAX_SPLIT);
                }
                json_array_append_new(a, json_stringn_nocheck(s + start, end - start));
                if (nsep && !hit)
                        break;
                start = end + nsep;
        }
        *ret = a;
        return 0;
}

static int fn_truncate(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        const char *s = NULL;
        size_t n = 0;
        long long k = 0;

        if (want_str(x, argv[0], &s, &n) < 0 || want_int(x, argv[1], &k) < 0)
                return -1;
        if ((long long) n < k) {
                *ret = json_incref(argv[0]);
                return 0;
        }
        if (k < 0)
                return fn_fail(x, "runtime error: slice bounds out of range [:%lld]", k);
        *ret = json_stringn_nocheck(s, (size_t) k);
        return 0;
}

static int fn_pad(struct exec *x, json_t **argv, size_t argc, json_t **ret)
{
        struct den_buf b = { 0 };
        const char *s;
        size_t n;
        long long before = 0, after = 0;

        if (want_str(x, argv[0], &s, &n) < 0 || want_int(x, argv[1], &before) < 0 ||
            want_int(x, argv[2], &after) < 0)
                return -1;
        if (n == 0) {
                *ret = json_string("");
                return 0;
        }
        if (before < 0 || after < 0)
                return fn_fail(x, "strings: negative Repeat count");
        if (before > MAX_OUTPUT || after > MAX_OUTPUT || made(x, n + (size_t) (before + after)) < 0)
                return xfatal(x, "pad result exceeds %u MiB", MAX_OUTPUT >> 20);
        for (long long i = 0; i < before; i++)
                den_buf_append(&b, " ", 1);
        den_buf_append(&b, s, n);
        for (long long i = 0; i < after; i++)
                den_buf_append(&b, " ", 1);
        *ret = json_stringn_nocheck(b.data, b.len);
        den_buf_free(&b);
        return 0;
}

/* Go's builtins and podman's report functions. and/or have no body: they are lazy. */
static const struct func funcs[] = {
        { "and", 1, -1, NULL },         { "eq", 1, -1, fn_eq },
        { "ge", 2, 2, fn_order },       { "gt", 2, 2, fn_order },
        { "html", 0, -1, fn_escape },   { "index", 1, -1, fn_index },
        { "join", 2, 2, fn_join },      { "js", 0, -1, fn_escape },
        { "json", 1, 1, fn_json },      { "le", 2, 2, fn_order },
        { "len", 1, 1, fn_len },        { "lower", 1, 1, fn_case },
        { "lt", 2, 2, fn_order },       { "ne", 2, 2, fn_order },
        { "not", 1, 1, fn_not },        { "or", 1, -1, NULL },
        { "pad", 3, 3, fn_pad },        { "print", 0, -1, fn_print },
        { "printf", 1, -1, fn_printf }, { "println", 0, -1, fn_print },
        { "slice", 1, -1, fn_slice },   { "split", 2, 2, fn_split },
        { "title", 1, 1, fn_case },     { "truncate", 2, 2, fn_truncate },
        { "upper", 1, 1, fn_case },     { "urlquery", 0, -1, fn_escape },
};

static const struct func *func_lookup(const char *name, size_t len)
{
        for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
                if (strlen(funcs[i].name) == len && memcmp(funcs[i].name, name, len) == 0)
                        return &funcs[i];
        return NULL;
}

/* ---------------------------------------------------------------- headers */

static char *upper_dup(const char *s)
{
        char *u = xstrdup(s);

        for (char *p = u; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                        *p = (char) (*p & ~0x20);
        return u;
}

static int char_class(unsigned char c)
{
        if (c >= 'a' && c <= 'z')
                return 1;
        if (c >= 'A' && c <= 'Z')
                return 2;
        if (c >= '0' && c <= '9')
                return 3;
        return 4;
}

/* podman's camelcase.Split, joined with spaces and upper-cased: runs of lower case, upper
 * case, digits and other characters split, and the last capital of an upper-case run starts
 * the lower-case run after it ("OCIRuntime" -> "OCI", "Runtime"). */
char *cmd_header_from_field(const char *field)
{
        size_t n = strlen(field), nr = 0, *start = NULL, *len = NULL;
        struct den_buf b = { 0 };
        uint32_t cp;

        for (size_t i = 0; i < n;) { /* Go does not split text that is not UTF-8 */
                size_t k = cmd_utf8_decode(field + i, n - i, &cp);

                if (cp == 0xFFFD && k == 1)
                        return upper_dup(field);
                i += k;
        }
        for (size_t i = 0; i < n; i++) {
                if (i == 0 || char_class((unsigned char) field[i]) !=
                                      char_class((unsigned char) field[i - 1])) {
                        size_t zero = 0;

                        PUSH(start, nr, i);
                        nr--;
                        PUSH(len, nr, zero);
                }
                len[nr - 1]++;
        }
        for (size_t i = 0; i + 1 < nr; i++)
                if (char_class((unsigned char) field[start[i]]) == 2 &&
                    char_class((unsigned char) field[start[i + 1]]) == 1)
                        len[i]--, start[i + 1]--, len[i + 1]++;
        for (size_t i = 0; i < nr; i++) {
                if (len[i] == 0)
                        continue;
                if (b.len)
                        den_buf_append(&b, " ", 1);
                den_buf_append(&b, field + start[i], len[i]);
        }
        free(start);
        free(len);
        if (!b.data)
                return xstrdup("");
        {
                _cleanup_free_ char *s = den_buf_steal(&b);

                return upper_dup(s);
        }
}

/* The header of a field chain: an override for the whole path ("Host.Arch") or for the last
 * field, else the last field's name split at camel case. */
static char *header_text(const struct cmd_header *headers, char *const *fields, size_t n)
{
        struct den_buf path = { 0 };
        _cleanup_free_ char *p = NULL;

        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        den_buf_append(&path, ".", 1);
                den_buf_puts(&path, fields[i]);
        }
        p = den_buf_steal(&path);
        for (size_t k = 0; headers && headers[k].field; k++)
                if (streq(headers[k].field, p))
                        return upper_dup(headers[k].header);
        for (size_t k = 0; headers && headers[k].field; k++)
                if (streq(headers[k].field, fields[n - 1]))
                        return upper_dup(headers[k].header);
        return cmd_header_from_field(fields[n - 1]);
}

static void collect_pipe(const struct pipe *pp, json_t *h, const struct cmd_header *headers);

static void collect_list(const struct list *l, json_t *h, const struct cmd_header *headers)
{
        for (size_t i = 0; i < l->n; i++) {
                collect_pipe(l->v[i]->pipe, h, headers);
                collect_list(&l->v[i]->body, h, headers);
                collect_list(&l->v[i]->other, h, headers);
        }
}

/* The data of the header row: every top-level field the template names, mapped to its
 * header, so that the template's own logic ({{if .Tag}}) runs on header strings. */
static void collect_pipe(const struct pipe *pp, json_t *h, const struct cmd_header *headers)
{
        for (size_t i = 0; pp && i < pp->n_cmds; i++)
                for (size_t j = 0; j < pp->cmds[i]->n; j++) {
                        const struct arg *a = pp->cmds[i]->args[j];

                        if ((a->kind == A_FIELD || (a->kind == A_VAR && streq(a->name, "$"))) &&
                            a->n_fields && !json_object_get(h, a->fields[0])) {
                                _cleanup_free_ char *t = header_text(headers, a->fields, 1);

                                json_object_set_new(h, a->fields[0], json_string_nocheck(t));
                        }
                        collect_pipe(a->pipe, h, headers);
                }
}

static int emit_header(struct exec *x, const struct arg *a)
{
        _cleanup_free_ char *t = header_text(x->headers, a->fields, a->n_fields);

        return emit_out(x, t, strlen(t));
}

/* ---------------------------------------------------------------- walking the tree */

static int walk_list(struct exec *x, json_t *dot, const struct list *l);

/* In the header row an action that fails prints nothing: its functions see header strings,
 * not row values, so a failure there says nothing about the rows. Bounds still stop all. */
static int recover(struct exec *x)
{
        if (!x->is_header || x->is_fatal)
                return -1;
        den_error_free(*x->err);
        *x->err = NULL;
        x->is_failed = false;
        return 0;
}

static int walk_action(struct exec *x, json_t *dot, const struct node *n)
{
        json_t *v = NULL;
        int r = 0;

        if (x->is_header && n->hfield && n->pipe->n_decl == 0)
                return emit_header(x, n->hfield);
        if (eval_pipe(x, dot, n->pipe, true, &v) < 0)
                return recover(x);
        if (n->pipe->n_decl == 0) {
                if (!v) {
                        r = emit_out(x, "<no value>", 10);
                } else {
                        cmd_fmt_value(x->out, v);
                        r = check_output(x);
                }
        }
        json_decref(v);
        return r;
}

static int walk_if_with(struct exec *x, json_t *dot, const struct node *n)
{
        size_t mark = x->n_vars;
        json_t *v = NULL;
        int r;

        if (x->is_header && n->kind == N_WITH && n->hfield)
                return emit_header(x, n->hfield);
        if (eval_pipe(x, dot, n->pipe, true, &v) < 0) {
                if (recover(x) < 0) {
                        pop_vars(x, mark);
                        return -1;
                }
                v = n->kind == N_IF ? json_true() : NULL;
        }
        if (truth(v))
                r = walk_list(x, n->kind == N_WITH ? v : dot, &n->body);
        else
                r = walk_list(x, dot, &n->other);
        json_decref(v);
        pop_vars(x, mark);
        return r;
}

static int range_one(struct exec *x, const struct node *n, json_t *key, json_t *elem)
{
        const struct pipe *pp = n->pipe;
        size_t mark = x->n_vars;
        int r;

        if (step(x) < 0)
                return -1;
        for (size_t i = 0; i < pp->n_decl && i < 2; i++) {
                json_t *v = i == 0 && pp->n_decl > 1 ? key : elem;

                if (pp->is_assign)
                        set_var(x, pp->decl[i], v);
                else
                        push_var(x, pp->decl[i], v);
        }
        r = walk_list(x, elem, &n->body);
        if (!pp->is_assign)
                pop_vars(x, mark);
        return r == CTL_CONTINUE ? 0 : r;
}

static int range_iterate(struct exec *x, const struct node *n, json_t *v, bool *ret_ran)
{
        int r = 0;

        if (json_is_array(v)) {
                for (size_t i = 0; r == 0 && i < json_array_size(v); i++) {
                        json_t *k = json_integer((json_int_t) i);

                        r = range_one(x, n, k, json_array_get(v, i));
                        json_decref(k);
                }
                *ret_ran = json_array_size(v) > 0;
        } else if (json_is_object(v)) {
                size_t cnt;
                struct cmd_kv *kv = cmd_object_sorted(v, &cnt);

                for (size_t i = 0; r == 0 && i < cnt; i++) {
                        json_t *k = json_stringn_nocheck(kv[i].key, kv[i].key_len);

                        r = range_one(x, n, k, kv[i].value);
                        json_decref(k);
                }
                free(kv);
                *ret_ran = cnt > 0;
        } else if (json_is_integer(v)) { /* Go 1.22 ranges over an int: 0 .. n-1 */
                if (n->pipe->n_decl > 1)
                        return xfail(x, "can't use %lld to iterate over more than one variable",
                                     (long long) json_integer_value(v));
                for (json_int_t i = 0; r == 0 && i < json_integer_value(v); i++) {
                        json_t *k = json_integer(i);

                        r = range_one(x, n, k, k);
                        json_decref(k);
                }
                *ret_ran = json_integer_value(v) > 0;
        } else if (v && !json_is_null(v)) {
                struct den_buf b = { 0 };

                cmd_fmt_value(&b, v);
                r = xfail(x, "range can't iterate over %.200s", b.data);
                den_buf_free(&b);
        }
        return r < 0 ? -1 : 0;
}

static int walk_range(struct exec *x, json_t *dot, const struct node *n)
{
        json_t *v = NULL;
        bool has_run = false;
        int r;

        if (x->is_header && n->hfield)
                return emit_header(x, n->hfield);
        if (eval_pipe(x, dot, n->pipe, false, &v) < 0)
                return recover(x);
        x->at_pos = n->pipe->pos;
        x->at_end = n->pipe->end;
        r = range_iterate(x, n, v, &has_run);
        if (r < 0)
                r = recover(x);
        else if (!has_run)
                r = walk_list(x, dot, &n->other);
        json_decref(v);
        return r;
}

static int walk(struct exec *x, json_t *dot, const struct node *n)
{
        if (step(x) < 0)
                return -1;
        switch (n->kind) {
        case N_TEXT:
                return emit_out(x, n->text, n->len);
        case N_ACTION:
                return walk_action(x, dot, n);
        case N_IF:
        case N_WITH:
                return walk_if_with(x, dot, n);
        case N_RANGE:
                return walk_range(x, dot, n);
        case N_BREAK:
                return CTL_BREAK;
        case N_CONTINUE:
                return CTL_CONTINUE;
        default:
                return 0;
        }
}

static int walk_list(struct exec *x, json_t *dot, const struct list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                int r = walk(x, dot, l->v[i]);

                if (r != 0)
                        return r;
        }
        return 0;
}

static int exec_template(const struct cmd_template *t, json_t *data, struct den_buf *out,
                         const struct cmd_header *headers, bool is_header, den_error **err)
{
        den_error *local = NULL;
        struct exec x = {
                .t = t,
                .out = out,
                .err = is_header ? &local : err,
                .is_header = is_header,
                .headers = headers,
        };
        json_t *root = data ? data : json_null();
        int r;

        push_var(&x, "$", root);
        r = walk_list(&x, root, &t->root);
        pop_vars(&x, 0);
        free(x.vars);
        if (local && r < 0 && err && !*err)
                *err = local;
        else
                den_error_free(local);
        return r < 0 ? -1 : 0;
}

int cmd_template_exec(const struct cmd_template *t, json_t *data, struct den_buf *out,
                      den_error **err)
{
        return exec_template(t, data, out, NULL, false, err);
}

int cmd_template_exec_header(const struct cmd_template *t, const struct cmd_header *headers,
                             struct den_buf *out, den_error **err)
{
        json_auto_t *h = json_object();

        collect_list(&t->root, h, headers);
        return exec_template(t, h, out, headers, true, err);
}

/* ---------------------------------------------------------------- compiling */

static int compile_fail(const struct cmd_template *t, size_t pos, char *msg, den_error **err)
{
        size_t line, col;

        one_line(msg);
        line_col(t, pos, &line, &col);
        return den_error_set(err, 0, "template: %s:%zu:%zu: %s", TEMPLATE_NAME, line, col, msg);
}

int cmd_template_compile_full(const char *text, unsigned flags, struct cmd_template **ret,
                              den_error **err)
{
        _cleanup_(cmd_template_freep) struct cmd_template *t = NULL;
        struct lexer l = { 0 };
        struct parser p = { 0 };
        size_t start = 0;
        int r;

        if (!text)
                text = "";
        if (strlen(text) > MAX_TEMPLATE_LEN)
                return den_error_set(err, E2BIG, "template: %s: longer than %u bytes",
                                     TEMPLATE_NAME, MAX_TEMPLATE_LEN);
        t = xcalloc(1, sizeof(*t));
        t->src = xstrdup(text);
        if (den_str_has_prefix(text, "table "))
                t->is_table = true, start = 6;
        else if (streq(text, "table"))
                t->is_table = true, start = 5;
        normalize(t, start, flags & CMD_TEMPLATE_LINE);
        l.s = t->text;
        l.n = t->len;
        /* Go lexes lazily, so a parse error before the point where lexing failed wins: parse
         * the tokens up to the lexer's error, then report whichever error comes first. */
        if (lex_all(&l) < 0)
                emit(&l, TK_EOF, l.err_pos, l.err_pos);
        p = (struct parser){ .t = t, .tk = l.v, .n = l.n_tok };
        r = parse_all(&p);
        if (r < 0 && (!l.err || !p.saw_eof))
                compile_fail(t, p.err_pos, p.err, err);
        else if (l.err)
                r = compile_fail(t, l.err_pos, l.err, err);
        free(l.v);
        free(l.err);
        free(p.vars);
        free(p.err);
        if (r < 0)
                return -1;
        *ret = steal_ptr(t);
        return 0;
}

int cmd_template_compile(const char *text, struct cmd_template **ret, den_error **err)
{
        return cmd_template_compile_full(text, 0, ret, err);
}
