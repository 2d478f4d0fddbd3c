package org.gpupass.cli.doctor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.function.Function;
import org.gpupass.plan.HostSnapshot;
import org.gpupass.model.PciDevice;

/** The host-wide prerequisites: CPU, IOMMU, vfio-pci, Secure Boot, OVMF. Read-only. */
public final class SystemChecks {
    static final String SECURE_BOOT_VAR =
            "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

    /** Where distributions put the OVMF firmware; any match is enough. Directory, then a name glob. */
    static final List<String[]> OVMF = List.of(
            new String[] {"/usr/share/OVMF", "OVMF_CODE*.fd"},
            new String[] {"/usr/share/edk2/ovmf", "OVMF_CODE*.fd"},
            new String[] {"/usr/share/edk2/ovmf", "OVMF_CODE*.qcow2"},
            new String[] {"/usr/share/edk2/x64", "OVMF_CODE*.fd"},
            new String[] {"/usr/share/qemu", "ovmf-x86_64*.bin"});

    private final Function<String, Path> under;

    /** @param under maps a host path such as {@code /proc/cmdline} to the file to read */
    public SystemChecks(Function<String, Path> under) {
        this.under = under;
    }

    /** Which CPU vendor /proc/cpuinfo names, for advice: intel, amd or null. */
    String cpuVendor() {
        String text = HostFile.read(under.apply("/proc/cpuinfo")).text();
        if (text.contains("GenuineIntel")) {
            return "intel";
        }
        if (text.contains("AuthenticAMD") || text.contains("HygonGenuine")) {
            return "amd";
        }
        return null;
    }

    // ------------------------------------------------------------------ 1. CPU

