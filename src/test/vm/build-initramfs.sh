#!/bin/bash
# Builds the tiny initramfs that boots the installed kernel into the host's root over 9p.
#   build-initramfs.sh CACHE_DIR [KERNEL_VERSION]
# Prints the path of the initramfs. Rebuilds only when an input changed (busybox, the module
# files, the init script, this script): the inputs' checksum is part of the file name.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: build-initramfs.sh CACHE_DIR [KERNEL_VERSION]}
kver=${2:-$("$here/find-kernel.sh" version)}
moddir=/lib/modules/$kver
busybox=${BUSYBOX:-$(command -v busybox || echo /bin/busybox)}
[ -x "$busybox" ] || { echo "no busybox (apt-get install busybox-static)" >&2; exit 2; }
[ -d "$moddir" ] || { echo "no modules for kernel $kver in $moddir" >&2; exit 2; }
if command -v file >/dev/null && ! file -L "$busybox" | grep -q 'statically linked'; then
    # The initramfs has no libc: only a static busybox works there.
    if [ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked'; then busybox=/bin/busybox
    else echo "busybox at $busybox is not static (apt-get install busybox-static)" >&2; exit 2; fi
fi

# The modules to reach a 9p root, with their dependencies, in load order (dependencies first),
# resolved from modules.dep so a kernel update needs no change here.
wanted="virtio_pci 9pnet_virtio 9p overlay"   # overlay: the real-stack tier's root
declare -A seen=()
order=()
dep_of() { # prints the dependency list of a module path relative to $moddir
    awk -v m="$1:" '$1==m { for (i=2;i<=NF;i++) print $i }' "$moddir/modules.dep"
}
path_of() { # module name -> relative path (modules.dep uses - or _ interchangeably in names)
    local n=${1//-/[-_]}; n=${n//_/[-_]}
    grep -E "(^|/)${n}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -1 | cut -d: -f1
}
visit() {
    local p=$1 d
    [ -n "${seen[$p]:-}" ] && return 0
    seen[$p]=1
    # modules.dep lists all transitive deps, most-dependent-on last: visit them in reverse.
    for d in $(dep_of "$p" | tac); do visit "$d"; done
    order+=("$p")
}
for m in $wanted; do
    p=$(path_of "$m"); [ -n "$p" ] || { echo "module $m not found for $kver" >&2; exit 2; }
    visit "$p"
done

sum=$( { sha256sum "$busybox" "$here/initramfs-init.sh" "$here/initramfs-systemd.sh" "$0"; for p in "${order[@]}"; do sha256sum "$moddir/$p"; done; echo "$kver"; } | sha256sum | cut -c1-16)
out="$cache/initramfs-$kver-$sum.cpio.gz"
if [ -s "$out" ]; then echo "$out"; exit 0; fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,dev,proc,sys,newroot,lower,results,modules}
cp "$busybox" "$work/bin/busybox"
for a in sh mount umount mkdir insmod chroot sleep cat echo ls poweroff switch_root ln rm cut tr; do ln -s busybox "$work/bin/$a"; done
i=0
for p in "${order[@]}"; do
    f="$moddir/$p"; b=$(basename "$p")
    case "$b" in
        *.ko.xz) xz -dc "$f" > "$work/modules/$(printf %02d $i)-${b%.xz}" ;;
        *.ko.zst) zstd -qdc "$f" > "$work/modules/$(printf %02d $i)-${b%.zst}" ;;
        *.ko.gz) gzip -dc "$f" > "$work/modules/$(printf %02d $i)-${b%.gz}" ;;
        *) cp "$f" "$work/modules/$(printf %02d $i)-$b" ;;
    esac
    i=$((i+1))
done
install -m 0755 "$here/initramfs-init.sh" "$work/init"
install -m 0644 "$here/initramfs-systemd.sh" "$work/init-systemd.sh"
(cd "$work" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
# Old builds for other inputs are useless now.
find "$cache" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -path "$out" -delete
echo "$out"
