#!/usr/bin/env bats
# Hostile layers: nothing a layer names may reach outside its place in the store.

load helpers

setup() {
    rm -rf /tmp/den-evil-target 2>/dev/null || true
}

teardown() {
    rm -rf /tmp/den-evil-target 2>/dev/null || true
    den_cleanup_store
}

escaped() {
    # anything named like the evil payloads outside the store (the test's own dirs included)
    [ -e /tmp/den-evil-target ] && return 0
    find "$BATS_TEST_TMPDIR" -path "$BATS_TEST_TMPDIR/root" -prune -o \
        \( -name 'escape' -o -name 'abs-escape' -o -name 'pwned' \) -print | grep -q .
}

@test "malicious: a '..' entry is refused, nothing escapes, the store is unchanged" {
    seed_store
    local before
    before=$(store_snapshot)
    run_den pull --tls-verify=false "$DEN_TEST_REGISTRY/test/evil-dotdot:latest"
    assert_failure 125
    assert_output --partial ".."
    ! escaped
    [ "$(store_snapshot)" = "$before" ]
}

@test "malicious: an absolute entry name is refused" {
    seed_store
    local before
    before=$(store_snapshot)
    run_den pull --tls-verify=false "$DEN_TEST_REGISTRY/test/evil-abs:latest"
    assert_failure 125
    assert_output --partial "abs-escape"
    ! escaped
    [ "$(store_snapshot)" = "$before" ]
    [ ! -e /abs-escape ]
}

@test "malicious: a hard link pointing out of the layer is refused" {
    seed_store
    local before
    before=$(store_snapshot)
    run_den pull --tls-verify=false "$DEN_TEST_REGISTRY/test/evil-hardlink:latest"
    assert_failure 125
    ! escaped
    [ "$(store_snapshot)" = "$before" ]
}

@test "malicious: a symlink planted by an earlier layer leads nowhere outside" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/evil-symlink:latest"
    assert_success
    ! escaped
    # the later layer's file lands inside its own layer directory
    run find "$BATS_TEST_TMPDIR/root/layers" -path '*/diff/link/pwned'
    assert_output --regexp '/diff/link/pwned$'
}

@test "malicious: a symlink and a file through it in one layer stay inside the layer" {
    run_den pull --tls-verify=false "$DEN_TEST_REGISTRY/test/evil-symlink-same:latest"
    ! escaped
    if [ "$status" -eq 0 ]; then
        run find "$BATS_TEST_TMPDIR/root/layers" -name pwned
        assert_output --regexp "^$BATS_TEST_TMPDIR/root/layers/[0-9a-f]{64}/diff/"
    else
        assert_failure 125
        run find "$BATS_TEST_TMPDIR/root/layers" -mindepth 1 -maxdepth 1 ! -name '.*'
        assert_output ""
    fi
}
