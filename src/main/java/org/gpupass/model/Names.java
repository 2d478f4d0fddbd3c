package org.gpupass.model;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules for the names gpupassd hands to the kernel and to systemd, in one place: the
 * configuration checks them when it is read, the host ports again before every write, the state
 * directory when it reads a record back. A name that passes here is safe as one path component.
 */
public final class Names {
    /** systemd's unit types (unit_type_from_string). */
    private static final Set<String> UNIT_TYPES = Set.of("service", "socket", "device", "mount", "automount",
            "swap", "target", "path", "timer", "slice", "scope");
    /**
     * systemd's unit-name characters (VALID_CHARS: letters, digits, {@code :-_.\}; the backslash
     * starts an escape such as {@code \x2d}), with at most one {@code @} between a template and its
     * instance. A leading {@code -} is refused: it would read as an option to systemctl.
     */
    private static final Pattern UNIT_PREFIX = Pattern.compile(
            "[A-Za-z0-9:_.\\\\][A-Za-z0-9:_.\\\\-]*(@[A-Za-z0-9:_.\\\\-]+)?");
    /** UNIT_NAME_MAX is 256 with the terminating NUL. */
    private static final int UNIT_MAX = 255;
    /** A module as /proc/modules, modprobe and delete_module(2) take it; MODULE_NAME_LEN is 56 with the NUL. */
    private static final Pattern MODULE = Pattern.compile("[A-Za-z0-9_-]{1,55}");
    /** A driver's directory under /sys/bus/{pci,platform}/drivers (e.g. {@code bochs-drm}, {@code efi-framebuffer}). */
    private static final Pattern DRIVER = Pattern.compile("[A-Za-z0-9_.-]+");

    private Names() {
    }

    /** A systemd unit name such as {@code sddm.service}, {@code getty@tty1.service}, {@code session-2.scope}. */
    public static boolean unit(String name) {
        if (name == null || name.length() > UNIT_MAX) {
            return false;
        }
        int dot = name.lastIndexOf('.');
        return dot > 0 && UNIT_TYPES.contains(name.substring(dot + 1))
                && UNIT_PREFIX.matcher(name.substring(0, dot)).matches();
    }

    /** A unit name of type {@code service}. */
    public static boolean service(String name) {
        return unit(name) && name.endsWith(".service");
    }

    /** A kernel module name, in either spelling ({@code nvidia-drm} or {@code nvidia_drm}). */
    public static boolean module(String name) {
        return name != null && MODULE.matcher(name).matches();
    }

    /** The kernel's spelling of a module name: {@code nvidia-drm} → {@code nvidia_drm}. */
    public static String kernelModuleName(String name) {
        return name.replace('-', '_');
    }

    /** A PCI or platform driver's name; never {@code .} or {@code ..}, so it cannot leave its directory. */
    public static boolean driver(String name) {
        return name != null && DRIVER.matcher(name).matches() && !name.equals(".") && !name.equals("..");
    }
}
