package org.gpupass.host;

import java.util.Locale;

/** The errno values a sysfs write, module operation or unit job can answer. */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    ENOENT(2, "No such file or directory"),
    EIO(5, "Input/output error"),
    ENXIO(6, "No such device or address"),
    EAGAIN(11, "Resource temporarily unavailable"),
    ENOMEM(12, "Cannot allocate memory"),
    EACCES(13, "Permission denied"),
    EBUSY(16, "Device or resource busy"),
    EEXIST(17, "File exists"),
    ENODEV(19, "No such device"),
    EINVAL(22, "Invalid argument"),
    ENOSPC(28, "No space left on device"),
    ENOSYS(38, "Function not implemented"),
    EROFS(30, "Read-only file system"),
    ETIMEDOUT(110, "Connection timed out");

    private final int number;
    private final String message;

    Errno(int number, String message) {
        this.number = number;
        this.message = message;
    }

    public int number() {
        return number;
    }

    /** {@code ENODEV (No such device)}. */
    public String describe() {
        return name() + " (" + message + ")";
    }

    /** Maps the strerror text Java puts in an IOException message back to an errno; EIO when unknown. */
    public static Errno fromMessage(String text) {
        if (text != null) {
            String lower = text.toLowerCase(Locale.ROOT);
            for (Errno e : values()) {
                if (lower.contains(e.message.toLowerCase(Locale.ROOT))) {
                    return e;
                }
            }
        }
        return EIO;
    }
}
