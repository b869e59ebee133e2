#!/usr/bin/env bash
# Build the stand-in images of config/images.toml's [offline] table, FROM scratch, from real
# programs, for machines that cannot pull any image: Distribution and Jaeger from their Go
# modules, Prometheus, nginx and busybox from Debian's packages (ci/prepare.sh installs
# those).
#
# An image whose tag exists is kept; --rebuild builds them all again. The Go builds are
# cached, named by version, in $MIRRORSTACK_CACHE_DIR/bin (default /var/cache/mirrorstack),
# so only the first run on a machine compiles: about 8 minutes on 2 cores, 5 of them Jaeger.
# Each image's Dockerfile and small files are in ci/images/NAME/; files under its rootfs/
# and under ci/images/common/rootfs/ land at the same paths in the image.
set -euo pipefail
shopt -s inherit_errexit

REGISTRY_VERSION=3.1.2
PROMETHEUS_VERSION=2.42.0
JAEGER_VERSION=1.75.0
BUSYBOX_VERSION=1.35.0
NGINX_VERSION=1.22.1

REGISTRY_MODULE=github.com/distribution/distribution/v3
JAEGER_MODULE=github.com/jaegertracing/jaeger

# Applets every image gets, so compose healthchecks can run `wget` and `nc`.
BASE_APPLETS=(sh wget nc cat ls id)

log() { printf '[build-images] %s\n' "$*"; }
die() {
    printf '[build-images] error: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat <<'EOF'
usage: ci/build-images.sh [--rebuild]

Build mirrorstack/{registry,prometheus,jaeger,busybox,nginx} stand-in images, each only
when its tag is missing. --rebuild builds every image again (cached Go binaries are
reused; delete them from /var/cache/mirrorstack/bin to compile again).
EOF
}

rebuild=""
for arg in "$@"; do
    case "$arg" in
    --rebuild) rebuild=yes ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        die "unknown argument: $arg"
        ;;
    esac
done

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
images_dir="$here/images"
bin_cache="${MIRRORSTACK_CACHE_DIR:-/var/cache/mirrorstack}/bin"
registry_bin="$bin_cache/registry-v$REGISTRY_VERSION"
jaeger_bin="$bin_cache/jaeger-v$JAEGER_VERSION"

workdir=$(mktemp -d -t mirrorstack-images.XXXXXX)
trap 'rm -rf "$workdir"' EXIT

# Run a noisy command with its output in $workdir/NAME.log, shown only when it fails.
run_logged() {
    local name=$1
    shift
    if ! "$@" >"$workdir/$name.log" 2>&1; then
        tail -n 30 "$workdir/$name.log" >&2
        die "$name failed: $*"
    fi
}

