/* libcurl and libarchive, loaded when first used. Linking them costs every den process the
 * loading and relocation of some forty libraries (their own dependencies: TLS, Kerberos,
 * LDAP, compressors...), several times the work of `den ps` or `den exec`, which use neither.
 * So den links neither: the functions it calls are looked up with dlopen/dlsym on first use
 * (thread-safe, once), and the names below are redirected to those pointers in every file
 * that includes this header. Types come from the libraries' own headers (__typeof__), so a
 * call is checked as before. A library that cannot be loaded ends den with a one-line error
 * and 125. To call another function, add it to the list. */
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>

/* the libraries' sonames on this platform (meson passes them) */
#ifndef DEN_LIBCURL
#define DEN_LIBCURL "libcurl.so.4"
#endif
#ifndef DEN_LIBARCHIVE
#define DEN_LIBARCHIVE "libarchive.so.13"
#endif

#define DEN_CURL_FUNCS(X)      \
        X(curl_easy_cleanup)   \
        X(curl_easy_escape)    \
        X(curl_easy_getinfo)   \
        X(curl_easy_init)      \
        X(curl_easy_perform)   \
        X(curl_easy_reset)     \
        X(curl_easy_setopt)    \
        X(curl_easy_strerror)  \
        X(curl_free)           \
        X(curl_global_init)    \
        X(curl_slist_append)   \
        X(curl_slist_free_all) \
        X(curl_url)            \
        X(curl_url_cleanup)    \
        X(curl_url_get)        \
        X(curl_url_set)

#define DEN_ARCHIVE_FUNCS(X)                       \
        X(archive_entry_clear)                     \
        X(archive_entry_filetype)                  \
        X(archive_entry_free)                      \
        X(archive_entry_gid)                       \
        X(archive_entry_hardlink)                  \
        X(archive_entry_mtime)                     \
        X(archive_entry_mtime_nsec)                \
        X(archive_entry_new)                       \
        X(archive_entry_pathname)                  \
        X(archive_entry_perm)                      \
        X(archive_entry_rdevmajor)                 \
        X(archive_entry_rdevminor)                 \
        X(archive_entry_set_filetype)              \
        X(archive_entry_set_gid)                   \
        X(archive_entry_set_hardlink)              \
        X(archive_entry_set_mode)                  \
        X(archive_entry_set_mtime)                 \
        X(archive_entry_set_pathname)              \
        X(archive_entry_set_perm)                  \
        X(archive_entry_set_rdev)                  \
        X(archive_entry_set_rdevmajor)             \
        X(archive_entry_set_rdevminor)             \
        X(archive_entry_set_size)                  \
        X(archive_entry_set_symlink)               \
        X(archive_entry_set_uid)                   \
        X(archive_entry_size)                      \
        X(archive_entry_sparse_add_entry)          \
        X(archive_entry_symlink)                   \
        X(archive_entry_uid)                       \
        X(archive_entry_xattr_add_entry)           \
        X(archive_entry_xattr_next)                \
        X(archive_entry_xattr_reset)               \
        X(archive_error_string)                    \
        X(archive_filter_code)                     \
        X(archive_read_data)                       \
        X(archive_read_data_block)                 \
        X(archive_read_free)                       \
        X(archive_read_new)                        \
        X(archive_read_next_header)                \
        X(archive_read_open)                       \
        X(archive_read_open_fd)                    \
        X(archive_read_support_filter_all)         \
        X(archive_read_support_filter_gzip)        \
        X(archive_read_support_filter_zstd)        \
        X(archive_read_support_format_empty)       \
        X(archive_read_support_format_raw)         \
        X(archive_read_support_format_tar)         \
        X(archive_set_error)                       \
        X(archive_write_add_filter_gzip)           \
        X(archive_write_add_filter_zstd)           \
        X(archive_write_close)                     \
        X(archive_write_data)                      \
        X(archive_write_free)                      \
        X(archive_write_header)                    \
        X(archive_write_new)                       \
        X(archive_write_open)                      \
        X(archive_write_open_fd)                   \
        X(archive_write_set_bytes_in_last_block)   \
        X(archive_write_set_bytes_per_block)       \
        X(archive_write_set_filter_option)         \
        X(archive_write_set_format)                \
        X(archive_write_set_format_option)         \
        X(archive_write_set_format_pax_restricted) \
        X(archive_write_set_format_raw)

#define DEN_LAZY_FIELD(f) __typeof__(&f) f;
struct den_curl_api {
        DEN_CURL_FUNCS(DEN_LAZY_FIELD)
};
struct den_archive_api {
        DEN_ARCHIVE_FUNCS(DEN_LAZY_FIELD)
};
#undef DEN_LAZY_FIELD

const struct den_curl_api *den_curl(void);
const struct den_archive_api *den_archive(void);

