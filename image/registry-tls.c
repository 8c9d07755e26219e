/* TLS trust and identity for one registry, set up the way podman (containers-image) does it: the
 * system's CAs plus every *.crt in the registry's certs.d directory, and a client certificate
 * from a *.cert with the *.key of the same name beside it.
 *
 * The directory is the first that exists of ~/.config/containers/certs.d/HOST[:PORT],
 * /etc/containers/certs.d/HOST[:PORT] and /etc/docker/certs.d/HOST[:PORT], or the one given with
 * --cert-dir. These are the user's or the administrator's own files: symlinks in them are
 * followed, as podman follows them. HOST cannot contain '/' or start with '.' (checked in
 * img_client_new), so the path stays inside certs.d. */
#include <sys/stat.h>
#include "image/registry-http.h"

#define CERTS_MAX_FILES 256
#define CERT_MAX_SIZE (1u << 20)
#define SYSTEM_CA_MAX (16u << 20)

static bool has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n > m && streq(s + n - m, suffix);
}

static char *certs_dir_find(const char *host)
{
        _cleanup_free_ char *home = den_home_dir();
        char *cands[] = {
                xasprintf("%s/.config/containers/certs.d/%s", home, host),
                xasprintf("/etc/containers/certs.d/%s", host),
                xasprintf("/etc/docker/certs.d/%s", host),
        };
        char *pick = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(cands); i++) {
                struct stat st;

                if (!pick && stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode))
                        pick = steal_ptr(cands[i]);
                free(cands[i]);
        }
        return pick;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The directory's entries, sorted, so the same files give the same trust in the same order. */
