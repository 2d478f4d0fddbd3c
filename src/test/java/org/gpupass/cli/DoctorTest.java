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

/** doctor on the three simulated hosts, the OVMF, configuration and usage checks, and a sysfs root. */
@Timeout(30)
class DoctorTest extends DoctorTestBase {
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

    // ------------------------------------------------------------------ OVMF, config, usage

    @Test
    void ovmfAbsentWarnsAndAnyKnownPlaceIsEnough() throws Exception {
        DoctorRoot root = good().delete("usr/share/edk2");
        report(root, 0, "ovmf", "warn"); // a warning does not block
        root.write("usr/share/qemu/ovmf-x86_64-ms-code.bin", "bin");
        assertEquals("/usr/share/qemu/ovmf-x86_64-ms-code.bin", field(json(root.doctor("--simulate", "--json")), "evidence", "ovmf"));
    }

    @Test
    void aBrokenConfigFailsButTheSurveyGoesOn() throws Exception {
        DoctorRoot root = good().write("etc/gpupassd/gpupassd.conf", "write-timeout = 5s\n");
        List<String> flat = report(root, 1, "config", "fail");
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
