package org.gpupass.host.sim;

import static org.gpupass.host.sim.SimAsserts.GPU;
import static org.gpupass.host.sim.SimAsserts.IGPU;
import static org.gpupass.host.sim.SimAsserts.a;
import static org.gpupass.host.sim.SimAsserts.dev;
import static org.gpupass.host.sim.SimAsserts.driver;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gpupass.model.PciDevice;
import org.gpupass.host.Errno;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The built-in hosts match the spec; the host format reads what it documents and names bad lines. */
@Timeout(10)
class HostFilesTest {

    private static List<String> describe(SimulatedKernel k) {
        return SimAsserts.read(() -> k.pci().devices()).stream().map(HostFilesTest::line).toList();
    }

    private static String line(PciDevice d) {
        return String.format("%s %s %06x %s g%d%s | %s", d.address(), d.ids(), d.classCode(), d.driver(),
                d.iommuGroup(), d.bootVga() ? " boot_vga" : "", d.displayName());
    }

    @Test
    void builtInNamesAndUnknownNameListsThem() throws Exception {
        assertEquals(List.of("dual-gpu", "single-gpu", "shared-group"), SimulatedKernel.builtInNames());
        assertEquals("dual-gpu", SimulatedKernel.DEFAULT_HOST);
        HostFileException e = assertThrows(HostFileException.class, () -> SimulatedKernel.builtIn("triple-gpu"));
        assertEquals("triple-gpu: no such built-in simulated host (built-in: dual-gpu, single-gpu, shared-group)",
                e.getMessage());
    }

    @Test
    void dualGpuIsTheSpecsDesktop() throws Exception {
        SimulatedKernel k = SimulatedKernel.builtIn("dual-gpu");
        assertEquals(List.of(
                "0000:00:01.0 8086:a70d 060400 pcieport g1 | Intel Raptor Lake PCIe Root Port",
                "0000:00:02.0 8086:a780 030000 i915 g2 boot_vga | Intel Raptor Lake-S GT1 [UHD Graphics 770]",
                "0000:00:17.0 8086:7a62 010601 ahci g5 | Intel Raptor Lake SATA AHCI Controller",
                "0000:01:00.0 10de:2705 030000 nvidia g1 | NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]",
                "0000:01:00.1 10de:22bb 040300 snd_hda_intel g1 | NVIDIA AD103 High Definition Audio Controller"),
                describe(k));
        assertTrue(k.pci().iommuEnabled());
        assertEquals(List.of("i915", "nvidia", "nvidia_drm", "nvidia_modeset", "nvidia_uvm", "snd_hda_intel"),
                List.copyOf(k.modules().loaded().keySet()));
        assertFalse(k.nodes().exists("/dev/vfio/vfio"), "vfio is available but not loaded");
        assertTrue(k.units().isActive("sddm.service"));
        assertEquals(List.of("Xorg"), k.nodes().holders(k.nodes().nodesOf(IGPU)).stream().map(h -> h.command()).distinct().toList());
        assertEquals(List.of(), k.nodes().holders(k.nodes().nodesOf(GPU)));
    }

    @Test
    void singleGpuHasNoIntelAndTheSessionHoldsTheNvidiaNodes() throws Exception {
        SimulatedKernel k = SimulatedKernel.builtIn("single-gpu");
        assertEquals(List.of(
                "0000:00:01.0 8086:a70d 060400 pcieport g1 | Intel Raptor Lake PCIe Root Port",
                "0000:00:17.0 8086:7a62 010601 ahci g5 | Intel Raptor Lake SATA AHCI Controller",
                "0000:01:00.0 10de:2705 030000 nvidia g1 boot_vga | NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]",
                "0000:01:00.1 10de:22bb 040300 snd_hda_intel g1 | NVIDIA AD103 High Definition Audio Controller"),
                describe(k));
        assertEquals(List.of("Xorg 0 sddm.service", "kwin_wayland 1000 session-2.scope"),
                k.nodes().holders(k.nodes().nodesOf(GPU)).stream().map(h -> h.command() + " " + h.uid() + " " + h.unit())
                        .distinct().toList());
        assertFalse(k.modules().loaded().containsKey("i915"));
    }

