/* Loading libcurl and libarchive on first use: see lazy.h. */
#define DEN_LAZY_IMPL
#include "image/lazy.h"

#include <dlfcn.h>
#include <pthread.h>

#include "util/util.h"

static struct den_curl_api curl_api;
static struct den_archive_api archive_api;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static pthread_once_t archive_once = PTHREAD_ONCE_INIT;

/* Nothing sensible can go on without the library: the message is den's usual one line. */
static _Noreturn void load_fail(const char *lib, const char *why)
{
        fprintf(stderr, "Error: load %s: %s\n", lib, why ? why : "unknown error");
        _exit(125);
}

static void *lib_open(const char *name)
{
        void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);

        if (!h)
                load_fail(name, dlerror());
        return h;
}

/* dlsym's void * into a function pointer field, without a cast between object and function
 * pointers */
#define LOAD(api, lib, h, f)                             \
        do {                                             \
                void *p_ = dlsym(h, #f);                 \
                if (!p_)                                 \
                        load_fail(lib, "no symbol " #f); \
                memcpy(&(api).f, &p_, sizeof(p_));       \
        } while (0);

static void curl_load(void)
{
        void *h = lib_open(DEN_LIBCURL);

#define X(f) LOAD(curl_api, DEN_LIBCURL, h, f)
        DEN_CURL_FUNCS(X)
#undef X
}

static void archive_load(void)
{
        void *h = lib_open(DEN_LIBARCHIVE);

#define X(f) LOAD(archive_api, DEN_LIBARCHIVE, h, f)
        DEN_ARCHIVE_FUNCS(X)
#undef X
}

const struct den_curl_api *den_curl(void)
{
        (void) pthread_once(&curl_once, curl_load);
        return &curl_api;
}

const struct den_archive_api *den_archive(void)
{
        (void) pthread_once(&archive_once, archive_load);
        return &archive_api;
}
