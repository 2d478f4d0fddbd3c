package org.gpupass.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Virtual consoles and firmware framebuffers on a fake sysfs tree laid out like the kernel's. */
class SysfsHostConsolesTest {
    @TempDir
    Path dir;
    FakeRoot r;
    SysfsHost host;

    @BeforeEach
    void setUp() {
        r = new FakeRoot(dir);
        host = new SysfsHost(dir, new RecordingUnits());
    }

    /** /sys/class/vtconsole/vtconN -> ../../devices/virtual/vtconsole/vtconN, with bind and name. */
    private void vtcon(String name, String bind, String description) {
        Path d = r.path("sys/devices/virtual/vtconsole/" + name);
        FakeRoot.write(d.resolve("bind"), bind + "\n");
        FakeRoot.write(d.resolve("name"), description + "\n");
        r.link("sys/class/vtconsole/" + name, "../../devices/virtual/vtconsole/" + name);
    }

    /** /sys/bus/platform/devices/D -> ../../../devices/platform/D, driver -> ../../../bus/platform/drivers/DRV. */
    private void platform(String device, String driver) {
        r.mkdirs("sys/devices/platform/" + device);
        r.link("sys/bus/platform/devices/" + device, "../../../devices/platform/" + device);
        if (driver != null) {
            r.mkdirs("sys/bus/platform/drivers/" + driver);
            r.link("sys/devices/platform/" + device + "/driver", "../../../bus/platform/drivers/" + driver);
        }
    }

    @Test
    void onlyBoundFramebufferConsolesAreListedInNumberOrder() throws IOException {
        assertEquals(List.of(), host.framebufferConsoles(), "no vtconsole class: none");
        vtcon("vtcon0", "0", "(S) dummy device");
        vtcon("vtcon1", "1", "(M) frame buffer device");
        vtcon("vtcon2", "0", "(M) frame buffer device");
        vtcon("vtcon10", "1", "(M) frame buffer device");
        vtcon("vtcon3", "1", "(M) VGA+");
        r.mkdirs("sys/class/vtconsole/notacon");
        assertEquals(List.of("vtcon1", "vtcon10"), host.framebufferConsoles());
    }

    @Test
    void aConsoleWithoutItsFilesIsLeftOut() throws IOException {
        vtcon("vtcon1", "1", "(M) frame buffer device");
        r.mkdirs("sys/class/vtconsole/vtcon2");
        assertEquals(List.of("vtcon1"), host.framebufferConsoles());
    }

    @Test
    void consolesAreUnboundWithZeroAndBoundWithOne() throws IOException {
        vtcon("vtcon1", "1", "(M) frame buffer device");
        host.unbindConsole("vtcon1");
        assertEquals("0", r.read("sys/devices/virtual/vtconsole/vtcon1/bind"));
        host.bindConsole("vtcon1");
        assertEquals("1", r.read("sys/devices/virtual/vtconsole/vtcon1/bind"));
    }

    @Test
    void boundFirmwareFramebuffersWithTheirDrivers() throws IOException {
        assertEquals(List.of(), host.firmwareFramebuffers(), "no platform bus: none");
        platform("efi-framebuffer.0", "efi-framebuffer");
        platform("simple-framebuffer.0", "simple-framebuffer");
        platform("vesa-framebuffer.0", null);
        platform("serial8250", "serial8250");
        platform("efifb.0", "efifb");
        assertEquals(List.of(new Framebuffer("efi-framebuffer.0", "efi-framebuffer"),
                new Framebuffer("simple-framebuffer.0", "simple-framebuffer")), host.firmwareFramebuffers());
    }

    @Test
    void framebuffersAreUnboundAndBoundThroughTheirDriver() throws IOException {
        platform("efi-framebuffer.0", "efi-framebuffer");
        host.unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        assertEquals("efi-framebuffer.0", r.read("sys/bus/platform/drivers/efi-framebuffer/unbind"));
        host.bindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        assertEquals("efi-framebuffer.0", r.read("sys/bus/platform/drivers/efi-framebuffer/bind"));
    }

    @Test
    void missingFilesAreEnoentNamingTheKernelPath() {
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> host.unbindConsole("vtcon4"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("/sys/class/vtconsole/vtcon4/bind", e.path());
        e = assertThrows(KernelWriteException.class, () -> host.bindFramebuffer("simpledrm", "simple-framebuffer.0"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("/sys/bus/platform/drivers/simpledrm/bind", e.path());
    }

    @Test
    void namesThatCouldEscapeAreRefusedBeforeAnyWrite() {
        for (String bad : List.of("..", "vtcon1/../vtcon2", "tty1", "", "vtcon1\n")) {
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class, () -> host.unbindConsole(bad)).errno(), bad);
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class, () -> host.bindConsole(bad)).errno(), bad);
        }
        for (String bad : List.of("..", "../../../../tmp/x", "serial8250", "efi-framebuffer.0/..", "")) {
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class,
                    () -> host.unbindFramebuffer("efi-framebuffer", bad)).errno(), bad);
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class,
                    () -> host.bindFramebuffer("efi-framebuffer", bad)).errno(), bad);
        }
        for (String bad : List.of("..", ".", "../../../../tmp/x", "a/b", "")) {
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class,
                    () -> host.unbindFramebuffer(bad, "efi-framebuffer.0")).errno(), bad);
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class,
                    () -> host.bindFramebuffer(bad, "efi-framebuffer.0")).errno(), bad);
        }
        assertFalse(Files.exists(r.path("sys/class/vtconsole")));
        assertFalse(Files.exists(r.path("sys/bus/platform")));
    }
}
