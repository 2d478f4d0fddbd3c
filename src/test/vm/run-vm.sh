#!/bin/bash
# Boots one qemu guest (TCG) with a test topology and runs a script inside it, chrooted into the
# host's root (shared read-only over 9p). The guest writes results to OUTDIR (a writable 9p share)
# and powers itself off; a guest still running after TIMEOUT seconds is killed and counts as a
# failure, with its console log printed.
#
#   run-vm.sh [-t TIMEOUT] [-o OUTDIR] [-c CACHE] [-s] TOPOLOGY GUEST_SCRIPT [ARG...]
#
# -s: the real stack (docs/real-stack-tests.md): systemd boots as PID 1 on a writable overlay of
# the host root and runs GUEST_SCRIPT as the oneshot service of a test target
# (initramfs-systemd.sh); the guest gets more memory (VM_MEM default 2560: systemd, libvirt, a
# display server and a nested qemu).
#
# TOPOLOGY: dual | shared | noiommu (see topology_args below, and docs/real-kernel-tests.md).
# GUEST_SCRIPT: an absolute path on the host (it is the same path in the guest).
# Exit: 0 the guest finished (read OUTDIR/results for the verdicts), 3 the guest did not finish
# (timeout, crash, or no DONE line), 2 a missing prerequisite.
# Env: VM_CPU (default Nehalem: no AVX — qemu 7.2's TCG AVX/AVX2 are new, and with -cpu max the
# daemon's JVM crashed with SIGSEGV in some runs), VM_MEM (MiB, default 1536), VM_SMP (default 2: the JVM starts 3x faster with a second vCPU under TCG), VM_ACCEL (default tcg), VM_APPEND (extra
# kernel arguments), GPUPASS_VM_KERNEL (kernel version).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
timeout=300 out= cache= stack=
while getopts t:o:c:s opt; do
    case $opt in t) timeout=$OPTARG ;; o) out=$OPTARG ;; c) cache=$OPTARG ;; s) stack=1 ;; *) exit 2 ;; esac
