#!/usr/bin/env bats
# The test environment itself, checked with tools other than den (skopeo, curl), so that a
# failure elsewhere can be trusted to be den's.

load helpers

# skopeo as this user, with no stored credentials of its own.
sk() {
        skopeo --insecure-policy "$@"
}

@test "fixtures: an unprivileged user with subordinate id ranges and usable devices" {
        [ "$(id -u)" -ne 0 ]
        local f n
        for f in /etc/subuid /etc/subgid; do
                n=$(awk -F: -v u="$(id -un)" '$1 == u { print $3; exit }' "$f")
                [ -n "$n" ]
                [ "$n" -ge 65536 ]
        done
        [ -u /usr/bin/newuidmap ] || [ -n "$(getcap /usr/bin/newuidmap 2>/dev/null)" ]
        [ -r /dev/fuse ]
        [ -w /dev/fuse ]
        [ -r /dev/net/tun ]
        [ -w /dev/net/tun ]
        [ -d "$XDG_RUNTIME_DIR" ]
        [ -O "$XDG_RUNTIME_DIR" ]
        # a user namespace with the full mapping can be made (what den does on pull and run)
        run unshare --user --map-root-user true
        assert_success
}

@test "fixtures: the plain registry serves test/busybox with the recorded digests" {
        run sk inspect --tls-verify=false --format '{{.Digest}} {{.Architecture}}' \
                "docker://$DEN_TEST_REGISTRY/test/busybox:latest"
        assert_success
        assert_output "$DEN_TEST_BUSYBOX_DIGEST $(dpkg --print-architecture)"
        run sk inspect --tls-verify=false --config "docker://$DEN_TEST_REGISTRY/test/busybox:latest"
        assert_success
        [ "$(jq -r '.config.Labels["org.den.test"]' <<<"$output")" = busybox ]
        [ "$(jq -r '.rootfs.diff_ids | length' <<<"$output")" = 3 ]
        run curl -sf "http://$DEN_TEST_REGISTRY/v2/test/busybox/blobs/sha256:$DEN_TEST_BUSYBOX_ID"
        assert_success
        [ "sha256:$(printf '%s' "$output" | sha256sum | cut -d' ' -f1)" = "sha256:$DEN_TEST_BUSYBOX_ID" ]
}

@test "fixtures: the TLS registry is trusted through the user's certs.d, and only through it" {
        [ -f "$HOME/.config/containers/certs.d/$DEN_TEST_REGISTRY_TLS/ca.crt" ]
        run sk inspect --format '{{.Digest}}' "docker://$DEN_TEST_REGISTRY_TLS/test/busybox:latest"
        assert_success
        assert_output "$DEN_TEST_BUSYBOX_DIGEST"
        mkdir "$BATS_TEST_TMPDIR/empty"
        run sk inspect --cert-dir "$BATS_TEST_TMPDIR/empty" "docker://$DEN_TEST_REGISTRY_TLS/test/busybox:latest"
        assert_failure
        assert_output --partial "certificate signed by unknown authority"
}

@test "fixtures: the basic-auth registry serves test/busybox to the right password only" {
        run sk inspect --format '{{.Digest}}' --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" \
                "docker://$DEN_TEST_REGISTRY_AUTH/test/busybox:latest"
        assert_success
        assert_output "$DEN_TEST_BUSYBOX_DIGEST"
        run sk inspect --creds "$DEN_TEST_REG_USER:wrong-password" "docker://$DEN_TEST_REGISTRY_AUTH/test/busybox:latest"
        assert_failure
        assert_output --partial "unauthorized"
        run sk inspect --no-creds "docker://$DEN_TEST_REGISTRY_AUTH/test/busybox:latest"
        assert_failure
        assert_output --partial "unauthorized"
}

@test "fixtures: the token registry serves test/busybox to the right password, public/ to anyone" {
        run sk inspect --format '{{.Digest}}' --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" \
                "docker://$DEN_TEST_REGISTRY_TOKEN/test/busybox:latest"
        assert_success
        assert_output "$DEN_TEST_BUSYBOX_DIGEST"
        run sk inspect --creds "$DEN_TEST_REG_USER:wrong-password" "docker://$DEN_TEST_REGISTRY_TOKEN/test/busybox:latest"
        assert_failure
        assert_output --partial "invalid username or password"
        run sk inspect --no-creds "docker://$DEN_TEST_REGISTRY_TOKEN/test/busybox:latest"
        assert_failure
        assert_output --partial "denied"
        run sk inspect --no-creds --format '{{.Digest}}' "docker://$DEN_TEST_REGISTRY_TOKEN/public/busybox:latest"
        assert_success
        assert_output "$DEN_TEST_BUSYBOX_DIGEST"
        # the token server saw a bearer request naming the repository and action
        grep -q "scopes=repository:public/busybox:pull granted=repository:public/busybox:pull" "$DEN_TEST_TOKEN_LOG"
}