# The version of an installed Debian package, without epoch and Debian revision.
debian_version() {
    local version
    version=$(dpkg-query -W -f='${Version}' "$1" 2>/dev/null) ||
        die "Debian package $1 is not installed: run ci/prepare.sh"
    version=${version#*:}
    printf '%s\n' "${version%%[+-]*}"
}

require_debian_version() {
    local package=$1 wanted=$2 found
    found=$(debian_version "$package")
    [ "$found" = "$wanted" ] ||
        die "the tag says $package $wanted but Debian's $package is $found:" \
            "change the tag here and in config/images.toml"
}

# Print the path of a Go toolchain new enough for `go get -tool` (Go 1.24).
find_go() {
    local go version major minor
    go=$(command -v go || command -v /usr/local/go/bin/go) ||
        die "no Go toolchain on PATH or in /usr/local/go/bin: install Go 1.24 or later" \
            "to build Distribution and Jaeger"
    version=$("$go" env GOVERSION)
    IFS=. read -r major minor _ <<<"${version#go}"
    [ "$major" -gt 1 ] || [ "$minor" -ge 24 ] ||
        die "$go is $version: Distribution and Jaeger need Go 1.24 or later"
    printf '%s\n' "$go"
}

# Put the binary SRC in the cache at DEST, atomically.
cache_binary() {
    local src=$1 dest=$2
    mkdir -p "$(dirname "$dest")" ||
        die "cannot write $dest: run as root or set MIRRORSTACK_CACHE_DIR"
    install -m 0755 "$src" "$dest.partial"
    mv "$dest.partial" "$dest"
}

ensure_registry_binary() {
    local go gobin started=$SECONDS
    if [ -x "$registry_bin" ]; then
        return
    fi
    go=$(find_go)
    gobin="$workdir/gobin"
    mkdir -p "$gobin"
    log "compiling Distribution v$REGISTRY_VERSION from its Go module"
    run_logged go-install-registry env GOBIN="$gobin" CGO_ENABLED=0 \
        "$go" install -trimpath \
        -ldflags="-s -w -X $REGISTRY_MODULE/version.version=v$REGISTRY_VERSION" \
        "$REGISTRY_MODULE/cmd/registry@v$REGISTRY_VERSION"
    cache_binary "$gobin/registry" "$registry_bin"
    log "compiled Distribution in $((SECONDS - started)) s, cached as $registry_bin"
}

# Jaeger's go.mod has replace directives, so `go install module@version` refuses it. A
# throwaway module that requires it as a tool builds it with the versions it asks for.
ensure_jaeger_binary() {
    local go module started=$SECONDS pkg="$JAEGER_MODULE/cmd/jaeger"
    local version_flag="-X $JAEGER_MODULE/internal/version.latestVersion=v$JAEGER_VERSION"
    if [ -x "$jaeger_bin" ]; then
        return
    fi
    go=$(find_go)
    module="$workdir/jaeger-module"
    mkdir -p "$module"
    log "compiling Jaeger v$JAEGER_VERSION from its Go module (about 5 minutes)"
    (
        cd "$module"
        run_logged go-mod-init "$go" mod init mirrorstack.invalid/jaeger-build
        run_logged go-get-jaeger "$go" get -tool "$pkg@v$JAEGER_VERSION"
        run_logged go-build-jaeger env CGO_ENABLED=0 "$go" build -trimpath \
            -ldflags="-s -w $version_flag" -o jaeger "$pkg"
    )
    cache_binary "$module/jaeger" "$jaeger_bin"
    log "compiled Jaeger in $((SECONDS - started)) s, cached as $jaeger_bin"
}

# Copy a file to ROOT at PATH, making its folder.
put() {
    local root=$1 src=$2 path=$3
    mkdir -p "$root$(dirname "$path")"
    cp -L "$src" "$root$path"
}

# Lay out a runnable root file system in ROOT: the program SRC at DEST with every library
# ldd names (and the loader), ci/images/common/rootfs, a /tmp, and /bin/busybox linked as
# BASE_APPLETS, or as every applet it has when the fourth argument is "all".
make_rootfs() {
    local root=$1 src=$2 dest=$3 every=${4-} libs lib applet applets=("${BASE_APPLETS[@]}")

    [ -x "$src" ] || die "$src is missing or not executable"
    [ -x /bin/busybox ] || die "/bin/busybox is missing: run ci/prepare.sh (busybox-static)"
    mkdir -p "$root"
    cp -R "$images_dir/common/rootfs/." "$root/"
    mkdir -p "$root/tmp"
    chmod 1777 "$root/tmp"

    put "$root" "$src" "$dest"
    # ldd exits non-zero for a static binary: it then has no library to copy.
    if libs=$(ldd "$src" 2>/dev/null); then
        if grep -q 'not found' <<<"$libs"; then
            die "ldd $src names a library this machine lacks: $libs"
        fi
        while read -r lib; do
            put "$root" "$lib" "$lib"
        done < <(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' <<<"$libs")
    fi

    put "$root" /bin/busybox /bin/busybox
    if [ "$every" = all ]; then
        mapfile -t applets < <(/bin/busybox --list)
    fi
    for applet in "${applets[@]}"; do
        if [ "$applet" != busybox ] && [ ! -e "$root/bin/$applet" ]; then
            ln -s busybox "$root/bin/$applet"
        fi
    done
}

stage_registry() {
    local ctx=$1 bundle=/etc/ssl/certs/ca-certificates.crt
    [ -f "$bundle" ] || die "$bundle is missing: run ci/prepare.sh (ca-certificates)"
    ensure_registry_binary
    make_rootfs "$ctx/rootfs" "$registry_bin" /bin/registry
    # Distribution verifies an https upstream against it.
    put "$ctx/rootfs" "$bundle" "$bundle"
}

stage_prometheus() {
    local ctx=$1 web=/usr/share/prometheus/web
    require_debian_version prometheus "$PROMETHEUS_VERSION"
    make_rootfs "$ctx/rootfs" /usr/bin/prometheus /bin/prometheus
    put "$ctx/rootfs" /usr/bin/promtool /bin/promtool
    # Debian's build has no React UI: /graph redirects to the classic UI, whose templates
    # and scripts it reads from $web at run time. Its static folder links to Debian's
    # libjs-* packages; copy what they point at, less moment-timezone's 200 MB of zone data.
    [ -d "$web" ] || die "$web is missing: reinstall Debian's prometheus package"
    mkdir -p "$ctx/rootfs$web"
    tar -C "$web" --dereference --exclude=./static/moment-timezone/data -cf - . |
        tar -C "$ctx/rootfs$web" -xf -
    mkdir -p "$ctx/data"
}

stage_jaeger() {
    local ctx=$1
    ensure_jaeger_binary
    make_rootfs "$ctx/rootfs" "$jaeger_bin" /cmd/jaeger/jaeger-linux
}

stage_busybox() {
    local ctx=$1
    require_debian_version busybox-static "$BUSYBOX_VERSION"
    make_rootfs "$ctx/rootfs" /bin/busybox /bin/busybox all
    mkdir -p "$ctx/rootfs/root" "$ctx/rootfs/home"
}

# Append the /etc/passwd or /etc/group LINE to FILE unless its name is there already.
add_account() {
    local file=$1 line=$2
    grep -q "^${line%%:*}:" "$file" || printf '%s\n' "$line" >>"$file"
}

stage_nginx() {
    local ctx=$1 root=$1/rootfs bundle=/etc/ssl/certs/ca-certificates.crt
    local mime=/etc/nginx/mime.types
    require_debian_version nginx "$NGINX_VERSION"
    [ -f "$mime" ] || die "$mime is missing: reinstall Debian's nginx-common package"
    [ -f "$bundle" ] || die "$bundle is missing: run ci/prepare.sh (ca-certificates)"
    make_rootfs "$root" /usr/sbin/nginx /usr/sbin/nginx
    put "$root" "$mime" "$mime"
    # For proxy_ssl_trusted_certificate when the upstream has a public certificate.
    put "$root" "$bundle" "$bundle"
    # With no `user` directive the workers run as nobody:nogroup, the binary's default;
    # Debian's own configuration names www-data.
    add_account "$root/etc/passwd" 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false'
    add_account "$root/etc/passwd" 'www-data:x:33:33:www-data:/var/www:/bin/false'
    add_account "$root/etc/group" 'nogroup:x:65534:'
    add_account "$root/etc/group" 'www-data:x:33:'
    # The paths `nginx -V` names: the pid file in /run, the default logs in /var/log/nginx
    # (linked to the container's output, as in the official image), the temporary files
    # in /var/lib/nginx and a proxy cache in /var/cache/nginx (both from state/).
    mkdir -p "$root/run" "$root/var/log/nginx" "$ctx/state/cache" \
        "$ctx/state/lib/"{body,proxy,fastcgi,scgi,uwsgi}
    ln -sfn /dev/stdout "$root/var/log/nginx/access.log"
    ln -sfn /dev/stderr "$root/var/log/nginx/error.log"
}

image_id() {
    docker image inspect --format '{{.Id}}' "$1"
}

human_size() {
    numfmt --to=si --suffix=B "$1"
}

# Build TAG from ci/images/NAME unless it exists (or --rebuild). A rebuilt image's
# predecessor is removed unless a container or another tag still holds it.
ensure_image() {
    local name=$1 tag=$2 ctx="$workdir/$1" started=$SECONDS previous="" size
    if docker image inspect "$tag" >/dev/null 2>&1; then
        if [ -z "$rebuild" ]; then
            log "$tag: present, kept"
            return
        fi
        previous=$(image_id "$tag")
    fi
    mkdir -p "$ctx"
    cp -R "$images_dir/$name/." "$ctx/"
    "stage_$name" "$ctx"
    run_logged "docker-build-$name" docker build --tag "$tag" "$ctx"
    rm -rf "$ctx"
    if [ -n "$previous" ] && [ "$previous" != "$(image_id "$tag")" ]; then
        docker image rm "$previous" >/dev/null 2>&1 ||
            log "$tag: previous image ${previous#sha256:} kept, still in use"
    fi
    size=$(docker image inspect --format '{{.Size}}' "$tag")
    log "$tag: built in $((SECONDS - started)) s, $(human_size "$size")"
}

docker info >/dev/null 2>&1 || die "no Docker engine answers: run ci/start-dockerd.sh"

ensure_image busybox "mirrorstack/busybox:$BUSYBOX_VERSION"
ensure_image registry "mirrorstack/registry:$REGISTRY_VERSION"
ensure_image prometheus "mirrorstack/prometheus:$PROMETHEUS_VERSION"
ensure_image jaeger "mirrorstack/jaeger:$JAEGER_VERSION"
ensure_image nginx "mirrorstack/nginx:$NGINX_VERSION"