done
shift $((OPTIND-1))
topo=${1:?usage: run-vm.sh [-t TIMEOUT] [-o OUTDIR] TOPOLOGY GUEST_SCRIPT [ARG...]}
script=${2:?guest script}
shift 2
args=$(IFS=,; echo "$*")
[[ "$script" = /* ]] || { echo "guest script must be an absolute path" >&2; exit 2; }
case "$args" in *' '*) echo "guest arguments may not contain spaces" >&2; exit 2 ;; esac
qemu=$(command -v qemu-system-x86_64 || true)
[ -n "$qemu" ] || { echo "no qemu-system-x86_64 (apt-get install qemu-system-x86)" >&2; exit 2; }
kver=$("$here/find-kernel.sh" version) || exit 2
kimg=/boot/vmlinuz-$kver
basedir=$(cd "$here/../../.." && pwd)
cache=${cache:-$basedir/target/vm-cache}
out=${out:-$basedir/target/vm-runs/$topo-$(date +%s)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# A previous run's files would be read as this one's (logs are appended to): start empty.
find "$out" -maxdepth 1 -type f -delete
initrd=$("$here/build-initramfs.sh" "$cache" "$kver") || exit 2

iommu_dev=(-device intel-iommu,intremap=on,caching-mode=on)
iommu_arg=intel_iommu=on
# Every topology has a boot VGA at 00:02.0 (stdvga: bochs-drm, like the pair's GPU in "dual", so a
# claim must leave the shared bochs module loaded) and the GPU-like pair at 01:00.0/01:00.1 behind
# the PCIe root port 00:01.0, alone in one IOMMU group.
pair() { # $1 = the qemu model of the pair's GPU function
    echo "-device pcie-root-port,id=rp1,bus=pcie.0,addr=01.0,chassis=1,port=1"
    echo "-device $1,id=gpu1,bus=rp1,addr=00.0,multifunction=on"
    echo "-device ich9-intel-hda,id=hda1,bus=rp1,addr=00.1"
    echo "-device hda-duplex,bus=hda1.0,audiodev=snd0"
}
case "$topo" in
    dual)     # (a) boot VGA + a GPU-like pair, both on bochs-drm
        topo_args=$(pair VGA) ;;
    shared)   # (b) + a VGA and a NIC behind a conventional PCI bridge (one IOMMU group);
              # here the pair's GPU is a Cirrus VGA: the cirrus module serves nobody else
        topo_args="$(pair cirrus-vga)
-device pcie-root-port,id=rp2,bus=pcie.0,addr=03.0,chassis=2,port=2
-device pcie-pci-bridge,id=ppb,bus=rp2,addr=00.0
-device VGA,id=gpu2,bus=ppb,addr=01.0
-device e1000,id=nic1,bus=ppb,addr=02.0,netdev=n1
-netdev user,id=n1,restrict=on" ;;
    noiommu)  # (c) as dual, without an IOMMU
        topo_args=$(pair VGA); iommu_dev=(); iommu_arg= ;;
    *) echo "unknown topology $topo (dual, shared, noiommu)" >&2; exit 2 ;;
esac

# no_timer_check: under TCG on a loaded host the kernel's early check of the IO-APIC timer through
# interrupt remapping can miss its window and panic ("timer doesn't work through
# Interrupt-remapped IO-APIC"), seen here once in a few dozen boots.
append="console=ttyS0 panic=-1 loglevel=4 no_timer_check $iommu_arg gp_script=$script gp_args=$args ${VM_APPEND:-}"
mem=${VM_MEM:-1536}
if [ -n "$stack" ]; then
    append="$append gp_init=systemd systemd.unit=gp-stack.target systemd.show_status=1"
    mem=${VM_MEM:-2560}
fi
# shellcheck disable=SC2206
cmd=("$qemu" -machine q35,kernel-irqchip=split -accel "${VM_ACCEL:-tcg}" -cpu "${VM_CPU:-Nehalem}"
    -m "$mem" -smp "${VM_SMP:-2}" -nodefaults -vga none -display none -no-reboot
    -serial "file:$out/console.log" -monitor none
    "${iommu_dev[@]}"
    -device VGA,id=bootvga,bus=pcie.0,addr=02.0
    $topo_args
    -audiodev none,id=snd0
    # multidevs=remap: / spans many host filesystems (/, /proc, /sys, ...) whose inode numbers
    # collide; the guest caches by inode (cache=loose), so they must be remapped.
    -fsdev local,id=hostfs,path=/,security_model=none,readonly=on,multidevs=remap
    -device virtio-9p-pci,fsdev=hostfs,mount_tag=host,bus=pcie.0,addr=05.0
    -fsdev local,id=resfs,path="$out",security_model=none
    -device virtio-9p-pci,fsdev=resfs,mount_tag=results,bus=pcie.0,addr=06.0
    -kernel "$kimg" -initrd "$initrd" -append "$append")
printf '%q ' "${cmd[@]}" > "$out/qemu.cmd"; echo >> "$out/qemu.cmd"
start=$(date +%s%N)
rc=0
timeout -s KILL "$timeout" "${cmd[@]}" > "$out/qemu.out" 2>&1 || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "$ms" > "$out/boot-ms"
if [ "$rc" = 137 ] || [ "$rc" = 124 ]; then
    echo "run-vm: guest '$topo' hung: killed after ${timeout}s; console log ($out/console.log):" >&2
    tail -n 80 "$out/console.log" >&2 || true
    exit 3
fi
if [ "$rc" != 0 ] || ! grep -q '^DONE' "$out/results" 2>/dev/null; then
    echo "run-vm: guest '$topo' did not finish (qemu exit $rc, ${ms} ms); qemu said:" >&2
    cat "$out/qemu.out" >&2 || true
    echo "--- console log ($out/console.log):" >&2
    tail -n 80 "$out/console.log" >&2 || true
    exit 3
fi
echo "run-vm: guest '$topo' finished in ${ms} ms; results in $out/results" >&2