@test "fixtures: formats, platforms and the broken images are what the tests expect" {
        run sk inspect --tls-verify=false --raw "docker://$DEN_TEST_REGISTRY/test/busybox-docker:latest"
        assert_success
        [ "$(jq -r .mediaType <<<"$output")" = application/vnd.docker.distribution.manifest.v2+json ]
        run sk inspect --tls-verify=false --raw "docker://$DEN_TEST_REGISTRY/test/zstd:latest"
        [ "$(jq -r '.layers[0].mediaType' <<<"$output")" = application/vnd.oci.image.layer.v1.tar+zstd ]
        run sk inspect --tls-verify=false --raw "docker://$DEN_TEST_REGISTRY/test/plain:latest"
        [ "$(jq -r '.layers[0].mediaType' <<<"$output")" = application/vnd.oci.image.layer.v1.tar ]
        run sk inspect --tls-verify=false --raw "docker://$DEN_TEST_REGISTRY/test/multiarch:latest"
        assert_success
        [ "$(jq -r '[.manifests[].platform | .architecture + "/" + (.variant // "")] | join(" ")' <<<"$output")" = "amd64/ arm64/v8" ]
        run sk inspect --tls-verify=false --override-arch arm64 --override-variant v8 --config \
                "docker://$DEN_TEST_REGISTRY/test/multiarch:latest"
        [ "$(jq -r '.config.Labels["org.den.test.arch"]' <<<"$output")" = arm64 ]

        # the tampered layer's bytes no longer match the digest the manifest names
        local got
        run curl -sf -o "$BATS_TEST_TMPDIR/t" "http://$DEN_TEST_REGISTRY/v2/test/tampered/blobs/$DEN_TEST_TAMPERED_BLOB"
        assert_success
        [ -s "$BATS_TEST_TMPDIR/t" ]
        got=$(sha256sum <"$BATS_TEST_TMPDIR/t" | cut -d' ' -f1)
        [ "sha256:$got" != "$DEN_TEST_TAMPERED_BLOB" ]

        # bad-diffid: the layer is intact, the config's diff_id is not its content
        local layer diffid
        layer=${DEN_TEST_BAD_DIFFID_LAYERS%% *}
        got=$(curl -sf "http://$DEN_TEST_REGISTRY/v2/test/bad-diffid/blobs/$layer" | tee "$BATS_TEST_TMPDIR/l" | sha256sum | cut -d' ' -f1)
        [ "sha256:$got" = "$layer" ]
        diffid=$(curl -sf "http://$DEN_TEST_REGISTRY/v2/test/bad-diffid/blobs/sha256:$DEN_TEST_BAD_DIFFID_ID" | jq -r '.rootfs.diff_ids[0]')
        [[ $diffid == sha256:* ]]
        [ "sha256:$(gzip -dc "$BATS_TEST_TMPDIR/l" | sha256sum | cut -d' ' -f1)" != "$diffid" ]
}

@test "fixtures: every hostile image holds the entry it is named for" {
        layer_entries() { # IMAGE -> the tar listing of all its layers
                local l
                for l in $1; do
                        curl -sf "http://$DEN_TEST_REGISTRY/v2/$2/blobs/$l" | gzip -dc | tar -tvf - 2>/dev/null
                done
        }
        run layer_entries "$DEN_TEST_EVIL_DOTDOT_LAYERS" test/evil-dotdot
        assert_line --partial " ../../escape"
        run layer_entries "$DEN_TEST_EVIL_ABS_LAYERS" test/evil-abs
        assert_line --partial " /abs-escape"
        run layer_entries "$DEN_TEST_EVIL_SYMLINK_LAYERS" test/evil-symlink
        assert_line --partial " link -> /tmp/den-evil-target"
        assert_line --partial " link/pwned"
        run layer_entries "$DEN_TEST_EVIL_SYMLINK_SAME_LAYERS" test/evil-symlink-same
        assert_line --partial " link -> /tmp/den-evil-target"
        assert_line --partial " link/pwned"
        run layer_entries "$DEN_TEST_EVIL_HARDLINK_LAYERS" test/evil-hardlink
        assert_line --partial " h link to "
}

@test "fixtures: the Debian image is in every registry" {
        [ "${DEN_TEST_DEBIAN_READY:-0}" = 1 ] || skip_strict "test/debian was not pushed"
        run sk inspect --tls-verify=false --format '{{.Digest}}' "docker://$DEN_TEST_REGISTRY/test/debian:bookworm"
        assert_success
        assert_output "$DEN_TEST_DEBIAN_DIGEST"
        run sk inspect --format '{{.Digest}}' --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" \
                "docker://$DEN_TEST_REGISTRY_TOKEN/test/debian:bookworm"
        assert_output "$DEN_TEST_DEBIAN_DIGEST"
}
