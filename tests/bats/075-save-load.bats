#!/usr/bin/env bats
# den save / load / import, checked by skopeo in both directions.

load helpers

setup() {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/busybox:latest"
    assert_success
}

@test "save: docker-archive read by skopeo with the same digests" {
    run_den save -o "$BATS_TEST_TMPDIR/img.tar" test/busybox
    assert_success
    run skopeo inspect --format '{{.Digest}} {{len .Layers}}' "docker-archive:$BATS_TEST_TMPDIR/img.tar"
    assert_success
    run skopeo inspect --config "docker-archive:$BATS_TEST_TMPDIR/img.tar"
    assert_success
    [ "$(jq -c .rootfs.diff_ids <<<"$output")" = "$(den_raw image inspect --format '{{json .RootFS.Layers}}' test/busybox)" ]
    run skopeo copy "docker-archive:$BATS_TEST_TMPDIR/img.tar" "dir:$BATS_TEST_TMPDIR/out"
    assert_success
    [ -f "$BATS_TEST_TMPDIR/out/$DEN_TEST_BUSYBOX_ID" ]
    run tar -tf "$BATS_TEST_TMPDIR/img.tar" manifest.json
    assert_success
}

@test "save: oci-archive read by skopeo" {
    run_den save --format oci-archive -o "$BATS_TEST_TMPDIR/img.tar" test/busybox
    assert_success
    run skopeo copy "oci-archive:$BATS_TEST_TMPDIR/img.tar" "dir:$BATS_TEST_TMPDIR/out"
    assert_success
    [ -f "$BATS_TEST_TMPDIR/out/$DEN_TEST_BUSYBOX_ID" ]
}

@test "save and load round trip through a file and through a pipe" {
    run_den save -o "$BATS_TEST_TMPDIR/img.tar" test/busybox
    assert_success
    run den_raw --root "$BATS_TEST_TMPDIR/r2" --runroot "$BATS_TEST_TMPDIR/run2" load -i "$BATS_TEST_TMPDIR/img.tar"
    assert_success
    assert_output "Loaded image: $DEN_TEST_REGISTRY/test/busybox:latest"
    run den_raw --root "$BATS_TEST_TMPDIR/r2" --runroot "$BATS_TEST_TMPDIR/run2" images -q --no-trunc
    assert_output "sha256:$DEN_TEST_BUSYBOX_ID"

    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' save --format oci-archive test/busybox | '$DEN' --root '$BATS_TEST_TMPDIR/r3' --runroot '$BATS_TEST_TMPDIR/run3' load"
    assert_success
    assert_output "Loaded image: $DEN_TEST_REGISTRY/test/busybox:latest"
    run den_raw --root "$BATS_TEST_TMPDIR/r3" --runroot "$BATS_TEST_TMPDIR/run3" images -q --no-trunc
    assert_output "sha256:$DEN_TEST_BUSYBOX_ID"
}

@test "save: several images in one archive" {
    run_den pull -q --tls-verify=false "$DEN_TEST_REGISTRY/test/zstd:latest"
    run_den save -m -o "$BATS_TEST_TMPDIR/two.tar" test/busybox test/zstd
    assert_success
    run den_raw --root "$BATS_TEST_TMPDIR/r2" --runroot "$BATS_TEST_TMPDIR/run2" load -i "$BATS_TEST_TMPDIR/two.tar"
    assert_success
    assert_line "Loaded image: $DEN_TEST_REGISTRY/test/busybox:latest"
    assert_line "Loaded image: $DEN_TEST_REGISTRY/test/zstd:latest"
}

@test "save: refuses a terminal; a failed save leaves no file" {
    run_den save -o "$BATS_TEST_TMPDIR/x.tar" nosuchimage
    assert_failure 125
    [ ! -e "$BATS_TEST_TMPDIR/x.tar" ]
    run_den save --format bogus -o "$BATS_TEST_TMPDIR/x.tar" test/busybox
    assert_failure 125
    assert_output --partial 'unsupported format "bogus"'
}

