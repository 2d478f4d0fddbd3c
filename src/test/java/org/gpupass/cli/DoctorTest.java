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

@Timeout(30)
class DoctorTest {
    /** dual-gpu with the IOMMU off: every group reads -1. */
    static final String DUAL_NO_IOMMU = """
            iommu off
            load i915 snd_hda_intel nvidia nvidia_modeset nvidia_drm nvidia_uvm
            device 0000:00:01.0 8086:a70d class=0x060400 driver=pcieport group=1
            device 0000:00:02.0 8086:a780 class=0x030000 driver=i915 group=2 boot_vga
            device 0000:01:00.0 10de:2705 class=0x030000 name="NVIDIA AD103" driver=nvidia group=1
            device 0000:01:00.1 10de:22bb class=0x040300 driver=snd_hda_intel group=1
            """;

    @TempDir
    Path dir;

    private DoctorRoot good() {
        return DoctorRoot.good(dir.resolve("root"));
    }

    private static List<String> json(DoctorRoot.Run run) throws Exception {
        assertTrue(run.err().isEmpty(), run.err());
        return DoctorRoot.flatten(run.out());
    }

    private static String verdict(List<String> flat, String check) {
        return flat.stream().filter(l -> l.startsWith("check " + check + " ")).findFirst()
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).orElseThrow(() -> new AssertionError("no check " + check));
    }

    private static String field(List<String> flat, String kind, String check) {
        return flat.stream().filter(l -> l.startsWith(kind + " " + check + " ") || l.equals(kind + " " + check + " "))
                .findFirst().map(l -> l.substring((kind + " " + check + " ").length())).orElse("");
    }

    private Path hostFile(String text) throws Exception {
        Path f = dir.resolve("custom.host");
        Files.writeString(f, text);
        return f;
    }

    // ------------------------------------------------------------------ the three simulated hosts

    @Test
    void dualGpuOnAGoodHostPassesAndTheNvidiaCardIsClaimable() throws Exception {
        DoctorRoot.Run run = good().doctor("--simulate=dual-gpu", "--json");
        List<String> flat = json(run);
        assertEquals(0, run.code(), run.out());
        assertTrue(flat.contains("ok true"), flat.toString());
        for (String check : List.of("cpu-virtualization", "iommu", "vfio-pci", "gpus", "boot-vga", "libvirt-hook", "ovmf")) {
            assertEquals("ok", verdict(flat, check), check + " in " + flat);
        }
        assertEquals("info", verdict(flat, "secure-boot"));
        assertEquals("info", verdict(flat, "libvirt-domains"));
        assertTrue(flat.contains("gpu 0000:01:00.0 claimable=true boot_vga=false group=1 driver=nvidia state=host "
                + "functions=0000:01:00.0,0000:01:00.1"), flat.toString());
        assertTrue(flat.contains("gpu 0000:00:02.0 claimable=false boot_vga=true group=2 driver=i915 state=host "
                + "functions=0000:00:02.0"), flat.toString());
        assertEquals("1 of 2 GPUs claimable: 0000:01:00.0", field(flat, "evidence", "gpus"));
    }

    @Test
    void dualGpuListsEveryGroupMemberWithClassDriverAndRole() throws Exception {
        List<String> flat = json(good().doctor("--simulate", "--json"));
        List<String> members = flat.stream().filter(l -> l.startsWith("member 0000:01:00.0 ")).toList();
        assertEquals(List.of(
                "member 0000:01:00.0 0000:00:01.0 function=false driver=pcieport class=PCI bridge",
                "member 0000:01:00.0 0000:01:00.0 function=true driver=nvidia class=VGA controller",
                "member 0000:01:00.0 0000:01:00.1 function=true driver=snd_hda_intel class=Audio device"), members);
    }

    @Test
    void dualGpuNamesTheIntelCardAsBootDisplayAndBlocksIt() throws Exception {
        List<String> flat = json(good().doctor("--simulate=dual-gpu", "--json"));
        assertTrue(field(flat, "evidence", "boot-vga").startsWith("2 GPUs: boot display 0000:00:02.0 Intel"),
                field(flat, "evidence", "boot-vga"));
        assertTrue(flat.contains("blocker 0000:00:02.0 0000:00:02.0 is the firmware's boot display "
                + "(set allow_boot_display = true to hand it over)"), flat.toString());
        assertTrue(flat.stream().anyMatch(l -> l.startsWith("blocker 0000:00:02.0 pid ") && l.contains("sddm.service")),
                flat.toString());
    }

    @Test
    void dualGpuHumanOutputHasAlignedChecksAndGpuBlocks() {
        DoctorRoot.Run run = good().doctor("--simulate=dual-gpu");
        assertEquals(0, run.code(), run.out());
        String out = run.out();
        assertTrue(out.contains("\n  ok    cpu-virtualization  vmx (Intel VT-x)"), out);
        assertTrue(out.contains("\n  ok    iommu               IOMMU on: 3 IOMMU groups"), out);
        assertTrue(out.contains("GPU 0000:01:00.0  NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]  driver nvidia"), out);
        assertTrue(out.contains("            claimable\n            group 1: 0000:00:01.0  PCI bridge      pcieport"
                + "       bridge, stays on the host\n"), out);
        assertTrue(out.contains("                     0000:01:00.1  Audio device    snd_hda_intel  function of the GPU\n"), out);
        assertTrue(out.endsWith("result: passthrough possible (claimable: 0000:01:00.0); 0 failed, 0 warnings\n"), out);
    }

    @Test
    void singleGpuWarnsTheHostLosesItsDisplayAndBlocksTheCard() throws Exception {
        DoctorRoot.Run run = good().doctor("--simulate=single-gpu", "--json");
        List<String> flat = json(run);
        assertEquals(1, run.code());
        assertTrue(flat.contains("ok false"));
        assertEquals("warn", verdict(flat, "boot-vga"));
        assertTrue(field(flat, "evidence", "boot-vga").startsWith(
                "single-GPU host: the host loses its display while the VM runs"), flat.toString());
        assertEquals("fail", verdict(flat, "gpus"));
        assertEquals("0 of 1 GPU claimable (0000:01:00.0: boot display, in use)", field(flat, "evidence", "gpus"));
        assertTrue(field(flat, "advice", "gpus").contains("allow_boot_display = true"), flat.toString());
        assertTrue(flat.contains("blocker 0000:01:00.0 0000:01:00.0 is the firmware's boot display "
                + "(set allow_boot_display = true to hand it over)"), flat.toString());
        assertTrue(flat.stream().anyMatch(l -> l.startsWith("blocker 0000:01:00.0 pid ") && l.contains("kwin_wayland")
                && l.contains("session-2.scope")), flat.toString());
    }

    @Test
    void singleGpuBecomesClaimableWhenTheConfigAllowsHandingTheDisplayOver() throws Exception {
        DoctorRoot root = good();
        root.write("etc/gpupassd/gpupassd.conf", "allow_boot_display = true\nstop_display_manager = when-holding\n"
                + "display_manager = sddm.service\n");
        DoctorRoot.Run run = root.doctor("--simulate=single-gpu", "--json");
        List<String> flat = json(run);
        assertEquals(0, run.code(), flat.toString());
        assertEquals("ok", verdict(flat, "config"));
        assertTrue(flat.stream().anyMatch(l -> l.startsWith("gpu 0000:01:00.0 claimable=true")), flat.toString());
        assertEquals("warn", verdict(flat, "boot-vga"), "still one GPU");
    }

    @Test
    void sharedGroupBlocksTheNvidiaCardNamingTheSataControllerAndExitsOne() throws Exception {
        DoctorRoot.Run run = good().doctor("--simulate=shared-group", "--json");
        List<String> flat = json(run);
        assertEquals(1, run.code());
        assertTrue(flat.contains("blocker 0000:01:00.0 IOMMU group 1 also holds 0000:00:17.0 (SATA controller)"),
                flat.toString());
        assertTrue(flat.contains("member 0000:01:00.0 0000:00:17.0 function=false driver=ahci class=SATA controller"),
                flat.toString());
        assertEquals("fail", verdict(flat, "gpus"));
        assertTrue(field(flat, "evidence", "gpus").contains("0000:01:00.0: IOMMU group shared with other devices"));
        String human = good().doctor("--simulate=shared-group").out();
        assertTrue(human.contains("0000:00:17.0  SATA controller  ahci           NOT the GPU's: blocks the claim"), human);
        assertTrue(human.contains("blocked: IOMMU group 1 also holds 0000:00:17.0 (SATA controller)"), human);
    }

    // ------------------------------------------------------------------ CPU

    @Test
    void noVirtualizationFlagAndNoKvmFails() throws Exception {
        DoctorRoot root = good().write("proc/cpuinfo", DoctorRoot.PLAIN_CPU).delete("dev/kvm");
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        List<String> flat = json(run);
        assertEquals(1, run.code());
        assertEquals("fail", verdict(flat, "cpu-virtualization"));
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
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        List<String> flat = json(run);
        assertEquals(1, run.code());
        assertEquals("fail", verdict(flat, "vfio-pci"));
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

    // ------------------------------------------------------------------ the hook

    @Test
    void hookNotExecutableFails() throws Exception {
        DoctorRoot root = good().hook("etc/libvirt/hooks/qemu.d/gpupassd", "#!/bin/sh\n", "rw-r--r--");
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        List<String> flat = json(run);
        assertEquals(1, run.code());
        assertEquals("fail", verdict(flat, "libvirt-hook"));
        assertTrue(field(flat, "advice", "libvirt-hook").contains("chmod 755"));
    }

    @Test
    void hookAsQemuScriptCountsOnlyWhenItCallsGpupassd() throws Exception {
        DoctorRoot root = good().delete("etc/libvirt/hooks/qemu.d");
        assertEquals("warn", verdict(json(root.doctor("--simulate", "--json")), "libvirt-hook"));
        root.hook("etc/libvirt/hooks/qemu", "#!/bin/sh\n/usr/local/libexec/other-hook \"$@\"\n", "rwxr-xr-x");
        List<String> flat = json(root.doctor("--simulate", "--json"));
        assertEquals("warn", verdict(flat, "libvirt-hook"));
        assertTrue(field(flat, "evidence", "libvirt-hook").contains("does not call gpupassd"), flat.toString());
        root.hook("etc/libvirt/hooks/qemu", "#!/bin/sh\nexec /usr/libexec/gpupassd/hook \"$@\"\n", "rwx------");
        flat = json(root.doctor("--simulate", "--json"));
        assertEquals("ok", verdict(flat, "libvirt-hook"), flat.toString());
    }

    // ------------------------------------------------------------------ domains

    @Test
    void managedYesOnAGpuFunctionFailsNamingDomainAndAddress() throws Exception {
        DoctorRoot root = good().domain("win11", "0000:01:00.0 yes", "0000:01:00.1 no");
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        List<String> flat = json(run);
        assertEquals(1, run.code());
        assertEquals("fail", verdict(flat, "libvirt-domains"));
        assertEquals("win11: managed='yes' on 0000:01:00.0", field(flat, "evidence", "libvirt-domains"));
        assertTrue(field(flat, "advice", "libvirt-domains").contains("managed='no'"));
        assertTrue(field(flat, "advice", "libvirt-domains").contains("nodedev-detach"));
    }

    @Test
    void managedNoWithAllFunctionsIsOkAndAMissingAttributeMeansNo() throws Exception {
        DoctorRoot root = good().domain("win11", "0000:01:00.0 no", "0000:01:00.1 -").domain("fedora", "0000:00:17.0 yes");
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        List<String> flat = json(run);
        assertEquals(0, run.code(), flat.toString());
        assertEquals("ok", verdict(flat, "libvirt-domains"));
        assertEquals("win11: GPU 0000:01:00.0 (2 functions, managed='no'); 1 domain without a GPU",
                field(flat, "evidence", "libvirt-domains"));
    }

    @Test
    void aDomainPassingOnlySomeFunctionsWarns() throws Exception {
        DoctorRoot root = good().domain("win11", "0000:01:00.0 no");
        List<String> flat = json(root.doctor("--simulate", "--json"));
        assertEquals("warn", verdict(flat, "libvirt-domains"));
        assertEquals("win11: passes 0000:01:00.0 but not 0000:01:00.1 of GPU 0000:01:00.0",
                field(flat, "evidence", "libvirt-domains"));
    }

    @Test
    void aBrokenDomainFileWarnsAndTheOthersAreStillChecked() throws Exception {
        DoctorRoot root = good().write("etc/libvirt/qemu/broken.xml", "<domain><devices>")
                .domain("win11", "0000:01:00.0 yes", "0000:01:00.1 yes");
        List<String> flat = json(root.doctor("--simulate", "--json"));
        assertEquals("fail", verdict(flat, "libvirt-domains"));
        String evidence = field(flat, "evidence", "libvirt-domains");
        assertTrue(evidence.startsWith("win11: managed='yes' on 0000:01:00.0, 0000:01:00.1; broken: domain XML is not well-formed"),
                evidence);
    }

    @Test
    void jsonEscapesHostileDomainFileNames() throws Exception {
        String name = "we\"ird\\na\tme";
        DoctorRoot root = good().domain(name, "0000:01:00.0 yes", "0000:01:00.1 yes");
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        assertTrue(run.out().contains("we\\\"ird\\\\na me"), run.out());
        List<String> flat = json(run);
        assertEquals("we\"ird\\na me: managed='yes' on 0000:01:00.0, 0000:01:00.1", field(flat, "evidence", "libvirt-domains"));
    }

    // ------------------------------------------------------------------ OVMF, config, usage

    @Test
    void ovmfAbsentWarnsAndAnyKnownPlaceIsEnough() throws Exception {
        DoctorRoot root = good().delete("usr/share/edk2");
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        List<String> flat = json(run);
        assertEquals("warn", verdict(flat, "ovmf"));
        assertEquals(0, run.code(), "a warning does not block");
        root.write("usr/share/qemu/ovmf-x86_64-ms-code.bin", "bin");
        assertEquals("/usr/share/qemu/ovmf-x86_64-ms-code.bin", field(json(root.doctor("--simulate", "--json")), "evidence", "ovmf"));
    }

    @Test
    void aBrokenConfigFailsButTheSurveyGoesOn() throws Exception {
        DoctorRoot root = good().write("etc/gpupassd/gpupassd.conf", "write-timeout = 5s\n");
        DoctorRoot.Run run = root.doctor("--simulate", "--json");
        List<String> flat = json(run);
        assertEquals(1, run.code());
        assertEquals("fail", verdict(flat, "config"));
        assertTrue(field(flat, "evidence", "config").contains("unknown key 'write-timeout'"), flat.toString());
        assertEquals("ok", verdict(flat, "gpus"));
    }

    @Test
    void withoutConfigOptionTheConfigIsReadUnderTheRoot() throws Exception {
        DoctorRoot root = good().write("etc/gpupassd/gpupassd.conf", "allow_boot_display = true\n");
        DoctorRoot.Run run = DoctorRoot.runRaw(Doctor::run, List.of("--sysfs-root=" + root.root, "--simulate", "--json"));
        List<String> flat = json(run);
        assertEquals(root.root.resolve("etc/gpupassd/gpupassd.conf") + " read", field(flat, "evidence", "config"));
        assertFalse(flat.stream().anyMatch(l -> l.contains("is the firmware's boot display")), flat.toString());
    }

    @Test
    void usageErrorsExitTwo() {
        DoctorRoot root = good();
        DoctorRoot.Run run = root.doctor("--simulate", "--frobnicate");
        assertEquals(2, run.code());
        assertTrue(run.err().contains("unknown option: --frobnicate"), run.err());
        assertTrue(run.out().isEmpty());
        assertEquals(2, root.doctor("status").code());
        DoctorRoot.Run unknownHost = root.doctor("--simulate=no-such-host");
        assertEquals(2, unknownHost.code());
        assertTrue(unknownHost.err().contains("dual-gpu, single-gpu, shared-group"), unknownHost.err());
        assertEquals(2, DoctorRoot.runRaw(Doctor::run, List.of("--sysfs-root=" + dir.resolve("nowhere"))).code());
        DoctorRoot.Run help = root.doctor("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().startsWith("Usage: gpupassctl doctor"));
    }

    /** A sysfs device directory with the kernel's relative links (driver, iommu_group, bus/pci/devices). */
    private static void sysfsDevice(DoctorRoot root, String address, String ids, String klass, String driver, int group,
                                    boolean bootVga) throws Exception {
        String rel = "sys/devices/pci0000:00/" + address;
        root.write(rel + "/vendor", "0x" + ids.substring(0, 4) + "\n").write(rel + "/device", "0x" + ids.substring(5) + "\n")
                .write(rel + "/class", klass + "\n");
        if (klass.startsWith("0x03")) {
            root.write(rel + "/boot_vga", bootVga ? "1\n" : "0\n");
        }
        Path dev = root.root.resolve(rel);
        root.mkdirs("sys/bus/pci/drivers/" + driver).mkdirs("sys/kernel/iommu_groups/" + group + "/devices")
                .mkdirs("sys/bus/pci/devices");
        Files.createSymbolicLink(dev.resolve("driver"), Path.of("../../../bus/pci/drivers/" + driver));
        Files.createSymbolicLink(dev.resolve("iommu_group"), Path.of("../../../kernel/iommu_groups/" + group));
        Files.createSymbolicLink(root.root.resolve("sys/bus/pci/devices/" + address),
                Path.of("../../../devices/pci0000:00/" + address));
    }

    @Test
    void readsSysfsUnderTheRootWhenNotSimulated() throws Exception {
        DoctorRoot root = good();
        sysfsDevice(root, "0000:00:02.0", "8086:a780", "0x030000", "i915", 0, true);
        sysfsDevice(root, "0000:03:00.0", "1002:73bf", "0x030000", "amdgpu", 7, false);
        sysfsDevice(root, "0000:03:00.1", "1002:ab28", "0x040300", "snd_hda_intel", 7, false);
        sysfsDevice(root, "0000:03:00.2", "1022:43f7", "0x0c0330", "xhci_hcd", 7, false);
        sysfsDevice(root, "0000:04:00.0", "144d:a808", "0x010802", "nvme", 7, false);
        root.write("proc/modules", "vfio_pci 16384 0 - Live 0x0000000000000000\namdgpu 9000000 3 - Live 0x0\n");
        DoctorRoot.Run run = root.doctor("--json");
        List<String> flat = json(run);
        assertEquals(1, run.code(), flat.toString());
        assertEquals("IOMMU on: 2 IOMMU groups with PCI devices; kernel command line: intel_iommu=on iommu=pt",
                field(flat, "evidence", "iommu"));
        assertEquals("vfio_pci module loaded", field(flat, "evidence", "vfio-pci"));
        assertTrue(flat.stream().anyMatch(l -> l.startsWith("gpu 0000:03:00.0 claimable=false boot_vga=false group=7 "
                + "driver=amdgpu state=host functions=0000:03:00.0,0000:03:00.1,0000:03:00.2")), flat.toString());
        assertTrue(flat.contains("blocker 0000:03:00.0 IOMMU group 7 also holds 0000:04:00.0 (NVMe controller)"),
                flat.toString());
        assertTrue(flat.contains("member 0000:03:00.0 0000:03:00.2 function=true driver=xhci_hcd class=USB controller"),
                flat.toString());
        root.delete("sys/devices/pci0000:00/0000:04:00.0").delete("sys/bus/pci/devices/0000:04:00.0");
        DoctorRoot.Run fixed = root.doctor("--json");
        assertEquals(0, fixed.code(), fixed.out());
        assertEquals("1 of 2 GPUs claimable: 0000:03:00.0", field(json(fixed), "evidence", "gpus"));
    }

    @Test
    void realRootDoesNotThrowAndPrintsEveryCheck() throws Exception {
        DoctorRoot.Run run = DoctorRoot.runRaw(Doctor::run, List.of("--config=" + dir.resolve("none.conf")));
        assertTrue(run.code() == 0 || run.code() == 1, run.err());
        for (String check : List.of("cpu-virtualization", "iommu", "vfio-pci", "gpus", "ovmf")) {
            assertTrue(run.out().contains(check), run.out());
        }
        DoctorRoot.Run json = DoctorRoot.runRaw(Doctor::run, List.of("--config=" + dir.resolve("none.conf"), "--json"));
        assertEquals(run.code(), json.code());
        Optional<String> ok = DoctorRoot.flatten(json.out()).stream().filter(l -> l.startsWith("ok ")).findFirst();
        assertEquals(run.code() == 0 ? "ok true" : "ok false", ok.orElseThrow());
    }
}
