#!/usr/bin/env bats
# den push, checked by skopeo: digests, formats, layers rebuilt for another registry.

load helpers

setup() {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
}

@test "push: to a new repository on the same registry keeps the manifest digest" {
    local repo="den/pushed-$BATS_TEST_NUMBER-$RANDOM"
    run_den push --tls-verify=false --digestfile "$BATS_TEST_TMPDIR/digest" \
        test/busybox "$DEN_TEST_REGISTRY/$repo:v1"
    assert_success
    run skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$DEN_TEST_REGISTRY/$repo:v1"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_DIGEST"
    [ "$(cat "$BATS_TEST_TMPDIR/digest")" = "$DEN_TEST_BUSYBOX_DIGEST" ]
}

@test "push: to another registry rebuilds every layer with its diff_id" {
    local repo="den/rebuilt-$BATS_TEST_NUMBER-$RANDOM"
    run_den push --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" --digestfile "$BATS_TEST_TMPDIR/digest" \
        test/busybox "$DEN_TEST_REGISTRY_AUTH/$repo:latest"
    assert_success
    # skopeo verifies every blob's digest while copying
    run skopeo copy --src-creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" \
        "docker://$DEN_TEST_REGISTRY_AUTH/$repo:latest" "dir:$BATS_TEST_TMPDIR/copy"
    assert_success
    run skopeo inspect --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" --config \
        "docker://$DEN_TEST_REGISTRY_AUTH/$repo:latest"
    assert_success
    local want
    want=$(den_raw image inspect --format '{{json .RootFS.Layers}}' test/busybox)
    [ "$(jq -c .rootfs.diff_ids <<<"$output")" = "$want" ]
    run skopeo inspect --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" --format '{{.Digest}}' \
        "docker://$DEN_TEST_REGISTRY_AUTH/$repo:latest"
    [ "$output" = "$(cat "$BATS_TEST_TMPDIR/digest")" ]

    # pulling it back gives the same image
    run den_raw --root "$BATS_TEST_TMPDIR/root2" --runroot "$BATS_TEST_TMPDIR/run2" \
        pull -q --creds "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" "$DEN_TEST_REGISTRY_AUTH/$repo:latest"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"
}

@test "push: --format v2s2 writes a docker manifest" {
    local repo="den/v2s2-$BATS_TEST_NUMBER-$RANDOM"
    run_den push --tls-verify=false --format v2s2 test/busybox "$DEN_TEST_REGISTRY/$repo:latest"
    assert_success
    run skopeo inspect --tls-verify=false --raw "docker://$DEN_TEST_REGISTRY/$repo:latest"
    assert_success
    [ "$(jq -r .mediaType <<<"$output")" = "application/vnd.docker.distribution.manifest.v2+json" ]
    [ "$(jq -r .config.digest <<<"$output")" = "sha256:$DEN_TEST_BUSYBOX_ID" ]
}

@test "push: errors" {
    run_den push --tls-verify=false nosuchimage "$DEN_TEST_REGISTRY/den/x:1"
    assert_failure 125
    assert_output --partial "nosuchimage: image not known"
    run_den push --tls-verify=false test/busybox justaname
    assert_failure 125
    assert_output --partial "must name a registry"
    run_den push --creds "$DEN_TEST_REG_USER:wrongpw-77" test/busybox "$DEN_TEST_REGISTRY_AUTH/den/x:1"
    assert_failure 125
    refute_output --partial "wrongpw-77"
    run_den push --tls-verify=false --format bogus test/busybox "$DEN_TEST_REGISTRY/den/x:1"
    assert_failure 125
}