#ifndef DEN_LAZY_IMPL
/* curl's type-checking wrappers (typecheck-gcc.h) are macros of the same names */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_easy_cleanup (den_curl()->curl_easy_cleanup)
#define curl_easy_escape (den_curl()->curl_easy_escape)
#define curl_easy_getinfo (den_curl()->curl_easy_getinfo)
#define curl_easy_init (den_curl()->curl_easy_init)
#define curl_easy_perform (den_curl()->curl_easy_perform)
#define curl_easy_reset (den_curl()->curl_easy_reset)
#define curl_easy_setopt (den_curl()->curl_easy_setopt)
#define curl_easy_strerror (den_curl()->curl_easy_strerror)
#define curl_free (den_curl()->curl_free)
#define curl_global_init (den_curl()->curl_global_init)
#define curl_slist_append (den_curl()->curl_slist_append)
#define curl_slist_free_all (den_curl()->curl_slist_free_all)
#define curl_url (den_curl()->curl_url)
#define curl_url_cleanup (den_curl()->curl_url_cleanup)
#define curl_url_get (den_curl()->curl_url_get)
#define curl_url_set (den_curl()->curl_url_set)
#define archive_entry_clear (den_archive()->archive_entry_clear)
#define archive_entry_filetype (den_archive()->archive_entry_filetype)
#define archive_entry_free (den_archive()->archive_entry_free)
#define archive_entry_gid (den_archive()->archive_entry_gid)
#define archive_entry_hardlink (den_archive()->archive_entry_hardlink)
#define archive_entry_mtime (den_archive()->archive_entry_mtime)
#define archive_entry_mtime_nsec (den_archive()->archive_entry_mtime_nsec)
#define archive_entry_new (den_archive()->archive_entry_new)
#define archive_entry_pathname (den_archive()->archive_entry_pathname)
#define archive_entry_perm (den_archive()->archive_entry_perm)
#define archive_entry_rdevmajor (den_archive()->archive_entry_rdevmajor)
#define archive_entry_rdevminor (den_archive()->archive_entry_rdevminor)
#define archive_entry_set_filetype (den_archive()->archive_entry_set_filetype)
#define archive_entry_set_gid (den_archive()->archive_entry_set_gid)
#define archive_entry_set_hardlink (den_archive()->archive_entry_set_hardlink)
#define archive_entry_set_mode (den_archive()->archive_entry_set_mode)
#define archive_entry_set_mtime (den_archive()->archive_entry_set_mtime)
#define archive_entry_set_pathname (den_archive()->archive_entry_set_pathname)
#define archive_entry_set_perm (den_archive()->archive_entry_set_perm)
#define archive_entry_set_rdev (den_archive()->archive_entry_set_rdev)
#define archive_entry_set_rdevmajor (den_archive()->archive_entry_set_rdevmajor)
#define archive_entry_set_rdevminor (den_archive()->archive_entry_set_rdevminor)
#define archive_entry_set_size (den_archive()->archive_entry_set_size)
#define archive_entry_set_symlink (den_archive()->archive_entry_set_symlink)
#define archive_entry_set_uid (den_archive()->archive_entry_set_uid)
#define archive_entry_size (den_archive()->archive_entry_size)
#define archive_entry_sparse_add_entry (den_archive()->archive_entry_sparse_add_entry)
#define archive_entry_symlink (den_archive()->archive_entry_symlink)
#define archive_entry_uid (den_archive()->archive_entry_uid)
#define archive_entry_xattr_add_entry (den_archive()->archive_entry_xattr_add_entry)
#define archive_entry_xattr_next (den_archive()->archive_entry_xattr_next)
#define archive_entry_xattr_reset (den_archive()->archive_entry_xattr_reset)
#define archive_error_string (den_archive()->archive_error_string)
#define archive_filter_code (den_archive()->archive_filter_code)
#define archive_read_data (den_archive()->archive_read_data)
#define archive_read_data_block (den_archive()->archive_read_data_block)
#define archive_read_free (den_archive()->archive_read_free)
#define archive_read_new (den_archive()->archive_read_new)
#define archive_read_next_header (den_archive()->archive_read_next_header)
#define archive_read_open (den_archive()->archive_read_open)
#define archive_read_open_fd (den_archive()->archive_read_open_fd)
#define archive_read_support_filter_all (den_archive()->archive_read_support_filter_all)
#define archive_read_support_filter_gzip (den_archive()->archive_read_support_filter_gzip)
#define archive_read_support_filter_zstd (den_archive()->archive_read_support_filter_zstd)
#define archive_read_support_format_empty (den_archive()->archive_read_support_format_empty)
#define archive_read_support_format_raw (den_archive()->archive_read_support_format_raw)
#define archive_read_support_format_tar (den_archive()->archive_read_support_format_tar)
#define archive_set_error (den_archive()->archive_set_error)
#define archive_write_add_filter_gzip (den_archive()->archive_write_add_filter_gzip)
#define archive_write_add_filter_zstd (den_archive()->archive_write_add_filter_zstd)
#define archive_write_close (den_archive()->archive_write_close)
#define archive_write_data (den_archive()->archive_write_data)
#define archive_write_free (den_archive()->archive_write_free)
#define archive_write_header (den_archive()->archive_write_header)
#define archive_write_new (den_archive()->archive_write_new)
#define archive_write_open (den_archive()->archive_write_open)
#define archive_write_open_fd (den_archive()->archive_write_open_fd)
#define archive_write_set_bytes_in_last_block (den_archive()->archive_write_set_bytes_in_last_block)
#define archive_write_set_bytes_per_block (den_archive()->archive_write_set_bytes_per_block)
#define archive_write_set_filter_option (den_archive()->archive_write_set_filter_option)
#define archive_write_set_format (den_archive()->archive_write_set_format)
#define archive_write_set_format_option (den_archive()->archive_write_set_format_option)
#define archive_write_set_format_pax_restricted \
        (den_archive()->archive_write_set_format_pax_restricted)
#define archive_write_set_format_raw (den_archive()->archive_write_set_format_raw)
#endif