static int read_names(int dfd, const char *dir, char ***ret, den_error **err)
{
        _cleanup_strv_ char **names = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        struct dirent *de;
        size_t n = 0;

        if (fd < 0)
                return den_error_set(err, errno, "read certs directory \"%s\"", dir);
        d = fdopendir(fd);
        if (!d) {
                int saved = errno;

                close(fd);
                return den_error_set(err, saved, "read certs directory \"%s\"", dir);
        }
        while ((errno = 0, de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (++n > CERTS_MAX_FILES)
                        return den_error_set(err, 0,
                                             "certs directory \"%s\" has more than %d "
                                             "entries",
                                             dir, CERTS_MAX_FILES);
                den_strv_push(&names, de->d_name);
        }
        if (errno)
                return den_error_set(err, errno, "read certs directory \"%s\"", dir);
        if (names)
                qsort(names, n, sizeof(char *), cmp_str);
        *ret = steal_ptr(names);
        return 0;
}

/* The system's CA bundle: $SSL_CERT_FILE as Go programs honor it, else libcurl's own default.
 * Without it only the certs.d CAs are trusted, which is still correct for that registry. */
static void system_cas(struct den_buf *b)
{
        const char *path = getenv("SSL_CERT_FILE");
        _cleanup_free_ char *data = NULL;
        char *deflt = NULL;
        CURL *h = NULL;
        size_t len = 0;
        int r;

        if (!path || !*path) {
                h = curl_easy_init();
                if (h && curl_easy_getinfo(h, CURLINFO_CAINFO, &deflt) == CURLE_OK && deflt)
                        path = deflt;
        }
        if (path) {
                r = den_read_file_at(AT_FDCWD, path, SYSTEM_CA_MAX, &data, &len);
                if (r < 0)
                        den_debug("system CA bundle \"%s\": %s, continuing", path, strerror(-r));
                else
                        den_buf_append(b, data, len);
        }
        if (h)
                curl_easy_cleanup(h);
}

/* Only $SSL_CERT_FILE needs the bundle in memory; libcurl finds its own default. */
static int use_system_cas(struct reg_shared *sh)
{
        const char *path = getenv("SSL_CERT_FILE");
        struct den_buf all = { 0 };

        if (!path || !*path)
                return 0;
        system_cas(&all);
        if (all.len) {
                sh->ca_len = all.len;
                sh->ca_data = den_buf_steal(&all);
        }
        return 0;
}

static int add_ca_file(struct den_buf *b, int dfd, const char *dir, const char *name,
                       den_error **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r;

        r = den_read_file_at(dfd, name, CERT_MAX_SIZE, &data, &len);
        if (r < 0)
                return den_error_set(err, -r, "read CA certificate \"%s/%s\"", dir, name);
        if (!memmem(data, len, "-----BEGIN", 10))
                return den_error_set(err, 0, "CA certificate \"%s/%s\" is not in PEM format", dir,
                                     name);
        den_buf_puts(b, "\n");
        den_buf_append(b, data, len);
        den_buf_puts(b, "\n");
        return 0;
}

/* name is a *.cert or a *.key; its partner must be there too. */
static int check_pair(struct reg_shared *sh, char **names, const char *dir, const char *name,
                      den_error **err)
{
        bool is_cert = has_suffix(name, ".cert");
        size_t base = strlen(name) - (is_cert ? 5 : 4);
        _cleanup_free_ char *other =
                xasprintf("%.*s%s", (int) base, name, is_cert ? ".key" : ".cert");

        if (!den_strv_contains(names, other)) {
                if (is_cert)
                        return den_error_set(err, 0,
                                             "certs directory \"%s\": missing key %s for client "
                                             "certificate %s",
                                             dir, other, name);
                return den_error_set(err, 0,
                                     "certs directory \"%s\": missing client certificate %s for "
                                     "key %s (CA certificates end in .crt)",
                                     dir, other, name);
        }
        /* libcurl presents one client certificate: the first pair in name order */
        if (is_cert && !sh->client_cert) {
                sh->client_cert = xasprintf("%s/%s", dir, name);
                sh->client_key = xasprintf("%s/%s", dir, other);
        }
        return 0;
}

int reg_tls_load(struct reg_shared *sh, const struct img_client_opts *o, den_error **err)
{
        _cleanup_free_ char *dir = o->certs_dir ? xstrdup(o->certs_dir) : certs_dir_find(sh->host);
        _cleanup_strv_ char **names = NULL;
        _cleanup_close_ int dfd = -EBADF;
        struct den_buf extra = { 0 };
        struct den_buf all = { 0 };

        if (!dir)
                return use_system_cas(sh);
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 && (errno == ENOENT || errno == ENOTDIR))
                return use_system_cas(sh); /* as podman: a missing directory adds nothing */
        if (dfd < 0)
                return den_error_set(err, errno, "open certs directory \"%s\"", dir);
        if (read_names(dfd, dir, &names, err) < 0)
                return -1;
        for (size_t i = 0; names && names[i]; i++) {
                int r = 0;

                if (has_suffix(names[i], ".crt"))
                        r = add_ca_file(&extra, dfd, dir, names[i], err);
                else if (has_suffix(names[i], ".cert") || has_suffix(names[i], ".key"))
                        r = check_pair(sh, names, dir, names[i], err);
                if (r < 0) {
                        den_buf_free(&extra);
                        return -1;
                }
        }
        if (!extra.len)
                return use_system_cas(sh);
        system_cas(&all);
        den_buf_append(&all, extra.data, extra.len);
        den_buf_free(&extra);
        sh->ca_len = all.len;
        sh->ca_data = den_buf_steal(&all);
        den_debug("%s: trusting the CAs in \"%s\" too", sh->host, dir);
        return 0;
}

void reg_tls_setup(struct img_client *c)
{
        struct reg_shared *sh = c->sh;
        CURL *h = c->curl;

        (void) curl_easy_setopt(h, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        (void) curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, sh->is_verify ? 1L : 0L);
        (void) curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, sh->is_verify ? 2L : 0L);
        if (sh->ca_data) {
                struct curl_blob blob = { .data = sh->ca_data,
                                          .len = sh->ca_len,
                                          .flags = CURL_BLOB_NOCOPY };

                /* the blob lives in the shared state, which outlives every handle using it */
                (void) curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
        }
        if (sh->client_cert) {
                (void) curl_easy_setopt(h, CURLOPT_SSLCERT, sh->client_cert);
                (void) curl_easy_setopt(h, CURLOPT_SSLKEY, sh->client_key);
        }
}
