package org.gpupass.host.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PciIdsTest {
    static final String SAMPLE = """
            #
            #\tList of PCI ID's
            #
            #\tVersion: 2024.01.01
            0001  SafeNet (wrong ID)
            1002  Advanced Micro Devices, Inc. [AMD/ATI]
            \t744c  Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]
            \t\t1002 0e3b  Radeon RX 7900 GRE
            \tab30  Navi 31 HDMI/DP Audio
            10de  NVIDIA Corporation
            \t22bb  AD103 High Definition Audio Controller
            \t2705  AD103 [GeForce RTX 4070 Ti SUPER]
            \t\t1043 88e2  TUF Gaming GeForce RTX 4070 Ti SUPER
            1234  Technical Corp.
            \t1111  QEMU Virtual Video Controller
            1af4  Red Hat, Inc.
            \t1050  Virtio 1.0 GPU
            1b36  Red Hat Inc.
            \t0100  QXL paravirtual graphic card
            8086  Intel Corporation
            \ta780  Raptor Lake-S GT1 [UHD Graphics 770]
            \t7a62  Raptor Lake SATA AHCI Controller
            abcd  Solo Vendor
            \t0001  Gadget
            C 03  Display controller
            \t00  VGA compatible controller
            """;

    @TempDir
    Path dir;

    private PciIds sample() throws IOException {
        Path f = dir.resolve("pci.ids");
        Files.writeString(f, SAMPLE);
        return new PciIds(f);
    }

    @Test
    void nameIsShortVendorThenDevice() throws IOException {
        PciIds ids = sample();
        assertEquals("NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]", ids.name(0x10de, 0x2705));
        assertEquals("AMD/ATI Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]", ids.name(0x1002, 0x744c));
        assertEquals("Intel Raptor Lake-S GT1 [UHD Graphics 770]", ids.name(0x8086, 0xa780));
        assertEquals("Solo Vendor Gadget", ids.name(0xabcd, 0x0001));
    }

    @Test
    void shortVendorTakesBracketsOrStripsOneCompanySuffix() {
        assertEquals("AMD/ATI", PciIds.shortVendor("Advanced Micro Devices, Inc. [AMD/ATI]"));
        assertEquals("NVIDIA", PciIds.shortVendor("NVIDIA Corporation"));
        assertEquals("Technical", PciIds.shortVendor("Technical Corp."));
        assertEquals("Red Hat", PciIds.shortVendor("Red Hat, Inc."));
        assertEquals("Red Hat", PciIds.shortVendor("Red Hat Inc."));
        assertEquals("Allied Telesis, Inc", PciIds.shortVendor("Allied Telesis, Inc"));
        assertEquals("Corporation", PciIds.shortVendor("Corporation"));
    }

    @Test
    void unknownDeviceOrVendorIsNull() throws IOException {
        PciIds ids = sample();
        assertNull(ids.name(0x10de, 0x9999), "known vendor, unknown device");
        assertNull(ids.name(0x5555, 0x2705), "unknown vendor");
    }

    @Test
    void subsystemLinesAndClassSectionAreNotDevices() throws IOException {
        PciIds ids = sample();
        // "\t\t1043 88e2" is a subsystem of 2705, not vendor 1043's device 88e2
        assertNull(ids.name(0x1043, 0x88e2));
        // "C 03" / "\t00" belong to the class section
        assertNull(ids.name(0x0c03, 0x0000));
        assertEquals("AMD/ATI Navi 31 HDMI/DP Audio", ids.name(0x1002, 0xab30));
    }

    @Test
    void batchLookupAnswersOnlyKnownKeys() throws IOException {
        PciIds ids = sample();
        Map<Integer, String> names = ids.names(List.of(PciIds.key(0x10de, 0x22bb), PciIds.key(0x8086, 0x7a62),
                PciIds.key(0x8086, 0x0001)));
        assertEquals(Map.of(PciIds.key(0x10de, 0x22bb), "NVIDIA AD103 High Definition Audio Controller",
                PciIds.key(0x8086, 0x7a62), "Intel Raptor Lake SATA AHCI Controller"), names);
    }

    @Test
    void answersAreCachedIncludingUnknownOnes() throws IOException {
        PciIds ids = sample();
        assertEquals("NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]", ids.name(0x10de, 0x2705));
        assertNull(ids.name(0x10de, 0x9999));
        Files.writeString(ids.file(), "10de  Other Corporation\n\t2705  Other\n\t9999  Now Known\n");
        assertEquals("NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]", ids.name(0x10de, 0x2705), "cached");
        assertNull(ids.name(0x10de, 0x9999), "unknown is cached too");
        assertEquals("Other Now Known", new PciIds(ids.file()).name(0x10de, 0x9999), "a fresh instance reads the file again");
    }

    @Test
    void firstDatabaseFoundUnderRootWinsAndNoneMeansNull() throws IOException {
        FakeRoot r = new FakeRoot(dir.resolve("root"));
        assertNull(PciIds.under(r.root).file());
        assertNull(PciIds.under(r.root).name(0x10de, 0x2705));
        r.pciIds("usr/share/misc/pci.ids", "10de  NVIDIA Corporation\n\t2705  From misc\n");
        assertEquals("NVIDIA From misc", PciIds.under(r.root).name(0x10de, 0x2705));
        r.pciIds("usr/share/hwdata/pci.ids", "10de  NVIDIA Corporation\n\t2705  From hwdata\n");
        assertEquals("NVIDIA From hwdata", PciIds.under(r.root).name(0x10de, 0x2705));
    }

    @Test
    void malformedLinesAreIgnored() throws IOException {
        Path f = dir.resolve("bad.ids");
        Files.writeString(f, "zz10  Bad\n10de\n\t27\n10de  NVIDIA Corporation\n\tzzzz  bad\n\t2705  Good\n");
        assertEquals("NVIDIA Good", new PciIds(f).name(0x10de, 0x2705));
    }

    /** Measures a cold lookup in this machine's database (the last vendor block needs the longest scan). */
    @Test
    void realDatabaseLookup() {
        PciIds ids = PciIds.under(Path.of("/"));
        assumeTrue(ids.file() != null, "no pci.ids on this machine");
        long t0 = System.nanoTime();
        String intel = ids.name(0x8086, 0xa780);
        long t1 = System.nanoTime();
        String nvidia = ids.name(0x10de, 0x2684);
        long t2 = System.nanoTime();
        String cached = ids.name(0x8086, 0xa780);
        long t3 = System.nanoTime();
        System.out.printf("pci.ids %s: cold 8086:a780 %.1f ms, cold 10de:2684 %.1f ms, cached %.3f ms%n", ids.file(),
                (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
        assertTrue(intel != null && intel.startsWith("Intel ") && intel.contains("UHD Graphics 770"), intel);
        assertTrue(nvidia != null && nvidia.startsWith("NVIDIA AD102"), nvidia);
        assertEquals(intel, cached);
    }
}
