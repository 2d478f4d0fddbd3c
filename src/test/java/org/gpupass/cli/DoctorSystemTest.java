package org.gpupass.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** doctor: the host-wide checks (CPU, IOMMU and the kernel command line, vfio-pci, Secure Boot). */
@Timeout(30)
class DoctorSystemTest extends DoctorTestBase {
    // ------------------------------------------------------------------ CPU

    @Test
    void noVirtualizationFlagAndNoKvmFails() throws Exception {
        DoctorRoot root = good().write("proc/cpuinfo", DoctorRoot.PLAIN_CPU).delete("dev/kvm");
        List<String> flat = report(root, 1, "cpu-virtualization", "fail");
        assertTrue(field(flat, "advice", "cpu-virtualization").contains("firmware setup"));
    }

    @Test
    void svmIsAmdV() throws Exception {
        List<String> flat = json(good().write("proc/cpuinfo", DoctorRoot.AMD_CPU).doctor("--simulate", "--json"));
        assertEquals("ok", verdict(flat, "cpu-virtualization"));
        assertTrue(field(flat, "evidence", "cpu-virtualization").startsWith("svm (AMD-V)"), flat.toString());
    }

    @Test
    void missingFlagsButKvmPresentOnlyWarns() throws Exception {
        DoctorRoot.Run run = good().write("proc/cpuinfo", DoctorRoot.PLAIN_CPU).doctor("--simulate", "--json");
        assertEquals("warn", verdict(json(run), "cpu-virtualization"));
        assertEquals(0, run.code());
    }

    // ------------------------------------------------------------------ IOMMU

    @Test
    void iommuOffFailsWithCommandLineAdviceAndBlocksEveryGpu() throws Exception {
        DoctorRoot root = good().write("proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet\n");
        DoctorRoot.Run run = root.doctor("--simulate=" + hostFile(DUAL_NO_IOMMU), "--json");
        List<String> flat = json(run);
        assertEquals(1, run.code());
        assertEquals("fail", verdict(flat, "iommu"));
        assertTrue(field(flat, "evidence", "iommu").contains("no intel_iommu=, amd_iommu= or iommu="), flat.toString());
        assertTrue(field(flat, "advice", "iommu").contains("intel_iommu=on iommu=pt"), flat.toString());
        assertTrue(flat.stream().anyMatch(l -> l.startsWith("gpu 0000:01:00.0 claimable=false boot_vga=false group=-1")));
        assertTrue(flat.stream().anyMatch(l -> l.startsWith("blocker 0000:01:00.0 the IOMMU is off")), flat.toString());
        assertFalse(flat.stream().anyMatch(l -> l.startsWith("member ")), "no group, no members");
    }

    @Test
    void iommuOffOnKinoiteGivesTheRpmOstreeCommand() throws Exception {
        DoctorRoot root = good().write("proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet\n")
                .write("etc/os-release", "ID=fedora\nVARIANT_ID=kinoite\nPRETTY_NAME=\"Fedora Linux 41 (Kinoite)\"\n");
        List<String> flat = json(root.doctor("--simulate=" + hostFile(DUAL_NO_IOMMU), "--json"));
        assertTrue(field(flat, "advice", "iommu").contains("on Fedora Linux 41 (Kinoite): sudo rpm-ostree kargs "
                + "--append=intel_iommu=on --append=iommu=pt; enable VT-d in the firmware setup; then reboot"),
                flat.toString());
    }

