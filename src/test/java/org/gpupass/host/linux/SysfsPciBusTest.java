package org.gpupass.host.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.gpupass.model.PciAddress;
import org.gpupass.model.PciDevice;
import org.gpupass.host.Host;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SysfsPciBusTest {
    @RegisterExtension
    final FakeHost fake = new FakeHost(r -> r.pciIds("usr/share/hwdata/pci.ids", PciIdsTest.SAMPLE));

    static PciAddress a(String s) {
        return PciAddress.tryParse(s);
    }

    private Map<String, PciDevice> byAddress() throws IOException {
        return fake.host.pci().devices().stream().collect(Collectors.toMap(d -> d.address().toString(), d -> d));
    }

    /** The dual-GPU desktop: Intel iGPU, a root port, the NVIDIA card and its audio function behind it. */
    private void dualGpu() {
        fake.root.gpu("0000:00:02.0", "0x8086", "0xa780", "i915", 2).file("boot_vga", "1\n");
        fake.root.device("0000:00:01.0").ids("0x8086", "0xa70d", "0x060400").driver("pcieport").group(1)
                .override("(null)\n");
        fake.root.deviceBehind("0000:00:01.0", "0000:01:00.0").ids("0x10de", "0x2705", "0x030000").driver("nvidia")
                .group(1).file("boot_vga", "0\n").override("(null)\n").consumer("0000:01:00.1");
        fake.root.deviceBehind("0000:00:01.0", "0000:01:00.1").ids("0x10de", "0x22bb", "0x040300")
                .driver("snd_hda_intel").group(1).override("(null)\n");
        fake.root.device("0000:00:17.0").ids("0x8086", "0x7a62", "0x010601").driver("ahci").group(5).override("(null)\n");
    }

    @Test
    void readsEveryFieldOfTheDualGpuDesktop() throws IOException {
        dualGpu();
        PciDevice nv = byAddress().get("0000:01:00.0");
        assertEquals(new PciDevice(a("0000:01:00.0"), 0x10de, 0x2705, 0x030000,
                "NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]", "nvidia", "", 1, false, List.of(a("0000:01:00.1"))), nv);
        PciDevice intel = byAddress().get("0000:00:02.0");
        assertTrue(intel.bootVga());
        assertEquals("i915", intel.driver());
        assertEquals(2, intel.iommuGroup());
        assertEquals("Intel Raptor Lake-S GT1 [UHD Graphics 770]", intel.name());
        PciDevice port = byAddress().get("0000:00:01.0");
        assertTrue(port.isBridge());
        assertFalse(port.bootVga(), "no boot_vga file: not the boot display");
        assertNull(port.name(), "8086:a70d is not in the sample database");
        assertEquals("NVIDIA AD103 High Definition Audio Controller", byAddress().get("0000:01:00.1").name());
    }

    @Test
    void sortedByAddressWhateverTheDirectoryOrder() throws IOException {
        dualGpu();
        fake.root.device("0001:00:00.0").ids("0x1af4", "0x1050", "0x038000");
        fake.root.device("0000:00:1f.3").ids("0x8086", "0x7a50", "0x040380");
        List<String> order = fake.host.pci().devices().stream().map(d -> d.address().toString()).toList();
        assertEquals(List.of("0000:00:01.0", "0000:00:02.0", "0000:00:17.0", "0000:00:1f.3", "0000:01:00.0",
                "0000:01:00.1", "0001:00:00.0"), order);
    }

    @Test
    void garbageVendorSkipsOnlyThatDevice() throws IOException {
        dualGpu();
        fake.root.device("0000:02:00.0").ids("nvidia", "0x2705", "0x030000");
        fake.root.device("0000:03:00.0").ids("0x10de1", "0x2705", "0x030000"); // wider than 16 bits
        fake.root.device("0000:04:00.0").ids("0x10de", "", "0x030000");
        Map<String, PciDevice> devices = byAddress();
        assertEquals(5, devices.size(), devices.keySet().toString());
        assertFalse(devices.containsKey("0000:02:00.0"));
        assertFalse(devices.containsKey("0000:03:00.0"));
        assertFalse(devices.containsKey("0000:04:00.0"));
    }

    @Test
    void missingClassSkipsTheDevice() throws IOException {
        dualGpu();
        fake.root.device("0000:05:00.0").file("vendor", "0x10de\n").file("device", "0x2705\n");
        assertFalse(byAddress().containsKey("0000:05:00.0"));
        assertEquals(5, fake.host.pci().devices().size());
    }

    @Test
    void danglingDeviceLinkAndStrayEntriesAreSkipped() throws IOException {
        dualGpu();
        fake.root.link("sys/bus/pci/devices/0000:06:00.0", "../../../devices/pci0000:00/0000:06:00.0");
        fake.root.mkdirs("sys/bus/pci/devices/not-a-device");
        fake.root.mkdirs("sys/bus/pci/devices/0000:00:20.0"); // slot 0x20 does not exist
        assertEquals(List.of("0000:00:01.0", "0000:00:02.0", "0000:00:17.0", "0000:01:00.0", "0000:01:00.1"),
                fake.host.pci().devices().stream().map(d -> d.address().toString()).toList());
    }

    @Test
    void driverOverrideNullSetAndGarbage() throws IOException {
        fake.root.device("0000:01:00.0").ids("0x10de", "0x2705", "0x030000").override("(null)\n");
        fake.root.device("0000:01:00.1").ids("0x10de", "0x22bb", "0x040300").override("vfio-pci\n");
        fake.root.device("0000:02:00.0").ids("0x10de", "0x2705", "0x030000").override("../../evil\n");
        fake.root.device("0000:03:00.0").ids("0x10de", "0x2705", "0x030000"); // old kernel: no driver_override
        Map<String, PciDevice> d = byAddress();
        assertEquals("", d.get("0000:01:00.0").driverOverride());
        assertEquals("vfio-pci", d.get("0000:01:00.1").driverOverride());
        assertEquals("", d.get("0000:02:00.0").driverOverride());
        assertEquals("", d.get("0000:03:00.0").driverOverride());
    }

    @Test
    void iommuGroupAbsentOrMalformedIsMinusOne() throws IOException {
        fake.root.device("0000:01:00.0").ids("0x10de", "0x2705", "0x030000");
        fake.root.device("0000:02:00.0").ids("0x10de", "0x2705", "0x030000");
        FakeRoot.linkAbs(fake.root.path("sys/devices/pci0000:00/0000:02:00.0/iommu_group"), "../../../kernel/iommu_groups/x7");
        fake.root.device("0000:03:00.0").ids("0x10de", "0x2705", "0x030000").file("iommu_group", "12\n"); // not a link
        fake.root.device("0000:04:00.0").ids("0x10de", "0x2705", "0x030000").group(14);
        Map<String, PciDevice> d = byAddress();
        assertEquals(-1, d.get("0000:01:00.0").iommuGroup());
        assertEquals(-1, d.get("0000:02:00.0").iommuGroup());
        assertEquals(-1, d.get("0000:03:00.0").iommuGroup());
        assertEquals(14, d.get("0000:04:00.0").iommuGroup());
    }

    @Test
    void driverIsTheLinkBasenameEvenWhenTheLinkDangles() throws IOException {
        fake.root.device("0000:01:00.0").ids("0x10de", "0x2705", "0x030000");
        fake.root.device("0000:02:00.0").ids("0x10de", "0x2705", "0x030000");
        FakeRoot.linkAbs(fake.root.path("sys/devices/pci0000:00/0000:02:00.0/driver"), "../../../bus/pci/drivers/vfio-pci");
        Map<String, PciDevice> d = byAddress();
        assertEquals("", d.get("0000:01:00.0").driver());
        assertFalse(d.get("0000:01:00.0").hasDriver());
        assertEquals("vfio-pci", d.get("0000:02:00.0").driver());
    }

    /** driverOf, the one-link read a transition polls, agrees with the full scan for every device. */
    @Test
    void driverOfOneFunctionAgreesWithTheScan() throws IOException {
        dualGpu();
        fake.root.device("0000:02:00.0").ids("0x10de", "0x2705", "0x030000");
        FakeRoot.linkAbs(fake.root.path("sys/devices/pci0000:00/0000:02:00.0/driver"), "../../../bus/pci/drivers/vfio-pci");
        fake.root.device("0000:03:00.0").ids("0x10de", "0x2705", "0x030000");
        FakeRoot.linkAbs(fake.root.path("sys/devices/pci0000:00/0000:03:00.0/driver"), "../../../bus/pci/drivers/bad name!");
        for (PciDevice d : fake.host.pci().devices()) {
            assertEquals(Optional.of(d.driver()), fake.host.pci().driverOf(d.address()), d.address().toString());
        }
        assertEquals(Optional.of("vfio-pci"), fake.host.pci().driverOf(a("0000:02:00.0")));
        assertEquals(Optional.of(""), fake.host.pci().driverOf(a("0000:03:00.0")), "an unexpected link name is no driver");
        assertEquals(Optional.empty(), fake.host.pci().driverOf(a("0000:09:00.0")), "no such function");
    }

    @Test
    void consumerLinksParsedAndMalformedOnesIgnored() throws IOException {
        fake.root.device("0000:01:00.0").ids("0x10de", "0x2705", "0x030000").consumer("0000:01:00.3")
                .consumer("0000:01:00.1").consumer("0000:01:0.1");
        FakeRoot.linkAbs(fake.root.path("sys/devices/pci0000:00/0000:01:00.0/consumer:platform:i2c-1"), "../x");
        FakeRoot.linkAbs(fake.root.path("sys/devices/pci0000:00/0000:01:00.0/supplier:pci:0000:00:01.0"), "../y");
        assertEquals(List.of(a("0000:01:00.1"), a("0000:01:00.3")), fake.host.pci().devices().get(0).consumers());
    }

    @Test
    void bootVgaOnlyWhenTheFileSaysOne() throws IOException {
        fake.root.device("0000:01:00.0").ids("0x10de", "0x2705", "0x030000").file("boot_vga", "1\n");
        fake.root.device("0000:02:00.0").ids("0x10de", "0x2705", "0x030000").file("boot_vga", "0\n");
        fake.root.device("0000:03:00.0").ids("0x10de", "0x2705", "0x030000").file("boot_vga", "yes\n");
        Map<String, PciDevice> d = byAddress();
        assertTrue(d.get("0000:01:00.0").bootVga());
        assertFalse(d.get("0000:02:00.0").bootVga());
        assertFalse(d.get("0000:03:00.0").bootVga());
    }

    @Test
    void noNameWithoutDatabase() throws IOException {
        Files.delete(fake.root.path("usr/share/hwdata/pci.ids"));
        Host bare = LinuxHost.at(fake.dir, new RecordingUnits());
        fake.root.device("0000:01:00.0").ids("0x10de", "0x2705", "0x030000");
        PciDevice d = bare.pci().devices().get(0);
        assertNull(d.name());
        assertEquals("10de:2705", d.displayName());
    }

    @Test
    void noDevicesDirectoryMeansNoDevices() throws IOException {
        Host empty = LinuxHost.at(fake.dir.resolve("nowhere"), new RecordingUnits());
        assertEquals(List.of(), empty.pci().devices());
    }

    @Test
    void iommuEnabledOnlyWithGroups() throws IOException {
        assertFalse(fake.host.pci().iommuEnabled(), "empty iommu_groups: IOMMU off");
        assertFalse(LinuxHost.at(fake.dir.resolve("nowhere"), new RecordingUnits()).pci().iommuEnabled());
        fake.root.mkdirs("sys/kernel/iommu_groups/0/devices");
        assertTrue(fake.host.pci().iommuEnabled());
    }

    @Test
    void unitCallsGoToTheUnitControl() throws IOException {
        RecordingUnits units = new RecordingUnits();
        units.active.add("sddm.service");
        Host h = LinuxHost.at(fake.dir, units);
        assertTrue(h.units().isActive("sddm.service"));
        assertFalse(h.units().isActive("gdm.service"));
        h.units().stop("sddm.service");
        h.units().start("sddm.service");
        assertEquals(List.of("stop sddm.service", "start sddm.service"), units.calls);
    }
}
