# Sourced by the initramfs /init when the kernel command line says gp_init=systemd (the
# real-stack tier): the host root, already mounted read-only at /lower, becomes the lower layer of
# an overlay with a tmpfs upper at /newroot, so systemd, make install, useradd and libvirt can write
# to it without touching the host. Then a test target is written into the overlay's /etc and
# systemd is exec'd as PID 1:
#   gp-stack.target   basic.target + gp-stack.service (nothing else of multi-user.target)
#   gp-stack.service  runs gp_script with gp_args (as the plain guest does) and powers the guest
#                     off when it ends, whatever its exit status
# Inputs (kernel command line): gp_script, gp_args; $r is /newroot.
mkdir -p /upper
mount -t tmpfs -o mode=755 tmpfs /upper || off "cannot mount the overlay's tmpfs"
mkdir -p /upper/u /upper/w
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w overlay $r || off "cannot mount the overlay root"
# A container's marker: with it systemd says "Detected virtualization docker", behaves as in a
# container and ignores the kernel command line (systemd.unit= among it).
rm -f $r/.dockerenv
tmp_and_results
# /tmp is a fresh tmpfs already: nothing for systemd-tmpfiles to clean there (Debian's tmp.conf
# has "D /tmp"), and the results share below it is not its to touch.
echo "# gpupassd real-stack guest: /tmp is a fresh tmpfs" > $r/etc/tmpfiles.d/tmp.conf
u=$r/etc/systemd/system
cat > $u/gp-stack.target <<EOF
[Unit]
Description=gpupassd real-stack tests
Requires=basic.target gp-stack.service
After=basic.target
AllowIsolate=yes
EOF
cat > $u/gp-stack.service <<EOF
[Unit]
Description=gpupassd real-stack scenarios ($gp_script)
After=basic.target dbus.socket
Requires=dbus.socket
[Service]
Type=oneshot
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
ExecStart=/bin/bash $gp_script $(echo "$gp_args" | tr , ' ')
StandardOutput=append:/tmp/results/runner.log
StandardError=inherit
TimeoutStartSec=infinity
# Off at once when the scenarios end, whatever their exit status: an orderly poweroff would stop
# libvirt, its VMs and the display server first (and SuccessAction=poweroff-force was seen to hang
# here). The results share is written through (no cache): nothing is lost.
ExecStopPost=/bin/sh -c 'sync; echo o > /proc/sysrq-trigger'
EOF
echo "gp-init: up $(cat /proc/uptime | cut -d' ' -f1)s, booting systemd for $gp_script"
exec switch_root $r /lib/systemd/systemd
