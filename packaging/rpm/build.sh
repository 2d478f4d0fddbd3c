#!/bin/bash
# Builds the gpupassd RPM from a checkout after `mvn package` and checks its file list.
#
#   packaging/rpm/build.sh [OUTDIR]      (default OUTDIR: target/rpm)
#
# Makes Source0 (the installable files of the checkout) and Source1 (target/gpupassd.jar and
# target/lib/*.jar), runs rpmbuild -bb with _topdir under OUTDIR, prints `rpm -qlp`, and fails
# unless the package holds exactly the expected files, with the expected %config flags,
# noarch, and the expected dependencies. Works with Fedora's rpmbuild and Debian's (where the
# rpm database is empty: --nodeps skips the BuildRequires check).
# On CI (CI=true) the example configuration and the D-Bus interface XML must be present.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
out=${1:-$root/target/rpm}
die() { echo "build.sh: $*" >&2; exit 1; }

command -v rpmbuild >/dev/null || die "rpmbuild not found (Debian: apt-get install rpm; Fedora: dnf install rpm-build)"
[ -f target/gpupassd.jar ] || die "target/gpupassd.jar missing: run 'mvn package' first"
ls target/lib/*.jar >/dev/null 2>&1 || die "target/lib/*.jar missing: run 'mvn package' first"

version=$(unzip -p target/gpupassd.jar META-INF/MANIFEST.MF 2>/dev/null | tr -d '\r' | sed -n 's/^Implementation-Version: *//p')
[ -n "$version" ] || version=$(sed -n '0,/<version>/s/.*<version>\([^<]*\)<\/version>.*/\1/p' pom.xml)
rpmversion=${version//-/.}      # 0.1.0-SNAPSHOT -> 0.1.0.SNAPSHOT (no '-' in an RPM version)

files=(Makefile bin/gpupassd bin/gpupassctl systemd/gpupassd.service dbus-policy/org.gpupass1.conf
       $(git ls-files desktop 2>/dev/null || find desktop -type f)
       polkit/org.gpupass1.policy polkit/50-gpupassd-libvirt.rules.example libvirt/hooks/qemu.d/gpupassd)
[ -f docs/install.md ] && files+=(docs/install.md)
have_conf=0; have_ifaces=0
if [ -f etc/gpupassd.conf ]; then files+=(etc/gpupassd.conf); have_conf=1
else [ "${CI:-}" = true ] && die "etc/gpupassd.conf missing"; echo "build.sh: warning: no etc/gpupassd.conf, packaged without it" >&2; fi
if [ -f src/main/resources/org/gpupass1/org.gpupass1.Manager.xml ] && [ -f src/main/resources/org/gpupass1/org.gpupass1.Gpu.xml ]; then
    files+=(src/main/resources/org/gpupass1/org.gpupass1.Manager.xml src/main/resources/org/gpupass1/org.gpupass1.Gpu.xml)
    have_ifaces=1
else [ "${CI:-}" = true ] && die "the D-Bus interface XML is missing"; echo "build.sh: warning: no interface XML, packaged without it" >&2; fi

rm -rf "$out"
mkdir -p "$out"/{BUILD,BUILDROOT,RPMS,SOURCES,SPECS,SRPMS}
out=$(cd "$out" && pwd)
tar --owner=0 --group=0 --transform "s|^|gpupassd-$rpmversion/|" -czf "$out/SOURCES/gpupassd-$rpmversion.tar.gz" "${files[@]}"
tar --owner=0 --group=0 -czf "$out/SOURCES/gpupassd-$rpmversion-jars.tar.gz" target/gpupassd.jar target/lib/*.jar
cp packaging/rpm/gpupassd.spec "$out/SPECS/"

rpmbuild -bb --nodeps \
    --define "_topdir $out" \
    --define "gpupass_version $rpmversion" \
    --define "have_conf $have_conf" \
    --define "have_ifaces $have_ifaces" \
    "$out/SPECS/gpupassd.spec" >"$out/rpmbuild.log" 2>&1 || { tail -40 "$out/rpmbuild.log" >&2; die "rpmbuild failed (log: $out/rpmbuild.log)"; }

rpm=$(ls "$out"/RPMS/noarch/gpupassd-[0-9]*.noarch.rpm 2>/dev/null | head -1)
[ -n "$rpm" ] || die "no noarch RPM in $out/RPMS"
echo "== $rpm"
rpm -qip "$rpm" 2>/dev/null | sed -n '1,/^Description/p' | grep -E '^(Name|Version|Release|Architecture|Size|License|Summary)'
echo "== files (rpm -qlp)"
rpm -qlp "$rpm"

# the expected list
{
    echo /etc/gpupassd
    [ $have_conf = 1 ] && echo /etc/gpupassd/gpupassd.conf
    echo /etc/libvirt/hooks
    echo /etc/libvirt/hooks/qemu.d
    echo /etc/libvirt/hooks/qemu.d/gpupassd
    echo /usr/bin/gpupassctl
    echo /usr/bin/gpupassd
    echo /usr/lib/systemd/system/gpupassd.service
    if [ $have_ifaces = 1 ]; then
        echo /usr/share/dbus-1/interfaces/org.gpupass1.Gpu.xml
        echo /usr/share/dbus-1/interfaces/org.gpupass1.Manager.xml
    fi
    echo /usr/share/dbus-1/system.d/org.gpupass1.conf
    echo /usr/share/doc/gpupassd
    echo /usr/share/doc/gpupassd/50-gpupassd-libvirt.rules.example
    [ $have_conf = 1 ] && echo /usr/share/doc/gpupassd/gpupassd.conf
    [ -f docs/install.md ] && echo /usr/share/doc/gpupassd/install.md
    echo /usr/share/gpupassd
    echo /usr/share/gpupassd/gpupassd.jar
    echo /usr/share/gpupassd/lib
    for l in target/lib/*.jar; do echo "/usr/share/gpupassd/lib/$(basename "$l")"; done
    echo /usr/share/polkit-1/actions/org.gpupass1.policy
} | sort >"$out/expected-files"
rpm -qlp "$rpm" 2>/dev/null | sort >"$out/actual-files"
fail=0
if ! diff -u "$out/expected-files" "$out/actual-files"; then echo "build.sh: the file list differs from the expected one (above)" >&2; fail=1; fi

flags=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm" 2>/dev/null)
expect_flag() { # FLAGS PATH
    local got
    got=$(awk -v p="$2" '$NF == p { print ($1 == p ? "" : $1) }' <<<"$flags")
    if [ "$got" != "$1" ]; then echo "build.sh: $2 has flags '$got', expected '$1'" >&2; fail=1; fi
}
[ $have_conf = 1 ] && expect_flag cn /etc/gpupassd/gpupassd.conf
expect_flag c /etc/libvirt/hooks/qemu.d/gpupassd
expect_flag "" /usr/bin/gpupassd
expect_flag d /usr/share/doc/gpupassd/50-gpupassd-libvirt.rules.example

modes=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm" 2>/dev/null)
for x in /usr/bin/gpupassd /usr/bin/gpupassctl /etc/libvirt/hooks/qemu.d/gpupassd; do
    grep -q "^-rwxr-xr-x $x\$" <<<"$modes" || { echo "build.sh: $x is not -rwxr-xr-x" >&2; fail=1; }
done
[ "$(rpm -qp --qf '%{ARCH}' "$rpm" 2>/dev/null)" = noarch ] || { echo "build.sh: not noarch" >&2; fail=1; }

echo "== requires"
reqs=$(rpm -qp --requires "$rpm" 2>/dev/null)
echo "$reqs" | grep -v '^rpmlib(' 
for r in "java-headless >= 1:17" dbus systemd polkit; do
    grep -qxF "$r" <<<"$reqs" || { echo "build.sh: missing Requires: $r" >&2; fail=1; }
done
echo "== scriptlets"
rpm -qp --scripts "$rpm" 2>/dev/null | grep -E 'scriptlet|systemctl' | sed 's/^/  /'

# the unit in the package: ExecStart and the launcher's jar path
tmpx=$(mktemp -d)
(cd "$tmpx" && rpm2cpio "$rpm" | cpio -idm --quiet 2>/dev/null)
grep -q '^ExecStart=/usr/bin/gpupassd$' "$tmpx/usr/lib/systemd/system/gpupassd.service" || { echo "build.sh: unit ExecStart is not /usr/bin/gpupassd" >&2; fail=1; }
grep -q "^pkgdatadir='/usr/share/gpupassd'$" "$tmpx/usr/bin/gpupassd" || { echo "build.sh: launcher does not point at /usr/share/gpupassd" >&2; fail=1; }
rm -rf "$tmpx"

# the desktop applets' subpackages (noarch): exactly what make install puts there, and Requires
subpackage() { # NAME DIR REQUIRES...: checks gpupassd-NAME
    local name=$1 dir=$2; shift 2
    local sub want got r
    sub=$(ls "$out"/RPMS/noarch/gpupassd-"$name"-[0-9]*.noarch.rpm 2>/dev/null | head -1)
    [ -n "$sub" ] || { echo "build.sh: no gpupassd-$name RPM" >&2; fail=1; return; }
    echo "== $sub"
    rpm -qlp "$sub"
    want=$(cd "$tmpd/usr" && find "share/${dir#/usr/share/}" | sed 's|^|/usr/|' | sort)
    got=$(rpm -qlp "$sub" 2>/dev/null | sort)
    if [ "$want" != "$got" ]; then echo "build.sh: gpupassd-$name's files differ from make install's:" >&2; diff <(echo "$want") <(echo "$got") >&2; fail=1; fi
    [ "$(rpm -qp --qf '%{ARCH}' "$sub" 2>/dev/null)" = noarch ] || { echo "build.sh: gpupassd-$name is not noarch" >&2; fail=1; }
    for r in "gpupassd = $(rpm -qp --qf '%{VERSION}-%{RELEASE}' "$rpm" 2>/dev/null)" "$@"; do
        rpm -qp --requires "$sub" 2>/dev/null | grep -qxF "$r" || { echo "build.sh: gpupassd-$name lacks Requires: $r" >&2; fail=1; }
    done
}
tmpd=$(mktemp -d)
make -s install-desktop DESTDIR="$tmpd" PREFIX=/usr >/dev/null
# the oldest GNOME Shell that metadata.json names (the versions tested)
oldest_shell=$(grep -o '"shell-version": *\[[^]]*\]' desktop/gnome-shell/metadata.json | grep -o '[0-9][0-9]*' | sort -n | head -1)
subpackage gnome-shell /usr/share/gnome-shell/extensions/gpupass@gpupass.org "gnome-shell >= $oldest_shell"
subpackage plasma /usr/share/plasma/plasmoids/org.gpupass.widget "plasma-workspace >= 6.4"
rm -rf "$tmpd"

[ $fail = 0 ] || die "the RPM is not as expected"
echo "build.sh: OK $rpm"
