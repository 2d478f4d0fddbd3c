#!/bin/sh
# /init of the test initramfs (busybox). Loads the 9p modules, mounts the host's root read-only
# and the writable results share, and chroots into the host root to run the guest script named by
# the kernel command line (gp_script=PATH, gp_args=ARG,ARG). Always powers the guest off.
# With gp_init=systemd it boots systemd instead (init-systemd.sh): the script then runs as a
# oneshot service of a test target.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in /modules/*.ko; do insmod "$m" || echo "gp-init: insmod $m failed"; done
off() { echo "gp-init: $*"; echo o > /proc/sysrq-trigger; sleep 10; }
# cache=loose: the root is read-only and does not change during a run; without a cache every
# exec reads its binary over 9p again (a JVM start costs seconds more under TCG).
lower=/newroot
[ "${gp_init:-}" = systemd ] && lower=/lower
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose host $lower || off "cannot mount the host root"
r=/newroot
# tmp_and_results: a fresh tmpfs on $r/tmp with the writable results share at $r/tmp/results.
# A checkout under /tmp (a CI clone, say) would vanish under that tmpfs: it stays visible.
tmp_and_results() {
    local keep=""
    case "$gp_script" in /tmp/*/src/test/vm/*) keep=${gp_script%%/src/test/vm/*} ;; esac
    if [ -n "$keep" ]; then
        mkdir -p /kept
        mount -o bind "$r$keep" /kept || off "cannot keep $keep"
    fi
    mount -t tmpfs -o mode=1777 tmpfs $r/tmp
    if [ -n "$keep" ]; then
        mkdir -p "$r$keep"
        mount -o bind /kept "$r$keep" || off "cannot keep $keep"
    fi
    mkdir -p $r/tmp/results
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results $r/tmp/results || off "cannot mount the results share"
}
if [ "${gp_init:-}" = systemd ]; then
    # The real-stack tier: systemd as PID 1 on a writable overlay of the host root.
    . /init-systemd.sh
fi
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm 2>/dev/null
mount -t devpts devpts $r/dev/pts
mount -t tmpfs tmpfs $r/dev/shm
mount -t tmpfs -o mode=755 tmpfs $r/run
tmp_and_results
# The kernel's own module loads (request_module: HDA codec drivers, vfio_iommu_type1, ...) run
# /sbin/modprobe in init's root, this initramfs: hand them to the host root's modprobe.
printf '#!/bin/sh\nexec /bin/chroot /newroot /sbin/modprobe "$@"\n' > /bin/modprobe-chroot
chmod 755 /bin/modprobe-chroot
echo /bin/modprobe-chroot > /proc/sys/kernel/modprobe
echo "gp-init: up $(cat /proc/uptime | cut -d' ' -f1)s, running $gp_script"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
chroot $r /bin/sh -c "cd /; exec $gp_script $(echo "$gp_args" | tr , ' ')"
echo "gp-init: guest script exited $?"
sync
off "powering off"
