#!/usr/bin/env bash
# make-dirs-image.sh REGISTRY/REPO:TAG DIR... : pushes an OCI image with one gzip layer per
# directory (each holding DIR at its own path) to a plain-HTTP registry, through an OCI
# layout and skopeo. Used by the benchmarks for images of many small files.
set -euo pipefail
dest=$1; shift
tmp=$(mktemp -d /tmp/den-dirs-image.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/oci/blobs/sha256"
blob() { # FILE -> digest hex; moves FILE into the layout
        local h
        h=$(sha256sum "$1" | cut -d' ' -f1)
        mv "$1" "$tmp/oci/blobs/sha256/$h"
        echo "$h"
}
layers="" diffs=""
for d in "$@"; do
        tar -C / --numeric-owner --sort=name --mtime=@1704067200 -cf "$tmp/l.tar" "${d#/}"
        diff=$(sha256sum "$tmp/l.tar" | cut -d' ' -f1)
        gzip -6 -n "$tmp/l.tar"
        size=$(stat -c %s "$tmp/l.tar.gz")
        h=$(blob "$tmp/l.tar.gz")
        layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$h\",\"size\":$size}"
        diffs+="${diffs:+,}\"sha256:$diff\""
done
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$tmp/c"
csize=$(stat -c %s "$tmp/c")
ch=$(blob "$tmp/c")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' "$ch" "$csize" "$layers" >"$tmp/m"
msize=$(stat -c %s "$tmp/m")
mh=$(blob "$tmp/m")
echo '{"imageLayoutVersion":"1.0.0"}' >"$tmp/oci/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' "$mh" "$msize" >"$tmp/oci/index.json"
skopeo copy -q --dest-tls-verify=false "oci:$tmp/oci:latest" "docker://$dest"
