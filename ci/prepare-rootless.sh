#!/usr/bin/env bash
# Run a rootless Docker daemon for the test user mirrorstack-test on a Debian bookworm machine
# without systemd, as root, after ci/prepare.sh: Debian's rootlesskit, slirp4netns and uidmap,
# the user with subordinate ids, its runtime dir, a usable /dev/net/tun, then Debian's
# dockerd-rootless.sh started directly (no user unit), and the stand-in images of
# config/images.toml's [offline] table copied over from the rootful daemon. Each step checks
# first, so a second run changes nothing.
#
# Run commands as the user with ci/as-test-user.sh. The daemon logs to ~/dockerd-rootless.log;
# stop it with `kill "$(cat /run/user/UID/docker.pid)"` (rootlesskit exits with it).
set -euo pipefail
shopt -s inherit_errexit

TEST_USER=mirrorstack-test
# dbus-user-session is left out: it serves systemd user sessions, and there is no systemd here.
# python3-venv: the test user needs a Python of its own; root's may live under /root.
DEBIAN_PACKAGES=(rootlesskit slirp4netns uidmap python3-venv)
ROOTFUL_HOST=unix:///var/run/docker.sock
ROOTLESS_SCRIPT=/usr/share/docker.io/contrib/dockerd-rootless.sh
SUBID_FIRST=100000
SUBID_COUNT=65536
START_TIMEOUT=60

log() { printf '[prepare-rootless] %s\n' "$*"; }
die() {
    printf '[prepare-rootless] error: %s\n' "$*" >&2
    exit 1
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pins="$here/../config/images.toml"

[ "$(id -u)" = 0 ] || die "run as root: this installs packages, adds a user and starts its dockerd"
command -v apt-get >/dev/null 2>&1 ||
    die "apt-get not found: this script prepares a Debian bookworm machine"
[ -x "$ROOTLESS_SCRIPT" ] ||
    die "$ROOTLESS_SCRIPT is missing: run ci/prepare.sh first (Debian's docker.io ships it)"
docker --host "$ROOTFUL_HOST" info >/dev/null 2>&1 ||
    die "the rootful engine at $ROOTFUL_HOST does not answer: run ci/start-dockerd.sh"

# shellcheck source=debian-packages.sh
. "$here/debian-packages.sh"

ensure_user() {
    if id -u "$TEST_USER" >/dev/null 2>&1; then
        log "user $TEST_USER: present"
        return
    fi
    useradd --create-home --shell /bin/bash --user-group \
        --comment "mirrorstack rootless tests" "$TEST_USER"
    log "user $TEST_USER: created"
}

# The first id past every range in the subordinate id FILE, and never below SUBID_FIRST.
next_free_subid() {
    awk -F: -v first="$SUBID_FIRST" '
        NF == 3 && $2 + $3 > first { first = $2 + $3 }
        END { print first }
    ' "$1"
}

# Give the user a range in /etc/subuid or /etc/subgid (KIND uid or gid) unless it has one.
# useradd allocates one itself from login.defs; this covers a user made without it.
ensure_subids() {
    local kind=$1 file="/etc/sub$1" uid=$2 first
    touch "$file"
    if grep -qE "^($TEST_USER|$uid):" "$file"; then
        log "$file: $TEST_USER has a range"
        return
    fi
    first=$(next_free_subid "$file")
    usermod "--add-sub${kind}s" "$first-$((first + SUBID_COUNT - 1))" "$TEST_USER"
    log "$file: gave $TEST_USER $first-$((first + SUBID_COUNT - 1))"
}

ensure_runtime_dir() {
    local dir=$1 uid=$2 gid=$3
    if [ "$(stat -c '%u:%g %a' "$dir" 2>/dev/null)" = "$uid:$gid 700" ]; then
        log "$dir: present, owned by $TEST_USER, mode 700"
        return
    fi
    install -d -o "$uid" -g "$gid" -m 0700 "$dir"
    log "$dir: made, owned by $TEST_USER, mode 700"
}

# slirp4netns opens /dev/net/tun inside the user's namespaces to give the daemon a network.
# Most distributions make the node 666; here it comes up 600 root-only, so the user cannot
# open it. 666 is safe: making or attaching a tap device still needs CAP_NET_ADMIN in the
# network namespace that owns it, which a user only has in namespaces of its own.
ensure_tun() {
    [ -c /dev/net/tun ] ||
        die "/dev/net/tun is missing: load the tun module (modprobe tun) or give the VM one"
    if [ "$(stat -c '%a' /dev/net/tun)" = 666 ]; then
        log "/dev/net/tun: mode 666"
        return
    fi
    chmod 0666 /dev/net/tun
    log "/dev/net/tun: mode set to 666 (was root-only)"
}

# The user's engine answers on SOCKET.
answers() {
    docker --host "unix://$1" info >/dev/null 2>&1
}

# Whether the pid file names a running dockerd, that is a daemon still starting up. A pid
# file left by a daemon that died may name another process by now.
starting() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]
}

