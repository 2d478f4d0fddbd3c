#!/bin/bash
# The Debian forky chroot in which the desktop tests run GNOME Shell and Plasma.
#
#   chroot.sh path     print the chroot's directory, building it first if it is not cached
#   chroot.sh check    exit 0 if it can be built or is cached, else print why and exit 2
#
# Debian 12's own GNOME Shell (43) and Plasma (5.27) are older than what users run; forky has
# GNOME Shell 50 and Plasma 6.7. The chroot is built once with mmdebstrap from
# chroot-packages.txt and cached outside the checkout, under
# $GPUPASS_DESKTOP_CACHE (default /var/cache/gpupass-desktop-chroot)/KEY, KEY being a hash of
# the package list, the suite, the mirror and this recipe: a changed list builds a new one and
# removes the older ones. A build takes about 5 minutes and 1.9 GB. Nothing in the cached tree
# is changed by the tests (they mount over it in their own mount namespace, see rig.sh).
#
# Environment: GPUPASS_DESKTOP_CACHE, GPUPASS_DESKTOP_MIRROR (default http://deb.debian.org/debian),
# GPUPASS_DESKTOP_SUITE (default forky), GPUPASS_DESKTOP_PACKAGES (default chroot-packages.txt;
# another suite may name its packages otherwise, e.g. trixie has no
# qml6-module-org-kde-plasma-workspace).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${GPUPASS_DESKTOP_CACHE:-/var/cache/gpupass-desktop-chroot}
mirror=${GPUPASS_DESKTOP_MIRROR:-http://deb.debian.org/debian}
suite=${GPUPASS_DESKTOP_SUITE:-forky}
recipe=2   # bump when the mmdebstrap options below change

die() { echo "chroot.sh: $*" >&2; exit 1; }
packages() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "${GPUPASS_DESKTOP_PACKAGES:-$here/chroot-packages.txt}" | tr -d ' \t'; }
key() { { echo "recipe=$recipe suite=$suite mirror=$mirror"; packages; } | sha256sum | cut -c1-16; }

# why_not: prints why a build cannot happen here (nothing when it can)
why_not() {
    [ "$(id -u)" = 0 ] || { echo "needs root (mmdebstrap --mode=root, mounts, chroot)"; return; }
    command -v mmdebstrap >/dev/null || { echo "mmdebstrap not installed (Debian: apt-get install mmdebstrap)"; return; }
    # the mirror's Release file: a machine without network or mirror says so plainly
    local t
    t=$(mktemp)
    if ! timeout 30 /usr/lib/apt/apt-helper download-file "$mirror/dists/$suite/Release" "$t" >/dev/null 2>&1; then
        rm -f "$t"; echo "the mirror $mirror has no $suite (or cannot be reached)"; return
    fi
    rm -f "$t"
}

build() {
    local dir=$1 tmp
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/building.XXXXXX")
    chmod 0755 "$tmp"   # the test user reaches sockets inside (its session bus) from outside the chroot
    echo "chroot.sh: building the $suite chroot in $dir (about 5 minutes, once)" >&2
    local t0=$SECONDS
    # The mirror's forky Release file may have expired (Valid-Until): apt refuses it unless told.
    # Docs, man pages and translations are not needed: left out (a third smaller).
    if ! mmdebstrap --variant=apt --mode=root --format=directory \
        --aptopt='Acquire::Check-Valid-Until "false"' \
        --aptopt='APT::Install-Recommends "false"' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        --include="$(packages | paste -sd, -)" \
        "$suite" "$tmp/root" "$mirror" >"$tmp/mmdebstrap.log" 2>&1; then
        tail -30 "$tmp/mmdebstrap.log" >&2
        rm -rf --one-file-system "$tmp"
        die "mmdebstrap failed (the last lines above)"
    fi
    chroot "$tmp/root" dpkg-query -W -f '${Package} ${Version}\n' >"$tmp/packages.lst"
    echo "built $(date -u +%FT%TZ) in $((SECONDS - t0)) s: $(wc -l <"$tmp/packages.lst") packages, $(du -sh "$tmp/root" | cut -f1)" >"$tmp/built"
    echo "$suite" >"$tmp/suite"
    mv "$tmp" "$dir"
    cat "$dir/built" >&2
    # older keys of the same suite: not used any more
    local old
    for old in "$cache"/*; do
        [ "$old" = "$dir" ] && continue
        case "$(basename "$old")" in building.*) continue ;; esac
        if [ -f "$old/built" ] && [ "$(cat "$old/suite" 2>/dev/null || echo forky)" = "$suite" ]; then
            rm -rf --one-file-system "$old"
        fi
    done
}

path() {
    local dir reason
    dir=$cache/$(key)
    if [ ! -f "$dir/built" ]; then
        reason=$(why_not)
        [ -z "$reason" ] || die "cannot build the chroot: $reason"
        mkdir -p "$cache"
        # one build at a time (two test runs starting together wait for the first)
        exec 9>"$cache/.lock"
        flock 9
        [ -f "$dir/built" ] || build "$dir"
        flock -u 9
    fi
    echo "$dir/root"
}

check() {
    [ -f "$cache/$(key)/built" ] && exit 0
    local reason
    reason=$(why_not)
    [ -z "$reason" ] && exit 0
    echo "$reason"
    exit 2
}

case "${1:-}" in
    path) path ;;
    check) check ;;
    *) echo "usage: chroot.sh path|check" >&2; exit 2 ;;
esac
