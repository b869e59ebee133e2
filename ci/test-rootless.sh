#!/usr/bin/env bash
# Run the README's test command (`invoke test`) as the rootless test user, against its own
# rootless dockerd (ci/prepare-rootless.sh starts it), in a copy of this checkout that the
# user owns, with a virtualenv of its own made from Debian's Python.
set -euo pipefail

TEST_USER=mirrorstack-test

log() { printf '[test-rootless] %s\n' "$*"; }
die() {
    printf '[test-rootless] error: %s\n' "$*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || die "run as root: it switches to $TEST_USER"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
checkout=$(cd "$here/.." && pwd)
home=$(getent passwd "$TEST_USER" | cut -d: -f6) ||
    die "there is no user $TEST_USER: run ci/prepare-rootless.sh"
copy="$home/mirrorstack"
venv="$home/venv"

log "copying the checkout's files to $copy"
rm -rf "$copy"
mkdir -p "$copy"
git -C "$checkout" ls-files -z | (cd "$checkout" && xargs -0 tar -cf -) | tar -xf - -C "$copy"
chown -R "$TEST_USER:" "$copy"

cd "$copy"
if [ ! -x "$venv/bin/python" ]; then
    log "making $venv with /usr/bin/python3"
    "$here/as-test-user.sh" /usr/bin/python3 -m venv "$venv"
fi
log "installing the kit and its test tools into $venv"
"$here/as-test-user.sh" "$venv/bin/pip" install --quiet --upgrade pip
"$here/as-test-user.sh" "$venv/bin/pip" install --quiet -e '.[test]'

log "running invoke test as $TEST_USER"
VIRTUAL_ENV="$venv" "$here/as-test-user.sh" invoke test
