package org.gpupass.host.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.gpupass.model.PciAddress;
import org.gpupass.host.Errno;
import org.gpupass.host.KernelWriteException;
import org.gpupass.host.PciBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SysfsWritesTest {
    static final PciAddress NV = PciAddress.tryParse("0000:01:00.0");
    static final String OVERRIDE = "sys/bus/pci/devices/0000:01:00.0/driver_override";

    @RegisterExtension
    final FakeHost fake = new FakeHost(r -> {
        r.gpu("0000:01:00.0", "0x10de", "0x2705", "nvidia", 1);
        r.mkdirs("sys/bus/pci/drivers/vfio-pci");
    });

    /** One call on the PCI bus, as the daemon makes it. */
    interface PciWrite {
        void on(PciBus pci) throws IOException;
    }

    /** Makes the call and checks what the kernel file (relative to the fake root) then holds. */
    private void assertWrites(PciWrite write, String file, String expected) throws IOException {
        write.on(fake.host.pci());
        assertEquals(expected, fake.root.read(file));
    }

    @Test
    void driverOverrideWritesTheNameAndClearsWithANewline() throws IOException {
        assertWrites(pci -> pci.setDriverOverride(NV, "vfio-pci"), OVERRIDE, "vfio-pci");
        assertWrites(pci -> pci.setDriverOverride(NV, ""), OVERRIDE, "\n");
    }

    @Test
    void unbindAndBindWriteTheAddressToTheDriver() throws IOException {
        assertWrites(pci -> pci.unbind(NV, "nvidia"), "sys/bus/pci/drivers/nvidia/unbind", "0000:01:00.0");
        assertWrites(pci -> pci.bind(NV, "vfio-pci"), "sys/bus/pci/drivers/vfio-pci/bind", "0000:01:00.0");
    }

    @Test
    void probeRemoveAndRescan() throws IOException {
        assertWrites(pci -> pci.driversProbe(PciAddress.tryParse("01:00.1")), "sys/bus/pci/drivers_probe",
                "0000:01:00.1");
        assertWrites(pci -> pci.remove(NV), "sys/devices/pci0000:00/0000:01:00.0/remove", "1");
        assertWrites(PciBus::rescan, "sys/bus/pci/rescan", "1");
    }

    @Test
    void aSecondWriteReplacesTheFirst() throws IOException {
        fake.host.pci().setDriverOverride(NV, "snd_hda_intel");
        assertWrites(pci -> pci.setDriverOverride(NV, "vfio-pci"), OVERRIDE, "vfio-pci");
    }

    @Test
    void missingDriverDirectoryIsEnoentNamingTheKernelPath() {
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> fake.host.pci().bind(NV, "amdgpu"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("/sys/bus/pci/drivers/amdgpu/bind", e.path());
        assertFalse(Files.exists(fake.root.path("sys/bus/pci/drivers/amdgpu")));
    }

    @Test
    void missingDeviceIsEnoent() {
        KernelWriteException e = assertThrows(KernelWriteException.class,
                () -> fake.host.pci().remove(PciAddress.tryParse("0000:07:00.0")));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("/sys/bus/pci/devices/0000:07:00.0/remove", e.path());
    }

    /** A read-only sysfs attribute refuses writes even to root, like a driver that has no bind file. */
    @Test
    void readOnlyKernelFileIsEacces() throws IOException {
        Path ro = Path.of("/sys/kernel/uevent_seqnum");
        assumeTrue(Files.exists(ro), "no sysfs on this machine");
        String before = Files.readString(ro);
        FakeRoot.linkAbs(fake.root.path("sys/bus/pci/rescan"), ro.toString());
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> fake.host.pci().rescan());
        assertTrue(e.errno() == Errno.EACCES || e.errno() == Errno.EROFS, e.getMessage());
        assertEquals("/sys/bus/pci/rescan", e.path());
        assertTrue(Files.readString(ro).strip().matches("[0-9]+"), "untouched: " + before);
    }

    @Test
    void nonRootSeesEaccesOnAReadOnlyFile() throws IOException {
        assumeTrue(!"root".equals(System.getProperty("user.name")), "root ignores file modes");
        Path f = fake.root.path("sys/bus/pci/drivers/nvidia/unbind");
        Files.writeString(f, "");
        assertTrue(f.toFile().setWritable(false, false));
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> fake.host.pci().unbind(NV, "nvidia"));
        assertEquals(Errno.EACCES, e.errno());
    }

    @Test
    void driverNamesThatCouldEscapeAreRefusedBeforeAnyWrite() throws IOException {
        for (String bad : List.of("..", ".", "../../../tmp", "a/b", "", "nv idia", "nvidia\n")) {
            KernelWriteException e = assertThrows(KernelWriteException.class, () -> fake.host.pci().bind(NV, bad), bad);
            assertEquals(Errno.EINVAL, e.errno(), bad);
            assertThrows(KernelWriteException.class, () -> fake.host.pci().unbind(NV, bad), bad);
            if (!bad.isEmpty()) {
                assertThrows(KernelWriteException.class, () -> fake.host.pci().setDriverOverride(NV, bad), bad);
            }
        }
        assertFalse(Files.exists(fake.root.path("sys/bus/pci/bind")));
        assertFalse(Files.exists(fake.root.path("sys/bus/bind")));
        assertFalse(Files.exists(fake.root.path("sys/bus/pci/drivers/bind")));
        assertFalse(Files.exists(fake.root.path("sys/bus/pci/devices/0000:01:00.0/driver_override.new")));
        assertEquals("(null)\n", fake.root.read(OVERRIDE));
    }

    @Test
    void errnoFromJavaExceptions() {
        assertEquals(Errno.ENOENT, KernelFiles.errnoOf(new NoSuchFileException("/sys/x")));
        assertEquals(Errno.EACCES, KernelFiles.errnoOf(new AccessDeniedException("/sys/x")));
        assertEquals(Errno.ENODEV, KernelFiles.errnoOf(new FileSystemException("/sys/no such device", null,
                "No such device")));
        assertEquals(Errno.EBUSY, KernelFiles.errnoOf(new FileSystemException("/sys/x", null,
                "Device or resource busy")));
        assertEquals(Errno.ENXIO, KernelFiles.errnoOf(new IOException("No such device or address")));
        assertEquals(Errno.EINVAL, KernelFiles.errnoOf(new IOException("Invalid argument")));
        assertEquals(Errno.EACCES, KernelFiles.errnoOf(new FileNotFoundException("/sys/x (Permission denied)")));
        assertEquals(Errno.EIO, KernelFiles.errnoOf(new IOException("Is a directory")));
    }

    @Test
    void writingADirectoryIsAKernelWriteException() throws IOException {
        fake.root.mkdirs("sys/bus/pci/drivers_probe");
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> fake.host.pci().driversProbe(NV));
        assertEquals("/sys/bus/pci/drivers_probe", e.path());
    }

    @Test
    void errnoNumbersMapToTheEnum() {
        assertEquals(Errno.EBUSY, KernelFiles.ofNumber(16));
        assertEquals(Errno.EPERM, KernelFiles.ofNumber(1));
        assertEquals(null, KernelFiles.ofNumber(999));
    }
}
