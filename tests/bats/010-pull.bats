#!/usr/bin/env bats
# den pull: registries (plain, TLS, basic and token auth), formats, platforms, verification.

load helpers

@test "pull: plain registry prints progress and the image ID" {
    run_den --separate-stderr pull --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"
    [[ "$stderr" == *"Trying to pull $DEN_TEST_REGISTRY/test/busybox:latest..."* ]]
    [[ "$stderr" == *"Copying blob sha256:"* ]]
    [[ "$stderr" == *"Writing manifest to image destination"* ]]

    run_den images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
    assert_success
    assert_output "$DEN_TEST_REGISTRY/test/busybox:latest ${DEN_TEST_BUSYBOX_ID:0:12}"
}

@test "pull: -q prints only the image ID" {
    run_den --separate-stderr pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"
    [ -z "$stderr" ]
}

@test "pull: a registry marked insecure in registries.conf needs no flag" {
    registries_conf
    run_den pull -q "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"
}

@test "pull: an https registry without its CA in certs.d fails" {
    mkdir "$BATS_TEST_TMPDIR/no-certs"
    run_den pull -q --cert-dir "$BATS_TEST_TMPDIR/no-certs" "$DEN_TEST_REGISTRY_TLS/test/busybox:latest"
    assert_failure 125
    assert_output --partial "certificate"
}

@test "pull: by digest" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox@$DEN_TEST_BUSYBOX_DIGEST"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"
    run_den images --format '{{.Repository}} {{.Tag}}'
    assert_output "$DEN_TEST_REGISTRY/test/busybox <none>"
    run_den image inspect --format '{{index .RepoDigests 0}}' "$DEN_TEST_BUSYBOX_ID"
    assert_output "$DEN_TEST_REGISTRY/test/busybox@$DEN_TEST_BUSYBOX_DIGEST"
}

@test "pull: by a wrong digest fails and stores nothing" {
    local bad=sha256:0000000000000000000000000000000000000000000000000000000000000000
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox@$bad"
    assert_failure 125
    assert_output --partial "manifest unknown"
    run_den images -q
    assert_output ""
}

@test "pull: docker v2s2, zstd and uncompressed layers" {
    for img in busybox-docker zstd plain; do
        run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/$img:latest"
        assert_success
    done
    run_den image inspect --format '{{.ManifestType}}' "$DEN_TEST_REGISTRY/test/busybox-docker"
    assert_output "application/vnd.docker.distribution.manifest.v2+json"
    run_den images --format '{{.Repository}}' --filter reference='*zstd*'
    assert_output "$DEN_TEST_REGISTRY/test/zstd"
}

@test "pull: an index picks this host's platform, --platform and --arch pick others" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/multiarch:latest"
    assert_success
    run_den image inspect --format '{{.Architecture}}' "$DEN_TEST_REGISTRY/test/multiarch"
    assert_output "amd64"

    run_den pull -q --tls-verify=false --platform linux/arm64 "$DEN_TEST_REGISTRY/test/multiarch:latest"
    assert_success
    run_den image inspect --format '{{.Architecture}}/{{.Variant}}' "$DEN_TEST_REGISTRY/test/multiarch"
    assert_output "arm64/v8"

    run_den pull -q --tls-verify=false --arch s390x "$DEN_TEST_REGISTRY/test/multiarch:latest"
    assert_failure 125
    assert_output --partial "s390x"
}

@test "pull: a malformed --platform is an error" {
    run_den pull --tls-verify=false --platform linux "$DEN_TEST_REGISTRY/test/busybox"
    assert_failure 125
    assert_output --partial 'invalid platform "linux"'
}

@test "pull: an unknown image is a clear error and stores nothing" {
    run_den pull --tls-verify=false "$DEN_TEST_REGISTRY/test/no-such-image:latest"
    assert_failure 125
    assert_output --partial "manifest unknown"
    assert_output --partial "test/no-such-image"
    [ ! -e "$BATS_TEST_TMPDIR/root/images.json" ] || [ "$(jq length "$BATS_TEST_TMPDIR/root/images.json")" = 0 ]
}

@test "pull: a registry that is down is a clear error" {
    local port
    port=$(free_port)
    run_den pull --tls-verify=false "127.0.0.1:$port/test/busybox:latest"
    assert_failure 125
    assert_output --partial "127.0.0.1:$port"
    assert_output --partial "onnection refused"
}

@test "pull: an invalid reference is a clear error" {
    run_den pull "Not/A/Valid:Ref:erence"
    assert_failure 125
    assert_output --partial "Not/A/Valid:Ref:erence"
}

@test "pull: basic auth with --creds, and a wrong password refused without echoing it" {
    run_den pull -q --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" "$DEN_TEST_REGISTRY_AUTH/test/busybox:latest"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"

    run_den pull -q --creds "$DEN_TEST_REG_USER:wrong-pw-9876" "$DEN_TEST_REGISTRY_AUTH/test/zstd:latest"
    assert_failure 125
    assert_output --partial "unauthorized"
    refute_output --partial "wrong-pw-9876"
}

@test "pull: bearer token auth" {
    run_den pull -q --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" "$DEN_TEST_REGISTRY_TOKEN/test/busybox:latest"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"

    run_den pull -q --creds "$DEN_TEST_REG_USER:bad-token-pw" "$DEN_TEST_REGISTRY_TOKEN/test/busybox:latest"
    assert_failure 125
    refute_output --partial "bad-token-pw"
}

