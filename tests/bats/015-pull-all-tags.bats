#!/usr/bin/env bats
# den pull --all-tags: every tag of a repository, listed through /v2/<name>/tags/list.

load helpers

# One repository with three tags, pushed once for the file: t1 and t3 are the busybox
# fixture, t2 the plain one, so the IDs printed tell the tags apart.
setup_file() {
    source "$DEN_TEST_ENV"
    local repo="alltags-$RANDOM$RANDOM/bb" src t
    for t in t1:test/busybox t2:test/plain t3:test/busybox; do
        src=${t#*:}
        skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
            "docker://$DEN_TEST_REGISTRY/$src:latest" "docker://$DEN_TEST_REGISTRY/$repo:${t%%:*}" ||
            return 1
    done
    export ALLTAGS_REPO="$DEN_TEST_REGISTRY/$repo"
}

# The registry's own order of the tags (not sorted), and the IDs den should print in it.
registry_tags() {
    curl -sf "http://$DEN_TEST_REGISTRY/v2/${ALLTAGS_REPO#*/}/tags/list" | jq -r '.tags[]'
}

expected_ids() {
    local t
    for t in $(registry_tags); do
        case $t in
        t2) echo "$DEN_TEST_PLAIN_ID" ;;
        *) echo "$DEN_TEST_BUSYBOX_ID" ;;
        esac
    done
}

# A registry front that pages the tag list one tag per page (Link: rel="next", as
# distribution does with ?n=1) and relays everything else to the plain registry. MODE "evil"
# points the next page at another host, "empty" lists no tags ("tags": null). Prints the
# port it listens on.
start_pager() {
    cat >"$BATS_TEST_TMPDIR/pager.py" <<'PY'
import http.server, json, os, sys, urllib.error, urllib.parse, urllib.request

UPSTREAM, PORTFILE, MODE = sys.argv[1], sys.argv[2], sys.argv[3]

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def tags(self, path, query):
        with urllib.request.urlopen(f"http://{UPSTREAM}{path}") as r:
            tags = sorted(json.load(r)["tags"])
        last = urllib.parse.parse_qs(query).get("last", [None])[0]
        rest = [t for t in tags if last is None or t > last] if MODE != "empty" else []
        page = rest[:1]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if len(rest) > 1:
            link = f"{path}?n=1&last={page[-1]}"
            if MODE == "evil":
                link = f"http://127.0.0.2:{self.server.server_address[1]}{link}"
            self.send_header("Link", f'<{link}>; rel="next"')
        name = path.split("/v2/")[1].rsplit("/tags/", 1)[0]
        body = json.dumps({"name": name, "tags": page or None}).encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def proxy(self, head):
        req = urllib.request.Request(f"http://{UPSTREAM}{self.path}", method="HEAD" if head else "GET")
        if "Accept" in self.headers:
            req.add_header("Accept", self.headers["Accept"])
        try:
            r = urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            r = e
        with r:
            self.relay(r, head)

    def relay(self, r, head):
        body = r.read()
        self.send_response(r.code)
        for k in ("Content-Type", "Docker-Content-Digest", "Docker-Distribution-Api-Version"):
            if r.headers.get(k):
                self.send_header(k, r.headers[k])
        self.send_header("Content-Length", r.headers.get("Content-Length", str(len(body))))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path.endswith("/tags/list"):
            self.tags(u.path, u.query)
        else:
            self.proxy(False)

    def do_HEAD(self):
        self.proxy(True)

s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
s.serve_forever()
PY
    python3 "$BATS_TEST_TMPDIR/pager.py" "$DEN_TEST_REGISTRY" "$BATS_TEST_TMPDIR/pager.port" "$1" \
        </dev/null >/dev/null 2>&1 3>&- &
    echo $! >"$BATS_TEST_TMPDIR/pager.pid"
    local i
    for i in $(seq 100); do
        [ -s "$BATS_TEST_TMPDIR/pager.port" ] && break
        sleep 0.1
    done
    cat "$BATS_TEST_TMPDIR/pager.port"
}

teardown() {
    if [ -s "$BATS_TEST_TMPDIR/pager.pid" ]; then
        kill "$(cat "$BATS_TEST_TMPDIR/pager.pid")" 2>/dev/null || true
    fi
    den_cleanup_store
}

