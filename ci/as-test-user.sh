#!/usr/bin/env bash
# Run a command, as root, as the test user mirrorstack-test with the environment of its
# rootless Docker session (ci/prepare-rootless.sh starts that daemon):
#
#   ci/as-test-user.sh docker info
#   ci/as-test-user.sh invoke test
#
# Only HOME, USER, LOGNAME, XDG_RUNTIME_DIR, DOCKER_HOST and PATH are set, XDG_CONFIG_HOME
# is left unset (so ~/.config), and the caller's TESTCONTAINERS_RYUK_DISABLED,
# MIRRORSTACK_ALLOW_DAEMON_CHANGES and CI pass through. An active virtualenv's bin comes
# first on PATH. The command runs in the caller's working directory.
set -euo pipefail

TEST_USER=mirrorstack-test
PASSED_THROUGH=(TESTCONTAINERS_RYUK_DISABLED MIRRORSTACK_ALLOW_DAEMON_CHANGES CI)

die() {
    printf '[as-test-user] error: %s\n' "$*" >&2
    exit 1
}

[ $# -gt 0 ] || die "usage: ci/as-test-user.sh COMMAND [ARGUMENT...]"
[ "$(id -u)" = 0 ] || die "run as root: runuser needs it to switch to $TEST_USER"
uid=$(id -u "$TEST_USER" 2>/dev/null) ||
    die "there is no user $TEST_USER: run ci/prepare-rootless.sh"
home=$(getent passwd "$TEST_USER" | cut -d: -f6)
runtime="/run/user/$uid"

# dockerd, iptables and runuser live in /usr/sbin, which a normal user's PATH lacks.
path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
environment=(
    HOME="$home"
    USER="$TEST_USER"
    LOGNAME="$TEST_USER"
    XDG_RUNTIME_DIR="$runtime"
    DOCKER_HOST="unix://$runtime/docker.sock"
)
if [ -n "${VIRTUAL_ENV:-}" ]; then
    path="$VIRTUAL_ENV/bin:$path"
    environment+=(VIRTUAL_ENV="$VIRTUAL_ENV")
fi
environment+=(PATH="$path")
for name in "${PASSED_THROUGH[@]}"; do
    if [ -n "${!name+set}" ]; then
        environment+=("$name=${!name}")
    fi
done

runuser -u "$TEST_USER" -- test -x "$PWD" ||
    die "$TEST_USER cannot enter $PWD: cd to a directory it can read, such as the checkout"
exec runuser -u "$TEST_USER" -- env -i "${environment[@]}" "$@"