@test "pull: TLS registry trusted through certs.d" {
    run_den pull -q "$DEN_TEST_REGISTRY_TLS/test/busybox:latest"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"
}

@test "pull: a tampered blob fails naming the digest and leaves the store unchanged" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
    local before
    before=$(store_snapshot)
    run_den pull --tls-verify=false "$DEN_TEST_REGISTRY/test/tampered:latest"
    assert_failure 125
    assert_output --partial "digest mismatch"
    assert_output --partial "sha256:"
    [ "$(store_snapshot)" = "$before" ]
}

@test "pull: a layer whose diff_id does not match its config fails and leaves the store unchanged" {
    seed_store
    local before
    before=$(store_snapshot)
    run_den pull --tls-verify=false "$DEN_TEST_REGISTRY/test/bad-diffid:latest"
    assert_failure 125
    assert_output --partial "mismatch"
    [ "$(store_snapshot)" = "$before" ]
}

@test "pull: owners inside the image map to subordinate ids on disk" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
    local f
    f=$(find "$BATS_TEST_TMPDIR/root/layers" -path '*/diff/home/user/owned')
    [ -n "$f" ]
    local start
    start=$(awk -F: -v u="$(id -un)" '$1 == u { print $2; exit }' /etc/subuid)
    [ "$(stat -c %u:%g "$f")" = "$((start + 999)):$((start + 999))" ]
    [ "$(stat -c %a "$f")" = 640 ]
    # files of root inside the image belong to the user
    [ "$(stat -c %u "$(dirname "$f")/..")" = "$(id -u)" ]
}

@test "pull: a new store's layers and containers start trees of their own on ext4" {
    # ext4's top-directory flag (lsattr's T): each layer lands in a block group of its own
    # choosing (store_dir_spread_at)
    [ "$(stat -f -c %T "$BATS_TEST_TMPDIR")" = ext2/ext3 ] ||
        skip_strict "the test directory is not on ext4"
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
    run_den create "$DEN_TEST_REGISTRY/test/busybox:latest" true
    assert_success
    run lsattr -d "$BATS_TEST_TMPDIR/root/layers" "$BATS_TEST_TMPDIR/root/containers"
    assert_success
    assert_line --regexp '^[^ ]*T[^ ]* .*/root/layers$'
    assert_line --regexp '^[^ ]*T[^ ]* .*/root/containers$'
    run_den rm -a
    assert_success
}

@test "pull: whiteouts and opaque directories are stored in overlay form" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
    local wh
    wh=$(find "$BATS_TEST_TMPDIR/root/layers" -path '*/diff/etc/deleted-later' -type c)
    [ -n "$wh" ]
    [ "$(stat -c %t:%T "$wh")" = "0:0" ]
    local opq
    for d in "$BATS_TEST_TMPDIR"/root/layers/*/diff/data/opaque; do
        if [ -e "$d/c" ]; then opq=$d; fi
    done
    [ -n "$opq" ]
    run python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.overlay.opaque").decode())' "$opq"
    assert_output "y"
    run find "$BATS_TEST_TMPDIR/root/layers" -name '.wh.*'
    assert_output ""
}

@test "pull: two concurrent pulls of images sharing layers both succeed" {
    den_raw pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest" >"$BATS_TEST_TMPDIR/a" 2>&1 &
    local pa=$!
    den_raw pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox-docker:latest" >"$BATS_TEST_TMPDIR/b" 2>&1 &
    local pb=$!
    wait $pa
    wait $pb
    run_den images --format '{{.Repository}}'
    assert_line "$DEN_TEST_REGISTRY/test/busybox"
    assert_line "$DEN_TEST_REGISTRY/test/busybox-docker"
    # the docker-format copy has the same diff_ids: every layer is stored once
    local n
    n=$(find "$BATS_TEST_TMPDIR/root/layers" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l)
    run_den image inspect --format '{{len .RootFS.Layers}}' "$DEN_TEST_REGISTRY/test/busybox"
    [ "$n" = "$output" ]
}

@test "pull: short names resolve through search registries and aliases" {
    registries_conf "unqualified-search-registries = [\"$DEN_TEST_REGISTRY\"]
[aliases]
\"mybox\" = \"$DEN_TEST_REGISTRY/test/zstd\""
    run_den pull -q test/busybox
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"
    run_den --separate-stderr pull mybox
    assert_success
    [[ "$stderr" == *"Trying to pull $DEN_TEST_REGISTRY/test/zstd:latest"* ]]
}

@test "pull: an ambiguous short name without a terminal is an error" {
    registries_conf "unqualified-search-registries = [\"$DEN_TEST_REGISTRY\", \"$DEN_TEST_REGISTRY_TLS\"]
short-name-mode = \"enforcing\""
    run_den pull test/busybox </dev/null
    assert_failure 125
    assert_output --partial "short-name"
    assert_output --partial "test/busybox"
}

@test "pull: a short name with no search registries is an error" {
    # (a name without an alias: Debian's shortnames.conf drop-in aliases "busybox")
    registries_conf 'unqualified-search-registries = []'
    run_den pull den-test-noalias
    assert_failure 125
    assert_output --partial 'short-name "den-test-noalias"'
}
