package org.gpupass.host.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.gpupass.host.Errno;
import org.gpupass.host.Framebuffer;
import org.gpupass.host.KernelWriteException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Virtual consoles and firmware framebuffers on a fake sysfs tree laid out like the kernel's. */
class SysfsConsolesTest {
    @RegisterExtension
    final FakeHost fake = new FakeHost();

    /** /sys/class/vtconsole/vtconN -> ../../devices/virtual/vtconsole/vtconN, with bind and name. */
    private void vtcon(String name, String bind, String description) {
        Path d = fake.root.path("sys/devices/virtual/vtconsole/" + name);
        FakeRoot.write(d.resolve("bind"), bind + "\n");
        FakeRoot.write(d.resolve("name"), description + "\n");
        fake.root.link("sys/class/vtconsole/" + name, "../../devices/virtual/vtconsole/" + name);
    }

    /** /sys/bus/platform/devices/D -> ../../../devices/platform/D, driver -> ../../../bus/platform/drivers/DRV. */
    private void platform(String device, String driver) {
        fake.root.mkdirs("sys/devices/platform/" + device);
        fake.root.link("sys/bus/platform/devices/" + device, "../../../devices/platform/" + device);
        if (driver != null) {
            fake.root.mkdirs("sys/bus/platform/drivers/" + driver);
            fake.root.link("sys/devices/platform/" + device + "/driver", "../../../bus/platform/drivers/" + driver);
        }
    }

    @Test
    void onlyBoundFramebufferConsolesAreListedInNumberOrder() throws IOException {
        assertEquals(List.of(), fake.host.consoles().framebufferConsoles(), "no vtconsole class: none");
        vtcon("vtcon0", "0", "(S) dummy device");
        vtcon("vtcon1", "1", "(M) frame buffer device");
        vtcon("vtcon2", "0", "(M) frame buffer device");
        vtcon("vtcon10", "1", "(M) frame buffer device");
        vtcon("vtcon3", "1", "(M) VGA+");
        fake.root.mkdirs("sys/class/vtconsole/notacon");
        assertEquals(List.of("vtcon1", "vtcon10"), fake.host.consoles().framebufferConsoles());
    }

    @Test
    void aConsoleWithoutItsFilesIsLeftOut() throws IOException {
        vtcon("vtcon1", "1", "(M) frame buffer device");
        fake.root.mkdirs("sys/class/vtconsole/vtcon2");
        assertEquals(List.of("vtcon1"), fake.host.consoles().framebufferConsoles());
    }

    @Test
    void consolesAreUnboundWithZeroAndBoundWithOne() throws IOException {
        vtcon("vtcon1", "1", "(M) frame buffer device");
        fake.host.consoles().unbindConsole("vtcon1");
        assertEquals("0", fake.root.read("sys/devices/virtual/vtconsole/vtcon1/bind"));
        fake.host.consoles().bindConsole("vtcon1");
        assertEquals("1", fake.root.read("sys/devices/virtual/vtconsole/vtcon1/bind"));
    }

    @Test
    void boundFirmwareFramebuffersWithTheirDrivers() throws IOException {
        assertEquals(List.of(), fake.host.consoles().firmwareFramebuffers(), "no platform bus: none");
        platform("efi-framebuffer.0", "efi-framebuffer");
        platform("simple-framebuffer.0", "simple-framebuffer");
        platform("vesa-framebuffer.0", null);
        platform("serial8250", "serial8250");
        platform("efifb.0", "efifb");
        assertEquals(List.of(new Framebuffer("efi-framebuffer.0", "efi-framebuffer"),
                new Framebuffer("simple-framebuffer.0", "simple-framebuffer")), fake.host.consoles().firmwareFramebuffers());
    }

    @Test
    void framebuffersAreUnboundAndBoundThroughTheirDriver() throws IOException {
        platform("efi-framebuffer.0", "efi-framebuffer");
        fake.host.consoles().unbindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        assertEquals("efi-framebuffer.0", fake.root.read("sys/bus/platform/drivers/efi-framebuffer/unbind"));
        fake.host.consoles().bindFramebuffer("efi-framebuffer", "efi-framebuffer.0");
        assertEquals("efi-framebuffer.0", fake.root.read("sys/bus/platform/drivers/efi-framebuffer/bind"));
    }

    @Test
    void missingFilesAreEnoentNamingTheKernelPath() {
        KernelWriteException e = assertThrows(KernelWriteException.class, () -> fake.host.consoles().unbindConsole("vtcon4"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("/sys/class/vtconsole/vtcon4/bind", e.path());
        e = assertThrows(KernelWriteException.class, () -> fake.host.consoles().bindFramebuffer("simpledrm", "simple-framebuffer.0"));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("/sys/bus/platform/drivers/simpledrm/bind", e.path());
    }

    @Test
    void namesThatCouldEscapeAreRefusedBeforeAnyWrite() {
        for (String bad : List.of("..", "vtcon1/../vtcon2", "tty1", "", "vtcon1\n")) {
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class, () -> fake.host.consoles().unbindConsole(bad)).errno(), bad);
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class, () -> fake.host.consoles().bindConsole(bad)).errno(), bad);
        }
        for (String bad : List.of("..", "../../../../tmp/x", "serial8250", "efi-framebuffer.0/..", "")) {
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class,
                    () -> fake.host.consoles().unbindFramebuffer("efi-framebuffer", bad)).errno(), bad);
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class,
                    () -> fake.host.consoles().bindFramebuffer("efi-framebuffer", bad)).errno(), bad);
        }
        for (String bad : List.of("..", ".", "../../../../tmp/x", "a/b", "")) {
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class,
                    () -> fake.host.consoles().unbindFramebuffer(bad, "efi-framebuffer.0")).errno(), bad);
            assertEquals(Errno.EINVAL, assertThrows(KernelWriteException.class,
                    () -> fake.host.consoles().bindFramebuffer(bad, "efi-framebuffer.0")).errno(), bad);
        }
        assertFalse(Files.exists(fake.root.path("sys/class/vtconsole")));
        assertFalse(Files.exists(fake.root.path("sys/bus/platform")));
    }
}