ensure_daemon() {
    local home=$1 uid=$2 runtime=$3 logfile="$1/dockerd-rootless.log" waited
    local socket="$runtime/docker.sock"
    if answers "$socket"; then
        log "rootless dockerd: answers on $socket"
        return
    fi
    if starting "$runtime/docker.pid"; then
        log "rootless dockerd: pid $(cat "$runtime/docker.pid") is starting; waiting for it"
    else
        log "rootless dockerd: starting, logging to $logfile"
        install -o "$uid" -g "$(id -g "$TEST_USER")" -m 0644 /dev/null "$logfile"
        # setsid: the daemon outlives this script and whatever process group ran it.
        # dockerd lives in /usr/sbin, which a normal user's PATH lacks.
        setsid nohup runuser -u "$TEST_USER" -- env -i -C "$home" \
            HOME="$home" USER="$TEST_USER" LOGNAME="$TEST_USER" \
            XDG_RUNTIME_DIR="$runtime" \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            "$ROOTLESS_SCRIPT" </dev/null >>"$logfile" 2>&1 &
    fi
    for ((waited = 0; waited < START_TIMEOUT; waited++)); do
        if answers "$socket"; then
            log "rootless dockerd: answers on $socket after ${waited} s"
            return
        fi
        sleep 1
    done
    tail -n 30 "$logfile" >&2
    die "the rootless dockerd did not answer on $socket within $START_TIMEOUT s:" \
        "read $logfile (its tail is above), fix the cause, then run again"
}

check_rootless() {
    local socket=$1 options
    options=$(docker --host "unix://$socket" info --format '{{json .SecurityOptions}}')
    [[ $options == *name=rootless* ]] ||
        die "the engine on $socket is not rootless (security options: $options):" \
            "stop whatever listens there, then run again"
    log "rootless dockerd: reports rootless, root dir" \
        "$(docker --host "unix://$socket" info --format '{{.DockerRootDir}}')," \
        "storage driver $(docker --host "unix://$socket" info --format '{{.Driver}}')"
}

# The mirrorstack/* stand-ins of config/images.toml's [offline] table, one a line.
stand_ins() {
    [ -f "$pins" ] || die "$pins is missing: run this script from a mirrorstack checkout"
    python3 - "$pins" <<'EOF'
import sys, tomllib
with open(sys.argv[1], "rb") as handle:
    offline = tomllib.load(handle)["offline"]
print("\n".join(tag for tag in offline.values() if tag.startswith("mirrorstack/")))
EOF
}

image_id() {
    docker --host "$1" image inspect --format '{{.Id}}' "$2" 2>/dev/null
}

# Copy each stand-in the rootless engine lacks, or holds under another id, from the rootful one.
ensure_images() {
    local rootless_host="unix://$1" tag wanted missing=()
    while read -r tag; do
        wanted=$(image_id "$ROOTFUL_HOST" "$tag") ||
            die "$tag is missing from the rootful engine: run ci/build-images.sh"
        [ "$(image_id "$rootless_host" "$tag")" = "$wanted" ] || missing+=("$tag")
    done < <(stand_ins)
    if [ ${#missing[@]} -eq 0 ]; then
        log "stand-in images: all present in the rootless engine"
        return
    fi
    log "stand-in images: copying ${missing[*]}"
    docker --host "$ROOTFUL_HOST" save "${missing[@]}" |
        docker --host "$rootless_host" load --quiet >/dev/null ||
        die "copying ${missing[*]} with docker save | docker load failed:" \
            "check that both engines answer and ~/.local/share/docker has room"
}

install_missing "${DEBIAN_PACKAGES[@]}"
ensure_user
uid=$(id -u "$TEST_USER")
gid=$(id -g "$TEST_USER")
home=$(getent passwd "$TEST_USER" | cut -d: -f6)
runtime="/run/user/$uid"
ensure_subids uid "$uid"
ensure_subids gid "$uid"
ensure_runtime_dir "$runtime" "$uid" "$gid"
ensure_tun
ensure_daemon "$home" "$uid" "$runtime"
check_rootless "$runtime/docker.sock"
ensure_images "$runtime/docker.sock"
log "ready: as $TEST_USER, DOCKER_HOST=unix://$runtime/docker.sock"