@test "pull --all-tags: pulls every tag and prints their IDs at the end" {
    local expected tried
    expected=$(expected_ids)
    run_den --separate-stderr pull --tls-verify=false --all-tags "$ALLTAGS_REPO"
    assert_success
    assert_output "$expected"
    # progress for each tag, in the registry's order
    tried=$(grep '^Trying to pull' <<<"$stderr")
    [ "$tried" = "$(registry_tags | sed "s|^|Trying to pull $ALLTAGS_REPO:|; s|\$|...|")" ]

    run_den images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
    assert_success
    assert_line "$ALLTAGS_REPO:t1 ${DEN_TEST_BUSYBOX_ID:0:12}"
    assert_line "$ALLTAGS_REPO:t2 ${DEN_TEST_PLAIN_ID:0:12}"
    assert_line "$ALLTAGS_REPO:t3 ${DEN_TEST_BUSYBOX_ID:0:12}"
    [ "${#lines[@]}" -eq 3 ]
}

@test "pull -a -q: only the IDs, nothing on stderr" {
    local expected
    expected=$(expected_ids)
    run_den --separate-stderr pull -q -a --tls-verify=false "$ALLTAGS_REPO"
    assert_success
    assert_output "$expected"
    [ -z "$stderr" ]
    run_den images -q --no-trunc
    assert_success
    assert_line "sha256:$DEN_TEST_PLAIN_ID"
    assert_line "sha256:$DEN_TEST_BUSYBOX_ID"
}

@test "pull --all-tags: an insecure registry from registries.conf is listed over http" {
    registries_conf
    run_den pull -q --all-tags "$ALLTAGS_REPO"
    assert_success
    assert_line "$DEN_TEST_PLAIN_ID"
    [ "${#lines[@]}" -eq 3 ]
    run_den image exists "$ALLTAGS_REPO:t3"
    assert_success
}

@test "pull --all-tags: a name with a tag or a digest is refused, store unchanged" {
    seed_store
    local before
    before=$(store_snapshot)
    run_den pull --tls-verify=false --all-tags "$ALLTAGS_REPO:t1"
    assert_failure 125
    assert_output "Error: tag can't be used with --all-tags/-a"
    run_den pull --tls-verify=false -a "$DEN_TEST_REGISTRY/test/busybox@$DEN_TEST_BUSYBOX_DIGEST"
    assert_failure 125
    assert_output "Error: tag can't be used with --all-tags/-a"
    [ "$(store_snapshot)" = "$before" ]
}

@test "pull --all-tags: an unknown repository fails with the registry's message, store unchanged" {
    seed_store
    local before
    before=$(store_snapshot)
    run_den pull --tls-verify=false --all-tags "$DEN_TEST_REGISTRY/alltags-none-$RANDOM/bb"
    assert_failure 125
    assert_output --partial "initializing source docker://$DEN_TEST_REGISTRY/alltags-none-"
    assert_output --partial "repository name not known to registry"
    refute_output --partial "Trying to pull"
    [ "$(store_snapshot)" = "$before" ]
}

@test "pull --all-tags: an https-only client refuses the plain registry, store unchanged" {
    seed_store
    local before
    before=$(store_snapshot)
    run_den pull --all-tags "$ALLTAGS_REPO"
    assert_failure 125
    assert_output --partial "for an insecure registry use --tls-verify=false"
    [ "$(store_snapshot)" = "$before" ]
}

@test "pull --all-tags: follows the tag list's pages" {
    local port expected
    port=$(start_pager normal)
    [ -n "$port" ]
    expected=$(printf '%s\n' "$DEN_TEST_BUSYBOX_ID" "$DEN_TEST_PLAIN_ID" "$DEN_TEST_BUSYBOX_ID")
    run_den --separate-stderr pull -q -a --tls-verify=false "127.0.0.1:$port/${ALLTAGS_REPO#*/}"
    assert_success
    assert_output "$expected"
    run_den images --format '{{.Tag}}'
    assert_success
    [ "$(sort <<<"$output" | tr '\n' ' ')" = "t1 t2 t3 " ]
}

@test "pull --all-tags: a next page on another host is refused, store unchanged" {
    local port before
    port=$(start_pager evil)
    [ -n "$port" ]
    seed_store
    before=$(store_snapshot)
    run_den pull -a --tls-verify=false "127.0.0.1:$port/${ALLTAGS_REPO#*/}"
    assert_failure 125
    assert_output --partial "the tag list links to another host"
    refute_output --partial "Trying to pull"
    [ "$(store_snapshot)" = "$before" ]
}

@test "pull --all-tags: a repository without tags is an error" {
    local port
    port=$(start_pager empty)
    [ -n "$port" ]
    run_den pull -a --tls-verify=false "127.0.0.1:$port/${ALLTAGS_REPO#*/}"
    assert_failure 125
    assert_output "Error: repository \"127.0.0.1:$port/${ALLTAGS_REPO#*/}\" has no tags"
}
