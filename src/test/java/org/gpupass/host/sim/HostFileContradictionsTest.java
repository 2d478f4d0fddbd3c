package org.gpupass.host.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.gpupass.model.PciAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Host files that describe a machine that cannot exist, or that cannot be read, are refused with FILE:LINE. */
@Timeout(10)
class HostFileContradictionsTest {
    private static final String BASE = """
            iommu on
            device 0000:00:02.0 8086:a780 class=0x030000 driver=i915 group=2 boot_vga
            device 0000:01:00.0 10de:2705 class=0x030000 driver=nvidia group=1 consumers=0000:01:00.1
            device 0000:01:00.1 10de:22bb class=0x040300 driver=snd_hda_intel group=1
            """;

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "device 0000:03:00.0 10de:2705 class=0x030000 consumers=0000:09:00.0 | consumers= names 0000:09:00.0, "
                    + "which is not described",
            "device 0000:03:00.0 10de:2705 class=0x030000 consumers=0000:03:00.0 | consumers= names 0000:03:00.0 itself",
            "device 0000:03:00.0 10de:2705 class=0x030000 driver=amdgpu | 0000:03:00.0 (10de:2705, class 0x030000) "
                    + "cannot be on amdgpu: its ID table (1002:*@03) does not match the device and no override=amdgpu"
                    + " names it",
            "device 0000:03:00.0 1002:744c class=0x030000 driver=nvidia | 0000:03:00.0 (1002:744c, class 0x030000) "
                    + "cannot be on nvidia",
            "device 0000:03:00.1 10de:22bb class=0x040300 driver=nvidia | 0000:03:00.1 (10de:22bb, class 0x040300) "
                    + "cannot be on nvidia",
            "device 0000:03:00.0 10de:2705 class=0x030000 driver=nvidia boot_vga | 0000:03:00.0 cannot be boot_vga: "
                    + "0000:00:02.0 already is, and the firmware has one boot display",
    })
    void contradictionsNameTheirLine(String badLine, String message) {
        String text = BASE + "# a comment\n" + badLine + "\nunit sddm.service active\n";
        HostFileException e = assertThrows(HostFileException.class, () -> SimulatedKernel.parse(text, "t.host"));
        assertEquals(6, e.line(), e.getMessage());
        assertTrue(e.getMessage().startsWith("t.host:6: " + message), e.getMessage());
    }

    @Test
    void whatARealMachineCanShowIsAccepted() throws Exception {
        SimulatedKernel k = SimulatedKernel.parse("""
                device 0000:00:02.0 8086:a780 class=0x030000 driver=i915 boot_vga consumers=0000:05:00.0
                device 0000:01:00.0 10de:2705 class=0x030000 driver=vfio-pci
                device 0000:02:00.0 10de:2705 class=0x030000 driver=amdgpu override=amdgpu
                device 0000:05:00.0 1912:0014 class=0x0c0330 driver=xhci_hcd
                """, "ok.host");
        assertEquals(List.of(new PciAddress(0, 5, 0, 0)), k.pci().devices().get(0).consumers(), "a consumer described later");
    }

    @Test
    void theBuilderRefusesTheSame() {
        assertThrows(IllegalArgumentException.class, () -> SimulatedKernel.builder()
                .device("0000:00:02.0", "8086:a780", 0x030000).bootVga()
                .device("0000:01:00.0", "10de:2705", 0x030000).bootVga());
        assertThrows(IllegalArgumentException.class, () -> SimulatedKernel.builder()
                .device("0000:01:00.0", "10de:2705", 0x030000).consumers("0000:01:00.0"));
        assertThrows(IllegalArgumentException.class, () -> SimulatedKernel.builder()
                .device("0000:01:00.0", "10de:2705", 0x030000).consumers("0000:07:00.0").build());
        assertThrows(IllegalArgumentException.class, () -> SimulatedKernel.builder()
                .device("0000:01:00.0", "10de:2705", 0x030000).driver("i915").build());
    }

    @Test
    void aFileThatIsNotUtf8NamesTheFileAndTheLine() throws Exception {
        Path file = dir.resolve("latin1.host");
        byte[] head = "iommu on\n# caf".getBytes();
        byte[] bytes = new byte[head.length + 2];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xe9;
        bytes[head.length + 1] = '\n';
        Files.write(file, bytes);
        HostFileException e = assertThrows(HostFileException.class, () -> SimulatedKernel.fromFile(file));
        assertEquals(file + ":2: not UTF-8 text: byte 0xe9 (byte 6 of the line) is not valid UTF-8; save the file as "
                + "UTF-8", e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void aDirectoryOrAFifoIsNotAHostFile() throws Exception {
        HostFileException e = assertThrows(HostFileException.class, () -> SimulatedKernel.fromFile(dir));
        assertEquals(dir + ": not a regular file but a directory", e.getMessage());
        Path fifo = dir.resolve("fifo.host");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        e = assertThrows(HostFileException.class, () -> SimulatedKernel.fromFile(fifo));
        assertEquals(fifo + ": not a regular file but a device, FIFO or socket", e.getMessage());
        Path missing = dir.resolve("missing.host");
        e = assertThrows(HostFileException.class, () -> SimulatedKernel.fromFile(missing));
        assertEquals(missing + ": no such file", e.getMessage());
    }
}
