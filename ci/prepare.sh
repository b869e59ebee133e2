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

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    installed "$package" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all present (${DEBIAN_PACKAGES[*]})"
else
    log "Debian packages: installing ${missing[*]}"
    apt_log=$(mktemp -t mirrorstack-apt.XXXXXX)
    if ! { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}"; } >"$apt_log" 2>&1; then
        tail -n 20 "$apt_log" >&2
        die "installing ${missing[*]} failed (log: $apt_log): check the apt sources"
    fi
    rm -f "$apt_log"
    # Without a policy-rc.d that forbids it, the package starts its own Prometheus, which
    # would hold port 9090; the tests run Prometheus in a container instead.
    if [[ " ${missing[*]} " == *" prometheus "* ]] &&
        service prometheus status >/dev/null 2>&1; then
        service prometheus stop >/dev/null
        log "stopped the Prometheus service that Debian's package started (port 9090)"
    fi
    # Likewise Debian's nginx, which would hold port 80; the image runs it in a container.
    if [[ " ${missing[*]} " == *" nginx "* ]] &&
        service nginx status >/dev/null 2>&1; then
        service nginx stop >/dev/null
        log "stopped the nginx service that Debian's package started (port 80)"
    fi
fi

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
