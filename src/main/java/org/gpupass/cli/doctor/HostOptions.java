package org.gpupass.cli.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.gpupass.cli.CommandLine;
import org.gpupass.config.Config;
import org.gpupass.config.ConfigException;
import org.gpupass.host.Host;
import org.gpupass.host.linux.LinuxHost;
import org.gpupass.host.sim.HostFileException;
import org.gpupass.host.sim.SimulatedKernel;

/**
 * The options {@code doctor} and {@code hostdev-xml} share: where the host is read
 * ({@code --sysfs-root=DIR}, {@code --simulate[=NAME|FILE]}) and which configuration applies
 * ({@code --config=FILE}); {@link CommandLine} parses them with the command's own.
 */
public final class HostOptions {
    public static final String DEFAULT_CONFIG = "/etc/gpupassd/gpupassd.conf";

    /** The options themselves, for a command's {@link CommandLine.Spec}. */
    public static final List<CommandLine.Option> OPTIONS = List.of(
            CommandLine.Option.valued("--sysfs-root", "DIR"),
            CommandLine.Option.optional("--simulate", "NAME|FILE"),
            CommandLine.Option.valued("--config", "FILE"));

    private Path root = Path.of("/");
    private String simulate; // null = off
    private Path config; // null = DEFAULT_CONFIG under the root

    /** The shared options of a parsed command line (whose spec includes {@link #OPTIONS}). */
    public static HostOptions of(CommandLine line) throws CommandLine.UsageException {
        HostOptions o = new HostOptions();
        Optional<String> dir = line.value("--sysfs-root");
        if (dir.isPresent()) {
            o.root = Path.of(dir.get());
            if (!Files.isDirectory(o.root)) {
                throw new CommandLine.UsageException("--sysfs-root=" + dir.get() + ": not a directory");
            }
        }
        if (line.has("--simulate")) {
            o.simulate = line.value("--simulate").orElse(SimulatedKernel.DEFAULT_HOST);
        }
        o.config = line.value("--config").map(Path::of).orElse(null);
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

    /** A path of the host (absolute, e.g. {@code /proc/cmdline}) under the root. */
    public Path under(String hostPath) {
        return root.resolve(hostPath.substring(1));
    }

    /** The PCI side: the simulated kernel, or sysfs under the root with units that never change. */
    public Host host() throws CommandLine.UsageException {
        if (simulate == null) {
            return LinuxHost.at(root, new ReadOnlyUnits());
        }
        try {
            if (SimulatedKernel.builtInNames().contains(simulate)) {
                return SimulatedKernel.builtIn(simulate).host();
            }
            Path file = Path.of(simulate);
            if (!Files.isRegularFile(file)) {
                throw new CommandLine.UsageException("--simulate=" + simulate + ": neither a built-in simulated host ("
                        + String.join(", ", SimulatedKernel.builtInNames()) + ") nor a host file");
            }
            return SimulatedKernel.fromFile(file).host();
        } catch (HostFileException e) {
            throw new CommandLine.UsageException("--simulate: " + e.getMessage());
        } catch (IOException e) {
            throw new CommandLine.UsageException("--simulate=" + simulate + ": cannot read: " + e.getMessage());
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
