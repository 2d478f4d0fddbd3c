package org.gpupass.host;

import java.io.IOException;

/** A kernel write (or systemd job) that the host refused, with the errno it answered. */
public final class KernelWriteException extends IOException {
    private final String path;
    private final Errno errno;

    public KernelWriteException(String path, Errno errno) {
        super(path + ": " + errno.describe());
        this.path = path;
        this.errno = errno;
    }

    public KernelWriteException(String path, Errno errno, String detail) {
        super(path + ": " + errno.describe() + " (" + detail + ")");
        this.path = path;
        this.errno = errno;
    }

    /** The file written, e.g. {@code /sys/bus/pci/drivers/nvidia/unbind}. */
    public String path() {
        return path;
    }

    public Errno errno() {
        return errno;
    }
}
