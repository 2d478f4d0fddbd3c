package org.gpupass.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.gpupass.libvirt.DomainXml;
import org.gpupass.libvirt.Hostdev;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class HostdevXmlTest {
    static final String NVIDIA_XML = """
            <!-- gpupassd: GPU 0000:01:00.0 NVIDIA AD103 [GeForce RTX 4070 Ti SUPER], 2 functions -->
            <hostdev mode='subsystem' type='pci' managed='no'>
              <source>
                <address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
              </source>
            </hostdev>
            <hostdev mode='subsystem' type='pci' managed='no'>
              <source>
                <address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>
              </source>
            </hostdev>
            """;

    @TempDir
    Path dir;

    private DoctorRoot root() {
        return DoctorRoot.good(dir.resolve("root"));
    }

    private static List<Hostdev> roundTrip(String out) throws Exception {
        return DomainXml.pciHostdevs("<domain type='kvm'><name>t</name><devices>\n" + out + "</devices></domain>");
    }

    @Test
    void printsEveryFunctionGpuFirstWithManagedNo() {
        DoctorRoot.Run run = root().hostdevXml("--simulate=dual-gpu", "01:00.0");
        assertEquals(0, run.code(), run.err());
        assertEquals(NVIDIA_XML, run.out());
        assertTrue(run.err().isEmpty());
    }

    @Test
    void anyFunctionNamesTheWholeGpu() {
        DoctorRoot.Run run = root().hostdevXml("--simulate=dual-gpu", "0000:01:00.1");
        assertEquals(0, run.code(), run.err());
        assertEquals(NVIDIA_XML, run.out());
    }

    @Test
    void outputRoundTripsThroughDomainXml() throws Exception {
        List<Hostdev> parsed = roundTrip(root().hostdevXml("--simulate", "01:00.0").out());
        assertEquals(List.of(new Hostdev(PciAddress.tryParse("0000:01:00.0"), false),
                new Hostdev(PciAddress.tryParse("0000:01:00.1"), false)), parsed);
        List<Hostdev> intel = roundTrip(root().hostdevXml("--simulate", "00:02.0").out());
        assertEquals(List.of(new Hostdev(PciAddress.tryParse("0000:00:02.0"), false)), intel);
    }

    @Test
    void aNameThatWouldBreakTheCommentStillRoundTrips() throws Exception {
        Path host = dir.resolve("odd.host");
        Files.writeString(host, """
                device 0000:0a:00.0 1002:73bf class=0x030000 name="Radeon -- RX <6800> & co-" driver=amdgpu group=3
                device 0000:0a:00.1 1002:ab28 class=0x040300 driver=snd_hda_intel group=3
                device 0000:0a:00.2 1002:73a6 class=0x0c0330 driver=xhci_hcd group=3
                """);
        DoctorRoot.Run run = root().hostdevXml("--simulate=" + host, "0a:00.2");
        assertEquals(0, run.code(), run.err());
        String comment = run.out().lines().findFirst().orElseThrow();
        assertFalse(comment.substring(4, comment.length() - 3).contains("--"), comment);
        assertEquals(List.of("0000:0a:00.0", "0000:0a:00.1", "0000:0a:00.2"),
                roundTrip(run.out()).stream().map(h -> h.address().toString()).toList());
    }

    @Test
    void malformedDeviceExitsThreeAsInvalidArgument() {
        DoctorRoot root = root();
        for (String bad : List.of("01:00", "zz:00.0", "zz", "0000:01:00.8", "01:20.0", "")) {
            DoctorRoot.Run run = root.hostdevXml("--simulate", bad);
            assertEquals(3, run.code(), "'" + bad + "': " + run.err());
            assertTrue(run.err().contains("not a PCI address"), run.err());
            assertTrue(run.out().isEmpty());
        }
    }

    @Test
    void notAGpuFunctionExitsFourAsNoSuchDevice() {
        DoctorRoot root = root();
        DoctorRoot.Run sata = root.hostdevXml("--simulate", "00:17.0");
        assertEquals(4, sata.code());
        assertEquals("gpupassctl hostdev-xml: 0000:00:17.0 is not a GPU or a function of one\n", sata.err());
        DoctorRoot.Run bridge = root.hostdevXml("--simulate", "00:01.0");
        assertEquals(4, bridge.code(), "a bridge is never a function");
        DoctorRoot.Run absent = root.hostdevXml("--simulate", "05:00.0");
        assertEquals(4, absent.code());
        assertTrue(absent.err().contains("no PCI device 0000:05:00.0"), absent.err());
        assertTrue(absent.out().isEmpty());
    }

    @Test
    void aGpuTheConfigDoesNotManageExitsFourSayingSo() {
        DoctorRoot root = root().write("etc/gpupassd/gpupassd.conf", "manage = 8086:*\n");
        DoctorRoot.Run run = root.hostdevXml("--simulate", "01:00.1");
        assertEquals(4, run.code());
        assertTrue(run.err().contains("does not manage"), run.err());
    }

    @Test
    void usageErrorsExitTwo() {
        DoctorRoot root = root();
        assertEquals(2, root.hostdevXml("--simulate").code());
        assertEquals(2, root.hostdevXml("--simulate", "01:00.0", "01:00.1").code());
        assertEquals(2, root.hostdevXml("--simulate", "--bogus", "01:00.0").code());
        assertEquals(2, root.hostdevXml("--simulate", "01:00.0", "--virt-xml").code(), "--virt-xml needs =DOMAIN");
        assertEquals(2, root.hostdevXml("--simulate", "-x").code(), "an unknown short option");
        assertEquals(0, root.hostdevXml("01:00.0", "--simulate").code(), "options after the operand");
        assertEquals(3, root.hostdevXml("--simulate", "--", "-x").code(), "after --, an operand (not an address)");
        DoctorRoot.Run help = root.hostdevXml("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("virsh edit") && help.out().contains("virt-xml"), help.out());
    }

    @Test
    void virtXmlPrintsOneCommandPerFunctionWithManagedNo() {
        DoctorRoot root = root();
        DoctorRoot.Run run = root.hostdevXml("--simulate", "--virt-xml=win11", "01:00.0");
        assertEquals(0, run.code(), run.err());
        assertEquals("virt-xml win11 --add-device --hostdev 0000:01:00.0,xpath.set=./@managed=no\n"
                + "virt-xml win11 --add-device --hostdev 0000:01:00.1,xpath.set=./@managed=no\n", run.out());
        DoctorRoot.Run quoted = root.hostdevXml("--simulate", "--virt-xml=it's mine", "01:00.1");
        assertTrue(quoted.out().startsWith("virt-xml 'it'\\''s mine' --add-device --hostdev 0000:01:00.0,"), quoted.out());
    }
}
