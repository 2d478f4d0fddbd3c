#!/bin/bash
# Real-stack setup (every boot, before the scenarios): the project installed as a user installs
# it — make install PREFIX=/usr from the checkout, the shipped unit unmodified, enabled — the
# shipped example polkit rule put in place as docs/install.md says, and the test users:
#   gp-alice  in the group the example rule allows (libvirt)
#   gp-bob    in no such group
source "$GP_VM/guest/lib.sh"
need_daemon
t0=$(now_us)
out=$(make -C "$GP_BASE" -s install PREFIX=/usr 2>&1); rc=$?
log "make install PREFIX=/usr: exit $rc: $out"
fig stack.make_install_ms $(( ($(now_us) - t0) / 1000 ))
require "make install PREFIX=/usr succeeds" test $rc = 0
expect "the installed unit is the shipped one, unmodified" cmp -s "$GP_BASE/systemd/gpupassd.service" /usr/lib/systemd/system/gpupassd.service
expect "the hook is installed for libvirt" test -x /etc/libvirt/hooks/qemu.d/gpupassd
expect "the polkit action is installed" test -f /usr/share/polkit-1/actions/org.gpupass1.policy
expect "the bus policy is installed" test -f /usr/share/dbus-1/system.d/org.gpupass1.conf
expect "systemd knows the unit (make install ran daemon-reload)" test "$(systemctl show -p LoadState --value gpupassd.service)" = loaded
expect "systemctl enable gpupassd" systemctl enable -q gpupassd.service
expect "gpupassd is not running yet" test "$(systemctl is-active gpupassd.service)" = inactive
cp /usr/share/doc/gpupassd/50-gpupassd-libvirt.rules.example /etc/polkit-1/rules.d/50-gpupassd-libvirt.rules
useradd -m -G libvirt gp-alice && useradd -m gp-bob
expect "test users gp-alice (libvirt) and gp-bob" sh -c 'id gp-alice | grep -q libvirt && id gp-bob'
fig stack.setup_ms $(( ($(now_us) - t0) / 1000 ))
finish
