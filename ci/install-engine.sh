#!/usr/bin/env bash
# Install a Docker engine and the compose v2 plugin on a Debian bookworm machine.
# Debian's docker.io gives the engine; compose v2 comes from trixie's docker-compose
# package, which installs on bookworm and works as the `docker compose` plugin.
set -euo pipefail

log() { printf '[install-engine] %s\n' "$*"; }

apt_updated=""
apt_install() {
    if [ -z "$apt_updated" ]; then
        apt-get update -qq
        apt_updated=yes
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

if ! command -v dockerd >/dev/null; then
    log "installing docker.io"
    apt_install docker.io
fi

if ! docker compose version >/dev/null 2>&1; then
    log "installing compose v2 from trixie's docker-compose package"
    workdir=$(mktemp -d)
    trap 'rm -rf "$workdir"' EXIT
    mkdir -p "$workdir/lists/partial" "$workdir/archives/partial"
    echo "deb http://deb.debian.org/debian trixie main" >"$workdir/trixie.list"
    trixie=(
        -o "Dir::Etc::SourceList=$workdir/trixie.list"
        -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::State::Lists=$workdir/lists"
        -o "Dir::Cache::Archives=$workdir/archives"
    )
    apt-get "${trixie[@]}" update -qq
    (cd "$workdir" && apt-get "${trixie[@]}" download docker-compose)
    dpkg -i "$workdir"/docker-compose_*.deb
fi

docker compose version
