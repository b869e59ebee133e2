#!/usr/bin/env bash
# Prepare a Debian bookworm machine, as root, for mirrorstack's tests: the Debian packages
# the stand-in images and tests use, a Docker engine with compose v2, a running dockerd,
# cfssl, and the stand-in images. Each step checks first, so a second run changes nothing.
set -euo pipefail

DEBIAN_PACKAGES=(prometheus nginx busybox-static openssl ca-certificates skopeo curl)
CFSSL_MODULE=github.com/cloudflare/cfssl/cmd/cfssl@v1.6.5

log() { printf '[prepare] %s\n' "$*"; }
die() {
    printf '[prepare] error: %s\n' "$*" >&2
    exit 1
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

[ "$(id -u)" = 0 ] || die "run as root: this installs Debian packages and starts dockerd"
command -v apt-get >/dev/null 2>&1 ||
    die "apt-get not found: this script prepares a Debian bookworm machine"

# shellcheck source=debian-packages.sh
. "$here/debian-packages.sh"
install_missing "${DEBIAN_PACKAGES[@]}"
# Without a policy-rc.d that forbids it, a package starts its own service, which would hold
# a port (Prometheus 9090, nginx 80); the tests run both in containers instead.
for service in prometheus nginx; do
    if [[ " ${installed_now[*]} " == *" $service "* ]] &&
        service "$service" status >/dev/null 2>&1; then
        service "$service" stop >/dev/null
        log "stopped the $service service that Debian's package started"
    fi
done

"$here/install-engine.sh" ||
    die "installing the Docker engine failed: see ci/install-engine.sh's output above"
"$here/start-dockerd.sh" ||
    die "dockerd did not start: see /var/log/dockerd.log"

if command -v cfssl >/dev/null 2>&1; then
    log "cfssl: present at $(command -v cfssl)"
else
    go=$(command -v go || command -v /usr/local/go/bin/go) ||
        die "cfssl is missing and no Go toolchain is installed to build it:" \
            "install Go 1.24 or later, or put cfssl on PATH"
    log "cfssl: installing $CFSSL_MODULE into /usr/local/bin"
    go_log=$(mktemp -t mirrorstack-cfssl.XXXXXX)
    if ! GOBIN=/usr/local/bin "$go" install "$CFSSL_MODULE" >"$go_log" 2>&1; then
        tail -n 20 "$go_log" >&2
        die "go install $CFSSL_MODULE failed (log: $go_log): check that the Go module" \
            "proxy is reachable"
    fi
    rm -f "$go_log"
fi

"$here/build-images.sh" || die "building the stand-in images failed: see the error above"
log "ready"
