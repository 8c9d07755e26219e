#!/usr/bin/env bats
# den images: table, quiet, digests, filters, --format json and templates.

load helpers

setup() {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
}

@test "images: the default table" {
    run_den images
    assert_success
    assert_line --index 0 --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
    assert_line --index 1 --regexp "^$DEN_TEST_REGISTRY/test/busybox +latest +${DEN_TEST_BUSYBOX_ID:0:12} +.* ago +[0-9.]+ [kM]?B$"
    [ "${#lines[@]}" -eq 2 ]
}

@test "images: --noheading drops the header line" {
    run_den images --noheading
    assert_success
    assert_output --regexp "^$DEN_TEST_REGISTRY/test/busybox +latest +${DEN_TEST_BUSYBOX_ID:0:12} "
    [ "${#lines[@]}" -eq 1 ]
}

@test "images: an empty store prints only the header" {
    run den_raw --root "$BATS_TEST_TMPDIR/empty" images
    assert_success
    assert_output --regexp '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$'
}

@test "images: -q, --no-trunc and --digests" {
    run_den images -q
    assert_output "${DEN_TEST_BUSYBOX_ID:0:12}"
    run_den images -q --no-trunc
    assert_output "sha256:$DEN_TEST_BUSYBOX_ID"
    run_den images --digests
    assert_line --index 0 --regexp '^REPOSITORY +TAG +DIGEST +IMAGE ID +CREATED +SIZE$'
    assert_output --partial "$DEN_TEST_BUSYBOX_DIGEST"
}

@test "images: one row per name, one ID with -q" {
    run_den tag "$DEN_TEST_BUSYBOX_ID" mybox:1 other/box:2
    assert_success
    run_den images --format '{{.Repository}}:{{.Tag}}'
    assert_line "localhost/mybox:1"
    assert_line "localhost/other/box:2"
    assert_line "$DEN_TEST_REGISTRY/test/busybox:latest"
    [ "${#lines[@]}" -eq 3 ]
    run_den images -q
    assert_output "${DEN_TEST_BUSYBOX_ID:0:12}"
}

@test "images: --format json is podman's shape" {
    run_den images --format json
    assert_success
    [ "$(jq -r '.[0].Id' <<<"$output")" = "$DEN_TEST_BUSYBOX_ID" ]
    [ "$(jq -r '.[0].RepoTags[0]' <<<"$output")" = "$DEN_TEST_REGISTRY/test/busybox:latest" ]
    [ "$(jq -r '.[0].Digest' <<<"$output")" = "$DEN_TEST_BUSYBOX_DIGEST" ]
    [ "$(jq -r '.[0].Labels["org.den.test"]' <<<"$output")" = "busybox" ]
    [ "$(jq -r '.[0].Size > 1000000' <<<"$output")" = true ]
    [ "$(jq -r '.[0].Dangling' <<<"$output")" = null ] || [ "$(jq -r '.[0].Dangling' <<<"$output")" = false ]
}

@test "images: templates with functions and table prefix" {
    run_den images --format '{{.ID | upper}} {{json .RepoTags}} {{len .Names}}'
    assert_success
    assert_output "$(tr a-f A-F <<<"${DEN_TEST_BUSYBOX_ID:0:12}") [\"$DEN_TEST_REGISTRY/test/busybox:latest\"] 1"
    run_den images --format 'table {{.ID}}\t{{.Tag}}'
    assert_line --index 0 --regexp '^IMAGE ID +TAG$'
    assert_line --index 1 "${DEN_TEST_BUSYBOX_ID:0:12}  latest"
}

@test "images: a malformed template is an error naming the position" {
    run_den images --format '{{.ID'
    assert_failure 125
    assert_output --partial "template"
    run_den images --format '{{nosuchfunc .ID}}'
    assert_failure 125
    assert_output --partial 'function "nosuchfunc" not defined'
}

@test "images: --filter reference, dangling and label" {
    run_den images --format '{{.Repository}}' --filter reference=nomatch
    assert_output ""
    run_den images --format '{{.Repository}}' --filter 'reference=*busybox*'
    assert_output "$DEN_TEST_REGISTRY/test/busybox"
    run_den images --format '{{.Repository}}' --filter label=org.den.test=busybox
    assert_output "$DEN_TEST_REGISTRY/test/busybox"
    run_den images --format '{{.Repository}}' --filter label=org.den.test=other
    assert_output ""
    run_den images -q --filter dangling=true
    assert_output ""
    run_den images --filter bogus=1
    assert_failure 125
    assert_output --partial 'invalid image filter "bogus=1"'
}

@test "images: an image that loses its name becomes dangling" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/zstd:latest"
    assert_success
    local zid=$output
    run_den tag "$zid" "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
    run_den images -q --no-trunc --filter dangling=true
    assert_output "sha256:$DEN_TEST_BUSYBOX_ID"
    run_den images --format '{{.Repository}} {{.Tag}}' --filter dangling=true
    assert_output "<none> <none>"
}
