#!/bin/bash
# Finds the kernel the guests boot: the newest /boot/vmlinuz-* that has a matching
# /lib/modules/<version> (the guest modprobes from the host's module tree over 9p).
#   find-kernel.sh version|image      (env GPUPASS_VM_KERNEL=VERSION picks one)
set -euo pipefail
pick() {
    if [ -n "${GPUPASS_VM_KERNEL:-}" ]; then echo "$GPUPASS_VM_KERNEL"; return; fi
    local v best=
    for img in /boot/vmlinuz-*; do
        [ -e "$img" ] || continue
        v=${img#/boot/vmlinuz-}
        [ -d "/lib/modules/$v" ] && [ -r "$img" ] || continue
        best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -1)
    done
    [ -n "$best" ] || { echo "no kernel: need /boot/vmlinuz-* with /lib/modules (apt-get install linux-image-amd64)" >&2; exit 2; }
    echo "$best"
}
v=$(pick)
case "${1:-version}" in
    version) echo "$v" ;;
    image) echo "/boot/vmlinuz-$v" ;;
    *) echo "usage: find-kernel.sh version|image" >&2; exit 2 ;;
esac