@test "load: an archive written by skopeo" {
    run skopeo copy --src-tls-verify=false "docker://$DEN_TEST_REGISTRY/test/busybox:latest" \
        "docker-archive:$BATS_TEST_TMPDIR/sk.tar:example.com/sk/box:v1"
    assert_success
    run den_raw --root "$BATS_TEST_TMPDIR/r2" --runroot "$BATS_TEST_TMPDIR/run2" load -i "$BATS_TEST_TMPDIR/sk.tar"
    assert_success
    assert_output "Loaded image: example.com/sk/box:v1"
    run den_raw --root "$BATS_TEST_TMPDIR/r2" --runroot "$BATS_TEST_TMPDIR/run2" images -q --no-trunc
    assert_output "sha256:$DEN_TEST_BUSYBOX_ID"

    run skopeo copy --src-tls-verify=false "docker://$DEN_TEST_REGISTRY/test/busybox:latest" \
        "oci-archive:$BATS_TEST_TMPDIR/sk-oci.tar:example.com/sk/oci:v2"
    assert_success
    run den_raw --root "$BATS_TEST_TMPDIR/r3" --runroot "$BATS_TEST_TMPDIR/run3" load -i "$BATS_TEST_TMPDIR/sk-oci.tar"
    assert_success
    run den_raw --root "$BATS_TEST_TMPDIR/r3" --runroot "$BATS_TEST_TMPDIR/run3" images -q --no-trunc
    assert_output "sha256:$DEN_TEST_BUSYBOX_ID"
}

@test "load: garbage and tampered archives fail and leave the store unchanged" {
    local before
    before=$(store_snapshot)
    head -c 10000 /dev/urandom >"$BATS_TEST_TMPDIR/garbage"
    run_den load -i "$BATS_TEST_TMPDIR/garbage"
    assert_failure 125
    [ "$(store_snapshot)" = "$before" ]

    # a layer whose bytes no longer match the config's diff_id
    run_den save -o "$BATS_TEST_TMPDIR/img.tar" test/busybox
    mkdir "$BATS_TEST_TMPDIR/x"
    tar -C "$BATS_TEST_TMPDIR/x" -xf "$BATS_TEST_TMPDIR/img.tar"
    local layer
    layer=$(jq -r '.[0].Layers[-1]' "$BATS_TEST_TMPDIR/x/manifest.json")
    mkdir "$BATS_TEST_TMPDIR/evil" && echo evil >"$BATS_TEST_TMPDIR/evil/evil"
    tar -C "$BATS_TEST_TMPDIR/evil" -cf "$BATS_TEST_TMPDIR/x/$layer" evil
    tar -C "$BATS_TEST_TMPDIR/x" -cf "$BATS_TEST_TMPDIR/bad.tar" .
    run den_raw --root "$BATS_TEST_TMPDIR/r2" --runroot "$BATS_TEST_TMPDIR/run2" load -i "$BATS_TEST_TMPDIR/bad.tar"
    assert_failure 125
    assert_output --partial "mismatch"
    run den_raw --root "$BATS_TEST_TMPDIR/r2" --runroot "$BATS_TEST_TMPDIR/run2" images -q
    assert_output ""
}

@test "import: a tarball with --change, from a file and from stdin" {
    mkdir -p "$BATS_TEST_TMPDIR/rootfs/bin" "$BATS_TEST_TMPDIR/rootfs/etc"
    echo hello >"$BATS_TEST_TMPDIR/rootfs/etc/greeting"
    tar -C "$BATS_TEST_TMPDIR/rootfs" -czf "$BATS_TEST_TMPDIR/rootfs.tgz" .
    run_den import --change 'CMD ["/bin/sh", "-c", "echo hi"]' --change 'ENV FOO=bar' \
        --change 'LABEL a=b' --change 'EXPOSE 8080' --change 'WORKDIR /srv' \
        -m "my import" "$BATS_TEST_TMPDIR/rootfs.tgz" imported:v1
    assert_success
    assert_output --regexp '^sha256:[0-9a-f]{64}$'
    local id=${output#sha256:}
    run_den image inspect --format '{{json .Config.Cmd}} {{index .Config.Env 0}} {{.Config.Labels.a}} {{.Config.WorkingDir}} {{.Comment}}{{range $k, $v := .Config.ExposedPorts}} {{$k}}{{end}}' localhost/imported:v1
    assert_success
    assert_output '["/bin/sh","-c","echo hi"] FOO=bar b /srv my import 8080/tcp'
    [ "$(den_raw image inspect --format '{{.Id}}' imported:v1)" = "$id" ]

    run bash -c "'$DEN' --root '$BATS_TEST_TMPDIR/root' --runroot '$BATS_TEST_TMPDIR/run' import - < '$BATS_TEST_TMPDIR/rootfs.tgz'"
    assert_success
    run_den images --format '{{.Repository}}' --filter dangling=true
    assert_output "<none>"
}

@test "import: bad input is a clear error" {
    echo notatar >"$BATS_TEST_TMPDIR/x"
    run_den import "$BATS_TEST_TMPDIR/x"
    assert_failure 125
    run_den import --change 'FROB x' "$BATS_TEST_TMPDIR/x"
    assert_failure 125
    assert_output --partial 'FROB'
    run_den import "$BATS_TEST_TMPDIR/nonexistent"
    assert_failure 125
    assert_output --partial "nonexistent"
}
