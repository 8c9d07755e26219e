/* sha256 digests through OpenSSL's EVP interface. libcrypto is loaded on first use: linking
 * it costs every den process some 2 ms of relocations at start (its relocation table is the
 * largest of den's libraries), and `den run`, `ps` or `exec` of a stored image digest
 * nothing. The six functions are looked up once (thread-safe); types come from OpenSSL's
 * header, so each call is checked as if linked. */
#include "util.h"
#include <dlfcn.h>
#include <openssl/evp.h>
#include <pthread.h>

#ifndef DEN_LIBCRYPTO
#define DEN_LIBCRYPTO "libcrypto.so.3"
#endif

#define CRYPTO_FUNCS(X)      \
        X(EVP_MD_CTX_new)    \
        X(EVP_MD_CTX_free)   \
        X(EVP_sha256)        \
        X(EVP_DigestInit_ex) \
        X(EVP_DigestUpdate)  \
        X(EVP_DigestFinal_ex)

#define FIELD(f) __typeof__(&f) f;
static struct {
        CRYPTO_FUNCS(FIELD)
} crypto;
#undef FIELD
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

static _Noreturn void crypto_fail(const char *why)
{
        fprintf(stderr, "Error: load %s: %s\n", DEN_LIBCRYPTO, why ? why : "unknown error");
        _exit(125);
}

static void crypto_load(void)
{
        void *h = dlopen(DEN_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);

        if (!h)
                crypto_fail(dlerror());
#define LOAD(f)                                       \
        do {                                          \
                void *p_ = dlsym(h, #f);              \
                if (!p_)                              \
                        crypto_fail("no symbol " #f); \
                memcpy(&crypto.f, &p_, sizeof(p_));   \
        } while (0);
        CRYPTO_FUNCS(LOAD)
#undef LOAD
}

struct den_sha256 {
        EVP_MD_CTX *ctx;
};

struct den_sha256 *den_sha256_new(void)
{
        struct den_sha256 *h = xcalloc(1, sizeof(*h));

        (void) pthread_once(&crypto_once, crypto_load);
        h->ctx = crypto.EVP_MD_CTX_new();
        if (!h->ctx || crypto.EVP_DigestInit_ex(h->ctx, crypto.EVP_sha256(), NULL) != 1) {
                fputs("Error: sha256 init failed\n", stderr);
                abort();
        }
        return h;
}

void den_sha256_update(struct den_sha256 *h, const void *p, size_t n)
{
        if (n)
                (void) crypto.EVP_DigestUpdate(h->ctx, p, n);
}

void den_sha256_final(struct den_sha256 *h, char out[72])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char md[32];
        unsigned int len = 0;

        (void) crypto.EVP_DigestFinal_ex(h->ctx, md, &len);
        memcpy(out, "sha256:", 7);
        for (unsigned int i = 0; i < 32; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[8 + 2 * i] = hex[md[i] & 15];
        }
        out[71] = '\0';
        den_sha256_free(h);
}

void den_sha256_free(struct den_sha256 *h)
{
        if (!h)
                return;
        crypto.EVP_MD_CTX_free(h->ctx);
        free(h);
}

void den_sha256_buf(const void *p, size_t n, char out[72])
{
        struct den_sha256 *h = den_sha256_new();

        den_sha256_update(h, p, n);
        den_sha256_final(h, out);
}

bool den_hex_is_valid(const char *s, size_t len)
{
        size_t i;

        for (i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[i] == '\0';
}

bool den_digest_is_valid(const char *s)
{
        if (!s)
                return false;
        if (den_str_has_prefix(s, "sha256:"))
                return den_hex_is_valid(s + 7, 64);
        if (den_str_has_prefix(s, "sha512:"))
                return den_hex_is_valid(s + 7, 128);
        return false;
}

const char *den_digest_hex(const char *digest)
{
        const char *c = strchr(digest, ':');

        return c ? c + 1 : digest;
}