    @Test
    void sharedGroupPutsTheSataControllerInGroupOne() throws Exception {
        SimulatedKernel k = SimulatedKernel.builtIn("shared-group");
        List<String> groupOne = k.pci().devices().stream().filter(d -> d.iommuGroup() == 1)
                .map(d -> d.address().toString()).toList();
        assertEquals(List.of("0000:00:01.0", "0000:00:17.0", "0000:01:00.0", "0000:01:00.1"), groupOne);
        assertEquals(2, dev(k, IGPU).iommuGroup());
    }

    @Test
    void aCustomHostFileReadsBackAsWritten(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("lab.host");
        Files.writeString(file, """
                # A lab box: a Radeon with its audio, no IOMMU, and a custom driver.
                iommu off
                module mydrv deps=vfio pins=no dev-nodes=/dev/mydrv-ctl   # custom
                driver mydrv module=mydrv match=1af4:*@ff nodes=drm
                load snd_hda_intel

                device 0000:03:00.0 1002:73bf class=0x030000 name="AMD Navi 21 [Radeon RX 6800]" driver=amdgpu boot_vga consumers=0000:03:00.1
                device 0000:03:00.1 1002:ab28 class=0x040300 override=vfio-pci
                device 0000:04:00.0 1af4:1050 class=0xff0000
                unit gdm.service inactive
                process gnome-shell uid=42 unit=gdm.service opens=0000:03:00.0
                process qemu-system-x86_64 uid=107 opens=/dev/dri/renderD128
                """);
        SimulatedKernel k = SimulatedKernel.fromFile(file);
        assertFalse(k.pci().iommuEnabled());
        assertEquals(List.of(
                "0000:03:00.0 1002:73bf 030000 amdgpu g-1 boot_vga | AMD Navi 21 [Radeon RX 6800]",
                "0000:03:00.1 1002:ab28 040300  g-1 | 1002:ab28",
                "0000:04:00.0 1af4:1050 ff0000  g-1 | 1af4:1050"), describe(k));
        assertEquals(List.of(a("0000:03:00.1")), dev(k, a("0000:03:00.0")).consumers());
        assertEquals("vfio-pci", dev(k, a("0000:03:00.1")).driverOverride());
        assertFalse(k.units().isActive("gdm.service"));
        assertEquals(List.of("qemu-system-x86_64"), k.nodes().holders(List.of("/dev/dri/renderD128")).stream()
                .map(h -> h.command()).toList());
        assertEquals(List.of(), k.pidsOf("gdm.service"));
        k.units().start("gdm.service");
        assertEquals(List.of("gnome-shell /dev/dri/card0", "gnome-shell /dev/dri/renderD128",
                        "qemu-system-x86_64 /dev/dri/renderD128"),
                k.nodes().holders(List.of("/dev/dri/card0", "/dev/dri/renderD128")).stream()
                        .map(h -> h.command() + " " + h.node()).sorted().toList());
        k.modules().load("mydrv");
        assertEquals("mydrv", driver(k, a("0000:04:00.0")));
        assertEquals(List.of("/dev/dri/card1", "/dev/dri/renderD129"), k.nodes().nodesOf(a("0000:04:00.0")));
        assertTrue(k.nodes().exists("/dev/mydrv-ctl"));
        assertTrue(k.modules().loaded().containsKey("vfio"), "dependencies load first");
        assertEquals(Optional.of("mydrv"), k.modules().moduleOfDriver("mydrv"));
        assertEquals(Errno.ENODEV, SimAsserts.errno(() -> k.pci().bind(a("0000:03:00.1"), "snd_hda_intel")),
                "its override names vfio-pci");
        assertEquals(Errno.ENOENT, SimAsserts.errno(() -> k.pci().bind(a("0000:03:00.1"), "vfio-pci")), "not loaded");
    }

