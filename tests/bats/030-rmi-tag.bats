#!/usr/bin/env bats
# den rmi, tag, untag, image prune: names, layer garbage collection, exit codes.

load helpers

setup() {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
}

layer_count() {
    find "$BATS_TEST_TMPDIR/root/layers" -mindepth 1 -maxdepth 1 ! -name '.*' | wc -l
}

@test "rmi: by name removes the image and its layers" {
    [ "$(layer_count)" -gt 0 ]
    run_den rmi "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
    assert_line "Untagged: $DEN_TEST_REGISTRY/test/busybox:latest"
    assert_line "Deleted: $DEN_TEST_BUSYBOX_ID"
    [ "$(layer_count)" -eq 0 ]
    run_den images -q
    assert_output ""
    run find "$BATS_TEST_TMPDIR/root/blobs" -type f
    assert_output ""
}

@test "rmi: by short ID, by ID prefix and by short name" {
    run_den rmi "${DEN_TEST_BUSYBOX_ID:0:12}"
    assert_success
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    run_den rmi "${DEN_TEST_BUSYBOX_ID:0:5}"
    assert_success
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    run_den rmi test/busybox
    assert_success
    assert_line "Deleted: $DEN_TEST_BUSYBOX_ID"
}

@test "rmi: a name of an image with several names only untags it" {
    run_den tag test/busybox mybox:1
    assert_success
    run_den rmi mybox:1
    assert_success
    assert_output "Untagged: localhost/mybox:1"
    run_den image exists "$DEN_TEST_BUSYBOX_ID"
    assert_success
}

@test "rmi: by ID with several names needs -f" {
    run_den tag test/busybox mybox:1
    run_den rmi "$DEN_TEST_BUSYBOX_ID"
    assert_failure 125
    assert_output --partial "force"
    run_den rmi -f "$DEN_TEST_BUSYBOX_ID"
    assert_success
    assert_line "Untagged: localhost/mybox:1"
    assert_line "Deleted: $DEN_TEST_BUSYBOX_ID"
}

@test "rmi: a missing image exits 1 with podman's message; -i ignores it" {
    run_den rmi nosuchimage
    assert_failure 1
    assert_output "Error: nosuchimage: image not known"
    run_den rmi -i nosuchimage
    assert_success
}

@test "rmi: -a removes everything; -a with names is an error" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/zstd:latest"
    run_den rmi -a test/busybox
    assert_failure 125
    run_den rmi -a
    assert_success
    run_den images -q
    assert_output ""
    [ "$(layer_count)" -eq 0 ]
}

@test "rmi: a layer shared with another image stays" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox-docker:latest"
    assert_success
    local n
    n=$(layer_count)
    run_den rmi "$DEN_TEST_REGISTRY/test/busybox-docker:latest"
    assert_success
    [ "$(layer_count)" -eq "$n" ]
    run_den image exists test/busybox
    assert_success
}

@test "tag: unqualified names get localhost/; bad names are errors" {
    run_den tag test/busybox mybox
    assert_success
    # podman lists every name of an image the filter matches
    run_den images --format '{{.Repository}}:{{.Tag}}' --filter reference=mybox
    assert_line "localhost/mybox:latest"
    assert_line "$DEN_TEST_REGISTRY/test/busybox:latest"
    run_den tag test/busybox 'Bad:Name:x'
    assert_failure 125
    assert_output --partial "Bad:Name:x"
    run_den tag nosuchimage x
    assert_failure 125
    assert_output --partial "nosuchimage: image not known"
}

@test "untag: one name, then all names" {
    run_den tag test/busybox mybox:1 mybox:2
    run_den untag test/busybox mybox:1
    assert_success
    run_den images --format '{{.Repository}}:{{.Tag}}'
    refute_line "localhost/mybox:1"
    assert_line "localhost/mybox:2"
    run_den untag "$DEN_TEST_BUSYBOX_ID"
    assert_success
    run_den images --format '{{.Repository}}:{{.Tag}}'
    assert_output "<none>:<none>"
}

@test "image prune: removes dangling images only, with -f" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/zstd:latest"
    local zid=$output
    run_den untag "$zid"
    run_den image prune -f
    assert_success
    assert_output "$zid"
    run_den image exists "$zid"
    assert_failure 1
    run_den image exists test/busybox
    assert_success
}

@test "image prune: without -f asks, and no answer keeps everything" {
    run_den untag test/busybox
    run_den image prune </dev/null
    assert_success
    run_den images -q
    assert_output "${DEN_TEST_BUSYBOX_ID:0:12}"
}
