package org.gpupass;

import java.nio.file.Path;
import org.gpupass.bus.BusEndpoint;

/**
 * gpupassd's command line (the spec's table). {@code simulate} is null when off, {@code ""} for the default
 * simulated host.
 */
record DaemonOptions(String bus, Path sysfsRoot, Path stateDir, Path config, String simulate, boolean help,
                     boolean version) {

    static final String USAGE = """
            Usage: gpupassd [OPTIONS]
            Hands PCI GPUs, with all their functions, between host drivers and vfio-pci, on D-Bus as org.gpupass1.

              --bus=ADDRESS          the bus to serve on (default: the system bus), e.g. unix:path=/run/x/bus
              --sysfs-root=DIR       read sysfs, /dev and /proc under DIR (default: /)
              --state-dir=DIR        where claims are remembered (default: /var/lib/gpupassd; with --simulate,
                                     a fresh directory under $XDG_RUNTIME_DIR or the temp dir, removed at exit)
              --config=FILE          configuration (default: /etc/gpupassd/gpupassd.conf; missing means defaults)
              --simulate[=NAME|FILE] run against a simulated host instead of the kernel: dual-gpu (default),
                                     single-gpu, shared-group, or a host FILE (docs/simulated-hosts.md); no root needed
              --help                 this text
              --version              the version
            """;

    /** Thrown for a bad command line: the caller prints the message and usage and exits 2. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    static DaemonOptions parse(String... args) throws UsageException {
        String bus = null;
        Path root = Path.of("/");
        Path state = null;
        Path config = Path.of("/etc/gpupassd/gpupassd.conf");
        String simulate = null;
        boolean help = false;
        boolean version = false;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = eq < 0 ? arg : arg.substring(0, eq);
            String value = eq < 0 ? null : arg.substring(eq + 1);
            switch (name) {
                case "--bus" -> bus = busAddress(required(name, value));
                case "--sysfs-root" -> root = Path.of(required(name, value));
                case "--state-dir" -> state = Path.of(required(name, value));
                case "--config" -> config = Path.of(required(name, value));
                case "--simulate" -> simulate = value == null ? "" : value;
                case "--help", "-h" -> help = noValue(name, value);
                case "--version" -> version = noValue(name, value);
                default -> throw new UsageException("unknown option: " + arg);
            }
        }
        return new DaemonOptions(bus, root, state, config, simulate, help, version);
    }

    /** Checked here so that a bad address is a usage error, not a failure after start-up began. */
    private static String busAddress(String address) throws UsageException {
        try {
            BusEndpoint.of(address);
        } catch (BusEndpoint.BadAddress e) {
            throw new UsageException("--bus: " + e.getMessage());
        }
        return address;
    }

    private static String required(String name, String value) throws UsageException {
        if (value == null || value.isEmpty()) {
            throw new UsageException(name + " needs a value: " + name + "=...");
        }
        return value;
    }

    private static boolean noValue(String name, String value) throws UsageException {
        if (value != null) {
            throw new UsageException(name + " takes no value");
        }
        return true;
    }
}
