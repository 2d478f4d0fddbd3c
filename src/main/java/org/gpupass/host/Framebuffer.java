package org.gpupass.host;

/**
 * A firmware framebuffer platform device bound to its driver, as sysfs shows it:
 * {@code /sys/bus/platform/devices/efi-framebuffer.0/driver -> .../drivers/efi-framebuffer}.
 *
 * @param device the platform device, {@code efi-framebuffer.N}, {@code simple-framebuffer.N} or {@code vesa-framebuffer.N}
 * @param driver the platform driver it is bound to, e.g. {@code efi-framebuffer}, {@code simple-framebuffer}, {@code vesafb}
 */
public record Framebuffer(String device, String driver) {
}
