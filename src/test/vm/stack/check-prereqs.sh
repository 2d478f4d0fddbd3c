#!/bin/bash
# Says what the real-stack tier needs beyond the real-kernel suite (check-prereqs.sh), one line
# each; exit 0 when nothing is missing. The guest runs the host's own root, so these are host
# packages (Debian names).
missing=0
say() { echo "$*"; missing=1; }
[ -x /lib/systemd/systemd ] || say "no systemd (apt-get install systemd)"
command -v udevadm >/dev/null || say "no udev (apt-get install udev)"
[ -x /usr/sbin/libvirtd ] || say "no libvirtd (apt-get install libvirt-daemon-system libvirt-daemon-driver-qemu)"
command -v virsh >/dev/null || say "no virsh (apt-get install libvirt-clients)"
[ -x /usr/lib/polkit-1/polkitd ] || say "no polkitd (apt-get install polkitd)"
[ -x /usr/lib/xorg/Xorg ] || say "no Xorg (apt-get install xserver-xorg-core)"
getent group libvirt >/dev/null || say "no group libvirt (made by libvirt-daemon-system)"
for c in make runuser setpriv useradd journalctl; do
    command -v $c >/dev/null || say "no $c on PATH"
done
modinfo -k "$(bash "$(dirname "$0")/../find-kernel.sh" version 2>/dev/null)" overlay >/dev/null 2>&1 || say "no overlay module for the guest kernel"
exit $missing