    @Test
    void iommuOffOnDebianWithAnAmdCpuGivesTheGrubLine() throws Exception {
        DoctorRoot root = good().write("proc/cmdline", "BOOT_IMAGE=/vmlinuz ro quiet\n")
                .write("proc/cpuinfo", DoctorRoot.AMD_CPU)
                .write("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n")
                .write("etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        List<String> flat = json(root.doctor("--simulate=" + hostFile(DUAL_NO_IOMMU), "--json"));
        String advice = field(flat, "advice", "iommu");
        assertTrue(advice.startsWith("the kernel turns the AMD IOMMU on by default but found none: enable IOMMU /"
                + " AMD-Vi in the firmware setup; if it stays off, add amd_iommu=on iommu=pt"), advice);
        assertTrue(advice.contains("set GRUB_CMDLINE_LINUX_DEFAULT=\"quiet amd_iommu=on iommu=pt\" in /etc/default/grub,"
                + " then run sudo update-grub"), advice);
    }

    @Test
    void iommuAskedForButAbsentPointsAtTheFirmware() throws Exception {
        DoctorRoot root = good();
        List<String> flat = json(root.doctor("--simulate=" + hostFile(DUAL_NO_IOMMU), "--json"));
        assertTrue(field(flat, "evidence", "iommu").contains("kernel command line: intel_iommu=on iommu=pt"));
        assertTrue(field(flat, "advice", "iommu").contains("enable VT-d in the firmware setup"), flat.toString());
    }

    @Test
    void amdWithGroupsButNoAmdIommuParameterIsFine() throws Exception {
        DoctorRoot root = good().write("proc/cpuinfo", DoctorRoot.AMD_CPU).write("proc/cmdline", "ro quiet\n");
        List<String> flat = json(root.doctor("--simulate", "--json"));
        assertEquals("ok", verdict(flat, "iommu"));
        assertTrue(field(flat, "evidence", "iommu").contains("no intel_iommu=, amd_iommu= or iommu="), flat.toString());
    }

    // ------------------------------------------------------------------ vfio-pci

    @Test
    void vfioModuleFileMissingFails() throws Exception {
        DoctorRoot root = good().delete("lib/modules");
        List<String> flat = report(root, 1, "vfio-pci", "fail");
        assertTrue(field(flat, "evidence", "vfio-pci").contains(DoctorRoot.KERNEL), flat.toString());
    }

    @Test
    void vfioFoundLoadedBuiltInOrUnderUsrLib() throws Exception {
        DoctorRoot root = good();
        assertTrue(field(json(root.doctor("--simulate", "--json")), "evidence", "vfio-pci")
                .contains("/lib/modules/" + DoctorRoot.KERNEL + "/kernel/drivers/vfio/pci/vfio-pci.ko.xz"));
        root.delete("lib/modules");
        root.write("usr/lib/modules/" + DoctorRoot.KERNEL + "/kernel/drivers/vfio/pci/vfio-pci.ko.zst", "zst");
        assertEquals("ok", verdict(json(root.doctor("--simulate", "--json")), "vfio-pci"));
        root.delete("usr/lib/modules");
        root.write("lib/modules/" + DoctorRoot.KERNEL + "/modules.builtin", "kernel/drivers/vfio/vfio.ko\n"
                + "kernel/drivers/vfio/pci/vfio-pci.ko\n");
        assertTrue(field(json(root.doctor("--simulate", "--json")), "evidence", "vfio-pci").startsWith("vfio-pci built into"));
        root.delete("lib/modules");
        String loaded = DUAL_NO_IOMMU.replace("iommu off", "iommu on").replace("nvidia_uvm", "nvidia_uvm vfio_pci");
        List<String> flat = json(root.doctor("--simulate=" + hostFile(loaded), "--json"));
        assertEquals("vfio_pci module loaded", field(flat, "evidence", "vfio-pci"));
    }

    // ------------------------------------------------------------------ Secure Boot

    @Test
    void secureBootOnWithNvidiaWarns() throws Exception {
        List<String> flat = json(good().secureBoot(1).doctor("--simulate", "--json"));
        assertEquals("warn", verdict(flat, "secure-boot"));
        assertTrue(field(flat, "evidence", "secure-boot").contains("Secure Boot enabled and the nvidia driver"));
        assertTrue(field(flat, "advice", "secure-boot").contains("mokutil"));
    }

    @Test
    void secureBootStates() throws Exception {
        DoctorRoot root = good();
        assertEquals("UEFI boot; Secure Boot disabled", field(json(root.doctor("--simulate", "--json")), "evidence", "secure-boot"));
        root.delete("sys/firmware");
        List<String> flat = json(root.doctor("--simulate", "--json"));
        assertEquals("info", verdict(flat, "secure-boot"));
        assertTrue(field(flat, "evidence", "secure-boot").startsWith("legacy BIOS boot"), flat.toString());
        root.mkdirs(DoctorRoot.SECURE_BOOT); // unreadable as a file
        flat = json(root.doctor("--simulate", "--json"));
        assertEquals("warn", verdict(flat, "secure-boot"), flat.toString());
        assertTrue(field(flat, "evidence", "secure-boot").contains("cannot read"), flat.toString());
    }
}
