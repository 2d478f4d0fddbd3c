package org.gpupass.host;

import java.io.IOException;
import java.util.List;

/**
 * What holds the boot display besides its PCI driver: virtual consoles on a framebuffer console,
 * and the firmware's framebuffer platform devices.
 */
public interface Consoles {

    /**
     * Virtual consoles bound to a framebuffer console now: each {@code /sys/class/vtconsole/vtconN} whose
     * {@code bind} reads 1 and whose {@code name} contains "frame buffer" ({@code vtcon1}), by number.
     */
    List<String> framebufferConsoles() throws IOException;

    /** Writes 0 to {@code /sys/class/vtconsole/<vtcon>/bind}. */
    void unbindConsole(String vtcon) throws IOException;

    /** Writes 1 to {@code /sys/class/vtconsole/<vtcon>/bind}. */
    void bindConsole(String vtcon) throws IOException;

    /**
     * Firmware framebuffers bound now: {@code efi-framebuffer.N}, {@code simple-framebuffer.N} and
     * {@code vesa-framebuffer.N} under {@code /sys/bus/platform/devices} with a {@code driver} link, by name.
     */
    List<Framebuffer> firmwareFramebuffers() throws IOException;

    /** Writes the device to {@code /sys/bus/platform/drivers/<driver>/unbind}; ENODEV when not bound to it. */
    void unbindFramebuffer(String driver, String device) throws IOException;

    /** Writes the device to {@code /sys/bus/platform/drivers/<driver>/bind}; ENODEV when bound or not matched. */
    void bindFramebuffer(String driver, String device) throws IOException;
}
