#!/bin/bash
# Says what the real-kernel suite is missing on this machine, one line each; exit 0 when nothing.
missing=0
say() { echo "$*"; missing=1; }
command -v qemu-system-x86_64 >/dev/null || say "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
here=$(cd "$(dirname "$0")" && pwd)
"$here/find-kernel.sh" version >/dev/null 2>&1 || say "no readable /boot/vmlinuz-* with /lib/modules/<version> (apt-get install linux-image-amd64)"
bb=$(command -v busybox || echo /bin/busybox)
if [ ! -x "$bb" ]; then say "no busybox (apt-get install busybox-static)"
elif command -v file >/dev/null && ! file -L "$bb" | grep -q 'statically linked'; then say "busybox is not static (apt-get install busybox-static)"; fi
for c in cpio gzip timeout dbus-daemon busctl gdbus dbus-send java; do
    command -v $c >/dev/null || say "no $c on PATH"
done
[ "$(id -u)" = 0 ] || say "not root: the guest shares / over 9p and must read everything (run as root, as CI does)"
exit $missing
