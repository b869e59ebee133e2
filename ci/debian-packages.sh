# shellcheck shell=bash
# Sourced by ci/prepare.sh and ci/prepare-rootless.sh, which define log and die.
# install_missing PACKAGE... installs those Debian packages not yet fully installed and
# leaves their names in the array installed_now.

installed() {
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

install_missing() {
    local package missing=() apt_log
    installed_now=()
    for package in "$@"; do
        installed "$package" || missing+=("$package")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        log "Debian packages: all present ($*)"
        return
    fi
    log "Debian packages: installing ${missing[*]}"
    apt_log=$(mktemp -t mirrorstack-apt.XXXXXX)
    if ! { apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing[@]}"; } >"$apt_log" 2>&1; then
        tail -n 20 "$apt_log" >&2
        die "installing ${missing[*]} failed (log: $apt_log): check the apt sources"
    fi
    rm -f "$apt_log"
    # shellcheck disable=SC2034 # read by the sourcing script
    installed_now=("${missing[@]}")
}
