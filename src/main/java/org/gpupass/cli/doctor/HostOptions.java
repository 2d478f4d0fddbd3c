package org.gpupass.cli.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.gpupass.core.Config;
import org.gpupass.core.ConfigException;
import org.gpupass.host.Host;
import org.gpupass.host.linux.LinuxHost;
import org.gpupass.host.sim.HostFileException;
import org.gpupass.host.sim.SimulatedKernel;

/**
 * The options {@code doctor} and {@code hostdev-xml} share: where the host is read
 * ({@code --sysfs-root=DIR}, {@code --simulate[=NAME|FILE]}) and which configuration applies
 * ({@code --config=FILE}). Parsing collects the other words for the command.
 */
public final class HostOptions {
    public static final String DEFAULT_CONFIG = "/etc/gpupassd/gpupassd.conf";

    /** A usage error: the command prints the message and exits 2. */
    public static final class UsageException extends Exception {
        public UsageException(String message) {
            super(message);
        }
    }

    private Path root = Path.of("/");
    private String simulate; // null = off
    private Path config; // null = DEFAULT_CONFIG under the root
    private final List<String> rest = new ArrayList<>();

    /** Takes the shared options out of args; everything else is left in {@link #rest()} in order. */
    public static HostOptions parse(List<String> args) throws UsageException {
        HostOptions o = new HostOptions();
        boolean words = false;
        for (String arg : args) {
            if (arg == null) {
                throw new UsageException("null argument");
            }
            if (words || !arg.startsWith("--")) {
                o.rest.add(arg);
            } else if (arg.equals("--")) {
                words = true;
            } else if (arg.startsWith("--sysfs-root=")) {
                String dir = arg.substring("--sysfs-root=".length());
                if (dir.isEmpty()) {
                    throw new UsageException("--sysfs-root needs a directory");
                }
                o.root = Path.of(dir);
                if (!Files.isDirectory(o.root)) {
                    throw new UsageException("--sysfs-root=" + dir + ": not a directory");
                }
            } else if (arg.equals("--simulate")) {
                o.simulate = SimulatedKernel.DEFAULT_HOST;
            } else if (arg.startsWith("--simulate=")) {
                o.simulate = arg.substring("--simulate=".length());
                if (o.simulate.isEmpty()) {
                    throw new UsageException("--simulate= needs a built-in name ("
                            + String.join(", ", SimulatedKernel.builtInNames()) + ") or a host file");
                }
            } else if (arg.startsWith("--config=")) {
                String file = arg.substring("--config=".length());
                if (file.isEmpty()) {
                    throw new UsageException("--config needs a file");
                }
                o.config = Path.of(file);
            } else {
                o.rest.add(arg);
            }
        }
        return o;
    }

    /** Where sysfs, /proc, /etc and /usr/share are read. */
    public Path root() {
        return root;
    }

    /** The simulated host's name or file, or null when reading sysfs. */
    public String simulate() {
        return simulate;
    }

    /** {@code --config}, or {@value #DEFAULT_CONFIG} under the root (the same file when the root is /). */
    public Path configFile() {
        return config != null ? config : under(DEFAULT_CONFIG);
    }

    /** The arguments that were not shared options, in order. */
    public List<String> rest() {
        return rest;
    }

    /** A path of the host (absolute, e.g. {@code /proc/cmdline}) under the root. */
    public Path under(String hostPath) {
        return root.resolve(hostPath.substring(1));
    }

    /** The PCI side: the simulated kernel, or sysfs under the root with units that never change. */
    public Host host() throws UsageException {
        if (simulate == null) {
            return LinuxHost.at(root, new ReadOnlyUnits());
        }
        try {
            if (SimulatedKernel.builtInNames().contains(simulate)) {
                return SimulatedKernel.builtIn(simulate).host();
            }
            Path file = Path.of(simulate);
            if (!Files.isRegularFile(file)) {
                throw new UsageException("--simulate=" + simulate + ": neither a built-in simulated host ("
                        + String.join(", ", SimulatedKernel.builtInNames()) + ") nor a host file");
            }
            return SimulatedKernel.fromFile(file).host();
        } catch (HostFileException e) {
            throw new UsageException("--simulate: " + e.getMessage());
        } catch (IOException e) {
            throw new UsageException("--simulate=" + simulate + ": cannot read: " + e.getMessage());
        }
    }

    /** The configuration; a missing file is the defaults. */
    public Config loadConfig() throws ConfigException {
        return Config.load(configFile());
    }

    /** How the output names the host: {@code /} or {@code simulated host dual-gpu (other files under /)}. */
    public String describe() {
        return simulate == null ? "sysfs under " + root
                : "simulated host " + simulate + " (other files under " + root + ")";
    }
}