    public Check cpu() {
        String name = "cpu-virtualization";
        HostFile f = HostFile.read(under.apply("/proc/cpuinfo"));
        if (!f.present()) {
            return Check.warn(name, "cannot read /proc/cpuinfo (" + why(f) + ")",
                    "check the firmware setup for Intel VT-x or AMD-V (SVM)");
        }
        boolean vmx = false;
        boolean svm = false;
        boolean flagsSeen = false;
        for (String line : f.text().split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || !line.substring(0, colon).strip().equals("flags")) {
                continue;
            }
            flagsSeen = true;
            for (String flag : line.substring(colon + 1).strip().split("\\s+")) {
                vmx |= flag.equals("vmx");
                svm |= flag.equals("svm");
            }
        }
        boolean kvm = Files.exists(under.apply("/dev/kvm"));
        String kvmNote = kvm ? "; /dev/kvm present" : "; no /dev/kvm (kvm module not loaded?)";
        if (vmx) {
            return Check.ok(name, "vmx (Intel VT-x) in /proc/cpuinfo" + kvmNote);
        }
        if (svm) {
            return Check.ok(name, "svm (AMD-V) in /proc/cpuinfo" + kvmNote);
        }
        if (!flagsSeen) {
            return Check.warn(name, "no x86 'flags' line in /proc/cpuinfo" + kvmNote,
                    "passthrough as described here needs an x86 CPU with Intel VT-x or AMD-V");
        }
        if (kvm) {
            return Check.warn(name, "neither vmx (Intel VT-x) nor svm (AMD-V) in /proc/cpuinfo, yet /dev/kvm is present",
                    "check that KVM really works here (e.g. virt-host-validate qemu); on bare metal enable VT-x/AMD-V");
        }
        return Check.fail(name, "neither vmx (Intel VT-x) nor svm (AMD-V) in /proc/cpuinfo" + kvmNote,
                "enable Intel VT-x (Virtualization Technology) or AMD SVM Mode in the firmware setup; "
                        + "inside a VM, enable nested virtualization on its host");
    }

    // ------------------------------------------------------------------ 2. IOMMU

    /** IOMMU parameters on the kernel command line, e.g. {@code intel_iommu=on iommu=pt}. */
    List<String> iommuParameters(HostFile cmdline) {
        List<String> found = new ArrayList<>();
        for (String word : cmdline.text().strip().split("\\s+")) {
            String key = word.contains("=") ? word.substring(0, word.indexOf('=')) : word;
            if (key.equals("intel_iommu") || key.equals("amd_iommu") || key.equals("iommu")
                    || key.equals("iommu.passthrough") || key.equals("iommu.strict")) {
                found.add(Check.oneLine(word));
            }
        }
        return found;
    }

    public Check iommu(HostSnapshot snap) {
        String name = "iommu";
        HostFile cmdline = HostFile.read(under.apply("/proc/cmdline"));
        List<String> params = iommuParameters(cmdline);
        String shown = !cmdline.present() ? "kernel command line unreadable (" + why(cmdline) + ")"
                : params.isEmpty() ? "kernel command line has no intel_iommu=, amd_iommu= or iommu="
                : "kernel command line: " + String.join(" ", params);
        if (snap.iommuEnabled()) {
            TreeSet<Integer> groups = new TreeSet<>();
            for (PciDevice d : snap.devices()) {
                if (d.iommuGroup() >= 0) {
                    groups.add(d.iommuGroup());
                }
            }
            return Check.ok(name, "IOMMU on: " + groups.size() + " IOMMU group" + (groups.size() == 1 ? "" : "s")
                    + " with PCI devices; " + shown);
        }
        String vendor = cpuVendor();
        boolean off = params.stream().anyMatch(p -> p.equals("intel_iommu=off") || p.equals("amd_iommu=off"));
        boolean asked = params.stream().anyMatch(p -> p.equals("intel_iommu=on") || p.equals("amd_iommu=on"));
        String advice;
        if (off) {
            advice = "remove intel_iommu=off / amd_iommu=off from the kernel command line and reboot";
        } else if (asked) {
            advice = "the kernel was asked for an IOMMU but found none: enable "
                    + ("amd".equals(vendor) ? "IOMMU / AMD-Vi" : "VT-d") + " in the firmware setup";
        } else {
            String toAdd = IommuBootAdvice.advice(vendor, HostFile.read(under.apply("/etc/os-release")).text(),
                    HostFile.read(under.apply("/etc/default/grub")).text(),
                    Files.exists(under.apply("/run/ostree-booted")));
            advice = "amd".equals(vendor) ? "the kernel turns the AMD IOMMU on by default but found none: enable "
                    + "IOMMU / AMD-Vi in the firmware setup; if it stays off, " + toAdd : toAdd;
        }
        return Check.fail(name, "IOMMU off: /sys/kernel/iommu_groups is empty; " + shown, advice);
    }

    // ------------------------------------------------------------------ 3. vfio-pci

    public Check vfio(HostSnapshot snap) {
        String name = "vfio-pci";
        if (snap.moduleLoaded("vfio_pci")) {
            return Check.ok(name, "vfio_pci module loaded");
        }
        HostFile release = HostFile.read(under.apply("/proc/sys/kernel/osrelease"));
        String version = release.text().strip();
        boolean validVersion = release.present() && version.matches("[A-Za-z0-9._+~-]{1,200}");
        if (Files.isDirectory(under.apply("/sys/bus/pci/drivers/vfio-pci"))) {
            return Check.ok(name, "vfio-pci driver registered (built into the kernel)");
        }
        if (!validVersion) {
            return Check.warn(name, "vfio_pci not loaded, and the kernel version is unknown: /proc/sys/kernel/osrelease "
                    + (release.present() ? "malformed" : "unreadable (" + why(release) + ")"),
                    "check that the kernel's vfio-pci module is installed (modinfo vfio-pci)");
        }
        for (String base : List.of("/lib/modules/", "/usr/lib/modules/")) {
            String dir = base + version;
            if (builtIn(dir)) {
                return Check.ok(name, "vfio-pci built into kernel " + version + " (" + dir + "/modules.builtin)");
            }
            Path pciDir = under.apply(dir + "/kernel/drivers/vfio/pci");
            try (DirectoryStream<Path> files = Files.newDirectoryStream(pciDir, "vfio-pci.ko*")) {
                for (Path file : files) {
                    return Check.ok(name, "vfio_pci not loaded; module available: " + dir
                            + "/kernel/drivers/vfio/pci/" + file.getFileName() + " (gpupassd loads it at the first claim)");
                }
            } catch (IOException | RuntimeException e) {
                // not there: try the next place
            }
        }
        return Check.fail(name, "vfio-pci is not loaded, not built in, and no vfio-pci.ko* for kernel " + version,
                "install the kernel modules package that ships vfio-pci for " + version
                        + " (Fedora: kernel-modules-core; Debian: linux-image-" + version + "; Ubuntu: linux-modules-"
                        + version + ")");
    }

    private boolean builtIn(String moduleDir) {
        HostFile f = HostFile.read(under.apply(moduleDir + "/modules.builtin"));
        return f.present() && f.text().lines().anyMatch(l -> l.strip().endsWith("/vfio-pci.ko"));
    }

    // ------------------------------------------------------------------ 6. Secure Boot

    public Check secureBoot(HostSnapshot snap) {
        String name = "secure-boot";
        if (!Files.isDirectory(under.apply("/sys/firmware/efi"))) {
            return Check.info(name, "legacy BIOS boot (no /sys/firmware/efi): Secure Boot does not apply");
        }
        HostFile var = HostFile.read(under.apply(SECURE_BOOT_VAR), 4096);
        if (var.missing()) {
            return Check.info(name, "UEFI boot; no SecureBoot variable in efivars: Secure Boot state unknown");
        }
        if (!var.present()) {
            return Check.warn(name, "UEFI boot; cannot read the SecureBoot efivar (" + why(var) + ")",
                    "check with mokutil --sb-state");
        }
        if (var.bytes().length < 5) {
            return Check.warn(name, "UEFI boot; SecureBoot efivar has " + var.bytes().length
                    + " bytes, expected 4 attribute bytes and a value", "check with mokutil --sb-state");
        }
        int value = var.bytes()[4] & 0xff;
        if (value != 1) {
            return Check.info(name, "UEFI boot; Secure Boot disabled");
        }
        boolean nvidia = snap.moduleLoaded("nvidia")
                || snap.devices().stream().anyMatch(d -> d.driver().equals("nvidia"));
        if (nvidia) {
            return Check.warn(name, "UEFI boot; Secure Boot enabled and the nvidia driver is in use",
                    "the nvidia modules must be signed with an enrolled key (Fedora: akmods signs them once its key "
                            + "is enrolled with mokutil --import /etc/pki/akmods/certs/public_key.der), "
                            + "or they will not load again when the GPU is released");
        }
        return Check.info(name, "UEFI boot; Secure Boot enabled (out-of-tree GPU modules must be signed)");
    }

    // ------------------------------------------------------------------ 9. OVMF

    public Check ovmf() {
        String name = "ovmf";
        List<String> found = new ArrayList<>();
        for (String[] place : OVMF) {
            Path dir = under.apply(place[0]);
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, place[1])) {
                for (Path file : files) {
                    found.add(place[0] + "/" + file.getFileName());
                }
            } catch (IOException | RuntimeException e) {
                // not there
            }
        }
        if (found.isEmpty()) {
            return Check.warn(name, "no OVMF (UEFI firmware for VMs) under /usr/share/OVMF, /usr/share/edk2 or /usr/share/qemu",
                    "install it (Fedora: edk2-ovmf; Debian/Ubuntu: ovmf; Arch: edk2-ovmf): a GPU VM needs UEFI");
        }
        found.sort(null);
        return Check.ok(name, found.get(0) + (found.size() > 1 ? " (and " + (found.size() - 1) + " more)" : ""));
    }

    static String why(HostFile f) {
        return f.missing() ? "missing" : f.error() == null ? "unknown" : f.error().toLowerCase(Locale.ROOT);
    }
}
