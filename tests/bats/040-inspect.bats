#!/usr/bin/env bats
# den image inspect, inspect, image exists.

load helpers

setup() {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
}

@test "image inspect: podman's fields" {
    run_den image inspect test/busybox
    assert_success
    local j=$output
    [ "$(jq -r '.[0].Id' <<<"$j")" = "$DEN_TEST_BUSYBOX_ID" ]
    [ "$(jq -r '.[0].Digest' <<<"$j")" = "$DEN_TEST_BUSYBOX_DIGEST" ]
    [ "$(jq -r '.[0].RepoTags[0]' <<<"$j")" = "$DEN_TEST_REGISTRY/test/busybox:latest" ]
    [ "$(jq -r '.[0].RepoDigests[0]' <<<"$j")" = "$DEN_TEST_REGISTRY/test/busybox@$DEN_TEST_BUSYBOX_DIGEST" ]
    [ "$(jq -r '.[0].Config.Cmd[0]' <<<"$j")" = "/bin/sh" ]
    [ "$(jq -r '.[0].Config.Labels["org.den.test"]' <<<"$j")" = "busybox" ]
    [ "$(jq -r '.[0].Labels["org.den.test"]' <<<"$j")" = "busybox" ]
    [ "$(jq -r '.[0].Architecture' <<<"$j")" = "amd64" ]
    [ "$(jq -r '.[0].Os' <<<"$j")" = "linux" ]
    [ "$(jq -r '.[0].RootFS.Type' <<<"$j")" = "layers" ]
    [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$j")" = 3 ]
    [ "$(jq -r '.[0].History | length' <<<"$j")" = 3 ]
    [ "$(jq -r '.[0].Size > 0' <<<"$j")" = true ]
    [ "$(jq -r '.[0].Created' <<<"$j")" != null ]
}

@test "image inspect: --format templates" {
    run_den image inspect --format '{{.Config.Cmd}} {{index .Config.Labels "org.den.test"}} {{.Os}}' test/busybox
    assert_success
    assert_output "[/bin/sh] busybox linux"
    run_den inspect --format '{{.Id}}' test/busybox
    assert_output "$DEN_TEST_BUSYBOX_ID"
}

@test "image inspect: a missing image is an error" {
    run_den image inspect nosuchimage
    assert_failure 125
    assert_output "Error: nosuchimage: image not known"
}

@test "image exists: 0 when present, 1 when not, no output" {
    run_den image exists test/busybox
    assert_success
    assert_output ""
    run_den image exists "$DEN_TEST_BUSYBOX_ID"
    assert_success
    run_den image exists nosuchimage
    assert_failure 1
    assert_output ""
}