    @Test
    void customModuleWithoutPinsUnloadsUnderOpenNodes() throws Exception {
        SimulatedKernel k = SimulatedKernel.builder()
                .define("module toy pins=no")
                .define("driver toy module=toy match=1234:5678 nodes=sound")
                .device("0000:05:00.0", "1234:5678", 0x040300).driver("toy")
                .unit("pipewire.service").process("pipewire", 1000).opens("0000:05:00.0")
                .build();
        assertEquals(0, k.modules().loaded().get("toy").useCount());
        k.modules().unload("toy");
        assertEquals("", driver(k, a("0000:05:00.0")));
        assertEquals(Errno.ENOENT, SimAsserts.errno(() -> k.pci().bind(a("0000:05:00.0"), "toy")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "device 0000:01:00.0 10de:2705 class=0x030000 driver=nvidai | 2 | unknown driver 'nvidai'",
            "devise 0000:01:00.0 10de:2705 class=0x030000 | 2 | unknown keyword 'devise'",
            "device 01:00.0 10de:2705 class=0x030000 | 2 | bad PCI address '01:00.0'",
            "device 0000:01:00.0 10de:2705 | 2 | device: missing class=",
            "device 0000:01:00.0 10de:2705 class=0x030000 name=\"unterminated | 2 | unterminated \"",
            "device 0000:01:00.0 10de:2705 class=0x030000 colour=green | 2 | device: unknown attribute 'colour='",
            "iommu maybe | 2 | iommu takes on or off, not 'maybe'",
            "process Xorg uid=0 unit=sddm.service | 2 | unit 'sddm.service' is not described (yet)",
            "driver foo module=foo | 2 | unknown module 'foo'",
            "driver bar module=bochs match=12:34 | 2 | bad ID '12' in '12:34' (expected 4 hex digits or *)",
            "load nvidia extra | 2 | unknown module 'extra'",
    })
    void errorsNameTheLine(String badLine, int lineNo, String message) {
        String text = "# first line is fine\n" + badLine + "\n";
        HostFileException e = assertThrows(HostFileException.class, () -> SimulatedKernel.parse(text, "t.host"));
        assertEquals(lineNo, e.line());
        assertTrue(e.getMessage().startsWith("t.host:" + lineNo + ": " + message), e.getMessage());
    }

    @Test
    void builderRefusesDevicePropertiesBeforeAnyDevice() throws Exception {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> SimulatedKernel.builder().group(1));
        assertEquals("a device property before any device(...)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SimulatedKernel.builder().iommu(false)
                .device("0000:01:00.0", "10de:2705", 0x030000).driver("vfio-pci"));
    }

    @Test
    void kernelsFromOneBuilderAreIndependentOfItAndOfEachOther() throws Exception {
        SimulatedHostBuilder b = SimulatedKernel.builder()
                .device("0000:01:00.0", "10de:2705", 0x030000).driver("nvidia")
                .unit("sddm.service").process("Xorg", 0).opens("0000:01:00.0");
        SimulatedKernel first = b.build();
        SimulatedKernel second = b.build();
        b.device("0000:02:00.0", "1002:73bf", 0x030000).process("kwin", 1000);
        first.units().stop("sddm.service");
        first.pci().unbind(GPU, "nvidia");
        assertEquals("", driver(first, GPU));
        assertEquals("nvidia", driver(second, GPU));
        assertEquals(List.of(GPU), second.pci().devices().stream().map(PciDevice::address).toList());
        second.units().stop("sddm.service");
        second.units().start("sddm.service");
        assertEquals(List.of("Xorg"), second.nodes().holders(second.nodes().nodesOf(GPU)).stream().map(h -> h.command()).toList());
    }
}
