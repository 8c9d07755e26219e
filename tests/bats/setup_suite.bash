# Runs once before the bats files: the environment must be complete, or the whole run
# fails loudly (never skips): unprivileged user, fixture env, den binary, registries up.

setup_suite() {
        local env=${DEN_TEST_ENV:-/tmp/den-test-state/env}
        if [ "$(id -u)" = 0 ]; then
                echo "setup_suite: den's system tests run as an unprivileged user, not root (use tests/run)" >&2
                return 1
        fi
        if [ ! -r "$env" ]; then
                echo "setup_suite: no fixture environment at $env (tests/run or tests/lib/registries start)" >&2
                return 1
        fi
        # shellcheck source=/dev/null
        source "$env"
        local v missing=()
        for v in DEN_TEST_REGISTRY DEN_TEST_REGISTRY_TLS DEN_TEST_REGISTRY_AUTH DEN_TEST_REGISTRY_TOKEN \
                DEN_TEST_REG_USER DEN_TEST_REG_PASS DEN_TEST_CA DEN_TEST_BUSYBOX_DIGEST DEN_TEST_BUSYBOX_ID \
                DEN_TEST_BUSYBOX_DOCKER_DIGEST DEN_TEST_MULTIARCH_DIGEST DEN_TEST_TAMPERED_DIGEST; do
                [ -n "${!v:-}" ] || missing+=("$v")
        done
        if [ ${#missing[@]} -gt 0 ]; then
                echo "setup_suite: $env lacks ${missing[*]}" >&2
                return 1
        fi
        local den=${DEN:-$BATS_TEST_DIRNAME/../../build/cmd/den}
        if [ ! -x "$den" ]; then
                echo "setup_suite: no den binary at $den (build it, or set DEN)" >&2
                return 1
        fi
        if ! grep -q "^$(id -un):" /etc/subuid || ! grep -q "^$(id -un):" /etc/subgid; then
                echo "setup_suite: $(id -un) has no /etc/subuid or /etc/subgid range (tests/lib/host-setup)" >&2
                return 1
        fi
        local hp scheme code
        for hp in "$DEN_TEST_REGISTRY" "$DEN_TEST_REGISTRY_TLS" "$DEN_TEST_REGISTRY_AUTH" "$DEN_TEST_REGISTRY_TOKEN"; do
                scheme=https
                [ "$hp" != "$DEN_TEST_REGISTRY" ] || scheme=http
                code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$DEN_TEST_CA" "$scheme://$hp/v2/" || true)
                case $code in
                200 | 401) ;;
                *)
                        echo "setup_suite: the registry at $scheme://$hp does not answer (HTTP '$code')" >&2
                        return 1
                        ;;
                esac
        done
}
