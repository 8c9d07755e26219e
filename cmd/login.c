/* den login / logout: credentials in podman's auth.json, checked against the registry first.
 * A password given on the command line or stdin is never echoed, logged or put in an error. */
#include <termios.h>
#include "cmd.h"

int cmd_client_opts(const struct cmd_args *a, struct img_client_opts *o, char **ret_user,
                    char **ret_pass, den_error **err);

static char *read_line(FILE *f, bool is_secret)
{
        struct termios old, quiet;
        bool has_tty = is_secret && isatty(fileno(f)) && tcgetattr(fileno(f), &old) == 0;
        char buf[4096];
        char *r;

        if (has_tty) {
                quiet = old;
                quiet.c_lflag &= (tcflag_t) ~ECHO;
                (void) tcsetattr(fileno(f), TCSAFLUSH, &quiet);
        }
        r = fgets(buf, sizeof(buf), f);
        if (has_tty) {
                (void) tcsetattr(fileno(f), TCSAFLUSH, &old);
                fputc('\n', stderr);
        }
        if (!r)
                return NULL;
        buf[strcspn(buf, "\r\n")] = '\0';
        return xstrdup(buf);
}

static char *registry_key(const char *arg)
{
        /* accept "https://host/", "host", "host/repo" */
        const char *p = arg;
        size_t n;

        if (den_str_has_prefix(p, "https://"))
                p += 8;
        else if (den_str_has_prefix(p, "http://"))
                p += 7;
        n = strlen(p);
        while (n > 0 && p[n - 1] == '/')
                n--;
        if (n == 9 && strncmp(p, "docker.io", 9) == 0)
                return xstrdup("docker.io");
        return xstrndup(p, n);
}

static int run_login(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        _cleanup_free_ char *key = registry_key(a->pos[0]);
        _cleanup_free_ char *cu = NULL;
        _cleanup_free_ char *cp = NULL;
        _cleanup_free_ char *user = NULL;
        _cleanup_free_ char *pass = NULL;
        _cleanup_free_ char *host = NULL;
        struct img_client_opts o;
        struct img_client *c = NULL;
        const char *slash;
        int r;

        if (cmd_client_opts(a, &o, &cu, &cp, err) < 0)
                return -1;
        if (!*key)
                return den_error_set(err, 0, "registry must not be empty");
        slash = strchr(key, '/');
        host = slash ? xstrndup(key, (size_t) (slash - key)) : xstrdup(key);
        if (cmd_flag(a, "get-login")) {
                _cleanup_free_ char *gu = NULL;
                _cleanup_free_ char *gp = NULL;

                r = img_auth_lookup(o.authfile, key, &gu, &gp, err);
                if (r < 0)
                        return -1;
                if (r == 0)
                        return den_error_set(err, 0, "not logged into %s", key);
                printf("%s\n", gu);
                return 0;
        }
        if (cmd_flag(a, "password-stdin") && cmd_str(a, "password"))
                return den_error_set(err, 0,
                                     "--password and --password-stdin are mutually "
                                     "exclusive");
        user = cmd_str(a, "username") ? xstrdup(cmd_str(a, "username")) : NULL;
        if (!user) {
                if (cmd_flag(a, "password-stdin") || !isatty(STDIN_FILENO))
                        return den_error_set(err, 0,
                                             "cannot perform an interactive login from "
                                             "a non TTY device: give --username");
                fprintf(stderr, "Username: ");
                user = read_line(stdin, false);
        }
        if (cmd_flag(a, "password-stdin")) {
                pass = read_line(stdin, false);
        } else if (cmd_str(a, "password")) {
                pass = xstrdup(cmd_str(a, "password"));
        } else {
                if (!isatty(STDIN_FILENO))
                        return den_error_set(err, 0,
                                             "cannot perform an interactive login from "
                                             "a non TTY device: use --password-stdin");
                fprintf(stderr, "Password: ");
                pass = read_line(stdin, true);
        }
        if (!user || !*user || !pass || !*pass)
                return den_error_set(err, 0, "username and password must not be empty");
        o.creds_user = user;
        o.creds_pass = pass;
        if (img_client_new(host, &o, &c, err) < 0)
                return -1;
        r = img_client_ping(c, err);
        img_client_free(c);
        if (r < 0)
                return den_error_wrap(err, "logging into \"%s\"", key);
        if (img_auth_store(o.authfile, key, user, pass, err) < 0)
                return -1;
        printf("Login Succeeded!\n");
        return 0;
}

static int run_logout(struct cmd_ctx *ctx, const struct cmd_args *a, den_error **err)
{
        const char *authfile = cmd_str(a, "authfile");
        _cleanup_free_ char *key = NULL;
        int r;

        if (!authfile)
                authfile = getenv("REGISTRY_AUTH_FILE");
        if (cmd_flag(a, "all")) {
                if (a->n_pos)
                        return den_error_set(err, 0, "--all takes no registry");
                if (img_auth_remove(authfile, NULL, err) < 0)
                        return -1;
                printf("Removed login credentials for all registries\n");
                return 0;
        }
        if (a->n_pos != 1)
                return den_error_set(err, 0, "registry must be given");
        key = registry_key(a->pos[0]);
        r = img_auth_remove(authfile, key, err);
        if (r < 0)
                return -1;
        if (r == 0)
                return den_error_set(err, 0, "not logged into %s", key);
        printf("Removed login credentials for %s\n", key);
        return 0;
}

static const struct cmd_opt login_opts[] = {
        { "authfile", 0, CMD_OPT_STRING, "string", "path of the authentication file" },
        { "cert-dir", 0, CMD_OPT_STRING, "Pathname",
          "use certificates at the specified path to access the registry" },
        { "get-login", 0, CMD_OPT_BOOL, NULL, "Return the current login user for the registry" },
        { "password", 'p', CMD_OPT_STRING, "string", "Password for registry" },
        { "password-stdin", 0, CMD_OPT_BOOL, NULL, "Take the password from stdin" },
        { "tls-verify", 0, CMD_OPT_BOOL, NULL,
          "require HTTPS and verify certificates when contacting registries" },
        { "username", 'u', CMD_OPT_STRING, "string", "Username for registry" },
        { 0 },
};

static const struct cmd_opt logout_opts[] = {
        { "all", 'a', CMD_OPT_BOOL, NULL,
          "Remove the cached credentials for all registries in the auth file" },
        { "authfile", 0, CMD_OPT_STRING, "string", "path of the authentication file" },
        { 0 },
};

const struct cmd cmd_login = {
        .name = "login",
        .usage = "[options] REGISTRY",
        .summary = "Log in to a container registry",
        .opts = login_opts,
        .min_args = 1,
        .max_args = 1,
        .run = run_login,
};

const struct cmd cmd_logout = {
        .name = "logout",
        .usage = "[options] REGISTRY",
        .summary = "Log out of a container registry",
        .opts = logout_opts,
        .min_args = 0,
        .max_args = 1,
        .run = run_logout,
};
