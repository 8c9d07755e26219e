#!/usr/bin/env bats
# den info and den version under podman's field names.

load helpers

@test "info: podman's template fields" {
    run_den info --format '{{.Host.OCIRuntime.Name}}|{{.Store.GraphDriverName}}|{{.Store.RunRoot}}|{{.Store.GraphRoot}}|{{.Host.NetworkBackend}}|{{.Version.Version}}'
    assert_success
    assert_output "den|overlay|$BATS_TEST_TMPDIR/run|$BATS_TEST_TMPDIR/root|slirp4netns|$(den_raw version --format '{{.Client.Version}}')"
}

@test "info: id mappings come from /etc/subuid" {
    local start count
    IFS=: read -r _ start count < <(grep "^$(id -un):" /etc/subuid | head -1)
    run_den info --format '{{range .Host.IDMappings.UIDMap}}{{.ContainerID}}:{{.HostID}}:{{.Size}} {{end}}'
    assert_success
    assert_output "0:$(id -u):1 1:$start:$count "
    run_den info --format '{{.Host.Security.Rootless}}'
    assert_output "true"
}

@test "info: cgroup version, manager and controllers as podman reports them" {
    command -v podman >/dev/null || skip_strict "podman is not installed (.ci/install-deps installs it)"
    local fmt='{{.Host.CgroupsVersion}} {{.Host.CgroupManager}} {{.Host.CgroupControllers}}'
    run --separate-stderr podman info --format "$fmt"
    assert_success
    local want=$output
    run_den info --format "$fmt"
    assert_success
    assert_output "$want"
}

@test "info: json and the default yaml" {
    run_den info --format json
    assert_success
    [ "$(jq -r .store.graphRoot <<<"$output")" = "$BATS_TEST_TMPDIR/root" ]
    [ "$(jq -r .host.ociRuntime.name <<<"$output")" = den ]
    run_den info
    assert_success
    assert_line "host:"
    assert_line "  arch: amd64"
}

@test "info: counts images" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    run_den info --format '{{.Store.ImageStore.Number}}'
    assert_output 1
}

@test "version: plain and formatted" {
    run_den version
    assert_success
    assert_line --regexp '^Version: +[0-9]+\.[0-9]+\.[0-9]+$'
    run_den version --format '{{.Client.OsArch}}'
    assert_output "linux/amd64"
    run_den version --format json
    [ "$(jq -r .Client.Os <<<"$output")" = linux ]
    run den_raw --version
    assert_output --regexp '^den version [0-9]+\.[0-9]+\.[0-9]+$'
}
