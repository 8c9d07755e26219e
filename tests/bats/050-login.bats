#!/usr/bin/env bats
# den login / logout: auth.json in podman's place, checked against the registry.

load helpers

@test "login: --password-stdin stores credentials 0600 and pull uses them" {
    local auth="$BATS_TEST_TMPDIR/auth.json"
    run_den login --authfile "$auth" -u "$DEN_TEST_REG_USER" --password-stdin "$DEN_TEST_REGISTRY_AUTH" <<<"$DEN_TEST_REG_PASS"
    assert_success
    assert_output "Login Succeeded!"
    [ "$(stat -c %a "$auth")" = 600 ]
    [ "$(jq -r --arg k "$DEN_TEST_REGISTRY_AUTH" '.auths[$k].auth' "$auth" | base64 -d)" = "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" ]

    run_den pull -q --authfile "$auth" "$DEN_TEST_REGISTRY_AUTH/test/busybox:latest"
    assert_success
    assert_output "$DEN_TEST_BUSYBOX_ID"

    run_den login --authfile "$auth" --get-login "$DEN_TEST_REGISTRY_AUTH"
    assert_output "$DEN_TEST_REG_USER"
}

@test "login: the default auth file is podman's (XDG_RUNTIME_DIR/containers/auth.json)" {
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg"
    mkdir -m 700 "$XDG_RUNTIME_DIR"
    run_den login -u "$DEN_TEST_REG_USER" -p "$DEN_TEST_REG_PASS" "$DEN_TEST_REGISTRY_AUTH"
    assert_success
    [ -f "$XDG_RUNTIME_DIR/containers/auth.json" ]
    run_den pull -q "$DEN_TEST_REGISTRY_AUTH/test/busybox:latest"
    assert_success
}

@test "login: a wrong password fails, stores nothing and never shows the password" {
    local auth="$BATS_TEST_TMPDIR/auth.json"
    run_den login --authfile "$auth" -u "$DEN_TEST_REG_USER" --password-stdin "$DEN_TEST_REGISTRY_AUTH" <<<"not-the-pw-4242"
    assert_failure 125
    assert_output --partial "$DEN_TEST_REGISTRY_AUTH"
    refute_output --partial "not-the-pw-4242"
    [ ! -e "$auth" ] || ! grep -q "$(printf '%s' "$DEN_TEST_REG_USER:not-the-pw-4242" | base64)" "$auth"
}

@test "login: bearer-token registry" {
    local auth="$BATS_TEST_TMPDIR/auth.json"
    run_den login --authfile "$auth" -u "$DEN_TEST_REG_USER" --password-stdin "$DEN_TEST_REGISTRY_TOKEN" <<<"$DEN_TEST_REG_PASS"
    assert_success
    run_den pull -q --authfile "$auth" "$DEN_TEST_REGISTRY_TOKEN/test/busybox:latest"
    assert_success
}

@test "login: no terminal and no password is an error" {
    run_den login -u someone "$DEN_TEST_REGISTRY_AUTH" </dev/null
    assert_failure 125
    assert_output --partial "non TTY"
}

@test "login: credentials are read from ~/.docker/config.json too" {
    export HOME="$BATS_TEST_TMPDIR/home"
    mkdir -p "$HOME/.docker"
    printf '{"auths":{"%s":{"auth":"%s"}}}' "$DEN_TEST_REGISTRY_AUTH" \
        "$(printf '%s' "$DEN_TEST_REG_USER:$DEN_TEST_REG_PASS" | base64 -w0)" >"$HOME/.docker/config.json"
    export XDG_RUNTIME_DIR="$BATS_TEST_TMPDIR/xdg"
    mkdir -m 700 "$XDG_RUNTIME_DIR"
    run_den pull -q "$DEN_TEST_REGISTRY_AUTH/test/busybox:latest"
    assert_success
}

@test "logout: removes the credentials; logging out twice is an error" {
    local auth="$BATS_TEST_TMPDIR/auth.json"
    run_den login --authfile "$auth" -u "$DEN_TEST_REG_USER" -p "$DEN_TEST_REG_PASS" "$DEN_TEST_REGISTRY_AUTH"
    assert_success
    run_den logout --authfile "$auth" "$DEN_TEST_REGISTRY_AUTH"
    assert_success
    assert_output "Removed login credentials for $DEN_TEST_REGISTRY_AUTH"
    [ "$(jq -r '.auths | length' "$auth")" = 0 ]
    run_den logout --authfile "$auth" "$DEN_TEST_REGISTRY_AUTH"
    assert_failure 125
    assert_output --partial "not logged into $DEN_TEST_REGISTRY_AUTH"
    run_den pull -q --authfile "$auth" "$DEN_TEST_REGISTRY_AUTH/test/busybox:latest"
    assert_failure 125
}

@test "logout: --all" {
    local auth="$BATS_TEST_TMPDIR/auth.json"
    run_den login --authfile "$auth" -u "$DEN_TEST_REG_USER" -p "$DEN_TEST_REG_PASS" "$DEN_TEST_REGISTRY_AUTH"
    run_den logout --authfile "$auth" --all
    assert_success
    [ "$(jq -r '.auths | length' "$auth")" = 0 ]
}
