# shellcheck shell=bash disable=SC2034
# Shared by tests/run, tests/quickstart and the scripts in tests/lib (sourced, not run).
#
# Defines the repository paths, the test user, the fixture cache, and small helpers.

DEN_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DEN_LIB=$DEN_REPO/tests/lib
DEN_CACHE=$DEN_REPO/tests/.cache
DEN_TEST_USER=${DEN_TEST_USER:-dentest}
DEN_TEST_HOME=/home/$DEN_TEST_USER
DEN_PY=/usr/bin/python3

# Credentials of the auth and token registries (test-only values).
DEN_REG_USER=denuser
DEN_REG_PASS=den-secret-pw

den_log() { printf '%s\n' "$*" >&2; }
den_die() {
        printf 'error: %s\n' "$*" >&2
        exit 1
}
den_need_root() { [ "$(id -u)" = 0 ] || den_die "$(basename "$0") must run as root (try sudo)"; }

# A short content hash of files, used as a cache key.
den_key() { cat "$@" | sha256sum | cut -c1-16; }

# Removes cache entries named PREFIX* except KEEP.
den_prune_cache() {
        local prefix=$1 keep=$2 p
        for p in "$DEN_CACHE/$prefix"*; do
                [ -e "$p" ] || continue
                [ "$(basename "$p")" = "$keep" ] && continue
                case "$p" in *.lock) continue ;; esac
                rm -rf --one-file-system "$p"
        done
}

# Prints the directory holding the small fixture images (OCI layouts + images.json),
# building them first when the builder or its inputs changed.
den_fixtures_small() {
        local key dir
        key=$(den_key "$DEN_LIB/build-images.py" /bin/busybox)
        dir=$DEN_CACHE/images-$key
        mkdir -p "$DEN_CACHE"
        (
                flock 9
                if [ ! -f "$dir/images.json" ]; then
                        rm -rf "$dir.tmp"
                        mkdir -p "$dir.tmp"
                        "$DEN_PY" "$DEN_LIB/build-images.py" "$dir.tmp" >&2 || exit 1
                        mv "$dir.tmp" "$dir"
                        den_prune_cache images- "images-$key"
                fi
        ) 9>"$DEN_CACHE/images.lock" || return 1
        printf '%s\n' "$dir"
}

# The Debian image: the debootstrap tar is cached by the hash of build-debian (slow to
# make), the OCI layout made from it by the hash of both scripts (quick to redo).
den_debian_tar() {
        printf '%s\n' "$DEN_CACHE/debian-rootfs-$(den_key "$DEN_LIB/build-debian").tar"
}
den_debian_dir() {
        local tar
        tar=$(den_debian_tar)
        printf '%s\n' "$DEN_CACHE/debian-image-$(basename "$tar" | cat - "$DEN_LIB/build-images.py" | sha256sum | cut -c1-16)"
}
den_debian_ready() { [ -f "$(den_debian_dir)/debian.json" ]; }

# Builds the Debian image if missing; prints its directory.
den_fixtures_debian() {
        local tar dir
        tar=$(den_debian_tar)
        dir=$(den_debian_dir)
        mkdir -p "$DEN_CACHE"
        (
                flock 9
                if [ ! -f "$tar" ]; then
                        "$DEN_LIB/build-debian" "$tar.part" || exit 1
                        mv "$tar.part" "$tar"
                        rm -f "$tar.part.log"
                        den_prune_cache debian-rootfs- "$(basename "$tar")"
                fi
                if [ ! -f "$dir/debian.json" ]; then
                        rm -rf "$dir.tmp"
                        mkdir -p "$dir.tmp"
                        "$DEN_PY" "$DEN_LIB/build-images.py" --debian "$tar" "$dir.tmp" >&2 || exit 1
                        mv "$dir.tmp" "$dir"
                        den_prune_cache debian-image- "$(basename "$dir")"
                fi
        ) 9>"$DEN_CACHE/debian.lock" || return 1
        printf '%s\n' "$dir"
}

# A free TCP port on 127.0.0.1 (the kernel's choice for port 0; the caller retries if
# someone else takes it before it is bound again).
den_free_port() {
        "$DEN_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
